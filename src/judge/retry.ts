import type { Clock } from '../clock.js';
import type { JudgeFailure } from './types.js';

/*
 * One call to a provider, with our own retries: the SDKs' retries are off
 * (maxRetries: 0) so that every attempt, every backoff and the Retry-After
 * wait fit inside one per-call time budget enforced by an AbortSignal.
 */

/** How a provider error is classified at the judge boundary. */
export type ProviderTrouble =
  | { readonly kind: 'rate-limited'; readonly status: number; readonly retryAfterMs?: number | undefined }
  /** 5xx, 408/409, connection reset or refused: worth another attempt. */
  | { readonly kind: 'upstream'; readonly retryable: boolean; readonly status?: number | undefined; readonly detail: string; readonly retryAfterMs?: number | undefined }
  /** 401/403/404: a bad key, a bad base URL or an unknown model. Not retried. */
  | { readonly kind: 'config'; readonly status?: number | undefined; readonly detail: string }
  /** The SDK's own timeout fired (we set it to the remaining budget). */
  | { readonly kind: 'timeout' };

export type FailureCode = JudgeFailure['code'];

export interface RetryPolicy {
  /** Attempts in total, the first included. */
  readonly maxAttempts: number;
  /** The per-call budget in milliseconds, covering every attempt and wait. */
  readonly budgetMs: number;
  /** First backoff delay; doubles per attempt, with jitter. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export interface AttemptContext {
  /** Aborted when the budget runs out or the caller aborts. */
  readonly signal: AbortSignal;
  /** What is left of the budget, for the SDK's `timeout`. */
  readonly remainingMs: number;
  /** 1-based. */
  readonly attempt: number;
}

export type RetryOutcome<T> =
  | { readonly ok: true; readonly value: T; readonly attempts: number }
  | { readonly ok: false; readonly code: FailureCode; readonly message: string; readonly attempts: number };

export interface RetryDeps {
  readonly clock: Clock;
  /** For tests: replaces the jitter source (0 ≤ x < 1). */
  readonly random?: (() => number) | undefined;
  /** For tests: observes each wait before it starts. */
  readonly onWait?: ((ms: number, attempt: number) => void) | undefined;
}

/** The backoff before attempt `attempt + 1`: base · 2^(attempt-1), capped, times a jitter factor in [0.5, 1). */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp * (0.5 + random() / 2));
}

/**
 * Milliseconds to wait from the `retry-after-ms` or `retry-after` headers
 * (seconds or an HTTP date), or undefined. Capped at one hour.
 */
export function parseRetryAfter(headers: { get(name: string): string | null } | undefined, nowMs: number): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return Math.min(n, 3_600_000);
  }
  const ra = headers.get('retry-after');
  if (ra === null || ra.trim() === '') return undefined;
  const seconds = Number(ra);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 3_600_000);
  const date = Date.parse(ra);
  if (Number.isFinite(date)) return Math.min(Math.max(0, date - nowMs), 3_600_000);
  return undefined;
}

function elapsedMs(clock: Clock, start: bigint): number {
  return Number(clock.hrtime() - start) / 1e6;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function failureFor(t: ProviderTrouble): { code: FailureCode; message: string } {
  switch (t.kind) {
    case 'rate-limited':
      return { code: 'IG_JUDGE_RATE_LIMITED', message: `the provider rate-limited the request (${t.status})` };
    case 'upstream':
      return { code: 'IG_JUDGE_UPSTREAM', message: t.detail };
    case 'config':
      return { code: 'IG_JUDGE_CONFIG', message: t.detail };
    case 'timeout':
      return { code: 'IG_JUDGE_TIMEOUT', message: 'the provider did not answer within the time budget' };
  }
}

function retryable(t: ProviderTrouble): boolean {
  return t.kind === 'rate-limited' || (t.kind === 'upstream' && t.retryable);
}

/**
 * Runs `attempt` until it succeeds, a non-retryable trouble occurs, attempts
 * run out or the budget does. Never throws for provider trouble: `classify`
 * turns each thrown error into a `ProviderTrouble`.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  deps: RetryDeps,
  callerSignal: AbortSignal | undefined,
  attempt: (ctx: AttemptContext) => Promise<T>,
  classify: (error: unknown) => ProviderTrouble,
): Promise<RetryOutcome<T>> {
  const start = deps.clock.hrtime();
  const budget = AbortSignal.timeout(policy.budgetMs);
  const signal = callerSignal ? AbortSignal.any([budget, callerSignal]) : budget;
  const timedOut = (n: number): RetryOutcome<T> => ({
    ok: false,
    code: 'IG_JUDGE_TIMEOUT',
    message: callerSignal?.aborted && !budget.aborted ? 'the call was aborted' : `no verdict within the ${policy.budgetMs} ms budget`,
    attempts: n,
  });
  for (let n = 1; ; n++) {
    const remainingMs = Math.floor(policy.budgetMs - elapsedMs(deps.clock, start));
    if (signal.aborted || remainingMs <= 0) return timedOut(n - 1);
    let trouble: ProviderTrouble;
    try {
      const value = await attempt({ signal, remainingMs, attempt: n });
      return { ok: true, value, attempts: n };
    } catch (e) {
      if (signal.aborted) return timedOut(n);
      trouble = e instanceof ProviderTroubleSignal ? e.trouble : classify(e);
    }
    const { code, message } = failureFor(trouble);
    if (!retryable(trouble) || n >= policy.maxAttempts) {
      return { ok: false, code, message: n > 1 ? `${message}; gave up after ${n} attempts` : message, attempts: n };
    }
    const hinted = trouble.kind === 'rate-limited' || trouble.kind === 'upstream' ? trouble.retryAfterMs : undefined;
    const wait = hinted ?? backoffDelay(policy, n, deps.random);
    const left = policy.budgetMs - elapsedMs(deps.clock, start);
    if (wait >= left) {
      // Waiting would outlast the budget: fail now with the provider's trouble rather than a timeout.
      const why = hinted === undefined ? 'the next retry does not fit in the budget' : `retry-after ${Math.round(hinted)} ms exceeds the budget`;
      return { ok: false, code, message: `${message}; ${why}`, attempts: n };
    }
    deps.onWait?.(wait, n);
    await sleep(wait, signal);
    if (signal.aborted) return timedOut(n);
  }
}

/**
 * Thrown by a provider's `send` when it has already classified the trouble
 * (for instance from a raw HTTP response the SDK would otherwise swallow).
 * Never leaves the judge: `withRetries` unwraps it.
 */
export class ProviderTroubleSignal extends Error {
  constructor(readonly trouble: ProviderTrouble) {
    super(trouble.kind);
    this.name = 'ProviderTroubleSignal';
  }
}

/** The classification of an HTTP status from a provider, the same for every SDK. */
export function classifyStatus(status: number, retryAfterMs: number | undefined): ProviderTrouble {
  if (status === 429) return { kind: 'rate-limited', status, retryAfterMs };
  if (status === 408 || status === 409 || status >= 500) {
    return { kind: 'upstream', retryable: true, status, detail: `the provider failed (${status})`, retryAfterMs };
  }
  if (status === 401 || status === 403) return { kind: 'config', status, detail: `the provider rejected the credentials (${status})` };
  if (status === 404) return { kind: 'config', status, detail: 'the provider does not know this model or endpoint (404)' };
  return { kind: 'upstream', retryable: false, status, detail: `the provider rejected the request (${status})` };
}
