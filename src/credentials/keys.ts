import { createPrivateKey, randomBytes, sign as cryptoSign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { chmodSync, closeSync, constants as fsConstants, fstatSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { systemClock, type Clock } from '../clock.js';
import { IntentguardError } from '../errors.js';

/** The JWS algorithms intentguard signs with: Ed25519 (default) or P-256. */
export type SigningAlgorithm = 'EdDSA' | 'ES256';
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['EdDSA', 'ES256'];

/** The longest a credential may live (config and policy cap `ttl_seconds` at this). */
export const MAX_CREDENTIAL_TTL_SECONDS = 300;
/** The shortest a credential may live. */
export const MIN_CREDENTIAL_TTL_SECONDS = 5;
/**
 * How long a retired key stays in the JWKS: the longest a token it signed can
 * still be valid, plus a minute for verifiers' clock tolerance.
 */
export const KEY_RETENTION_SECONDS = MAX_CREDENTIAL_TTL_SECONDS + 60;

/** The key ring's folder inside the state dir, and its one file. */
export const KEYS_DIR = 'keys';
export const KEYRING_FILE = 'keyring.json';

// The serving process notices a rotation made by another process (`intentguard keys rotate`) within this long.
const REFRESH_INTERVAL_MS = 1000;

/** A public key as published in the JWKS. */
export interface PublicJwk extends JWK {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly use: 'sig';
}

/** The JWKS document served at `/.well-known/jwks.json`. */
export interface JwksDocument {
  readonly keys: readonly PublicJwk[];
}

/** What `intentguard keys list` shows of a key: never private material. */
export interface KeyInfo {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Epoch milliseconds; absent for the current key. */
  readonly retiredAt?: number | undefined;
  /** `current` signs; `retired` is still published for verifiers; `expired` is no longer published and goes at the next rotation. */
  readonly status: 'current' | 'retired' | 'expired';
  /** Until when a retired key stays in the JWKS (epoch milliseconds). */
  readonly publishedUntil?: number | undefined;
}

/** The signing side of the current key: what the issuers use for every token. */
export interface Signer {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  /**
   * Signs `claims` as a compact JWS with header `{ alg, kid, typ }`. Synchronous
   * (node:crypto with a key imported once): minting is on every call's path.
   */
  sign(claims: object, typ: string): string;
}

interface StoredKey {
  kid: string;
  alg: SigningAlgorithm;
  createdAt: number;
  retiredAt?: number;
  /** The private JWK. The file holding it is 0600 in a 0700 folder. */
  jwk: JWK;
}

interface KeyringFile {
  version: 1;
  keys: StoredKey[];
}

interface LoadedKey {
  readonly stored: StoredKey;
  readonly privateKey: KeyObject;
  readonly publicJwk: PublicJwk;
  readonly headers: Map<string, string>;
}

export interface KeyStoreOptions {
  /** The algorithm of newly generated keys; when the current key has another, `open` rotates. Default EdDSA. */
  readonly algorithm?: SigningAlgorithm | undefined;
  readonly clock?: Clock | undefined;
  /** Generate the key ring when there is none (default true). `keys list` opens without creating. */
  readonly create?: boolean | undefined;
}

/**
 * intentguard's signing keys, persisted in `<state_dir>/keys/keyring.json`
 * (folder 0700, file 0600, written atomically). The current key signs; on
 * rotation it is retired but stays in the JWKS until every token it signed has
 * expired (`KEY_RETENTION_SECONDS`). Another process may rotate the ring (the
 * `keys rotate` verb): the store re-reads the file when it changes.
 */
export class KeyStore {
  readonly dir: string;
  readonly file: string;
  readonly #clock: Clock;
  readonly #algorithm: SigningAlgorithm;
  #keys: LoadedKey[] = [];
  #stamp = '';
  #checkedAt = Number.NEGATIVE_INFINITY;

  private constructor(stateDir: string, algorithm: SigningAlgorithm, clock: Clock) {
    this.dir = path.join(stateDir, KEYS_DIR);
    this.file = path.join(this.dir, KEYRING_FILE);
    this.#algorithm = algorithm;
    this.#clock = clock;
  }

  /**
   * Opens the key ring under `stateDir`, generating it on first start. Raises
   * `IG_CONFIG_INVALID` when the file is malformed or readable by others, and
   * `IG_CREDENTIAL_ISSUE` when it is absent and `create` is false.
   */
  static async open(stateDir: string, options: KeyStoreOptions = {}): Promise<KeyStore> {
    const algorithm = options.algorithm ?? 'EdDSA';
    if (!SIGNING_ALGORITHMS.includes(algorithm)) throw new IntentguardError('IG_CONFIG_INVALID', `unsupported signing algorithm ${String(algorithm)}`);
    const store = new KeyStore(stateDir, algorithm, options.clock ?? systemClock);
    if (store.#readIfPresent()) {
      if (options.create !== false && store.#current()?.stored.alg !== algorithm) await store.rotate(algorithm);
      return store;
    }
    if (options.create === false) throw new IntentguardError('IG_CREDENTIAL_ISSUE', `no key ring yet at ${store.file}`, { location: { file: store.file } });
    ensureDir(store.dir);
    const key = await generateKey(algorithm, store.#clock.now());
    // When another process created the ring first, the link fails and theirs is read instead.
    store.#createExclusive({ version: 1, keys: [key] });
    store.#readIfPresent();
    return store;
  }

  /** The algorithm new keys get. */
  get algorithm(): SigningAlgorithm {
    return this.#algorithm;
  }

  /** The current signing key. Raises `IG_CREDENTIAL_ISSUE` when the ring has none (every key retired by hand). */
  signer(): Signer {
    this.#maybeRefresh();
    const key = this.#current();
    if (!key) throw new IntentguardError('IG_CREDENTIAL_ISSUE', 'the key ring has no current signing key');
    return {
      kid: key.stored.kid,
      alg: key.stored.alg,
      sign: (claims, typ) => signCompact(key, claims, typ),
    };
  }

  /** The public keys verifiers need: the current key and retired keys still inside their retention. */
  jwks(): JwksDocument {
    this.#maybeRefresh();
    const now = this.#clock.now();
    return { keys: this.#keys.filter((k) => isPublished(k.stored, now)).map((k) => k.publicJwk) };
  }

  /** Every key in the ring, newest first, with its status. */
  list(): KeyInfo[] {
    this.#maybeRefresh();
    const now = this.#clock.now();
    return [...this.#keys].reverse().map(({ stored }) => info(stored, now));
  }

  /**
   * Makes a new current key (of `algorithm`, default the store's): the old one
   * is retired and stays published for `KEY_RETENTION_SECONDS`; keys past their
   * retention are dropped from the file. Returns the new key.
   */
  async rotate(algorithm: SigningAlgorithm = this.#algorithm): Promise<KeyInfo> {
    ensureDir(this.dir);
    // Start from what is on disk now, so a rotation by another process is not lost.
    this.#readIfPresent();
    const now = this.#clock.now();
    const kept: StoredKey[] = [];
    for (const { stored } of this.#keys) {
      const s = stored.retiredAt === undefined ? { ...stored, retiredAt: now } : stored;
      if (isPublished(s, now)) kept.push(s);
    }
    const fresh = await generateKey(algorithm, now);
    this.#replace({ version: 1, keys: [...kept, fresh] });
    this.#readIfPresent();
    return info(fresh, now);
  }

  /** Re-reads the key ring now if it changed on disk. */
  refresh(): void {
    this.#checkedAt = this.#clock.now();
    const stamp = fileStamp(this.file);
    if (stamp !== undefined && stamp !== this.#stamp) this.#readIfPresent();
  }

  #maybeRefresh(): void {
    const now = this.#clock.now();
    if (now - this.#checkedAt < REFRESH_INTERVAL_MS && now >= this.#checkedAt) return;
    this.refresh();
  }

  #current(): LoadedKey | undefined {
    for (let i = this.#keys.length - 1; i >= 0; i--) {
      const k = this.#keys[i];
      if (k && k.stored.retiredAt === undefined) return k;
    }
    return undefined;
  }

  /** Loads the file if it exists; returns false when there is none. */
  #readIfPresent(): boolean {
    let fd: number;
    try {
      fd = openSync(this.file, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new IntentguardError('IG_CONFIG_INVALID', `cannot open the key ring (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { location: { file: this.file } });
    }
    let text: string;
    let stamp: string;
    try {
      const st = fstatSync(fd);
      if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
        throw new IntentguardError('IG_CONFIG_INVALID', `the key ring is readable by other users (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 on it`, {
          location: { file: this.file },
        });
      }
      stamp = `${st.ino}:${st.mtimeMs}:${st.size}`;
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
    this.#keys = parseKeyring(this.file, text).keys.map(loadKey);
    this.#stamp = stamp;
    this.#checkedAt = this.#clock.now();
    return true;
  }

  /** Writes the first key ring unless one exists (link() fails on an existing name: atomic create). */
  #createExclusive(ring: KeyringFile): boolean {
    const tmp = this.#writeTemp(ring);
    try {
      linkSync(tmp, this.file);
      syncDir(this.dir);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw new IntentguardError('IG_CONFIG_INVALID', `cannot write the key ring (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { location: { file: this.file } });
    } finally {
      safeUnlink(tmp);
    }
  }

  #replace(ring: KeyringFile): void {
    const tmp = this.#writeTemp(ring);
    try {
      renameSync(tmp, this.file);
      syncDir(this.dir);
    } catch (e) {
      safeUnlink(tmp);
      throw new IntentguardError('IG_CONFIG_INVALID', `cannot write the key ring (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { location: { file: this.file } });
    }
  }

  #writeTemp(ring: KeyringFile): string {
    const tmp = path.join(this.dir, `.${KEYRING_FILE}.${randomBytes(6).toString('hex')}.tmp`);
    let fd: number;
    try {
      fd = openSync(tmp, 'wx', 0o600);
    } catch (e) {
      throw new IntentguardError('IG_CONFIG_INVALID', `cannot write the key ring (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { location: { file: this.file } });
    }
    try {
      writeSync(fd, `${JSON.stringify(ring, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // The umask may have taken bits away, never added them; make the mode exact anyway.
    chmodSync(tmp, 0o600);
    return tmp;
  }
}

function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (process.platform !== 'win32') chmodSync(dir, 0o700);
  } catch (e) {
    throw new IntentguardError('IG_CONFIG_INVALID', `cannot create the key folder (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { location: { file: dir } });
  }
}

function syncDir(dir: string): void {
  if (process.platform === 'win32') return;
  try {
    const fd = openSync(dir, fsConstants.O_RDONLY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Best effort: the rename itself is atomic; only its durability across a crash depends on this.
  }
}

function safeUnlink(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

function fileStamp(file: string): string | undefined {
  const st = statSync(file, { throwIfNoEntry: false });
  return st ? `${st.ino}:${st.mtimeMs}:${st.size}` : undefined;
}

function isPublished(k: StoredKey, now: number): boolean {
  return k.retiredAt === undefined || now < k.retiredAt + KEY_RETENTION_SECONDS * 1000;
}

function info(k: StoredKey, now: number): KeyInfo {
  if (k.retiredAt === undefined) return { kid: k.kid, alg: k.alg, createdAt: k.createdAt, status: 'current' };
  const publishedUntil = k.retiredAt + KEY_RETENTION_SECONDS * 1000;
  return { kid: k.kid, alg: k.alg, createdAt: k.createdAt, retiredAt: k.retiredAt, status: now < publishedUntil ? 'retired' : 'expired', publishedUntil };
}

async function generateKey(alg: SigningAlgorithm, now: number): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const jwk = await exportJWK(privateKey);
  // The kid is the RFC 7638 thumbprint of the public key: stable, and says nothing secret.
  const kid = await calculateJwkThumbprint(publicPart(jwk));
  return { kid, alg, createdAt: now, jwk: { ...jwk, kid, alg, use: 'sig' } };
}

/** The public members of an OKP or EC JWK. */
function publicPart(jwk: JWK): JWK {
  const out: JWK = {};
  for (const member of jwk.kty === 'EC' ? (['kty', 'crv', 'x', 'y'] as const) : (['kty', 'crv', 'x'] as const)) {
    const v = jwk[member];
    if (typeof v === 'string') out[member] = v;
  }
  return out;
}

function loadKey(stored: StoredKey): LoadedKey {
  const privateKey = createPrivateKey({ key: stored.jwk as JsonWebKey, format: 'jwk' });
  return {
    stored,
    privateKey,
    publicJwk: { ...publicPart(stored.jwk), kid: stored.kid, alg: stored.alg, use: 'sig' },
    headers: new Map(),
  };
}

function parseKeyring(file: string, text: string): KeyringFile {
  const bad = (why: string): never => {
    throw new IntentguardError('IG_CONFIG_INVALID', `the key ring is malformed: ${why}`, { location: { file } });
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return bad('not JSON');
  }
  if (typeof data !== 'object' || data === null || (data as { version?: unknown }).version !== 1) return bad('expected { "version": 1, "keys": [...] }');
  const keys = (data as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) return bad('`keys` is not a list');
  const out: StoredKey[] = [];
  keys.forEach((k: unknown, i) => {
    if (typeof k !== 'object' || k === null) return bad(`key ${i} is not an object`);
    const r = k as Record<string, unknown>;
    if (typeof r.kid !== 'string' || r.kid === '') return bad(`key ${i} has no kid`);
    if (r.alg !== 'EdDSA' && r.alg !== 'ES256') return bad(`key ${i} has an unsupported alg`);
    if (typeof r.createdAt !== 'number') return bad(`key ${i} has no createdAt`);
    if (r.retiredAt !== undefined && typeof r.retiredAt !== 'number') return bad(`key ${i} has a bad retiredAt`);
    const jwk = r.jwk as JWK | undefined;
    if (typeof jwk !== 'object' || jwk === null || typeof jwk.d !== 'string') return bad(`key ${i} has no private JWK`);
    const wantKty = r.alg === 'EdDSA' ? 'OKP' : 'EC';
    const wantCrv = r.alg === 'EdDSA' ? 'Ed25519' : 'P-256';
    if (jwk.kty !== wantKty || jwk.crv !== wantCrv) return bad(`key ${i} is not a ${wantCrv} key`);
    out.push({ kid: r.kid, alg: r.alg, createdAt: r.createdAt, ...(r.retiredAt === undefined ? {} : { retiredAt: r.retiredAt }), jwk });
  });
  return { version: 1, keys: out };
}

function b64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** RFC 7515 compact serialisation, signed with node:crypto. */
function signCompact(key: LoadedKey, claims: object, typ: string): string {
  let header = key.headers.get(typ);
  if (header === undefined) {
    header = b64url(JSON.stringify({ alg: key.stored.alg, kid: key.stored.kid, typ }));
    key.headers.set(typ, header);
  }
  const input = `${header}.${b64url(JSON.stringify(claims))}`;
  const data = Buffer.from(input, 'ascii');
  // EdDSA takes no digest; ES256 wants the raw r||s form (IEEE P1363), not DER.
  const signature =
    key.stored.alg === 'EdDSA' ? cryptoSign(null, data, key.privateKey) : cryptoSign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}
