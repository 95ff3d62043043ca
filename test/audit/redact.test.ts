import { describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/credentials/types.js';
import { MAX_STRING, REDACTED, looksLikeKeyMaterial, redact } from '../../src/audit/redact.js';

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aumCa\n-----END RSA PRIVATE KEY-----';

describe('redact', () => {
  it('redacts values under secret-named keys, at any depth and in lists', () => {
    const out = redact({
      user: 'bob',
      password: 'hunter2',
      nested: { deeper: { apiKey: 'abc', API_KEY: 'def', 'x-api-key': 'ghi', clientSecret: 'jkl', private_key: 'mno' } },
      cookies: ['a=1', 'b=2'],
      headers: { Authorization: 'Basic Ym9iOmh1bnRlcjI=', Cookie: 'sid=1', 'content-type': 'text/plain' },
    });
    expect(out).toEqual({
      user: 'bob',
      password: REDACTED,
      nested: { deeper: { apiKey: REDACTED, API_KEY: REDACTED, 'x-api-key': REDACTED, clientSecret: REDACTED, private_key: REDACTED } },
      cookies: [REDACTED, REDACTED],
      headers: { Authorization: REDACTED, Cookie: REDACTED, 'content-type': 'text/plain' },
    });
  });

  it('keeps numbers and booleans under secret-like names (token counts, TTLs), and a credential’s descriptive members', () => {
    const out = redact({
      usage: { inputTokens: 120, outputTokens: 30 },
      credentialTtlSeconds: 60,
      credential: { id: 'jti-1', kind: 'jwt', scopes: ['fs:read'], expiresAt: 1767225600000, token: 'eyJ.not.real', value: 'raw-secret' },
    });
    expect(out).toEqual({
      usage: { inputTokens: 120, outputTokens: 30 },
      credentialTtlSeconds: 60,
      credential: { id: 'jti-1', kind: 'jwt', scopes: ['fs:read'], expiresAt: 1767225600000, token: REDACTED, value: REDACTED },
    });
  });

  it('replaces SecretValue instances without revealing them', () => {
    const secret = new SecretValue('s3cr3t');
    let revealed = false;
    const spy = Object.assign(Object.create(SecretValue.prototype) as object, {
      reveal: () => {
        revealed = true;
        return 'x';
      },
    });
    expect(redact({ a: secret, list: [secret], spy })).toEqual({ a: REDACTED, list: [REDACTED], spy: REDACTED });
    expect(revealed).toBe(false);
  });

  it('cuts secrets out of free text, keeping the rest', () => {
    const out = redact({
      note: `here is my token ${JWT} please use it`,
      header: 'Authorization: Bearer abcdef0123456789xyz',
      key: `config:\n${PEM}\nend`,
      openai: 'OPENAI_API_KEY=sk-proj-abc123DEF456ghi789JKL',
      aws: 'id AKIAIOSFODNN7EXAMPLE here',
      gh: 'ghp_0123456789abcdefghijABCDEFGHIJ012345',
      url: 'postgres://admin:pa55w0rd@db.internal:5432/app',
    }) as Record<string, string>;
    expect(out['note']).toBe(`here is my token ${REDACTED} please use it`);
    expect(out['header']).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(out['key']).toBe(`config:\n${REDACTED}\nend`);
    expect(out['openai']).toBe(`OPENAI_API_KEY=${REDACTED}`);
    expect(out['aws']).toBe(`id ${REDACTED} here`);
    expect(out['gh']).toBe(REDACTED);
    expect(out['url']).toBe(`postgres://admin:${REDACTED}@db.internal:5432/app`);
  });

  it('leaves ordinary prose alone', () => {
    const prose = {
      task: 'Summarise the basic information about the sk-learn tutorial and the bearer of the letter; see https://example.com/a:b',
      path: '/workspace/docs/tokens.md',
      id: 'txn-0001-abcdef',
    };
    expect(redact(prose)).toEqual(prose);
  });

  it('redacts a PEM block that was cut off before its END line', () => {
    expect(redact({ t: `x ${PEM.slice(0, 60)}` })).toEqual({ t: `x ${REDACTED}` });
  });

  it('redacts high-entropy key material under key-like names only', () => {
    const material = 'Zx8Qm2Lp9Vb4Nc7Rt1Ys6Wd3Ke5Hf0Jg';
    const hex = 'a3f1c9e8b7d6054f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d';
    expect(redact({ accessKey: material, signingKey: hex, publicKeyId: 'key-2026-01', name: material })).toEqual({
      accessKey: REDACTED,
      signingKey: REDACTED,
      publicKeyId: 'key-2026-01',
      name: material,
    });
    expect(looksLikeKeyMaterial('aaaaaaaaaaaaaaaaaaaaaaaa')).toBe(false);
  });

  it('redacts secrets in object keys too', () => {
    expect(Object.keys(redact({ [JWT]: 1 }) as object)).toEqual([REDACTED]);
  });

  it('caps string length, depth, list and object size — and says so', () => {
    const long = 'a'.repeat(MAX_STRING + 500);
    const s = redact(long) as string;
    expect(s.startsWith('a'.repeat(MAX_STRING))).toBe(true);
    expect(s).toMatch(/…\[truncated 500 chars\]$/);
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100; i++) deep = { d: deep };
    expect(JSON.stringify(redact(deep))).toContain('nested too deeply');
    const list = redact(Array.from({ length: 1500 }, (_, i) => i)) as unknown[];
    expect(list).toHaveLength(1001);
    expect(list[1000]).toBe('[Truncated: 500 more items]');
    const wide = redact(Object.fromEntries(Array.from({ length: 1200 }, (_, i) => [`k${i}`, i]))) as Record<string, unknown>;
    expect(Object.keys(wide)).toHaveLength(1001);
  });

  it('never throws, whatever the input, and returns plain JSON data', () => {
    const cyc: Record<string, unknown> = { a: 1 };
    cyc['self'] = cyc;
    const hostile = {
      cyc,
      big: 10n,
      fn: () => 1,
      sym: Symbol('x'),
      nan: Number.NaN,
      buf: Buffer.from('secret bytes'),
      err: Object.assign(new Error('boom with Bearer abcdefghijklmnop'), { code: 'E1' }),
      map: new Map([['password', 'x']]),
      set: new Set(['a']),
      date: new Date(Date.UTC(2026, 0, 1)),
      getter: Object.defineProperty({}, 'bad', {
        enumerable: true,
        get() {
          throw new Error('no');
        },
      }),
    };
    const out = redact(hostile);
    expect(out).toEqual({
      cyc: { a: 1, self: '[Circular]' },
      big: '10',
      nan: null,
      buf: '[binary 12 bytes]',
      err: { name: 'Error', message: `boom with Bearer ${REDACTED}`, code: 'E1' },
      map: { password: REDACTED },
      set: ['a'],
      date: '2026-01-01T00:00:00.000Z',
      getter: '[Unreadable]',
    });
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
  });

  it('does not let a "__proto__" key change the prototype', () => {
    const out = redact(JSON.parse('{"__proto__":{"polluted":true}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect((out as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('does not modify its input', () => {
    const input = { password: 'x', list: [{ token: 'y' }] };
    redact(input);
    expect(input).toEqual({ password: 'x', list: [{ token: 'y' }] });
  });
});
