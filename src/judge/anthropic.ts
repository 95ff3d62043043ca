import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type { Tool } from '@anthropic-ai/sdk/resources/messages/messages';
import { readEnv } from '../env.js';
import { IntentguardError } from '../errors.js';
import { createLlmJudge, type ModelReply, type ProviderClient, type ProviderJudgeSettings } from './llm.js';
import type { RenderedPrompt } from './prompt.js';
import { classifyStatus, parseRetryAfter, type AttemptContext, type ProviderTrouble } from './retry.js';
import type { Judge } from './types.js';
import { verdictJsonSchema } from './verdict.js';

/*
 * Anthropic messages with a forced tool call: the model must call
 * `record_verdict`, whose input schema is the verdict schema, and the verdict
 * is that tool call's input. A refusal stop reason, or a reply without the
 * tool call, is a failure (never a text fallback).
 */

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';
export const VERDICT_TOOL_NAME = 'record_verdict';
const NO_KEY = 'no-key';

export function classifyAnthropicError(e: unknown, nowMs: number): ProviderTrouble {
  if (e instanceof APIConnectionTimeoutError || e instanceof APIUserAbortError) return { kind: 'timeout' };
  if (e instanceof APIConnectionError) return { kind: 'upstream', retryable: true, detail: 'could not reach the provider (connection error)' };
  if (e instanceof APIError && typeof e.status === 'number') return classifyStatus(e.status, parseRetryAfter(e.headers, nowMs));
  return { kind: 'upstream', retryable: false, detail: `unexpected error from the provider client (${e instanceof Error ? e.name : typeof e})` };
}

function anthropicClient(model: string, settings: ProviderJudgeSettings): ProviderClient {
  const baseURL = settings.baseURL ?? readEnv('ANTHROPIC_BASE_URL', settings.env) ?? ANTHROPIC_DEFAULT_BASE_URL;
  const apiKey = settings.apiKey ?? readEnv('ANTHROPIC_API_KEY', settings.env);
  if (apiKey === undefined && baseURL.replace(/\/+$/, '') === ANTHROPIC_DEFAULT_BASE_URL) {
    throw new IntentguardError('IG_JUDGE_CONFIG', `judge anthropic:${model} needs ANTHROPIC_API_KEY`);
  }
  let sdk: Anthropic;
  try {
    sdk = new Anthropic({
      // An explicit key keeps the SDK from resolving credentials from the environment or disk on its own.
      apiKey: apiKey ?? NO_KEY,
      baseURL,
      webhookKey: null,
      timeout: settings.timeoutMs,
      maxRetries: 0,
      logLevel: 'off',
      openTelemetry: false,
    });
  } catch {
    throw new IntentguardError('IG_JUDGE_CONFIG', `judge anthropic:${model}: the Anthropic client rejected its configuration`);
  }
  const tool: Tool = {
    name: VERDICT_TOOL_NAME,
    description: 'Record your verdict on the tool call under review. Write the reasoning before the decision.',
    input_schema: verdictJsonSchema() as Tool.InputSchema,
  };
  return {
    provider: 'anthropic',
    model,
    async send(prompt: RenderedPrompt, ctx: AttemptContext): Promise<ModelReply> {
      const message = await sdk.messages.create(
        {
          model,
          max_tokens: settings.maxOutputTokens,
          // The system text is the same for every call (and both stages): a cache breakpoint lets the provider reuse it.
          system: [{ type: 'text', text: prompt.system, cache_control: { type: 'ephemeral' } }],
          messages: [{ role: 'user', content: prompt.user }],
          tools: [tool],
          tool_choice: { type: 'tool', name: VERDICT_TOOL_NAME, disable_parallel_tool_use: true },
        },
        { signal: ctx.signal, timeout: ctx.remainingMs, maxRetries: 0 },
      );
      const u = message.usage;
      // Cached prompt tokens are reported apart from input_tokens; they were read all the same.
      const usage = u
        ? {
            inputTokens: (u.input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0),
            outputTokens: u.output_tokens ?? 0,
          }
        : undefined;
      if (message.stop_reason === 'refusal') return { refusal: 'refusal', usage };
      const calls = (message.content ?? []).filter((b) => b.type === 'tool_use' && b.name === VERDICT_TOOL_NAME);
      if (message.stop_reason === 'max_tokens') return { invalid: 'the reply was cut off at the token limit', usage };
      if (calls.length === 0) return { invalid: `the reply has no ${VERDICT_TOOL_NAME} tool call`, usage };
      if (calls.length > 1) return { invalid: `the reply has several ${VERDICT_TOOL_NAME} tool calls`, usage };
      const call = calls[0];
      return { object: call?.type === 'tool_use' ? call.input : undefined, usage };
    },
    classify: (e) => classifyAnthropicError(e, settings.clock.now()),
  };
}

/** `anthropic:MODEL` */
export function createAnthropicJudge(spec: string, model: string, settings: ProviderJudgeSettings): Judge {
  return createLlmJudge(spec, anthropicClient(model, settings), settings);
}
