#!/usr/bin/env node
// Throughput of `POST /v1/decide` on the real HTTP service (the built CLI,
// `intentguard serve`, in its own process on 127.0.0.1 port 0), driven by
// autocannon from this process: policy-only decisions (the rules allow, narrow
// or deny without the judge), API-key authentication on, audit log on with
// batch durability (group commit). Then sequential tools/call latency over the
// HTTP front (/mcp/NAME) vs direct to the same Streamable HTTP upstream
// (`--no-mcp` skips it; `--durability=none|fsync` changes the audit durability).
// Run after `npm run build`: `node bench/http.mjs` (or through bench/run.mjs).
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { URL, fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'dist/cli/bin.js');
const require = createRequire(import.meta.url);
const autocannon = require('autocannon');

const KEY = 'bench-agent-key-0123456789';

const POLICY = `version: 1
name: bench
defaults: { decision: deny }
rules:
  - id: fs-read
    description: reading inside the workspace is routine
    match: { server: filesystem, tool: [read_text_file, get_file_info] }
    effect: allow
    scopes: [fs:read]
    args:
      path: { within: [/workspace] }
      head: { min: 1, max: 100 }
  - id: fs-no-keys
    description: never read key material
    match: { server: filesystem, tool: read_text_file }
    when: 'args.path.endsWith(".pem")'
    effect: deny
  - id: remote-echo
    match: { server: remote, tool: echo }
    effect: allow
`;

/** A mix of decisions: mostly fast-path allows, some narrowed, some denied. */
const BODIES = [
  { call: { server: 'filesystem', tool: 'read_text_file', args: { path: '/workspace/src/index.ts' } } },
  { call: { server: 'filesystem', tool: 'get_file_info', args: { path: '/workspace/README.md' } } },
  { call: { server: 'filesystem', tool: 'read_text_file', args: { path: '/workspace/notes.md', head: 5000 } } },
  { call: { server: 'filesystem', tool: 'read_text_file', args: { path: '/workspace/keys/server.pem' } } },
].map((b) => JSON.stringify({ task: 'summarise the project notes', ...b }));

function sha256(s) {
  return createHash('sha256').update(s).digest('hex');
}

async function startServe(dir, extraConfig = '', durability = 'batch', nodeArgs = []) {
  writeFileSync(path.join(dir, 'policy.yaml'), POLICY);
  writeFileSync(
    path.join(dir, 'config.yaml'),
    `policies: [policy.yaml]
audit: { file: audit.jsonl, durability: ${durability} }
state_dir: state
server:
  body_limit: 65536
  max_mcp_sessions: 16
  auth:
    api_keys:
      - { id: bench, sha256: ${sha256(KEY)} }
${extraConfig}`,
  );
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'serve', '--config', path.join(dir, 'config.yaml'), '--port', '0', '--log-level', 'warn'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const base = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`serve exited (${code}): ${stderr}`)));
  });
  const stop = async () => {
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  return { base, stop, cpuMs: () => cpuMs(child.pid) };
}

/** CPU time (user + system) a process used so far, in ms, from /proc (Linux); NaN elsewhere. */
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / 100;
  } catch {
    return NaN;
  }
}

function cannon(opts) {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/** POST /v1/decide throughput for each (connections, pipelining) setting. */
export async function run(options = {}) {
  const duration = options.duration ?? Number(process.env.BENCH_HTTP_SECONDS ?? 5);
  const settings = options.settings ?? [
    { connections: 2, pipelining: 1 },
    { connections: 16, pipelining: 1 },
    { connections: 64, pipelining: 1 },
    { connections: 64, pipelining: 4 },
  ];
  const dir = mkdtempSync(path.join(tmpdir(), 'ig-bench-http-'));
  const serve = await startServe(dir, '', options.durability ?? 'batch', options.nodeArgs ?? []);
  try {
    const requests = BODIES.map((body) => ({ method: 'POST', path: '/v1/decide', body }));
    const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
    // Warm-up: JIT, caches, the audit log's first writes.
    await cannon({ url: serve.base, headers, requests, connections: 8, duration: 2 });
    const results = [];
    for (const s of settings) {
      const cpuBefore = serve.cpuMs();
      const r = await cannon({ url: serve.base, headers, requests, connections: s.connections, pipelining: s.pipelining, duration });
      const cpuUsed = serve.cpuMs() - cpuBefore;
      results.push({
        serverCpuUsPerRequest: (cpuUsed * 1000) / Math.max(1, r.requests.total),
        ...s,
        requestsPerSec: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        total: r.requests.total,
        errors: r.errors + r.timeouts,
        non2xx: r.non2xx,
      });
    }
    const mcp = (options.mcp ?? true) ? await mcpLatency(options) : undefined;
    return { duration, durability: options.durability ?? 'batch', results, ...(mcp ? { mcp } : {}) };
  } finally {
    await serve.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sequential tools/call latency: direct to a Streamable HTTP upstream vs through the service's /mcp/remote. */
async function mcpLatency(options) {
  const { Client, StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
  const { NodeStreamableHTTPServerTransport } = await import('@modelcontextprotocol/node');
  const { McpServer } = await import('@modelcontextprotocol/server');
  const { z } = await import('zod');
  const calls = options.calls ?? 1000;
  const transports = new Map();
  const upstream = createServer(async (req, res) => {
    const sid = req.headers['mcp-session-id'];
    let transport = typeof sid === 'string' ? transports.get(sid) : undefined;
    if (!transport) {
      const t = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (id) => transports.set(id, t) });
      const server = new McpServer({ name: 'bench-echo', version: '1.0.0' });
      server.registerTool('echo', { description: 'Echo.', inputSchema: z.looseObject({ message: z.string().optional() }) }, async (args) => ({
        content: [{ type: 'text', text: String(args.message ?? '') }],
      }));
      await server.connect(t);
      transport = t;
    }
    await transport.handleRequest(req, res);
  });
  await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamUrl = `http://127.0.0.1:${upstream.address().port}/mcp`;
  const dir = mkdtempSync(path.join(tmpdir(), 'ig-bench-mcp-'));
  mkdirSync(path.join(dir, 'state'));
  const serve = await startServe(dir, `upstreams:\n  - name: remote\n    http: { url: "${upstreamUrl}" }\n`, options.durability ?? 'batch');
  try {
    const connect = async (url, headers) => {
      const client = new Client({ name: 'bench', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
      return client;
    };
    const targets = [
      { name: 'direct', client: await connect(upstreamUrl, {}) },
      { name: 'via-http', client: await connect(`${serve.base}/mcp/remote`, { authorization: `Bearer ${KEY}` }) },
    ];
    const samples = new Map(targets.map((t) => [t.name, []]));
    const round = 50;
    for (let pass = 0; pass < 2; pass++) {
      const n = pass === 0 ? Math.min(200, calls) : calls;
      for (let i = 0; i < n; i += round) {
        for (const t of targets) {
          for (let j = 0; j < round; j++) {
            const start = performance.now();
            const res = await t.client.callTool({ name: 'echo', arguments: { message: 'x' } });
            if (res.isError) throw new Error(`${t.name}: echo failed`);
            if (pass === 1) samples.get(t.name).push(performance.now() - start);
          }
        }
      }
    }
    for (const t of targets) await t.client.close();
    const q = (arr, p) => {
      const s = [...arr].sort((a, b) => a - b);
      return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
    };
    return targets.map((t) => ({ target: t.name, n: samples.get(t.name).length, p50: q(samples.get(t.name), 0.5), p99: q(samples.get(t.name), 0.99) }));
  } finally {
    await serve.stop();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

export function print(report) {
  console.log(`POST /v1/decide, policy-only decisions, audit ${report.durability}, API key auth; ${report.duration} s per setting (autocannon)`);
  console.log(`${'conns'.padStart(5)} ${'pipe'.padStart(4)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'cpu µs'.padStart(7)} ${'errors'.padStart(6)} ${'non2xx'.padStart(6)}`);
  for (const r of report.results) {
    console.log(
      `${String(r.connections).padStart(5)} ${String(r.pipelining).padStart(4)} ${r.requestsPerSec.toFixed(0).padStart(9)} ${String(r.p50).padStart(7)} ${String(r.p99).padStart(7)} ${r.serverCpuUsPerRequest.toFixed(0).padStart(7)} ${String(r.errors).padStart(6)} ${String(r.non2xx).padStart(6)}`,
    );
  }
  console.log('cpu µs: server process CPU time (user + system) per request; 1e6 / cpu µs is its ceiling per core.');
  const best = Math.max(...report.results.map((r) => r.requestsPerSec));
  console.log(`best ${best.toFixed(0)} decisions/s (target ≥ 10,000): ${best >= 10_000 ? 'met' : 'NOT met'}`);
  if (report.mcp) {
    console.log(`tools/call over Streamable HTTP, sequential, audit ${report.durability}, ms:`);
    for (const m of report.mcp) console.log(`  ${m.target.padEnd(9)} p50 ${m.p50.toFixed(3)}  p99 ${m.p99.toFixed(3)}  (n=${m.n})`);
    const [d, v] = report.mcp;
    console.log(`  added: ${(v.p50 - d.p50).toFixed(3)} ms p50, ${(v.p99 - d.p99).toFixed(3)} ms p99`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const durability = process.argv.find((a) => a.startsWith('--durability='))?.split('=')[1];
  print(await run({ mcp: !process.argv.includes('--no-mcp'), ...(durability ? { durability } : {}) }));
}
