import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretValue, type Credential } from '../../src/credentials/types.js';
import { HttpUpstreamLink } from '../../src/proxy/http-upstream.js';

/** A minimal Streamable HTTP server: answers every request with JSON and remembers the headers it saw. */
let server: Server;
let url: URL;
const seen: { method: string; headers: IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      const msg = JSON.parse(body) as { id?: number; method: string };
      seen.push({ method: msg.method, headers: req.headers });
      if (msg.id === undefined) {
        res.writeHead(202).end();
        return;
      }
      const result = msg.method === 'initialize' ? { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'h', version: '1' } } : { content: [{ type: 'text', text: 'ok' }] };
      res.writeHead(200, { 'content-type': 'application/json', ...(msg.method === 'initialize' ? { 'mcp-session-id': 'sess-1' } : {}) });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const credential: Credential = { id: 'cred-9', kind: 'jwt', scopes: ['a'], audience: 'aud', expiresAt: 0, secret: new SecretValue('per-call-token-123') };

describe('HttpUpstreamLink', () => {
  it('puts a call\'s credential in that request\'s Authorization header only, and keeps its static headers', async () => {
    const link = new HttpUpstreamLink(url, { headers: { 'x-team': 'blue' } });
    const got: unknown[] = [];
    link.onmessage = (m) => got.push(m);
    await link.start();
    await link.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '1' } } });
    link.setProtocolVersion('2025-06-18');
    await link.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 't', arguments: {} } }, { credential });
    await link.send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 't', arguments: {} } });
    await expect.poll(() => got.length).toBe(3);
    await link.close();

    const calls = seen.filter((s) => s.method === 'tools/call');
    expect(calls[0]!.headers.authorization).toBe('Bearer per-call-token-123');
    expect(calls[1]!.headers.authorization).toBeUndefined();
    for (const s of seen) {
      expect(s.headers['x-team']).toBe('blue');
      expect(Object.keys(s.headers).some((h) => h.startsWith('x-intentguard'))).toBe(false);
    }
    expect(calls[0]!.headers['mcp-session-id']).toBe('sess-1');
    expect(calls[0]!.headers['mcp-protocol-version']).toBe('2025-06-18');
    expect(link.credentialCarrier).toBe('header');
  });
});
