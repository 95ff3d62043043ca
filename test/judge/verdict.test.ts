import { describe, expect, it } from 'vitest';
import {
  extractJsonObject,
  MAX_REPLY_CHARS,
  parseVerdictObject,
  parseVerdictText,
  strictVerdictJsonSchema,
  VERDICT_PROPERTY_ORDER,
  verdictJsonSchema,
  type VerdictParse,
} from '../../src/judge/verdict.js';

const ok = (p: VerdictParse) => {
  if (!p.ok) throw new Error(`expected a verdict: ${p.message}`);
  return p.verdict;
};
const failed = (p: VerdictParse) => {
  if (p.ok) throw new Error(`expected a failure, got ${p.verdict.decision}`);
  expect(p.code).toBe('IG_JUDGE_INVALID_OUTPUT');
  return p.message;
};

const deny = { reasoning: 'Recipient came from a tool result.', decision: 'deny', confidence: 0.9 };

describe('verdict schemas', () => {
  it('put reasoning first, in the documented order', () => {
    expect(Object.keys(verdictJsonSchema().properties as object)).toEqual([...VERDICT_PROPERTY_ORDER]);
    expect(Object.keys(strictVerdictJsonSchema().properties as object)).toEqual([...VERDICT_PROPERTY_ORDER]);
    expect(VERDICT_PROPERTY_ORDER[0]).toBe('reasoning');
  });

  it('the strict schema requires every property and closes every object (OpenAI strict mode)', () => {
    const s = strictVerdictJsonSchema() as { required: string[]; additionalProperties: boolean; properties: Record<string, { items: { additionalProperties: boolean } }> };
    expect(s.required).toEqual([...VERDICT_PROPERTY_ORDER]);
    expect(s.additionalProperties).toBe(false);
    expect(s.properties.narrowed_args!.items.additionalProperties).toBe(false);
    expect(s.properties.evidence!.items.additionalProperties).toBe(false);
  });
});

describe('parseVerdictText', () => {
  it('reads a bare JSON reply', () => {
    expect(ok(parseVerdictText(JSON.stringify(deny)))).toMatchObject({ decision: 'deny', confidence: 0.9, evidence: [] });
  });

  it('reads JSON inside code fences', () => {
    expect(ok(parseVerdictText('```json\n' + JSON.stringify(deny) + '\n```')).decision).toBe('deny');
    expect(ok(parseVerdictText('```\n' + JSON.stringify(deny) + '\n```')).decision).toBe('deny');
  });

  it('reads one JSON object inside prose, even with stray braces in the prose', () => {
    const text = `Thinking {briefly} about it... here is my answer: ${JSON.stringify(deny)} Hope that helps {`;
    expect(ok(parseVerdictText(text)).decision).toBe('deny');
  });

  it('tolerates missing optional fields and explicit nulls (strict-mode output)', () => {
    const v = ok(parseVerdictText(JSON.stringify({ ...deny, narrowed_args: null, narrowed_scopes: null, evidence: null })));
    expect(v.evidence).toEqual([]);
    expect(v.narrowedArgs).toBeUndefined();
  });

  it('tolerates a capitalised decision but never an unknown one', () => {
    expect(ok(parseVerdictText(JSON.stringify({ ...deny, decision: ' Deny ' }))).decision).toBe('deny');
    failed(parseVerdictText(JSON.stringify({ ...deny, decision: 'block' })));
  });

  it('fails when the reply holds several JSON objects', () => {
    expect(failed(parseVerdictText(`${JSON.stringify(deny)}\n${JSON.stringify({ ...deny, decision: 'allow' })}`))).toMatch(/several/);
    const twoFences = '```json\n' + JSON.stringify(deny) + '\n```\nor\n```json\n' + JSON.stringify({ ...deny, decision: 'allow' }) + '\n```';
    failed(parseVerdictText(twoFences));
  });

  it('fails on no JSON at all, on empty text, on arrays, on truncated JSON', () => {
    expect(failed(parseVerdictText('I think this should be allowed.'))).toMatch(/no JSON object/);
    failed(parseVerdictText('   '));
    failed(parseVerdictText(JSON.stringify([deny])));
    failed(parseVerdictText('{"reasoning": "x", "decision": "allow", "confidence": 0.9'));
  });

  it('fails on a reply longer than the limit', () => {
    const long = JSON.stringify({ ...deny, reasoning: 'x'.repeat(MAX_REPLY_CHARS) });
    expect(failed(parseVerdictText(long))).toMatch(/longer/);
  });

  it('fails on schema violations: missing reasoning, confidence out of range or a string', () => {
    failed(parseVerdictText(JSON.stringify({ decision: 'allow', confidence: 0.9 })));
    failed(parseVerdictText(JSON.stringify({ ...deny, confidence: 1.5 })));
    failed(parseVerdictText(JSON.stringify({ ...deny, confidence: -0.1 })));
    failed(parseVerdictText(JSON.stringify({ ...deny, confidence: '0.9' })));
    failed(parseVerdictText(JSON.stringify({ ...deny, evidence: [{ arg: 'to' }] })));
  });

  it('does not echo the model text in the failure message', () => {
    const msg = failed(parseVerdictText(JSON.stringify({ reasoning: 'SECRET-LOOKING-TEXT', decision: 'nope', confidence: 0.5 })));
    expect(msg).not.toContain('SECRET-LOOKING-TEXT');
    expect(msg).not.toContain('nope');
  });
});

describe('narrowing', () => {
  it('narrow with nothing to narrow is a failure (documented choice: never an allow)', () => {
    expect(failed(parseVerdictObject({ ...deny, decision: 'narrow' }))).toMatch(/narrow/);
    failed(parseVerdictObject({ ...deny, decision: 'narrow', narrowed_args: {}, narrowed_scopes: [] }));
  });

  it('reads narrowed_args as an object or as strict-mode {arg, value} pairs', () => {
    const a = ok(parseVerdictObject({ ...deny, decision: 'narrow', narrowed_args: { path: '/home/a/docs', limit: 10 } }));
    const b = ok(parseVerdictObject({ ...deny, decision: 'narrow', narrowed_args: [{ arg: 'path', value: '/home/a/docs' }, { arg: 'limit', value: 10 }], narrowed_scopes: null }));
    expect(a.narrowedArgs).toEqual({ path: '/home/a/docs', limit: 10 });
    expect(b.narrowedArgs).toEqual(a.narrowedArgs);
  });

  it('keeps only scopes for a scope-only narrowing', () => {
    const v = ok(parseVerdictObject({ ...deny, decision: 'narrow', narrowed_scopes: ['repo:read'] }));
    expect(v.narrowedScopes).toEqual(['repo:read']);
    expect(v.narrowedArgs).toBeUndefined();
  });

  it('drops narrowing fields on allow and deny', () => {
    const v = ok(parseVerdictObject({ ...deny, decision: 'allow', narrowed_args: { to: 'x' }, narrowed_scopes: ['a'] }));
    expect(v.narrowedArgs).toBeUndefined();
    expect(v.narrowedScopes).toBeUndefined();
  });

  it('refuses a narrowed value nested absurdly deep', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 20; i++) deep = { d: deep };
    failed(parseVerdictObject({ ...deny, decision: 'narrow', narrowed_args: { a: deep } }));
  });
});

describe('extractJsonObject', () => {
  it('handles braces inside JSON strings', () => {
    const r = extractJsonObject('Answer: {"reasoning": "a } tricky { string \\" here", "decision": "deny", "confidence": 1}');
    expect(r.ok && r.value.decision).toBe('deny');
  });

  it('gives up on a reply full of brace groups instead of scanning forever', () => {
    const r = extractJsonObject('{x} '.repeat(1000));
    expect(r.ok).toBe(false);
  });
});
