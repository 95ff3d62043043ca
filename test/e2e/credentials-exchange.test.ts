import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { FastifyInstance } from 'fastify';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createRuntime, type Runtime } from '../../src/runtime/runtime.js';
import { buildApp } from '../../src/server/app.js';
import { CLIENT_ID, CLIENT_SECRET, startAuthorizationServer, type AuthorizationServer } from '../helpers/token-exchange-as.js';

/**
 * Pass-through identity end to end: the agent authenticates to the HTTP
 * service with the user's own token; for each allowed call intentguard
 * exchanges it at a real authorization server (oidc-provider, RFC 8693 grant)
 * for a token narrowed to the grant and the upstream, which is what the
 * upstream receives. A provider that answers broader, or not at all, stops the
 * call (fail closed), and the audit log says why.
 */

const ISSUER = 'urn:intentguard:exchange-e2e';
const AUDIENCE = 'https://crm.example.test/mcp';

let dir: string;
let as: AuthorizationServer;
let upstream: Server;
const received: { auth: string; tool: string }[] = [];
let runtime: Runtime;
let app: FastifyInstance;
let base: string;
let client: Client;

function auditRecords(): Record<string, unknown>[] {
  return readFileSync(path.join(dir, 'audit.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ig-exchange-e2e-'));
  // The upstream: answers tools/call and records the Authorization header it got.
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST') return void res.writeHead(405).end();
      const msg = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: number; method: string; params?: { name?: string } };
      if (msg.id === undefined) return void res.writeHead(202).end();
      const json = (body: object) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, ...body }));
      if (msg.method === 'initialize') return json({ result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'crm', version: '1' } } });
      if (msg.method === 'tools/list') return json({ result: { tools: [{ name: 'get_contact', description: 'Reads a contact.', inputSchema: { type: 'object' } }] } });
      if (msg.method === 'tools/call') {
        received.push({ auth: req.headers.authorization ?? '', tool: msg.params?.name ?? '' });
        return json({ result: { content: [{ type: 'text', text: 'contact: Ada' }] } });
      }
      return json({ error: { code: -32601, message: 'Method not found' } });
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/mcp`;

  // The provider must trust intentguard's key, which exists once the runtime has started: read it lazily.
  as = await startAuthorizationServer({ intentguardIssuer: ISSUER, intentguardJwks: () => (runtime.credentials?.jwks() ?? { keys: [] }) as never });

  mkdirSync(path.join(dir, 'policies'));
  writeFileSync(
    path.join(dir, 'policies', 'crm.yaml'),
    `version: 1
defaults: { decision: deny }
rules:
  - id: crm-read
    description: reading contacts needs only the read scope
    match: { server: crm, tool: get_contact }
    effect: allow
    scopes: [crm:read]
`,
  );
  writeFileSync(path.join(dir, 'client-secret'), `${CLIENT_SECRET}\n`, { mode: 0o600 });
  const configText = `policies: [policies]
audit: { file: audit.jsonl, durability: batch }
state_dir: state
judge: { spec: offline }
credentials:
  issuer: "${ISSUER}"
  exchange:
    token_endpoint: "${as.tokenEndpoint}"
    provider_issuer: "${as.issuer}"
    client_id: ${CLIENT_ID}
    client_secret: { file: client-secret }
server:
  auth:
    jwt: { issuer: "${as.issuer}", audience: ${as.loginAudience}, jwks_url: "${as.loginJwksUrl}" }
upstreams:
  - name: crm
    http: { url: "${upstreamUrl}" }
    audience: "${AUDIENCE}"
    credentials: { kind: exchange }
`;
  const configFile = path.join(dir, 'config.yaml');
  writeFileSync(configFile, configText);
  runtime = await createRuntime(parseConfig(configFile, configText));
  app = await buildApp({ runtime, baseDir: dir, defaultMetrics: false });
  base = await app.listen({ port: 0, host: '127.0.0.1' });

  // Alice holds broad scopes; the agent app presents her token.
  const userToken = await as.userToken('alice', ['crm:read', 'crm:write', 'crm:admin'], 'sales-agent');
  client = new Client({ name: 'exchange-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/crm`), { requestInit: { headers: { authorization: `Bearer ${userToken}` } } }));
});

afterAll(async () => {
  await client?.close();
  await app?.close();
  await runtime?.close();
  await as?.close().catch(() => undefined);
  upstream?.closeAllConnections();
  await new Promise((r) => upstream?.close(r));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('pass-through identity through the HTTP service', () => {
  it("the upstream gets the user's token exchanged: act names the agent, scope is the grant, audience is the upstream", async () => {
    const result = await client.callTool({ name: 'get_contact', arguments: { id: 7 } });
    expect(result.isError).toBeFalsy();
    const got = received.at(-1)!;
    expect(got.tool).toBe('get_contact');
    const token = got.auth.replace(/^Bearer /, '');
    const { payload } = await jwtVerify(token, createLocalJWKSet(await as.jwks()), { issuer: as.issuer, audience: AUDIENCE });
    expect(payload.sub).toBe('alice');
    expect(payload.act).toEqual({ sub: 'sales-agent' });
    expect(payload.scope).toBe('crm:read');
    // Not the user's own token: that one never leaves intentguard.
    expect(payload.aud).not.toBe(as.loginAudience);

    await runtime.audit.flush();
    const outcome = auditRecords().findLast((r) => r.type === 'outcome')!;
    expect(outcome.credential).toMatchObject({ id: payload.jti, kind: 'exchange', scopes: ['crm:read'], audience: AUDIENCE });
    expect(JSON.stringify(auditRecords())).not.toContain(token);
  });

  it('a provider answering with a broader token stops the call, audited', async () => {
    as.mode = 'broader-response';
    const before = received.length;
    const result = await client.callTool({ name: 'get_contact', arguments: { id: 8 } });
    as.mode = 'honest';
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result)).toMatch(/could not derive a credential.*IG_CREDENTIAL_EXCHANGE/);
    expect(received.length).toBe(before);
    await runtime.audit.flush();
    const outcome = auditRecords().findLast((r) => r.type === 'outcome')!;
    expect(outcome).toMatchObject({ ok: false, executed: false });
    expect(outcome.error).toMatch(/IG_CREDENTIAL_EXCHANGE: .*broader/);
  });

  it('an unreachable provider stops the call, audited', async () => {
    await as.close();
    const before = received.length;
    const result = await client.callTool({ name: 'get_contact', arguments: { id: 9 } });
    expect(result.isError).toBe(true);
    expect(received.length).toBe(before);
    await runtime.audit.flush();
    const outcome = auditRecords().findLast((r) => r.type === 'outcome')!;
    expect(outcome).toMatchObject({ ok: false, executed: false });
    expect(outcome.error).toMatch(/IG_CREDENTIAL_EXCHANGE: the identity provider could not be reached/);
  });
});
