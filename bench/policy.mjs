#!/usr/bin/env node
// Policy decision latency for synthetic sets of 10, 100 and 1,000 rules.
// Run after `npm run build`: `node bench/policy.mjs` (or through bench/run.mjs).
import { pathToFileURL } from 'node:url';
import { compilePolicies } from '../dist/policy/index.js';

const SIZES = [10, 100, 1000];
const DECISIONS = 50_000;
const WARMUP = 10_000;

/** A small deterministic PRNG so every run measures the same workload. */
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SERVERS = ['filesystem', 'github', 'email', 'calendar', 'payments', 'shell', 'kubernetes', 'cloud', 'crm', 'db'];
const VERBS = ['get', 'list', 'read', 'search', 'create', 'update', 'delete', 'send', 'run', 'export'];
const NOUNS = ['file', 'issue', 'pull_request', 'email', 'event', 'payment', 'command', 'pod', 'instance', 'contact', 'record', 'report'];
const CONDITIONS = [
  'has(args.path) && args.path.startsWith("/workspace")',
  'has(args.amount) && args.amount > 500',
  'has(args.path) && args.path.re2Match(r"(^|/)\\.(ssh|aws|env)(/|$)")',
  'session.untrustedSeen && has(args.to)',
  '"admin" in principal.groups || principal.user == "root"',
  'has(args.limit) && args.limit > 100',
  'has(args.namespace) && args.namespace in ["prod", "production", "kube-system"]',
];

function pick(rand, xs) {
  return xs[Math.floor(rand() * xs.length)];
}

function toolName(rand) {
  return `${pick(rand, VERBS)}_${pick(rand, NOUNS)}`;
}

/** A realistic mix: mostly exact tool names, some globs, a third with CEL conditions on args. */
export function syntheticPolicy(size, seed = 1) {
  const rand = prng(seed);
  const lines = ['version: 1', 'defaults: { decision: judge }', 'rules:'];
  for (let i = 0; i < size; i++) {
    const r = rand();
    const effect = r < 0.15 ? 'deny' : r < 0.6 ? 'allow' : r < 0.9 ? 'judge' : 'ask';
    const server = rand() < 0.9 ? pick(rand, SERVERS) : `${pick(rand, SERVERS).slice(0, 3)}*`;
    const tool = rand() < 0.75 ? [toolName(rand), toolName(rand)] : [`${pick(rand, VERBS)}_*`];
    lines.push(`  - id: rule-${i}`, `    effect: ${effect}`, `    match: { server: ${JSON.stringify(server)}, tool: ${JSON.stringify(tool)} }`);
    if (rand() < 0.35) lines.push(`    when: ${JSON.stringify(pick(rand, CONDITIONS))}`);
    if (effect !== 'deny') {
      lines.push('    scopes: [read, write]');
      if (rand() < 0.5) lines.push('    args: { path: { within: [/workspace] }, limit: { max: 100 } }');
    }
  }
  return `${lines.join('\n')}\n`;
}

function syntheticCalls(count, seed = 2) {
  const rand = prng(seed);
  const calls = [];
  for (let i = 0; i < count; i++) {
    calls.push({
      server: pick(rand, SERVERS),
      tool: toolName(rand),
      args: {
        path: rand() < 0.5 ? '/workspace/src/app.ts' : '/home/u/.ssh/id_rsa',
        amount: Math.floor(rand() * 1000),
        limit: Math.floor(rand() * 200),
        to: 'bob@example.com',
        namespace: rand() < 0.2 ? 'prod' : 'staging',
      },
      principal: { agent: 'agent-1', user: 'alice', groups: rand() < 0.1 ? ['admin'] : ['dev'] },
      session: { id: 's1', calls: i, denials: 0, untrustedSeen: rand() < 0.3, tags: [] },
    });
  }
  return calls;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function measure(size) {
  const engine = compilePolicies([{ file: `synthetic-${size}.yaml`, text: syntheticPolicy(size) }]);
  const calls = syntheticCalls(4096);
  let sink = 0;
  for (let i = 0; i < WARMUP; i++) sink += engine.evaluate(calls[i % calls.length]).matchedRules.length;
  const samples = new Float64Array(DECISIONS);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < DECISIONS; i++) {
    const c = calls[i % calls.length];
    const s = process.hrtime.bigint();
    sink += engine.evaluate(c).matchedRules.length;
    samples[i] = Number(process.hrtime.bigint() - s) / 1000;
  }
  const totalS = Number(process.hrtime.bigint() - t0) / 1e9;
  // Throughput without the per-call timer overhead.
  const t1 = process.hrtime.bigint();
  for (let i = 0; i < DECISIONS; i++) sink += engine.evaluate(calls[i % calls.length]).matchedRules.length;
  const rawS = Number(process.hrtime.bigint() - t1) / 1e9;
  const sorted = Array.from(samples).sort((a, b) => a - b);
  return {
    rules: size,
    p50_us: percentile(sorted, 50),
    p99_us: percentile(sorted, 99),
    max_us: sorted[sorted.length - 1],
    decisions_per_s: Math.round(DECISIONS / rawS),
    timed_s: totalS,
    sink,
  };
}

/** Runs the benchmark; prints a table and returns the rows (for bench/run.mjs). */
export async function run({ print = true } = {}) {
  const rows = SIZES.map(measure);
  if (print) {
    const out = [
      'policy decision latency (synthetic rules: exact tools, globs, ~35% with CEL conditions on args)',
      '',
      '| rules | p50 (µs) | p99 (µs) | decisions/s |',
      '|------:|---------:|---------:|------------:|',
      ...rows.map((r) => `| ${String(r.rules).padStart(5)} | ${r.p50_us.toFixed(2).padStart(8)} | ${r.p99_us.toFixed(2).padStart(8)} | ${r.decisions_per_s.toLocaleString('en-US').padStart(11)} |`),
      '',
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  }
  return rows.map(({ sink: _sink, timed_s: _t, ...r }) => r);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
