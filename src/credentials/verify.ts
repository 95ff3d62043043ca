/**
 * `intentguard/verify`: checks, inside a tool server, that the credential a
 * call carries was issued by intentguard for this server, this call and these
 * exact arguments, and has not been used before.
 *
 * Standalone on purpose: it depends on `jose` and the argument digest only, so
 * tool authors can use it without the rest of intentguard.
 */
import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { argsDigest } from './digest.js';

/** The `_meta` key a stdio upstream finds the call's credential under (`{ token, id, scopes, audience, expiresAt }`). */
export const CREDENTIAL_META_KEY = 'intentguard/credential';

/** Why a credential was refused. Stable: tool servers may branch on it. */
export type VerifyErrorCode =
  /** No token was presented. */
  | 'token_missing'
  /** Not a compact JWS, too long, or a claim of the wrong type. */
  | 'token_malformed'
  /** Bad signature, unknown key or a disallowed algorithm. */
  | 'signature_invalid'
  /** The `typ` header is not `at+jwt` (another JWT, e.g. an actor assertion). */
  | 'type_mismatch'
  | 'issuer_mismatch'
  /** Issued for another upstream. */
  | 'audience_mismatch'
  | 'token_expired'
  | 'token_not_yet_valid'
  /** Lives longer than any intentguard credential can (`maxLifetimeSeconds`). */
  | 'lifetime_too_long'
  /** A required claim is absent. */
  | 'claim_missing'
  /** The token lacks a scope the operation needs. */
  | 'scope_insufficient'
  /** The arguments received are not the ones the token was issued for. */
  | 'args_mismatch'
  /** The token authorises another tool (or server). */
  | 'tool_mismatch'
  /** The token was already used once. */
  | 'token_replayed'
  /** The replay cache is full of live entries: refused rather than unchecked. */
  | 'replay_cache_full'
  /** The JWKS could not be fetched (timeout, HTTP error, not JSON). */
  | 'jwks_unavailable';

/** A refused credential. `status` and `oauthError` are what an HTTP server puts in its 401/403 (RFC 6750). */
export class CredentialVerificationError extends Error {
  readonly code: VerifyErrorCode;
  readonly status: 401 | 403 | 503;
  readonly oauthError: 'invalid_token' | 'insufficient_scope' | 'temporarily_unavailable';

  constructor(code: VerifyErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CredentialVerificationError';
    this.code = code;
    if (code === 'scope_insufficient') {
      this.status = 403;
      this.oauthError = 'insufficient_scope';
    } else if (code === 'jwks_unavailable' || code === 'replay_cache_full') {
      this.status = 503;
      this.oauthError = 'temporarily_unavailable';
    } else {
      this.status = 401;
      this.oauthError = 'invalid_token';
    }
  }
}

/**
 * Where `jti`s are remembered until their token expires. `consume` records the
 * key and answers true, or answers false when it was already there. A shared
 * store (Redis `SET key 1 NX PXAT expiresAt`) makes replay protection hold
 * across several server processes.
 */
export interface ReplayCache {
  consume(key: string, expiresAt: number): boolean | Promise<boolean>;
}

/** An in-memory replay cache with expiry, bounded: when full of live entries it refuses (fails closed). */
export class MemoryReplayCache implements ReplayCache {
  readonly #seen = new Map<string, number>();
  readonly #max: number;
  readonly #now: () => number;
  #insertsSinceSweep = 0;

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    this.#max = options.maxEntries ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  /** Entries held now (expired ones included until the next sweep). */
  get size(): number {
    return this.#seen.size;
  }

  consume(key: string, expiresAt: number): boolean {
    const now = this.#now();
    const known = this.#seen.get(key);
    if (known !== undefined && known > now) return false;
    if (++this.#insertsSinceSweep >= 1024 || this.#seen.size >= this.#max) this.#sweep(now);
    if (this.#seen.size >= this.#max) throw new CredentialVerificationError('replay_cache_full', 'the replay cache is full');
    this.#seen.set(key, expiresAt);
    return true;
  }

  #sweep(now: number): void {
    this.#insertsSinceSweep = 0;
    for (const [k, exp] of this.#seen) if (exp <= now) this.#seen.delete(k);
  }
}

export interface VerifierOptions {
  /** The expected `iss` (intentguard's `credentials.issuer`). */
  readonly issuer: string;
  /** This server's audience (the upstream's `audience` in intentguard's config). */
  readonly audience: string | readonly string[];
  /** intentguard's JWKS URL (`https://…/.well-known/jwks.json`); fetched once, cached, refetched on an unknown key. */
  readonly jwksUrl?: string | URL | undefined;
  /** Or the JWKS itself (tests, air-gapped servers). */
  readonly jwks?: JSONWebKeySet | undefined;
  /** Seconds of clock skew tolerated on `exp`/`nbf`. Default 5. */
  readonly clockTolerance?: number | undefined;
  /** Where used `jti`s are kept; default an in-memory cache; `false` disables replay protection. */
  readonly replayCache?: ReplayCache | false | undefined;
  /** Require `verify` to be given the arguments (default true): the token is good for those arguments only. */
  readonly bindArgs?: boolean | undefined;
  /** Longest lifetime (`exp − iat`) accepted, in seconds. Default 300, intentguard's maximum. */
  readonly maxLifetimeSeconds?: number | undefined;
  /** Current time in epoch milliseconds (tests). Default `Date.now`. */
  readonly now?: (() => number) | undefined;
  /** JWKS fetch tuning. */
  readonly jwksTimeoutMs?: number | undefined;
  /** Minimum time between two JWKS fetches triggered by an unknown key. Default 5 s. */
  readonly jwksCooldownMs?: number | undefined;
  /** fetch implementation for the JWKS (tests, proxies). */
  readonly fetch?: typeof fetch | undefined;
}

export interface VerifyCallOptions {
  /** The arguments this server received for the call (required unless `bindArgs: false`). */
  readonly args?: unknown;
  /** Scopes the operation needs; each must be in the token's `scope`. */
  readonly requiredScopes?: readonly string[] | undefined;
  /** The tool being called; must be the one the token authorises. */
  readonly tool?: string | undefined;
  /** The server name intentguard knows this upstream by, if the tool wants it checked too. */
  readonly server?: string | undefined;
}

/** The verified facts of a credential. */
export interface VerifiedCredential {
  readonly claims: JWTPayload & Readonly<Record<string, unknown>>;
  readonly jti: string;
  /** The user the call is made for (or the agent, when it acts for itself). */
  readonly subject: string;
  /** The agent making the call (`act.sub`, else `client_id`). */
  readonly agent?: string | undefined;
  readonly scopes: readonly string[];
  readonly tool?: string | undefined;
  readonly server?: string | undefined;
  /** intentguard's transaction id: the audit record of this call. */
  readonly txn?: string | undefined;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

export interface Verifier {
  /** Verifies one token for one call. Throws `CredentialVerificationError`; on success the `jti` is spent. */
  verify(token: string | undefined | null, options?: VerifyCallOptions): Promise<VerifiedCredential>;
}

const ALGORITHMS = ['EdDSA', 'ES256'];
const MAX_TOKEN_LENGTH = 16 * 1024;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Builds a verifier for one tool server (one audience). */
export function createVerifier(options: VerifierOptions): Verifier {
  if (!options.issuer) throw new TypeError('createVerifier: `issuer` is required');
  const audience = typeof options.audience === 'string' ? options.audience : [...options.audience];
  if (audience.length === 0) throw new TypeError('createVerifier: `audience` is required');
  if ((options.jwksUrl === undefined) === (options.jwks === undefined)) throw new TypeError('createVerifier: give exactly one of `jwksUrl` or `jwks`');
  const now = options.now ?? Date.now;
  const tolerance = options.clockTolerance ?? 5;
  const maxLifetime = options.maxLifetimeSeconds ?? 300;
  const bindArgs = options.bindArgs ?? true;
  const replay = options.replayCache === false ? undefined : (options.replayCache ?? new MemoryReplayCache({ now }));
  const keys =
    options.jwks !== undefined
      ? createLocalJWKSet(options.jwks)
      : createRemoteJWKSet(new URL(String(options.jwksUrl)), {
          timeoutDuration: options.jwksTimeoutMs ?? 5000,
          cooldownDuration: options.jwksCooldownMs ?? 5000,
          ...(options.fetch ? { [customFetch]: options.fetch } : {}),
        });

  return {
    async verify(token, call = {}) {
      if (token === undefined || token === null || token === '') throw new CredentialVerificationError('token_missing', 'no credential was presented');
      if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) {
        throw new CredentialVerificationError('token_malformed', 'the credential is not a compact JWS');
      }
      if (bindArgs && call.args === undefined) {
        throw new TypeError('verify: pass the arguments the tool received (`args`), or create the verifier with `bindArgs: false`');
      }

      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: options.issuer,
          audience,
          algorithms: ALGORITHMS,
          typ: 'at+jwt',
          clockTolerance: tolerance,
          currentDate: new Date(now()),
          requiredClaims: ['exp', 'iat', 'jti'],
        }));
      } catch (e) {
        throw fromJose(e);
      }
      const claims = payload as JWTPayload & Record<string, unknown>;

      // intentguard issues a token for one upstream only: one good at several is not one of its tokens.
      if (Array.isArray(claims.aud) && claims.aud.length !== 1) throw new CredentialVerificationError('audience_mismatch', 'the credential names more than one audience');
      const jti = claims.jti;
      if (typeof jti !== 'string' || jti === '' || jti.length > 256) throw new CredentialVerificationError('token_malformed', 'the jti claim is not a string');
      const { exp, iat } = claims;
      if (typeof exp !== 'number' || typeof iat !== 'number') throw new CredentialVerificationError('token_malformed', 'exp and iat must be numbers');
      if (exp - iat > maxLifetime) throw new CredentialVerificationError('lifetime_too_long', `the credential lives ${exp - iat} s, more than ${maxLifetime} s`);

      if (claims.scope !== undefined && typeof claims.scope !== 'string') throw new CredentialVerificationError('token_malformed', 'the scope claim is not a string');
      const scopes = typeof claims.scope === 'string' && claims.scope !== '' ? claims.scope.split(' ') : [];
      const missing = (call.requiredScopes ?? []).filter((s) => !scopes.includes(s));
      if (missing.length > 0) throw new CredentialVerificationError('scope_insufficient', `the credential lacks scope ${missing.join(' ')}`);

      const detail = toolCallDetail(claims);
      if (call.tool !== undefined && detail?.tool !== call.tool) throw new CredentialVerificationError('tool_mismatch', 'the credential was issued for another tool');
      if (call.server !== undefined && detail?.server !== call.server) throw new CredentialVerificationError('tool_mismatch', 'the credential was issued for another server');

      if (bindArgs) {
        const expected = claims.args_digest;
        if (typeof expected !== 'string') throw new CredentialVerificationError('claim_missing', 'the credential carries no args_digest');
        if (detail?.args_digest !== undefined && detail.args_digest !== expected) throw new CredentialVerificationError('token_malformed', 'the credential disagrees with itself about its arguments');
        let actual: string;
        try {
          actual = argsDigest(call.args);
        } catch (e) {
          throw new CredentialVerificationError('args_mismatch', 'the arguments have no canonical JSON form', { cause: e });
        }
        if (actual !== expected) throw new CredentialVerificationError('args_mismatch', 'the arguments differ from those the credential was issued for');
      }

      // Last: only a credential that passed every other check spends its jti.
      if (replay) {
        const fresh = await replay.consume(`${String(claims.iss)}\u0000${jti}`, (exp + tolerance) * 1000);
        if (!fresh) throw new CredentialVerificationError('token_replayed', 'the credential was already used');
      }

      const act = claims.act;
      const actor = typeof act === 'object' && act !== null && typeof (act as { sub?: unknown }).sub === 'string' ? (act as { sub: string }).sub : undefined;
      const clientId = typeof claims.client_id === 'string' ? claims.client_id : undefined;
      return {
        claims,
        jti,
        subject: typeof claims.sub === 'string' ? claims.sub : '',
        agent: actor ?? clientId,
        scopes,
        tool: detail?.tool,
        server: detail?.server,
        txn: typeof claims.txn === 'string' ? claims.txn : undefined,
        expiresAt: exp * 1000,
      };
    },
  };
}

/**
 * The token of an `Authorization: Bearer …` header (Streamable HTTP
 * upstreams), or undefined when there is none.
 */
export function bearerToken(authorization: string | readonly string[] | null | undefined): string | undefined {
  if (typeof authorization !== 'string') return undefined;
  const m = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(authorization);
  return m?.[1];
}

/** The token intentguard put in a stdio call's `params._meta["intentguard/credential"]`, or undefined. */
export function tokenFromMeta(meta: unknown): string | undefined {
  if (typeof meta !== 'object' || meta === null) return undefined;
  const entry = (meta as Record<string, unknown>)[CREDENTIAL_META_KEY];
  if (typeof entry !== 'object' || entry === null) return undefined;
  const token = (entry as Record<string, unknown>).token;
  return typeof token === 'string' ? token : undefined;
}

interface Detail {
  readonly tool?: string | undefined;
  readonly server?: string | undefined;
  readonly args_digest?: string | undefined;
}

function toolCallDetail(claims: Record<string, unknown>): Detail | undefined {
  const details = claims.authorization_details;
  if (!Array.isArray(details)) return undefined;
  const d = details.find((x: unknown) => typeof x === 'object' && x !== null && (x as { type?: unknown }).type === 'intentguard_tool_call') as Record<string, unknown> | undefined;
  if (!d) return undefined;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return { tool: str(d.tool), server: str(d.server), args_digest: str(d.args_digest) };
}

function fromJose(e: unknown): CredentialVerificationError {
  if (e instanceof CredentialVerificationError) return e;
  if (e instanceof joseErrors.JWTExpired) return new CredentialVerificationError('token_expired', 'the credential has expired', { cause: e });
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    const byClaim: Record<string, VerifyErrorCode> = { nbf: 'token_not_yet_valid', iss: 'issuer_mismatch', aud: 'audience_mismatch', typ: 'type_mismatch' };
    const code = e.reason === 'missing' && e.claim !== 'typ' ? 'claim_missing' : (byClaim[e.claim] ?? 'token_malformed');
    return new CredentialVerificationError(code, `the credential failed the ${e.claim} check`, { cause: e });
  }
  if (e instanceof joseErrors.JWSSignatureVerificationFailed || e instanceof joseErrors.JWKSNoMatchingKey || e instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return new CredentialVerificationError('signature_invalid', 'the credential signature does not verify', { cause: e });
  }
  if (e instanceof joseErrors.JOSEAlgNotAllowed || e instanceof joseErrors.JOSENotSupported) {
    return new CredentialVerificationError('signature_invalid', 'the credential is signed with an algorithm that is not accepted', { cause: e });
  }
  if (e instanceof joseErrors.JWKSTimeout || e instanceof joseErrors.JWKSInvalid) {
    return new CredentialVerificationError('jwks_unavailable', 'the signing keys could not be fetched', { cause: e });
  }
  if (e instanceof joseErrors.JWSInvalid || e instanceof joseErrors.JWTInvalid) {
    return new CredentialVerificationError('token_malformed', 'the credential is not a valid JWT', { cause: e });
  }
  // A failed JWKS fetch (connection refused, non-200, not JSON) surfaces as a generic JOSEError or a TypeError.
  return new CredentialVerificationError('jwks_unavailable', 'the signing keys could not be fetched', { cause: e });
}
