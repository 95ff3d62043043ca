import type { ErrorCode } from '../errors.js';
import type { Boundary } from '../scope/types.js';
import type { HistoryEntry, Principal, ProvenanceFact, ToolCall, ToolSpec } from '../session/types.js';

export type VerdictDecision = 'allow' | 'deny' | 'narrow';

/**
 * Everything a judge may look at for one call. Deliberately holds no case id,
 * label, tags or source: a judge decides from the call, never from metadata.
 */
export interface JudgeInput {
  /** The user's request (trusted). */
  readonly task: string;
  readonly principal: Principal;
  /** Earlier calls in the session; their `result` text is untrusted. */
  readonly history: readonly HistoryEntry[];
  readonly call: ToolCall;
  /** The called tool's definition from the upstream (untrusted text), when known. */
  readonly tool?: ToolSpec | undefined;
  /** Definitions of other tools seen in the session, when known (untrusted text). */
  readonly tools?: readonly ToolSpec[] | undefined;
  /** The policy boundary: the most this call may be granted. */
  readonly boundary: Boundary;
  /** Provenance of each argument value, computed by the session ledger. */
  readonly provenance: readonly ProvenanceFact[];
}

/** A piece of evidence behind a verdict: which argument, where it came from, and why it matters. */
export interface Evidence {
  readonly arg?: string | undefined;
  readonly source: string;
  readonly detail: string;
}

export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** A judge's verdict. It is a proposal: the guard clamps it to the boundary before anything runs. */
export interface Verdict {
  readonly decision: VerdictDecision;
  /** For `narrow`: the scopes to keep. */
  readonly scopes?: readonly string[] | undefined;
  /** For `narrow`: replacement values for some arguments. */
  readonly args?: Readonly<Record<string, unknown>> | undefined;
  /** A reason an agent can act on; never contains untrusted text verbatim beyond short quotes. */
  readonly reason: string;
  /** 0..1: how sure the judge is. Cascades escalate below a threshold. */
  readonly confidence: number;
  readonly evidence: readonly Evidence[];
  readonly provider: string;
  readonly model: string;
  readonly promptId?: string | undefined;
  readonly promptHash?: string | undefined;
  readonly latencyMs: number;
  readonly usage?: TokenUsage | undefined;
  readonly cached: boolean;
  /** For cascades: the spec of the stage that resolved the call. */
  readonly stage?: string | undefined;
}

/** A judge that could not give a verdict. The guard applies the policy's failure decision. */
export interface JudgeFailure {
  readonly code: Extract<ErrorCode, `IG_JUDGE_${string}`>;
  readonly message: string;
  readonly provider: string;
  readonly model: string;
  readonly latencyMs: number;
  readonly attempts: number;
  readonly usage?: TokenUsage | undefined;
}

export type JudgeResult = { readonly ok: true; readonly verdict: Verdict } | { readonly ok: false; readonly failure: JudgeFailure };

export interface JudgeCallOptions {
  /** Aborts the call; the judge answers with an `IG_JUDGE_TIMEOUT` failure. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * The seam between the guard and any way of deciding intent.
 */
export interface Judge {
  /** The spec string this judge was built from (`offline`, `openai:gpt-4o-mini`, `cascade:offline>openai:gpt-4o-mini`). */
  readonly spec: string;
  /**
   * Called once per call that policy hands to the judge. Never throws for
   * provider trouble: every timeout, refusal, rate limit or unparsable reply is
   * returned as `{ ok: false, failure }`. It may throw only on programming errors.
   */
  judge(input: JudgeInput, options?: JudgeCallOptions): Promise<JudgeResult>;
  /** Releases sockets and timers. Called once when the owner shuts down. */
  close?(): Promise<void>;
}
