import { systemClock, type Clock } from '../clock.js';
import { IntentguardError } from '../errors.js';
import type { Judge, JudgeCallOptions, JudgeInput, JudgeResult, TokenUsage } from './types.js';

/*
 * A cascade asks its stages in order. A stage's verdict resolves the call when
 * its confidence reaches the threshold, or when it is the last stage. A stage
 * that fails (timeout, refusal, bad output) escalates to the next; a failure of
 * the last stage is the cascade's failure, so the guard applies the policy's
 * failure decision. Typical: `cascade:offline>openai:gpt-4o-mini`, where the
 * LLM is called only when the offline judge is unsure.
 */

export interface CascadeOptions {
  /** Confidence at which a non-last stage's verdict resolves the call. Default 0.8. */
  readonly threshold?: number | undefined;
  readonly clock?: Clock | undefined;
}

export const DEFAULT_CASCADE_THRESHOLD = 0.8;

function addUsage(a: TokenUsage | undefined, b: TokenUsage | undefined): TokenUsage | undefined {
  if (!a) return b;
  if (!b) return a;
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens };
}

/** Builds a cascade over `stages` (two or more). Its spec is `cascade:` + the stages' specs joined by `>`. */
export function createCascade(stages: readonly Judge[], options: CascadeOptions = {}): Judge {
  if (stages.length < 2) throw new IntentguardError('IG_JUDGE_CONFIG', 'a cascade needs at least two stages');
  if (options.threshold !== undefined && !(options.threshold >= 0 && options.threshold <= 1)) {
    throw new IntentguardError('IG_JUDGE_CONFIG', 'the cascade threshold must be a number from 0 to 1');
  }
  const threshold = options.threshold ?? DEFAULT_CASCADE_THRESHOLD;
  const clock = options.clock ?? systemClock;
  const spec = `cascade:${stages.map((s) => s.spec).join('>')}`;
  return {
    spec,
    async judge(input: JudgeInput, callOptions?: JudgeCallOptions): Promise<JudgeResult> {
      const start = clock.hrtime();
      const elapsed = (): number => Math.round(Number(clock.hrtime() - start) / 1e3) / 1e3;
      let usage: TokenUsage | undefined;
      let attempts = 0;
      for (let i = 0; i < stages.length; i++) {
        const stage = stages[i] as Judge;
        const last = i === stages.length - 1;
        const result = await stage.judge(input, callOptions);
        if (result.ok) {
          usage = addUsage(usage, result.verdict.usage);
          if (last || result.verdict.confidence >= threshold) {
            // A stage that has stages of its own (a two-stage prompt) keeps that detail after a '#'.
            const inner = result.verdict.stage;
            return {
              ok: true,
              verdict: {
                ...result.verdict,
                ...(usage === undefined ? {} : { usage }),
                latencyMs: elapsed(),
                stage: inner === undefined ? stage.spec : `${stage.spec}#${inner}`,
              },
            };
          }
        } else {
          usage = addUsage(usage, result.failure.usage);
          attempts += result.failure.attempts;
          if (last) {
            return { ok: false, failure: { ...result.failure, latencyMs: elapsed(), attempts, ...(usage === undefined ? {} : { usage }) } };
          }
        }
        if (callOptions?.signal?.aborted) break;
      }
      // Only reached when the caller aborted between stages.
      const lastStage = stages[stages.length - 1];
      return {
        ok: false,
        failure: {
          code: 'IG_JUDGE_TIMEOUT',
          message: 'the call was aborted before the cascade resolved',
          provider: 'cascade',
          model: lastStage?.spec ?? spec,
          latencyMs: elapsed(),
          attempts,
          ...(usage === undefined ? {} : { usage }),
        },
      };
    },
    async close(): Promise<void> {
      await Promise.all(stages.map((s) => s.close?.()));
    },
  };
}
