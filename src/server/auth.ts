import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { systemClock, type Clock } from '../clock.js';
import type { Config, SecretReference } from '../config/schema.js';
import { SecretValue } from '../credentials/types.js';
import { readEnv } from '../env.js';
import { IntentguardError } from '../errors.js';
import type { Principal } from '../session/types.js';

/** Who an HTTP request comes from, once authenticated. */
export interface AgentIdentity {
  /** Stable id of the credential (`key:<id>`, `jwt:<iss>#<sub>`, `anonymous`); sessions are bound to it. */
  readonly id: string;
  readonly method: 'api-key' | 'jwt' | 'anonymous';
  /** The principal every decision for this request is made for. */
  readonly principal: Principal;
  /** True when the identity may name another principal in a request body (orchestrators). */
  readonly mayOverridePrincipal: boolean;
  /**
   * The user's own token, kept only for pass-through identity (RFC 8693 exchange
   * at the identity provider). It is never forwarded to an upstream.
   */
  readonly subjectToken?: SecretValue | undefined;
}

export type AuthOutcome =
  | { readonly ok: true; readonly identity: AgentIdentity }
  /** `missing`: no credential presented; `invalid`: one was presented and failed. */
  | { readonly ok: false; readonly reason: 'missing' | 'invalid' };

type AuthConfig = Config['server']['auth'];

interface KeyEntry {
  readonly digest: Buffer;
  readonly identity: AgentIdentity;
}

/** The asymmetric JWS algorithms accepted from an identity provider (no `none`, no HMAC with a public key). */
const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/** Presented credentials longer than this are refused before any hashing or parsing. */
const MAX_CREDENTIAL_LENGTH = 8192;

const ANONYMOUS: AgentIdentity = Object.freeze({
  id: 'anonymous',
  method: 'anonymous',
  principal: Object.freeze({}),
  mayOverridePrincipal: true,
});

/**
 * Authenticates agents: API keys (compared by SHA-256 digest in constant time)
 * and JWT bearer tokens verified against the configured issuer, audience and
 * JWKS. When no method is configured the service is open (development on
 * loopback) and the caller may name its principal itself.
 */
export class AgentAuthenticator {
  readonly #keys: readonly KeyEntry[];
  readonly #jwt: AuthConfig['jwt'];
  readonly #jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  readonly #required: boolean;
  readonly #clock: Clock;

  private constructor(keys: readonly KeyEntry[], auth: AuthConfig, clock: Clock) {
    this.#keys = keys;
    this.#jwt = auth.jwt;
    this.#jwks = auth.jwt ? createRemoteJWKSet(new URL(auth.jwt.jwks_url), { timeoutDuration: 5000, cooldownDuration: 30_000 }) : undefined;
    this.#required = auth.required;
    this.#clock = clock;
  }

  /**
   * Builds the authenticator from `server.auth`, reading key secrets named by
   * environment variable or file (relative to `baseDir`). Raises
   * `IG_CONFIG_INVALID` for a key with neither a digest nor a readable secret.
   */
  static async create(auth: AuthConfig, options: { baseDir?: string | undefined; clock?: Clock | undefined } = {}): Promise<AgentAuthenticator> {
    const keys: KeyEntry[] = [];
    const seen = new Set<string>();
    for (const k of auth.api_keys) {
      if (seen.has(k.id)) throw new IntentguardError('IG_CONFIG_INVALID', `duplicate API key id '${k.id}'`, { location: { path: 'server.auth.api_keys' } });
      seen.add(k.id);
      let digest: Buffer;
      if (k.sha256 !== undefined) digest = Buffer.from(k.sha256, 'hex');
      else if (k.secret !== undefined) digest = sha256(await readSecretRef(k.secret, options.baseDir, `server.auth.api_keys.${k.id}`));
      else throw new IntentguardError('IG_CONFIG_INVALID', `API key '${k.id}' needs \`sha256\` or \`secret\``, { location: { path: 'server.auth.api_keys' } });
      const principal: Principal = Object.freeze({
        agent: k.agent ?? k.id,
        ...(k.user === undefined ? {} : { user: k.user }),
        ...(k.groups.length > 0 ? { groups: Object.freeze([...k.groups]) } : {}),
      });
      keys.push({ digest, identity: Object.freeze({ id: `key:${k.id}`, method: 'api-key', principal, mayOverridePrincipal: k.may_override_principal ?? false }) });
    }
    return new AgentAuthenticator(keys, auth, options.clock ?? systemClock);
  }

  /** True when at least one authentication method is configured. */
  get configured(): boolean {
    return this.#keys.length > 0 || this.#jwt !== undefined;
  }

  /** The authorization server(s) agents get tokens from, for protected-resource metadata. */
  get authorizationServers(): readonly string[] {
    return this.#jwt ? [this.#jwt.issuer] : [];
  }

  /**
   * Authenticates one request from its headers. Never throws: a bad credential
   * is `{ ok: false, reason: 'invalid' }`; JWKS trouble counts as invalid too
   * (fail closed).
   */
  async authenticate(headers: Readonly<Record<string, string | string[] | undefined>>): Promise<AuthOutcome> {
    const presented = presentedCredential(headers);
    if (presented === undefined) {
      if (!this.configured) return { ok: true, identity: ANONYMOUS };
      if (!this.#required) return { ok: true, identity: { ...ANONYMOUS, mayOverridePrincipal: false } };
      return { ok: false, reason: 'missing' };
    }
    if (presented === null || !this.configured) return { ok: false, reason: 'invalid' };

    const key = this.#matchKey(presented);
    if (key) return { ok: true, identity: key };
    if (this.#jwt && this.#jwks && looksLikeJwt(presented)) {
      const identity = await this.#verifyJwt(presented);
      if (identity) return { ok: true, identity };
    }
    return { ok: false, reason: 'invalid' };
  }

  #matchKey(presented: string): AgentIdentity | undefined {
    const digest = sha256(presented);
    let found: AgentIdentity | undefined;
    // Compare against every key, without an early exit, so timing says nothing about which key was close.
    for (const k of this.#keys) {
      if (timingSafeEqual(k.digest, digest) && found === undefined) found = k.identity;
    }
    return found;
  }

  async #verifyJwt(token: string): Promise<AgentIdentity | undefined> {
    const jwt = this.#jwt;
    const jwks = this.#jwks;
    if (!jwt || !jwks) return undefined;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: jwt.issuer,
        audience: jwt.audience,
        algorithms: [...JWT_ALGORITHMS],
        currentDate: new Date(this.#clock.now()),
        clockTolerance: 5,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch {
      // A bad signature, claim or an unreachable JWKS alike: the token is not accepted (fail closed).
      return undefined;
    }
    const principal = principalFromClaims(payload);
    if (!principal) return undefined;
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
    return Object.freeze({
      // An unambiguous encoding: agent `a/b` with no user and agent `a` with user `b` must not share an identity.
      id: `jwt:${JSON.stringify([payload.iss ?? '', principal.agent ?? null, principal.user ?? null])}`,
      method: 'jwt',
      principal,
      mayOverridePrincipal: jwt.override_scope !== undefined && scopes.includes(jwt.override_scope),
      // Kept for pass-through identity only; the upstream leg never sees it.
      subjectToken: principal.user === undefined ? undefined : new SecretValue(token),
    });
  }
}

/**
 * The principal of a verified JWT:
 * - with an RFC 8693 `act` claim (delegation), `sub` is the user and `act.sub` the agent acting for them;
 * - otherwise the agent is the OAuth client (`azp`, then `client_id`), and `sub` is the user when it differs
 *   from the client; a token with neither (client credentials) names only the agent, `sub`.
 * `groups` (an array of strings) is copied when present.
 */
export function principalFromClaims(claims: JWTPayload): Principal | undefined {
  const sub = str(claims.sub);
  if (sub === undefined) return undefined;
  const act = claims.act;
  const groups = Array.isArray(claims.groups) ? claims.groups.filter((g): g is string => typeof g === 'string' && g.length <= 256).slice(0, 64) : [];
  const withGroups = groups.length > 0 ? { groups: Object.freeze(groups) } : {};
  if (act && typeof act === 'object' && !Array.isArray(act)) {
    const actor = str((act as Record<string, unknown>).sub);
    if (actor !== undefined) return Object.freeze({ agent: actor, user: sub, ...withGroups });
  }
  const client = str(claims.azp) ?? str(claims.client_id);
  if (client !== undefined && client !== sub) return Object.freeze({ agent: client, user: sub, ...withGroups });
  return Object.freeze({ agent: sub, ...withGroups });
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= 512 ? v : undefined;
}

/**
 * The credential a request presents: `Authorization: Bearer …` or `x-api-key`.
 * `undefined` when none; `null` when one is present but malformed (wrong scheme,
 * too long, two different values).
 */
function presentedCredential(headers: Readonly<Record<string, string | string[] | undefined>>): string | null | undefined {
  const auth = headers.authorization;
  const apiKey = headers['x-api-key'];
  if (Array.isArray(auth) || Array.isArray(apiKey)) return null;
  let bearer: string | undefined;
  if (auth !== undefined && auth !== '') {
    const m = /^Bearer +([^\s]+) *$/i.exec(auth);
    if (!m?.[1]) return null;
    bearer = m[1];
  }
  const key = apiKey === undefined || apiKey === '' ? undefined : apiKey.trim();
  if (bearer !== undefined && key !== undefined && bearer !== key) return null;
  const value = bearer ?? key;
  if (value === undefined) return undefined;
  return value.length > MAX_CREDENTIAL_LENGTH ? null : value;
}

function looksLikeJwt(s: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(s);
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Reads a secret named by environment variable or file (trailing newline trimmed). */
export async function readSecretRef(ref: SecretReference, baseDir: string | undefined, where: string): Promise<string> {
  if ('env' in ref) {
    const v = readEnv(ref.env);
    if (v === undefined) throw new IntentguardError('IG_CONFIG_INVALID', `${where}: environment variable ${ref.env} is not set`);
    return v;
  }
  const file = path.isAbsolute(ref.file) || baseDir === undefined ? ref.file : path.resolve(baseDir, ref.file);
  try {
    const text = (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
    if (text === '') throw new IntentguardError('IG_CONFIG_INVALID', `${where}: secret file is empty`, { location: { file } });
    return text;
  } catch (e) {
    if (e instanceof IntentguardError) throw e;
    throw new IntentguardError('IG_CONFIG_INVALID', `${where}: cannot read secret file (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { location: { file } });
  }
}

/** The `WWW-Authenticate` challenge of a 401 (RFC 6750 + RFC 9728 `resource_metadata`). */
export function bearerChallenge(resourceMetadataUrl: string, reason: 'missing' | 'invalid'): string {
  const parts = [`resource_metadata="${resourceMetadataUrl}"`];
  if (reason === 'invalid') parts.push('error="invalid_token"', 'error_description="the API key or token is not valid"');
  return `Bearer ${parts.join(', ')}`;
}
