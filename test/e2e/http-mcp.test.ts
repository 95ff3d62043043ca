import { mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConnector } from '../../src/server/links.js';
import { ROOT } from '../helpers/cli.js';
import { API_KEY, auth, makeFixture, sha256Hex, type Fixture } from '../server/fixtures.js';

/**
 * The MCP endpoints of the HTTP service end to end: a real socket on port 0,
 * the SDK's Streamable HTTP client (v2, and v1 for an older-spec client), and
 * real upstream servers from npm (server-filesystem, server-everything) plus
 * the echo server that counts what reaches it.
 */

const FS_BIN = path.join(ROOT, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');
const EVERYTHING_BIN = path.join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const ECHO_BIN = path.join(ROOT, 'test/helpers/echo-server.mjs');

let fx: Fixture;
let base: string;
let workDir: string;
let callLog: string;
const clients: { close(): Promise<void> }[] = [];

function policy(dir: string): string {
  return `version: 1
name: http-e2e
defaults: { decision: deny }
rules:
  - id: fs-roots
    match: { server: filesystem, tool: list_allowed_directories }
    effect: allow
  - id: fs-read
    description: reading in the work folder, two lines at most
    match: { server: filesystem, tool: [read_text_file, list_directory, get_file_info] }
    effect: allow
    scopes: [fs:read]
    args:
      path: { within: ["${dir}"] }
      head: { min: 1, max: 2 }
  - id: fs-no-write
    description: this agent never writes files
    match: { server: filesystem, tool: write_file }
    effect: deny
  - id: every-all
    match: { server: everything, tool: "*" }
    effect: allow
  - id: every-no-env
    description: the environment holds secrets
    match: { server: everything, tool: get-env }
    effect: deny
  - id: every-sum-ask
    description: sums need a human's nod
    match: { server: everything, tool: get-sum }
    effect: ask
  - id: echo-allow
    match: { server: echo, tool: [echo, count] }
    effect: allow
  - id: echo-no-notes
    description: notes are read-only
    match: { server: echo, tool: write_note }
    effect: deny
`;
}

beforeAll(async () => {
  workDir = realpathSync(mkdtempSync(path.join(tmpdir(), 'ig-http-work-')));
  mkdirSync(path.join(workDir, 'docs'));
  writeFileSync(path.join(workDir, 'docs', 'notes.txt'), ['line one', 'line two', 'line three', 'line four', 'line five'].join('\n'));
  callLog = path.join(workDir, 'echo-calls.jsonl');
  fx = await makeFixture({
    policy: policy(workDir),
    config: `server:
  auth:
    api_keys:
      - { id: agent-1, sha256: ${sha256Hex(API_KEY)}, user: alice }
      - { id: agent-2, sha256: ${sha256Hex('second-agent-key-000000')} }
upstreams:
  - name: filesystem
    stdio: { command: ${process.execPath}, args: ["${FS_BIN}", "${workDir}"] }
  - name: everything
    stdio: { command: ${process.execPath}, args: ["${EVERYTHING_BIN}", "stdio"] }
  - name: echo
    stdio: { command: ${process.execPath}, args: ["${ECHO_BIN}"], env: { ECHO_CALL_LOG: "${callLog}" } }
`,
    app: { upstreamConnector: defaultConnector({ stderr: 'ignore' }) },
  });
  base = await fx.app.listen({ port: 0, host: '127.0.0.1' });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await fx?.close();
});

async function connect(endpoint: string, options: { key?: string; capabilities?: Record<string, unknown>; headers?: Record<string, string> } = {}): Promise<Client> {
  const client = new Client({ name: 'http-e2e', version: '1.0.0' }, { capabilities: options.capabilities ?? {} });
  const transport = new StreamableHTTPClientTransport(new URL(`${base}${endpoint}`), {
    requestInit: { headers: { ...auth(options.key ?? API_KEY), ...options.headers } },
  });
  await client.connect(transport);
  clients.push(client);
  return client;
}

function text(result: { content?: unknown }): string {
  const content = (result.content ?? []) as { type: string; text?: string }[];
  return content
    .filter((c) => c.type === 'text')
    .map((c) => c.text ?? '')
    .join('\n');
}

function echoCalls(): { tool: string; args: Record<string, unknown> }[] {
  if (!existsSync(callLog)) return [];
  return readFileSync(callLog, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { tool: string; args: Record<string, unknown> });
}

describe('MCP over Streamable HTTP, one upstream per endpoint', () => {
  it('lists only the tools policy can ever allow, and runs an allowed call', async () => {
    const client = await connect('/mcp/filesystem', { headers: { 'x-intentguard-task': 'summarise the notes in docs' } });
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('read_text_file');
    expect(names).toContain('list_allowed_directories');
    expect(names).not.toContain('write_file');
    expect(names).not.toContain('move_file');
    const roots = await client.callTool({ name: 'list_allowed_directories', arguments: {} });
    expect(roots.isError).toBeFalsy();
    expect(text(roots)).toContain(workDir);
  });

  it('sends a narrowed call upstream with the narrowed arguments', async () => {
    const client = await connect('/mcp/filesystem');
    const result = await client.callTool({ name: 'read_text_file', arguments: { path: path.join(workDir, 'docs', 'notes.txt'), head: 50 } });
    expect(result.isError).toBeFalsy();
    const body = text(result);
    expect(body).toContain('line one');
    expect(body).toContain('line two');
    // The upstream received head: 2, so the third line never came back.
    expect(body).not.toContain('line three');
    expect(body).toContain('narrowed');
  });

  it('denies a call with an isError result and never reaches the upstream', async () => {
    const client = await connect('/mcp/filesystem');
    const target = path.join(workDir, 'docs', 'planted.txt');
    const result = await client.callTool({ name: 'write_file', arguments: { path: target, content: 'pwned' } });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/denied/);
    expect(text(result)).toContain('never writes files');
    expect(existsSync(target)).toBe(false);

    const echo = await connect('/mcp/echo');
    const before = echoCalls().length;
    const denied = await echo.callTool({ name: 'write_note', arguments: { path: 'x', content: 'y' } });
    expect(denied.isError).toBe(true);
    const allowed = await echo.callTool({ name: 'echo', arguments: { message: 'hello' } });
    expect(text(allowed)).toContain('hello');
    const calls = echoCalls().slice(before);
    expect(calls.map((c) => c.tool)).toEqual(['echo']);
  });

  it('passes resources and prompts through', async () => {
    const client = await connect('/mcp/everything');
    const resources = (await client.listResources()).resources;
    expect(resources.length).toBeGreaterThan(0);
    const first = resources[0]!;
    const read = await client.readResource({ uri: first.uri });
    expect(read.contents[0]?.uri).toBe(first.uri);
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    expect(prompts).toContain('simple-prompt');
    const prompt = await client.getPrompt({ name: 'simple-prompt' });
    expect(prompt.messages.length).toBeGreaterThan(0);
  });

  it('carries progress notifications and a sampling request across the proxy', async () => {
    let samplingRequests = 0;
    const client = await connect('/mcp/everything', { capabilities: { sampling: {} } });
    client.setRequestHandler('sampling/createMessage', async () => {
      samplingRequests++;
      return { model: 'test-model', role: 'assistant', content: { type: 'text', text: 'sampled-by-the-test-client' } };
    });
    const progress: number[] = [];
    const long = await client.callTool(
      { name: 'trigger-long-running-operation', arguments: { duration: 0.2, steps: 2 } },
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(long.isError).toBeFalsy();
    expect(progress).toEqual([1, 2]);

    const sampled = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hello', maxTokens: 5 } });
    expect(sampled.isError).toBeFalsy();
    expect(text(sampled)).toContain('sampled-by-the-test-client');
    expect(samplingRequests).toBe(1);
  });

  it('carries an elicitation request across the proxy', async () => {
    let asked = 0;
    const client = await connect('/mcp/everything', { capabilities: { elicitation: { form: {} } } });
    client.setRequestHandler('elicitation/create', async () => {
      asked++;
      return { action: 'decline' };
    });
    const result = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
    expect(asked).toBe(1);
    expect(text(result)).toMatch(/decline/i);
  });

  it('asks the user through elicitation when policy says ask; yes runs the call, no denies it', async () => {
    const messages: string[] = [];
    let answer = true;
    const client = await connect('/mcp/everything', { capabilities: { elicitation: { form: {} } } });
    client.setRequestHandler('elicitation/create', async (request) => {
      messages.push(String((request.params as { message?: string }).message));
      return { action: 'accept', content: { approve: answer } };
    });
    const approved = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } });
    expect(approved.isError).toBeFalsy();
    expect(text(approved)).toContain('5');
    expect(messages[0]).toContain('everything/get-sum');
    answer = false;
    const declined = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } });
    expect(declined.isError).toBe(true);
    expect(messages.length).toBe(2);
    const approvals = (await fx.records()).filter((r) => r.type === 'approval').map((r) => r.answer);
    expect(approvals).toEqual(expect.arrayContaining(['accept', 'decline']));

    // A client that cannot be asked gets the configured fallback (deny).
    const mute = await connect('/mcp/everything');
    const fallback = await mute.callTool({ name: 'get-sum', arguments: { a: 1, b: 1 } });
    expect(fallback.isError).toBe(true);
  });

  it('denies a tool policy refuses on the everything server (its secrets stay home)', async () => {
    const client = await connect('/mcp/everything');
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).not.toContain('get-env');
    const result = await client.callTool({ name: 'get-env', arguments: {} });
    expect(result.isError).toBe(true);
  });

  it('works with an older-spec client (SDK v1)', async () => {
    const client = new ClientV1({ name: 'v1-client', version: '1.0.0' });
    const transport = new TransportV1(new URL(`${base}/mcp/echo`), { requestInit: { headers: auth() } });
    await client.connect(transport);
    clients.push(client);
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toContain('echo');
    expect(tools).not.toContain('write_note');
    const result = await client.callTool({ name: 'echo', arguments: { message: 'from v1' } });
    expect(JSON.stringify(result.content)).toContain('from v1');
    const denied = await client.callTool({ name: 'write_note', arguments: { path: 'p' } });
    expect(denied.isError).toBe(true);
  });

  it('binds a session to the identity that opened it', async () => {
    const client = await connect('/mcp/echo');
    const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId;
    expect(sessionId).toBeDefined();
    const stolen = await fetch(`${base}/mcp/echo`, {
      method: 'POST',
      headers: {
        ...auth('second-agent-key-000000'),
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId!,
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(stolen.status).toBe(404);
    expect(((await stolen.json()) as { error: { code: number } }).error.code).toBe(-32001);
  });

  it('answers malformed JSON-RPC over HTTP with JSON-RPC errors, and keeps serving', async () => {
    const headers = { ...auth(), 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const notJson = await fetch(`${base}/mcp/echo`, { method: 'POST', headers, body: '{"jsonrpc": "2.0", ' });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { code: number } }).error.code).toBe(-32700);
    const noSession = await fetch(`${base}/mcp/echo`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
    expect(noSession.status).toBe(400);
    expect(((await noSession.json()) as { jsonrpc: string }).jsonrpc).toBe('2.0');

    const client = await connect('/mcp/echo');
    const sid = (client.transport as StreamableHTTPClientTransport).sessionId!;
    const invalid = await fetch(`${base}/mcp/echo`, {
      method: 'POST',
      headers: { ...headers, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '1.0', method: 42 }),
    });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { code: number } }).error.code).toBeLessThan(-32000);
    const unknownUpstream = await fetch(`${base}/mcp/nope`, { method: 'POST', headers, body: '{}' });
    expect(unknownUpstream.status).toBe(404);
    // The session still works.
    const ok = await client.callTool({ name: 'echo', arguments: { message: 'still here' } });
    expect(text(ok)).toContain('still here');
  });
});

describe('the aggregate endpoint', () => {
  it('merges tools under namespaced names and routes calls to the right upstream', async () => {
    const client = await connect('/mcp', { capabilities: { sampling: {} } });
    client.setRequestHandler('sampling/createMessage', async () => ({ model: 'm', role: 'assistant', content: { type: 'text', text: 'agg-sampled' } }));
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('filesystem__read_text_file');
    expect(names).toContain('echo__echo');
    expect(names).toContain('everything__echo');
    expect(names).not.toContain('filesystem__write_file');
    expect(names).not.toContain('echo__write_note');

    const echoed = await client.callTool({ name: 'echo__echo', arguments: { message: 'via aggregate' } });
    expect(text(echoed)).toContain('via aggregate');
    const narrowed = await client.callTool({ name: 'filesystem__read_text_file', arguments: { path: path.join(workDir, 'docs', 'notes.txt'), head: 9 } });
    expect(text(narrowed)).toContain('line two');
    expect(text(narrowed)).not.toContain('line three');
    const denied = await client.callTool({ name: 'filesystem__write_file', arguments: { path: path.join(workDir, 'x.txt'), content: 'x' } });
    expect(denied.isError).toBe(true);
    expect(existsSync(path.join(workDir, 'x.txt'))).toBe(false);
    const sampled = await client.callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'p', maxTokens: 3 } });
    expect(text(sampled)).toContain('agg-sampled');

    await expect(client.callTool({ name: 'nobody__echo', arguments: {} })).rejects.toThrow();
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    expect(prompts).toContain('everything__simple-prompt');
    const prompt = await client.getPrompt({ name: 'everything__simple-prompt' });
    expect(prompt.messages.length).toBeGreaterThan(0);
    const resources = (await client.listResources()).resources;
    expect(resources.length).toBeGreaterThan(0);
    const read = await client.readResource({ uri: resources[0]!.uri });
    expect(read.contents.length).toBeGreaterThan(0);
  });

  it('audits aggregate calls under the real upstream name', async () => {
    const records = await fx.records();
    const decisions = records.filter((r) => r.type === 'decision').map((r) => r.call as { server: string; tool: string });
    expect(decisions).toContainEqual(expect.objectContaining({ server: 'echo', tool: 'echo' }));
    expect(decisions).toContainEqual(expect.objectContaining({ server: 'filesystem', tool: 'write_file' }));
    expect(decisions.some((d) => d.tool.includes('__'))).toBe(false);
  });
});
