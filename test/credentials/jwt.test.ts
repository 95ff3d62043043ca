import { inspect } from 'node:util';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { argsDigest } from '../../src/credentials/digest.js';
import { effectiveTtl, JwtIssuer, subjectOf } from '../../src/credentials/jwt.js';
import { KeyStore } from '../../src/credentials/keys.js';
import { IntentguardError } from '../../src/errors.js';
import { headerOf, payloadOf, request, TempDirs } from './fixtures.js';

const dirs = new TempDirs();
afterEach(() => dirs.cleanup());

async function issuer(options: { algorithm?: 'EdDSA' | 'ES256'; maxTtlSeconds?: number } = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0, 250));
  const keys = await KeyStore.open(dirs.make(), { clock, algorithm: options.algorithm });
  return { clock, keys, issuer: new JwtIssuer({ keys, issuer: 'urn:intentguard:test', clock, maxTtlSeconds: options.maxTtlSeconds }) };
}

describe('JwtIssuer', () => {
  it('mints exactly the claims of the grant', async () => {
    const { issuer: iss, keys, clock } = await issuer();
    const req = request();
    const cred = await iss.issue(req);
    const token = cred.secret.reveal();
    const iat = Math.floor(clock.now() / 1000);
    const digest = argsDigest({ path: '/data/report.txt', limit: 100 });
    expect(payloadOf(token)).toEqual({
      iss: 'urn:intentguard:test',
      sub: 'alice',
      act: { sub: 'claude' },
      client_id: 'claude',
      aud: 'urn:intentguard:upstream:files',
      scope: 'files:read',
      authorization_details: [
        {
          type: 'intentguard_tool_call',
          locations: ['urn:intentguard:upstream:files'],
          actions: ['read_file'],
          server: 'files',
          tool: 'read_file',
          args_digest: digest,
        },
      ],
      args_digest: digest,
      txn: 'txn-1',
      iat,
      nbf: iat,
      exp: iat + 60,
      jti: cred.id,
    });
    expect(headerOf(token)).toEqual({ alg: 'EdDSA', kid: keys.signer().kid, typ: 'at+jwt' });
    expect(cred).toMatchObject({ kind: 'jwt', scopes: ['files:read'], audience: 'urn:intentguard:upstream:files', expiresAt: (iat + 60) * 1000 });
    expect(cred.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('binds the granted (narrowed) arguments, not the requested ones', async () => {
    const { issuer: iss } = await issuer();
    const req = request();
    const claims = payloadOf((await iss.issue(req)).secret.reveal());
    expect(claims.args_digest).toBe(argsDigest(req.grant.args));
    expect(claims.args_digest).not.toBe(argsDigest(req.call.args));
  });

  it('gives every credential its own jti', async () => {
    const { issuer: iss } = await issuer();
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) ids.add((await iss.issue(request())).id);
    expect(ids.size).toBe(50);
  });

  it('verifies with jose against the published JWKS, EdDSA and ES256, with the injected clock', async () => {
    for (const algorithm of ['EdDSA', 'ES256'] as const) {
      const { issuer: iss, keys, clock } = await issuer({ algorithm });
      const token = (await iss.issue(request())).secret.reveal();
      const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(keys.jwks() as never), {
        issuer: 'urn:intentguard:test',
        audience: 'urn:intentguard:upstream:files',
        typ: 'at+jwt',
        currentDate: new Date(clock.now()),
      });
      expect(protectedHeader.alg).toBe(algorithm);
      expect(payload.scope).toBe('files:read');
    }
  });

  it('keeps lifetimes within 5–300 s and under the configured ceiling', async () => {
    const lifetime = async (ttlSeconds: number, maxTtlSeconds: number) => {
      const { issuer: iss } = await issuer({ maxTtlSeconds });
      const c = payloadOf((await iss.issue(request({ ttlSeconds }))).secret.reveal());
      return (c.exp as number) - (c.iat as number);
    };
    expect(await lifetime(60, 60)).toBe(60);
    expect(await lifetime(120, 60)).toBe(60);
    expect(await lifetime(30, 60)).toBe(30);
    expect(await lifetime(1, 60)).toBe(5);
    expect(await lifetime(10_000, 300)).toBe(300);
    expect(await lifetime(10_000, 10_000)).toBe(300);
    expect(effectiveTtl(Number.NaN, 60)).toBe(60);
  });

  it('follows the injected clock', async () => {
    const { issuer: iss, clock } = await issuer();
    const a = payloadOf((await iss.issue(request())).secret.reveal());
    clock.advance(90_000);
    const b = payloadOf((await iss.issue(request())).secret.reveal());
    expect((b.iat as number) - (a.iat as number)).toBe(90);
  });

  it('names subject and actor per RFC 8693', () => {
    expect(subjectOf({ agent: 'claude', user: 'alice' })).toEqual({ sub: 'alice', act: { sub: 'claude' }, client_id: 'claude' });
    expect(subjectOf({ agent: 'nightly-job' })).toEqual({ sub: 'nightly-job', client_id: 'nightly-job' });
    expect(subjectOf({ user: 'alice' })).toEqual({ sub: 'alice' });
    expect(subjectOf({})).toEqual({ sub: 'anonymous' });
  });

  it('omits scope when the grant has none, and refuses a scope that would split in two', async () => {
    const { issuer: iss } = await issuer();
    const none = payloadOf((await iss.issue(request({ grant: { scopes: [], args: {} } }))).secret.reveal());
    expect(none).not.toHaveProperty('scope');
    const err = (await iss.issue(request({ grant: { scopes: ['files:read admin'], args: {} } })).catch((e: unknown) => e)) as IntentguardError;
    expect(err).toBeInstanceOf(IntentguardError);
    expect(err.code).toBe('IG_CREDENTIAL_ISSUE');
  });

  it('refuses arguments with no JSON form instead of signing something else', async () => {
    const { issuer: iss } = await issuer();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(iss.issue(request({ grant: { scopes: [], args: cyclic } }))).rejects.toMatchObject({ code: 'IG_CREDENTIAL_ISSUE' });
  });

  it('never shows the token when the credential is logged or serialised', async () => {
    const { issuer: iss } = await issuer();
    const cred = await iss.issue(request());
    const token = cred.secret.reveal();
    expect(JSON.stringify(cred)).not.toContain(token);
    expect(inspect(cred, { depth: 5 })).not.toContain(token);
    expect(`${String(cred.secret)}`).toBe('[REDACTED]');
  });

  it('signs with the new key after a rotation, and old tokens still verify until expiry', async () => {
    const { issuer: iss, keys, clock } = await issuer();
    const before = (await iss.issue(request())).secret.reveal();
    await keys.rotate();
    const after = (await iss.issue(request())).secret.reveal();
    expect(headerOf(after).kid).not.toBe(headerOf(before).kid);
    const jwks = createLocalJWKSet(keys.jwks() as never);
    const opts = { currentDate: new Date(clock.now()), audience: 'urn:intentguard:upstream:files' };
    await expect(jwtVerify(before, jwks, opts)).resolves.toBeTruthy();
    await expect(jwtVerify(after, jwks, opts)).resolves.toBeTruthy();
  });
});
