import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createRuntime, type Runtime } from '../../src/runtime/runtime.js';
import { buildApp } from '../../src/server/app.js';
import { BIN, ROOT } from '../helpers/cli.js';
import { API_KEY, sha256Hex } from '../server/fixtures.js';

/**
 * Issue 5, the leak test: upstreams that echo their Authorization header,
 * their `_meta` and their environment back in results, JSON-RPC errors, HTTP
 * errors and progress notifications. The agent sees neither the per-call
 * token nor the static secret; the audit log and the logs, searched as text,
 * contain neither.
 */

const STATIC_HTTP_SECRET = 'static-http-secret-7f3a9c1e5b2d4068';
const STATIC_STDIO_SECRET = 'static-stdio-secret-0b8e6d4c2a917f35';
const POLICY = `version: 1
name: leak-test
defaults: { decision: deny }
rules:
  - id: leaky-tools
    description: every leaky tool may run; the point is what comes back
    match: { tool: [leak, leak_error, leak_http, leak_tool_error] }
    effect: allow
    scopes: [leak:read]
`;

/** What an agent-facing answer looks like as text, whether it resolved or threw. */
async function agentView(p: Promise<unknown>): Promise<string> {
  try {
    return JSON.stringify(await p);
  } catch (e) {
    return `${String(e)} ${JSON.stringify(e)}`;
  }
}

function tokensIn(authHeaders: readonly string[]): string[] {
  return authHeaders.map((h) => h.replace(/^Bearer /, ''));
}

describe('over HTTP: a scripted upstream echoing its Authorization header and _meta', () => {
  let dir: string;
  let upstream: Server;
  const seenAuth: string[] = [];
  let runtime: Runtime;
  let app: FastifyInstance;
  let base: string;
  let logs = '';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ig-leak-http-'));
    upstream = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method !== 'POST') return void res.writeHead(req.method === 'DELETE' ? 200 : 405).end();
        const auth = req.headers.authorization ?? '';
        if (auth !== '') seenAuth.push(auth);
        const msg = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: number | string; method: string; params?: Record<string, unknown> };
        if (msg.id === undefined) return void res.writeHead(202).end();
        const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, ...(body as object) }));
        const echo = `authorization=${auth}; meta=${JSON.stringify(msg.params?._meta ?? null)}`;
        switch (msg.method) {
          case 'initialize':
            return json({ result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'leaky-http', version: '1.0.0' } } });
          case 'tools/list':
            return json({
              result: { tools: ['leak', 'leak_error', 'leak_http', 'leak_tool_error'].map((name) => ({ name, description: 'Leaks.', inputSchema: { type: 'object' } })) },
            });
          case 'tools/call': {
            const name = msg.params?.name;
            if (name === 'leak_error') return json({ error: { code: -32000, message: `refused: ${echo}`, data: { [auth]: echo } } });
            if (name === 'leak_http') return void res.writeHead(500, { 'content-type': 'text/plain' }).end(`bad credentials: ${echo}`);
            return json({ result: { content: [{ type: 'text', text: echo }], structuredContent: { echo }, _meta: { echo }, isError: name === 'leak_tool_error' } });
          }
          default:
            return json({ error: { code: -32601, message: 'Method not found' } });
        }
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/mcp`;

    mkdirSync(path.join(dir, 'policies'));
    writeFileSync(path.join(dir, 'policies', 'leak.yaml'), POLICY);
    writeFileSync(path.join(dir, 'static-token'), `${STATIC_HTTP_SECRET}\n`, { mode: 0o600 });
    const configText = `policies: [policies]
audit: { file: audit.jsonl, durability: batch }
state_dir: state
judge: { spec: offline }
server:
  auth:
    api_keys:
      - { id: agent-1, sha256: ${sha256Hex(API_KEY)}, agent: agent-1, user: alice }
upstreams:
  - name: jwt-up
    http: { url: "${url}" }
    credentials: { kind: jwt }
  - name: static-up
    http: { url: "${url}" }
    credentials: { kind: static, secrets: { token: { file: static-token } } }
`;
    const configFile = path.join(dir, 'config.yaml');
    writeFileSync(configFile, configText);
    runtime = await createRuntime(parseConfig(configFile, configText));
    // Everything the service logs, at the most talkative level and without pino's redaction: the code itself must not log secrets.
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs += chunk.toString('utf8');
        done();
      },
    });
    app = await buildApp({ runtime, baseDir: dir, defaultMetrics: false, logger: pino({ level: 'trace' }, sink) });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await app?.close();
    await runtime?.close();
    upstream?.closeAllConnections();
    await new Promise((r) => upstream?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function connect(name: string): Promise<Client> {
    const client = new Client({ name: 'leak-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/${name}`), { requestInit: { headers: { authorization: `Bearer ${API_KEY}` } } }));
    return client;
  }

  it('neither the per-call JWT nor the static secret reaches the agent, the audit log or the logs', async () => {
    const views: string[] = [];
    for (const name of ['jwt-up', 'static-up']) {
      const client = await connect(name);
      for (const tool of ['leak', 'leak_tool_error', 'leak_error', 'leak_http']) {
        views.push(await agentView(client.callTool({ name: tool, arguments: { n: 1 } })));
      }
      await client.close();
    }
    await runtime.audit.flush();

    // The upstream did get the credentials (so there was something to leak)...
    const tokens = tokensIn(seenAuth);
    const jwts = tokens.filter((t) => t.split('.').length === 3);
    expect(jwts.length).toBeGreaterThanOrEqual(4);
    expect(tokens).toContain(STATIC_HTTP_SECRET);
    // ...and echoed them: the agent got answers, with the echoes cut out.
    const joined = views.join('\n');
    expect(joined).toContain('authorization=Bearer [REDACTED]');
    expect(joined).toContain('refused: authorization=Bearer [REDACTED]');

    const audit = readFileSync(path.join(dir, 'audit.jsonl'), 'utf8');
    expect(audit).toContain('"type":"outcome"');
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of [...jwts, STATIC_HTTP_SECRET]) {
      expect(joined).not.toContain(secret);
      expect(audit).not.toContain(secret);
      expect(logs).not.toContain(secret);
      // Nor any recognisable part of a JWT (its signature).
      const signature = secret.split('.')[2];
      if (signature) {
        expect(joined).not.toContain(signature);
        expect(logs).not.toContain(signature);
      }
    }
  });
});

describe('over stdio: a scripted server echoing _meta and its environment', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ig-leak-stdio-'));
    mkdirSync(path.join(dir, 'policies'));
    writeFileSync(path.join(dir, 'policies', 'leak.yaml'), POLICY);
    const server = JSON.stringify(path.join(ROOT, 'test/helpers/leaky-stdio-server.mjs'));
    writeFileSync(
      path.join(dir, 'config.yaml'),
      `policies: [policies]
audit: { file: audit.jsonl, durability: batch }
state_dir: state
upstreams:
  - name: leaky-jwt
    stdio: { command: ${JSON.stringify(process.execPath)}, args: [${server}] }
    credentials: { kind: jwt }
  - name: leaky-static
    stdio: { command: ${JSON.stringify(process.execPath)}, args: [${server}] }
    credentials: { kind: static, secrets: { LEAKY_SECRET: { env: IG_TEST_LEAKY_SECRET } } }
`,
    );
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function throughProxy(server: string): Promise<{ views: string[]; stderr: string; progress: string[] }> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'proxy', '--config', path.join(dir, 'config.yaml'), '--server', server, '--log-level', 'debug'],
      env: { PATH: process.env.PATH ?? '', IG_TEST_LEAKY_SECRET: STATIC_STDIO_SECRET },
      cwd: dir,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const client = new Client({ name: 'leak-test', version: '1.0.0' });
    await client.connect(transport);
    const views: string[] = [];
    const progress: string[] = [];
    for (const tool of ['leak', 'leak_tool_error', 'leak_error']) {
      views.push(await agentView(client.callTool({ name: tool, arguments: {} }, { onprogress: (p) => void progress.push(JSON.stringify(p)) })));
    }
    await client.close();
    return { views, stderr, progress };
  }

  it('the token in _meta and the secret in the environment come back redacted, and nowhere else', async () => {
    const jwt = await throughProxy('leaky-jwt');
    const stat = await throughProxy('leaky-static');
    const audit = readFileSync(path.join(dir, 'audit.jsonl'), 'utf8');
    const all = [...jwt.views, ...stat.views, ...jwt.progress, ...stat.progress].join('\n');

    // The jwt upstream saw its credential in _meta (and echoed it, redacted)...
    expect(jwt.views.join('\n')).toMatch(/intentguard\/credential.*\[REDACTED\]/);
    // ...the static one its environment secret (echoed, redacted).
    expect(stat.views.join('\n')).toContain('LEAKY_SECRET=[REDACTED]');
    expect(stat.views.join('\n')).toContain('refused: env LEAKY_SECRET=[REDACTED]');
    expect(jwt.progress.length + stat.progress.length).toBeGreaterThan(0);

    expect(all).not.toContain(STATIC_STDIO_SECRET);
    expect(audit).not.toContain(STATIC_STDIO_SECRET);
    expect(jwt.stderr + stat.stderr).not.toContain(STATIC_STDIO_SECRET);
    // No JWT anywhere the agent, the audit or the logs can see.
    const jwtShape = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;
    expect(all).not.toMatch(jwtShape);
    expect(audit).not.toMatch(jwtShape);
    expect(jwt.stderr + stat.stderr).not.toMatch(jwtShape);
  });
});
