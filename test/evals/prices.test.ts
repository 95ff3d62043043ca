import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PriceTable } from '../../src/evals/prices.js';

describe('the price table', () => {
  const t = new PriceTable();

  it('prices exact models, dated variants by the longest stem, and providers by their default', () => {
    expect(t.price('openai', 'gpt-4o-mini')).toEqual({ input: 0.15, output: 0.6 });
    expect(t.price('openai', 'gpt-4o-mini-2024-07-18')).toEqual({ input: 0.15, output: 0.6 });
    expect(t.price('openai', 'gpt-4o-2024-08-06')).toEqual({ input: 2.5, output: 10 });
    expect(t.price('anthropic', 'claude-3-5-haiku-latest')).toEqual({ input: 0.8, output: 4 });
    expect(t.price('ollama', 'llama3.1:8b')).toEqual({ input: 0, output: 0 });
    expect(t.price('openai', 'my-finetune')).toBeUndefined();
  });

  it('computes USD per call from per-1M-token prices', () => {
    expect(t.cost('openai', 'gpt-4o-mini', { inputTokens: 1_000_000, outputTokens: 1_000_000 })).toBeCloseTo(0.75, 12);
    expect(t.cost('openai', 'gpt-4o-mini', { inputTokens: 120, outputTokens: 40 })).toBeCloseTo(4.2e-5, 15);
    expect(t.cost('openai', 'unknown-model', { inputTokens: 10, outputTokens: 1 })).toBeNull();
    expect(t.cost('openai', 'unknown-model', undefined)).toBe(0);
  });

  it('loads an override file over the defaults, and rejects a malformed one naming the key', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ig-prices-'));
    try {
      const good = path.join(dir, 'p.json');
      await writeFile(good, JSON.stringify({ 'openai:my-finetune': { input: 3, output: 6 }, 'openai:gpt-4o-mini': { input: 1, output: 1 } }));
      const loaded = await PriceTable.load(good);
      expect(loaded.price('openai', 'my-finetune')).toEqual({ input: 3, output: 6 });
      expect(loaded.price('openai', 'gpt-4o-mini')).toEqual({ input: 1, output: 1 });
      expect(loaded.price('openai', 'gpt-4o')).toEqual({ input: 2.5, output: 10 });
      const bad = path.join(dir, 'bad.json');
      await writeFile(bad, JSON.stringify({ 'openai:x': { input: -1, output: 1 } }));
      await expect(PriceTable.load(bad)).rejects.toMatchObject({ code: 'IG_INPUT_INVALID', location: { file: bad, path: 'openai:x.input' } });
      await expect(PriceTable.load(path.join(dir, 'none.json'))).rejects.toMatchObject({ code: 'IG_INPUT_INVALID' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
