import { canonicalKeyJson, sha256Hex } from '../canonical.js';

/*
 * The judge's cache keys are the canonical JSON of `src/canonical.ts` in its
 * key form: the same text for JSON data, and a key for whatever input arrives
 * (a bigint as its decimal string, anything nested past 64 levels as null),
 * never an exception on the cache path. `toJSON` is honoured, so a SecretValue
 * hashes as its redaction, never its value.
 */

/** Canonical JSON of `value`: two structurally equal values give the same string. */
export function canonicalJson(value: unknown): string {
  return canonicalKeyJson(value);
}

/** Hex sha256 of the canonical JSON of `value`. */
export function canonicalHash(value: unknown): string {
  return sha256Hex(canonicalKeyJson(value));
}
