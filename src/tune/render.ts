import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Document } from 'yaml';
import { IntentguardError } from '../errors.js';
import type { PolicySource } from '../policy/compile.js';
import type { PolicyTestSpec, RuleSpec } from '../policy/schema.js';
import { renderPolicySchema } from '../policy/schema.js';
import type { PolicyEngine } from '../policy/types.js';
import type { Proposal, ReplayEffect, TuneReport } from './types.js';

/** The name of the file holding the accepted proposals' rules. */
export const TUNED_FILE = 'tuned.yaml';

const MAX_TEST_NAME = 256;

/**
 * The accepted rules as they are written together. A boundary rule that
 * shares its tool with an accepted fast path leaves the fast path's calls
 * alone: `judge` beats `allow`, so without the exclusion the boundary rule
 * would switch the fast path off.
 */
export function composeRules(accepted: readonly Proposal[]): Map<string, RuleSpec> {
  const out = new Map<string, RuleSpec>();
  const fastPaths = accepted.filter((p) => p.rule.effect === 'allow' && p.kind !== 'boundary');
  for (const p of accepted) {
    if (p.kind !== 'boundary' || p.rule.effect === 'allow') {
      out.set(p.id, p.rule);
      continue;
    }
    const excluded = fastPaths
      .filter((f) => f.target.server === p.target.server && f.target.tool === p.target.tool && f.rule.when !== undefined)
      .map((f) => `!(${f.rule.when as string})`);
    if (excluded.length === 0) {
      out.set(p.id, p.rule);
      continue;
    }
    const when = [p.rule.when, ...excluded].filter((w): w is string => w !== undefined).join(' && ');
    // Rebuilt in the usual key order (id, description, match, when, effect, …) so the file reads like a hand-written one.
    const { id, description, match, when: _old, ...rest } = p.rule;
    out.set(p.id, { id, ...(description === undefined ? {} : { description }), ...(match === undefined ? {} : { match }), when, ...rest } as RuleSpec);
  }
  return out;
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/**
 * One inline test per accepted proposal, from a logged call of its evidence.
 * The expectation is what the proposal is for (deny, allow, or the tool's
 * effect with the tightened argument in its boundary); when the written set
 * does not give that, the test is left out and `misses` says why.
 */
export function inlineTests(
  accepted: readonly Proposal[],
  rules: ReadonlyMap<string, RuleSpec>,
  engine: PolicyEngine,
): { tests: PolicyTestSpec[]; misses: Map<string, string> } {
  const tests: PolicyTestSpec[] = [];
  const misses = new Map<string, string>();
  for (const p of accepted) {
    const rule = rules.get(p.id);
    const ex = p.example;
    if (!rule || !ex) continue;
    const principal = {
      ...(ex.principal.agent === undefined ? {} : { agent: ex.principal.agent }),
      ...(ex.principal.user === undefined ? {} : { user: ex.principal.user }),
      ...(ex.principal.groups === undefined ? {} : { groups: [...ex.principal.groups] }),
    };
    const candidates: { args: Readonly<Record<string, unknown>>; from: string }[] = [{ args: ex.call.args, from: `txn ${ex.txn}` }];
    // A boundary rule that steps aside for a fast path never sees the fast path's calls: try the root itself too.
    const root = p.target.constraint?.within;
    if (p.kind === 'boundary' && p.target.arg !== undefined && root !== undefined) {
      candidates.push({ args: { ...ex.call.args, [p.target.arg]: typeof root === 'string' ? root : root[0] }, from: `txn ${ex.txn}, ${p.target.arg} set to the root` });
    }
    let made: PolicyTestSpec | undefined;
    let last = '';
    for (const c of candidates) {
      const d = engine.evaluate({
        server: ex.call.server,
        tool: ex.call.tool,
        args: c.args,
        principal,
        session: { id: 'check', calls: 0, denials: 0, untrustedSeen: false, tags: [] },
      });
      const constrained = Object.keys(d.boundary.args);
      const ok = d.effect === rule.effect && (p.kind !== 'boundary' || (p.target.arg !== undefined && constrained.includes(p.target.arg)));
      if (!ok) {
        last = `${d.effect}${d.decidingRule ? ` (rule ${d.decidingRule})` : ''}`;
        continue;
      }
      made = {
        name: clip(`proposal ${p.id}: ${p.kind} ${ex.call.server}.${ex.call.tool} (${c.from})`, MAX_TEST_NAME),
        call: { server: ex.call.server, tool: ex.call.tool, args: { ...c.args } },
        ...(Object.keys(principal).length ? { principal } : {}),
        expect: d.effect,
        ...(d.decidingRule === rule.id ? { expect_rule: rule.id } : {}),
        ...(p.kind === 'boundary' ? { expect_args: constrained } : {}),
      };
      break;
    }
    if (made) tests.push(made);
    else misses.set(p.id, `its example call (txn ${ex.txn}) gets ${last} from the accepted set, not ${rule.effect}`);
  }
  return { tests, misses };
}

/** A policy file with these rules and nothing else. */
export function rulesOnlyText(rules: readonly RuleSpec[]): string {
  return new Document({ version: 1, name: 'tuned', rules: [...rules] }).toString({ lineWidth: 0 });
}

/** The text of `tuned.yaml`: the accepted rules, each under a `# proposal <id>` comment, and their inline tests. */
export function tunedPolicyText(
  accepted: readonly Proposal[],
  rules: ReadonlyMap<string, RuleSpec>,
  tests: readonly PolicyTestSpec[],
  auditName: string,
): string {
  const kept = accepted.filter((p) => rules.has(p.id));
  const doc = new Document({
    version: 1,
    name: 'tuned',
    rules: kept.map((p) => rules.get(p.id)),
    ...(tests.length ? { tests } : {}),
  });
  doc.commentBefore = [
    ' yaml-language-server: $schema=./schema.json',
    '',
    ` Rules proposed by \`intentguard tune\` from the decisions in ${auditName},`,
    ' replayed on that traffic and checked against the eval datasets given.',
    ' Review each one before it ships: they are proposals, not verdicts.',
  ].join('\n');
  kept.forEach((p, i) => {
    const node = doc.getIn(['rules', i], true) as { commentBefore?: string } | undefined;
    if (node) node.commentBefore = ` proposal ${p.id}: ${p.summary.replace(/[\r\n]+/g, ' ')}`;
  });
  if (kept.length === 0) doc.set('rules', []);
  return doc.toString({ lineWidth: 0 });
}

/**
 * File names for the copies: the originals' names when they keep the load
 * order and sort before `tuned.yaml`, otherwise numbered (`01-…`), so that
 * loading the directory gives the same order as loading the given paths.
 */
export function copyNames(sources: readonly PolicySource[]): string[] {
  const names = sources.map((s) => path.basename(s.file));
  const sorted = [...names].sort();
  const keeps =
    new Set(names).size === names.length &&
    names.every((n, i) => n === sorted[i]) &&
    names.every((n) => n < TUNED_FILE && /\.ya?ml$/i.test(n) && !n.startsWith('.'));
  if (keeps) return names;
  const width = String(names.length).length < 2 ? 2 : String(names.length).length;
  return names.map((n, i) => `${String(i + 1).padStart(width, '0')}-${n.replace(/^\.+/, '')}${/\.ya?ml$/i.test(n) ? '' : '.yaml'}`);
}

/**
 * Writes the copies, `tuned.yaml` and `schema.json` into `dir`, which must be
 * new or empty: a directory with older policy files would load them too.
 */
export async function writePolicyDir(dir: string, sources: readonly PolicySource[], tunedText: string): Promise<string[]> {
  let existing: string[] = [];
  try {
    existing = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new IntentguardError('IG_USAGE', `--write: cannot use ${dir}: ${(e as Error).message}`, { location: { file: dir } });
    }
  }
  if (existing.length > 0) throw new IntentguardError('IG_USAGE', '--write needs a new or empty directory (older policy files there would load too)', { location: { file: dir } });
  await mkdir(dir, { recursive: true });
  const names = copyNames(sources);
  const files: string[] = [];
  for (const [i, s] of sources.entries()) {
    const target = path.join(dir, names[i] as string);
    await writeFile(target, s.text, { flag: 'wx' });
    files.push(target);
  }
  const tuned = path.join(dir, TUNED_FILE);
  await writeFile(tuned, tunedText, { flag: 'wx' });
  files.push(tuned);
  const schema = path.join(dir, 'schema.json');
  await writeFile(schema, renderPolicySchema(), { flag: 'wx' });
  files.push(schema);
  return files;
}

function pct(x: number | null): string {
  return x === null ? 'n/a' : x.toFixed(3);
}

function list(ids: readonly string[], max = 8): string {
  return ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')}, … (${ids.length - max} more)`;
}

function replayLine(r: ReplayEffect): string {
  const kinds = new Map<string, string[]>();
  for (const c of r.changes) {
    const k = `${c.from}→${c.to}`;
    kinds.set(k, [...(kinds.get(k) ?? []), c.txn]);
  }
  const changes = r.changed === 0 ? 'changes no past decision' : `changes ${r.changed} past decision${r.changed === 1 ? '' : 's'} (${[...kinds].map(([k, t]) => `${k}: ${list(t, 5)}`).join('; ')})`;
  const delta = r.judgeCalls.saved === 0 ? 'unchanged' : `${r.judgeCalls.saved > 0 ? '−' : '+'}${Math.abs(r.judgeCalls.saved)}`;
  const saved = `judge calls ${r.judgeCalls.before} → ${r.judgeCalls.after} (${delta}), ${r.latencySavedMs.toFixed(1)} ms of judge latency saved`;
  const stand = r.offlineStandIns > 0 ? `; ${r.offlineStandIns} newly judged call(s) had no logged verdict (offline judge stood in)` : '';
  return `${changes}; ${saved}${stand}`;
}

/** The human summary of a tuning run. */
export function renderTuneText(report: TuneReport): string {
  const lines: string[] = [];
  const a = report.audit;
  const flagged = Object.entries(a.flagged)
    .sort((x, y) => y[1] - x[1])
    .map(([f, n]) => `${f} ${n}`)
    .join(', ');
  lines.push(`intentguard tune: ${a.decisions} decisions in ${a.file}${flagged ? ` (flags: ${flagged})` : ''}, ${a.labels} human label${a.labels === 1 ? '' : 's'}`);
  if (a.skipped > 0) lines.push(`  ${a.skipped} record(s) did not validate and were left out`);
  const b = report.baseline;
  lines.push(
    `baseline: replaying the current policy reproduces ${b.reproduced} of ${a.decisions} logged decisions; ${b.judgeCalls} judge calls on the decision path` +
      (b.mismatchedCount > 0 ? ` (not reproduced: ${list(b.mismatched)})` : ''),
  );
  if (b.eval) lines.push(`baseline eval: balanced accuracy ${pct(b.eval.balanced_accuracy)}, false-allow rate ${pct(b.eval.false_allow_rate)} on ${b.eval.n} cases`);
  const count = (s: string): number => report.proposals.filter((p) => p.status === s).length;
  lines.push('');
  lines.push(`${report.proposals.length} proposal${report.proposals.length === 1 ? '' : 's'}: ${count('accepted')} accepted, ${count('rejected')} rejected, ${count('no-effect')} without effect`);
  for (const p of report.proposals) {
    lines.push('');
    lines.push(`${p.status.toUpperCase().padEnd(9)} ${p.id}  ${p.summary}`);
    lines.push(`          rule ${p.rule.id} (${p.rule.effect})`);
    const e = p.evidence;
    const conf = e.confidence ? `, confidence ${e.confidence.min}–${e.confidence.mean} (min–mean)` : '';
    lines.push(
      `          evidence: ${e.calls} calls; verdicts allow ${e.verdicts.allow}, deny ${e.verdicts.deny}, narrow ${e.verdicts.narrow}, failed ${e.verdicts.failed}${conf}; ` +
        `human labels ${e.humanLabels.allow + e.humanLabels.deny + e.humanLabels.narrow}${e.overrides.length ? ` (overrides: ${list(e.overrides, 5)})` : ''}; e.g. ${list(e.examples, 5)}`,
    );
    if (p.replay) lines.push(`          replay: ${replayLine(p.replay)}`);
    if (p.eval) {
      lines.push(
        `          eval: balanced accuracy ${pct(p.eval.before.balanced_accuracy)} → ${pct(p.eval.after.balanced_accuracy)}, false-allow rate ${pct(p.eval.before.false_allow_rate)} → ${pct(p.eval.after.false_allow_rate)}` +
          (p.eval.changed.length ? `; cases changed: ${list(p.eval.changed.map((c) => `${c.id} ${c.from}→${c.to}`), 5)}` : ''),
      );
    }
    for (const r of p.reasons) lines.push(`          ${p.status === 'accepted' ? 'note' : 'why'}: ${r}`);
  }
  const c = report.combined;
  lines.push('');
  lines.push(`combined (${c.accepted.length} accepted): ${replayLine(c.replay)}`);
  if (c.eval) {
    lines.push(
      `combined eval: balanced accuracy ${pct(c.eval.before.balanced_accuracy)} → ${pct(c.eval.after.balanced_accuracy)}, false-allow rate ${pct(c.eval.before.false_allow_rate)} → ${pct(c.eval.after.false_allow_rate)}`,
    );
  }
  for (const f of c.gateFailures) lines.push(`combined: the accepted proposals together ${f}: not written`);
  lines.push(`inline tests of the written set: ${c.check.passed} passed, ${c.check.failed} failed`);
  if (report.written) lines.push(`written: ${report.written.files.join(', ')}`);
  // Names and values in these lines come from the log: a terminal must not interpret any of them.
  return `${lines.map(escapeControls).join('\n')}\n`;
}

function escapeControls(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
