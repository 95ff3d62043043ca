// Grant algebra latency: clampArgs and clampNarrowing on a typical boundary.
// Run after a build: `node bench/scope.mjs` (or through `npm run bench`).
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { clampArgs, clampNarrowing } from '../dist/scope/index.js';

const boundary = {
  scopes: ['mail:send', 'mail:read'],
  args: {
    to: [{ kind: 'domain', domains: ['example.com'] }, { kind: 'fromTask' }, { kind: 'maxLength', max: 10 }],
    subject: [{ kind: 'maxLength', max: 200 }],
    attachments: [{ kind: 'within', roots: ['/workspace/reports'] }],
    limit: [{ kind: 'range', min: 1, max: 100 }],
    priority: [{ kind: 'oneOf', values: ['low', 'normal'] }],
    ref: [{ kind: 'pattern', pattern: '[A-Z]{2}-[0-9]{1,6}' }],
  },
};
const task = 'Send the Q3 report to bob@example.com and amy@example.com, ref QA-1234';
const ctx = { inTask: (v) => task.includes(v) };
const args = {
  to: ['bob@example.com', 'amy@example.com'],
  subject: 'Q3 report',
  attachments: ['/workspace/reports/q3.pdf', '/workspace/reports/q3.xlsx'],
  limit: 500,
  priority: 'normal',
  ref: 'QA-1234',
};

function measure(fn, n) {
  for (let i = 0; i < 2000; i++) fn();
  const us = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn();
    us.push((performance.now() - t) * 1000);
  }
  us.sort((a, b) => a - b);
  return { p50Us: us[Math.floor(n / 2)], p99Us: us[Math.floor(n * 0.99)] };
}

export async function run({ print = true } = {}) {
  const base = { scopes: ['mail:send', 'mail:read'], args: clampArgs(args, boundary, ctx).args };
  const proposal = { scopes: ['mail:send'], args: { to: ['bob@example.com'], limit: 10, attachments: ['/workspace/reports/q3.pdf'] } };
  const results = [
    { op: 'clampArgs', ...measure(() => clampArgs(args, boundary, ctx), 20000) },
    { op: 'clampNarrowing', ...measure(() => clampNarrowing(base, proposal, boundary, ctx), 20000) },
  ];
  if (print) {
    console.log('grant algebra (6 constrained args, 2-item lists)');
    console.log('operation        p50 µs   p99 µs');
    for (const r of results) console.log(`${r.op.padEnd(15)}  ${r.p50Us.toFixed(2).padStart(6)}  ${r.p99Us.toFixed(2).padStart(7)}`);
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
