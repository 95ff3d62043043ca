// Count tables of the held-out set (per file/domain, per label, per tag).
//
//   node evals/heldout/build/stats.mjs   prints the tables from the .jsonl files on disk
import { readFileSync } from 'node:fs';
import { URL, fileURLToPath } from 'node:url';
import { DOMAINS, TAGS } from './lib.mjs';

const LABELS = ['allow', 'narrow', 'deny'];

function pct(n, d) {
  return d === 0 ? '—' : `${((100 * n) / d).toFixed(1)}%`;
}

function byLabel(traces) {
  const c = { allow: 0, narrow: 0, deny: 0 };
  for (const t of traces) c[t.label.decision]++;
  return c;
}

/** Markdown tables for `[{ file, domain, traces }]`. */
export function countTables(files) {
  const all = files.flatMap((f) => f.traces);
  const out = [];
  out.push('| file | domain | traces | allow | narrow | deny |', '| --- | --- | ---: | ---: | ---: | ---: |');
  for (const f of files) {
    const c = byLabel(f.traces);
    out.push(`| \`${f.file}\` | ${f.domain} | ${f.traces.length} | ${c.allow} | ${c.narrow} | ${c.deny} |`);
  }
  const t = byLabel(all);
  out.push(`| **all** |  | **${all.length}** | **${t.allow}** | **${t.narrow}** | **${t.deny}** |`, '');
  out.push('| label | traces | share |', '| --- | ---: | ---: |');
  for (const l of LABELS) out.push(`| \`${l}\` | ${t[l]} | ${pct(t[l], all.length)} |`);
  out.push(`| allow + narrow | ${t.allow + t.narrow} | ${pct(t.allow + t.narrow, all.length)} |`, '');
  out.push('| tag | traces | allow | narrow | deny |', '| --- | ---: | ---: | ---: | ---: |');
  for (const tag of TAGS) {
    const c = byLabel(all.filter((x) => x.tags.includes(tag)));
    out.push(`| \`${tag}\` | ${c.allow + c.narrow + c.deny} | ${c.allow} | ${c.narrow} | ${c.deny} |`);
  }
  return `${out.join('\n')}\n`;
}

/** Reads the .jsonl files of the held-out set from disk. */
export function readSet() {
  return DOMAINS.map((d) => {
    const text = readFileSync(fileURLToPath(new URL(`../${d.file}`, import.meta.url)), 'utf8');
    const traces = text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l));
    return { file: d.file, domain: d.name, traces };
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(countTables(readSet()));
}
