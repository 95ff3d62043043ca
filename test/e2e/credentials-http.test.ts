import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { argsDigest } from '../../src/credentials/digest.js';
import { createRuntime, type Runtime } from '../../src/runtime/runtime.js';
import { buildApp } from '../../src/server/app.js';
import { ROOT } from '../helpers/cli.js';
import { startProviderServer, type ProviderServer } from '../helpers/provider-servers.js';
import { API_KEY, sha256Hex } from '../server/fixtures.js';

/**
 * Issue 5, end to end: an agent's call through the HTTP service reaches a real
 * MCP server over Streamable HTTP with a per-call JWT in its Authorization
 * header. The server (a separate process) verifies it with `intentguard/verify`
 * against the service's own `/.well-known/jwks.json` and echoes the claims it
 * saw. The judge (a scripted LLM provider) narrows both scopes and arguments.
 *
 * Needs `npm run build` first: the server imports the package's built `intentguard/verify`.
 */

const ISSUER = 'urn:intentguard:e2e';
const AUDIENCE = 'https://files.example.test/mcp';
const TTL = 30;

let dir: string;
let provider: ProviderServer;
let upstream: ChildProcessWithoutNullStreams;
let upstreamUrl: string;
let runtime: Runtime;
let app: FastifyInstance;
let base: string;
let client: Client;

function startVerifyingServer(): Promise<{ child: ChildProcessWithoutNullStreams; url: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'test/helpers/verifying-server.mjs')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', VERIFY_ISSUER: ISSUER, VERIFY_AUDIENCE: AUDIENCE },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`verifying server exited (${code})`)));
    createInterface({ input: child.stdout }).once('line', (line) => resolve({ child, url: line.replace(/^listening /, '') }));
  });
}

async function call(args: Record<string, unknown>, tool = 'read_file'): Promise<{ isError: boolean; body: Record<string, unknown>; raw: string }> {
  const result = await client.callTool({ name: tool, arguments: args });
  const raw = JSON.stringify(result);
  const text = (result.content as { type: string; text: string }[]).find((c) => c.type === 'text')?.text ?? '';
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { isError: result.isError === true, body, raw };
}

async function replay(args: Record<string, unknown>): Promise<{ ok: boolean; code?: string }> {
  const res = await fetch(new URL('/__replay', upstreamUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ args }) });
  return (await res.json()) as { ok: boolean; code?: string };
}

function auditRecords(): Record<string, unknown>[] {
  return readFileSync(path.join(dir, 'audit.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ig-cred-http-'));
  // The judge narrows: one scope of the two the boundary allows, and a smaller limit.
  provider = await startProviderServer('openai', [], {
    fallback: {
      kind: 'verdict',
      verdict: {
        reasoning: 'the task only needs to read a few lines',
        decision: 'narrow',
        narrowed_args: [{ arg: 'limit', value: 3 }],
        narrowed_scopes: ['files:read'],
        confidence: 0.9,
        evidence: null,
      },
    },
  });
  process.env.OPENAI_BASE_URL = provider.baseURL;
  process.env.OPENAI_API_KEY = 'sk-test-not-a-real-key-0000';

  ({ child: upstream, url: upstreamUrl } = await startVerifyingServer());

  mkdirSync(path.join(dir, 'policies'));
  writeFileSync(
    path.join(dir, 'policies', 'files.yaml'),
    `version: 1
name: credentials-e2e
defaults: { decision: deny }
rules:
  - id: files-read
    description: reads go to the judge, which may narrow them
    match: { server: files, tool: read_file }
    effect: judge
    scopes: [files:read, files:write]
    args:
      limit: { max: 10 }
  - id: files-write-read-only
    description: writing is allowed here, but only with a read scope
    match: { server: files, tool: write_file }
    effect: allow
    scopes: [files:read]
`,
  );
  const configText = `policies: [policies]
audit: { file: audit.jsonl, durability: batch }
state_dir: state
judge: { spec: "openai:gpt-test", timeout_ms: 5000 }
credentials: { issuer: "${ISSUER}", algorithm: EdDSA, ttl_seconds: ${TTL} }
server:
  auth:
    api_keys:
      - { id: agent-1, sha256: ${sha256Hex(API_KEY)}, agent: agent-1, user: alice }
upstreams:
  - name: files
    http: { url: "${upstreamUrl}" }
    audience: "${AUDIENCE}"
    credentials: { kind: jwt }
`;
  const configFile = path.join(dir, 'config.yaml');
  writeFileSync(configFile, configText);
  runtime = await createRuntime(parseConfig(configFile, configText));
  app = await buildApp({ runtime, baseDir: dir, defaultMetrics: false });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  upstream.stdin.write(`${JSON.stringify({ jwksUrl: `${base}/.well-known/jwks.json` })}\n`);

  client = new Client({ name: 'credentials-e2e', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${base}/mcp/files`), {
      requestInit: { headers: { authorization: `Bearer ${API_KEY}`, 'x-intentguard-task': 'Show me the first lines of /data/report.txt' } },
    }),
  );
});

afterAll(async () => {
  await client?.close();
  await app?.close();
  await runtime?.close();
  upstream?.stdin.end();
  upstream?.kill();
  await provider?.close();
  delete process.env.OPENAI_BASE_URL;
  delete process.env.OPENAI_API_KEY;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('per-call credentials through the HTTP service', () => {
  it('serves the signing keys at /.well-known/jwks.json', async () => {
    const res = await fetch(`${base}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    const jwks = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  let firstClaims: Record<string, unknown>;

  it('the upstream verifies a token whose scope is the narrowed grant, for its audience, living at most the TTL', async () => {
    const { isError, body, raw } = await call({ path: '/data/report.txt', limit: 50 });
    expect(isError).toBe(false);
    expect(body.ok).toBe(true);
    const claims = body.claims as Record<string, unknown>;
    firstClaims = claims;
    // The boundary allowed files:read and files:write; the judge narrowed to files:read.
    expect(claims.scope).toBe('files:read');
    expect(claims.aud).toBe(AUDIENCE);
    expect(claims.iss).toBe(ISSUER);
    expect((claims.exp as number) - (claims.iat as number)).toBeLessThanOrEqual(TTL);
    expect(claims.sub).toBe('alice');
    expect(claims.act).toEqual({ sub: 'agent-1' });
    // Bound to the arguments the upstream received: the narrowed ones.
    expect(claims.args_digest).toBe(argsDigest({ path: '/data/report.txt', limit: 3 }));
    // The agent saw claims, never a token.
    expect(raw).not.toMatch(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/);

    await runtime.audit.flush();
    const records = auditRecords();
    const decision = records.find((r) => r.type === 'decision' && r.txn === claims.txn)!;
    expect(decision.decision).toBe('narrow');
    expect((decision.grant as { scopes: string[] }).scopes).toEqual(['files:read']);
    const outcome = records.find((r) => r.type === 'outcome' && r.txn === claims.txn)!;
    expect(outcome.credential).toMatchObject({ id: claims.jti, kind: 'jwt', scopes: ['files:read'], audience: AUDIENCE });
  });

  it('the same token replayed is refused by the verifier, and so is it with other arguments', async () => {
    expect(firstClaims).toBeDefined();
    expect(await replay({ path: '/data/report.txt', limit: 9 })).toEqual({ ok: false, code: 'args_mismatch' });
    expect(await replay({ path: '/etc/shadow', limit: 3 })).toEqual({ ok: false, code: 'args_mismatch' });
    expect(await replay({ path: '/data/report.txt', limit: 3 })).toEqual({ ok: false, code: 'token_replayed' });
  });

  it('each call gets its own token', async () => {
    const { body } = await call({ path: '/data/report.txt', limit: 50 });
    expect(body.ok).toBe(true);
    const claims = body.claims as Record<string, unknown>;
    expect(claims.jti).not.toBe(firstClaims.jti);
    expect(claims.txn).not.toBe(firstClaims.txn);
  });

  it('a token granted read cannot do what needs write: the upstream refuses it', async () => {
    const { isError, body } = await call({ path: '/data/x', content: 'y' }, 'write_file');
    expect(isError).toBe(true);
    expect(body).toEqual({ ok: false, code: 'scope_insufficient' });
  });
});
