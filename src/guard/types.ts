import type { Flag } from '../audit/types.js';
import type { Credential, SecretValue } from '../credentials/types.js';
import type { JudgeFailure, Verdict } from '../judge/types.js';
import type { PolicyEffect } from '../policy/types.js';
import type { Boundary, Grant } from '../scope/types.js';
import type { HistoryEntry, Principal, ToolCall, ToolSpec } from '../session/types.js';

export type GuardMode = 'enforce' | 'shadow';
export type FinalDecision = 'allow' | 'deny' | 'narrow';

/** One call presented to the guard. */
export interface GuardRequest {
  /** Transaction id; generated when absent. */
  readonly txn?: string | undefined;
  readonly sessionId: string;
  readonly call: ToolCall;
  readonly principal: Principal;
  /** The task context (trusted), from `_meta`, header, session registration or `--task`. */
  readonly task: string;
  /** Earlier calls with their results, when the caller keeps them (traces, `/v1/decide`). */
  readonly history?: readonly HistoryEntry[] | undefined;
  readonly tool?: ToolSpec | undefined;
  readonly tools?: readonly ToolSpec[] | undefined;
  /** The user's own token for pass-through identity. */
  readonly subjectToken?: SecretValue | undefined;
  /** Extra flags the caller already knows (e.g. `tool-changed`). */
  readonly flags?: readonly Flag[] | undefined;
  /** Forces a deny before policy runs (tool pin mismatch, escalation), with this reason. */
  readonly preDeny?: { readonly reason: string; readonly flag: Flag } | undefined;
}

/** The judge's part of a decision, as audited. */
export interface JudgeSummary {
  readonly spec: string;
  readonly verdict?: Omit<Verdict, 'args'> & { readonly args?: Readonly<Record<string, unknown>> | undefined };
  readonly failure?: JudgeFailure | undefined;
  /** Narrowing the judge proposed that the boundary refused. */
  readonly refused?: readonly string[] | undefined;
}

/** What the guard decided for one call. */
export interface Decision {
  readonly txn: string;
  readonly sessionId: string;
  readonly call: ToolCall;
  /** The decision on its merits. */
  readonly decision: FinalDecision;
  readonly mode: GuardMode;
  /** True when the call may run: a non-deny decision, or any decision in shadow mode. */
  readonly proceed: boolean;
  /** Scopes and final arguments; null on deny (in shadow mode the call runs with its own arguments). */
  readonly grant: Grant | null;
  readonly policyEffect: PolicyEffect | 'pre-deny';
  readonly boundary: Boundary;
  readonly matchedRules: readonly string[];
  readonly reasons: readonly string[];
  readonly judge?: JudgeSummary | undefined;
  readonly flags: readonly Flag[];
  readonly onJudgeFailure: 'deny' | 'allow';
  /** The audience policy names for this call's credentials, when it names one. */
  readonly audience?: string | undefined;
  readonly credentialTtlSeconds: number;
  readonly timings: Timings;
}

export interface Timings {
  readonly policyUs: number;
  readonly judgeMs: number;
  readonly scopeUs: number;
  readonly credentialsMs?: number | undefined;
  readonly executeMs?: number | undefined;
  readonly auditMs: number;
  readonly totalMs: number;
}

/** What the upstream leg returns, as far as the guard cares. */
export interface ExecutionOutcome<R> {
  readonly ok: boolean;
  /** False when the call never reached the upstream (cancelled before it ran). Default true. */
  readonly executed?: boolean | undefined;
  readonly result: R;
  readonly error?: string | undefined;
}

/** The execute seam: runs the tool upstream with the final args and, when one was derived, the credential. */
export type Executor<R> = (grantArgs: Readonly<Record<string, unknown>>, credential: Credential | undefined) => Promise<ExecutionOutcome<R>>;
