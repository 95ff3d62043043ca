import { Ollama } from 'ollama';
import { readEnv } from '../env.js';
import { IntentguardError } from '../errors.js';
import { createLlmJudge, type ModelReply, type ProviderClient, type ProviderJudgeSettings } from './llm.js';
import type { RenderedPrompt } from './prompt.js';
import { classifyStatus, parseRetryAfter, ProviderTroubleSignal, type AttemptContext, type ProviderTrouble } from './retry.js';
import type { Judge } from './types.js';
import { verdictJsonSchema } from './verdict.js';

/*
 * Ollama `/api/chat` with the verdict's JSON schema as `format` and
 * `stream: false`. The ollama client has no timeout or retry settings of its
 * own, so the budget is applied through the fetch it is given: every request
 * carries the attempt's AbortSignal. That fetch also reads error responses
 * itself (status, Retry-After) so that the client never handles them: it
 * would print to stdout, which is the MCP channel of a stdio proxy.
 */

export const OLLAMA_DEFAULT_HOST = 'http://127.0.0.1:11434';

export function classifyOllamaError(e: unknown): ProviderTrouble {
  if (e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError')) return { kind: 'timeout' };
  if (e instanceof Error && e.name === 'ResponseError') {
    const status = (e as Error & { status_code?: unknown }).status_code;
    if (typeof status === 'number') return classifyStatus(status, undefined);
  }
  // undici reports refused and reset connections as a TypeError ("fetch failed").
  if (e instanceof TypeError) return { kind: 'upstream', retryable: true, detail: 'could not reach the provider (connection error)' };
  if (e instanceof SyntaxError) return { kind: 'upstream', retryable: false, detail: 'the provider sent a reply that is not JSON' };
  return { kind: 'upstream', retryable: false, detail: `unexpected error from the provider client (${e instanceof Error ? e.name : typeof e})` };
}

function ollamaClient(model: string, settings: ProviderJudgeSettings): ProviderClient {
  const host = settings.baseURL ?? readEnv('OLLAMA_HOST', settings.env) ?? OLLAMA_DEFAULT_HOST;
  try {
    new URL(host.includes('://') ? host : `http://${host}`);
  } catch {
    throw new IntentguardError('IG_JUDGE_CONFIG', `judge ollama:${model}: OLLAMA_HOST is not a valid host or URL`);
  }
  const headers: Record<string, string> = settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {};
  const schema = verdictJsonSchema();
  const clock = settings.clock;
  return {
    provider: 'ollama',
    model,
    async send(prompt: RenderedPrompt, ctx: AttemptContext): Promise<ModelReply> {
      const budgetedFetch: typeof fetch = async (url, init) => {
        const res = await fetch(url, { ...init, signal: ctx.signal });
        if (!res.ok) {
          await res.body?.cancel().catch(() => undefined);
          throw new ProviderTroubleSignal(classifyStatus(res.status, parseRetryAfter(res.headers, clock.now())));
        }
        return res;
      };
      const sdk = new Ollama({ host, fetch: budgetedFetch, headers });
      const res = await sdk.chat({
        model,
        messages: [
          { role: 'system', content: prompt.system },
          { role: 'user', content: prompt.user },
        ],
        stream: false,
        format: schema,
        options: { temperature: 0, num_predict: settings.maxOutputTokens },
      });
      const usage =
        typeof res.prompt_eval_count === 'number' || typeof res.eval_count === 'number'
          ? { inputTokens: res.prompt_eval_count ?? 0, outputTokens: res.eval_count ?? 0 }
          : undefined;
      if (res.done_reason === 'length') return { invalid: 'the reply was cut off at the token limit', usage };
      return { text: typeof res.message?.content === 'string' ? res.message.content : '', usage };
    },
    classify: classifyOllamaError,
  };
}

/** `ollama:MODEL` */
export function createOllamaJudge(spec: string, model: string, settings: ProviderJudgeSettings): Judge {
  return createLlmJudge(spec, ollamaClient(model, settings), settings);
}
