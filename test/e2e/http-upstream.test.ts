import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { McpServer } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { API_KEY, auth, makeFixture, sha256Hex, type Fixture } from '../server/fixtures.js';

/**
 * The HTTP service in front of an upstream that itself speaks Streamable HTTP
 * (an SDK-built server on port 0 that records every request's headers): calls
 * are guarded the same way, and the agent's own key never reaches the upstream.
 */

interface Seen {
  headers: IncomingMessage['headers'];
  body: unknown;
}

let upstream: Server;
let upstreamUrl: string;
const seen: Seen[] = [];
const calls: { tool: string; args: unknown }[] = [];
let fx: Fixture;
let base: string;
let client: Client;

function buildUpstreamServer(): McpServer {
  const server = new McpServer({ name: 'remote-echo', version: '1.0.0' });
  server.registerTool('echo', { description: 'Echoes its arguments.', inputSchema: z.looseObject({ message: z.string().optional(), limit: z.number().optional() }) }, async (args) => {
    calls.push({ tool: 'echo', args });
    return { content: [{ type: 'text', text: JSON.stringify({ args }) }] };
  });
  server.registerTool('drop_table', { description: 'Drops a table.', inputSchema: z.looseObject({ table: z.string() }) }, async (args) => {
    calls.push({ tool: 'drop_table', args });
    return { content: [{ type: 'text', text: 'dropped' }] };
  });
  return server;
}

beforeAll(async () => {
  const transports = new Map<string, NodeStreamableHTTPServerTransport>();
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const body: unknown = raw === '' ? undefined : JSON.parse(raw);
        seen.push({ headers: req.headers, body });
        const sid = req.headers['mcp-session-id'];
        let transport = typeof sid === 'string' ? transports.get(sid) : undefined;
        if (!transport) {
          transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (id) => void transports.set(id, transport!) });
          await buildUpstreamServer().connect(transport);
        }
        await transport.handleRequest(req, res, body);
      })();
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/mcp`;

  fx = await makeFixture({
    policy: `version: 1
defaults: { decision: deny }
rules:
  - id: remote-echo
    match: { server: remote, tool: echo }
    effect: allow
    args:
      limit: { max: 5 }
  - id: remote-no-drop
    description: no schema changes
    match: { server: remote, tool: drop_table }
    effect: deny
`,
    config: `server:
  auth:
    api_keys:
      - { id: agent-1, sha256: ${sha256Hex(API_KEY)} }
upstreams:
  - name: remote
    http: { url: "${upstreamUrl}", headers: { x-static-header: configured } }
`,
  });
  base = await fx.app.listen({ port: 0, host: '127.0.0.1' });
  client = new Client({ name: 'upstream-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/remote`), { requestInit: { headers: auth() } }));
});

afterAll(async () => {
  await client?.close();
  await fx?.close();
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

describe('a Streamable HTTP upstream behind the HTTP service', () => {
  it('guards calls: narrowed arguments reach it, denied calls never do', async () => {
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toEqual(['echo']);
    const narrowed = await client.callTool({ name: 'echo', arguments: { message: 'hi', limit: 100 } });
    expect(narrowed.isError).toBeFalsy();
    expect(calls.at(-1)).toEqual({ tool: 'echo', args: { message: 'hi', limit: 5 } });
    const denied = await client.callTool({ name: 'drop_table', arguments: { table: 'users' } });
    expect(denied.isError).toBe(true);
    expect(calls.some((c) => c.tool === 'drop_table')).toBe(false);
  });

  it('feeds results to the session, whose history the guard reads', async () => {
    const sid = (client.transport as StreamableHTTPClientTransport).sessionId!;
    const session = fx.runtime.sessions.get(sid);
    expect(session?.history.some((h) => h.tool === 'echo' && (h.result ?? '').includes('"limit":5'))).toBe(true);
  });

  it('in shadow mode runs a call policy denies, and audits that it would have been denied', async () => {
    const shadow = await makeFixture({
      policy: `version: 1
defaults: { decision: deny }
rules:
  - id: remote-no-drop
    match: { server: remote, tool: drop_table }
    effect: deny
`,
      config: `mode: shadow
server:
  auth:
    api_keys:
      - { id: agent-1, sha256: ${sha256Hex(API_KEY)} }
upstreams:
  - name: remote
    http: { url: "${upstreamUrl}", headers: { x-static-header: configured } }
`,
    });
    try {
      const shadowBase = await shadow.app.listen({ port: 0, host: '127.0.0.1' });
      const c = new Client({ name: 'shadow', version: '1.0.0' });
      await c.connect(new StreamableHTTPClientTransport(new URL(`${shadowBase}/mcp/remote`), { requestInit: { headers: auth() } }));
      const result = await c.callTool({ name: 'drop_table', arguments: { table: 'audit_me' } });
      expect(result.isError).toBeFalsy();
      expect(calls).toContainEqual({ tool: 'drop_table', args: { table: 'audit_me' } });
      await c.close();
      const decision = (await shadow.records()).find((r) => r.type === 'decision' && (r.call as { tool: string }).tool === 'drop_table');
      expect(decision).toMatchObject({ decision: 'deny', mode: 'shadow' });
      expect(decision?.flags).toContain('shadow-would-deny');
    } finally {
      await shadow.close();
    }
  });

  it("never forwards the agent's key; sends the configured static headers", async () => {
    expect(seen.length).toBeGreaterThan(0);
    for (const s of seen) {
      expect(JSON.stringify(s.headers)).not.toContain(API_KEY);
      expect(s.headers.authorization).toBeUndefined();
      expect(s.headers['x-static-header']).toBe('configured');
    }
  });
});
