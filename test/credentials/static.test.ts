import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { readStaticSecrets, spawnEnvironment, StaticIssuer } from '../../src/credentials/static.js';
import { SecretValue } from '../../src/credentials/types.js';
import { IntentguardError } from '../../src/errors.js';
import { request, TempDirs } from './fixtures.js';

const dirs = new TempDirs();
afterEach(() => dirs.cleanup());

describe('readStaticSecrets', () => {
  it('reads secrets from the environment and from files relative to the config folder', () => {
    const dir = dirs.make();
    writeFileSync(path.join(dir, 'api-key'), 'file-secret-value\n');
    const secrets = readStaticSecrets('crm', { API_KEY: { file: 'api-key' }, OTHER: { env: 'IG_T_OTHER' } }, { baseDir: dir, env: { IG_T_OTHER: ' env-secret ' } });
    expect(secrets.API_KEY?.reveal()).toBe('file-secret-value');
    expect(secrets.OTHER?.reveal()).toBe('env-secret');
    expect(JSON.stringify(secrets)).not.toContain('secret-value');
  });

  it('refuses a missing variable, a missing file and an empty file, naming the config path', () => {
    const dir = dirs.make();
    const code = (f: () => unknown) => {
      try {
        f();
        return 'ok';
      } catch (e) {
        return `${(e as IntentguardError).code} ${(e as IntentguardError).describe()}`;
      }
    };
    expect(code(() => readStaticSecrets('crm', { K: { env: 'IG_T_UNSET' } }, { env: {} }))).toMatch(/IG_CONFIG_INVALID .*upstreams\.crm\.credentials\.secrets\.K.*IG_T_UNSET/);
    expect(code(() => readStaticSecrets('crm', { K: { file: 'nope' } }, { baseDir: dir }))).toMatch(/IG_CONFIG_INVALID .*nope.*ENOENT/);
    writeFileSync(path.join(dir, 'empty'), '\n');
    expect(code(() => readStaticSecrets('crm', { K: { file: 'empty' } }, { baseDir: dir }))).toMatch(/empty/);
  });
});

describe('spawnEnvironment', () => {
  it('takes names that can be environment variables only', () => {
    const v = new SecretValue('x');
    expect(Object.keys(spawnEnvironment('s', { GITHUB_TOKEN: v, _x1: v }))).toEqual(['GITHUB_TOKEN', '_x1']);
    expect(() => spawnEnvironment('s', { 'bad-name': v })).toThrow(IntentguardError);
    expect(() => spawnEnvironment('s', { '1ABC': v })).toThrow(/environment variable name/);
  });
});

describe('StaticIssuer', () => {
  it('attaches the secret to an allowed call, audited by an id that says nothing about it', async () => {
    const clock = new ManualClock();
    const issuer = new StaticIssuer({ server: 'crm', token: new SecretValue('sk-static-123'), clock, maxTtlSeconds: 60 });
    const a = await issuer.issue(request({ ttlSeconds: 30 }));
    const b = await issuer.issue(request());
    expect(a).toMatchObject({ kind: 'static', scopes: ['files:read'], audience: 'urn:intentguard:upstream:files', expiresAt: clock.now() + 30_000 });
    expect(a.secret.reveal()).toBe('sk-static-123');
    expect(a.id).toMatch(/^static:crm:/);
    expect(a.id).not.toBe(b.id);
    expect(a.id).not.toContain('sk-static');
    expect(JSON.stringify(a)).not.toContain('sk-static-123');
  });
});
