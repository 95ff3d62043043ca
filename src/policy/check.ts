import type { CompiledPolicySet } from './compile.js';
import { compilePolicySet } from './compile.js';
import type { PolicySource } from './compile.js';
import { readPolicySources } from './load.js';
import type { PolicyTestSpec } from './schema.js';
import type { PolicyDecision, PolicyEffect, PolicyEngine } from './types.js';

/** The outcome of one inline test. */
export interface PolicyTestResult {
  readonly file: string;
  readonly line: number;
  readonly name: string;
  readonly ok: boolean;
  readonly expected: PolicyEffect;
  readonly actual: PolicyEffect;
  /** The rule that decided, when one did. */
  readonly rule?: string;
  /** What differed from the expectation, one line per difference (empty when ok). */
  readonly problems: readonly string[];
}

/** What `intentguard check` reports. */
export interface PolicyCheckReport {
  readonly files: readonly { readonly file: string; readonly rules: number; readonly tests: number }[];
  readonly rules: number;
  readonly tests: readonly PolicyTestResult[];
  readonly passed: number;
  readonly failed: number;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

function list(xs: readonly string[]): string {
  return `[${xs.join(', ')}]`;
}

/** Runs one inline test against the whole loaded set (combination is global, so tests see every file's rules). */
export function runPolicyTest(engine: PolicyEngine, t: PolicyTestSpec): { decision: PolicyDecision; problems: string[] } {
  const decision = engine.evaluate({
    server: t.call.server,
    tool: t.call.tool,
    args: t.call.args ?? {},
    principal: t.principal ?? {},
    session: {
      id: 'check',
      calls: t.session?.calls ?? 0,
      denials: t.session?.denials ?? 0,
      untrustedSeen: t.session?.untrusted_seen ?? false,
      tags: t.session?.tags ?? [],
    },
  });
  const problems: string[] = [];
  if (decision.effect !== t.expect) problems.push(`expected ${t.expect}, got ${decision.effect}`);
  if (t.expect_rule !== undefined && decision.decidingRule !== t.expect_rule) {
    problems.push(`expected rule ${t.expect_rule} to decide, got ${decision.decidingRule ?? 'the default'}`);
  }
  if (t.expect_matched !== undefined && !sameSet(t.expect_matched, decision.matchedRules)) {
    problems.push(`expected matched rules ${list(t.expect_matched)}, got ${list(decision.matchedRules)}`);
  }
  if (t.expect_scopes !== undefined && !sameSet(t.expect_scopes, decision.boundary.scopes)) {
    problems.push(`expected scopes ${list(t.expect_scopes)}, got ${list(decision.boundary.scopes)}`);
  }
  if (t.expect_args !== undefined && !sameSet(t.expect_args, Object.keys(decision.boundary.args))) {
    problems.push(`expected constrained args ${list(t.expect_args)}, got ${list(Object.keys(decision.boundary.args))}`);
  }
  return { decision, problems };
}

/** Runs every inline test of a compiled set. */
export function checkPolicySet(set: CompiledPolicySet): PolicyCheckReport {
  const tests: PolicyTestResult[] = [];
  const files = set.files.map((f) => {
    const specs = f.spec.tests ?? [];
    for (const [i, t] of specs.entries()) {
      const { decision, problems } = runPolicyTest(set.engine, t);
      tests.push(
        Object.freeze({
          file: f.file,
          line: f.lineOf(['tests', i]),
          name: t.name,
          ok: problems.length === 0,
          expected: t.expect,
          actual: decision.effect,
          ...(decision.decidingRule === undefined ? {} : { rule: decision.decidingRule }),
          problems: Object.freeze(problems),
        }),
      );
    }
    return Object.freeze({ file: f.file, rules: f.spec.rules?.length ?? 0, tests: specs.length });
  });
  const passed = tests.filter((t) => t.ok).length;
  return Object.freeze({
    files: Object.freeze(files),
    rules: set.engine.size,
    tests: Object.freeze(tests),
    passed,
    failed: tests.length - passed,
  });
}

/** Loads policy files/directories and runs their inline tests. Throws like `loadPolicies` on an invalid set. */
export async function checkPolicies(paths: readonly string[]): Promise<PolicyCheckReport> {
  return checkPolicySet(compilePolicySet(await readPolicySources(paths)));
}

/** Like `checkPolicies`, on texts already in memory. */
export function checkPolicySources(docs: readonly PolicySource[]): PolicyCheckReport {
  return checkPolicySet(compilePolicySet(docs));
}
