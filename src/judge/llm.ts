import { systemClock, type Clock } from '../clock.js';
import { renderPrompt, newNonce, type Prompt, type RenderedPrompt, type StagePrompt } from './prompt.js';
import { withRetries, type AttemptContext, type ProviderTrouble, type RetryPolicy } from './retry.js';
import type { Judge, JudgeCallOptions, JudgeFailure, JudgeInput, JudgeResult, TokenUsage, Verdict } from './types.js';
import { parseVerdictObject, parseVerdictText, type ModelVerdict } from './verdict.js';

/*
 * What every LLM judge shares: render the prompt, call the provider with
 * retries inside one time budget, read the verdict from the reply's structured
 * field, and turn every kind of trouble into a typed failure. Each provider
 * file supplies only a `ProviderClient`: how to send, and how to classify its
 * SDK's errors.
 */

export type LlmProvider = 'openai' | 'anthropic' | 'ollama';

/** A provider's reply, before the verdict is read from it. */
export interface ModelReply {
  /** The reply's text, for providers whose structured output arrives as text (OpenAI, Ollama). */
  readonly text?: string | undefined;
  /** The structured verdict object, for providers that hand one over (Anthropic's tool input). */
  readonly object?: unknown;
  /** The model declined (a refusal field, a refusal stop reason, a content filter). */
  readonly refusal?: string | undefined;
  /** The reply is unusable before parsing (no tool call, cut off at the token limit). */
  readonly invalid?: string | undefined;
  readonly usage?: TokenUsage | undefined;
}

/** One provider, through its SDK. */
export interface ProviderClient {
  readonly provider: LlmProvider;
  readonly model: string;
  /** One attempt. Throws the SDK's errors (or a ProviderTroubleSignal); `classify` maps them. */
  send(prompt: RenderedPrompt, ctx: AttemptContext): Promise<ModelReply>;
  /** Maps an error thrown by `send` to a trouble, by status and error class. */
  classify(error: unknown): ProviderTrouble;
}

/** Settings shared by every LLM judge, resolved by the registry. */
export interface LlmJudgeSettings {
  readonly prompt: Prompt;
  /** Per-call budget covering every attempt and wait (and both stages of a two-stage prompt). */
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  /** First retry delay; doubles per attempt, with jitter. */
  readonly backoffMs: number;
  readonly includeResults: boolean;
  /** A screen stage's allow resolves the call at or above this confidence. */
  readonly screenThreshold: number;
  readonly clock: Clock;
  /** Upper bound on the model's output tokens, for providers that take one. */
  readonly maxOutputTokens: number;
}

/** Settings a provider factory receives: the shared ones plus the connection overrides and the environment. */
export interface ProviderJudgeSettings extends LlmJudgeSettings {
  readonly baseURL?: string | undefined;
  readonly apiKey?: string | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
}

export const DEFAULT_LLM_SETTINGS = {
  timeoutMs: 10_000,
  maxAttempts: 3,
  backoffMs: 250,
  includeResults: false,
  screenThreshold: 0.8,
  clock: systemClock,
  maxOutputTokens: 1_024,
} as const satisfies Omit<LlmJudgeSettings, 'prompt'>;

type StageOutcome =
  | { readonly ok: true; readonly verdict: ModelVerdict; readonly attempts: number; readonly usage?: TokenUsage | undefined }
  | { readonly ok: false; readonly code: JudgeFailure['code']; readonly message: string; readonly attempts: number; readonly usage?: TokenUsage | undefined };

function addUsage(a: TokenUsage | undefined, b: TokenUsage | undefined): TokenUsage | undefined {
  if (!a) return b;
  if (!b) return a;
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens };
}

function elapsedMs(clock: Clock, start: bigint): number {
  return Math.round(Number(clock.hrtime() - start) / 1e3) / 1e3;
}

/** Builds a judge over one provider client. `spec` is the registry spec it answers to. */
export function createLlmJudge(spec: string, client: ProviderClient, settings: LlmJudgeSettings, close?: () => Promise<void>): Judge {
  const { prompt, clock } = settings;

  async function runStage(stage: StagePrompt, input: JudgeInput, nonce: string, budgetMs: number, signal: AbortSignal | undefined): Promise<StageOutcome> {
    const rendered = renderPrompt(stage, input, { includeResults: settings.includeResults, nonce });
    const policy: RetryPolicy = { maxAttempts: settings.maxAttempts, budgetMs, baseDelayMs: settings.backoffMs, maxDelayMs: 4_000 };
    const outcome = await withRetries(policy, { clock }, signal, (ctx) => client.send(rendered, ctx), (e) => client.classify(e));
    if (!outcome.ok) return outcome;
    const reply = outcome.value;
    const base = { attempts: outcome.attempts, usage: reply.usage };
    if (reply.refusal !== undefined) return { ok: false, code: 'IG_JUDGE_REFUSED', message: 'the model refused to give a verdict', ...base };
    if (reply.invalid !== undefined) return { ok: false, code: 'IG_JUDGE_INVALID_OUTPUT', message: reply.invalid, ...base };
    const parsed = reply.object !== undefined ? parseVerdictObject(reply.object) : parseVerdictText(reply.text ?? '');
    if (!parsed.ok) return { ok: false, code: parsed.code, message: parsed.message, ...base };
    return { ok: true, verdict: parsed.verdict, ...base };
  }

  function verdictOf(v: ModelVerdict, start: bigint, usage: TokenUsage | undefined, stage?: string): Verdict {
    return {
      decision: v.decision,
      ...(v.narrowedScopes === undefined ? {} : { scopes: v.narrowedScopes }),
      ...(v.narrowedArgs === undefined ? {} : { args: v.narrowedArgs }),
      reason: v.reasoning,
      confidence: v.confidence,
      evidence: v.evidence,
      provider: client.provider,
      model: client.model,
      promptId: prompt.id,
      promptHash: prompt.hash,
      latencyMs: elapsedMs(clock, start),
      ...(usage === undefined ? {} : { usage }),
      cached: false,
      ...(stage === undefined ? {} : { stage }),
    };
  }

  function failureOf(o: Extract<StageOutcome, { ok: false }>, start: bigint, attempts: number, usage: TokenUsage | undefined): JudgeResult {
    return {
      ok: false,
      failure: {
        code: o.code,
        message: o.message,
        provider: client.provider,
        model: client.model,
        latencyMs: elapsedMs(clock, start),
        attempts,
        ...(usage === undefined ? {} : { usage }),
      },
    };
  }

  return {
    spec,
    async judge(input: JudgeInput, options: JudgeCallOptions = {}): Promise<JudgeResult> {
      const start = clock.hrtime();
      // One nonce per call, shared by both stages: their prompts then share a byte-identical prefix.
      const nonce = newNonce();
      if (prompt.kind !== 'two-stage') {
        const o = await runStage(prompt, input, nonce, settings.timeoutMs, options.signal);
        return o.ok ? { ok: true, verdict: verdictOf(o.verdict, start, o.usage) } : failureOf(o, start, o.attempts, o.usage);
      }
      const screen = await runStage(prompt.screen, input, nonce, settings.timeoutMs, options.signal);
      // Only a confident allow resolves at the screen; its deny means "look closer", and its failure escalates too.
      if (screen.ok && screen.verdict.decision === 'allow' && screen.verdict.confidence >= settings.screenThreshold) {
        return { ok: true, verdict: verdictOf(screen.verdict, start, screen.usage, 'screen') };
      }
      const left = settings.timeoutMs - elapsedMs(clock, start);
      if (left <= 0 || options.signal?.aborted) {
        return failureOf({ ok: false, code: 'IG_JUDGE_TIMEOUT', message: 'the screen stage used the whole budget', attempts: 0 }, start, screen.attempts, screen.usage);
      }
      const decide = await runStage(prompt.decide, input, nonce, Math.floor(left), options.signal);
      const usage = addUsage(screen.usage, decide.usage);
      return decide.ok
        ? { ok: true, verdict: verdictOf(decide.verdict, start, usage, 'decide') }
        : failureOf(decide, start, screen.attempts + decide.attempts, usage);
    },
    ...(close ? { close } : {}),
  };
}
