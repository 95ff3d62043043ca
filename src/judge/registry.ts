import { systemClock, type Clock } from '../clock.js';
import { IntentguardError } from '../errors.js';
import { createAnthropicJudge } from './anthropic.js';
import { JudgeCache, withCache } from './cache.js';
import { createCascade, DEFAULT_CASCADE_THRESHOLD } from './cascade.js';
import { DEFAULT_LLM_SETTINGS, type ProviderJudgeSettings } from './llm.js';
import { createOfflineJudge } from './offline.js';
import { createOllamaJudge } from './ollama.js';
import { createOpenAIJudge } from './openai.js';
import { DEFAULT_PROMPT_FILE, loadPrompt, type Prompt } from './prompt.js';
import type { Judge } from './types.js';

/** The accepted judge spec forms, for usage errors and help texts. */
export const JUDGE_SPEC_FORMS = ['offline', 'openai:MODEL', 'anthropic:MODEL', 'ollama:MODEL', 'cascade:A>B[>C]'] as const;

type ProviderFactory = (spec: string, model: string, settings: ProviderJudgeSettings) => Judge;

/** One line per LLM provider: adding one touches its file, this table and its tests. */
const PROVIDERS: Readonly<Record<string, ProviderFactory>> = {
  openai: createOpenAIJudge,
  anthropic: createAnthropicJudge,
  ollama: createOllamaJudge,
};

export interface JudgeOptions {
  /** A loaded prompt. Exclusive with `promptFile`. Default: prompts/authorize-v1.md. */
  readonly prompt?: Prompt | undefined;
  /** A prompt file to load (single-stage or two-stage). */
  readonly promptFile?: string | undefined;
  /** Per-call budget in milliseconds for an LLM judge, every retry included. Default 10 000. */
  readonly timeoutMs?: number | undefined;
  /** Attempts per LLM call, the first included. Default 3. */
  readonly maxAttempts?: number | undefined;
  /** First retry delay in milliseconds (doubles, with jitter). Default 250. */
  readonly backoffMs?: number | undefined;
  /** A verdict cache shared by the LLM stages; `false` for none. Default: a fresh cache. */
  readonly cache?: JudgeCache | false | undefined;
  /** Opt-in: show raw tool results (delimited) to LLM judges. Default false. */
  readonly includeResults?: boolean | undefined;
  /** Overrides the provider's base URL (or Ollama host) for every LLM stage. */
  readonly baseURL?: string | undefined;
  /** Overrides the provider's API key for every LLM stage. Never logged. */
  readonly apiKey?: string | undefined;
  /** The environment to read provider settings from; tests pass their own. Default: the process's, through src/env.ts. */
  readonly env?: NodeJS.ProcessEnv | undefined;
  readonly clock?: Clock | undefined;
  /** Confidence at which a cascade stage (or a two-stage prompt's screen) resolves the call. Default 0.8. */
  readonly cascadeThreshold?: number | undefined;
  /** Upper bound on an LLM's output tokens. Default 1024. */
  readonly maxOutputTokens?: number | undefined;
}

/** A judge spec, parsed. */
export type JudgeSpec =
  | { readonly kind: 'offline' }
  | { readonly kind: 'llm'; readonly provider: string; readonly model: string }
  | { readonly kind: 'cascade'; readonly stages: readonly JudgeSpec[] };

const MAX_SPEC_CHARS = 400;
const MODEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$/;

function unknownSpec(spec: string, why?: string): IntentguardError {
  const shown = spec.length > 80 ? `${spec.slice(0, 80)}…` : spec;
  return new IntentguardError(
    'IG_JUDGE_UNKNOWN',
    `unknown judge spec '${shown}'${why ? ` (${why})` : ''}; accepted forms: ${JUDGE_SPEC_FORMS.join(', ')}`,
  );
}

/** Parses a spec string; an unknown form is an `IG_JUDGE_UNKNOWN` error listing the accepted forms. */
export function parseJudgeSpec(spec: string): JudgeSpec {
  const s = spec.trim();
  if (s.length > MAX_SPEC_CHARS) throw unknownSpec(s, 'too long');
  if (s === 'offline') return { kind: 'offline' };
  if (s.startsWith('cascade:')) {
    const parts = s.slice('cascade:'.length).split('>').map((p) => p.trim());
    if (parts.length < 2 || parts.length > 3) throw unknownSpec(s, 'a cascade has two or three stages');
    const stages = parts.map((p) => {
      if (p.startsWith('cascade:')) throw unknownSpec(s, 'cascades do not nest');
      return parseJudgeSpec(p);
    });
    return { kind: 'cascade', stages };
  }
  const colon = s.indexOf(':');
  if (colon > 0) {
    const provider = s.slice(0, colon);
    const model = s.slice(colon + 1);
    if (Object.hasOwn(PROVIDERS, provider)) {
      if (!MODEL_PATTERN.test(model)) throw unknownSpec(s, 'missing or malformed model name');
      return { kind: 'llm', provider, model };
    }
  }
  throw unknownSpec(s);
}

function specString(spec: JudgeSpec): string {
  switch (spec.kind) {
    case 'offline':
      return 'offline';
    case 'llm':
      return `${spec.provider}:${spec.model}`;
    case 'cascade':
      return `cascade:${spec.stages.map(specString).join('>')}`;
  }
}

function checkNumber(name: string, value: number | undefined, min: number, max: number, integer: boolean): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new IntentguardError('IG_JUDGE_CONFIG', `${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
}

/**
 * Builds the judge a spec names. LLM judges are wrapped in the cache (unless
 * `cache: false`); the offline judge is not (it is cheaper than a lookup).
 */
export function createJudge(spec: string, options: JudgeOptions = {}): Judge {
  const parsed = parseJudgeSpec(spec);
  checkNumber('timeoutMs', options.timeoutMs, 1, 600_000, true);
  checkNumber('maxAttempts', options.maxAttempts, 1, 10, true);
  checkNumber('backoffMs', options.backoffMs, 0, 60_000, true);
  checkNumber('cascadeThreshold', options.cascadeThreshold, 0, 1, false);
  checkNumber('maxOutputTokens', options.maxOutputTokens, 16, 32_000, true);
  if (options.prompt !== undefined && options.promptFile !== undefined) {
    throw new IntentguardError('IG_JUDGE_CONFIG', 'give a prompt or a prompt file, not both');
  }
  const clock = options.clock ?? systemClock;
  const threshold = options.cascadeThreshold ?? DEFAULT_CASCADE_THRESHOLD;
  const cache = options.cache === false ? undefined : (options.cache ?? new JudgeCache({ clock }));
  let prompt: Prompt | undefined = options.prompt;
  const promptOf = (): Prompt => (prompt ??= loadPrompt(options.promptFile ?? DEFAULT_PROMPT_FILE));

  const build = (s: JudgeSpec): Judge => {
    switch (s.kind) {
      case 'offline':
        return createOfflineJudge({ clock });
      case 'cascade':
        return createCascade(s.stages.map(build), { threshold, clock });
      case 'llm': {
        const factory = PROVIDERS[s.provider] as ProviderFactory;
        const settings: ProviderJudgeSettings = {
          ...DEFAULT_LLM_SETTINGS,
          prompt: promptOf(),
          clock,
          screenThreshold: threshold,
          ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
          ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
          ...(options.backoffMs === undefined ? {} : { backoffMs: options.backoffMs }),
          ...(options.includeResults === undefined ? {} : { includeResults: options.includeResults }),
          ...(options.maxOutputTokens === undefined ? {} : { maxOutputTokens: options.maxOutputTokens }),
          baseURL: options.baseURL,
          apiKey: options.apiKey,
          env: options.env,
        };
        const judge = factory(specString(s), s.model, settings);
        return cache ? withCache(judge, cache, { promptHash: settings.prompt.hash, includeResults: settings.includeResults }, clock) : judge;
      }
    }
  };
  return build(parsed);
}
