// Audit log append throughput and latency per durability mode.
// Run after a build: `node bench/audit.mjs` (or through `npm run bench`).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { AuditLog } from '../dist/audit/index.js';

function entry(i) {
  return {
    type: 'decision',
    txn: `txn-${i}`,
    sessionId: `s-${i % 13}`,
    call: { server: 'filesystem', tool: 'read_text_file', args: { path: `/workspace/docs/${i}.md`, limit: i % 200 } },
    decision: i % 7 === 0 ? 'deny' : 'allow',
    mode: 'enforce',
    matchedRules: ['fs-read-workspace'],
    reasons: ['rule fs-read-workspace allows reads under /workspace'],
    judge: { spec: 'offline', verdict: { decision: 'allow', confidence: 0.9, reason: 'the task asks to read the docs' } },
    grant: { scopes: ['fs:read'], args: { path: `/workspace/docs/${i}.md`, limit: 10 } },
    flags: i % 7 === 0 ? ['judge-denied'] : [],
    timings: { policyUs: 3.5, judgeMs: 0.2, scopeUs: 2, auditMs: 0, totalMs: 1 },
  };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Sequential appends (each awaited): the latency a single caller sees. */
async function latency(file, durability, n) {
  const log = await AuditLog.open(file, { durability });
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await log.append(entry(i));
    ms.push(performance.now() - t);
  }
  await log.close();
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p99: percentile(ms, 99) };
}

/** Up to `window` appends in flight: the throughput a busy guard gets. */
async function throughput(file, durability, n, window) {
  const log = await AuditLog.open(file, { durability });
  const inflight = new Set();
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    const p = log.append(entry(i)).finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= window) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  await log.flush();
  const seconds = (performance.now() - t) / 1000;
  const { syncs } = log.stats;
  await log.close();
  return { perSec: n / seconds, syncs };
}

export async function run({ print = true } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ig-bench-audit-'));
  const plan = [
    { durability: 'none', seq: 5000, n: 20000 },
    { durability: 'batch', seq: 500, n: 5000 },
    { durability: 'fsync', seq: 300, n: 1000 },
  ];
  const results = [];
  try {
    for (const { durability, seq, n } of plan) {
      const lat = await latency(path.join(dir, `${durability}-latency.jsonl`), durability, seq);
      const tp = await throughput(path.join(dir, `${durability}-throughput.jsonl`), durability, n, 64);
      results.push({ durability, appendsPerSec: Math.round(tp.perSec), p50Ms: lat.p50, p99Ms: lat.p99, records: n, fsyncs: tp.syncs });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (print) {
    console.log('audit log append (64 in flight for appends/s; sequential for latency)');
    console.log('durability  appends/s   p50 ms   p99 ms   fsyncs/records');
    for (const r of results) {
      console.log(
        `${r.durability.padEnd(10)}  ${String(r.appendsPerSec).padStart(9)}  ${r.p50Ms.toFixed(3).padStart(7)}  ${r.p99Ms.toFixed(3).padStart(7)}   ${r.fsyncs}/${r.records}`,
      );
    }
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
