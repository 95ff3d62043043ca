// Regenerates the project's labeled traces (evals/*.jsonl) and the counts in
// evals/README.md. Deterministic: every case draws from a PRNG seeded with
// "<domain>/<builder>/<instance>", so a run gives byte-identical files.
//
//   node evals/build/generate.mjs           write the files
//   node evals/build/generate.mjs --check   exit 1 when the files on disk differ from what would be written
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeRng, WEB_TOOLS } from './lib.mjs';
import { validateCases, VOCABULARY } from './validate.mjs';
import { countsMarkdown } from './stats.mjs';
import { filesystem } from './filesystem.mjs';
import { codeHosting } from './code-hosting.mjs';
import { emailCalendar } from './email-calendar.mjs';
import { payments } from './payments.mjs';
import { cloudOps } from './cloud-ops.mjs';
import { databaseCrm } from './database-crm.mjs';

const EVALS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const DOMAINS = [filesystem, codeHosting, emailCalendar, payments, cloudOps, databaseCrm];
const SOURCE = 'intentguard';

/** Builds one domain's traces, in a shuffled (seeded) order so labels interleave, numbered after the shuffle. */
function buildDomain(domain) {
  const drafts = [];
  for (const builder of domain.builders) {
    for (let i = 0; i < builder.n; i++) {
      const r = makeRng(`${domain.key}/${builder.name}/${i}`);
      const draft = builder.build(r, i);
      drafts.push({ builder: builder.name, instance: i, tags: [...builder.tags, ...(draft.tags ?? [])], draft });
    }
  }
  const order = makeRng(`${domain.key}/order`).shuffle(drafts);
  return order.map((d, n) => toTrace(domain, d, n + 1));
}

function specFor(domain, name) {
  const spec = domain.tools[name] ?? WEB_TOOLS[name];
  if (!spec) throw new TypeError(`${domain.key}: no tool spec for ${name}`);
  const out = { name, description: spec.description, inputSchema: spec.inputSchema };
  if (spec.annotations) out.annotations = spec.annotations;
  return out;
}

function toTrace(domain, { builder, instance, tags, draft }, n) {
  const history = (draft.history ?? []).map((h) => ({ tool: h.tool, args: h.args, result: h.result }));
  const call = {
    server: draft.call.server ?? domain.tools[draft.call.tool]?.server ?? domain.server,
    tool: draft.call.tool,
    args: draft.call.args,
  };
  const names = [draft.call.tool, ...history.map((h) => h.tool).filter((t) => t !== draft.call.tool)];
  const tools = [...new Set(names)].map((name) => specFor(domain, name));
  const label = draft.decision === 'narrow' ? { decision: 'narrow', args: draft.narrow } : { decision: draft.decision };
  const allTags = [`domain:${domain.key}`, ...VOCABULARY.filter((t) => !t.startsWith('domain:') && tags.includes(t))];
  const unknown = tags.filter((t) => !VOCABULARY.includes(t));
  if (unknown.length > 0) throw new TypeError(`${domain.key}/${builder}/${instance}: unknown tags ${unknown.join(', ')}`);
  return {
    id: `${domain.prefix}-${String(n).padStart(4, '0')}`,
    source: SOURCE,
    task: draft.task,
    principal: { agent: domain.agent, user: draft.user },
    history,
    call,
    tools,
    label,
    tags: allTags,
    // The builder name stays out of the trace (it would give the label away); it is kept here for error messages only.
    [Symbol.for('builder')]: `${builder}#${instance}`,
  };
}

function render(traces) {
  return traces.map((t) => JSON.stringify(t)).join('\n') + '\n';
}

function replaceCounts(readme, table) {
  const begin = '<!-- counts:begin -->';
  const end = '<!-- counts:end -->';
  const a = readme.indexOf(begin);
  const b = readme.indexOf(end);
  if (a < 0 || b < a) throw new TypeError(`evals/README.md: missing ${begin} … ${end} markers`);
  return `${readme.slice(0, a + begin.length)}\n${table}${readme.slice(b)}`;
}

function main() {
  const check = process.argv.includes('--check');
  const outputs = new Map();
  const all = [];
  for (const domain of DOMAINS) {
    const traces = buildDomain(domain);
    all.push(...traces);
    outputs.set(domain.file, render(traces));
  }
  const problems = validateCases(all.map((t) => ({ trace: t, where: t[Symbol.for('builder')] })));
  if (problems.length > 0) {
    for (const p of problems) console.error(p);
    process.exit(1);
  }
  const readmePath = join(EVALS_DIR, 'README.md');
  // Same order as `node evals/build/stats.mjs` (files sorted by name), so the two always print the same tables.
  const byFile = [...DOMAINS].sort((a, b) => (a.file < b.file ? -1 : 1));
  const table = countsMarkdown(byFile.map((d) => ({ file: d.file, domain: d.key, traces: all.filter((t) => t.tags.includes(`domain:${d.key}`)) })));
  if (existsSync(readmePath)) outputs.set('README.md', replaceCounts(readFileSync(readmePath, 'utf8'), table));

  let stale = 0;
  for (const [file, text] of outputs) {
    const path = join(EVALS_DIR, file);
    const current = existsSync(path) ? readFileSync(path, 'utf8') : null;
    if (current === text) continue;
    if (check) {
      console.error(`evals/${file} is out of date; run: node evals/build/generate.mjs`);
      stale++;
    } else {
      writeFileSync(path, text);
      console.log(`wrote evals/${file}`);
    }
  }
  if (check && stale > 0) process.exit(1);
  console.log(`${all.length} traces in ${DOMAINS.length} files`);
}

main();
