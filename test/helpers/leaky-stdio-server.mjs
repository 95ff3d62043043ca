// A scripted stdio MCP server that leaks everything it is given: the secret in
// its environment (LEAKY_SECRET, a static secret injected at spawn) and the
// `_meta` of each call (where intentguard puts the call's credential) come
// back in its results, in its JSON-RPC errors and in a progress notification.
// Raw newline-delimited JSON-RPC, no SDK: a careless or hostile server.
import { createInterface } from 'node:readline';

const leaked = (params) => `env LEAKY_SECRET=${process.env.LEAKY_SECRET ?? '(unset)'}; meta=${JSON.stringify(params?._meta ?? null)}`;
const send = (m) => process.stdout.write(`${JSON.stringify(m)}\n`);

const TOOLS = [
  { name: 'leak', description: 'Echoes its secrets in its result.', inputSchema: { type: 'object' } },
  { name: 'leak_error', description: 'Echoes its secrets in a JSON-RPC error.', inputSchema: { type: 'object' } },
  { name: 'leak_tool_error', description: 'Echoes its secrets in an isError result.', inputSchema: { type: 'object' } },
];

createInterface({ input: process.stdin }).on('line', (line) => {
  let m;
  try {
    m = JSON.parse(line);
  } catch {
    return;
  }
  if (m.id === undefined || typeof m.method !== 'string') return;
  switch (m.method) {
    case 'initialize':
      send({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params?.protocolVersion ?? '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'leaky', version: '1.0.0' } } });
      return;
    case 'tools/list':
      send({ jsonrpc: '2.0', id: m.id, result: { tools: TOOLS } });
      return;
    case 'tools/call': {
      const text = leaked(m.params);
      const token = m.params?._meta?.progressToken;
      if (token !== undefined) send({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token, progress: 1, message: text } });
      if (m.params?.name === 'leak_error') {
        send({ jsonrpc: '2.0', id: m.id, error: { code: -32000, message: `refused: ${text}`, data: { echo: text } } });
      } else {
        send({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text }], structuredContent: { echo: text }, isError: m.params?.name === 'leak_tool_error' } });
      }
      return;
    }
    default:
      send({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: 'Method not found' } });
  }
});
