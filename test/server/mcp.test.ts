import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import type { UpstreamConfig } from '../../src/config/schema.js';
import type { JsonRpcMessage } from '../../src/proxy/jsonrpc.js';
import type { Link } from '../../src/proxy/link.js';
import { API_KEY, auth, makeFixture, sha256Hex, type Fixture } from './fixtures.js';

/**
 * The MCP routes through `inject` with a scripted in-process upstream: session
 * lifecycle, limits and bindings, without child processes.
 */

/** An upstream MCP server in process: answers initialize, tools/list and tools/call (echo). */
class ScriptedUpstream implements Link {
  onmessage?: Link['onmessage'];
  onclose?: Link['onclose'];
  onreset?: Link['onreset'];
  closed = false;
  readonly calls: Record<string, unknown>[] = [];

  async start(): Promise<void> {}

  async send(message: JsonRpcMessage): Promise<void> {
    if (!('method' in message) || !('id' in message)) return;
    const reply = (result: Record<string, unknown>) => queueMicrotask(() => this.onmessage?.({ jsonrpc: '2.0', id: message.id, result }));
    switch (message.method) {
      case 'initialize':
        return reply({ protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'scripted', version: '1' } });
      case 'tools/list':
        return reply({ tools: [{ name: 'echo', inputSchema: { type: 'object' } }, { name: 'drop', inputSchema: { type: 'object' } }] });
      case 'tools/call':
        this.calls.push(message.params ?? {});
        return reply({ content: [{ type: 'text', text: JSON.stringify(message.params?.arguments ?? {}) }] });
      default:
        queueMicrotask(() => this.onmessage?.({ jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'Method not found' } }));
    }
  }

  /** The server went away and came back: requests in flight are lost. */
  reset(): void {
    this.onreset?.('scripted reset');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.();
  }
}

const POLICY = `version: 1
defaults: { decision: deny }
rules:
  - id: echo-ok
    match: { server: scripted, tool: echo }
    effect: allow
`;

let fx: Fixture | undefined;
const upstreams: ScriptedUpstream[] = [];
afterEach(async () => {
  await fx?.close();
  fx = undefined;
  upstreams.length = 0;
});

async function setup(extra = '', clock?: ManualClock): Promise<Fixture> {
  fx = await makeFixture({
    policy: POLICY,
    config: `server:
  max_mcp_sessions: 2
  auth:
    api_keys:
      - { id: agent-1, sha256: ${sha256Hex(API_KEY)} }
      - { id: agent-2, sha256: ${sha256Hex('another-agent-key-123')} }
session: { idle_ttl_seconds: 60 }
upstreams:
  - name: scripted
    stdio: { command: never-run }
${extra}`,
    app: {
      upstreamConnector: (_u: UpstreamConfig) => {
        const up = new ScriptedUpstream();
        upstreams.push(up);
        return up;
      },
      ...(clock ? { clock } : {}),
    },
  });
  return fx;
}

const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** Posts one JSON-RPC message; returns the HTTP status, the session id header and the JSON-RPC messages of the answer. */
async function post(f: Fixture, body: unknown, headers: Record<string, string> = {}, url = '/mcp/scripted') {
  const res = await f.app.inject({ method: 'POST', url, headers: { ...MCP_HEADERS, ...auth(), ...headers }, payload: typeof body === 'string' ? body : JSON.stringify(body) });
  const type = String(res.headers['content-type'] ?? '');
  let messages: Record<string, unknown>[] = [];
  if (type.startsWith('text/event-stream')) {
    messages = res.body
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);
  } else if (res.body !== '') {
    messages = [JSON.parse(res.body) as Record<string, unknown>];
  }
  return { status: res.statusCode, session: res.headers['mcp-session-id'] as string | undefined, messages };
}

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } };

async function open(f: Fixture, key = API_KEY, headers: Record<string, string> = {}): Promise<string> {
  const init = await post(f, INIT, { ...auth(key), ...headers });
  expect(init.status).toBe(200);
  expect(init.session).toBeDefined();
  await post(f, { jsonrpc: '2.0', method: 'notifications/initialized' }, { ...auth(key), 'mcp-session-id': init.session!, 'mcp-protocol-version': '2025-11-25' });
  return init.session!;
}

describe('MCP sessions over HTTP', () => {
  it('opens a session per initialize, each with its own upstream connection', async () => {
    const f = await setup();
    const a = await open(f);
    const b = await open(f);
    expect(a).not.toBe(b);
    expect(upstreams.length).toBe(2);
    expect(f.app.intentguard.mcp.size).toBe(2);
    const call = await post(f, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { x: 1 } } }, { 'mcp-session-id': a, 'mcp-protocol-version': '2025-11-25' });
    expect(call.messages[0]).toMatchObject({ id: 2, result: { content: [{ type: 'text', text: '{"x":1}' }] } });
    expect(upstreams[0]!.calls.length).toBe(1);
    expect(upstreams[1]!.calls.length).toBe(0);
  });

  it('refuses a session beyond the limit with 503, and frees the slot on DELETE', async () => {
    const f = await setup();
    const a = await open(f);
    await open(f);
    const third = await post(f, INIT);
    expect(third.status).toBe(503);
    expect(third.messages[0]).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 } });
    const del = await f.app.inject({ method: 'DELETE', url: '/mcp/scripted', headers: { ...auth(), 'mcp-session-id': a, 'mcp-protocol-version': '2025-11-25' } });
    expect(del.statusCode).toBe(200);
    expect(upstreams[0]!.closed).toBe(true);
    expect(f.app.intentguard.mcp.size).toBe(1);
    expect((await post(f, INIT)).status).toBe(200);
  });

  it('answers requests without a session, or with an unknown one, as JSON-RPC errors', async () => {
    const f = await setup();
    const none = await post(f, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(none.status).toBe(400);
    expect(none.messages[0]).toMatchObject({ jsonrpc: '2.0', error: { code: -32600 } });
    const unknown = await post(f, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'mcp-session-id': 'not-a-session' });
    expect(unknown.status).toBe(404);
    const get = await f.app.inject({ method: 'GET', url: '/mcp/scripted', headers: { ...auth(), accept: 'text/event-stream' } });
    expect(get.statusCode).toBe(400);
    const badJson = await post(f, '{"jsonrpc":');
    expect(badJson.status).toBe(400);
    expect(badJson.messages[0]).toMatchObject({ error: { code: -32700 } });
    const tooBig = await post(f, { ...INIT, params: { ...INIT.params, pad: 'x'.repeat(2_000_000) } });
    expect(tooBig.status).toBe(413);
    expect(tooBig.messages[0]).toMatchObject({ jsonrpc: '2.0', error: { code: -32600 } });
  });

  it("refuses another identity's session as if it did not exist", async () => {
    const f = await setup();
    const mine = await open(f);
    const theirs = await post(f, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { ...auth('another-agent-key-123'), 'mcp-session-id': mine, 'mcp-protocol-version': '2025-11-25' });
    expect(theirs.status).toBe(404);
    expect(upstreams[0]!.calls.length).toBe(0);
    // And on another endpoint path, the same session id is unknown too.
    const elsewhere = await post(f, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': mine, 'mcp-protocol-version': '2025-11-25' }, '/mcp');
    expect(elsewhere.status).toBe(404);
  });

  it('uses a registered session and the task header for the guard session', async () => {
    const f = await setup();
    const reg = await f.app.inject({ method: 'POST', url: '/v1/sessions', headers: { ...auth(), 'content-type': 'application/json' }, payload: JSON.stringify({ id: 'orchestrated-1', task: 'echo the numbers' }) });
    expect(reg.statusCode).toBe(201);
    const sid = await open(f, API_KEY, { 'x-intentguard-session': 'orchestrated-1' });
    const call = await post(f, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { n: 3 } } }, { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' });
    expect(call.status).toBe(200);
    const decision = (await f.records()).find((r) => r.type === 'decision');
    expect(decision).toMatchObject({ sessionId: 'orchestrated-1', task: 'echo the numbers' });
    // The result reached the registered session's history (and its provenance ledger).
    expect(f.runtime.sessions.get('orchestrated-1')?.history.at(-1)).toMatchObject({ tool: 'echo' });

    const withHeader = await open(f, API_KEY, { 'x-intentguard-task': 'count sheep' });
    await post(f, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo', arguments: {} } }, { 'mcp-session-id': withHeader, 'mcp-protocol-version': '2025-11-25' });
    const decisions = (await f.records()).filter((r) => r.type === 'decision');
    expect(decisions.at(-1)).toMatchObject({ sessionId: withHeader, task: 'count sheep' });

    const missing = await post(f, INIT, { 'x-intentguard-session': 'never-registered' });
    expect(missing.status).toBe(404);
  });

  it('closes idle sessions and their upstreams', async () => {
    const clock = new ManualClock();
    const f = await setup('', clock);
    await open(f);
    expect(f.app.intentguard.mcp.sweepIdle()).toBe(0);
    clock.advance(61_000);
    expect(f.app.intentguard.mcp.sweepIdle()).toBe(1);
    await expect.poll(() => upstreams[0]!.closed).toBe(true);
    expect(f.app.intentguard.mcp.size).toBe(0);
  });

  it('counts upstream failures and tool-call decisions in the metrics', async () => {
    const f = await setup();
    const sid = await open(f);
    await post(f, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: {} } }, { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' });
    const denied = await post(f, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'drop', arguments: {} } }, { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' });
    expect(denied.messages[0]).toMatchObject({ id: 3, result: { isError: true } });
    upstreams[0]!.reset();
    const metrics = (await f.app.inject({ method: 'GET', url: '/metrics', headers: auth() })).body;
    expect(metrics).toMatch(/intentguard_decisions_total\{outcome="allow",effect="allow",mode="enforce"\} 1\b/);
    expect(metrics).toMatch(/intentguard_decisions_total\{outcome="deny",effect="deny",mode="enforce"\} 1\b/);
    expect(metrics).toMatch(/intentguard_upstream_errors_total\{upstream="scripted"\} 1\b/);
  });
});
