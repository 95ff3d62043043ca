import { describe, expect, it } from 'vitest';
import { canonicalHash, canonicalJson } from '../../src/judge/canonical.js';

describe('canonicalJson', () => {
  it('sorts keys at every level, drops undefined, and matches JSON for scalars', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: undefined, x: 'é"' }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"x":"é\\"","z":1}]},"b":1}');
    expect(canonicalJson([undefined, NaN, Infinity, true])).toBe('[null,null,null,true]');
    expect(canonicalJson('x')).toBe('"x"');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('equal structures hash equal; different ones do not', () => {
    expect(canonicalHash({ a: 1, b: [1, 2] })).toBe(canonicalHash({ b: [1, 2], a: 1 }));
    expect(canonicalHash({ a: 1, b: [2, 1] })).not.toBe(canonicalHash({ a: 1, b: [1, 2] }));
  });

  it('bounds depth instead of overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(() => canonicalJson(deep)).not.toThrow();
  });
});

describe('canonicalJson strings', () => {
  it('escapes exactly as JSON does (quotes, backslashes, controls, emoji, lone surrogates)', () => {
    for (const s of ['plain', 'a"b', 'back\\slash', 'line\nbreak\u0001', 'emoji 🎉', 'lone \ud800 surrogate', '\u2028', 'é']) {
      expect(canonicalJson(s)).toBe(JSON.stringify(s));
      expect(canonicalJson({ [s]: 1 })).toBe(JSON.stringify({ [s]: 1 }));
    }
  });
});

describe('canonicalJson edge cases', () => {
  it('keeps a __proto__ key as a key, so it cannot collide with an input without it', () => {
    const withProto = JSON.parse('{"z": 1, "__proto__": {"polluted": true}}') as unknown;
    const without = JSON.parse('{"z": 1}') as unknown;
    expect(canonicalJson(withProto)).toContain('"__proto__":{"polluted":true}');
    expect(canonicalHash(withProto)).not.toBe(canonicalHash(without));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('orders integer-like keys deterministically whatever the input order', () => {
    expect(canonicalJson({ b: 1, 10: 'x', 2: 'y', a: 0 })).toBe(canonicalJson({ a: 0, 2: 'y', b: 1, 10: 'x' }));
  });

  it('honours toJSON (a SecretValue hashes as its redaction), writes bigints as strings, never mutates the input', async () => {
    const { SecretValue } = await import('../../src/credentials/types.js');
    expect(canonicalJson({ k: new SecretValue('sk-live') })).toBe('{"k":"[REDACTED]"}');
    expect(canonicalJson({ n: 10n })).toBe('{"n":"10"}');
    const input = Object.freeze({ b: Object.freeze({ d: 1, c: 2 }), a: 1 });
    expect(canonicalJson(input)).toBe('{"a":1,"b":{"c":2,"d":1}}');
    expect(Object.keys(input)).toEqual(['b', 'a']);
  });
});
