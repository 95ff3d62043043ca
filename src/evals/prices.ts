import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { IntentguardError } from '../errors.js';
import type { TokenUsage } from '../judge/types.js';

/** USD per one million tokens. */
export interface ModelPrice {
  readonly input: number;
  readonly output: number;
}

/**
 * List prices per 1M tokens, keyed `provider:model` (a `provider:*` entry is the
 * provider's default). Prices change: these are the providers' published list
 * prices when this table was written, for budgeting, not billing. Override or
 * extend them with `--prices FILE` (same shape, JSON).
 */
export const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = Object.freeze({
  'offline:*': { input: 0, output: 0 },
  // Local models cost no money per token.
  'ollama:*': { input: 0, output: 0 },
  'openai:gpt-4o': { input: 2.5, output: 10 },
  'openai:gpt-4o-mini': { input: 0.15, output: 0.6 },
  'openai:gpt-4.1': { input: 2, output: 8 },
  'openai:gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'openai:gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'openai:o4-mini': { input: 1.1, output: 4.4 },
  'anthropic:claude-3-5-haiku': { input: 0.8, output: 4 },
  'anthropic:claude-3-5-sonnet': { input: 3, output: 15 },
  'anthropic:claude-3-7-sonnet': { input: 3, output: 15 },
  'anthropic:claude-haiku-4-5': { input: 1, output: 5 },
  'anthropic:claude-sonnet-4': { input: 3, output: 15 },
  'anthropic:claude-sonnet-4-5': { input: 3, output: 15 },
  'anthropic:claude-opus-4': { input: 15, output: 75 },
});

const PriceFileSchema = z.record(
  z.string().regex(/^[a-z0-9_-]+:.+$/i, 'keys are provider:model (or provider:*)'),
  z.strictObject({ input: z.number().nonnegative().finite(), output: z.number().nonnegative().finite() }),
);

/** A price table: exact `provider:model`, then the longest matching prefix (dated model ids), then `provider:*`. */
export class PriceTable {
  readonly #prices: ReadonlyMap<string, ModelPrice>;

  constructor(prices: Readonly<Record<string, ModelPrice>> = DEFAULT_PRICES) {
    this.#prices = new Map(Object.entries(prices).map(([k, v]) => [k.toLowerCase(), v]));
  }

  /** Reads a `--prices` JSON file and lays it over the defaults. */
  static async load(file: string): Promise<PriceTable> {
    let value: unknown;
    try {
      value = JSON.parse(await readFile(file, 'utf8'));
    } catch (e) {
      throw new IntentguardError('IG_INPUT_INVALID', `cannot read the price table: ${e instanceof Error ? e.message : String(e)}`, { location: { file } });
    }
    const parsed = PriceFileSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new IntentguardError('IG_INPUT_INVALID', issue?.message ?? 'invalid price table', {
        location: { file, path: issue?.path.map(String).join('.') ?? '' },
      });
    }
    return new PriceTable({ ...DEFAULT_PRICES, ...parsed.data });
  }

  /** The price of a model, or undefined when the table does not know it. */
  price(provider: string, model: string): ModelPrice | undefined {
    const p = provider.toLowerCase();
    const m = model.toLowerCase();
    const exact = this.#prices.get(`${p}:${m}`);
    if (exact) return exact;
    let best: { len: number; price: ModelPrice } | undefined;
    for (const [key, price] of this.#prices) {
      if (!key.startsWith(`${p}:`) || key.endsWith(':*')) continue;
      const stem = key.slice(p.length + 1);
      // `gpt-4o-mini-2024-07-18` is priced as `gpt-4o-mini`, not as `gpt-4o`: the longest stem wins.
      if (m.startsWith(`${stem}-`) && (!best || stem.length > best.len)) best = { len: stem.length, price };
    }
    return best?.price ?? this.#prices.get(`${p}:*`);
  }

  /** USD for a call's tokens, or null when the model has no price. */
  cost(provider: string, model: string, usage: TokenUsage | undefined): number | null {
    if (!usage || usage.inputTokens + usage.outputTokens === 0) return 0;
    const price = this.price(provider, model);
    if (!price) return null;
    return (usage.inputTokens * price.input + usage.outputTokens * price.output) / 1_000_000;
  }
}
