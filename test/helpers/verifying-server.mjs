// A small real MCP server (SDK v2, Streamable HTTP) as a tool author would
// write it: every call's credential is checked with `intentguard/verify`
// (the package's published entry point, remote JWKS over HTTP) before the tool
// runs, and the tool answers with the claims it saw — never the token.
//
// Environment:
//   VERIFY_ISSUER    the expected `iss`
//   VERIFY_AUDIENCE  this server's audience
// Control:
//   stdout, first line: `listening <url>` (port 0 on 127.0.0.1)
//   stdin, one JSON line: {"jwksUrl": "..."} — intentguard's JWKS, known once it listens
//   POST /__replay {"args": {...}} — a test playing an attacker who captured the last
//     token: verifies it again with this server's verifier, answers {ok, code}
import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { McpServer } from '@modelcontextprotocol/server';
import { bearerToken, createVerifier } from 'intentguard/verify';
import { z } from 'zod';

const issuer = process.env.VERIFY_ISSUER;
const audience = process.env.VERIFY_AUDIENCE;
let verifier;
let lastToken;
/** What each request carried, by `<session>:<request id>`: the token and the raw arguments. */
const received = new Map();

createInterface({ input: process.stdin }).on('line', (line) => {
  const { jwksUrl } = JSON.parse(line);
  verifier = createVerifier({ issuer, audience, jwksUrl });
});

async function check(ctx, tool, requiredScopes) {
  const key = `${ctx.sessionId}:${String(ctx.mcpReq.id)}`;
  const { token, args } = received.get(key) ?? {};
  received.delete(key);
  lastToken = token;
  try {
    const v = await verifier.verify(token, { args, requiredScopes, tool });
    return { content: [{ type: 'text', text: JSON.stringify({ ok: true, claims: v.claims, agent: v.agent, subject: v.subject }) }] };
  } catch (e) {
    return { isError: true, content: [{ type: 'text', text: JSON.stringify({ ok: false, code: e.code ?? 'error' }) }] };
  }
}

function build() {
  const server = new McpServer({ name: 'verifying-files', version: '1.0.0' });
  server.registerTool(
    'read_file',
    { description: 'Reads a file (answers with the credential claims it verified).', inputSchema: z.looseObject({ path: z.string(), limit: z.number().optional() }) },
    async (_args, ctx) => check(ctx, 'read_file', ['files:read']),
  );
  server.registerTool(
    'write_file',
    { description: 'Writes a file (needs files:write).', inputSchema: z.looseObject({ path: z.string(), content: z.string().optional() }) },
    async (_args, ctx) => check(ctx, 'write_file', ['files:write']),
  );
  return server;
}

const transports = new Map();
const http = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    void (async () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = raw === '' ? undefined : JSON.parse(raw);
      if (req.url === '/__replay') {
        try {
          await verifier.verify(lastToken, { args: body.args, tool: 'read_file' });
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
        } catch (e) {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, code: e.code ?? 'error' }));
        }
        return;
      }
      const sid = req.headers['mcp-session-id'];
      for (const m of Array.isArray(body) ? body : [body]) {
        if (m && m.method === 'tools/call') received.set(`${sid}:${String(m.id)}`, { token: bearerToken(req.headers.authorization), args: m.params?.arguments ?? {} });
      }
      let transport = typeof sid === 'string' ? transports.get(sid) : undefined;
      if (!transport) {
        transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (id) => void transports.set(id, transport) });
        await build().connect(transport);
      }
      await transport.handleRequest(req, res, body);
    })().catch((e) => {
      process.stderr.write(`verifying-server: ${e?.message ?? e}\n`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
});

http.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${http.address().port}/mcp\n`);
});
process.stdin.on('end', () => process.exit(0));
