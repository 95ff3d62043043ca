#!/usr/bin/env node
// Judge latency. Cache-hit path: a cached LLM verdict answered for a realistic
// judge input (key = sha256 of canonical JSON of what the judge sees, then an
// LRU lookup). Run after `npm run build`: `node bench/judge.mjs` (or through bench/run.mjs).
import { pathToFileURL } from 'node:url';
import { JudgeCache, withCache } from '../dist/judge/cache.js';

const CALLS = 50_000;
const WARMUP = 10_000;
const DISTINCT = 256;

/** A realistic judge input: a task, three earlier calls, a tool definition, a boundary and provenance facts. */
function realisticInput(i) {
  const recipient = `colleague${i}@example.com`;
  return {
    task: `Find the latest invoice from ACME in my inbox and forward it to ${recipient} with a short note saying it is approved for payment.`,
    principal: { agent: 'mail-assistant', user: 'alice@example.com', groups: ['finance'] },
    history: [
      { server: 'mail', tool: 'search_inbox', args: { query: 'from:acme invoice', limit: 10 }, result: 'Subject: Invoice 2026-01 …' },
      { server: 'mail', tool: 'read_message', args: { id: `msg-${1000 + i}` }, result: 'Please find attached invoice 2026-01 for EUR 1,250.00 …' },
      { server: 'mail', tool: 'list_attachments', args: { id: `msg-${1000 + i}` }, result: '[{"name":"invoice-2026-01.pdf"}]' },
    ],
    call: {
      server: 'mail',
      tool: 'forward_message',
      args: { id: `msg-${1000 + i}`, to: [recipient], note: 'Approved for payment.', include_attachments: true },
    },
    tool: {
      name: 'forward_message',
      description: 'Forward a message, with its attachments, to one or more recipients.',
      annotations: { destructiveHint: false, openWorldHint: true },
      inputSchema: {
        type: 'object',
        properties: { id: { type: 'string' }, to: { type: 'array', items: { type: 'string' } }, note: { type: 'string' }, include_attachments: { type: 'boolean' } },
        required: ['id', 'to'],
      },
    },
    boundary: { scopes: ['mail.send', 'mail.read'], args: { to: [{ kind: 'domain', domains: ['example.com'] }, { kind: 'maxLength', max: 5 }] } },
    provenance: [
      { arg: 'id', value: `msg-${1000 + i}`, source: 'untrusted', seenIn: [{ tool: 'search_inbox', index: 1 }] },
      { arg: 'to.0', value: recipient, source: 'task', seenIn: [] },
      { arg: 'note', value: 'Approved for payment.', source: 'nowhere', seenIn: [] },
      { arg: 'include_attachments', value: 'true', source: 'nowhere', seenIn: [] },
    ],
  };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** An LLM judge stand-in: it is called only on a miss, which the measured loop never has. */
const llm = {
  spec: 'openai:gpt-4o-mini',
  async judge() {
    return {
      ok: true,
      verdict: {
        decision: 'allow',
        reason: 'The user asked to forward this invoice to this recipient.',
        confidence: 0.93,
        evidence: [{ arg: 'to', source: 'task', detail: 'recipient named by the user' }],
        provider: 'openai',
        model: 'gpt-4o-mini',
        promptId: 'authorize-v1',
        promptHash: 'f'.repeat(64),
        latencyMs: 850,
        usage: { inputTokens: 1400, outputTokens: 90 },
        cached: false,
      },
    };
  },
};

async function measureCacheHit() {
  const cache = new JudgeCache();
  const judge = withCache(llm, cache, { promptHash: 'f'.repeat(64) });
  const inputs = Array.from({ length: DISTINCT }, (_, i) => realisticInput(i));
  for (const input of inputs) await judge.judge(input);
  let sink = 0;
  for (let i = 0; i < WARMUP; i++) sink += (await judge.judge(inputs[i % DISTINCT])).ok ? 1 : 0;
  const samples = new Float64Array(CALLS);
  for (let i = 0; i < CALLS; i++) {
    const input = inputs[i % DISTINCT];
    const s = process.hrtime.bigint();
    const r = await judge.judge(input);
    samples[i] = Number(process.hrtime.bigint() - s) / 1000;
    if (!r.ok || !r.verdict.cached) throw new Error('expected a cache hit');
    sink += 1;
  }
  const sorted = Array.from(samples).sort((a, b) => a - b);
  const stats = cache.stats();
  return {
    path: 'cache hit',
    p50_us: percentile(sorted, 50),
    p99_us: percentile(sorted, 99),
    max_us: sorted[sorted.length - 1],
    hits: stats.hits,
    misses: stats.misses,
    sink,
  };
}

/** Runs the benchmark; prints a table and returns the rows (for bench/run.mjs). */
export async function run({ print = true } = {}) {
  const rows = [await measureCacheHit()];
  if (print) {
    const out = [
      'judge latency (cache-hit path: canonical-JSON sha256 key + LRU lookup, realistic inputs; target p99 ≤ 20 µs)',
      '',
      '| path | p50 (µs) | p99 (µs) | hits | misses |',
      '|------|---------:|---------:|-----:|-------:|',
      ...rows.map((r) => `| ${r.path} | ${r.p50_us.toFixed(2).padStart(8)} | ${r.p99_us.toFixed(2).padStart(8)} | ${r.hits} | ${r.misses} |`),
      '',
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  }
  return rows.map(({ sink: _sink, ...r }) => r);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
