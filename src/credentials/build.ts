import { systemClock, type Clock } from '../clock.js';
import type { Config, UpstreamConfig } from '../config/schema.js';
import { IntentguardError } from '../errors.js';
import { ExchangeIssuer } from './exchange.js';
import { JwtIssuer } from './jwt.js';
import { KeyStore, type JwksDocument } from './keys.js';
import { readStaticSecrets, spawnEnvironment, STATIC_TOKEN_NAME, StaticIssuer } from './static.js';
import type { Issuer, SecretValue } from './types.js';

/** Everything the fronts need from the credentials module, built once from the config. */
export interface CredentialSet {
  /** The issuer of each upstream that gets per-call credentials (kinds `jwt`, `exchange`, and `static` over HTTP). */
  readonly issuers: ReadonlyMap<string, Issuer>;
  /** intentguard's signing keys; present when some upstream uses `jwt` or `exchange`. */
  readonly keys: KeyStore | undefined;
  /** The public keys for `/.well-known/jwks.json` (empty when intentguard signs nothing). */
  jwks(): JwksDocument;
  /**
   * The static secrets a stdio upstream gets in its environment at spawn
   * (empty for every other upstream). They are not per call — a documented
   * limitation — and the router scrubs them from everything the server sends back.
   */
  spawnSecrets(server: string): Readonly<Record<string, SecretValue>>;
}

export interface BuildCredentialsOptions {
  readonly clock?: Clock | undefined;
  /** Where the key ring lives (`<stateDir>/keys/`). Default: the config's `state_dir`. */
  readonly stateDir?: string | undefined;
  /** The config file's folder: relative secret files are read from there. */
  readonly baseDir?: string | undefined;
  /** The environment secrets are read from (tests). Default: the process's. */
  readonly env?: NodeJS.ProcessEnv | undefined;
}

/**
 * The registry of issuers: one per upstream, by its `credentials.kind`. Raises
 * `IG_CONFIG_INVALID` (naming the config path) for a configuration that cannot
 * give credentials: a missing secret, `exchange` without `credentials.exchange`,
 * a static HTTP upstream without a `token` secret.
 */
export async function buildCredentials(config: Config, options: BuildCredentialsOptions = {}): Promise<CredentialSet> {
  const clock = options.clock ?? systemClock;
  const settings = config.credentials;
  const needsKeys = config.upstreams.some((u) => u.credentials.kind === 'jwt' || u.credentials.kind === 'exchange');
  const keys = needsKeys ? await KeyStore.open(options.stateDir ?? config.state_dir, { algorithm: settings.algorithm, clock }) : undefined;

  const issuers = new Map<string, Issuer>();
  const spawn = new Map<string, Readonly<Record<string, SecretValue>>>();
  let jwt: JwtIssuer | undefined;
  let exchange: ExchangeIssuer | undefined;

  for (const upstream of config.upstreams) {
    const c = upstream.credentials;
    switch (c.kind) {
      case 'none':
        break;
      case 'jwt':
        jwt ??= new JwtIssuer({ keys: keys as KeyStore, issuer: settings.issuer, maxTtlSeconds: settings.ttl_seconds, clock });
        issuers.set(upstream.name, jwt);
        break;
      case 'exchange':
        exchange ??= buildExchange(config, keys as KeyStore, clock, options);
        issuers.set(upstream.name, exchange);
        break;
      case 'static': {
        const secrets = readStaticSecrets(upstream.name, c.secrets, { baseDir: options.baseDir, env: options.env });
        if (upstream.stdio) spawn.set(upstream.name, spawnEnvironment(upstream.name, secrets));
        else issuers.set(upstream.name, staticHttpIssuer(upstream, secrets, settings.ttl_seconds, clock));
        break;
      }
    }
  }

  return {
    issuers,
    keys,
    jwks: () => keys?.jwks() ?? { keys: [] },
    spawnSecrets: (server) => spawn.get(server) ?? {},
  };
}

/** `buildCredentials(…).issuers`: the issuer of each upstream, by name. */
export async function buildIssuers(config: Config, options: BuildCredentialsOptions = {}): Promise<ReadonlyMap<string, Issuer>> {
  return (await buildCredentials(config, options)).issuers;
}

function buildExchange(config: Config, keys: KeyStore, clock: Clock, options: BuildCredentialsOptions): ExchangeIssuer {
  const ex = config.credentials.exchange;
  if (!ex) {
    throw new IntentguardError('IG_CONFIG_INVALID', 'an upstream uses `exchange` credentials but `credentials.exchange` (token_endpoint, client_id) is not configured', {
      location: { path: 'credentials.exchange' },
    });
  }
  const secret = ex.client_secret ? readStaticSecrets('exchange', { client_secret: ex.client_secret }, { baseDir: options.baseDir, env: options.env }).client_secret : undefined;
  return new ExchangeIssuer({
    tokenEndpoint: ex.token_endpoint,
    providerIssuer: ex.provider_issuer,
    clientId: ex.client_id,
    clientSecret: secret,
    keys,
    issuer: config.credentials.issuer,
    subjectTokenType: ex.subject_token_type,
    timeoutMs: ex.timeout_ms,
    maxTtlSeconds: config.credentials.ttl_seconds,
    clock,
  });
}

function staticHttpIssuer(upstream: UpstreamConfig, secrets: Record<string, SecretValue>, ttl: number, clock: Clock): StaticIssuer {
  const names = Object.keys(secrets);
  const token = secrets[STATIC_TOKEN_NAME];
  if (!token || names.length !== 1) {
    throw new IntentguardError('IG_CONFIG_INVALID', `an HTTP upstream takes exactly one static secret, named \`${STATIC_TOKEN_NAME}\` (sent in its credential header)`, {
      location: { path: `upstreams.${upstream.name}.credentials.secrets` },
    });
  }
  return new StaticIssuer({ server: upstream.name, token, maxTtlSeconds: ttl, clock });
}
