import { RE2JS } from 're2js';
import { POLICY_LIMITS } from './schema.js';

/**
 * Admission of regular expressions written in policies (argument `pattern`
 * constraints and CEL `re2Match`). Everything runs on RE2 (linear time), which
 * already refuses backreferences and lookaround. On top of that we refuse
 * nested unbounded repetition such as `(a+)+`: RE2 runs it safely, but the same
 * pattern reaches other engines too (editors validating against the JSON
 * Schema, tool authors copying the boundary), where it backtracks
 * catastrophically — and it is almost always a mistake for a flat pattern.
 */

/** RE2 program size above which a pattern is refused (a pattern this large is not a policy). */
const MAX_PROGRAM_SIZE = 10_000;

export type PatternAdmission = { readonly ok: true; readonly re: RE2JS } | { readonly ok: false; readonly reason: string };

interface GroupFrame {
  /** The group holds a quantifier that may repeat without bound. */
  unbounded: boolean;
}

/** Reads a quantifier at `i`; returns its length and whether it can repeat more than once. */
function quantifierAt(p: string, i: number): { len: number; repeats: boolean; unbounded: boolean } | undefined {
  const c = p[i];
  let len = 0;
  let repeats = false;
  let unbounded = false;
  if (c === '*' || c === '+') {
    len = 1;
    repeats = true;
    unbounded = true;
  } else if (c === '?') {
    len = 1;
  } else if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i, i + 16));
    if (!m) return undefined;
    len = m[0].length;
    const lo = Number(m[1]);
    const hasComma = m[2] !== undefined;
    const hi = hasComma ? (m[3] === '' ? Infinity : Number(m[3])) : lo;
    repeats = hi > 1;
    unbounded = hi === Infinity;
  } else {
    return undefined;
  }
  if (p[i + len] === '?' || p[i + len] === '+') len += 1; // lazy / possessive marker
  return { len, repeats, unbounded };
}

/** Index just past a character class starting at `i` (`[`), honouring escapes and POSIX classes. */
function skipClass(p: string, i: number): number {
  let j = i + 1;
  if (p[j] === '^') j++;
  if (p[j] === ']') j++;
  while (j < p.length && p[j] !== ']') {
    if (p[j] === '\\') j += 2;
    else if (p[j] === '[' && p[j + 1] === ':') {
      const close = p.indexOf(':]', j + 2);
      j = close === -1 ? j + 1 : close + 2;
    } else j++;
  }
  return j + 1;
}

/** Index just past an escape starting at `i` (`\`), including `\p{…}`, `\x{…}`. */
function skipEscape(p: string, i: number): number {
  const c = p[i + 1];
  if ((c === 'p' || c === 'P' || c === 'x') && p[i + 2] === '{') {
    const close = p.indexOf('}', i + 3);
    return close === -1 ? p.length : close + 1;
  }
  if (c === 'Q') {
    const close = p.indexOf('\\E', i + 2);
    return close === -1 ? p.length : close + 2;
  }
  return i + 2;
}

/**
 * Finds a repeated group that contains an unbounded repetition (`(a+)+`,
 * `(x*y)*`, `(\w+\s?){2,}`). Returns the offending group's text, or undefined.
 */
export function nestedRepetition(p: string): string | undefined {
  const stack: { frame: GroupFrame; start: number }[] = [{ frame: { unbounded: false }, start: 0 }];
  let i = 0;
  while (i < p.length) {
    const c = p[i];
    let atomEnd: number;
    let inner: GroupFrame | undefined;
    let groupStart = i;
    if (c === '\\') atomEnd = skipEscape(p, i);
    else if (c === '[') atomEnd = skipClass(p, i);
    else if (c === '(') {
      stack.push({ frame: { unbounded: false }, start: i });
      i++;
      continue;
    } else if (c === ')') {
      const top = stack.length > 1 ? stack.pop() : undefined;
      inner = top?.frame;
      groupStart = top?.start ?? i;
      atomEnd = i + 1;
    } else if (c === '|') {
      i++;
      continue;
    } else atomEnd = i + 1;
    const q = quantifierAt(p, atomEnd);
    const current = stack[stack.length - 1]!.frame;
    if (inner?.unbounded) {
      if (q?.repeats) return p.slice(groupStart, atomEnd + q.len);
      current.unbounded = true;
    }
    if (q?.unbounded) current.unbounded = true;
    i = atomEnd + (q?.len ?? 0);
  }
  return undefined;
}

/** Compiles a policy pattern with RE2 after the safety checks; never throws. */
export function admitPattern(pattern: string): PatternAdmission {
  if (pattern.length > POLICY_LIMITS.patternLength) {
    return { ok: false, reason: `pattern is longer than ${POLICY_LIMITS.patternLength} characters` };
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { ok: false, reason: `pattern is not accepted by the linear-time engine (RE2): ${msg}` };
  }
  const nested = nestedRepetition(pattern);
  if (nested !== undefined) {
    return {
      ok: false,
      reason: `pattern repeats a group that itself repeats without bound (${nested}); such patterns backtrack catastrophically in other engines — write it without the nested repetition`,
    };
  }
  if (re.matcher('').programSize() > MAX_PROGRAM_SIZE) {
    return { ok: false, reason: `pattern compiles to more than ${MAX_PROGRAM_SIZE} instructions` };
  }
  return { ok: true, re };
}
