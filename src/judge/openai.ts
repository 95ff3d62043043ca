import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { readEnv } from '../env.js';
import { IntentguardError } from '../errors.js';
import { createLlmJudge, type ModelReply, type ProviderClient, type ProviderJudgeSettings } from './llm.js';
import type { RenderedPrompt } from './prompt.js';
import { classifyStatus, parseRetryAfter, type AttemptContext, type ProviderTrouble } from './retry.js';
import type { Judge } from './types.js';
import { strictVerdictJsonSchema } from './verdict.js';

/*
 * OpenAI chat completions with a strict JSON-schema response format. Any
 * OpenAI-compatible server works through OPENAI_BASE_URL (vLLM, llama.cpp
 * server, LM Studio). Such servers usually need no key, so a missing key is an
 * error only for the default (hosted) base URL.
 */

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';
// Sent to self-hosted servers that ignore the key; never a real credential.
const NO_KEY = 'no-key';

export function classifyOpenAIError(e: unknown, nowMs: number): ProviderTrouble {
  if (e instanceof APIConnectionTimeoutError || e instanceof APIUserAbortError) return { kind: 'timeout' };
  if (e instanceof APIConnectionError) return { kind: 'upstream', retryable: true, detail: 'could not reach the provider (connection error)' };
  if (e instanceof APIError && typeof e.status === 'number') return classifyStatus(e.status, parseRetryAfter(e.headers, nowMs));
  return { kind: 'upstream', retryable: false, detail: `unexpected error from the provider client (${e instanceof Error ? e.name : typeof e})` };
}

function openAIClient(model: string, settings: ProviderJudgeSettings): ProviderClient {
  const baseURL = settings.baseURL ?? readEnv('OPENAI_BASE_URL', settings.env) ?? OPENAI_DEFAULT_BASE_URL;
  const apiKey = settings.apiKey ?? readEnv('OPENAI_API_KEY', settings.env);
  if (apiKey === undefined && baseURL.replace(/\/+$/, '') === OPENAI_DEFAULT_BASE_URL) {
    throw new IntentguardError('IG_JUDGE_CONFIG', `judge openai:${model} needs OPENAI_API_KEY (or OPENAI_BASE_URL for a self-hosted server)`);
  }
  let sdk: OpenAI;
  try {
    sdk = new OpenAI({
      apiKey: apiKey ?? NO_KEY,
      baseURL,
      organization: null,
      project: null,
      webhookSecret: null,
      timeout: settings.timeoutMs,
      // Retries are ours, inside the per-call budget.
      maxRetries: 0,
      logLevel: 'off',
    });
  } catch {
    throw new IntentguardError('IG_JUDGE_CONFIG', `judge openai:${model}: the OpenAI client rejected its configuration`);
  }
  const schema = strictVerdictJsonSchema();
  return {
    provider: 'openai',
    model,
    async send(prompt: RenderedPrompt, ctx: AttemptContext): Promise<ModelReply> {
      const completion = await sdk.chat.completions.create(
        {
          model,
          messages: [
            { role: 'system', content: prompt.system },
            { role: 'user', content: prompt.user },
          ],
          response_format: { type: 'json_schema', json_schema: { name: 'verdict', strict: true, schema } },
          max_completion_tokens: settings.maxOutputTokens,
        },
        { signal: ctx.signal, timeout: ctx.remainingMs, maxRetries: 0 },
      );
      const usage = completion.usage
        ? { inputTokens: completion.usage.prompt_tokens, outputTokens: completion.usage.completion_tokens }
        : undefined;
      const choice = completion.choices?.[0];
      if (!choice) return { invalid: 'the reply has no choices', usage };
      if (typeof choice.message?.refusal === 'string' && choice.message.refusal !== '') return { refusal: choice.message.refusal, usage };
      if (choice.finish_reason === 'content_filter') return { refusal: 'content filter', usage };
      if (choice.finish_reason === 'length') return { invalid: 'the reply was cut off at the token limit', usage };
      return { text: choice.message?.content ?? '', usage };
    },
    classify: (e) => classifyOpenAIError(e, settings.clock.now()),
  };
}

/** `openai:MODEL` */
export function createOpenAIJudge(spec: string, model: string, settings: ProviderJudgeSettings): Judge {
  return createLlmJudge(spec, openAIClient(model, settings), settings);
}
