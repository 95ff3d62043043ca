import type { Boundary } from '../scope/types.js';
import type { Principal, SessionFacts } from '../session/types.js';

export type { SessionFacts } from '../session/types.js';

/** What a rule does when it matches. Combination: deny > ask > judge > allow. */
export type PolicyEffect = 'deny' | 'ask' | 'judge' | 'allow';

/** The decision applied when no rule matches. */
export type DefaultDecision = 'deny' | 'judge' | 'allow';

/** The decision applied when the judge fails (timeout, error, unparsable verdict). */
export type FailureDecision = 'deny' | 'allow';

/** The input to the policy pre-filter for one call. */
export interface PolicyInput {
  readonly server: string;
  readonly tool: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly principal: Principal;
  readonly session: SessionFacts;
}

/** The pre-filter's answer for one call. */
export interface PolicyDecision {
  readonly effect: PolicyEffect;
  /** The most this call may be granted. Empty when `effect` is `deny`. */
  readonly boundary: Boundary;
  /** Ids of every rule whose match and condition held, in evaluation order. */
  readonly matchedRules: readonly string[];
  /** The rule that decided the effect, or undefined when the default applied. */
  readonly decidingRule: string | undefined;
  /** Human-readable reasons (rule descriptions, default applied, …). */
  readonly reasons: readonly string[];
  readonly onJudgeFailure: FailureDecision;
  readonly credentialTtlSeconds: number;
  /** The audience for derived credentials, when the policy names one. */
  readonly audience?: string | undefined;
}

/**
 * A loaded, compiled, frozen set of policies. Evaluation does no parsing and no I/O.
 */
export interface PolicyEngine {
  /** Decide one call. Never throws: a condition that errors at runtime counts as matched for deny, ask and judge rules (fail closed) and unmatched for allow rules, with a reason. */
  evaluate(input: PolicyInput): PolicyDecision;
  /** False when no rule could ever allow this tool for this principal (for `tools/list` filtering). */
  toolVisible(server: string, tool: string, principal: Principal): boolean;
  /** Number of compiled rules. */
  readonly size: number;
  /** The files the set was loaded from. */
  readonly sources: readonly string[];
}
