import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson as auditCanonical } from '../../src/canonical.js';
import { argsDigest, canonicalJson, DigestError, MAX_DIGEST_DEPTH } from '../../src/credentials/digest.js';

describe('argument digest', () => {
  it('is the base64url sha256 of the canonical JSON', () => {
    expect(argsDigest({})).toBe(createHash('sha256').update('{}').digest('base64url'));
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 1.5, y: -0 } })).toBe('{"a":[true,null,"x"],"b":1,"c":{"y":0,"z":1.5}}');
  });

  it('does not depend on key order, and does depend on every value', () => {
    expect(argsDigest({ a: 1, b: { c: 2, d: 3 } })).toBe(argsDigest({ b: { d: 3, c: 2 }, a: 1 }));
    expect(argsDigest({ a: 1 })).not.toBe(argsDigest({ a: '1' }));
    expect(argsDigest({ a: [1, 2] })).not.toBe(argsDigest({ a: [2, 1] }));
  });

  it('survives a JSON round trip (what the tool server receives)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(argsDigest(JSON.parse(JSON.stringify(v)))).toBe(argsDigest(v));
      }),
    );
  });

  it('agrees with the audit log canonical form on JSON data', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(canonicalJson(v)).toBe(auditCanonical(v));
      }),
    );
  });

  it('refuses values outside JSON instead of hashing something else', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.me = cyclic;
    expect(() => argsDigest(cyclic)).toThrow(DigestError);
    expect(() => argsDigest({ n: 1n })).toThrow(DigestError);
    let deep: unknown = 1;
    for (let i = 0; i <= MAX_DIGEST_DEPTH; i++) deep = [deep];
    expect(() => argsDigest(deep)).toThrow(/deeper/);
  });
});
