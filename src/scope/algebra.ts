import { IntentguardError } from '../errors.js';
import { checkValue } from './constraints.js';
import { isPathLike, isPathWithin } from './path.js';
import type { ArgConstraint, Boundary, Grant, Narrowing, ScopeContext, Scalar, Violation } from './types.js';
import {
  MAX_DEPTH,
  copyArgs,
  copyJson,
  deepEqual,
  isPlainObject,
  locate,
  setOwn,
  setPath,
  splitPath,
  stableKey,
  valueAt,
} from './values.js';

/**
 * The grant algebra. Everything here is pure and total over hostile input:
 * malformed values give Violations (or, for arguments that are not JSON data at
 * all, an IG_INPUT_INVALID error), never a wider grant.
 *
 * An argument path the call does not carry is not checked (except by `absent`):
 * the boundary constrains what is sent, and a missing optional argument is the
 * tool's default.
 */

function dedupe(items: readonly string[]): string[] {
  return [...new Set(items)];
}

function constraintKey(c: ArgConstraint): string {
  return stableKey(c);
}

/** Merges the constraints of one path; the result holds exactly when all inputs hold. */
function mergeConstraints(list: readonly ArgConstraint[]): ArgConstraint[] {
  const out: ArgConstraint[] = [];
  const seen = new Set<string>();
  let range: { min?: number; max?: number } | undefined;
  let rangeAt = -1;
  let maxLength: number | undefined;
  let maxLengthAt = -1;
  let oneOf: Scalar[] | undefined;
  let oneOfAt = -1;
  const pushUnique = (c: ArgConstraint): void => {
    const key = constraintKey(c);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(c);
    }
  };
  for (const c of list) {
    switch (c.kind) {
      case 'range': {
        // A NaN bound can never hold; keep it apart so the merged bound stays exact.
        if (Number.isNaN(c.min) || Number.isNaN(c.max)) {
          pushUnique(c);
          break;
        }
        const r: { min?: number; max?: number } = range ?? {};
        if (c.min !== undefined) r.min = r.min === undefined ? c.min : Math.max(r.min, c.min);
        if (c.max !== undefined) r.max = r.max === undefined ? c.max : Math.min(r.max, c.max);
        if (range === undefined) {
          rangeAt = out.length;
          out.push(c);
        }
        range = r;
        break;
      }
      case 'maxLength':
        if (maxLength === undefined) {
          maxLengthAt = out.length;
          out.push(c);
        }
        maxLength = maxLength === undefined ? c.max : Math.min(maxLength, c.max);
        break;
      case 'oneOf':
        if (oneOf === undefined) {
          oneOfAt = out.length;
          out.push(c);
          oneOf = [...c.values];
        } else {
          oneOf = oneOf.filter((v) => c.values.some((w) => w === v));
        }
        break;
      default:
        pushUnique(c);
    }
  }
  if (range !== undefined) out[rangeAt] = { kind: 'range', ...range };
  if (maxLength !== undefined) out[maxLengthAt] = { kind: 'maxLength', max: maxLength };
  if (oneOf !== undefined) out[oneOfAt] = { kind: 'oneOf', values: oneOf };
  return out;
}

/**
 * The boundary that holds exactly when both hold: scopes in both, and for
 * every argument path the constraints of both sides (ranges, length limits and
 * value lists merged, duplicates dropped). Commutative in effect.
 */
export function intersectBoundaries(a: Boundary, b: Boundary): Boundary {
  const bScopes = new Set(b.scopes);
  const scopes = dedupe(a.scopes.filter((s) => bScopes.has(s)));
  const args: Record<string, readonly ArgConstraint[]> = {};
  const paths = dedupe([...Object.keys(a.args), ...Object.keys(b.args)]);
  for (const path of paths) {
    const merged = mergeConstraints([...(Object.hasOwn(a.args, path) ? (a.args[path] ?? []) : []), ...(Object.hasOwn(b.args, path) ? (b.args[path] ?? []) : [])]);
    setOwn(args, path, Object.freeze(merged));
  }
  return Object.freeze({ scopes: Object.freeze(scopes), args: Object.freeze(args) });
}

function malformedPath(path: string, constraints: readonly ArgConstraint[]): Violation {
  return { arg: path, constraint: constraints[0]?.kind ?? 'absent', message: `${path} is not an argument path the boundary can check` };
}

function checkArgs(args: Record<string, unknown>, boundary: Boundary, ctx: ScopeContext, clamp: boolean, only?: (path: string) => boolean) {
  const changed = new Set<string>();
  const found: Violation[] = [];
  for (const path of Object.keys(boundary.args)) {
    if (only && !only(path)) continue;
    const constraints = boundary.args[path] ?? [];
    if (constraints.length === 0) continue;
    const segments = splitPath(path);
    if (!segments) {
      found.push(malformedPath(path, constraints));
      continue;
    }
    for (const loc of locate(args, segments)) {
      const value = valueAt(loc);
      if (value === undefined) continue;
      const r = checkValue(path, value, constraints, ctx, clamp);
      if (r.clamped) {
        setOwn(loc.parent, loc.key, r.value);
        changed.add(path);
      }
      found.push(...r.violations);
    }
  }
  return { changed: [...changed], violations: found };
}

/**
 * Checks args against the boundary; numbers above a `range.max` are clamped down (a narrowing), everything
 * else that violates is reported. Never widens; returns a new object. `changed` lists arg paths whose value changed.
 * @throws IntentguardError IG_INPUT_INVALID when `args` is not JSON data (or nests too deeply).
 */
export function clampArgs(
  args: Readonly<Record<string, unknown>>,
  boundary: Boundary,
  ctx: ScopeContext,
): { args: Record<string, unknown>; changed: string[]; violations: Violation[] } {
  const out = copyArgs(args);
  // Clamp everything first, then check the final values, so that a violation
  // always describes the arguments as returned.
  const { changed } = checkArgs(out, boundary, ctx, true);
  return { args: out, changed, violations: checkArgs(out, boundary, ctx, false).violations };
}

/** Every violation of `grant` against `boundary` (empty = inside). No clamping: a number above `range.max` is a violation here. */
export function violations(grant: Grant, boundary: Boundary, ctx: ScopeContext): Violation[] {
  const allowed = new Set(boundary.scopes);
  const out: Violation[] = [];
  for (const s of dedupe(grant.scopes)) {
    if (!allowed.has(s)) out.push({ arg: 'scopes', constraint: 'scope', message: `scope ${s} is outside the boundary` });
  }
  const args = isPlainObject(grant.args) ? (grant.args as Record<string, unknown>) : {};
  out.push(...checkArgs(args, boundary, ctx, false).violations);
  return out;
}

/** Whether one dotted path lies inside the other (or they are equal). */
function related(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
}

// A judge must not reach into object plumbing, even though setOwn would store these safely.
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

function refusal(arg: string, message: string, constraint: Violation['constraint'] = 'narrowing'): Violation {
  return { arg, constraint, message: `narrowing of ${arg} refused: ${message}` };
}

/**
 * Clamps a judge's proposed narrowing to the boundary and to the call as requested: scopes → proposal ∩ base
 * scopes; each proposed arg must be a narrowing of the current value AND satisfy the boundary,
 * otherwise it is refused (kept at the current value) with a Violation. Adding an arg that was absent or
 * removing one is refused. The result never grants more than `base`.
 *
 * Scopes outside the boundary are dropped even when `base` carried them.
 * Proposed paths that overlap (`opts` and `opts.limit`) or that reach into a
 * list item are refused: a list is narrowed by proposing a subset of it.
 * @throws IntentguardError IG_INPUT_INVALID when `base.args` is not JSON data.
 */
export function clampNarrowing(
  base: Grant,
  proposal: Narrowing,
  boundary: Boundary,
  ctx: ScopeContext,
): { grant: Grant; narrowed: boolean; refused: Violation[] } {
  const refused: Violation[] = [];
  const inBoundary = new Set(boundary.scopes);
  const inBase = new Set(base.scopes);

  let scopes: string[];
  const proposedScopes: unknown = proposal.scopes;
  if (proposedScopes === undefined) {
    scopes = dedupe(base.scopes).filter((s) => inBoundary.has(s));
  } else if (!Array.isArray(proposedScopes)) {
    refused.push(refusal('scopes', 'proposed scopes are not a list', 'scope'));
    scopes = dedupe(base.scopes).filter((s) => inBoundary.has(s));
  } else {
    scopes = [];
    for (const s of proposedScopes as unknown[]) {
      if (typeof s !== 'string') refused.push(refusal('scopes', 'a proposed scope is not a string', 'scope'));
      else if (!inBase.has(s)) refused.push(refusal('scopes', `scope ${s} was not part of the call's grant`, 'scope'));
      else if (!inBoundary.has(s)) refused.push(refusal('scopes', `scope ${s} is outside the boundary`, 'scope'));
      else if (!scopes.includes(s)) scopes.push(s);
    }
  }

  let args = copyArgs(base.args);
  const proposedArgs: unknown = proposal.args;
  if (proposedArgs !== undefined && !isPlainObject(proposedArgs)) {
    refused.push(refusal('args', 'proposed arguments are not an object'));
  } else if (proposedArgs !== undefined) {
    const paths = Object.keys(proposedArgs);
    for (const path of paths) {
      const segments = splitPath(path);
      if (!segments || segments.some((s) => FORBIDDEN_SEGMENTS.has(s))) {
        refused.push(refusal(path, 'not a valid argument path'));
        continue;
      }
      if (paths.some((other) => other !== path && related(other, path))) {
        refused.push(refusal(path, 'it overlaps another proposed path'));
        continue;
      }
      let value: unknown;
      try {
        value = copyJson(proposedArgs[path]);
      } catch {
        refused.push(refusal(path, 'the proposed value is not JSON data'));
        continue;
      }
      const locations = locate(args, segments).filter((loc) => valueAt(loc) !== undefined);
      if (locations.length === 0) {
        refused.push(refusal(path, 'the call did not have this argument, and adding one is not a narrowing'));
        continue;
      }
      if (value === undefined) {
        refused.push(refusal(path, 'removing an argument is not a narrowing (the tool default may be wider)'));
        continue;
      }
      if (locations.some((loc) => loc.viaArray)) {
        refused.push(refusal(path, 'list items cannot be replaced one by one; propose the whole list (a subset of it)'));
        continue;
      }
      const why = locations.map((loc) => narrowingFailure(valueAt(loc), value, 0)).find((w) => w !== undefined);
      if (why !== undefined) {
        refused.push(refusal(path, why));
        continue;
      }
      const candidate = copyArgs(args);
      setPath(candidate, segments, value);
      const outside = checkArgs(candidate, boundary, ctx, false, (bp) => related(bp, path)).violations;
      if (outside.length > 0) {
        const first = outside[0] as Violation;
        refused.push(refusal(path, `the proposed value is outside the boundary (${first.message})`, first.constraint));
        continue;
      }
      args = candidate;
    }
  }

  const narrowed = scopes.length !== dedupe(base.scopes).length || !deepEqual(args, base.args);
  return { grant: { scopes, args }, narrowed, refused };
}

/** Sets values by dotted path on a deep copy. @throws IntentguardError IG_INPUT_INVALID for non-JSON data or a path that cannot be set. */
export function applyNarrowedArgs(args: Readonly<Record<string, unknown>>, narrowed: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out = copyArgs(args);
  for (const path of Object.keys(narrowed)) {
    const segments = splitPath(path);
    if (!segments || segments.some((s) => FORBIDDEN_SEGMENTS.has(s))) {
      throw new IntentguardError('IG_INPUT_INVALID', `narrowed argument path ${JSON.stringify(path)} is not valid`);
    }
    setPath(out, segments, narrowed[path]);
  }
  return out;
}

/** Whether `narrower` is a narrowing of `wider` for one value. */
export function isNarrowing(wider: unknown, narrower: unknown): boolean {
  return narrowingFailure(wider, narrower, 0) === undefined;
}

/** Why `narrower` is not a narrowing of `wider`, or undefined when it is. */
export function narrowingFailure(wider: unknown, narrower: unknown, depth = 0): string | undefined {
  if (deepEqual(wider, narrower)) return undefined;
  if (depth >= MAX_DEPTH) return 'the value nests too deeply to compare';
  if (typeof wider !== typeof narrower || Array.isArray(wider) !== Array.isArray(narrower) || (wider === null) !== (narrower === null)) {
    return 'the new value has another type than the current one';
  }
  if (typeof wider === 'string' && typeof narrower === 'string') {
    if (!isPathLike(wider)) {
      return 'a text that is not a path can only be kept as it is: another text is not provably narrower, it may mean something else entirely';
    }
    const r = isPathWithin(narrower, wider);
    return r.ok ? undefined : `the new path is not within the current one (${r.reason})`;
  }
  if (typeof wider === 'number' && typeof narrower === 'number') {
    const ok = Number.isFinite(wider) && Number.isFinite(narrower) && Math.sign(wider) === Math.sign(narrower) && Math.abs(narrower) <= Math.abs(wider);
    return ok ? undefined : 'a number is narrower only with the same sign and no larger magnitude';
  }
  if (Array.isArray(wider) && Array.isArray(narrower)) {
    if (narrower.length > wider.length) return 'the new list is longer than the current one';
    const counts = new Map<string, number>();
    for (const item of wider) {
      const k = stableKey(item);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    for (const item of narrower) {
      const k = stableKey(item);
      const n = counts.get(k) ?? 0;
      if (n === 0) return 'the new list has an item the current one does not (a narrower list is a subset)';
      counts.set(k, n - 1);
    }
    return undefined;
  }
  if (isPlainObject(wider) && isPlainObject(narrower)) {
    const wk = Object.keys(wider).filter((k) => wider[k] !== undefined);
    const nk = Object.keys(narrower).filter((k) => narrower[k] !== undefined);
    if (wk.length !== nk.length || !wk.every((k) => Object.hasOwn(narrower, k) && narrower[k] !== undefined)) {
      return 'an object is narrower only with the same keys';
    }
    for (const k of wk) {
      const why = narrowingFailure(wider[k], narrower[k], depth + 1);
      if (why !== undefined) return `${k}: ${why}`;
    }
    return undefined;
  }
  return 'a boolean or null can only be kept as it is';
}
