import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { buildCredentials, buildIssuers } from '../../src/credentials/build.js';
import { ExchangeIssuer } from '../../src/credentials/exchange.js';
import { JwtIssuer } from '../../src/credentials/jwt.js';
import { StaticIssuer } from '../../src/credentials/static.js';
import { IntentguardError } from '../../src/errors.js';
import { TempDirs } from './fixtures.js';

const dirs = new TempDirs();
afterEach(() => dirs.cleanup());

function config(raw: Record<string, unknown>) {
  return ConfigSchema.parse({ state_dir: dirs.make(), ...raw });
}

const HTTP = { http: { url: 'http://127.0.0.1:9/mcp' } };
const STDIO = { stdio: { command: 'node', args: ['server.js'] } };

describe('buildCredentials', () => {
  it('makes one issuer per upstream that gets per-call credentials, by kind', async () => {
    const cfg = config({
      credentials: { issuer: 'urn:ig', algorithm: 'ES256', ttl_seconds: 30, exchange: { token_endpoint: 'https://idp.example/token', client_id: 'ig' } },
      upstreams: [
        { name: 'plain', ...HTTP },
        { name: 'managed', ...HTTP, credentials: { kind: 'jwt' } },
        { name: 'managed2', ...HTTP, credentials: { kind: 'jwt' } },
        { name: 'passthrough', ...HTTP, credentials: { kind: 'exchange' } },
        { name: 'keyed', ...HTTP, credentials: { kind: 'static', secrets: { token: { env: 'IG_T_TOKEN' } } } },
        { name: 'local', ...STDIO, credentials: { kind: 'static', secrets: { API_KEY: { env: 'IG_T_KEY' } } } },
      ],
    });
    const set = await buildCredentials(cfg, { clock: new ManualClock(), env: { IG_T_TOKEN: 'tok', IG_T_KEY: 'key' } });
    expect([...set.issuers.keys()].sort()).toEqual(['keyed', 'managed', 'managed2', 'passthrough']);
    expect(set.issuers.get('managed')).toBeInstanceOf(JwtIssuer);
    expect(set.issuers.get('managed2')).toBe(set.issuers.get('managed'));
    expect(set.issuers.get('passthrough')).toBeInstanceOf(ExchangeIssuer);
    expect(set.issuers.get('keyed')).toBeInstanceOf(StaticIssuer);
    // A stdio upstream's static secrets go in at spawn, not per call.
    expect(set.issuers.has('local')).toBe(false);
    expect(set.spawnSecrets('local').API_KEY?.reveal()).toBe('key');
    expect(set.spawnSecrets('keyed')).toEqual({});
    // Keys of the configured algorithm, published.
    expect(set.keys?.signer().alg).toBe('ES256');
    expect(set.jwks().keys).toHaveLength(1);
  });

  it('creates no key ring when nothing is signed', async () => {
    const cfg = config({ upstreams: [{ name: 'plain', ...HTTP }] });
    const set = await buildCredentials(cfg);
    expect(set.keys).toBeUndefined();
    expect(set.jwks()).toEqual({ keys: [] });
    expect(existsSync(path.join(cfg.state_dir, 'keys'))).toBe(false);
    expect((await buildIssuers(cfg)).size).toBe(0);
  });

  it('refuses configurations that cannot give credentials, naming the config path', async () => {
    const err = async (raw: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) =>
      (await buildCredentials(config(raw), { env }).catch((e: unknown) => e)) as IntentguardError;

    const noExchange = await err({ upstreams: [{ name: 'p', ...HTTP, credentials: { kind: 'exchange' } }] });
    expect(noExchange.code).toBe('IG_CONFIG_INVALID');
    expect(noExchange.location?.path).toBe('credentials.exchange');

    const noToken = await err({ upstreams: [{ name: 'k', ...HTTP, credentials: { kind: 'static', secrets: { api_key: { env: 'X' } } } }] }, { X: 'v' });
    expect(noToken.code).toBe('IG_CONFIG_INVALID');
    expect(noToken.location?.path).toBe('upstreams.k.credentials.secrets');

    const unset = await err({ upstreams: [{ name: 'k', ...HTTP, credentials: { kind: 'static', secrets: { token: { env: 'IG_T_NOT_SET' } } } }] });
    expect(unset.message).toMatch(/IG_T_NOT_SET is not set/);

    const insecure = await err({
      credentials: { exchange: { token_endpoint: 'http://idp.example.com/token', client_id: 'ig' } },
      upstreams: [{ name: 'p', ...HTTP, credentials: { kind: 'exchange' } }],
    });
    expect(insecure.message).toMatch(/https/);
  });
});
