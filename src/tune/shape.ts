import type { ArgConstraintSpec } from '../policy/schema.js';
import { hostOf, normaliseDomain } from '../scope/index.js';

/**
 * Argument shapes: a call's argument names with a coarse class per value,
 * so that calls that differ only in detail (which file under a directory,
 * which amount of the same order) fall into one group. Classes that say
 * something about where an effect lands (a directory, an e-mail domain, a
 * URL host, a command's program, a number's order of magnitude) become rule
 * conditions; the rest (free text, objects) only count as present.
 */
export type ValueClass =
  | { readonly kind: 'dir'; readonly dir: string }
  | { readonly kind: 'email'; readonly domain: string }
  | { readonly kind: 'url'; readonly host: string }
  | { readonly kind: 'cmd'; readonly program: string }
  /** A number in [lo, hi); lo = hi = 0 for zero. */
  | { readonly kind: 'num'; readonly lo: number; readonly hi: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'list'; readonly item: ValueClass | null }
  | { readonly kind: 'other'; readonly type: 'str' | 'obj' | 'null' | 'neg' };

/** Directory classes keep at most this many leading segments of a path's parent. */
const DIR_DEPTH = 2;
const COMMAND_ARG = /^(command|cmd|script|shell|command_?line)$/i;
const PROGRAM = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
const EMAIL = /^[^@\s<>,;"]{1,256}@([A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*)$/;
const URL_START = /^[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\//;
const HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
/** Characters a fast-path command may carry after its program: words and spaces, no shell syntax (; | & $ ` > < quotes, newlines). */
const PLAIN_ARGS = '[-A-Za-z0-9_./=,:@+% ]';

/** Segments of an absolute POSIX path, or undefined when it is not a plain one (relative, `.`/`..`, control characters). */
export function pathSegments(value: string): string[] | undefined {
  if (!value.startsWith('/') || value.length > 4096) return undefined;
  // Control characters (C0 and C1, bidi overrides) never become part of a directory class, a rule or a summary.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\\]/.test(value)) return undefined;
  const segments = value.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..')) return undefined;
  return segments;
}

function emailDomain(value: string): string | undefined {
  const m = EMAIL.exec(value);
  const d = m?.[1] === undefined ? undefined : normaliseDomain(m[1]);
  return d !== undefined && HOST.test(d) ? d : undefined;
}

function urlHost(value: string): string | undefined {
  if (!URL_START.test(value)) return undefined;
  const h = hostOf(value);
  return 'host' in h && HOST.test(h.host) ? h.host : undefined;
}

function program(value: string): string | undefined {
  const m = /^\s*(?:sudo\s+)?(\S+)/.exec(value);
  const p = m?.[1];
  return p !== undefined && PROGRAM.test(p) ? p : undefined;
}

function numberClass(v: number): ValueClass {
  if (v < 0) return { kind: 'other', type: 'neg' };
  if (v === 0) return { kind: 'num', lo: 0, hi: 0 };
  if (v < 1) return { kind: 'num', lo: 0, hi: 1 };
  const lo = 10 ** Math.floor(Math.log10(v));
  // Floating point: 1000 must land in [1000, 10000), not [100, 1000).
  const fixed = v >= lo * 10 ? lo * 10 : lo;
  return { kind: 'num', lo: fixed, hi: fixed * 10 };
}

/** The class of one argument value. */
export function classify(name: string, value: unknown): ValueClass {
  if (value === null || value === undefined) return { kind: 'other', type: 'null' };
  if (typeof value === 'boolean') return { kind: 'bool', value };
  if (typeof value === 'number') return Number.isFinite(value) ? numberClass(value) : { kind: 'other', type: 'str' };
  if (typeof value === 'string') {
    if (COMMAND_ARG.test(name)) {
      const p = program(value);
      return p === undefined ? { kind: 'other', type: 'str' } : { kind: 'cmd', program: p };
    }
    const segments = pathSegments(value);
    if (segments !== undefined && segments.length > 0) {
      const parent = segments.slice(0, -1).slice(0, DIR_DEPTH);
      return { kind: 'dir', dir: `/${parent.join('/')}` };
    }
    const domain = emailDomain(value);
    if (domain !== undefined) return { kind: 'email', domain };
    const host = urlHost(value);
    if (host !== undefined) return { kind: 'url', host };
    return { kind: 'other', type: 'str' };
  }
  if (Array.isArray(value)) {
    const items = new Map<string, ValueClass>();
    for (const v of value.slice(0, 256)) {
      const c = classify(name, v);
      items.set(classLabel(c), c);
    }
    const only = items.size === 1 ? [...items.values()][0] : undefined;
    return { kind: 'list', item: only !== undefined && discriminative(only) ? only : null };
  }
  return { kind: 'other', type: 'obj' };
}

export function classLabel(c: ValueClass): string {
  switch (c.kind) {
    case 'dir':
      return `dir:${c.dir}`;
    case 'email':
      return `email:@${c.domain}`;
    case 'url':
      return `url:${c.host}`;
    case 'cmd':
      return `cmd:${c.program}`;
    case 'num':
      return c.hi === 0 ? 'num:0' : `num:[${c.lo},${c.hi})`;
    case 'bool':
      return `bool:${c.value}`;
    case 'list':
      return c.item === null ? 'list' : `list[${classLabel(c.item)}]`;
    case 'other':
      return c.type;
  }
}

/** True for classes that say where an effect lands; only these become rule conditions. */
export function discriminative(c: ValueClass): boolean {
  if (c.kind === 'other') return false;
  if (c.kind === 'list') return c.item !== null;
  return true;
}

/** A call's shape: argument name → class, names sorted. */
export type Shape = ReadonlyMap<string, ValueClass>;

/** At most this many argument names take part in a shape; a call with more is its own group by names only. */
const MAX_SHAPE_ARGS = 32;

export function shapeOf(args: Readonly<Record<string, unknown>>): Shape {
  const names = Object.keys(args).sort().slice(0, MAX_SHAPE_ARGS);
  return new Map(names.map((n) => [n, classify(n, args[n])]));
}

export function shapeKey(shape: Shape): string {
  return [...shape].map(([n, c]) => `${JSON.stringify(n)}=${classLabel(c)}`).join(',');
}

export function shapeRecord(shape: Shape): Record<string, string> {
  return Object.fromEntries([...shape].map(([n, c]) => [n, classLabel(c)]));
}

/** A CEL string literal (JSON escapes are CEL escapes for the characters JSON escapes). */
function celString(s: string): string {
  return JSON.stringify(s);
}

function reEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

function numLiteral(n: number): string {
  return Number.isInteger(n) ? `${n}.0` : String(n);
}

/**
 * CEL for one value `v` (an expression) of class `c`. `strict` is for allow
 * rules: a command must then be the program followed by plain words only, so
 * that `ls; rm -rf /` never rides on the fast path of `ls`.
 */
function valuePredicate(v: string, c: ValueClass, strict: boolean): string | undefined {
  switch (c.kind) {
    case 'dir':
      return `type(${v}) == string && ${v}.startsWith(${celString(c.dir === '/' ? '/' : `${c.dir}/`)})`;
    case 'email':
      return `type(${v}) == string && ${v}.lowerAscii().endsWith(${celString(`@${c.domain}`)})`;
    case 'url':
      return `type(${v}) == string && ${v}.lowerAscii().re2Match(r"^[a-z][a-z0-9+.-]*://${reEscape(c.host)}(:[0-9]+)?([/?#]|$)")`;
    case 'cmd':
      return strict
        ? `type(${v}) == string && ${v}.re2Match(r"^${reEscape(c.program)}( ${PLAIN_ARGS}*)?$")`
        : `type(${v}) == string && ${v}.re2Match(r"^\\s*(sudo\\s+)?${reEscape(c.program)}(\\s|$)")`;
    case 'num':
      return c.hi === 0
        ? `type(${v}) in [int, uint, double] && double(${v}) == 0.0`
        : `type(${v}) in [int, uint, double] && double(${v}) >= ${numLiteral(c.lo)} && double(${v}) < ${numLiteral(c.hi)}`;
    case 'bool':
      return `type(${v}) == bool && ${v} == ${c.value}`;
    case 'list':
      return undefined;
    case 'other':
      return undefined;
  }
}

function argRef(name: string): string {
  return `args[${celString(name)}]`;
}

/**
 * The condition of a rule for a group. Deny rules test only the classes that
 * say where the effect lands (any other argument may be anything); allow
 * rules also pin the argument names, so that a call with an extra argument
 * the judge never saw is not waved through.
 */
export function shapeCondition(shape: Shape, mode: 'deny' | 'allow'): string | undefined {
  const parts: string[] = [];
  if (mode === 'allow') parts.push(`args.all(k, k in [${[...shape.keys()].map(celString).join(', ')}])`);
  for (const [name, c] of shape) {
    const ref = argRef(name);
    if (c.kind === 'list' && c.item !== null) {
      const inner = valuePredicate('x', c.item, mode === 'allow');
      if (inner === undefined) continue;
      parts.push(
        mode === 'deny'
          ? `${celString(name)} in args && type(${ref}) == list && ${ref}.exists(x, ${inner})`
          : `${celString(name)} in args && type(${ref}) == list && size(${ref}) > 0 && ${ref}.all(x, ${inner})`,
      );
      continue;
    }
    const p = valuePredicate(ref, c, mode === 'allow');
    if (p !== undefined) parts.push(`${celString(name)} in args && ${p}`);
    else if (mode === 'allow') parts.push(`${celString(name)} in args`);
  }
  return parts.length === 0 ? undefined : parts.join(' && ');
}

/**
 * Argument constraints an allow rule carries for its group, as a second line
 * of defence behind the condition: `within` catches what `startsWith` cannot
 * (`..`), `domain` parses addresses and URLs properly.
 */
export function shapeBoundary(shape: Shape): Record<string, ArgConstraintSpec> {
  const out: Record<string, ArgConstraintSpec> = {};
  for (const [name, c] of shape) {
    const item = c.kind === 'list' ? c.item : c;
    if (item === null) continue;
    if (item.kind === 'dir' && item.dir !== '/') out[name] = { within: [item.dir] };
    else if (item.kind === 'email') out[name] = { domain: [item.domain] };
    else if (item.kind === 'url') out[name] = { domain: [item.host] };
  }
  return out;
}
