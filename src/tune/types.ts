import type { FinalDecision } from '../guard/types.js';
import type { PolicyEffect } from '../policy/types.js';
import type { ArgConstraintSpec, RuleSpec } from '../policy/schema.js';
import type { ArgConstraint, Boundary } from '../scope/types.js';
import type { Principal, ToolCall } from '../session/types.js';

/** A human's decision on a logged call, as `intentguard review` records it. */
export type HumanDecision = 'allow' | 'deny' | 'narrow';

/** The judge's part of a logged decision, as far as tuning reads it. */
export interface LoggedJudge {
  readonly spec: string;
  readonly verdict?:
    | {
        readonly decision: 'allow' | 'deny' | 'narrow';
        readonly confidence: number;
        readonly reason: string;
        readonly latencyMs: number;
        readonly args?: Readonly<Record<string, unknown>> | undefined;
        readonly scopes?: readonly string[] | undefined;
        readonly provider: string;
        readonly model: string;
      }
    | undefined;
  readonly failure?: { readonly code: string; readonly message: string; readonly latencyMs: number } | undefined;
}

/** One `decision` record of the audit log, validated. */
export interface LoggedDecision {
  /** Position among the decision records (0-based, log order). */
  readonly index: number;
  readonly seq: number;
  readonly txn: string;
  readonly sessionId: string;
  readonly principal: Principal;
  readonly task: string;
  readonly call: ToolCall;
  readonly decision: FinalDecision;
  readonly mode: 'enforce' | 'shadow';
  readonly policyEffect: PolicyEffect | 'pre-deny';
  readonly matchedRules: readonly string[];
  readonly boundary: Boundary;
  readonly grant: { readonly scopes: readonly string[]; readonly args: Readonly<Record<string, unknown>> } | null;
  readonly reasons: readonly string[];
  readonly judge?: LoggedJudge | undefined;
  readonly flags: readonly string[];
}

/** The latest human label of one transaction. */
export interface HumanLabel {
  readonly txn: string;
  readonly label: HumanDecision;
  readonly seq: number;
  readonly reviewer?: string | undefined;
  readonly note?: string | undefined;
}

/** What tuning and review read from one audit log. */
export interface Traffic {
  /** The file as given. */
  readonly file: string;
  /** Records in the log (every type). */
  readonly records: number;
  readonly decisions: readonly LoggedDecision[];
  /** The latest label per transaction. */
  readonly labels: ReadonlyMap<string, HumanLabel>;
  /** Human answers to approval requests, per transaction. */
  readonly approvals: ReadonlyMap<string, 'accept' | 'decline' | 'timeout' | 'unsupported'>;
  /** Transactions whose call ran upstream (an `outcome` record with `executed: true`). */
  readonly executed: ReadonlySet<string>;
  /** True when the log holds outcome records at all (a decide-only log has none). */
  readonly hasOutcomes: boolean;
  /** Decision or label records that did not validate, with their line (the first 100). */
  readonly skipped: readonly { readonly line: number; readonly reason: string }[];
  /** Decision or label records that did not validate, in all. */
  readonly skippedCount: number;
}

export type ProposalKind = 'deny' | 'allow' | 'boundary' | 'fix';

/**
 * `accepted`: written by `--write`; `rejected`: it worsens the eval datasets, breaks an inline
 * test or does not compile; `no-effect`: it changes nothing on the logged traffic (another rule
 * decides those calls first) and is not written.
 */
export type ProposalStatus = 'accepted' | 'rejected' | 'no-effect';

/** The rates the eval gate compares (pipeline mode, offline judge). */
export interface GateMetrics {
  readonly n: number;
  readonly accuracy: number | null;
  readonly balanced_accuracy: number | null;
  readonly false_allow_rate: number | null;
  readonly false_deny_rate: number | null;
}

/** A proposal's effect on the eval datasets. */
export interface EvalEffect {
  readonly before: GateMetrics;
  readonly after: GateMetrics;
  /** Deny-labeled cases the current policy denies and the proposal lets through (allow or narrow). */
  readonly letThrough: readonly string[];
  /** Every case whose decision the proposal changes, with both decisions. */
  readonly changed: readonly { readonly id: string; readonly label: string; readonly from: string; readonly to: string }[];
}

/** A proposal replayed on the logged traffic. */
export interface ReplayEffect {
  /** Logged decisions whose outcome the proposal changes (relative to replaying the current policy). */
  readonly changed: number;
  readonly changes: readonly { readonly txn: string; readonly from: FinalDecision; readonly to: FinalDecision }[];
  /** Judge calls on the decision path (enforce mode; shadow mode's comparison calls are not counted). */
  readonly judgeCalls: { readonly before: number; readonly after: number; readonly saved: number };
  /** Judge latency the saved calls took when they were logged, in milliseconds. */
  readonly latencySavedMs: number;
  /** Calls the proposal newly sends to the judge that have no logged verdict: the offline judge stood in. */
  readonly offlineStandIns: number;
}

/** What a proposal is about, for people and for tests. */
export interface ProposalTarget {
  readonly server: string;
  readonly tool: string;
  /** The argument shape of the group (argument name → value class), for deny, allow and fix. */
  readonly shape?: Readonly<Record<string, string>> | undefined;
  /** The argument a boundary proposal tightens. */
  readonly arg?: string | undefined;
  /** The tighter constraint, in the policy file's form. */
  readonly constraint?: ArgConstraintSpec | undefined;
  /** The constraint the policy puts on the argument now, as logged (empty: none). */
  readonly current?: readonly ArgConstraint[] | undefined;
}

/** The evidence behind a proposal. */
export interface ProposalEvidence {
  /** Logged calls in the group (or, for a boundary, calls of the tool that were allowed or narrowed). */
  readonly calls: number;
  /** Calls the judge decided on the decision path, by verdict. */
  readonly verdicts: { readonly allow: number; readonly deny: number; readonly narrow: number; readonly failed: number };
  readonly confidence: { readonly min: number; readonly mean: number } | null;
  /** Human labels in the group, by decision. */
  readonly humanLabels: { readonly allow: number; readonly deny: number; readonly narrow: number };
  /** Transactions where a human's label differs from the logged decision. */
  readonly overrides: readonly string[];
  /** A few transaction ids to look at. */
  readonly examples: readonly string[];
  /** Judge latency over the group's judged calls, in milliseconds. */
  readonly judgeLatencyMs: number;
}

/** One proposed policy change. */
export interface Proposal {
  /** Stable: a hash of the kind and the target, so the same traffic proposes the same id. */
  readonly id: string;
  readonly kind: ProposalKind;
  status: ProposalStatus;
  /** Why it was rejected or has no effect; notes otherwise. */
  readonly reasons: string[];
  readonly summary: string;
  readonly target: ProposalTarget;
  /** The rule it adds, in the policy file format. */
  readonly rule: RuleSpec;
  readonly evidence: ProposalEvidence;
  replay?: ReplayEffect | undefined;
  eval?: EvalEffect | undefined;
  /** The call its inline test in `tuned.yaml` is derived from. */
  readonly example?: { readonly txn: string; readonly call: ToolCall; readonly principal: Principal } | undefined;
}

/** The whole answer of `intentguard tune`. */
export interface TuneReport {
  readonly schema: 'intentguard.tune/1';
  readonly audit: {
    readonly file: string;
    readonly records: number;
    readonly decisions: number;
    readonly labels: number;
    readonly skipped: number;
    readonly flagged: Readonly<Record<string, number>>;
  };
  readonly policy: readonly string[];
  readonly datasets: readonly { readonly file: string; readonly cases: number }[];
  readonly options: { readonly minSupport: number; readonly minConfidence: number; readonly minAgreement: number };
  /** Replaying the current policy: how faithfully the log is reproduced. */
  readonly baseline: {
    readonly judgeCalls: number;
    readonly reproduced: number;
    /** Transactions whose replayed decision differs from the logged one (at most 100 listed). */
    readonly mismatched: readonly string[];
    readonly mismatchedCount: number;
    readonly eval?: GateMetrics | undefined;
  };
  readonly proposals: readonly Proposal[];
  /** Every accepted proposal together, as written by `--write`. */
  readonly combined: {
    readonly accepted: readonly string[];
    readonly replay: ReplayEffect;
    readonly eval?: EvalEffect | undefined;
    /** Why the accepted proposals together fail the eval gate (nothing is written then); empty when they pass. */
    readonly gateFailures: readonly string[];
    /** Inline tests of the written set (the given policies' and the new ones). */
    readonly check: { readonly passed: number; readonly failed: number };
  };
  readonly written?: { readonly dir: string; readonly files: readonly string[] } | undefined;
}
