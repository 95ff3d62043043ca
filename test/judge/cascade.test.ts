import { describe, expect, it } from 'vitest';
import { IntentguardError } from '../../src/errors.js';
import { createCascade } from '../../src/judge/cascade.js';
import type { Judge, JudgeResult, Verdict } from '../../src/judge/types.js';
import { BENIGN_INPUT } from './fixtures.js';

/** A tiny fake judge: a fixed answer and a call count. */
function fake(spec: string, answer: Partial<Verdict> | 'fail'): Judge & { calls: number } {
  const j = {
    spec,
    calls: 0,
    async judge(): Promise<JudgeResult> {
      j.calls++;
      if (answer === 'fail') {
        return { ok: false, failure: { code: 'IG_JUDGE_TIMEOUT', message: 'slow', provider: spec, model: spec, latencyMs: 5, attempts: 2, usage: { inputTokens: 7, outputTokens: 0 } } };
      }
      return {
        ok: true,
        verdict: { decision: 'allow', reason: spec, confidence: 0.5, evidence: [], provider: spec, model: spec, latencyMs: 1, cached: false, ...answer },
      };
    },
  };
  return j;
}

describe('createCascade', () => {
  it('a confident first stage resolves the call and the later stages are not called', async () => {
    const a = fake('offline', { decision: 'deny', confidence: 0.95 });
    const b = fake('openai:m', { decision: 'allow', confidence: 0.99 });
    const c = createCascade([a, b]);
    expect(c.spec).toBe('cascade:offline>openai:m');
    const r = await c.judge(BENIGN_INPUT);
    expect(r.ok && r.verdict).toMatchObject({ decision: 'deny', stage: 'offline' });
    expect(b.calls).toBe(0);
  });

  it('an unsure stage escalates; the last stage resolves whatever its confidence', async () => {
    const a = fake('offline', { decision: 'allow', confidence: 0.4 });
    const b = fake('openai:m', { decision: 'deny', confidence: 0.3, usage: { inputTokens: 10, outputTokens: 2 } });
    const r = await createCascade([a, b]).judge(BENIGN_INPUT);
    expect(r.ok && r.verdict).toMatchObject({ decision: 'deny', stage: 'openai:m', usage: { inputTokens: 10, outputTokens: 2 } });
    expect(a.calls + b.calls).toBe(2);
  });

  it('the threshold is configurable and inclusive', async () => {
    const a = fake('offline', { decision: 'allow', confidence: 0.6 });
    const b = fake('openai:m', { decision: 'deny' });
    const r = await createCascade([a, b], { threshold: 0.6 }).judge(BENIGN_INPUT);
    expect(r.ok && r.verdict.stage).toBe('offline');
  });

  it('a failing stage that is not last escalates; usage and attempts add up', async () => {
    const a = fake('openai:a', 'fail');
    const b = fake('anthropic:b', { decision: 'deny', confidence: 0.9, usage: { inputTokens: 3, outputTokens: 1 } });
    const r = await createCascade([a, b]).judge(BENIGN_INPUT);
    expect(r.ok && r.verdict).toMatchObject({ decision: 'deny', stage: 'anthropic:b', usage: { inputTokens: 10, outputTokens: 1 } });
  });

  it('a failing last stage is the cascade failure (the guard applies the fail mode)', async () => {
    const r = await createCascade([fake('offline', { confidence: 0.1 }), fake('openai:m', 'fail')]).judge(BENIGN_INPUT);
    if (r.ok) throw new Error('expected a failure');
    expect(r.failure).toMatchObject({ code: 'IG_JUDGE_TIMEOUT', attempts: 2 });
  });

  it('keeps an inner stage name (two-stage prompt) after a #', async () => {
    const r = await createCascade([fake('offline', { confidence: 0.1 }), fake('openai:m', { stage: 'screen', confidence: 0.9 })]).judge(BENIGN_INPUT);
    expect(r.ok && r.verdict.stage).toBe('openai:m#screen');
  });

  it('runs three stages in order', async () => {
    const a = fake('offline', { confidence: 0.1 });
    const b = fake('ollama:small', { confidence: 0.5 });
    const c = fake('openai:big', { decision: 'deny', confidence: 0.7 });
    const r = await createCascade([a, b, c]).judge(BENIGN_INPUT);
    expect(r.ok && r.verdict.stage).toBe('openai:big');
    expect([a.calls, b.calls, c.calls]).toEqual([1, 1, 1]);
  });

  it('refuses fewer than two stages and a threshold outside 0..1', () => {
    expect(() => createCascade([fake('offline', {})])).toThrow(IntentguardError);
    expect(() => createCascade([fake('a', {}), fake('b', {})], { threshold: 1.5 })).toThrow(/threshold/);
  });
});
