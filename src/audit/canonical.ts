import { createHash } from 'node:crypto';
import { IntentguardError } from '../errors.js';

/**
 * Canonical JSON: `JSON.stringify` semantics (toJSON honoured, undefined and
 * functions dropped from objects and written as null in arrays, non-finite
 * numbers as null) with object keys sorted by UTF-16 code units and no
 * whitespace. For JSON data this is the RFC 8785 (JCS) form: JavaScript's
 * number and string serialisation are the ones JCS prescribes.
 *
 * Used for the audit hash chain and for cache keys: equal data, equal text.
 */
const MAX_DEPTH = 512;

function fail(message: string): never {
  throw new IntentguardError('IG_INPUT_INVALID', `canonical JSON: ${message}`);
}

function write(value: unknown, key: string, ancestors: object[], inArray: boolean): string | undefined {
  let v = value;
  if (typeof v === 'object' && v !== null) {
    if (typeof (v as { toJSON?: unknown }).toJSON === 'function') v = (v as { toJSON: (k: string) => unknown }).toJSON(key);
    if (v instanceof Number || v instanceof String || v instanceof Boolean) v = v.valueOf();
  }
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return fail('a bigint has no JSON form');
    case 'undefined':
    case 'function':
    case 'symbol':
      return inArray ? 'null' : undefined;
    default:
      break;
  }
  if (v === null) return 'null';
  const obj = v as object;
  if (ancestors.includes(obj)) fail('the value is circular');
  if (ancestors.length >= MAX_DEPTH) fail(`the value nests deeper than ${MAX_DEPTH} levels`);
  ancestors.push(obj);
  let out: string;
  if (Array.isArray(obj)) {
    out = '[';
    for (let i = 0; i < obj.length; i++) {
      if (i > 0) out += ',';
      out += write(obj[i], String(i), ancestors, true) as string;
    }
    out += ']';
  } else {
    const rec = obj as Record<string, unknown>;
    const keys = Object.keys(rec).sort();
    out = '{';
    let first = true;
    for (const k of keys) {
      const s = write(rec[k], k, ancestors, false);
      if (s === undefined) continue;
      out += first ? quoteKey(k) : `,${quoteKey(k)}`;
      out += s;
      first = false;
    }
    out += '}';
  }
  ancestors.pop();
  return out;
}

const PLAIN_KEY = /^[A-Za-z0-9_$-]*$/;

function quoteKey(k: string): string {
  // Most keys need no escaping; JSON.stringify is the authority when they do.
  return PLAIN_KEY.test(k) ? `"${k}":` : `${JSON.stringify(k)}:`;
}

/**
 * The canonical JSON text of `value`.
 * @throws IntentguardError IG_INPUT_INVALID for a bigint, a circular value,
 * nesting deeper than 512 levels, or a top-level value with no JSON form.
 */
export function canonicalJson(value: unknown): string {
  const s = write(value, '', [], false);
  if (s === undefined) fail(`a top-level ${typeof value} has no JSON form`);
  return s;
}

/** SHA-256 of a UTF-8 string, as lowercase hex. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** SHA-256 hex of the canonical JSON of `value`: a stable key for equal data. */
export function canonicalHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
