import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { principalFromClaims } from '../../src/server/auth.js';
import { API_KEY, auth, makeFixture, sha256Hex, type Fixture } from './fixtures.js';

const ISSUER = 'https://idp.test';
const AUDIENCE = 'https://intentguard.test';

let jwks: Server;
let jwksUrl: string;
let privateKey: CryptoKey;
let otherKey: CryptoKey;
let jwksFetches = 0;
let fx: Fixture;

async function token(claims: Record<string, unknown>, options: { key?: CryptoKey; exp?: string | number; aud?: string; iss?: string } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? '5m')
    .sign(options.key ?? privateKey);
}

beforeAll(async () => {
  process.env.IG_TEST_AGENT_KEY = 'key-from-environment-42';
  const pair = await generateKeyPair('ES256');
  privateKey = pair.privateKey;
  otherKey = (await generateKeyPair('ES256')).privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  jwks = createServer((req, res) => {
    jwksFetches++;
    if (req.url !== '/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
  fx = await makeFixture({
    config: `server:
  public_url: https://guard.example
  auth:
    api_keys:
      - { id: agent-1, sha256: ${sha256Hex(API_KEY)} }
      - { id: from-env, secret: { env: IG_TEST_AGENT_KEY } }
    jwt:
      issuer: ${ISSUER}
      audience: ${AUDIENCE}
      jwks_url: ${jwksUrl}
      override_scope: intentguard:orchestrate
upstreams:
  - name: fs
    stdio: { command: node, args: [unused.js] }
`,
  });
});

afterAll(async () => {
  await fx.close();
  await new Promise((resolve) => jwks.close(resolve));
});

async function call(headers: Record<string, string>, url = '/v1/decide') {
  return fx.app.inject({
    method: 'POST',
    url,
    headers: { ...headers, 'content-type': 'application/json' },
    payload: JSON.stringify({ call: { server: 'fs', tool: 'list', args: {} } }),
  });
}

describe('agent authentication', () => {
  it('answers a request without credentials with 401 and a resource-metadata challenge', async () => {
    const res = await call({});
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'IG_UNAUTHENTICATED' });
    expect(res.headers['www-authenticate']).toBe('Bearer resource_metadata="https://guard.example/.well-known/oauth-protected-resource"');
    const mcp = await fx.app.inject({ method: 'POST', url: '/mcp/fs', headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(mcp.statusCode).toBe(401);
    expect(mcp.headers['www-authenticate']).toContain('resource_metadata="https://guard.example/.well-known/oauth-protected-resource/mcp/fs"');
  });

  it('refuses a wrong key with invalid_token, and accepts the right one', async () => {
    const bad = await call(auth('not-the-key'));
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['www-authenticate']).toContain('error="invalid_token"');
    expect((await call(auth())).statusCode).toBe(200);
  });

  it('reads a key from the environment at startup', async () => {
    // IG_TEST_AGENT_KEY is set in beforeAll, before the app is built.
    expect((await call(auth('key-from-environment-42'))).statusCode).toBe(200);
  });

  it('refuses malformed authorization headers', async () => {
    expect((await call({ authorization: 'Basic dXNlcjpwYXNz' })).statusCode).toBe(401);
    expect((await call({ authorization: `Bearer ${'x'.repeat(10_000)}` })).statusCode).toBe(401);
    expect((await call({ authorization: `Bearer ${API_KEY}`, 'x-api-key': 'other' })).statusCode).toBe(401);
  });

  it('accepts a JWT signed by the configured issuer, with the principal from its claims', async () => {
    const jwt = await token({ sub: 'alice', azp: 'research-agent', groups: ['eng'] });
    const res = await call({ authorization: `Bearer ${jwt}` });
    expect(res.statusCode).toBe(200);
    const txn = (res.json() as { txn: string }).txn;
    const rec = (await fx.records()).find((r) => r.txn === txn && r.type === 'decision');
    expect(rec?.principal).toEqual({ agent: 'research-agent', user: 'alice', groups: ['eng'] });
    expect(jwksFetches).toBeGreaterThan(0);
    // The token itself is never written to the audit log.
    expect(JSON.stringify(await fx.records())).not.toContain(jwt);
  });

  it('gives different principals different identities, however their names are cut (regression: a/b vs a with user b)', async () => {
    const { AgentAuthenticator } = await import('../../src/server/auth.js');
    const auth = await AgentAuthenticator.create({ api_keys: [], required: true, jwt: { issuer: ISSUER, audience: AUDIENCE, jwks_url: jwksUrl } });
    const idOf = async (claims: Record<string, unknown>) => {
      const out = await auth.authenticate({ authorization: `Bearer ${await token(claims)}` });
      if (!out.ok) throw new Error('not authenticated');
      return out.identity.id;
    };
    const agentWithSlash = await idOf({ sub: 'a/b' });
    const agentAndUser = await idOf({ sub: 'b', azp: 'a' });
    expect(agentWithSlash).not.toBe(agentAndUser);
  });

  it('rejects an expired JWT, a wrong audience, a wrong issuer and a foreign signature', async () => {
    const expired = await token({ sub: 'alice' }, { exp: Math.floor(Date.now() / 1000) - 3600 });
    const wrongAud = await token({ sub: 'alice' }, { aud: 'https://elsewhere.test' });
    const wrongIss = await token({ sub: 'alice' }, { iss: 'https://evil.test' });
    const foreign = await token({ sub: 'alice' }, { key: otherKey });
    for (const t of [expired, wrongAud, wrongIss, foreign]) {
      const res = await call({ authorization: `Bearer ${t}` });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    }
  });

  it('lets a JWT carrying the override scope name the principal, and no other', async () => {
    const plain = await token({ sub: 'svc' });
    const orch = await token({ sub: 'svc', scope: 'openid intentguard:orchestrate' });
    const body = JSON.stringify({ principal: { agent: 'bot', user: 'carol' }, call: { server: 'fs', tool: 'list', args: {} } });
    const refused = await fx.app.inject({ method: 'POST', url: '/v1/decide', headers: { authorization: `Bearer ${plain}`, 'content-type': 'application/json' }, payload: body });
    expect(refused.statusCode).toBe(403);
    const ok = await fx.app.inject({ method: 'POST', url: '/v1/decide', headers: { authorization: `Bearer ${orch}`, 'content-type': 'application/json' }, payload: body });
    expect(ok.statusCode).toBe(200);
  });

  it('serves RFC 9728 protected-resource metadata without authentication', async () => {
    const root = await fx.app.inject({ method: 'GET', url: '/.well-known/oauth-protected-resource' });
    expect(root.statusCode).toBe(200);
    expect(root.json()).toMatchObject({ resource: 'https://guard.example', authorization_servers: [ISSUER] });
    const fs = await fx.app.inject({ method: 'GET', url: '/.well-known/oauth-protected-resource/mcp/fs' });
    expect(fs.json()).toMatchObject({ resource: 'https://guard.example/mcp/fs' });
    const unknown = await fx.app.inject({ method: 'GET', url: '/.well-known/oauth-protected-resource/mcp/nope' });
    expect(unknown.statusCode).toBe(404);
  });

  it('keeps /metrics behind authentication and /healthz open', async () => {
    expect((await fx.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await fx.app.inject({ method: 'GET', url: '/metrics', headers: auth() })).statusCode).toBe(200);
    expect((await fx.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('principalFromClaims', () => {
  it('reads delegation (act), client tokens and plain subjects', () => {
    expect(principalFromClaims({ sub: 'alice', act: { sub: 'agent-x' } })).toEqual({ agent: 'agent-x', user: 'alice' });
    expect(principalFromClaims({ sub: 'alice', client_id: 'app' })).toEqual({ agent: 'app', user: 'alice' });
    expect(principalFromClaims({ sub: 'svc', azp: 'svc' })).toEqual({ agent: 'svc' });
    expect(principalFromClaims({ sub: 'svc' })).toEqual({ agent: 'svc' });
    expect(principalFromClaims({})).toBeUndefined();
    expect(principalFromClaims({ sub: 'a', groups: ['g', 42, 'h'] })).toEqual({ agent: 'a', groups: ['g', 'h'] });
  });
});

describe('no authentication configured (development on loopback)', () => {
  it('serves without credentials and lets the caller name the principal', async () => {
    const open = await makeFixture({ auth: false });
    try {
      const res = await open.app.inject({
        method: 'POST',
        url: '/v1/decide',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ principal: { agent: 'dev-agent', user: 'dev' }, call: { server: 'fs', tool: 'list', args: {} } }),
      });
      expect(res.statusCode).toBe(200);
      const txn = (res.json() as { txn: string }).txn;
      const rec = (await open.records()).find((r) => r.txn === txn && r.type === 'decision');
      expect(rec?.principal).toEqual({ agent: 'dev-agent', user: 'dev' });
      // A credential presented to a service that has none configured is not silently accepted.
      expect((await open.app.inject({ method: 'GET', url: '/metrics', headers: auth() })).statusCode).toBe(401);
    } finally {
      await open.close();
    }
  });
});
