import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalHash, canonicalJson, canonicalKeyJson, sha256Hex } from '../src/canonical.js';
import { SecretValue } from '../src/credentials/types.js';

describe('canonicalJson', () => {
  it('sorts keys at every level and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [{ z: true, y: null }], c: 'x' })).toBe('{"a":[{"y":null,"z":true}],"b":1,"c":"x"}');
  });

  it('is independent of key insertion order', () => {
    expect(canonicalJson({ x: 1, y: { a: 1, b: 2 } })).toBe(canonicalJson({ y: { b: 2, a: 1 }, x: 1 }));
    expect(canonicalHash({ x: 1, y: 2 })).toBe(canonicalHash({ y: 2, x: 1 }));
  });

  it('sorts by UTF-16 code units, as RFC 8785 does', () => {
    expect(canonicalJson({ '€': 1, '\r': 2, 'ö': 3, '1': 4, '😀': 5, 'ﬃ': 6 })).toBe('{"\\r":2,"1":4,"ö":3,"€":1,"😀":5,"ﬃ":6}');
  });

  it('follows JSON.stringify for numbers, escapes and values without a JSON form', () => {
    expect(canonicalJson([1e21, 1e-7, -0, 0.1 + 0.2, Number.NaN, Number.POSITIVE_INFINITY])).toBe('[1e+21,1e-7,0,0.30000000000000004,null,null]');
    expect(canonicalJson('\u2028"\\\n\u0001')).toBe(JSON.stringify('\u2028"\\\n\u0001'));
    expect(canonicalJson({ a: undefined, b: () => 1, c: [undefined] })).toBe('{"c":[null]}');
    expect(canonicalJson('\ud800')).toBe('"\\ud800"');
  });

  it('honours toJSON: a SecretValue never reaches the text (or a cache key)', () => {
    expect(canonicalJson({ key: new SecretValue('hunter2'), at: new Date(Date.UTC(2026, 0, 1)) })).toBe('{"at":"2026-01-01T00:00:00.000Z","key":"[REDACTED]"}');
  });

  it('agrees with JSON.parse(JSON.stringify(x)) up to key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = canonicalJson(v);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(v)));
        // Canonical text is a fixed point.
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses bigint, cycles and absurd depth with IG_INPUT_INVALID', () => {
    expect(() => canonicalJson({ n: 1n })).toThrow(expect.objectContaining({ code: 'IG_INPUT_INVALID' }));
    const cyc: Record<string, unknown> = {};
    cyc['self'] = cyc;
    expect(() => canonicalJson(cyc)).toThrow(/circular/);
    let deep: unknown = 1;
    for (let i = 0; i < 600; i++) deep = [deep];
    expect(() => canonicalJson(deep)).toThrow(/deeper/);
    expect(() => canonicalJson(undefined)).toThrow(/no JSON form/);
  });

  it('keeps a JSON "__proto__" key as data', () => {
    const parsed = JSON.parse('{"__proto__":{"x":1},"a":2}') as unknown;
    expect(canonicalJson(parsed)).toBe('{"__proto__":{"x":1},"a":2}');
  });
});

describe('canonicalKeyJson (the cache-key form)', () => {
  it('is the canonical text for JSON data', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(canonicalKeyJson(v)).toBe(canonicalJson(v));
      }),
      { numRuns: 500 },
    );
  });

  it('gives values outside JSON a stand-in instead of throwing', () => {
    expect(canonicalKeyJson({ n: 10n, u: undefined })).toBe('{"n":"10"}');
    expect(canonicalKeyJson(undefined)).toBe('null');
    const cyc: Record<string, unknown> = { a: 1 };
    cyc['self'] = cyc;
    expect(canonicalKeyJson(cyc)).toMatch(/^\{"a":1,"self":\{"a":1,"self":/);
    let deep: unknown = 1;
    for (let i = 0; i < 300; i++) deep = [deep];
    expect(canonicalKeyJson(deep)).toBe(`${'['.repeat(256)}null${']'.repeat(256)}`);
  });

  it('honours toJSON like canonicalJson: a SecretValue keys as its redaction', () => {
    expect(canonicalKeyJson([new SecretValue('hunter2')])).toBe('["[REDACTED]"]');
  });
});

describe('sha256Hex', () => {
  it('hashes text as UTF-8 and bytes as they are', () => {
    expect(sha256Hex('é')).toBe(sha256Hex(new Uint8Array([0xc3, 0xa9])));
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
