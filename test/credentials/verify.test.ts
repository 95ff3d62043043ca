import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { JwtIssuer } from '../../src/credentials/jwt.js';
import { KeyStore } from '../../src/credentials/keys.js';
import {
  bearerToken,
  createVerifier,
  CredentialVerificationError,
  MemoryReplayCache,
  tokenFromMeta,
  type VerifierOptions,
  type VerifyErrorCode,
} from '../../src/credentials/verify.js';
import { request, TempDirs } from './fixtures.js';

const dirs = new TempDirs();
const servers: Server[] = [];
afterEach(async () => {
  dirs.cleanup();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const ISSUER = 'urn:intentguard:test';
const AUDIENCE = 'urn:intentguard:upstream:files';
const GRANTED = { path: '/data/report.txt', limit: 100 };

async function setup(overrides: Partial<VerifierOptions> = {}) {
  const clock = new ManualClock();
  const keys = await KeyStore.open(dirs.make(), { clock });
  const issuer = new JwtIssuer({ keys, issuer: ISSUER, clock });
  const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: keys.jwks() as never, now: () => clock.now(), ...overrides } as VerifierOptions);
  const mint = async (o: Parameters<typeof request>[0] = {}) => (await issuer.issue(request(o))).secret.reveal();
  return { clock, keys, issuer, verifier, mint };
}

async function codeOf(p: Promise<unknown>): Promise<VerifyErrorCode | string> {
  try {
    await p;
    return 'accepted';
  } catch (e) {
    if (e instanceof CredentialVerificationError) return e.code;
    throw e;
  }
}

describe('createVerifier', () => {
  it('accepts a fresh credential for its arguments and reports who, what and which call', async () => {
    const { verifier, mint } = await setup();
    const v = await verifier.verify(await mint(), { args: GRANTED, requiredScopes: ['files:read'], tool: 'read_file', server: 'files' });
    expect(v).toMatchObject({ subject: 'alice', agent: 'claude', scopes: ['files:read'], tool: 'read_file', server: 'files', txn: 'txn-1' });
    expect(v.claims.aud).toBe(AUDIENCE);
  });

  it('ignores key order in the arguments (canonical digest)', async () => {
    const { verifier, mint } = await setup();
    await expect(verifier.verify(await mint(), { args: { limit: 100, path: '/data/report.txt' } })).resolves.toBeTruthy();
  });

  it('refuses other arguments, and a refusal does not spend the token', async () => {
    const { verifier, mint } = await setup();
    const token = await mint();
    expect(await codeOf(verifier.verify(token, { args: { path: '/data/report.txt', limit: 500 } }))).toBe('args_mismatch');
    expect(await codeOf(verifier.verify(token, { args: { path: '/etc/passwd', limit: 100 } }))).toBe('args_mismatch');
    expect(await codeOf(verifier.verify(token, { args: {} }))).toBe('args_mismatch');
    await expect(verifier.verify(token, { args: GRANTED })).resolves.toBeTruthy();
  });

  it('accepts a token once: a replay is refused', async () => {
    const { verifier, mint } = await setup();
    const token = await mint();
    await verifier.verify(token, { args: GRANTED });
    const err = (await verifier.verify(token, { args: GRANTED }).catch((e: unknown) => e)) as CredentialVerificationError;
    expect(err.code).toBe('token_replayed');
    expect(err.status).toBe(401);
    expect(err.oauthError).toBe('invalid_token');
  });

  it('refuses a token signed by another key', async () => {
    const { verifier } = await setup();
    const other = await setup();
    expect(await codeOf(verifier.verify(await other.mint(), { args: GRANTED }))).toBe('signature_invalid');
  });

  it('refuses a tampered payload', async () => {
    const { verifier, mint } = await setup();
    const [h, p, s] = (await mint()).split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    claims.scope = 'files:read files:write';
    const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    expect(await codeOf(verifier.verify(forged, { args: GRANTED }))).toBe('signature_invalid');
  });

  it('refuses a token for another audience or from another issuer', async () => {
    const { verifier, mint } = await setup();
    expect(await codeOf(verifier.verify(await mint({ audience: 'urn:intentguard:upstream:mail' }), { args: GRANTED }))).toBe('audience_mismatch');
    const { keys, clock } = await setup();
    const foreign = new JwtIssuer({ keys, issuer: 'urn:someone-else', clock });
    const v2 = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: keys.jwks() as never, now: () => clock.now() });
    expect(await codeOf(v2.verify((await foreign.issue(request())).secret.reveal(), { args: GRANTED }))).toBe('issuer_mismatch');
  });

  it('refuses an expired token (beyond the tolerance) and a token not yet valid', async () => {
    const { verifier, mint, clock } = await setup({ clockTolerance: 5 });
    const token = await mint();
    clock.advance(64_000);
    const late = await mint();
    clock.advance(2_000); // the first is now 66 s old: 60 s of life + 5 s of tolerance are over
    expect(await codeOf(verifier.verify(token, { args: GRANTED }))).toBe('token_expired');
    await expect(verifier.verify(late, { args: GRANTED })).resolves.toBeTruthy();

    const early = await setup();
    const future = await early.mint();
    early.clock.advance(-30_000);
    expect(await codeOf(early.verifier.verify(future, { args: GRANTED }))).toBe('token_not_yet_valid');
  });

  it('refuses when a required scope is missing, with a 403 insufficient_scope', async () => {
    const { verifier, mint } = await setup();
    const err = (await verifier.verify(await mint(), { args: GRANTED, requiredScopes: ['files:write'] }).catch((e: unknown) => e)) as CredentialVerificationError;
    expect(err.code).toBe('scope_insufficient');
    expect(err.status).toBe(403);
    expect(err.oauthError).toBe('insufficient_scope');
  });

  it('refuses a token issued for another tool or server', async () => {
    const { verifier, mint } = await setup();
    expect(await codeOf(verifier.verify(await mint(), { args: GRANTED, tool: 'delete_file' }))).toBe('tool_mismatch');
    expect(await codeOf(verifier.verify(await mint(), { args: GRANTED, server: 'mail' }))).toBe('tool_mismatch');
  });

  it('refuses JWTs of another type signed with the same key (an actor assertion is no access token)', async () => {
    const { verifier, keys, clock } = await setup();
    const iat = Math.floor(clock.now() / 1000);
    const assertion = keys.signer().sign({ iss: ISSUER, aud: AUDIENCE, sub: 'claude', iat, exp: iat + 60, jti: 'a1', args_digest: 'x' }, 'JWT');
    expect(await codeOf(verifier.verify(assertion, { args: GRANTED }))).toBe('type_mismatch');
  });

  it('refuses a token good at several audiences', async () => {
    const { verifier, keys, clock } = await setup();
    const iat = Math.floor(clock.now() / 1000);
    const multi = keys.signer().sign({ iss: ISSUER, aud: [AUDIENCE, 'urn:other'], sub: 'x', iat, exp: iat + 60, jti: 'multi-1', args_digest: 'x' }, 'at+jwt');
    expect(await codeOf(verifier.verify(multi, { args: GRANTED }))).toBe('audience_mismatch');
  });

  it('refuses a lifetime no intentguard credential has', async () => {
    const { verifier, keys, clock } = await setup();
    const iat = Math.floor(clock.now() / 1000);
    const long = keys.signer().sign({ iss: ISSUER, aud: AUDIENCE, sub: 'x', iat, nbf: iat, exp: iat + 3600, jti: 'long-1', args_digest: 'x' }, 'at+jwt');
    expect(await codeOf(verifier.verify(long, { args: GRANTED }))).toBe('lifetime_too_long');
  });

  it('refuses malformed and unsigned tokens', async () => {
    const { verifier } = await setup();
    expect(await codeOf(verifier.verify(undefined, { args: {} }))).toBe('token_missing');
    expect(await codeOf(verifier.verify('', { args: {} }))).toBe('token_missing');
    expect(await codeOf(verifier.verify('not a token', { args: {} }))).toBe('token_malformed');
    expect(await codeOf(verifier.verify(`a.b.${'c'.repeat(20_000)}`, { args: {} }))).toBe('token_malformed');
    const none = `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${Buffer.from('{"iss":"x"}').toString('base64url')}.`;
    expect(await codeOf(verifier.verify(none, { args: {} }))).toBe('token_malformed');
    const unsigned = `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${Buffer.from('{"iss":"x"}').toString('base64url')}.AA`;
    expect(await codeOf(verifier.verify(unsigned, { args: {} }))).toBe('signature_invalid');
  });

  it('insists on the arguments unless told the tool does not bind them', async () => {
    const { verifier, mint, keys, clock } = await setup();
    await expect(verifier.verify(await mint(), {})).rejects.toThrow(TypeError);
    const loose = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: keys.jwks() as never, now: () => clock.now(), bindArgs: false });
    await expect(loose.verify(await mint(), {})).resolves.toBeTruthy();
  });

  it('fetches a remote JWKS once, caches it, and refetches for a key it does not know', async () => {
    const clock = new ManualClock(Date.now());
    const keys = await KeyStore.open(dirs.make(), { clock });
    const issuer = new JwtIssuer({ keys, issuer: ISSUER, clock });
    let fetches = 0;
    const server = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(keys.jwks()));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: url, now: () => clock.now(), jwksCooldownMs: 0 });
    for (let i = 0; i < 3; i++) await verifier.verify((await issuer.issue(request())).secret.reveal(), { args: GRANTED });
    expect(fetches).toBe(1);
    await keys.rotate();
    await verifier.verify((await issuer.issue(request())).secret.reveal(), { args: GRANTED });
    expect(fetches).toBe(2);
  });

  it('fails closed when the JWKS cannot be fetched', async () => {
    const { mint } = await setup();
    const server = createServer((_req, res) => res.writeHead(500).end('boom'));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const broken = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: `http://127.0.0.1:${port}/jwks` });
    const err = (await broken.verify(await mint(), { args: GRANTED }).catch((e: unknown) => e)) as CredentialVerificationError;
    expect(err.code).toBe('jwks_unavailable');
    expect(err.status).toBe(503);
  });

  it('takes a pluggable replay cache', async () => {
    const seen = new Set<string>();
    const shared = { consume: async (key: string) => (seen.has(key) ? false : (seen.add(key), true)) };
    const a = await setup({ replayCache: shared });
    const b = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: a.keys.jwks() as never, now: () => a.clock.now(), replayCache: shared });
    const token = await a.mint();
    await a.verifier.verify(token, { args: GRANTED });
    // Another server process sharing the cache refuses the same token.
    expect(await codeOf(b.verify(token, { args: GRANTED }))).toBe('token_replayed');
  });
});

describe('MemoryReplayCache', () => {
  it('forgets entries once they expire, and refuses rather than forgets live ones when full', () => {
    let now = 1000;
    const cache = new MemoryReplayCache({ maxEntries: 2, now: () => now });
    expect(cache.consume('a', 2000)).toBe(true);
    expect(cache.consume('a', 2000)).toBe(false);
    expect(cache.consume('b', 5000)).toBe(true);
    expect(() => cache.consume('c', 5000)).toThrow(CredentialVerificationError);
    now = 2500; // `a` expired: room again
    expect(cache.consume('c', 5000)).toBe(true);
    expect(cache.size).toBe(2);
  });
});

describe('token extraction', () => {
  it('reads a bearer header and the stdio _meta entry', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(tokenFromMeta({ 'intentguard/credential': { token: 't.o.k', id: 'x' } })).toBe('t.o.k');
    expect(tokenFromMeta({ other: 1 })).toBeUndefined();
    expect(tokenFromMeta(null)).toBeUndefined();
  });
});
