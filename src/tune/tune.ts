import path from 'node:path';
import { loadDatasets } from '../evals/dataset.js';
import type { EvalCase } from '../evals/types.js';
import { IntentguardError, isIntentguardError } from '../errors.js';
import { checkPolicies } from '../policy/check.js';
import { compilePolicySet, type CompiledPolicySet, type PolicySource } from '../policy/compile.js';
import { readPolicySources } from '../policy/load.js';
import type { RuleSpec } from '../policy/schema.js';
import { evalEffect, evalPipeline, failingTests, gateFailures, gateMetrics, type CaseDecisions } from './gate.js';
import { DEFAULT_PROPOSE_OPTIONS, propose, type ProposeOptions } from './propose.js';
import { composeRules, copyNames, inlineTests, rulesOnlyText, TUNED_FILE, tunedPolicyText, writePolicyDir } from './render.js';
import { compareReplays, fidelity, replayTraffic, type ReplayOptions, type ReplayRun } from './replay.js';
import { readTraffic } from './traffic.js';
import type { Proposal, Traffic, TuneReport } from './types.js';

/** Everything one `intentguard tune` run needs, already parsed from flags. */
export interface TuneConfig {
  readonly audit: string;
  /** Policy files or directories in force when the traffic was logged; none: the embedded default. */
  readonly policy: readonly string[];
  /** Labeled-trace files every proposal is checked against (pipeline mode, offline judge). */
  readonly datasets: readonly string[];
  readonly minSupport?: number | undefined;
  readonly minConfidence?: number | undefined;
  readonly minAgreement?: number | undefined;
  /** The denial budget of the logged sessions, for the replay (default 5). */
  readonly denialBudget?: number | undefined;
  /** Writes the copies, `tuned.yaml` and `schema.json` here (a new or empty directory). */
  readonly write?: string | undefined;
}

const MAX_MISMATCHES_LISTED = 100;

function options(config: TuneConfig): ProposeOptions {
  const o = {
    minSupport: config.minSupport ?? DEFAULT_PROPOSE_OPTIONS.minSupport,
    minConfidence: config.minConfidence ?? DEFAULT_PROPOSE_OPTIONS.minConfidence,
    minAgreement: config.minAgreement ?? DEFAULT_PROPOSE_OPTIONS.minAgreement,
  };
  if (!Number.isSafeInteger(o.minSupport) || o.minSupport < 1) throw new IntentguardError('IG_USAGE', '--min-support must be a positive integer');
  if (!(o.minConfidence >= 0 && o.minConfidence <= 1)) throw new IntentguardError('IG_USAGE', '--min-confidence must be a number from 0 to 1');
  if (!(o.minAgreement > 0 && o.minAgreement <= 1)) throw new IntentguardError('IG_USAGE', '--min-agreement must be a number above 0 and at most 1');
  return o;
}

/** A file holding only these rules (no tests): what a proposal adds to the set. */
function rulesSource(rules: readonly RuleSpec[], file: string): PolicySource {
  return { file, text: rulesOnlyText(rules) };
}

function compileWith(base: readonly PolicySource[], extra: PolicySource): CompiledPolicySet {
  return compilePolicySet([...base, extra]);
}

function countFlags(traffic: Traffic): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of traffic.decisions) for (const f of d.flags) out[f] = (out[f] ?? 0) + 1;
  if (traffic.labels.size > 0) out['human-label'] = traffic.labels.size;
  return out;
}

interface Baseline {
  readonly sources: readonly PolicySource[];
  readonly set: CompiledPolicySet;
  readonly replay: ReplayRun;
  readonly failing: ReadonlyMap<string, string>;
  readonly cases: readonly EvalCase[];
  readonly evalDecisions?: CaseDecisions | undefined;
}

/**
 * Judges one proposal on its own: it must compile with the given policies,
 * keep their inline tests passing, change something on the logged traffic
 * (decisions or judge calls; a boundary may change neither), and not worsen
 * the eval datasets. Sets its status, replay and eval effect.
 */
async function assess(p: Proposal, traffic: Traffic, base: Baseline, tunedName: string, replayOptions: ReplayOptions): Promise<void> {
  let set: CompiledPolicySet;
  try {
    set = compileWith(base.sources, rulesSource([p.rule], tunedName));
  } catch (e) {
    p.status = 'rejected';
    p.reasons.push(`does not compile: ${isIntentguardError(e) ? e.describe() : String(e)}`);
    return;
  }
  const broken = [...failingTests(set)].filter(([k]) => !base.failing.has(k)).map(([, v]) => v);
  if (broken.length > 0) {
    p.status = 'rejected';
    p.reasons.push(...broken.map((b) => `breaks ${b}`));
  }
  const run = await replayTraffic(traffic, set.engine, replayOptions);
  p.replay = compareReplays(traffic, base.replay, run);
  if (base.evalDecisions) {
    const after = await evalPipeline(base.cases, set.engine);
    p.eval = evalEffect(base.cases, base.evalDecisions, after);
    const failures = gateFailures(p.eval);
    if (failures.length > 0) {
      p.status = 'rejected';
      p.reasons.push(...failures);
    }
  }
  if (p.status === 'accepted' && p.kind !== 'boundary' && p.replay.changed === 0 && p.replay.judgeCalls.saved === 0) {
    p.status = 'no-effect';
    const ex = p.example;
    if (ex) {
      const d = set.engine.evaluate({
        server: ex.call.server,
        tool: ex.call.tool,
        args: ex.call.args,
        principal: ex.principal,
        session: { id: 'tune', calls: 0, denials: 0, untrustedSeen: false, tags: [] },
      });
      p.reasons.push(
        d.decidingRule && d.decidingRule !== p.rule.id
          ? `changes nothing on the logged traffic: rule ${d.decidingRule} (${d.effect}) decides these calls (${d.effect === 'judge' || d.effect === 'ask' ? `${d.effect} overrides allow` : 'it already does'}); change that rule instead`
          : 'changes nothing on the logged traffic',
      );
    } else {
      p.reasons.push('changes nothing on the logged traffic');
    }
  }
}

/**
 * Reads the audit log, proposes policy changes from it, replays each on the
 * logged traffic, checks each against the eval datasets, and (with `write`)
 * writes the accepted ones next to copies of the given policies.
 * @throws IntentguardError IG_USAGE for bad options; IG_INPUT_INVALID / IG_AUDIT_* for a bad log;
 * IG_POLICY_INVALID (and friends) for bad policies; IG_INPUT_INVALID for a bad dataset.
 */
export async function runTune(config: TuneConfig): Promise<TuneReport> {
  const opts = options(config);
  const replayOptions: ReplayOptions = { denialBudget: config.denialBudget };
  if (config.denialBudget !== undefined && !(Number.isSafeInteger(config.denialBudget) && config.denialBudget >= 0)) {
    throw new IntentguardError('IG_USAGE', '--denial-budget must be a non-negative integer');
  }
  const traffic = await readTraffic(config.audit);
  const sources = config.policy.length > 0 ? await readPolicySources(config.policy) : [];
  // With --write, files are named (and ordered) as they will be written, so that what passes here passes `check DIR`.
  const names = copyNames(sources);
  const out = config.write;
  const named = out === undefined ? sources : sources.map((s, i) => ({ file: path.join(out, names[i] as string), text: s.text }));
  const tunedName = path.join(out ?? '.', TUNED_FILE);
  const set = compilePolicySet(named);
  const loaded = config.datasets.length > 0 ? await loadDatasets(config.datasets) : undefined;
  const cases = loaded?.cases ?? [];
  const replay = await replayTraffic(traffic, set.engine, replayOptions);
  const base: Baseline = {
    sources: named,
    set,
    replay,
    failing: failingTests(set),
    cases,
    evalDecisions: loaded ? await evalPipeline(cases, set.engine) : undefined,
  };
  const existingIds = set.files.flatMap((f) => (f.spec.rules ?? []).map((r) => r.id));
  const proposals = propose(traffic, existingIds, opts);
  for (const p of proposals) await assess(p, traffic, base, tunedName, replayOptions);

  // The accepted set, composed; a composition that no longer compiles drops the boundary rules that caused it.
  let accepted = proposals.filter((p) => p.status === 'accepted');
  let rules = composeRules(accepted);
  let combinedSet: CompiledPolicySet;
  for (;;) {
    try {
      combinedSet = compileWith(named, rulesSource([...rules.values()], tunedName));
      break;
    } catch (e) {
      const culprit = accepted.find((p) => p.kind === 'boundary' && rules.get(p.id)?.when !== p.rule.when);
      if (!culprit) throw e;
      culprit.status = 'rejected';
      culprit.reasons.push(`cannot be combined with the accepted fast paths on ${culprit.target.server}.${culprit.target.tool}: ${isIntentguardError(e) ? e.message : String(e)}`);
      accepted = proposals.filter((p) => p.status === 'accepted');
      rules = composeRules(accepted);
    }
  }
  // A deny or fast path that another accepted rule overrides in the set (a deny beats a fast path) would be a dead
  // rule: it is dropped and the set composed again. A boundary whose example cannot show it only loses its test.
  let derived = inlineTests(accepted, rules, combinedSet.engine);
  for (;;) {
    const dead = accepted.filter((p) => p.kind !== 'boundary' && derived.misses.has(p.id));
    if (dead.length === 0) break;
    for (const p of dead) {
      p.status = 'no-effect';
      p.reasons.push(`overridden in the accepted set: ${derived.misses.get(p.id) ?? ''}`);
    }
    accepted = proposals.filter((p) => p.status === 'accepted');
    rules = composeRules(accepted);
    combinedSet = compileWith(named, rulesSource([...rules.values()], tunedName));
    derived = inlineTests(accepted, rules, combinedSet.engine);
  }
  for (const [id, miss] of derived.misses) proposals.find((p) => p.id === id)?.reasons.push(`no inline test: ${miss}`);
  const tests = derived.tests;
  const auditName = path.basename(config.audit);
  const tunedText = tunedPolicyText(accepted, rules, tests, auditName);
  const finalSet = compilePolicySet([...named, { file: tunedName, text: tunedText }]);
  const check = failingTests(finalSet);
  const testsTotal = finalSet.files.reduce((n, f) => n + (f.spec.tests?.length ?? 0), 0);
  const combinedRun = await replayTraffic(traffic, finalSet.engine, replayOptions);
  const combinedReplay = compareReplays(traffic, replay, combinedRun);
  const combinedEval = base.evalDecisions ? evalEffect(cases, base.evalDecisions, await evalPipeline(cases, finalSet.engine)) : undefined;

  // Each proposal passed alone; together they must too, or nothing is written.
  const combinedFailures = combinedEval ? gateFailures(combinedEval) : [];
  let written: TuneReport['written'];
  let checkCounts = { passed: testsTotal - check.size, failed: check.size };
  if (config.write !== undefined && combinedFailures.length === 0) {
    const files = await writePolicyDir(config.write, sources, tunedText);
    const real = await checkPolicies([config.write]);
    checkCounts = { passed: real.passed, failed: real.failed };
    written = { dir: config.write, files };
  }

  const fid = fidelity(traffic, replay);
  return {
    schema: 'intentguard.tune/1',
    audit: {
      file: config.audit,
      records: traffic.records,
      decisions: traffic.decisions.length,
      labels: traffic.labels.size,
      skipped: traffic.skippedCount,
      flagged: countFlags(traffic),
    },
    policy: sources.map((s) => s.file),
    datasets: loaded ? loaded.datasets.map((d) => ({ file: d.file, cases: d.cases })) : [],
    options: opts,
    baseline: {
      judgeCalls: replay.judgeCalls,
      reproduced: fid.reproduced,
      mismatched: fid.mismatched.slice(0, MAX_MISMATCHES_LISTED),
      mismatchedCount: fid.mismatched.length,
      ...(base.evalDecisions ? { eval: gateMetrics(cases, base.evalDecisions) } : {}),
    },
    proposals,
    combined: {
      accepted: accepted.map((p) => p.id),
      replay: combinedReplay,
      ...(combinedEval ? { eval: combinedEval } : {}),
      gateFailures: combinedFailures,
      check: checkCounts,
    },
    ...(written ? { written } : {}),
  };
}
