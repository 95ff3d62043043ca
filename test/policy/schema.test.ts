import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderPolicySchema } from '../../src/policy/schema.js';

const DIR = new URL('../../policies/', import.meta.url);

describe('policies/schema.json', () => {
  it('is what the zod schemas generate (regenerate with scripts/gen-schema.mjs after a build)', async () => {
    const committed = await readFile(new URL('schema.json', DIR), 'utf8');
    expect(committed).toBe(renderPolicySchema());
  });

  it('is strict: unknown keys are not allowed anywhere in a rule', () => {
    const schema = JSON.parse(renderPolicySchema()) as { additionalProperties: boolean; properties: { rules: { items: { oneOf: { additionalProperties: boolean }[] } } } };
    expect(schema.additionalProperties).toBe(false);
    for (const variant of schema.properties.rules.items.oneOf) expect(variant.additionalProperties).toBe(false);
  });

  it('every example policy points editors at it', async () => {
    const files = (await readdir(fileURLToPath(DIR))).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) {
      const text = await readFile(new URL(f, DIR), 'utf8');
      expect(text.split('\n')[0], f).toBe('# yaml-language-server: $schema=./schema.json');
    }
  });
});
