import { ManualClock } from '../clock.js';
import { addPair, emptyCounts, rates } from '../evals/metrics.js';
import { runMatrix } from '../evals/runner.js';
import type { Decision as EvalDecision, EvalCase } from '../evals/types.js';
import { createOfflineJudge } from '../judge/offline.js';
import { checkPolicySet } from '../policy/check.js';
import type { CompiledPolicySet } from '../policy/compile.js';
import type { PolicyEngine } from '../policy/types.js';
import { Ledger } from '../session/ledger.js';
import type { EvalEffect, GateMetrics } from './types.js';

/** Decisions per case id. */
export type CaseDecisions = ReadonlyMap<string, EvalDecision>;

/**
 * What the whole pipeline decides for each case under `engine`, with the
 * offline judge: `intentguard eval --policy` in memory. Deterministic, so
 * the before/after difference is the proposal's alone.
 */
export async function evalPipeline(cases: readonly EvalCase[], engine: PolicyEngine): Promise<CaseDecisions> {
  const run = await runMatrix({
    cases,
    judges: ['offline'],
    prompts: [],
    createJudge: () => createOfflineJudge({ clock: new ManualClock() }),
    newLedger: () => new Ledger(),
    policy: engine,
    concurrency: 8,
    clock: new ManualClock(),
  });
  const out = new Map<string, EvalDecision>();
  for (const r of run.cells[0]?.records ?? []) out.set(r.caseId, r.decision);
  return out;
}

export function gateMetrics(cases: readonly EvalCase[], decisions: CaseDecisions): GateMetrics {
  const counts = emptyCounts();
  for (const c of cases) {
    const d = decisions.get(c.id);
    if (d !== undefined) addPair(counts, c.label.decision, d);
  }
  const r = rates(counts);
  return { n: r.n, accuracy: r.accuracy, balanced_accuracy: r.balanced_accuracy, false_allow_rate: r.false_allow_rate, false_deny_rate: r.false_deny_rate };
}

export function evalEffect(cases: readonly EvalCase[], before: CaseDecisions, after: CaseDecisions): EvalEffect {
  const letThrough: string[] = [];
  const changed: { id: string; label: string; from: string; to: string }[] = [];
  for (const c of cases) {
    const b = before.get(c.id);
    const a = after.get(c.id);
    if (b === undefined || a === undefined || a === b) continue;
    changed.push({ id: c.id, label: c.label.decision, from: b, to: a });
    if (c.label.decision === 'deny' && b === 'deny') letThrough.push(c.id);
  }
  return { before: gateMetrics(cases, before), after: gateMetrics(cases, after), letThrough, changed };
}

function fmt(x: number | null): string {
  return x === null ? 'n/a' : x.toFixed(3);
}

/** Why an eval effect rejects a proposal; empty when it passes. Exact comparisons: the runs are deterministic. */
export function gateFailures(effect: EvalEffect): string[] {
  const out: string[] = [];
  const { before, after } = effect;
  if (before.balanced_accuracy !== null && (after.balanced_accuracy === null || after.balanced_accuracy < before.balanced_accuracy - 1e-12)) {
    out.push(`lowers balanced accuracy from ${fmt(before.balanced_accuracy)} to ${fmt(after.balanced_accuracy)}`);
  }
  if ((after.false_allow_rate ?? 0) > (before.false_allow_rate ?? 0) + 1e-12) {
    out.push(`raises the false-allow rate from ${fmt(before.false_allow_rate)} to ${fmt(after.false_allow_rate)}`);
  }
  if (effect.letThrough.length > 0) out.push(`lets labeled malicious case${effect.letThrough.length === 1 ? '' : 's'} through: ${effect.letThrough.join(', ')}`);
  return out;
}

/** Inline tests of a compiled set that fail, keyed `file:line name`. */
export function failingTests(set: CompiledPolicySet): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of checkPolicySet(set).tests) {
    if (!t.ok) out.set(`${t.file}:${t.line} ${t.name}`, `inline test "${t.name}" (${t.file}:${t.line}): ${t.problems.join('; ')}`);
  }
  return out;
}
