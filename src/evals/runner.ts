import { DiscardAudit } from '../audit/discard.js';
import { elapsedUs, systemClock, type Clock } from '../clock.js';
import { Guard } from '../guard/guard.js';
import type { Decision as GuardDecision } from '../guard/types.js';
import type { Judge, JudgeResult, TokenUsage } from '../judge/types.js';
import type { PolicyEngine } from '../policy/types.js';
import { applyNarrowedArgs } from '../scope/index.js';
import { buildJudgeInput, EvalSession, feedLedger, type LedgerFactory } from './judge-input.js';
import { RunJournal } from './journal.js';
import { classifyNarrowing } from './metrics.js';
import { PriceTable } from './prices.js';
import { withResponseCache, type ResponseCache } from './response-cache.js';
import type { CaseRecord, Cell, CellRun, Decision, EvalCase } from './types.js';

/** Builds the judge of one cell. The runner passes the cell's prompt file, if any. */
export type JudgeFactory = (spec: string, options: { readonly promptFile?: string | undefined }) => Judge | Promise<Judge>;

export interface PromptRef {
  /** The prompt file as given on the command line. */
  readonly file: string;
  /** sha256 of the file's bytes. */
  readonly sha256: string;
}

export interface ProgressState {
  readonly done: number;
  readonly total: number;
  readonly cached: number;
  readonly errors: number;
  readonly spentUsd: number;
}

export interface RunnerOptions {
  readonly cases: readonly EvalCase[];
  /** Judge specs; each is one column of the matrix (times the prompts, for judges that take one). */
  readonly judges: readonly string[];
  readonly prompts: readonly PromptRef[];
  /** The hash of the judges' built-in prompt, keying the cache of cells run without `--prompt`. */
  readonly defaultPromptHash?: string | null | undefined;
  readonly createJudge: JudgeFactory;
  /** A fresh provenance ledger per case. */
  readonly newLedger: LedgerFactory;
  /** Pipeline mode: what the whole guard decides (policy pre-filter, then the judge, clamped). */
  readonly policy?: PolicyEngine | undefined;
  /** Runs per case, for non-deterministic judges (default 1). */
  readonly repeat?: number | undefined;
  /** Calls in flight per provider (default 4). */
  readonly concurrency?: number | undefined;
  readonly cache?: ResponseCache | undefined;
  readonly journal?: RunJournal | undefined;
  readonly prices?: PriceTable | undefined;
  /** Stop scheduling new calls once this much (USD) is spent. */
  readonly maxCostUsd?: number | undefined;
  /** How a judge failure is scored in judge mode (pipeline mode uses the policy's). Default deny. */
  readonly failureDecision?: 'deny' | 'allow' | undefined;
  readonly clock?: Clock | undefined;
  readonly onProgress?: ((state: ProgressState) => void) | undefined;
  /** Aborting stops scheduling; calls in flight are abandoned and not recorded. */
  readonly signal?: AbortSignal | undefined;
  /** After a rate-limited failure, new calls to that provider wait this long (doubling, capped at 30 s). Default 1 s. */
  readonly rateLimitCooldownMs?: number | undefined;
}

export interface RunCounts {
  /** Calls the matrix needs: cells × cases × repeats. */
  readonly planned: number;
  /** Calls that finished in this run (including cache hits and failures). */
  readonly completed: number;
  /** Calls reused from the journal (`--resume`). */
  readonly resumed: number;
  readonly cached: number;
  readonly errors: number;
  /** Calls not made because the cost cap was reached. */
  readonly skippedBudget: number;
  /** Calls not made because the run was interrupted. */
  readonly interrupted: number;
}

export interface RunOutcome {
  readonly mode: 'judge' | 'pipeline';
  readonly cells: CellRun[];
  readonly counts: RunCounts;
  readonly budget: { readonly maxCostUsd: number | null; readonly spentUsd: number; readonly reached: boolean };
}

/** True for specs that read a prompt: everything with a model behind it. The offline judge has none. */
export function takesPrompt(spec: string): boolean {
  return stagesOf(spec).some((s) => s !== 'offline');
}

/** The stage specs of a judge spec (`cascade:A>B` → [A, B]). */
export function stagesOf(spec: string): string[] {
  return spec.startsWith('cascade:') ? spec.slice('cascade:'.length).split('>') : [spec];
}

/** The provider a spec's calls are limited under: the first stage with a model, else `offline`. */
export function providerOf(spec: string): string {
  const stage = stagesOf(spec).find((s) => s !== 'offline');
  return stage === undefined ? 'offline' : (stage.split(':')[0] ?? stage);
}

/**
 * The matrix: judges × prompts, except that a judge without a prompt (offline)
 * gets one cell, and without `--prompt` every judge runs its built-in prompt.
 */
export function planCells(judges: readonly string[], prompts: readonly PromptRef[], defaultPromptHash: string | null = null): Cell[] {
  const cells: Cell[] = [];
  for (const judge of judges) {
    if (!takesPrompt(judge) || prompts.length === 0) {
      cells.push({ id: judge, judge, prompt: null, promptHash: takesPrompt(judge) ? defaultPromptHash : null });
      continue;
    }
    for (const p of prompts) cells.push({ id: `${judge}|${p.file}`, judge, prompt: p.file, promptHash: p.sha256 });
  }
  const seen = new Set<string>();
  return cells.filter((c) => (seen.has(c.id) ? false : (seen.add(c.id), true)));
}

/** A FIFO semaphore with an optional pause (after a rate limit). */
class Limiter {
  #active = 0;
  readonly #queue: (() => void)[] = [];
  pausedUntil = 0;
  backoffMs = 0;

  constructor(private readonly size: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#active >= this.size) await new Promise<void>((resolve) => this.#queue.push(resolve));
    this.#active++;
    try {
      return await fn();
    } finally {
      this.#active--;
      this.#queue.shift()?.();
    }
  }
}

/** The arguments a narrowed call runs with; a proposal naming an impossible path narrows nothing (the guard would refuse it too). */
function narrowedArgs(args: Readonly<Record<string, unknown>>, changes: Readonly<Record<string, unknown>>): Record<string, unknown> {
  try {
    return applyNarrowedArgs(args, changes);
  } catch {
    return structuredClone(args) as Record<string, unknown>;
  }
}

function short(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

interface Job {
  readonly cell: Cell;
  readonly judge: Judge;
  readonly c: EvalCase;
  readonly epoch: number;
}

/**
 * Runs the matrix. Every cell sees the same cases; within a provider at most
 * `concurrency` calls are in flight. The on-disk cache is consulted for judges
 * with a model (the offline judge is deterministic and free). Each finished
 * call is journaled before the next is scheduled on that slot.
 */
export async function runMatrix(options: RunnerOptions): Promise<RunOutcome> {
  const clock = options.clock ?? systemClock;
  const repeat = Math.max(1, options.repeat ?? 1);
  const prices = options.prices ?? new PriceTable();
  const failureDecision = options.failureDecision ?? 'deny';
  const cooldown = options.rateLimitCooldownMs ?? 1000;
  const cells = planCells(options.judges, options.prompts, options.defaultPromptHash ?? null);
  const limiters = new Map<string, Limiter>();
  const judges: Judge[] = [];
  const runs: CellRun[] = [];
  const jobs: Job[] = [];

  try {
    for (const cell of cells) {
      const base = await options.createJudge(cell.judge, { promptFile: cell.prompt ?? undefined });
      judges.push(base);
      runs.push({ cell, records: [] });
      const provider = providerOf(cell.judge);
      if (!limiters.has(provider)) limiters.set(provider, new Limiter(Math.max(1, options.concurrency ?? 4)));
      for (const c of options.cases) for (let epoch = 0; epoch < repeat; epoch++) jobs.push({ cell, judge: base, c, epoch });
    }

    const state = { done: 0, cached: 0, errors: 0, resumed: 0, spent: 0, skippedBudget: 0, interrupted: 0, completed: 0 };
    const total = jobs.length;
    const progress = (): void =>
      options.onProgress?.({ done: state.done, total, cached: state.cached, errors: state.errors, spentUsd: state.spent });
    const recordsOf = new Map(runs.map((r) => [r.cell.id, r.records]));

    const execute = async (job: Job): Promise<void> => {
      const prior = options.journal?.completed(job.cell.id, job.c.id, job.epoch);
      if (prior) {
        recordsOf.get(job.cell.id)?.push(prior);
        state.resumed++;
        state.done++;
        progress();
        return;
      }
      const limiter = limiters.get(providerOf(job.cell.judge)) as Limiter;
      await limiter.run(async () => {
        if (options.signal?.aborted) {
          state.interrupted++;
          return;
        }
        if (options.maxCostUsd !== undefined && state.spent >= options.maxCostUsd) {
          state.skippedBudget++;
          return;
        }
        const wait = limiter.pausedUntil - clock.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));

        const judge =
          options.cache && takesPrompt(job.cell.judge)
            ? withResponseCache(job.judge, options.cache, { spec: job.cell.judge, promptHash: job.cell.promptHash, epoch: job.epoch })
            : job.judge;
        const record = options.policy
          ? await runPipelineCase(job, judge, options.policy, options.newLedger, prices, clock)
          : await runJudgeCase(job, judge, options.newLedger, prices, failureDecision, clock, options.signal);
        if (options.signal?.aborted && record.error) {
          // An abandoned call is not a judge failure: leave it for `--resume`.
          state.interrupted++;
          return;
        }
        if (record.error?.code === 'IG_JUDGE_RATE_LIMITED') {
          limiter.backoffMs = Math.min(30_000, limiter.backoffMs ? limiter.backoffMs * 2 : cooldown);
          limiter.pausedUntil = clock.now() + limiter.backoffMs;
        } else if (!record.error) {
          limiter.backoffMs = 0;
        }
        recordsOf.get(job.cell.id)?.push(record);
        options.journal?.append(job.cell.id, record);
        state.completed++;
        state.done++;
        if (record.cached) state.cached++;
        if (record.error) state.errors++;
        state.spent += record.costUsd ?? 0;
        progress();
      });
    };

    await Promise.all(jobs.map(execute));
    // Results arrive in completion order; reports read them in dataset order.
    const order = new Map(options.cases.map((c, i) => [c.id, i]));
    for (const run of runs) run.records.sort((a, b) => (order.get(a.caseId) ?? 0) - (order.get(b.caseId) ?? 0) || a.epoch - b.epoch);

    return {
      mode: options.policy ? 'pipeline' : 'judge',
      cells: runs,
      counts: {
        planned: total,
        completed: state.completed,
        resumed: state.resumed,
        cached: state.cached,
        errors: state.errors,
        skippedBudget: state.skippedBudget,
        interrupted: state.interrupted,
      },
      budget: {
        maxCostUsd: options.maxCostUsd ?? null,
        spentUsd: Math.round(state.spent * 1e8) / 1e8,
        reached: options.maxCostUsd !== undefined && state.spent >= options.maxCostUsd,
      },
    };
  } finally {
    for (const j of judges) await j.close?.().catch(() => undefined);
  }
}

function usageOf(result: JudgeResult | undefined): TokenUsage | undefined {
  if (!result) return undefined;
  return result.ok ? result.verdict.usage : result.failure.usage;
}

function costs(
  result: JudgeResult | undefined,
  prices: PriceTable,
): { inputTokens: number; outputTokens: number; costUsd: number | null; listCostUsd: number | null; cached: boolean } {
  const usage = usageOf(result);
  if (!result) return { inputTokens: 0, outputTokens: 0, costUsd: 0, listCostUsd: 0, cached: false };
  const who = result.ok ? result.verdict : result.failure;
  const list = prices.cost(who.provider, who.model, usage);
  const cached = result.ok && result.verdict.cached;
  return {
    inputTokens: usage?.inputTokens ?? 0,
    outputTokens: usage?.outputTokens ?? 0,
    costUsd: cached ? 0 : list,
    listCostUsd: list,
    cached,
  };
}

async function runJudgeCase(
  job: Job,
  judge: Judge,
  newLedger: LedgerFactory,
  prices: PriceTable,
  failureDecision: Decision,
  clock: Clock,
  signal: AbortSignal | undefined,
): Promise<CaseRecord> {
  const { c } = job;
  const input = buildJudgeInput(c, feedLedger(newLedger(), c));
  const start = clock.hrtime();
  let result: JudgeResult;
  try {
    result = await judge.judge(input, signal ? { signal } : undefined);
  } catch (e) {
    // A judge must not throw for provider trouble; if one does, it is a failure, scored like any other.
    result = {
      ok: false,
      failure: { code: 'IG_JUDGE_UPSTREAM', message: e instanceof Error ? e.message : String(e), provider: job.cell.judge, model: '', latencyMs: 0, attempts: 1 },
    };
  }
  const measured = elapsedUs(clock, start) / 1000;
  const money = costs(result, prices);
  const common = {
    caseId: c.id,
    epoch: job.epoch,
    label: c.label,
    tags: c.tags,
    ...money,
  };
  if (!result.ok) {
    const narrowing = c.label.decision === 'narrow' ? classifyNarrowing(c, failureDecision, undefined, undefined) : undefined;
    return {
      ...common,
      decision: failureDecision,
      ...(narrowing ? { narrowing } : {}),
      error: { code: result.failure.code, message: short(result.failure.message) },
      stage: 'fallback',
      latencyMs: measured,
      reason: short(`judge failed (${result.failure.code}): ${result.failure.message}`),
    };
  }
  const v = result.verdict;
  const args = v.decision === 'narrow' ? narrowedArgs(c.call.args, v.args ?? {}) : undefined;
  const narrowing = c.label.decision === 'narrow' ? classifyNarrowing(c, v.decision, args, v.scopes) : undefined;
  return {
    ...common,
    decision: v.decision,
    ...(args ? { args } : {}),
    ...(v.scopes ? { scopes: v.scopes } : {}),
    ...(narrowing ? { narrowing } : {}),
    stage: v.stage ?? job.cell.judge,
    // A cached verdict reports the latency of the call that produced it, not of the disk read.
    latencyMs: v.cached ? v.latencyMs : measured,
    reason: short(v.reason),
  };
}

async function runPipelineCase(job: Job, judge: Judge, policy: PolicyEngine, newLedger: LedgerFactory, prices: PriceTable, clock: Clock): Promise<CaseRecord> {
  const { c } = job;
  const session = new EvalSession(c, newLedger());
  const guard = new Guard({ policy, judge, audit: new DiscardAudit(), clock });
  const start = clock.hrtime();
  const d: GuardDecision = await guard.decide(
    {
      sessionId: session.id,
      call: c.call,
      principal: c.principal,
      task: c.task,
      history: c.history,
      tool: c.tools.find((t) => t.name === c.call.tool),
      tools: c.tools.filter((t) => t.name !== c.call.tool),
    },
    session,
  );
  const measured = elapsedUs(clock, start) / 1000;
  const verdict = d.judge?.verdict;
  const failure = d.judge?.failure;
  const result: JudgeResult | undefined = verdict ? { ok: true, verdict: { ...verdict } } : failure ? { ok: false, failure } : undefined;
  const money = costs(result, prices);
  // A call the boundary refused never reaches the judge: policy decided it, even under a `judge` rule.
  const stage = failure ? 'fallback' : verdict ? (verdict.stage ?? job.cell.judge) : d.policyEffect === 'ask' ? 'policy-ask' : 'policy';
  const args = d.decision === 'narrow' ? d.grant?.args : undefined;
  const scopes = d.decision === 'narrow' ? d.grant?.scopes : undefined;
  const narrowing = c.label.decision === 'narrow' ? classifyNarrowing(c, d.decision, args, scopes && scopes.length > 0 ? scopes : undefined) : undefined;
  return {
    caseId: c.id,
    epoch: job.epoch,
    label: c.label,
    tags: c.tags,
    decision: d.decision,
    ...(args ? { args } : {}),
    ...(scopes && scopes.length > 0 ? { scopes } : {}),
    ...(narrowing ? { narrowing } : {}),
    ...(failure ? { error: { code: failure.code, message: short(failure.message) } } : {}),
    stage,
    latencyMs: verdict?.cached ? verdict.latencyMs : measured,
    ...money,
    reason: short(d.reasons.join('; ')),
  };
}
