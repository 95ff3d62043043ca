import { IntentguardError } from '../errors.js';
import type { ErrorLocation } from '../errors.js';
import type { ArgConstraint, Boundary } from '../scope/types.js';
import { CelCompiler } from './cel.js';
import { PolicySet } from './engine.js';
import type { PolicySetOptions } from './engine.js';
import { compileGlobList } from './glob.js';
import { parsePolicyText } from './parse.js';
import type { ParsedPolicyFile } from './parse.js';
import { admitPattern } from './regex.js';
import { EMBEDDED_DEFAULTS } from './rule.js';
import type { CompiledRule, PolicyDefaults, PrincipalMatcher } from './rule.js';
import { POLICY_LIMITS } from './schema.js';
import type { ArgConstraintSpec, DefaultsSpec, RuleSpec } from './schema.js';
import type { DefaultDecision, FailureDecision } from './types.js';

/** One policy file's text, named by the path errors should print. */
export interface PolicySource {
  readonly file: string;
  readonly text: string;
}

/** A compiled set together with the parsed files it came from (for inline tests). */
export interface CompiledPolicySet {
  readonly engine: PolicySet;
  readonly files: readonly ParsedPolicyFile[];
}

function asList(v: string | readonly string[] | undefined): readonly string[] {
  if (v === undefined) return ['*'];
  return typeof v === 'string' ? [v] : v;
}

function freezeDeep<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) freezeDeep(v);
    Object.freeze(value);
  }
  return value;
}

/** Maps one YAML constraint object to boundary constraints, in a fixed order. */
function toConstraints(spec: ArgConstraintSpec, where: ErrorLocation): ArgConstraint[] {
  const out: ArgConstraint[] = [];
  const list = (v: string | readonly string[]): string[] => (typeof v === 'string' ? [v] : [...v]);
  if (spec.absent) out.push({ kind: 'absent' });
  if (spec.within !== undefined) out.push({ kind: 'within', roots: list(spec.within) });
  if (spec.prefix !== undefined) out.push({ kind: 'prefix', prefixes: list(spec.prefix) });
  if (spec.one_of !== undefined) out.push({ kind: 'oneOf', values: [...spec.one_of] });
  if (spec.pattern !== undefined) {
    const admitted = admitPattern(spec.pattern);
    if (!admitted.ok) throw new IntentguardError('IG_REGEX_UNSAFE', `pattern ${JSON.stringify(spec.pattern)}: ${admitted.reason}`, { location: where });
    out.push({ kind: 'pattern', pattern: spec.pattern });
  }
  if (spec.min !== undefined || spec.max !== undefined) {
    out.push({ kind: 'range', ...(spec.min === undefined ? {} : { min: spec.min }), ...(spec.max === undefined ? {} : { max: spec.max }) });
  }
  if (spec.max_length !== undefined) out.push({ kind: 'maxLength', max: spec.max_length });
  if (spec.domain !== undefined) out.push({ kind: 'domain', domains: list(spec.domain).map((d) => d.toLowerCase()) });
  if (spec.from_task) out.push({ kind: 'fromTask' });
  return out;
}

const DECISION_STRICTNESS: Readonly<Record<DefaultDecision, number>> = { deny: 0, judge: 1, allow: 2 };
const FAILURE_STRICTNESS: Readonly<Record<FailureDecision, number>> = { deny: 0, allow: 1 };

/** Merges `defaults` across files: for each field, the strictest value any file sets; unset fields do not vote. */
export function mergeDefaults(all: readonly (DefaultsSpec | undefined)[]): PolicyDefaults {
  let decision: DefaultDecision | undefined;
  let onJudgeFailure: FailureDecision | undefined;
  let ttl: number | undefined;
  for (const d of all) {
    if (!d) continue;
    if (d.decision !== undefined && (decision === undefined || DECISION_STRICTNESS[d.decision] < DECISION_STRICTNESS[decision])) decision = d.decision;
    if (d.on_judge_failure !== undefined && (onJudgeFailure === undefined || FAILURE_STRICTNESS[d.on_judge_failure] < FAILURE_STRICTNESS[onJudgeFailure])) {
      onJudgeFailure = d.on_judge_failure;
    }
    if (d.credential_ttl !== undefined) ttl = Math.min(ttl ?? Infinity, d.credential_ttl);
  }
  return Object.freeze({
    decision: decision ?? EMBEDDED_DEFAULTS.decision,
    onJudgeFailure: onJudgeFailure ?? EMBEDDED_DEFAULTS.onJudgeFailure,
    credentialTtlSeconds: ttl ?? EMBEDDED_DEFAULTS.credentialTtlSeconds,
  });
}

function compileRule(spec: RuleSpec, index: number, ordinal: number, parsed: ParsedPolicyFile, cel: CelCompiler): CompiledRule {
  const file = parsed.file;
  const line = parsed.lineOf(['rules', index]);
  const at = (...path: (string | number)[]): ErrorLocation => ({ file, line: parsed.lineOf(['rules', index, ...path]), rule: spec.id });

  let condition: CompiledRule['condition'];
  if (spec.when !== undefined) {
    const { line: whenLine, block } = parsed.scalarAt(['rules', index, 'when']);
    // In a `|` block the expression starts on the next line; point at the line holding the error where we can.
    condition = cel.compile(spec.when, { file, line: block ? whenLine + 1 : whenLine, rule: spec.id });
  }

  const p = spec.match?.principal;
  const principal: PrincipalMatcher | undefined =
    p && (p.agent !== undefined || p.user !== undefined || p.groups !== undefined)
      ? {
          agent: p.agent === undefined ? undefined : compileGlobList(asList(p.agent)),
          user: p.user === undefined ? undefined : compileGlobList(asList(p.user)),
          groups: p.groups === undefined ? undefined : compileGlobList(asList(p.groups)),
        }
      : undefined;

  let boundary: Boundary = { scopes: [], args: {} };
  let declaresScopes = false;
  let audience: string | undefined;
  if (spec.effect !== 'deny') {
    declaresScopes = spec.scopes !== undefined;
    const args: Record<string, ArgConstraint[]> = {};
    for (const [path, c] of Object.entries(spec.args ?? {})) args[path] = toConstraints(c, at('args', path, 'pattern'));
    boundary = { scopes: [...new Set(spec.scopes ?? [])], args };
    audience = spec.audience;
  }

  return freezeDeep({
    ordinal,
    id: spec.id,
    file,
    line,
    effect: spec.effect,
    description: spec.description,
    servers: compileGlobList(asList(spec.match?.server)),
    tools: compileGlobList(asList(spec.match?.tool)),
    principal,
    condition,
    boundary,
    declaresScopes,
    audience,
  });
}

/**
 * Parses, validates and compiles policy files into one frozen set. Throws
 * `IG_POLICY_INVALID`, `IG_CEL_INVALID` or `IG_REGEX_UNSAFE` naming file, line
 * and rule; nothing partial is ever returned.
 */
export function compilePolicySet(docs: readonly PolicySource[], options: PolicySetOptions = {}): CompiledPolicySet {
  const files = docs.map((d) => parsePolicyText(d.file, d.text));
  const cel = new CelCompiler();
  const rules: CompiledRule[] = [];
  const firstSeen = new Map<string, { file: string; line: number }>();
  for (const parsed of files) {
    const specs = parsed.spec.rules ?? [];
    for (const [i, spec] of specs.entries()) {
      const line = parsed.lineOf(['rules', i]);
      const prior = firstSeen.get(spec.id);
      if (prior) {
        throw new IntentguardError('IG_POLICY_INVALID', `duplicate rule id ${spec.id} (first defined at ${prior.file}:${prior.line})`, {
          location: { file: parsed.file, line, rule: spec.id },
        });
      }
      firstSeen.set(spec.id, { file: parsed.file, line });
      if (rules.length >= POLICY_LIMITS.rulesTotal) {
        throw new IntentguardError('IG_POLICY_INVALID', `more than ${POLICY_LIMITS.rulesTotal} rules in the loaded set`, { location: { file: parsed.file, line } });
      }
      rules.push(compileRule(spec, i, rules.length, parsed, cel));
    }
  }
  const defaults = mergeDefaults(files.map((f) => f.spec.defaults));
  const engine = new PolicySet(rules, defaults, files.map((f) => f.file), options);
  return Object.freeze({ engine, files: Object.freeze(files) });
}
