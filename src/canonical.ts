import { createHash } from 'node:crypto';
import { IntentguardError } from './errors.js';

/*
 * Canonical JSON, the one definition for hashes and cache keys (the audit hash
 * chain, the judge's verdict cache, eval run keys, tuning): `JSON.stringify`
 * semantics (toJSON honoured, boxed primitives unboxed, undefined and
 * functions dropped from objects and written as null in arrays, non-finite
 * numbers as null) with object keys sorted by UTF-16 code units and no
 * whitespace. For JSON data this is the RFC 8785 (JCS) form: JavaScript's
 * number and string serialisation are the ones JCS prescribes.
 *
 * Values outside JSON are refused (`canonicalJson`) or, where a key must be
 * computed whatever arrives, given a stand-in (`canonicalKeyJson`).
 *
 * `src/credentials/digest.ts` keeps its own copy of the same form on purpose:
 * it ships alone to tool authors (`intentguard/verify`); a test holds the two
 * equal on JSON data.
 *
 * The judge's cache-hit path pays for this on every call, so the text is built
 * in one walk, strings with nothing to escape skip JSON.stringify, and keys
 * already in order are not sorted again.
 */

/** How values outside JSON are treated: refused, or given a stand-in so that a key can always be computed. */
interface Mode {
  /** Deepest nesting walked. */
  readonly maxDepth: number;
  /** Refuse (throw) instead of writing a stand-in. */
  readonly strict: boolean;
}

const STRICT: Mode = { maxDepth: 512, strict: true };
// Cache-key inputs are size- and depth-limited upstream; this bound keeps a cycle or a bug from recursing forever.
// Deeper than anything the fronts accept (arguments ≤ 64 levels, plus the judge input's own nesting), so two
// inputs that differ only deep down never share a cache key.
const KEY: Mode = { maxDepth: 256, strict: false };

function fail(message: string): never {
  throw new IntentguardError('IG_INPUT_INVALID', `canonical JSON: ${message}`);
}

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;

function quote(s: string): string {
  // Most strings need no escaping; JSON.stringify is the authority when they do.
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

// `key` is the member's name or array index, passed to toJSON as JSON.stringify does (a string); kept as given until then.
function write(value: unknown, key: string | number, ancestors: object[], inArray: boolean, mode: Mode): string | undefined {
  let v = value;
  if (typeof v === 'object' && v !== null) {
    if (typeof (v as { toJSON?: unknown }).toJSON === 'function') v = (v as { toJSON: (k: string) => unknown }).toJSON(String(key));
    // Plain objects and arrays (nearly everything) skip the boxed-primitive checks.
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype) {
      if (v instanceof Number || v instanceof String || v instanceof Boolean) v = v.valueOf();
    }
  }
  switch (typeof v) {
    case 'string':
      return quote(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return mode.strict ? fail('a bigint has no JSON form') : quote(v.toString());
    case 'undefined':
    case 'function':
    case 'symbol':
      return inArray ? 'null' : undefined;
    default:
      break;
  }
  if (v === null) return 'null';
  const obj = v as object;
  if (ancestors.length >= mode.maxDepth) return mode.strict ? fail(`the value nests deeper than ${mode.maxDepth} levels`) : 'null';
  // Without the strict check a cycle ends at the depth bound.
  if (mode.strict && ancestors.includes(obj)) fail('the value is circular');
  ancestors.push(obj);
  let out: string;
  if (Array.isArray(obj)) {
    out = '[';
    for (let i = 0; i < obj.length; i++) {
      if (i > 0) out += ',';
      out += write(obj[i], i, ancestors, true, mode) as string;
    }
    out += ']';
  } else {
    const rec = obj as Record<string, unknown>;
    const keys = Object.keys(rec);
    // Small objects often arrive in order already: sort only when needed (default sort is by UTF-16 code units).
    for (let i = 1; i < keys.length; i++) {
      if ((keys[i - 1] as string) > (keys[i] as string)) {
        keys.sort();
        break;
      }
    }
    out = '{';
    let first = true;
    for (const k of keys) {
      const s = write(rec[k], k, ancestors, false, mode);
      if (s === undefined) continue;
      if (!first) out += ',';
      out += `${quote(k)}:${s}`;
      first = false;
    }
    out += '}';
  }
  ancestors.pop();
  return out;
}

/**
 * The canonical JSON text of `value`.
 * @throws IntentguardError IG_INPUT_INVALID for a bigint, a circular value,
 * nesting deeper than 512 levels, or a top-level value with no JSON form.
 */
export function canonicalJson(value: unknown): string {
  const s = write(value, '', [], false, STRICT);
  if (s === undefined) fail(`a top-level ${typeof value} has no JSON form`);
  return s;
}

/**
 * The canonical JSON text of `value` for a cache key, which never throws: the
 * same text as `canonicalJson` for JSON data; a bigint is written as its
 * decimal string, anything nested deeper than 256 levels (a cycle included) as
 * null, and a top-level value with no JSON form as null.
 */
export function canonicalKeyJson(value: unknown): string {
  return write(value, '', [], false, KEY) ?? 'null';
}

/** SHA-256 of a UTF-8 string or of bytes, as lowercase hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 hex of the canonical JSON of `value`: a stable key for equal data. */
export function canonicalHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
