import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { systemClock, type Clock } from '../clock.js';
import { IntentguardError } from '../errors.js';
import { effectiveTtl, scopeClaim, subjectOf } from './jwt.js';
import type { KeyStore } from './keys.js';
import { SecretValue, type Credential, type CredentialRequest, type Issuer } from './types.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const TOKEN_TYPE_ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
export const TOKEN_TYPE_JWT = 'urn:ietf:params:oauth:token-type:jwt';

/** Lifetime of the actor assertion: it only has to reach the identity provider. */
const ACTOR_ASSERTION_TTL_SECONDS = 60;
/** An identity provider's answer larger than this is refused unread. */
const MAX_RESPONSE_BYTES = 256 * 1024;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export interface ExchangeIssuerOptions {
  /** The identity provider's token endpoint (https; plain http only on loopback, for development). */
  readonly tokenEndpoint: string;
  /** The identity provider's issuer identifier: the audience of the actor assertion. Default: the token endpoint's origin. */
  readonly providerIssuer?: string | undefined;
  /** intentguard's client id at the identity provider. */
  readonly clientId: string;
  /** Its client secret (client_secret_basic); without one, intentguard is a public client and only the actor assertion speaks for it. */
  readonly clientSecret?: SecretValue | undefined;
  /** Signs the actor assertion (intentguard's own key). */
  readonly keys: KeyStore;
  /** The `iss` of the actor assertion (config `credentials.issuer`). */
  readonly issuer: string;
  /** How the user's token is described to the provider. Default access_token. */
  readonly subjectTokenType?: string | undefined;
  /** Time limit for the exchange. Default 5 s. */
  readonly timeoutMs?: number | undefined;
  /** Used when the provider states no `expires_in`. */
  readonly maxTtlSeconds?: number | undefined;
  readonly clock?: Clock | undefined;
  /** fetch implementation (tests). */
  readonly fetch?: typeof fetch | undefined;
}

/**
 * Pass-through identity: the user's own token is exchanged at the customer's
 * identity provider (RFC 8693) for one scoped to the grant and the upstream,
 * with intentguard's actor assertion so the result names the actor (`act`).
 * The answer is checked to be no broader than asked — scope ⊆ the grant's,
 * audience = the upstream — or the call is refused (`IG_CREDENTIAL_EXCHANGE`,
 * and the guard denies and audits). Nothing is cached across calls.
 */
export class ExchangeIssuer implements Issuer {
  readonly kind = 'exchange' as const;
  readonly #o: ExchangeIssuerOptions;
  readonly #as: oauth.AuthorizationServer;
  readonly #client: oauth.Client;
  readonly #auth: oauth.ClientAuth;
  readonly #insecure: boolean;
  readonly #clock: Clock;

  constructor(options: ExchangeIssuerOptions) {
    let endpoint: URL;
    try {
      endpoint = new URL(options.tokenEndpoint);
    } catch {
      throw new IntentguardError('IG_CONFIG_INVALID', 'the token endpoint is not a URL', { location: { path: 'credentials.exchange.token_endpoint' } });
    }
    if (endpoint.protocol !== 'https:' && !(endpoint.protocol === 'http:' && LOOPBACK.has(endpoint.hostname))) {
      throw new IntentguardError('IG_CONFIG_INVALID', 'the token endpoint must use https (plain http is accepted on loopback only)', {
        location: { path: 'credentials.exchange.token_endpoint' },
      });
    }
    this.#o = options;
    this.#insecure = endpoint.protocol === 'http:';
    this.#as = { issuer: options.providerIssuer ?? endpoint.origin, token_endpoint: endpoint.href };
    this.#client = { client_id: options.clientId };
    this.#auth = options.clientSecret ? oauth.ClientSecretBasic(options.clientSecret.reveal()) : oauth.None();
    this.#clock = options.clock ?? systemClock;
  }

  async issue(request: CredentialRequest): Promise<Credential> {
    const subjectToken = request.subjectToken?.reveal();
    if (!subjectToken) throw exchangeError('the call carries no user token to exchange (pass-through identity needs an authenticated user)');
    const scope = scopeClaim(request.grant.scopes);
    const requested = new Set(request.grant.scopes);

    const params = new URLSearchParams({
      subject_token: subjectToken,
      subject_token_type: this.#o.subjectTokenType ?? TOKEN_TYPE_ACCESS_TOKEN,
      actor_token: this.#actorAssertion(request),
      actor_token_type: TOKEN_TYPE_JWT,
      requested_token_type: TOKEN_TYPE_ACCESS_TOKEN,
      audience: request.audience,
      resource: request.audience,
    });
    if (scope !== undefined) params.set('scope', scope);

    let result: oauth.TokenEndpointResponse;
    try {
      const response = await oauth.genericTokenEndpointRequest(this.#as, this.#client, this.#auth, TOKEN_EXCHANGE_GRANT, params, {
        signal: AbortSignal.timeout(this.#o.timeoutMs ?? 5000),
        [oauth.customFetch]: boundedFetch(this.#o.fetch ?? fetch),
        ...(this.#insecure ? { [oauth.allowInsecureRequests]: true } : {}),
      });
      result = await oauth.processGenericTokenEndpointResponse(this.#as, this.#client, response);
    } catch (e) {
      throw describeFailure(e);
    }

    if (result.token_type !== 'bearer') throw exchangeError(`the identity provider issued a ${String(result.token_type)} token; only bearer tokens can be attached`);
    const issuedType = result.issued_token_type;
    if (issuedType !== undefined && issuedType !== TOKEN_TYPE_ACCESS_TOKEN && issuedType !== TOKEN_TYPE_JWT) {
      throw exchangeError('the identity provider issued something other than an access token');
    }

    const granted = result.scope === undefined ? [...requested] : result.scope.split(' ').filter((s) => s !== '');
    const broader = granted.filter((s) => !requested.has(s));
    if (broader.length > 0) throw exchangeError(`the identity provider returned a broader token than asked (extra scope ${broader.join(' ')})`);

    const token = result.access_token;
    const now = this.#clock.now();
    let id = `exchange:${createHash('sha256').update(token).digest('base64url').slice(0, 22)}`;
    let expiresAt = now + effectiveTtl(request.ttlSeconds, this.#o.maxTtlSeconds ?? 60) * 1000;
    if (typeof result.expires_in === 'number' && result.expires_in > 0) expiresAt = now + result.expires_in * 1000;

    // A JWT access token says more than the response: check its audience and scope too. An opaque one can only be taken at its word.
    const claims = jwtClaims(token);
    if (claims) {
      const aud = claims.aud;
      const audiences = Array.isArray(aud) ? aud : aud === undefined ? [] : [aud];
      if (audiences.length === 0 || audiences.some((a) => a !== request.audience)) {
        throw exchangeError('the identity provider returned a token for another audience than the upstream');
      }
      const tokenScopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : Array.isArray(claims.scp) ? claims.scp.map(String) : [];
      const extra = tokenScopes.filter((s) => s !== '' && !requested.has(s));
      if (extra.length > 0) throw exchangeError(`the identity provider returned a broader token than asked (extra scope ${extra.join(' ')})`);
      if (typeof claims.jti === 'string' && claims.jti.length <= 256) id = claims.jti;
      if (typeof claims.exp === 'number') expiresAt = Math.min(expiresAt, claims.exp * 1000);
    }

    return { id, kind: 'exchange', scopes: granted, audience: request.audience, expiresAt, secret: new SecretValue(token) };
  }

  /** intentguard's own assertion that it acts for the agent: signed with its key, good for one exchange. */
  #actorAssertion(request: CredentialRequest): string {
    const iat = Math.floor(this.#clock.now() / 1000);
    const { client_id: agent } = subjectOf(request.principal);
    return this.#o.keys.signer().sign(
      {
        iss: this.#o.issuer,
        sub: agent ?? this.#o.clientId,
        aud: this.#as.issuer,
        client_id: this.#o.clientId,
        iat,
        exp: iat + ACTOR_ASSERTION_TTL_SECONDS,
        jti: randomBytes(16).toString('base64url'),
        txn: request.txn,
      },
      'JWT',
    );
  }
}

function exchangeError(message: string): IntentguardError {
  return new IntentguardError('IG_CREDENTIAL_EXCHANGE', message);
}

/** Maps client and transport failures to one error; never copies the provider's body (it may echo tokens). */
function describeFailure(e: unknown): IntentguardError {
  if (e instanceof IntentguardError) return e;
  if (e instanceof oauth.ResponseBodyError) {
    const code = /^[a-z_]{1,64}$/.test(e.error) ? e.error : 'error';
    return exchangeError(`the identity provider refused the exchange (HTTP ${e.status}, ${code})`);
  }
  if (e instanceof oauth.WWWAuthenticateChallengeError) return exchangeError(`the identity provider refused intentguard's client authentication (HTTP ${e.status})`);
  const name = e instanceof Error ? e.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') return exchangeError('the identity provider did not answer in time');
  if (e instanceof oauth.OperationProcessingError || e instanceof oauth.UnsupportedOperationError) {
    return exchangeError('the identity provider answered with a malformed token response');
  }
  return exchangeError('the identity provider could not be reached');
}

function jwtClaims(token: string): (Record<string, unknown> & { aud?: unknown; scope?: unknown; scp?: unknown; jti?: unknown; exp?: unknown }) | undefined {
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)) return undefined;
  try {
    return decodeJwt(token) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** fetch with the provider's answer read to at most `MAX_RESPONSE_BYTES`. */
function boundedFetch(base: typeof fetch): (url: string, init: oauth.CustomFetchOptions<'POST', URLSearchParams>) => Promise<Response> {
  return async (url, init) => {
    const res = await base(url, init as RequestInit);
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > MAX_RESPONSE_BYTES) {
      await res.body?.cancel();
      throw exchangeError('the identity provider answered with an oversized response');
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (res.body) {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > MAX_RESPONSE_BYTES) throw exchangeError('the identity provider answered with an oversized response');
        chunks.push(chunk);
      }
    }
    return new Response(size === 0 ? null : Buffer.concat(chunks), { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}
