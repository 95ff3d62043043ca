import { IntentguardError } from '../errors.js';

/**
 * JSON-value plumbing for the algebra: copying hostile argument objects safely,
 * comparing them, and finding the values an argument path names.
 */

/** Arguments nest at most this deep; deeper input is refused rather than walked. */
export const MAX_DEPTH = 64;
/** An argument path has at most this many dotted segments. */
export const MAX_PATH_SEGMENTS = 8;

export type Container = Record<string, unknown> | unknown[];

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Assigns an own data property. Plain assignment of `__proto__` would replace
 * the prototype instead (JSON.parse happily produces such a key).
 */
export function setOwn(target: Container, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    (target as Record<string, unknown>)[key] = value;
  }
}

/**
 * A deep copy of JSON data (plain objects, arrays, strings, numbers, booleans,
 * null). Object keys whose value is undefined are dropped, as JSON would.
 * @throws IntentguardError IG_INPUT_INVALID for anything else (functions,
 * class instances, bigint, symbols) or nesting deeper than MAX_DEPTH.
 */
export function copyJson(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value;
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'object':
      break;
    default:
      throw new IntentguardError('IG_INPUT_INVALID', `argument value of type ${typeof value} is not JSON data`);
  }
  if (depth >= MAX_DEPTH) throw new IntentguardError('IG_INPUT_INVALID', `arguments nest deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      const c = copyJson(item, depth + 1);
      out.push(c === undefined ? null : c);
    }
    return out;
  }
  if (!isPlainObject(value)) throw new IntentguardError('IG_INPUT_INVALID', 'argument value is an object that is not plain JSON data');
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const c = copyJson(value[key], depth + 1);
    if (c !== undefined) setOwn(out, key, c);
  }
  return out;
}

/** Copies a top-level argument object; see `copyJson`. */
export function copyArgs(args: unknown): Record<string, unknown> {
  if (!isPlainObject(args)) throw new IntentguardError('IG_INPUT_INVALID', 'arguments must be a JSON object');
  return copyJson(args) as Record<string, unknown>;
}

function sameNumber(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** Structural equality of JSON data (key order ignored; 0 equals -0; NaN equals NaN). */
export function deepEqual(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return sameNumber(a, b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => deepEqual(item, b[i], depth + 1));
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], depth + 1));
}

/** A string that is equal for deep-equal JSON values; for multiset and set membership. */
export function stableKey(value: unknown, depth = 0): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : String(value);
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? `<${typeof value}>`;
  if (depth >= MAX_DEPTH) return '<deep>';
  if (Array.isArray(value)) return `[${value.map((v) => stableKey(v, depth + 1)).join(',')}]`;
  const rec = value as Record<string, unknown>;
  const keys = Object.keys(rec)
    .filter((k) => rec[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableKey(rec[k], depth + 1)}`).join(',')}}`;
}

/** Splits `a.b.c` into segments; undefined for an empty segment or too many segments. */
export function splitPath(path: string): string[] | undefined {
  if (typeof path !== 'string' || path === '') return undefined;
  const segments = path.split('.');
  if (segments.length > MAX_PATH_SEGMENTS || segments.some((s) => s === '')) return undefined;
  return segments;
}

/** One place an argument path names: `parent[key]`. */
export interface Location {
  readonly parent: Container;
  readonly key: string;
  /** True when some container on the way (or the parent) is an array. */
  readonly viaArray: boolean;
}

const INDEX = /^(?:0|[1-9][0-9]*)$/;

/**
 * Every place the dotted path names. A key may itself contain dots (a tool may
 * name an argument `user.email`), so each way of grouping the segments into
 * keys is followed: a constraint on `user.email` sees both `args["user.email"]`
 * and `args.user.email`. Only own properties are followed, never the prototype.
 */
export function locate(root: Record<string, unknown>, segments: readonly string[]): Location[] {
  const out: Location[] = [];
  walk(root, segments, 0, false, out);
  return out;
}

function walk(container: Container, segments: readonly string[], from: number, viaArray: boolean, out: Location[]): void {
  const isArray = Array.isArray(container);
  if (isArray && from > 0 && !INDEX.test(segments[from] ?? '')) {
    // A path that names a key inside what turned out to be a list (`files.path` with `files: [{path}]`) applies
    // to every item: the shape is the caller's to choose, and a constraint must not vanish with it.
    for (const item of container) {
      if (typeof item === 'object' && item !== null && (Array.isArray(item) || isPlainObject(item))) walk(item as Container, segments, from, true, out);
    }
    return;
  }
  for (let to = from + 1; to <= segments.length; to++) {
    const key = segments.slice(from, to).join('.');
    if (isArray) {
      if (!INDEX.test(key) || Number(key) >= container.length) continue;
    } else if (!Object.hasOwn(container, key)) {
      continue;
    }
    const child: unknown = (container as Record<string, unknown>)[key];
    if (to === segments.length) {
      out.push({ parent: container, key, viaArray: viaArray || isArray });
    } else if (typeof child === 'object' && child !== null && (Array.isArray(child) || isPlainObject(child))) {
      walk(child as Container, segments, to, viaArray || isArray, out);
    }
  }
}

/** The value at a location. */
export function valueAt(loc: Location): unknown {
  return (loc.parent as Record<string, unknown>)[loc.key];
}

/**
 * Sets `value` at every place `segments` names in `root` (mutating it); when it
 * names none, creates plain objects along the way.
 * @throws IntentguardError IG_INPUT_INVALID when an intermediate value is not an object.
 */
export function setPath(root: Record<string, unknown>, segments: readonly string[], value: unknown): void {
  const locations = locate(root, segments);
  if (locations.length > 0) {
    for (const loc of locations) setOwn(loc.parent, loc.key, copyJson(value));
    return;
  }
  let container: Container = root;
  for (let i = 0; i < segments.length - 1; i++) {
    const key = segments[i] as string;
    let child: unknown = (container as Record<string, unknown>)[key];
    if (!Object.hasOwn(container, key) || child === undefined) {
      child = {};
      setOwn(container, key, child);
    }
    if (typeof child !== 'object' || child === null) {
      throw new IntentguardError('IG_INPUT_INVALID', `cannot set ${segments.join('.')}: ${segments.slice(0, i + 1).join('.')} is not an object`);
    }
    container = child as Container;
  }
  setOwn(container, segments[segments.length - 1] as string, copyJson(value));
}
