import { describe, expect, it } from 'vitest';
import { SecretValue } from '../../src/credentials/types.js';
import { credentialSecrets, scrub } from '../../src/proxy/scrub.js';

describe('scrub', () => {
  it('replaces secrets in every string and key, leaving the input untouched', () => {
    const input = { content: [{ type: 'text', text: 'token=abc123secret and abc123secret again' }], meta: { abc123secret: ['x abc123secret'] } };
    const out = scrub(input, ['abc123secret']);
    expect(JSON.stringify(out)).not.toContain('abc123secret');
    expect(out.content[0]!.text).toBe('token=[REDACTED] and [REDACTED] again');
    expect(input.content[0]!.text).toContain('abc123secret');
  });

  it('returns the same object when no secret occurs', () => {
    const input = { a: 'nothing here' };
    expect(scrub(input, ['abc123secret'])).toBe(input);
    expect(scrub(input, [])).toBe(input);
  });

  it('survives hostile depth without recursion', () => {
    let deep: unknown = 'the secret is s3cr3t-value';
    for (let i = 0; i < 20_000; i++) deep = [deep];
    const out = scrub({ deep }, ['s3cr3t-value']);
    let v: unknown = (out as { deep: unknown }).deep;
    while (Array.isArray(v)) v = v[0];
    expect(v).toBe('the secret is [REDACTED]');
  });

  it('takes every secret of a credential', () => {
    const secrets = credentialSecrets({
      id: 'c',
      kind: 'static',
      scopes: [],
      audience: 'a',
      expiresAt: 0,
      secret: new SecretValue('main-token'),
      extra: { api_key: new SecretValue('extra-key') },
    });
    expect(secrets).toEqual(['main-token', 'extra-key']);
  });
});
