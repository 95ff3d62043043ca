import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../src/clock.js';
import {
  backoffDelay,
  classifyStatus,
  parseRetryAfter,
  ProviderTroubleSignal,
  withRetries,
  type ProviderTrouble,
  type RetryPolicy,
} from '../../src/judge/retry.js';

const policy: RetryPolicy = { maxAttempts: 3, budgetMs: 5_000, baseDelayMs: 100, maxDelayMs: 1_000 };
const headers = (h: Record<string, string>) => new Headers(h);

describe('backoffDelay', () => {
  it('doubles per attempt, is capped, and jitters within [0.5, 1) of the step', () => {
    expect(backoffDelay(policy, 1, () => 0)).toBe(50);
    expect(backoffDelay(policy, 2, () => 0)).toBe(100);
    expect(backoffDelay(policy, 3, () => 0.999)).toBe(400);
    expect(backoffDelay(policy, 10, () => 0)).toBe(500);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 0, 1);
  it('reads retry-after-ms, seconds and HTTP dates', () => {
    expect(parseRetryAfter(headers({ 'retry-after-ms': '250' }), now)).toBe(250);
    expect(parseRetryAfter(headers({ 'retry-after': '2' }), now)).toBe(2_000);
    expect(parseRetryAfter(headers({ 'retry-after': new Date(now + 3_000).toUTCString() }), now)).toBe(3_000);
  });
  it('ignores garbage and caps absurd values', () => {
    expect(parseRetryAfter(headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfter(headers({}), now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(headers({ 'retry-after': '99999999' }), now)).toBe(3_600_000);
  });
});

describe('classifyStatus', () => {
  it('maps statuses to troubles', () => {
    expect(classifyStatus(429, 10)).toEqual({ kind: 'rate-limited', status: 429, retryAfterMs: 10 });
    expect(classifyStatus(503, undefined)).toMatchObject({ kind: 'upstream', retryable: true });
    expect(classifyStatus(408, undefined)).toMatchObject({ kind: 'upstream', retryable: true });
    expect(classifyStatus(401, undefined)).toMatchObject({ kind: 'config' });
    expect(classifyStatus(404, undefined)).toMatchObject({ kind: 'config' });
    expect(classifyStatus(400, undefined)).toMatchObject({ kind: 'upstream', retryable: false });
  });
});

function scripted(outcomes: (ProviderTrouble | 'ok' | 'hang')[]) {
  let calls = 0;
  const attempt = async ({ signal }: { signal: AbortSignal }): Promise<string> => {
    const o = outcomes[calls++] ?? 'ok';
    if (o === 'ok') return 'verdict';
    if (o === 'hang') return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    throw new ProviderTroubleSignal(o);
  };
  return { attempt, calls: () => calls };
}
const never = (): ProviderTrouble => {
  throw new Error('classify should not be called for signals');
};

describe('withRetries', () => {
  it('returns the first success', async () => {
    const s = scripted(['ok']);
    expect(await withRetries(policy, { clock: systemClock }, undefined, s.attempt, never)).toEqual({ ok: true, value: 'verdict', attempts: 1 });
  });

  it('honours retry-after for the wait, and backoff when there is none', async () => {
    const waits: number[] = [];
    const s = scripted([{ kind: 'rate-limited', status: 429, retryAfterMs: 7 }, { kind: 'upstream', retryable: true, detail: '500' }, 'ok']);
    const r = await withRetries({ ...policy, baseDelayMs: 4 }, { clock: systemClock, random: () => 0, onWait: (ms) => waits.push(ms) }, undefined, s.attempt, never);
    expect(r).toMatchObject({ ok: true, attempts: 3 });
    expect(waits).toEqual([7, 4]);
  });

  it('does not retry a configuration trouble or a non-retryable status', async () => {
    const s = scripted([{ kind: 'config', detail: 'bad key (401)' }, 'ok']);
    expect(await withRetries(policy, { clock: systemClock }, undefined, s.attempt, never)).toMatchObject({ ok: false, code: 'IG_JUDGE_CONFIG', attempts: 1 });
    const t = scripted([{ kind: 'upstream', retryable: false, detail: 'rejected (400)' }, 'ok']);
    expect(await withRetries(policy, { clock: systemClock }, undefined, t.attempt, never)).toMatchObject({ ok: false, code: 'IG_JUDGE_UPSTREAM', attempts: 1 });
  });

  it('stops after maxAttempts with the last trouble', async () => {
    const rl: ProviderTrouble = { kind: 'rate-limited', status: 429, retryAfterMs: 0 };
    const s = scripted([rl, rl, rl, 'ok']);
    const r = await withRetries(policy, { clock: systemClock }, undefined, s.attempt, never);
    expect(r).toMatchObject({ ok: false, code: 'IG_JUDGE_RATE_LIMITED', attempts: 3 });
    expect(s.calls()).toBe(3);
  });

  it('fails at once when the retry-after would outlast the budget', async () => {
    const s = scripted([{ kind: 'rate-limited', status: 429, retryAfterMs: 60_000 }, 'ok']);
    const r = await withRetries(policy, { clock: systemClock }, undefined, s.attempt, never);
    expect(r).toMatchObject({ ok: false, code: 'IG_JUDGE_RATE_LIMITED', attempts: 1 });
    expect(r.ok ? '' : r.message).toMatch(/exceeds the budget/);
  });

  it('gives each attempt the remaining budget, measured on the injected clock', async () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    const r = await withRetries(
      { ...policy, budgetMs: 1_000 },
      { clock, onWait: () => clock.advance(100) },
      undefined,
      async ({ remainingMs }) => {
        seen.push(remainingMs);
        clock.advance(300);
        if (seen.length < 2) throw new ProviderTroubleSignal({ kind: 'upstream', retryable: true, detail: '503', retryAfterMs: 1 });
        return 'ok';
      },
      never,
    );
    expect(r.ok).toBe(true);
    expect(seen).toEqual([1_000, 600]);
  });

  it('a hanging attempt ends as a timeout when the budget runs out', async () => {
    const s = scripted(['hang']);
    const r = await withRetries({ ...policy, budgetMs: 50 }, { clock: systemClock }, undefined, s.attempt, never);
    expect(r).toMatchObject({ ok: false, code: 'IG_JUDGE_TIMEOUT', attempts: 1 });
  });

  it("the caller's abort ends it as a timeout", async () => {
    const ac = new AbortController();
    const s = scripted(['hang']);
    const p = withRetries(policy, { clock: systemClock }, ac.signal, s.attempt, never);
    ac.abort();
    expect(await p).toMatchObject({ ok: false, code: 'IG_JUDGE_TIMEOUT', message: 'the call was aborted' });
  });

  it('uses classify for errors that are not signals', async () => {
    const r = await withRetries(
      policy,
      { clock: systemClock },
      undefined,
      async () => {
        throw new TypeError('fetch failed');
      },
      () => ({ kind: 'config', detail: 'classified' }),
    );
    expect(r).toMatchObject({ ok: false, code: 'IG_JUDGE_CONFIG', message: 'classified' });
  });
});
