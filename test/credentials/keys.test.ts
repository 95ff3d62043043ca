import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compactVerify, createLocalJWKSet } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { KEY_RETENTION_SECONDS, KeyStore } from '../../src/credentials/keys.js';
import { IntentguardError } from '../../src/errors.js';
import { TempDirs } from './fixtures.js';

const dirs = new TempDirs();
afterEach(() => dirs.cleanup());

const posix = process.platform !== 'win32';

describe('KeyStore', () => {
  it('generates an Ed25519 key on first start, in a 0700 folder and a 0600 file', async () => {
    const state = dirs.make();
    const keys = await KeyStore.open(state);
    const dir = path.join(state, 'keys');
    if (posix) {
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(statSync(path.join(dir, 'keyring.json')).mode & 0o777).toBe(0o600);
    }
    const listed = keys.list();
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ alg: 'EdDSA', status: 'current' });
    const jwks = keys.jwks();
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: listed[0]!.kid });
    // Public only: no private member reaches the JWKS.
    expect(JSON.stringify(jwks)).not.toMatch(/"d"\s*:/);
  });

  it('keeps its key across restarts', async () => {
    const state = dirs.make();
    const first = await KeyStore.open(state);
    const second = await KeyStore.open(state);
    expect(second.signer().kid).toBe(first.signer().kid);
  });

  it('two processes starting at once end up with one key', async () => {
    const state = dirs.make();
    const [a, b] = await Promise.all([KeyStore.open(state), KeyStore.open(state)]);
    expect(a.signer().kid).toBe(b.signer().kid);
    expect(a.list()).toHaveLength(1);
  });

  it('signs compact JWS that jose verifies with the published key (EdDSA and ES256)', async () => {
    for (const algorithm of ['EdDSA', 'ES256'] as const) {
      const keys = await KeyStore.open(dirs.make(), { algorithm });
      const signer = keys.signer();
      expect(signer.alg).toBe(algorithm);
      const token = signer.sign({ hello: 'world' }, 'at+jwt');
      const { payload, protectedHeader } = await compactVerify(token, createLocalJWKSet(keys.jwks() as never));
      expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ hello: 'world' });
      expect(protectedHeader).toEqual({ alg: algorithm, kid: signer.kid, typ: 'at+jwt' });
    }
  });

  it('rotation makes a new current key and keeps the old one published until its tokens have expired', async () => {
    const clock = new ManualClock();
    const keys = await KeyStore.open(dirs.make(), { clock });
    const oldKid = keys.signer().kid;
    const oldToken = keys.signer().sign({ n: 1 }, 'at+jwt');
    const rotated = await keys.rotate();
    expect(rotated.status).toBe('current');
    expect(keys.signer().kid).toBe(rotated.kid);
    expect(rotated.kid).not.toBe(oldKid);
    expect(keys.jwks().keys.map((k) => k.kid).sort()).toEqual([oldKid, rotated.kid].sort());
    // A token signed just before the rotation still verifies.
    await expect(compactVerify(oldToken, createLocalJWKSet(keys.jwks() as never))).resolves.toBeTruthy();
    const old = keys.list().find((k) => k.kid === oldKid)!;
    expect(old).toMatchObject({ status: 'retired', retiredAt: clock.now(), publishedUntil: clock.now() + KEY_RETENTION_SECONDS * 1000 });

    clock.advance(KEY_RETENTION_SECONDS * 1000 - 1);
    keys.refresh();
    expect(keys.jwks().keys.map((k) => k.kid)).toContain(oldKid);
    clock.advance(2);
    expect(keys.jwks().keys.map((k) => k.kid)).toEqual([rotated.kid]);
    expect(keys.list().find((k) => k.kid === oldKid)?.status).toBe('expired');
    // The next rotation drops it from the file for good.
    await keys.rotate();
    expect(keys.list().some((k) => k.kid === oldKid)).toBe(false);
    expect(readFileSync(keys.file, 'utf8')).not.toContain(oldKid);
  });

  it('rotates to the configured algorithm when the current key has another', async () => {
    const state = dirs.make();
    const ed = await KeyStore.open(state, { algorithm: 'EdDSA' });
    const edKid = ed.signer().kid;
    const es = await KeyStore.open(state, { algorithm: 'ES256' });
    expect(es.signer().alg).toBe('ES256');
    expect(es.jwks().keys.map((k) => k.kid)).toContain(edKid);
  });

  it('sees a rotation made by another process', async () => {
    const clock = new ManualClock();
    const state = dirs.make();
    const serving = await KeyStore.open(state, { clock });
    const before = serving.signer().kid;
    const cli = await KeyStore.open(state, { clock });
    const rotated = await cli.rotate();
    // Re-read at most once a second: not yet...
    expect(serving.signer().kid).toBe(before);
    clock.advance(1000);
    expect(serving.signer().kid).toBe(rotated.kid);
    expect(serving.jwks().keys.map((k) => k.kid)).toContain(before);
  });

  it('refuses a key ring readable by other users', async () => {
    if (!posix) return;
    const state = dirs.make();
    const keys = await KeyStore.open(state);
    chmodSync(keys.file, 0o644);
    const err = await KeyStore.open(state).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntentguardError);
    expect((err as IntentguardError).code).toBe('IG_CONFIG_INVALID');
    expect((err as IntentguardError).location?.file).toBe(keys.file);
    expect((err as IntentguardError).message).toMatch(/chmod 600/);
  });

  it('names the file when the key ring is malformed', async () => {
    const state = dirs.make();
    const keys = await KeyStore.open(state);
    writeFileSync(keys.file, '{"version": 1, "keys": [{"kid": "x"}]}', { mode: 0o600 });
    const err = (await KeyStore.open(state).catch((e: unknown) => e)) as IntentguardError;
    expect(err.code).toBe('IG_CONFIG_INVALID');
    expect(err.describe()).toContain(keys.file);
    writeFileSync(keys.file, 'not json', { mode: 0o600 });
    await expect(KeyStore.open(state)).rejects.toThrow(/not JSON/);
  });

  it('does not create a key ring when told not to', async () => {
    const state = dirs.make();
    const err = (await KeyStore.open(state, { create: false }).catch((e: unknown) => e)) as IntentguardError;
    expect(err.code).toBe('IG_CREDENTIAL_ISSUE');
  });
});
