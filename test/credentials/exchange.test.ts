import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { ExchangeIssuer } from '../../src/credentials/exchange.js';
import { KeyStore } from '../../src/credentials/keys.js';
import { SecretValue } from '../../src/credentials/types.js';
import { IntentguardError } from '../../src/errors.js';
import { CLIENT_ID, CLIENT_SECRET, startAuthorizationServer, type AuthorizationServer } from '../helpers/token-exchange-as.js';
import { request, TempDirs } from './fixtures.js';

const IG_ISSUER = 'urn:intentguard:test';
const dirs = new TempDirs();
let keys: KeyStore;
let as: AuthorizationServer;

beforeAll(async () => {
  keys = await KeyStore.open(dirs.make(), { clock: systemClock });
  as = await startAuthorizationServer({ intentguardIssuer: IG_ISSUER, intentguardJwks: () => keys.jwks() as never });
});
afterAll(async () => {
  await as.close();
  dirs.cleanup();
});
afterEach(() => {
  as.mode = 'honest';
});

function issuer(overrides: Partial<ConstructorParameters<typeof ExchangeIssuer>[0]> = {}): ExchangeIssuer {
  return new ExchangeIssuer({
    tokenEndpoint: as.tokenEndpoint,
    providerIssuer: as.issuer,
    clientId: CLIENT_ID,
    clientSecret: new SecretValue(CLIENT_SECRET),
    keys,
    issuer: IG_ISSUER,
    ...overrides,
  });
}

async function userRequest(scopes: string[] = ['files:read']) {
  const userToken = await as.userToken('alice', ['files:read', 'files:write', 'admin']);
  return request({ grant: { scopes, args: { path: '/data/report.txt' } }, subjectToken: new SecretValue(userToken) });
}

describe('ExchangeIssuer against oidc-provider', () => {
  it('exchanges the user token for one with act, the narrowed scope and the upstream audience', async () => {
    const cred = await issuer().issue(await userRequest(['files:read']));
    expect(cred.kind).toBe('exchange');
    expect(cred.scopes).toEqual(['files:read']);
    expect(cred.audience).toBe('urn:intentguard:upstream:files');
    const { payload } = await jwtVerify(cred.secret.reveal(), createLocalJWKSet(await as.jwks()), {
      issuer: as.issuer,
      audience: 'urn:intentguard:upstream:files',
    });
    expect(payload.sub).toBe('alice');
    expect(payload.act).toEqual({ sub: 'claude' });
    expect(payload.scope).toBe('files:read');
    expect(cred.id).toBe(payload.jti);
    expect(cred.expiresAt).toBeLessThanOrEqual((payload.exp as number) * 1000);
    // What the provider was asked: RFC 8693 parameters, resource and audience = the upstream.
    expect(as.requests.at(-1)).toMatchObject({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      actor_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience: 'urn:intentguard:upstream:files',
      resource: 'urn:intentguard:upstream:files',
      scope: 'files:read',
    });
  });

  it('fails closed when the provider answers with a broader scope', async () => {
    as.mode = 'broader-response';
    const err = (await issuer().issue(await userRequest()).catch((e: unknown) => e)) as IntentguardError;
    expect(err).toBeInstanceOf(IntentguardError);
    expect(err.code).toBe('IG_CREDENTIAL_EXCHANGE');
    expect(err.message).toMatch(/broader.*admin/);
  });

  it('fails closed when only the token itself carries the broader scope', async () => {
    as.mode = 'broader-token';
    await expect(issuer().issue(await userRequest())).rejects.toMatchObject({ code: 'IG_CREDENTIAL_EXCHANGE', message: expect.stringMatching(/broader/) });
  });

  it('fails closed when the token is for another audience', async () => {
    as.mode = 'wrong-audience';
    await expect(issuer().issue(await userRequest())).rejects.toMatchObject({ code: 'IG_CREDENTIAL_EXCHANGE', message: expect.stringMatching(/audience/) });
  });

  it('fails closed when the provider refuses, without echoing its answer', async () => {
    // The user token does not carry the scope asked for: the provider says invalid_scope.
    const userToken = await as.userToken('bob', ['files:read']);
    const err = (await issuer()
      .issue(request({ grant: { scopes: ['files:write'], args: {} }, subjectToken: new SecretValue(userToken) }))
      .catch((e: unknown) => e)) as IntentguardError;
    expect(err.code).toBe('IG_CREDENTIAL_EXCHANGE');
    expect(err.message).toContain('invalid_scope');
    expect(err.message).not.toContain(userToken);
  });

  it('fails closed with a wrong client secret', async () => {
    const err = (await issuer({ clientSecret: new SecretValue('wrong') }).issue(await userRequest()).catch((e: unknown) => e)) as IntentguardError;
    expect(err.code).toBe('IG_CREDENTIAL_EXCHANGE');
    expect(err.message).not.toContain('wrong');
  });

  it('fails closed when the actor assertion is not signed by a key the provider trusts', async () => {
    const stranger = await KeyStore.open(dirs.make(), { clock: systemClock });
    await expect(issuer({ keys: stranger }).issue(await userRequest())).rejects.toMatchObject({ code: 'IG_CREDENTIAL_EXCHANGE', message: expect.stringMatching(/invalid_grant/) });
  });

  it('refuses a call without a user token', async () => {
    await expect(issuer().issue(request())).rejects.toMatchObject({ code: 'IG_CREDENTIAL_EXCHANGE', message: expect.stringMatching(/no user token/) });
  });

  it('fails closed when the provider is unreachable or too slow', async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise((r) => dead.close(r));
    await expect(issuer({ tokenEndpoint: `http://127.0.0.1:${port}/token` }).issue(await userRequest())).rejects.toMatchObject({
      code: 'IG_CREDENTIAL_EXCHANGE',
      message: expect.stringMatching(/could not be reached/),
    });

    const slow = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/token`;
      await expect(issuer({ tokenEndpoint: url, timeoutMs: 200 }).issue(await userRequest())).rejects.toMatchObject({ message: expect.stringMatching(/in time/) });
    } finally {
      slow.closeAllConnections();
      await new Promise((r) => slow.close(r));
    }
  });

  it('refuses an oversized answer unread', async () => {
    const big = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(`{"access_token":"${'x'.repeat(300_000)}","token_type":"Bearer"}`));
    await new Promise<void>((r) => big.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(big.address() as AddressInfo).port}/token`;
      await expect(issuer({ tokenEndpoint: url }).issue(await userRequest())).rejects.toMatchObject({ message: expect.stringMatching(/oversized/) });
    } finally {
      await new Promise((r) => big.close(r));
    }
  });

  it('accepts https anywhere but plain http only on loopback', () => {
    expect(() => issuer({ tokenEndpoint: 'http://idp.example.com/token' })).toThrow(/https/);
    expect(() => issuer({ tokenEndpoint: 'https://idp.example.com/token' })).not.toThrow();
  });
});
