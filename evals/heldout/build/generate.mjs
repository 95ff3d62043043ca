// Writes evals/heldout/*.jsonl from the hand-written domain modules and the
// count tables of evals/heldout/README.md (between the counts markers).
//
//   node evals/heldout/build/generate.mjs          rewrite the files (byte-identical on every run)
//   node evals/heldout/build/generate.mjs --check  exit 1 when the files differ from what would be written
import { readFileSync, writeFileSync } from 'node:fs';
import { URL, fileURLToPath } from 'node:url';
import { DOMAINS, buildDomain, fail } from './lib.mjs';
import { countTables } from './stats.mjs';

const HERE = new URL('.', import.meta.url);
const OUT = new URL('../', HERE);
const README = new URL('README.md', OUT);
const BEGIN = '<!-- counts:begin -->';
const END = '<!-- counts:end -->';

export async function buildAll() {
  const files = [];
  for (const d of DOMAINS) {
    const mod = await import(new URL(d.module, HERE).href);
    const traces = buildDomain(d.name, mod);
    files.push({ file: d.file, domain: d.name, traces, text: traces.map((t) => JSON.stringify(t)).join('\n') + '\n' });
  }
  return files;
}

function withCounts(readme, tables) {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) fail('README.md has no counts markers');
  return `${readme.slice(0, a + BEGIN.length)}\n${tables}${readme.slice(b)}`;
}

const check = process.argv.includes('--check');
const files = await buildAll();
const stale = [];
for (const f of files) {
  const path = fileURLToPath(new URL(f.file, OUT));
  let current = null;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = null;
  }
  if (current === f.text) continue;
  if (check) stale.push(f.file);
  else writeFileSync(path, f.text);
}
const readme = readFileSync(README, 'utf8');
const next = withCounts(readme, countTables(files.map((f) => ({ file: f.file, domain: f.domain, traces: f.traces }))));
if (next !== readme) {
  if (check) stale.push('README.md');
  else writeFileSync(README, next);
}
if (check && stale.length > 0) {
  process.stderr.write(`evals/heldout: out of date: ${stale.join(', ')} (run node evals/heldout/build/generate.mjs)\n`);
  process.exit(1);
}
const total = files.reduce((n, f) => n + f.traces.length, 0);
process.stdout.write(`${check ? 'checked' : 'wrote'} ${total} traces in ${files.length} files\n`);
