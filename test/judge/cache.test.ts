import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { SecretValue } from '../../src/credentials/types.js';
import { JudgeCache, judgeCacheKey, withCache } from '../../src/judge/cache.js';
import type { Judge, JudgeInput, JudgeResult } from '../../src/judge/types.js';
import { BENIGN_INPUT, INJECTION_INPUT } from './fixtures.js';

/** A judge that answers from a queue and counts its calls. */
function queueJudge(results: JudgeResult[]): Judge & { calls: number } {
  const j = {
    spec: 'openai:m',
    calls: 0,
    async judge(): Promise<JudgeResult> {
      const r = results[j.calls++];
      if (!r) throw new Error('queue spent');
      return r;
    },
  };
  return j;
}

const verdict = (decision: 'allow' | 'deny'): JudgeResult => ({
  ok: true,
  verdict: { decision, reason: 'r', confidence: 0.9, evidence: [], provider: 'openai', model: 'm', latencyMs: 800, usage: { inputTokens: 100, outputTokens: 10 }, cached: false },
});
const failure: JudgeResult = {
  ok: false,
  failure: { code: 'IG_JUDGE_TIMEOUT', message: 't', provider: 'openai', model: 'm', latencyMs: 10_000, attempts: 1 },
};

describe('judgeCacheKey', () => {
  it('is stable under key order and differs with what the judge sees', () => {
    const reordered: JudgeInput = { ...BENIGN_INPUT, call: { args: { ...BENIGN_INPUT.call.args }, tool: BENIGN_INPUT.call.tool, server: BENIGN_INPUT.call.server } };
    expect(judgeCacheKey('openai:m', reordered)).toBe(judgeCacheKey('openai:m', BENIGN_INPUT));
    const base = judgeCacheKey('openai:m', BENIGN_INPUT, { promptHash: 'a' });
    expect(judgeCacheKey('openai:other', BENIGN_INPUT, { promptHash: 'a' })).not.toBe(base);
    expect(judgeCacheKey('openai:m', BENIGN_INPUT, { promptHash: 'b' })).not.toBe(base);
    expect(judgeCacheKey('openai:m', { ...BENIGN_INPUT, task: 'other' }, { promptHash: 'a' })).not.toBe(base);
    expect(judgeCacheKey('openai:m', { ...BENIGN_INPUT, boundary: { scopes: [], args: {} } }, { promptHash: 'a' })).not.toBe(base);
    expect(judgeCacheKey('openai:m', { ...BENIGN_INPUT, provenance: [] }, { promptHash: 'a' })).not.toBe(base);
    expect(judgeCacheKey('openai:m', { ...BENIGN_INPUT, call: { ...BENIGN_INPUT.call, args: { to: 'x' } } }, { promptHash: 'a' })).not.toBe(base);
  });

  it('includes tool results only when the judge is shown them', () => {
    const changed: JudgeInput = { ...INJECTION_INPUT, history: [{ ...INJECTION_INPUT.history[0]!, result: 'different text' }] };
    expect(judgeCacheKey('openai:m', changed)).toBe(judgeCacheKey('openai:m', INJECTION_INPUT));
    expect(judgeCacheKey('openai:m', changed, { includeResults: true })).not.toBe(judgeCacheKey('openai:m', INJECTION_INPUT, { includeResults: true }));
  });

  it('is a hash: no input text and no secret value in the key', () => {
    const secret = new SecretValue('sk-live-very-secret');
    const input = { ...BENIGN_INPUT, call: { ...BENIGN_INPUT.call, args: { token: secret } } } as unknown as JudgeInput;
    const key = judgeCacheKey('openai:m', input);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    // A SecretValue hashes as its redaction, so two different secrets give the same key.
    const other = { ...input, call: { ...input.call, args: { token: new SecretValue('another') } } } as unknown as JudgeInput;
    expect(judgeCacheKey('openai:m', other)).toBe(key);
  });
});

describe('withCache', () => {
  it('counts a miss then a hit; the hit is the stored verdict marked cached, with no token usage', async () => {
    const cache = new JudgeCache();
    const inner = queueJudge([verdict('deny')]);
    const judge = withCache(inner, cache);
    const first = await judge.judge(INJECTION_INPUT);
    const second = await judge.judge(INJECTION_INPUT);
    expect(inner.calls).toBe(1);
    expect(first.ok && first.verdict.cached).toBe(false);
    if (!second.ok) throw new Error('expected a verdict');
    expect(second.verdict).toMatchObject({ decision: 'deny', cached: true });
    expect(second.verdict.usage).toBeUndefined();
    expect(second.verdict.latencyMs).toBeLessThan(800);
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, size: 1 });
    expect(judge.spec).toBe('openai:m');
  });

  it('serves frozen nested values, so a caller cannot alter a cached answer', async () => {
    const narrowed: JudgeResult = {
      ok: true,
      verdict: { decision: 'narrow', args: { path: '/a' }, scopes: ['read'], reason: 'r', confidence: 0.9, evidence: [{ source: 'task', detail: 'd' }], provider: 'p', model: 'm', latencyMs: 1, cached: false },
    };
    const judge = withCache(queueJudge([narrowed]), new JudgeCache());
    await judge.judge(BENIGN_INPUT);
    const hit = await judge.judge(BENIGN_INPUT);
    if (!hit.ok) throw new Error('expected a verdict');
    expect(() => ((hit.verdict.args as Record<string, unknown>).path = '/')).toThrow(TypeError);
    expect(() => (hit.verdict.scopes as string[]).push('admin')).toThrow(TypeError);
    const again = await judge.judge(BENIGN_INPUT);
    expect(again.ok && again.verdict.args).toEqual({ path: '/a' });
  });

  it('never caches a failure', async () => {
    const cache = new JudgeCache();
    const inner = queueJudge([failure, verdict('allow')]);
    const judge = withCache(inner, cache);
    expect((await judge.judge(BENIGN_INPUT)).ok).toBe(false);
    expect((await judge.judge(BENIGN_INPUT)).ok).toBe(true);
    expect(inner.calls).toBe(2);
    expect(cache.stats()).toEqual({ hits: 0, misses: 2, size: 1 });
  });

  it('expires verdicts after the TTL on the injected clock', async () => {
    const clock = new ManualClock();
    const cache = new JudgeCache({ ttlMs: 1_000, clock });
    const inner = queueJudge([verdict('allow'), verdict('deny')]);
    const judge = withCache(inner, cache, {}, clock);
    await judge.judge(BENIGN_INPUT);
    clock.advance(999);
    const fresh = await judge.judge(BENIGN_INPUT);
    expect(fresh.ok && fresh.verdict.cached).toBe(true);
    clock.advance(2);
    const expired = await judge.judge(BENIGN_INPUT);
    expect(expired.ok && expired.verdict).toMatchObject({ decision: 'deny', cached: false });
    expect(inner.calls).toBe(2);
  });

  it('evicts the least recently used beyond max', async () => {
    const cache = new JudgeCache({ max: 1 });
    const judge = withCache(queueJudge([verdict('allow'), verdict('deny'), verdict('allow')]), cache);
    await judge.judge(BENIGN_INPUT);
    await judge.judge(INJECTION_INPUT);
    const again = await judge.judge(BENIGN_INPUT);
    expect(again.ok && again.verdict.cached).toBe(false);
    expect(cache.stats().size).toBe(1);
  });

  it('separates judges with different specs sharing one cache', async () => {
    const cache = new JudgeCache();
    const a = withCache(queueJudge([verdict('allow')]), cache);
    const bInner = { ...queueJudge([verdict('deny')]), spec: 'anthropic:m' };
    const b = withCache(bInner, cache);
    await a.judge(BENIGN_INPUT);
    const r = await b.judge(BENIGN_INPUT);
    expect(r.ok && r.verdict).toMatchObject({ decision: 'deny', cached: false });
  });
});
