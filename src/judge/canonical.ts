import { createHash } from 'node:crypto';

/*
 * Canonical JSON for cache keys: object keys sorted (code-unit order), no
 * whitespace, `undefined` members dropped, non-finite numbers as null, bigints
 * as strings, `toJSON` honoured (a SecretValue answers with its redaction,
 * never its value). Built as one string in a single walk, because the
 * cache-hit path pays for it on every call; strings with nothing to escape
 * skip JSON.stringify.
 */

// Inputs are size- and depth-limited upstream; this bound keeps a cycle or a bug from recursing forever.
const MAX_DEPTH = 64;

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;

function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** Canonical JSON of `value`: two structurally equal values give the same string. */
export function canonicalJson(value: unknown): string {
  return write(value, 0) ?? 'null';
}

/** Hex sha256 of the canonical JSON of `value`. */
export function canonicalHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function write(value: unknown, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return quote(value.toString());
    case 'object':
      break;
    default:
      // undefined, functions and symbols: dropped from objects, null in arrays (as JSON.stringify does).
      return undefined;
  }
  if (value === null || depth >= MAX_DEPTH) return 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += write(value[i], depth + 1) ?? 'null';
    }
    return out + ']';
  }
  const obj = value as Record<string, unknown>;
  if (typeof obj.toJSON === 'function') return write((obj.toJSON as () => unknown).call(obj), depth + 1);
  const keys = Object.keys(obj);
  // Small objects often arrive in order already: sort only when needed.
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) {
      keys.sort();
      break;
    }
  }
  let out = '{';
  let first = true;
  for (const key of keys) {
    const v = write(obj[key], depth + 1);
    if (v === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += quote(key) + ':' + v;
  }
  return out + '}';
}
