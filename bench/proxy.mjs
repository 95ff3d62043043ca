#!/usr/bin/env node
// tools/call latency through the stdio proxy vs the same call made directly to
// the same upstream (@modelcontextprotocol/server-filesystem), in one run.
// The proxy runs as the real CLI with a fast-path allow policy, the audit log on
// and tool pinning on; once with batch durability (the default) and once with
// durability none, so the audit's fsync share shows. Calls are sequential and interleaved
// in rounds so that machine noise falls on both sides alike.
// Run after `npm run build`: `node bench/proxy.mjs` (or through bench/run.mjs).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'dist/cli/bin.js');
const require = createRequire(import.meta.url);

const POLICY = `version: 1
name: bench
defaults: { decision: deny }
rules:
  - id: fs-fast-path
    description: metadata reads take the fast path
    match: { server: filesystem, tool: [get_file_info, list_allowed_directories] }
    effect: allow
    scopes: [fs:read]
`;

function filesystemServer() {
  const pkg = require.resolve('@modelcontextprotocol/server-filesystem/package.json');
  return path.join(path.dirname(pkg), 'dist/index.js');
}

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

function summary(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: quantile(s, 0.5), p90: quantile(s, 0.9), p99: quantile(s, 0.99), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

async function connect(name, command, args) {
  const client = new Client({ name: `bench-${name}`, version: '1.0.0' });
  const transport = new StdioClientTransport({ command, args, stderr: 'ignore' });
  await client.connect(transport);
  return { name, client };
}

/**
 * Measures each target: `warmup` calls, then `calls` measured calls, interleaved
 * in rounds of `round` calls per target.
 */
async function measure(options) {
  const calls = options.calls ?? Number(process.env.BENCH_PROXY_CALLS ?? 2000);
  const warmup = options.warmup ?? Math.min(500, calls);
  const round = options.round ?? 50;
  const tool = options.tool ?? 'get_file_info';
  const dir = mkdtempSync(path.join(tmpdir(), 'ig-bench-proxy-'));
  const work = path.join(dir, 'work');
  const fs = filesystemServer();
  try {
    writeFileSync(path.join(dir, 'policy.yaml'), POLICY);
    mkdirSync(work);
    writeFileSync(path.join(work, 'file.txt'), 'hello\n');
    const args = tool === 'get_file_info' ? { path: path.join(work, 'file.txt') } : {};

    const targets = [await connect('direct', process.execPath, [fs, work])];
    for (const extra of options.extra ?? []) targets.push(await connect(extra.name, extra.command, [...extra.args, fs, work]));
    // The proxy as users run it, once per audit durability: `batch` (the default: group commit, each
    // append resolves once its batch is fsynced) and `none` (written, not fsynced), to show the audit's share.
    for (const durability of options.cli === false ? [] : ['batch', 'none']) {
      const config = path.join(dir, `config-${durability}.yaml`);
      writeFileSync(config, `audit:\n  file: ${JSON.stringify(path.join(dir, `audit-${durability}.jsonl`))}\n  durability: ${durability}\nstate_dir: ${JSON.stringify(path.join(dir, `state-${durability}`))}\n`);
      targets.push(
        await connect(durability === 'batch' ? 'proxy' : 'proxy-nosync', process.execPath, [
          BIN,
          'proxy',
          '--config',
          config,
          '--policy',
          path.join(dir, 'policy.yaml'),
          '--server',
          'filesystem',
          '--',
          process.execPath,
          fs,
          work,
        ]),
      );
    }

    const samples = new Map(targets.map((t) => [t.name, []]));
    const once = async (t, keep) => {
      const start = performance.now();
      const res = await t.client.callTool({ name: tool, arguments: args });
      const ms = performance.now() - start;
      if (res.isError) throw new Error(`${t.name}: ${tool} failed: ${JSON.stringify(res.content)}`);
      if (keep) samples.get(t.name).push(ms);
    };
    for (let i = 0; i < warmup; i += round) for (const t of targets) for (let j = 0; j < round; j++) await once(t, false);
    for (let i = 0; i < calls; i += round) for (const t of targets) for (let j = 0; j < round; j++) await once(t, true);
    for (const t of targets) await t.client.close();

    const direct = summary(samples.get('direct'));
    const results = targets.map((t) => {
      const s = summary(samples.get(t.name));
      return { target: t.name, ...s, addedP50: s.p50 - direct.p50, addedP99: s.p99 - direct.p99 };
    });
    return { tool, calls, warmup, results };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function print(report) {
  const f = (x) => x.toFixed(3).padStart(8);
  console.log(`tools/call ${report.tool}: ${report.calls} sequential calls per target (after ${report.warmup} warm-up), ms`);
  console.log(`${'target'.padEnd(13)} ${'p50'.padStart(8)} ${'p90'.padStart(8)} ${'p99'.padStart(8)} ${'+p50'.padStart(8)} ${'+p99'.padStart(8)}`);
  for (const r of report.results) console.log(`${r.target.padEnd(13)} ${f(r.p50)} ${f(r.p90)} ${f(r.p99)} ${f(r.addedP50)} ${f(r.addedP99)}`);
  for (const name of ['proxy', 'proxy-nosync']) {
    const proxy = report.results.find((r) => r.target === name);
    if (!proxy) continue;
    const ok = proxy.addedP50 <= 0.3 && proxy.addedP99 <= 1;
    console.log(`${name} (audit ${name === 'proxy' ? 'batch' : 'none'}) added ${proxy.addedP50.toFixed(3)} ms p50, ${proxy.addedP99.toFixed(3)} ms p99 (target ≤ 0.3 / ≤ 1): ${ok ? 'met' : 'NOT met'}`);
  }
}

/** Runs the benchmark, prints its table (unless `quiet`) and returns the figures. */
export async function run(options = {}) {
  const report = await measure(options);
  if (!options.quiet) print(report);
  return report;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();

