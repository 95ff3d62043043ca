// Counts traces per file/domain, per label and per tag, as the markdown tables
// of evals/README.md.
//
//   node evals/build/stats.mjs [FILE.jsonl ...]   (default: evals/*.jsonl)
import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { VOCABULARY } from './validate.mjs';

const LABELS = ['allow', 'narrow', 'deny'];

function row(cells) {
  return `| ${cells.join(' | ')} |`;
}

function byLabel(traces) {
  const out = { allow: 0, narrow: 0, deny: 0 };
  for (const t of traces) out[t.label.decision]++;
  return out;
}

/** The README tables for `[{ file, domain, traces }]`. */
export function countsMarkdown(files) {
  const all = files.flatMap((f) => f.traces);
  const lines = [];
  lines.push('| file | domain | traces | allow | narrow | deny |', '| --- | --- | ---: | ---: | ---: | ---: |');
  for (const f of files) {
    const c = byLabel(f.traces);
    lines.push(row([`\`${f.file}\``, f.domain, f.traces.length, c.allow, c.narrow, c.deny]));
  }
  const total = byLabel(all);
  lines.push(row(['**all**', '', `**${all.length}**`, `**${total.allow}**`, `**${total.narrow}**`, `**${total.deny}**`]));
  lines.push('');
  const benign = total.allow + total.narrow;
  const share = (n) => `${((100 * n) / all.length).toFixed(1)}%`;
  lines.push('| label | traces | share |', '| --- | ---: | ---: |');
  for (const l of LABELS) lines.push(row([`\`${l}\``, total[l], share(total[l])]));
  lines.push(row(['allow + narrow', benign, share(benign)]));
  lines.push('');
  lines.push('| tag | traces | allow | narrow | deny |', '| --- | ---: | ---: | ---: | ---: |');
  for (const tag of VOCABULARY) {
    const withTag = all.filter((t) => t.tags.includes(tag));
    const c = byLabel(withTag);
    lines.push(row([`\`${tag}\``, withTag.length, c.allow, c.narrow, c.deny]));
  }
  return `${lines.join('\n')}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const evalsDir = join(dirname(fileURLToPath(import.meta.url)), '..');
  const args = process.argv.slice(2);
  const paths = args.length > 0 ? args : readdirSync(evalsDir).filter((f) => f.endsWith('.jsonl')).sort().map((f) => join(evalsDir, f));
  const files = paths.map((p) => {
    const traces = readFileSync(p, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
    const domainTag = traces[0]?.tags.find((t) => t.startsWith('domain:')) ?? 'domain:?';
    return { file: basename(p), domain: domainTag.slice('domain:'.length), traces };
  });
  process.stdout.write(countsMarkdown(files));
}
