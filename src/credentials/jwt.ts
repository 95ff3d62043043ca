import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../clock.js';
import { IntentguardError } from '../errors.js';
import type { Principal } from '../session/types.js';
import { argsDigest } from './digest.js';
import { MAX_CREDENTIAL_TTL_SECONDS, MIN_CREDENTIAL_TTL_SECONDS, type KeyStore } from './keys.js';
import { SecretValue, type Credential, type CredentialRequest, type Issuer } from './types.js';

/** The JWS `typ` of a credential (RFC 9068 access token): keeps other JWTs of ours (actor assertions) from passing as one. */
export const CREDENTIAL_JWT_TYPE = 'at+jwt';
/** The RFC 9396 `authorization_details` type of one tool call. */
export const TOOL_CALL_DETAIL_TYPE = 'intentguard_tool_call';

/** RFC 6749 §3.3 scope-token: printable ASCII without space, `"` or `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** The one entry of `authorization_details`: what this token authorises, and nothing else. */
export interface ToolCallDetail {
  readonly type: typeof TOOL_CALL_DETAIL_TYPE;
  /** The upstream's audience (RFC 9396 `locations`). */
  readonly locations: readonly string[];
  /** The tool (RFC 9396 `actions`). */
  readonly actions: readonly string[];
  readonly server: string;
  readonly tool: string;
  /** Digest of the final (granted) arguments; see `argsDigest`. */
  readonly args_digest: string;
}

/** RFC 8693 §4.1 actor claim: who acts for the subject; a nested `act` is an earlier actor. */
export interface ActorClaim {
  readonly sub: string;
  readonly act?: ActorClaim | undefined;
}

/** The claims of a managed credential. */
export interface CredentialClaims {
  readonly iss: string;
  /** The user the call is made for when known, else the agent (see `subjectOf`). */
  readonly sub: string;
  /** The agent acting for the user; absent when the agent is the subject itself. */
  readonly act?: ActorClaim | undefined;
  /** The agent (RFC 9068 `client_id`: the client the token was obtained for). */
  readonly client_id?: string | undefined;
  readonly aud: string;
  /** Granted scopes, space-separated; absent when the grant has none. */
  readonly scope?: string | undefined;
  readonly authorization_details: readonly [ToolCallDetail];
  readonly args_digest: string;
  /** The transaction id of the audit record. */
  readonly txn: string;
  readonly iat: number;
  readonly nbf: number;
  readonly exp: number;
  /** Random, single use: verifiers keep it until `exp` and refuse it a second time. */
  readonly jti: string;
}

/**
 * Subject and actor of a credential, the RFC 8693 way (and the way intentguard
 * itself reads incoming tokens, `principalFromClaims`): `sub` is the party the
 * call is made for, `act.sub` the party making it.
 *
 * - user and agent known: `sub` = user, `act` = `{ sub: agent }`;
 * - only the agent: `sub` = agent, no `act` (it acts for itself);
 * - only the user: `sub` = user;
 * - neither: `sub` = `anonymous`.
 *
 * The agent is also `client_id` (RFC 9068), so a tool can name the agent
 * without walking `act`.
 */
export function subjectOf(principal: Principal): { sub: string; act?: ActorClaim; client_id?: string } {
  const agent = nonEmpty(principal.agent);
  const user = nonEmpty(principal.user);
  if (user !== undefined && agent !== undefined) return { sub: user, act: { sub: agent }, client_id: agent };
  if (agent !== undefined) return { sub: agent, client_id: agent };
  if (user !== undefined) return { sub: user };
  return { sub: 'anonymous' };
}

/** The lifetime a credential gets: the request's, capped by the configured maximum, within 5–300 s. */
export function effectiveTtl(requestedSeconds: number, maxSeconds: number): number {
  const want = Number.isFinite(requestedSeconds) ? Math.floor(requestedSeconds) : MAX_CREDENTIAL_TTL_SECONDS;
  return Math.max(MIN_CREDENTIAL_TTL_SECONDS, Math.min(want, maxSeconds, MAX_CREDENTIAL_TTL_SECONDS));
}

/**
 * The space-separated `scope` value of a grant. Raises `IG_CREDENTIAL_ISSUE` for a
 * scope that is not an RFC 6749 scope-token: one with a space would turn into
 * two scopes on the other side — a widening.
 */
export function scopeClaim(scopes: readonly string[]): string | undefined {
  for (const s of scopes) {
    if (!SCOPE_TOKEN.test(s)) throw new IntentguardError('IG_CREDENTIAL_ISSUE', `scope ${JSON.stringify(s.slice(0, 64))} is not a valid OAuth scope token`);
  }
  const unique = [...new Set(scopes)];
  return unique.length > 0 ? unique.join(' ') : undefined;
}

/** The claims of the credential for one call (pure: the caller supplies time and randomness). */
export function credentialClaims(
  request: CredentialRequest,
  options: { readonly issuer: string; readonly nowSeconds: number; readonly ttlSeconds: number; readonly jti: string },
): CredentialClaims {
  let digest: string;
  try {
    digest = argsDigest(request.grant.args);
  } catch (e) {
    throw new IntentguardError('IG_CREDENTIAL_ISSUE', 'the granted arguments have no canonical JSON form', { cause: e });
  }
  const scope = scopeClaim(request.grant.scopes);
  const { sub, act, client_id } = subjectOf(request.principal);
  const iat = options.nowSeconds;
  return {
    iss: options.issuer,
    sub,
    ...(act === undefined ? {} : { act }),
    ...(client_id === undefined ? {} : { client_id }),
    aud: request.audience,
    ...(scope === undefined ? {} : { scope }),
    authorization_details: [
      {
        type: TOOL_CALL_DETAIL_TYPE,
        locations: [request.audience],
        actions: [request.call.tool],
        server: request.call.server,
        tool: request.call.tool,
        args_digest: digest,
      },
    ],
    args_digest: digest,
    txn: request.txn,
    iat,
    nbf: iat,
    exp: iat + options.ttlSeconds,
    jti: options.jti,
  };
}

export interface JwtIssuerOptions {
  readonly keys: KeyStore;
  /** The `iss` of every credential (config `credentials.issuer`). */
  readonly issuer: string;
  /** The configured ceiling on credential lifetimes (config `credentials.ttl_seconds`, default 60). */
  readonly maxTtlSeconds?: number | undefined;
  readonly clock?: Clock | undefined;
}

/**
 * Managed identity: intentguard signs a short-lived JWT for each call, scoped
 * to exactly the grant, bound to the call's final arguments by digest, and
 * good once (`jti`).
 */
export class JwtIssuer implements Issuer {
  readonly kind = 'jwt' as const;
  readonly #keys: KeyStore;
  readonly #issuer: string;
  readonly #maxTtl: number;
  readonly #clock: Clock;

  constructor(options: JwtIssuerOptions) {
    this.#keys = options.keys;
    this.#issuer = options.issuer;
    this.#maxTtl = options.maxTtlSeconds ?? 60;
    this.#clock = options.clock ?? systemClock;
  }

  issue(request: CredentialRequest): Promise<Credential> {
    try {
      return Promise.resolve(this.mint(request));
    } catch (e) {
      return Promise.reject(e instanceof IntentguardError ? e : new IntentguardError('IG_CREDENTIAL_ISSUE', 'the credential could not be signed', { cause: e }));
    }
  }

  /** The synchronous body of `issue` (what the benchmark measures). */
  mint(request: CredentialRequest): Credential {
    const ttlSeconds = effectiveTtl(request.ttlSeconds, this.#maxTtl);
    const jti = randomBytes(16).toString('base64url');
    const claims = credentialClaims(request, { issuer: this.#issuer, nowSeconds: Math.floor(this.#clock.now() / 1000), ttlSeconds, jti });
    const token = this.#keys.signer().sign(claims, CREDENTIAL_JWT_TYPE);
    return {
      id: jti,
      kind: 'jwt',
      scopes: claims.scope === undefined ? [] : claims.scope.split(' '),
      audience: request.audience,
      expiresAt: claims.exp * 1000,
      secret: new SecretValue(token),
    };
  }
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}
