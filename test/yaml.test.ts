import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { IntentguardError } from '../src/errors.js';
import { parseLocatedYaml, validateLocated } from '../src/yaml.js';

function refusal(op: () => unknown): IntentguardError {
  try {
    op();
  } catch (e) {
    expect(e).toBeInstanceOf(IntentguardError);
    return e as IntentguardError;
  }
  throw new IntentguardError('IG_INTERNAL', 'expected a refusal');
}

const OPTIONS = { code: 'IG_CONFIG_INVALID', maxAliasCount: 100 } as const;

describe('parseLocatedYaml', () => {
  it('names the file and line of a syntax error and of a duplicate key', () => {
    const bad = refusal(() => parseLocatedYaml('c.yaml', 'version: 1\nmode: [enforce\n', OPTIONS));
    expect(bad.code).toBe('IG_CONFIG_INVALID');
    expect(bad.message).toMatch(/^invalid YAML: /);
    expect(bad.location).toEqual({ file: 'c.yaml', line: 3 });
    const dup = refusal(() => parseLocatedYaml('c.yaml', 'a: 1\nb: 2\na: 3\n', OPTIONS));
    expect(dup.location).toEqual({ file: 'c.yaml', line: 3 });
  });

  it('refuses an alias that expands past the cap with its code, not a bare error', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    const e = refusal(() => parseLocatedYaml('bomb.yaml', lines.join('\n'), { code: 'IG_POLICY_INVALID', maxAliasCount: 50 }));
    expect(e.code).toBe('IG_POLICY_INVALID');
    expect(e.location).toEqual({ file: 'bomb.yaml', line: 1 });
  });

  it('finds the line of a path, or of its deepest existing ancestor', () => {
    const doc = parseLocatedYaml('c.yaml', 'version: 1\njudge:\n  spec: offline\nlist:\n  - a\n  - b: 2\n', OPTIONS);
    expect(doc.value).toEqual({ version: 1, judge: { spec: 'offline' }, list: ['a', { b: 2 }] });
    expect(doc.lineOf(['judge', 'spec'])).toBe(3);
    expect(doc.lineOf(['list', 1, 'b'])).toBe(6);
    expect(doc.lineOf(['judge', 'missing'])).toBe(3);
    expect(doc.lineOf(['list', 9])).toBe(5);
    const at = doc.nodeAt(['judge', 'spec']);
    expect(at.keyNode?.range?.[0]).toBe('version: 1\njudge:\n  '.length);
    expect(parseLocatedYaml('e.yaml', '', OPTIONS).lineOf(['x'])).toBeUndefined();
  });
});

describe('validateLocated', () => {
  const Schema = z.strictObject({ version: z.literal(1), judge: z.strictObject({ spec: z.string() }).optional() });

  it('returns the parsed data', () => {
    const doc = parseLocatedYaml('c.yaml', 'version: 1\njudge:\n  spec: offline\n', OPTIONS);
    expect(validateLocated('c.yaml', doc, Schema, 'IG_CONFIG_INVALID')).toEqual({ version: 1, judge: { spec: 'offline' } });
  });

  it('reports an unknown key on its own line, with its path and the rule it belongs to', () => {
    const doc = parseLocatedYaml('c.yaml', 'version: 1\njudge:\n  spec: offline\n  temprature: 0\n', OPTIONS);
    const e = refusal(() => validateLocated('c.yaml', doc, Schema, 'IG_CONFIG_INVALID', (path) => (path[0] === 'judge' ? 'the judge' : undefined)));
    expect(e.code).toBe('IG_CONFIG_INVALID');
    expect(e.message).toMatch(/^judge\.temprature: /);
    expect(e.location).toEqual({ file: 'c.yaml', line: 4, rule: 'the judge' });
  });

  it('names the root when the document itself is wrong', () => {
    const doc = parseLocatedYaml('c.yaml', '- 1\n', OPTIONS);
    expect(refusal(() => validateLocated('c.yaml', doc, Schema, 'IG_CONFIG_INVALID')).message).toMatch(/^\(root\): /);
  });
});
