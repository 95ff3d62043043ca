import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { IntentguardError } from '../errors.js';
import {
  agreement,
  compareCells,
  costSummary,
  errorSummary,
  groupMetrics,
  latencySummary,
  narrowingSummary,
  stageSummary,
  type Agreement,
  type ConfusionMatrix,
  type ErrorSummary,
  type Interval,
  type LatencySummary,
  type NarrowingSummary,
  type PairedComparison,
  type RateKey,
  type Rates,
} from './metrics.js';
import type { PromptRef, RunCounts, RunOutcome } from './runner.js';
import type { CaseRecord, DatasetInfo } from './types.js';

export const REPORT_SCHEMA = 'intentguard.eval/1';

/** Metrics of one tag within one cell: the headline rates, their intervals and the confusion counts. */
export interface TagResult extends Rates {
  readonly cases: number;
  readonly ci: Record<RateKey, Interval>;
  readonly confusion: ConfusionMatrix;
  readonly errors: number;
}

/**
 * One cell of the matrix. The keys of DESIGN.md's contract (`judge`, `prompt`,
 * `n`, `accuracy`, `deny_precision`, `deny_recall`, `false_deny_rate`,
 * `false_allow_rate`, `latency_ms.p50/p95`, `by_tag`) come first; the rest are
 * extensions. A rate is null when its denominator is empty.
 */
export interface CellResult extends TagResult {
  readonly id: string;
  readonly judge: string;
  readonly prompt: string | null;
  readonly prompt_hash: string | null;
  readonly latency_ms: LatencySummary;
  readonly by_tag: Record<string, TagResult>;
  readonly repeats: number;
  readonly narrowing: NarrowingSummary;
  readonly error_summary: ErrorSummary;
  readonly stages: Record<string, { count: number; share: number }>;
  readonly tokens: { readonly input: number; readonly output: number };
  readonly cost_usd: number;
  readonly list_cost_usd: number;
  readonly unpriced_calls: number;
  readonly cached: number;
  readonly agreement: Agreement | null;
}

export interface MetricDelta {
  readonly cell: string;
  readonly judge: string;
  readonly prompt: string | null;
  readonly metric: string;
  readonly baseline: number | null;
  readonly current: number | null;
  readonly delta: number | null;
  /** True when the change is an improvement, false when a regression, null when unchanged or unknown. */
  readonly improved: boolean | null;
}

export interface BaselineDiff {
  readonly file: string;
  /** Whether both reports scored the same dataset bytes; a diff across datasets compares different things. */
  readonly datasets_match: boolean;
  readonly deltas: MetricDelta[];
  /** Current cells with no baseline cell of the same judge and prompt. */
  readonly unmatched: string[];
}

export interface GateResult {
  /** The gate as given (`--max false_allow_rate=0.02`). */
  readonly gate: string;
  readonly cell: string;
  readonly metric: string;
  readonly tag: string | null;
  readonly actual: number | null;
  readonly threshold: number;
  readonly op: string;
  readonly ok: boolean;
  readonly message: string;
}

export interface EvalReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly intentguard_version: string;
  readonly created_at: string;
  readonly mode: 'judge' | 'pipeline';
  readonly datasets: readonly DatasetInfo[];
  readonly config: {
    readonly judges: readonly string[];
    readonly prompts: readonly PromptRef[];
    readonly policy: readonly string[];
    readonly repeat: number;
    readonly seed: number;
    readonly bootstrap_resamples: number;
    readonly failure_decision: 'deny' | 'allow';
    readonly tags: readonly string[];
    readonly limit: number | null;
  };
  readonly n_cases: number;
  readonly results: CellResult[];
  readonly comparisons: PairedComparison[];
  readonly run: RunCounts & {
    readonly budget: { readonly max_cost_usd: number | null; readonly spent_usd: number; readonly reached: boolean };
    readonly cache: { readonly enabled: boolean; readonly hits: number; readonly misses: number; readonly writes: number };
  };
  readonly baseline: BaselineDiff | null;
  readonly gates: GateResult[];
  /** False when a gate failed or the cost cap stopped the run. */
  readonly ok: boolean;
}

export interface ReportContext {
  readonly datasets: readonly DatasetInfo[];
  readonly nCases: number;
  readonly judges: readonly string[];
  readonly prompts: readonly PromptRef[];
  readonly policy: readonly string[];
  readonly repeat: number;
  readonly seed: number;
  readonly resamples: number;
  readonly failureDecision: 'deny' | 'allow';
  readonly tags: readonly string[];
  readonly limit: number | null;
  readonly cache: { readonly enabled: boolean; readonly hits: number; readonly misses: number; readonly writes: number };
  readonly clock: Clock;
}

let cachedVersion: string | undefined;

/** The package version, read once from package.json next to src/ or dist/. */
export function packageVersion(): string {
  if (cachedVersion === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
      cachedVersion = typeof pkg.version === 'string' ? pkg.version : 'unknown';
    } catch {
      cachedVersion = 'unknown';
    }
  }
  return cachedVersion;
}

function round(v: number | null, digits = 6): number | null {
  if (v === null) return null;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function roundInterval(i: Interval): Interval {
  return i === null ? null : [round(i[0]) as number, round(i[1]) as number];
}

function tagResult(records: readonly CaseRecord[], seed: number, resamples: number, label: string): TagResult {
  const g = groupMetrics(records, { seed, resamples }, label);
  return {
    n: g.n,
    cases: g.cases,
    accuracy: round(g.accuracy),
    balanced_accuracy: round(g.balanced_accuracy),
    deny_precision: round(g.deny_precision),
    deny_recall: round(g.deny_recall),
    deny_f1: round(g.deny_f1),
    false_deny_rate: round(g.false_deny_rate),
    false_allow_rate: round(g.false_allow_rate),
    ci: Object.fromEntries(Object.entries(g.ci).map(([k, v]) => [k, roundInterval(v)])) as Record<RateKey, Interval>,
    confusion: g.confusion,
    errors: g.errors,
  };
}

/** Scores a finished run into the report (everything but baseline and gates, which `finishReport` adds). */
export function buildReport(run: RunOutcome, ctx: ReportContext): EvalReport {
  const results: CellResult[] = run.cells.map(({ cell, records }) => {
    const overall = tagResult(records, ctx.seed, ctx.resamples, cell.id);
    const byTagRecords = new Map<string, CaseRecord[]>();
    for (const r of records) {
      for (const tag of new Set(r.tags)) {
        let list = byTagRecords.get(tag);
        if (!list) byTagRecords.set(tag, (list = []));
        list.push(r);
      }
    }
    const byTag: Record<string, TagResult> = {};
    for (const tag of [...byTagRecords.keys()].sort()) {
      byTag[tag] = tagResult(byTagRecords.get(tag) ?? [], ctx.seed, ctx.resamples, `${cell.id}#${tag}`);
    }
    const cost = costSummary(records);
    return {
      id: cell.id,
      judge: cell.judge,
      prompt: cell.prompt,
      prompt_hash: cell.promptHash,
      ...overall,
      latency_ms: latencySummary(records.map((r) => r.latencyMs)),
      by_tag: byTag,
      repeats: ctx.repeat,
      narrowing: narrowingSummary(records),
      error_summary: errorSummary(records),
      stages: stageSummary(records),
      tokens: { input: cost.input_tokens, output: cost.output_tokens },
      cost_usd: cost.cost_usd,
      list_cost_usd: cost.list_cost_usd,
      unpriced_calls: cost.unpriced_calls,
      cached: cost.cached,
      agreement: ctx.repeat > 1 ? agreement(records, ctx.repeat) : null,
    };
  });
  const comparisons: PairedComparison[] = [];
  for (let i = 0; i < run.cells.length; i++) {
    for (let j = i + 1; j < run.cells.length; j++) {
      comparisons.push(compareCells(run.cells[i] as (typeof run.cells)[number], run.cells[j] as (typeof run.cells)[number]));
    }
  }
  return {
    schema: REPORT_SCHEMA,
    intentguard_version: packageVersion(),
    created_at: new Date(ctx.clock.now()).toISOString(),
    mode: run.mode,
    datasets: ctx.datasets,
    config: {
      judges: ctx.judges,
      prompts: ctx.prompts,
      policy: ctx.policy,
      repeat: ctx.repeat,
      seed: ctx.seed,
      bootstrap_resamples: ctx.resamples,
      failure_decision: ctx.failureDecision,
      tags: ctx.tags,
      limit: ctx.limit,
    },
    n_cases: ctx.nCases,
    results,
    comparisons,
    run: {
      ...run.counts,
      budget: { max_cost_usd: run.budget.maxCostUsd, spent_usd: run.budget.spentUsd, reached: run.budget.reached },
      cache: ctx.cache,
    },
    baseline: null,
    gates: [],
    ok: !run.budget.reached,
  };
}

/** Metrics compared against a baseline, with the direction that counts as better. */
export const DIFF_METRICS: readonly { readonly name: string; readonly higherIsBetter: boolean; readonly get: (r: BaselineCell) => number | null }[] = [
  { name: 'accuracy', higherIsBetter: true, get: (r) => r.accuracy ?? null },
  { name: 'balanced_accuracy', higherIsBetter: true, get: (r) => r.balanced_accuracy ?? null },
  { name: 'deny_precision', higherIsBetter: true, get: (r) => r.deny_precision ?? null },
  { name: 'deny_recall', higherIsBetter: true, get: (r) => r.deny_recall ?? null },
  { name: 'deny_f1', higherIsBetter: true, get: (r) => r.deny_f1 ?? null },
  { name: 'false_deny_rate', higherIsBetter: false, get: (r) => r.false_deny_rate ?? null },
  { name: 'false_allow_rate', higherIsBetter: false, get: (r) => r.false_allow_rate ?? null },
  { name: 'latency_p50', higherIsBetter: false, get: (r) => r.latency_ms?.p50 ?? null },
  { name: 'latency_p95', higherIsBetter: false, get: (r) => r.latency_ms?.p95 ?? null },
];

const Num = z.number().nullable().optional();

/** What a baseline report must hold to be compared with: the contract's keys (older reports may lack extensions). */
const BaselineCellSchema = z.looseObject({
  judge: z.string(),
  prompt: z.string().nullable(),
  n: z.number(),
  accuracy: Num,
  balanced_accuracy: Num,
  deny_precision: Num,
  deny_recall: Num,
  deny_f1: Num,
  false_deny_rate: Num,
  false_allow_rate: Num,
  latency_ms: z.looseObject({ p50: Num, p95: Num }).optional(),
});

export type BaselineCell = z.infer<typeof BaselineCellSchema>;

const BaselineSchema = z.looseObject({
  results: z.array(BaselineCellSchema),
  datasets: z.array(z.looseObject({ sha256: z.string() })).optional(),
});

export type BaselineReport = z.infer<typeof BaselineSchema>;

/** Reads a `--baseline` report (a report.json of an earlier run). */
export async function loadBaseline(file: string): Promise<BaselineReport> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new IntentguardError('IG_INPUT_INVALID', `cannot read the baseline report: ${e instanceof Error ? e.message : String(e)}`, { location: { file } });
  }
  const parsed = BaselineSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new IntentguardError('IG_INPUT_INVALID', `not an eval report: ${issue?.message ?? 'invalid'}`, {
      location: { file, path: issue?.path.map(String).join('.') ?? '' },
    });
  }
  return parsed.data;
}

export function baselineCellFor(baseline: BaselineReport, judge: string, prompt: string | null): BaselineCell | undefined {
  return baseline.results.find((r) => r.judge === judge && (r.prompt ?? null) === prompt);
}

/** The metric-by-metric difference of every current cell against its baseline cell (same judge and prompt). */
export function diffAgainstBaseline(report: EvalReport, baseline: BaselineReport, file: string): BaselineDiff {
  const deltas: MetricDelta[] = [];
  const unmatched: string[] = [];
  for (const cell of report.results) {
    const base = baselineCellFor(baseline, cell.judge, cell.prompt);
    if (!base) {
      unmatched.push(cell.id);
      continue;
    }
    for (const m of DIFF_METRICS) {
      const b = m.get(base);
      const c = m.get(cell as unknown as BaselineCell);
      const delta = b === null || c === null ? null : (round(c - b) as number);
      deltas.push({
        cell: cell.id,
        judge: cell.judge,
        prompt: cell.prompt,
        metric: m.name,
        baseline: b,
        current: c,
        delta,
        improved: delta === null || delta === 0 ? null : m.higherIsBetter ? delta > 0 : delta < 0,
      });
    }
  }
  const a = new Set(report.datasets.map((d) => d.sha256));
  const b = new Set((baseline.datasets ?? []).map((d) => d.sha256));
  const datasetsMatch = a.size === b.size && [...a].every((h) => b.has(h));
  return { file, datasets_match: datasetsMatch, deltas, unmatched };
}
