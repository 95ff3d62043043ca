import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clampArgs, clampNarrowing, intersectBoundaries, isNarrowing, violations } from '../../src/scope/algebra.js';
import type { ArgConstraint, Boundary, Grant, Narrowing, ScopeContext, Violation } from '../../src/scope/types.js';
import { isPathWithin } from '../../src/scope/path.js';
import { deepEqual, locate, splitPath, valueAt } from '../../src/scope/values.js';

const RUNS = { numRuns: 3000 };

const TASK_VALUES = new Set(['bob@example.com', '/w/a', '5', 'a', 'urgent']);
const ctx: ScopeContext = { inTask: (v) => TASK_VALUES.has(v) };

const SCOPES = ['r', 'w', 'x', 'admin'];
// A small world: few paths and values drawn from the same pools as the
// constraints' parameters, so that boundaries, calls and proposals collide often.
const ARG_PATHS = ['p', 'n', 'l', 'o', 'o.n'];

const STRINGS = ['a', 'b', 'urgent', '/w', '/w/a', '/w/a/b', '/w2', '/x', '/', '/w/../x', 'w/a', '/w/a\\b', '~/.ssh', '/w/%2e%2e', 'bob@example.com', 'eve@evil.net', 'https://example.com/x', 'https://example.com@evil.net', '5', ''];
const NUMBERS = [-5, 0, -0, 1, 2.5, 5, 10, 50, 100, 150, Number.NaN, Number.POSITIVE_INFINITY];
const scalar = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...STRINGS) },
  { weight: 5, arbitrary: fc.constantFrom(...NUMBERS) },
  { weight: 1, arbitrary: fc.oneof(fc.boolean(), fc.constant(null)) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 4 }), fc.double()) },
);
const list = fc.array(scalar, { maxLength: 3 });
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 2, arbitrary: list },
  { weight: 1, arbitrary: fc.record({ n: scalar }, { requiredKeys: [] }) },
);

const args = fc.record(
  {
    p: value,
    n: value,
    l: value,
    o: fc.oneof({ weight: 3, arbitrary: fc.record({ n: fc.oneof(scalar, list), q: scalar }, { requiredKeys: [] }) }, { weight: 1, arbitrary: value }),
    'o.n': value,
  },
  { requiredKeys: [] },
) as fc.Arbitrary<Record<string, unknown>>;

const bound = fc.constantFrom(-5, 0, 1, 5, 10, 50, 100, Number.NaN);
const range = fc.record({ min: bound, max: bound }, { requiredKeys: [] }).map((r) => ({ kind: 'range', ...r }) as const);
const BY_KIND: Record<ArgConstraint['kind'], fc.Arbitrary<ArgConstraint>> = {
  within: fc.subarray(['/w', '/w/a', '/x', '/', 'w']).map((roots) => ({ kind: 'within', roots }) as const),
  prefix: fc.subarray(['/w', 'b', 'https://', '']).map((prefixes) => ({ kind: 'prefix', prefixes }) as const),
  oneOf: fc.subarray<string | number | boolean | null>(['a', 'b', '/w/a', '/w/a/b', 5, 10, 50, 0, null, true]).map((values) => ({ kind: 'oneOf', values }) as const),
  pattern: fc.constantFrom('[a-z]+', '/w.*', '.*@example\\.com', '[0-9]+', '').map((pattern) => ({ kind: 'pattern', pattern }) as const),
  range,
  maxLength: fc.integer({ min: 0, max: 3 }).map((max) => ({ kind: 'maxLength', max }) as const),
  domain: fc.subarray(['example.com', 'evil.net']).map((domains) => ({ kind: 'domain', domains }) as const),
  fromTask: fc.constant({ kind: 'fromTask' } as const),
  absent: fc.constant({ kind: 'absent' } as const),
};
// Ranges twice: they are the one constraint that clamps.
const constraint: fc.Arbitrary<ArgConstraint> = fc.oneof(...Object.values(BY_KIND), range);
const boundary: fc.Arbitrary<Boundary> = fc.record({
  scopes: fc.subarray(SCOPES),
  args: fc.dictionary(fc.constantFrom(...ARG_PATHS), fc.array(constraint, { minLength: 1, maxLength: 3 }), { maxKeys: 3 }),
});
const grant: fc.Arbitrary<Grant> = fc.record({ scopes: fc.subarray(SCOPES), args });

/** Two boundaries, usually constraining the same paths (independent ones rarely collide). */
const boundaryPair: fc.Arbitrary<[Boundary, Boundary]> = fc.oneof(
  fc.tuple(boundary, boundary),
  fc.tuple(boundary, fc.subarray(SCOPES), fc.array(fc.array(constraint, { minLength: 1, maxLength: 2 }), { minLength: 3, maxLength: 3 })).map(
    ([a, scopes, lists]): [Boundary, Boundary] => [a, { scopes, args: Object.fromEntries(Object.keys(a.args).map((k, i) => [k, lists[i]!])) }],
  ),
  // The same paths and kinds, with other parameters: where merging has to be exact.
  boundary.chain((a) =>
    fc
      .tuple(
        fc.subarray(SCOPES),
        fc.tuple(...Object.keys(a.args).map((k) => fc.tuple(fc.constant(k), fc.tuple(...(a.args[k] ?? []).map((c) => BY_KIND[c.kind]))))),
      )
      .map(([scopes, entries]): [Boundary, Boundary] => [a, { scopes, args: Object.fromEntries(entries) }]),
  ),
);

/** A proposal value is either free, or derived from the current value by one of a few edits (some narrowings, some not). */
interface Derive {
  readonly derive: number;
}
const proposal = fc.record(
  {
    scopes: fc.subarray([...SCOPES, 'zz']),
    args: fc.dictionary(
      fc.constantFrom(...ARG_PATHS, 'new', 'l.0'),
      fc.oneof({ weight: 1, arbitrary: value }, { weight: 3, arbitrary: fc.integer({ min: 0, max: 5 }).map((derive): Derive => ({ derive })) }),
      { maxKeys: 3 },
    ),
  },
  { requiredKeys: [] },
);

function derived(current: unknown, how: number): unknown {
  if (typeof current === 'number') return [current / 2, current * 1.5, -current, 0, current - 1, current + 1][how];
  if (typeof current === 'string') return [`${current}/sub`, `${current}/../x`, current.slice(0, current.lastIndexOf('/')), `${current}x`, `${current}/a`, current][how];
  if (Array.isArray(current)) return [current.slice(1), [...current, 'b'], [...current].reverse(), [], current.slice(0, 1), [5]][how];
  if (current !== null && typeof current === 'object') {
    const o = current as Record<string, unknown>;
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, derived(v, how)]));
  }
  return [current, !current, null, 'x', current, 1][how];
}

function isDerive(v: unknown): v is Derive {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as Derive).derive === 'number';
}

function realise(p: { scopes?: string[]; args?: Record<string, unknown> }, base: Grant): Narrowing {
  if (!p.args) return p;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p.args)) {
    if (!isDerive(v)) {
      out[k] = v;
      continue;
    }
    const loc = locate(base.args as Record<string, unknown>, splitPath(k)!)[0];
    out[k] = loc ? derived(valueAt(loc), v.derive) : 1;
  }
  return { ...p, args: out };
}

/**
 * An independent statement of "narrowing" (the spec, written plainly), so that
 * the properties do not grade the implementation with itself.
 */
function oracleNarrowing(wider: unknown, narrower: unknown): boolean {
  if (deepEqual(wider, narrower)) return true;
  if (typeof wider === 'string' && typeof narrower === 'string') {
    return (wider.startsWith('/') || wider.includes('/')) && isPathWithin(narrower, wider).ok;
  }
  if (typeof wider === 'number' && typeof narrower === 'number') {
    if (!Number.isFinite(wider) || !Number.isFinite(narrower)) return false;
    const sameSign = (wider > 0 && narrower > 0) || (wider < 0 && narrower < 0) || (wider === 0 && narrower === 0);
    return sameSign && Math.abs(narrower) <= Math.abs(wider);
  }
  if (Array.isArray(wider) && Array.isArray(narrower)) {
    const pool = [...wider];
    for (const item of narrower) {
      const i = pool.findIndex((w) => deepEqual(w, item));
      if (i < 0) return false;
      pool.splice(i, 1);
    }
    return true;
  }
  if (wider !== null && narrower !== null && typeof wider === 'object' && typeof narrower === 'object' && !Array.isArray(wider) && !Array.isArray(narrower)) {
    const w = wider as Record<string, unknown>;
    const n = narrower as Record<string, unknown>;
    const wk = Object.keys(w).sort();
    const nk = Object.keys(n).sort();
    return wk.length === nk.length && wk.every((k, i) => k === nk[i] && oracleNarrowing(w[k], n[k]));
  }
  return false;
}

/** The boundary path a violation belongs to (`tags.2` → `tags`). */
function boundaryPathsViolated(found: readonly Violation[], b: Boundary): Set<string> {
  const out = new Set<string>();
  for (const v of found) {
    if (v.constraint === 'scope') continue;
    for (const bp of Object.keys(b.args)) {
      if (v.arg === bp || new RegExp(`^${bp.replace('.', '\\.')}\\.\\d+$`).test(v.arg)) out.add(bp);
    }
  }
  return out;
}

describe('clampNarrowing properties', () => {
  it('never grants a scope outside base ∩ boundary', () => {
    fc.assert(
      fc.property(grant, proposal, boundary, (base, p, b) => {
        const r = clampNarrowing(base, realise(p, base), b, ctx);
        for (const s of r.grant.scopes) {
          expect(base.scopes).toContain(s);
          expect(b.scopes).toContain(s);
        }
      }),
      RUNS,
    );
  });

  it('never puts an argument outside the boundary that base did not already violate', () => {
    fc.assert(
      fc.property(grant, proposal, boundary, (base, p, b) => {
        const r = clampNarrowing(base, realise(p, base), b, ctx);
        const before = boundaryPathsViolated(violations({ scopes: [], args: base.args }, b, ctx), b);
        const after = boundaryPathsViolated(violations({ scopes: [], args: r.grant.args }, b, ctx), b);
        for (const bp of after) expect(before).toContain(bp);
      }),
      RUNS,
    );
  });

  it('only ever holds narrowings of the base values, with the same arguments', () => {
    fc.assert(
      fc.property(grant, proposal, boundary, (base, p, b) => {
        const r = clampNarrowing(base, realise(p, base), b, ctx);
        expect(Object.keys(r.grant.args).sort()).toEqual(Object.keys(base.args).sort());
        for (const k of Object.keys(base.args)) {
          expect(oracleNarrowing(base.args[k], r.grant.args[k])).toBe(true);
        }
        expect(r.narrowed).toBe(!deepEqual(r.grant.args, base.args) || r.grant.scopes.length !== new Set(base.scopes).size);
      }),
      RUNS,
    );
  });

  it('accepts derived narrowings often enough for the properties above to mean something', () => {
    let accepted = 0;
    let outside = 0;
    fc.assert(
      fc.property(grant, proposal, boundary, (base, p, b) => {
        const r = clampNarrowing(base, realise(p, base), b, ctx);
        if (r.narrowed) accepted++;
        if (r.refused.some((v) => v.constraint !== 'narrowing' && v.constraint !== 'scope')) outside++;
      }),
      RUNS,
    );
    expect(accepted).toBeGreaterThan(RUNS.numRuns / 20);
    expect(outside).toBeGreaterThan(RUNS.numRuns / 50);
  });
});

describe('isNarrowing properties', () => {
  it('agrees with the plain statement of the rules', () => {
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 5 }), value, fc.boolean(), (wider, how, other, useDerived) => {
        const narrower = useDerived ? derived(wider, how) : other;
        expect(isNarrowing(wider, narrower)).toBe(oracleNarrowing(wider, narrower));
      }),
      RUNS,
    );
  });

  it('is reflexive', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(isNarrowing(v, structuredClone(v))).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('clampArgs properties', () => {
  it('output always satisfies every range max, and its violations are those of the output', () => {
    fc.assert(
      fc.property(args, boundary, (a, b) => {
        const r = clampArgs(a, b, ctx);
        for (const [bp, cs] of Object.entries(b.args)) {
          const maxes = cs.flatMap((c) => (c.kind === 'range' && c.max !== undefined && !Number.isNaN(c.max) ? [c.max] : []));
          if (maxes.length === 0) continue;
          const max = Math.min(...maxes);
          for (const loc of locate(r.args, splitPath(bp)!)) {
            const v = valueAt(loc);
            for (const item of Array.isArray(v) ? v : [v]) {
              if (typeof item === 'number' && Number.isFinite(item)) expect(item).toBeLessThanOrEqual(max);
            }
          }
        }
        expect(r.violations).toEqual(violations({ scopes: [], args: r.args }, b, ctx));
      }),
      RUNS,
    );
  });

  it('changes nothing but the clamped paths, and never the input', () => {
    fc.assert(
      fc.property(args, boundary, (a, b) => {
        const snapshot = structuredClone(a);
        const r = clampArgs(a, b, ctx);
        expect(deepEqual(a, snapshot)).toBe(true);
        if (r.changed.length === 0) expect(deepEqual(r.args, a)).toBe(true);
        for (const k of Object.keys(a)) {
          const touched = r.changed.some((c) => c === k || c.startsWith(`${k}.`) || k.startsWith(`${c}.`));
          if (!touched) expect(deepEqual(r.args[k], a[k])).toBe(true);
        }
      }),
      RUNS,
    );
  });
});

describe('intersectBoundaries properties', () => {
  it('holds exactly when both sides hold, whichever way round', () => {
    fc.assert(
      fc.property(boundaryPair, grant, ([a, b], g) => {
        const ab = intersectBoundaries(a, b);
        const ba = intersectBoundaries(b, a);
        const inA = violations(g, a, ctx).length === 0;
        const inB = violations(g, b, ctx).length === 0;
        expect(violations(g, ab, ctx).length === 0).toBe(inA && inB);
        expect(violations(g, ba, ctx).length === 0).toBe(inA && inB);
        // Path by path, too: a path of a ∩ b is violated exactly when it is violated in a or in b.
        const abPaths = boundaryPathsViolated(violations(g, ab, ctx), ab);
        const union = new Set([...boundaryPathsViolated(violations(g, a, ctx), a), ...boundaryPathsViolated(violations(g, b, ctx), b)]);
        expect([...abPaths].sort()).toEqual([...union].sort());
        expect([...ab.scopes].sort()).toEqual([...ba.scopes].sort());
      }),
      RUNS,
    );
  });

  it('clamps like applying both sides in turn, in either order', () => {
    fc.assert(
      fc.property(boundaryPair, args, ([a, b], g) => {
        const viaAb = clampArgs(g, intersectBoundaries(a, b), ctx).args;
        const viaBa = clampArgs(g, intersectBoundaries(b, a), ctx).args;
        const inTurn = clampArgs(clampArgs(g, a, ctx).args, b, ctx).args;
        expect(deepEqual(viaAb, viaBa)).toBe(true);
        expect(deepEqual(viaAb, inTurn)).toBe(true);
      }),
      RUNS,
    );
  });

  it('is never wider than either side', () => {
    fc.assert(
      fc.property(boundaryPair, grant, ([a, b], g) => {
        const ab = intersectBoundaries(a, b);
        if (violations(g, ab, ctx).length === 0) {
          expect(violations(g, a, ctx)).toEqual([]);
          expect(violations(g, b, ctx)).toEqual([]);
        }
        for (const s of ab.scopes) {
          expect(a.scopes).toContain(s);
          expect(b.scopes).toContain(s);
        }
      }),
      RUNS,
    );
  });
});
