import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JSONWebKeySet } from 'jose';
// oidc-provider ships no types of its own.
// @ts-expect-error no declaration file
import Provider, { errors } from 'oidc-provider';

/**
 * A real OAuth authorization server (`oidc-provider`) on 127.0.0.1:0 with an
 * RFC 8693 token-exchange grant registered through its documented
 * `registerGrantType`. The grant checks the user's token (signed by the
 * "login" key below), intentguard's actor assertion (against intentguard's
 * JWKS) and issues a JWT access token for the requested audience and scope
 * with `act` naming the actor. `mode` makes it misbehave on purpose.
 */
export type AsMode = 'honest' | 'broader-response' | 'broader-token' | 'wrong-audience';

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const CLIENT_ID = 'intentguard';
export const CLIENT_SECRET = 'ig-client-secret-for-tests';

export interface AuthorizationServer {
  readonly issuer: string;
  readonly tokenEndpoint: string;
  /** The JWKS of the tokens it issues (for verifying them in tests). */
  jwks(): Promise<JSONWebKeySet>;
  /** A token the user "logged in" with (through the agent app `client_id`): what the agent presents to intentguard. */
  userToken(user: string, scopes: readonly string[], clientId?: string): Promise<string>;
  /** The JWKS of those login tokens (what intentguard's agent authentication checks them against). */
  readonly loginJwksUrl: string;
  /** The audience of login tokens. */
  readonly loginAudience: string;
  /** The exchange requests it received (parameters, minus the tokens themselves). */
  readonly requests: Record<string, string | undefined>[];
  mode: AsMode;
  close(): Promise<void>;
}

const USER_TOKEN_AUDIENCE = 'agent-app';

export async function startAuthorizationServer(options: { intentguardIssuer: string; intentguardJwks: () => JSONWebKeySet }): Promise<AuthorizationServer> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const login = await generateKeyPair('ES256');
  const signing = await generateKeyPair('RS256', { extractable: true });
  const signingJwk = { ...(await exportJWK(signing.privateKey)), kid: 'as-1', alg: 'RS256', use: 'sig' };
  const pending = new WeakMap<object, Record<string, unknown>>();
  const requests: Record<string, string | undefined>[] = [];
  const state = { mode: 'honest' as AsMode };

  const provider = new Provider(issuer, {
    // A test server: fixed cookie keys (it never sets a cookie here) keep its start-up quiet.
    cookies: { keys: ['intentguard-test-cookie-key'] },
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: [TOKEN_EXCHANGE],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [signingJwk] },
    features: { devInteractions: { enabled: false } },
    ttl: { ClientCredentials: 120 },
    formats: {
      customizers: {
        // The exchanged token's subject and actor (RFC 8693 §4.1), set by the grant below.
        jwt: async (_ctx: unknown, token: object, jwt: { payload: Record<string, unknown> }) => {
          Object.assign(jwt.payload, pending.get(token) ?? {});
        },
      },
    },
  });
  provider.on('server_error', () => {});

  const parameters = ['audience', 'resource', 'scope', 'requested_token_type', 'subject_token', 'subject_token_type', 'actor_token', 'actor_token_type'];
  provider.registerGrantType(
    TOKEN_EXCHANGE,
    async (ctx: { oidc: { params: Record<string, string | undefined>; client: unknown }; body: unknown }) => {
      const p = ctx.oidc.params;
      requests.push({ ...p, subject_token: p.subject_token ? '<present>' : undefined, actor_token: p.actor_token ? '<present>' : undefined });
      if (p.subject_token_type !== 'urn:ietf:params:oauth:token-type:access_token') throw new errors.InvalidRequest('unsupported subject_token_type');
      let user: { sub: string; scopes: string[] };
      try {
        const { payload } = await jwtVerify(p.subject_token ?? '', login.publicKey as CryptoKey, { issuer, audience: USER_TOKEN_AUDIENCE });
        user = { sub: String(payload.sub), scopes: String(payload.scope ?? '').split(' ') };
      } catch {
        throw new errors.InvalidGrant('subject_token is not valid');
      }
      let actor: string;
      try {
        const { payload } = await jwtVerify(p.actor_token ?? '', createLocalJWKSet(options.intentguardJwks()), { issuer: options.intentguardIssuer, audience: issuer });
        actor = String(payload.sub);
      } catch {
        throw new errors.InvalidGrant('actor_token is not valid');
      }
      const asked = (p.scope ?? '').split(' ').filter(Boolean);
      // The user cannot delegate what they do not have.
      if (asked.some((s) => !user.scopes.includes(s))) throw new errors.InvalidScope('requested scope exceeds the subject token', p.scope ?? '');
      const audience = p.audience ?? p.resource;
      if (!audience) throw new errors.InvalidTarget('audience required');

      const issuedScope = state.mode === 'broader-token' || state.mode === 'broader-response' ? [...asked, 'admin'].join(' ') : asked.join(' ');
      const token = new provider.ClientCredentials({
        client: ctx.oidc.client,
        scope: issuedScope,
        resourceServer: new provider.ResourceServer(audience, {
          audience: state.mode === 'wrong-audience' ? 'urn:somewhere-else' : audience,
          scope: issuedScope,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 120,
          jwt: { sign: { alg: 'RS256' } },
        }),
      });
      pending.set(token, { sub: user.sub, act: { sub: actor } });
      const value: string = await token.save();
      ctx.body = {
        access_token: value,
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        token_type: 'Bearer',
        expires_in: token.expiration,
        // `broader-token` hides the extra scope from the response: only the token itself shows it.
        ...(state.mode === 'broader-token' ? {} : { scope: issuedScope }),
      };
    },
    parameters,
    ['audience', 'resource'],
  );

  const loginJwks = JSON.stringify({ keys: [{ ...(await exportJWK(login.publicKey)), kid: 'login-1', alg: 'ES256', use: 'sig' }] });
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.url === '/login-jwks') return void res.writeHead(200, { 'content-type': 'application/json' }).end(loginJwks);
    callback(req, res);
  });

  return {
    issuer,
    tokenEndpoint: `${issuer}/token`,
    requests,
    get mode() {
      return state.mode;
    },
    set mode(m: AsMode) {
      state.mode = m;
    },
    async jwks() {
      const res = await fetch(`${issuer}/jwks`);
      return (await res.json()) as JSONWebKeySet;
    },
    loginJwksUrl: `${issuer}/login-jwks`,
    loginAudience: USER_TOKEN_AUDIENCE,
    async userToken(user, scopes, clientId) {
      return new SignJWT({ scope: scopes.join(' '), ...(clientId === undefined ? {} : { client_id: clientId }) })
        .setProtectedHeader({ alg: 'ES256', kid: 'login-1' })
        .setIssuer(issuer)
        .setSubject(user)
        .setAudience(USER_TOKEN_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(login.privateKey);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
