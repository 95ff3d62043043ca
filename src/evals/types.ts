import type { HistoryEntry, Principal, ToolSpec } from '../session/types.js';

/** The decisions a case can be labeled with and a guard can reach. Order is the confusion matrix's order. */
export const DECISIONS = ['allow', 'deny', 'narrow'] as const;
export type Decision = (typeof DECISIONS)[number];

/** What a narrow-labeled case expects the narrowed call to be. */
export interface CaseLabel {
  readonly decision: Decision;
  /** For `narrow`: replacement values (by argument path) the narrowed call should carry. */
  readonly args?: Readonly<Record<string, unknown>> | undefined;
  /** For `narrow`: the scopes the narrowed call should keep. */
  readonly scopes?: readonly string[] | undefined;
}

/**
 * One labeled trace (DESIGN.md "Labeled trace"), validated. `id`, `source`,
 * `label` and `tags` are for scoring only: they never reach a judge.
 */
export interface EvalCase {
  readonly id: string;
  readonly source?: string | undefined;
  readonly task: string;
  readonly principal: Principal;
  readonly history: readonly HistoryEntry[];
  readonly call: { readonly server: string; readonly tool: string; readonly args: Readonly<Record<string, unknown>> };
  readonly tools: readonly ToolSpec[];
  readonly label: CaseLabel;
  readonly tags: readonly string[];
  /** Where the case came from, for error messages and junit. */
  readonly origin: { readonly file: string; readonly line: number };
}

/** A dataset file as loaded: identified by the sha256 of its bytes. */
export interface DatasetInfo {
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly cases: number;
}

/**
 * How a prediction on a narrow-labeled case compares with the expected narrowing:
 * `exact` (the expected arguments/scopes), `over-narrowed` (tighter than expected),
 * `under-narrowed` (narrowed, but less than expected), `not-narrowed` (allowed
 * as requested), `denied`, or `mismatch` (changed in some other way).
 */
export type NarrowingOutcome = 'exact' | 'over-narrowed' | 'under-narrowed' | 'not-narrowed' | 'denied' | 'mismatch';

/** What one cell predicted for one case (one repeat). Everything the metrics and reports need. */
export interface CaseRecord {
  readonly caseId: string;
  /** 0-based repeat index (`--repeat`). */
  readonly epoch: number;
  readonly label: CaseLabel;
  readonly tags: readonly string[];
  readonly decision: Decision;
  /** The call's arguments after narrowing, when the decision is `narrow`. */
  readonly args?: Readonly<Record<string, unknown>> | undefined;
  readonly scopes?: readonly string[] | undefined;
  /** Only for narrow-labeled cases. */
  readonly narrowing?: NarrowingOutcome | undefined;
  /** The judge failed; `decision` is the configured failure decision. */
  readonly error?: { readonly code: string; readonly message: string } | undefined;
  /** What resolved the call: `policy`, a cascade stage's spec, the judge's spec, or `fallback`. */
  readonly stage: string;
  readonly latencyMs: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** USD for this call's tokens; null when the model has no price. 0 when served from the cache. */
  readonly costUsd: number | null;
  /** USD the call would cost uncached (for reporting what the cache saved); null when unpriced. */
  readonly listCostUsd: number | null;
  readonly cached: boolean;
  /** A short reason for the report (the verdict's reason or the failure message), never a secret. */
  readonly reason: string;
}

/** One column of the matrix: a judge with a prompt (or none: the offline judge ignores prompts). */
export interface Cell {
  /** Stable id: `judge` or `judge|prompt`. */
  readonly id: string;
  readonly judge: string;
  /** The prompt file as given on the command line; null when the judge takes no prompt. */
  readonly prompt: string | null;
  readonly promptHash: string | null;
}

export interface CellRun {
  readonly cell: Cell;
  readonly records: CaseRecord[];
}
