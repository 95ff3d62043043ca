import { IntentguardError } from '../errors.js';
import { runDemo, type DemoReport } from '../proxy/demo.js';
import { parseFlags, type Verb } from './verb.js';

const HELP = `usage: intentguard demo [--dir DIR] [--format text|json]

Puts the stdio proxy in front of @modelcontextprotocol/server-filesystem over a
temporary project, with the offline judge, and plays a short scripted agent
session: a benign task, a note that hides an instruction for the assistant, and
the calls that instruction asks for. Prints each call's decision (allow, narrow,
deny), its reason, and where the audit log is. No API key, no network.

options:
  --dir DIR            work in DIR (must be empty or new) instead of a new temporary directory
  --format text|json   output format (default text)
  -h, --help           show this help`;

const RULE_REASON = /^([\w.:-]+) \((allow|deny|judge|ask)\): /;
const MARK = { allow: 'ALLOW ', narrow: 'NARROW', deny: 'DENY  ', unknown: '?     ' } as const;

function short(value: unknown, max = 70): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') out.push(line);
  return out.slice(0, 4);
}

function render(r: DemoReport): string {
  const paths = (text: string) => text.split(`${r.dir}/`).join('…/');
  const rel = (p: unknown) => (typeof p === 'string' && p.startsWith(`${r.dir}/`) ? `…/${p.slice(r.dir.length + 1)}` : p);
  const args = (a: Readonly<Record<string, unknown>>) =>
    Object.entries(a)
      .map(([k, v]) => `${k}=${short(rel(v), 48)}`)
      .join(' ');
  const out: string[] = [
    'intentguard demo: a scripted agent session through the stdio proxy (offline judge, no network)',
    '',
    `  project   ${r.project}`,
    `  task      "${r.task}"`,
    `  upstream  @modelcontextprotocol/server-filesystem, behind \`intentguard proxy\` (${r.toolsListed} tools listed)`,
    `  policy    ${r.policyFile}`,
    '',
  ];
  r.calls.forEach((c, i) => {
    out.push(`${String(i + 1).padStart(2)}. ${c.step.tool} ${args(c.step.args)}`);
    out.push(`    (${c.step.note})`);
    // Rule reasons read "id (effect): description"; the deciding rule is the one whose effect the policy applied.
    const ruleReasons = c.reasons.filter((x) => RULE_REASON.test(x));
    const deciding = ruleReasons.find((x) => RULE_REASON.exec(x)?.[2] === c.policyEffect);
    const other = c.reasons.filter((x) => !RULE_REASON.test(x));
    const lines = [...other.map((x) => `${c.policyEffect === 'judge' ? 'judge: ' : ''}${x}`), ...(deciding ? [`policy: ${deciding}`] : [])];
    if (lines.length === 0) lines.push('no reason recorded');
    lines.forEach((line, j) => {
      wrap(paths(line), 96).forEach((piece, k) => out.push(`    ${j === 0 && k === 0 ? MARK[c.decision] : '      '}  ${k > 0 ? '  ' : ''}${piece}`));
    });
    if (c.decision === 'narrow' && c.ranWith) out.push(`            ran with: ${args(c.ranWith)}`);
    if (c.decision !== 'deny' && c.answer) out.push(`            agent got: ${short(c.answer, 90)}`);
  });
  const count = (d: string) => r.calls.filter((c) => c.decision === d).length;
  out.push(
    '',
    `${count('allow')} allowed, ${count('narrow')} narrowed, ${count('deny')} denied; the denied calls never reached the server.`,
    `audit log: ${r.auditFile} (${r.auditRecords} records)`,
    `verify it: intentguard audit verify ${r.auditFile}`,
  );
  return `${out.join('\n')}\n`;
}

export const demo: Verb = {
  help: HELP,
  async run(argv) {
    const { values } = parseFlags(argv, { dir: { type: 'string' }, format: { type: 'string', default: 'text' } });
    if (values.format !== 'text' && values.format !== 'json') throw new IntentguardError('IG_USAGE', `--format must be text or json, not ${values.format}`);
    const report = await runDemo({ dir: values.dir });
    process.stdout.write(values.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : render(report));
    return report.calls.some((c) => c.decision === 'unknown') ? 1 : 0;
  },
};

export default demo;
