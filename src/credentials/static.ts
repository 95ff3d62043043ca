import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { systemClock, type Clock } from '../clock.js';
import type { SecretReference } from '../config/schema.js';
import { readEnv } from '../env.js';
import { IntentguardError } from '../errors.js';
import { effectiveTtl } from './jwt.js';
import { SecretValue, type Credential, type CredentialRequest, type Issuer } from './types.js';

/** The static secret an HTTP upstream gets in its credential header. */
export const STATIC_TOKEN_NAME = 'token';

/** Environment variable names a stdio child can be given. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** Secret files larger than this are refused: a secret is a line, not a document. */
const MAX_SECRET_FILE = 64 * 1024;

/**
 * Reads the named secrets of one upstream from environment variables or files
 * (relative to `baseDir`, the config file's folder). Raises `IG_CONFIG_INVALID`,
 * naming the config path, for a missing variable or an unreadable or empty
 * file: an upstream whose secret is missing must not start half-configured.
 */
export function readStaticSecrets(
  upstream: string,
  refs: Readonly<Record<string, SecretReference>>,
  options: { readonly baseDir?: string | undefined; readonly env?: NodeJS.ProcessEnv | undefined } = {},
): Record<string, SecretValue> {
  const out: Record<string, SecretValue> = {};
  for (const [name, ref] of Object.entries(refs)) {
    const where = `upstreams.${upstream}.credentials.secrets.${name}`;
    if ('env' in ref) {
      const v = options.env === undefined ? readEnv(ref.env) : readEnv(ref.env, options.env);
      if (v === undefined) throw new IntentguardError('IG_CONFIG_INVALID', `environment variable ${ref.env} is not set`, { location: { path: where } });
      out[name] = new SecretValue(v);
      continue;
    }
    const file = path.isAbsolute(ref.file) || options.baseDir === undefined ? ref.file : path.resolve(options.baseDir, ref.file);
    let text: string;
    try {
      const buf = readFileSync(file);
      if (buf.length > MAX_SECRET_FILE) throw new IntentguardError('IG_CONFIG_INVALID', 'secret file is larger than 64 KiB', { location: { file, path: where } });
      text = buf.toString('utf8').replace(/\r?\n$/, '');
    } catch (e) {
      if (e instanceof IntentguardError) throw e;
      throw new IntentguardError('IG_CONFIG_INVALID', `cannot read secret file (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { location: { file, path: where } });
    }
    if (text === '') throw new IntentguardError('IG_CONFIG_INVALID', 'secret file is empty', { location: { file, path: where } });
    out[name] = new SecretValue(text);
  }
  return out;
}

/**
 * The environment a stdio upstream gets at spawn: each static secret under its
 * own name. The limitation: a child process's environment is set once, so
 * these secrets are not per call — the server holds them for its whole life.
 * intentguard still scrubs them from every answer.
 */
export function spawnEnvironment(upstream: string, secrets: Readonly<Record<string, SecretValue>>): Record<string, SecretValue> {
  for (const name of Object.keys(secrets)) {
    if (!ENV_NAME.test(name)) {
      throw new IntentguardError('IG_CONFIG_INVALID', `secret name ${JSON.stringify(name)} is not an environment variable name (letters, digits, _)`, {
        location: { path: `upstreams.${upstream}.credentials.secrets` },
      });
    }
  }
  return { ...secrets };
}

export interface StaticIssuerOptions {
  readonly server: string;
  /** The secret attached to each allowed call: the HTTP upstream's `token`. */
  readonly token: SecretValue;
  /** The configured ceiling on credential lifetimes: the attachment's window as audited. */
  readonly maxTtlSeconds?: number | undefined;
  readonly clock?: Clock | undefined;
}

/**
 * Secret injection for HTTP upstreams: a long-lived secret (an API key)
 * attached to a call only after the guard allowed it, in that request's
 * header only. `expiresAt` is the window of this attachment, not the secret's
 * own lifetime, which intentguard does not control.
 */
export class StaticIssuer implements Issuer {
  readonly kind = 'static' as const;
  readonly #server: string;
  readonly #token: SecretValue;
  readonly #maxTtl: number;
  readonly #clock: Clock;

  constructor(options: StaticIssuerOptions) {
    this.#server = options.server;
    this.#token = options.token;
    this.#maxTtl = options.maxTtlSeconds ?? 60;
    this.#clock = options.clock ?? systemClock;
  }

  issue(request: CredentialRequest): Promise<Credential> {
    const ttl = effectiveTtl(request.ttlSeconds, this.#maxTtl);
    return Promise.resolve({
      // An id per attachment, so the audit can tell calls apart; it says nothing about the secret.
      id: `static:${this.#server}:${randomBytes(9).toString('base64url')}`,
      kind: 'static',
      scopes: [...request.grant.scopes],
      audience: request.audience,
      expiresAt: this.#clock.now() + ttl * 1000,
      secret: this.#token,
    });
  }
}
