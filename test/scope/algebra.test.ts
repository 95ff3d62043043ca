import { describe, expect, it } from 'vitest';
import {
  applyNarrowedArgs,
  clampArgs,
  clampNarrowing,
  intersectBoundaries,
  isNarrowing,
  narrowingFailure,
  violations,
} from '../../src/scope/algebra.js';
import type { Boundary, Grant, ScopeContext } from '../../src/scope/types.js';
import { IntentguardError } from '../../src/errors.js';

const ctx: ScopeContext = { inTask: (v) => 'read the docs folder and mail bob@example.com'.includes(v) };

describe('isNarrowing', () => {
  it.each<[string, unknown, unknown, boolean]>([
    ['equal values', { a: [1, 'x'] }, { a: [1, 'x'] }, true],
    ['path within path', '/workspace', '/workspace/docs/a.md', true],
    ['relative path within', 'src/lib', 'src/lib/a.ts', true],
    ['a bare word is not path-like', 'src', 'src/a.ts', false],
    ['path escape', '/workspace', '/workspace/../etc', false],
    ['sibling with common prefix', '/workspace', '/workspace2', false],
    ['path widened', '/workspace/docs', '/workspace', false],
    ['URL sub-path', 'https://example.com/a', 'https://example.com/a/b', true],
    ['URL other host', 'https://example.com/a', 'https://evil.net/a', false],
    ['number smaller', 100, 10, true],
    ['number equal', 100, 100, true],
    ['number larger', 100, 101, false],
    ['negative smaller magnitude', -100, -5, true],
    ['sign flip', 100, -1, false],
    ['zero is not a narrowing of a positive number', 100, 0, false],
    ['NaN is a narrowing only of NaN', Number.NaN, Number.NaN, true],
    ['Infinity to finite', Number.POSITIVE_INFINITY, 5, false],
    ['subset list', ['a', 'b', 'c'], ['c', 'a'], true],
    ['multiset respected', ['a', 'b'], ['a', 'a'], false],
    ['multiset subset with repeats', ['a', 'a', 'b'], ['a', 'a'], true],
    ['empty list', ['a'], [], true],
    ['list with a new item', ['a'], ['b'], false],
    ['list of objects', [{ id: 1 }, { id: 2 }], [{ id: 2 }], true],
    ['object key-wise', { limit: 50, path: '/w' }, { path: '/w/x', limit: 5 }, true],
    ['object with a key removed', { limit: 50, path: '/w' }, { limit: 5 }, false],
    ['object with a key added', { limit: 50 }, { limit: 5, force: true }, false],
    ['object with a widened member', { limit: 50 }, { limit: 500 }, false],
    ['other string changed', 'hello', 'goodbye', false],
    ['string shortened (not a path)', 'delete all', 'delete', false],
    ['boolean changed', true, false, false],
    ['null to value', null, 'x', false],
    ['type change', '5', 5, false],
    ['list to scalar', ['a'], 'a', false],
  ])('%s', (_name, wider, narrower, expected) => {
    expect(isNarrowing(wider, narrower)).toBe(expected);
  });

  it('says why a non-path string cannot be narrowed', () => {
    expect(narrowingFailure('hello', 'hell')).toMatch(/not a path/);
    expect(narrowingFailure(true, false)).toMatch(/boolean/);
  });
});

describe('clampArgs', () => {
  const boundary: Boundary = {
    scopes: ['fs:read'],
    args: {
      path: [{ kind: 'within', roots: ['/workspace'] }],
      limit: [{ kind: 'range', min: 1, max: 100 }],
      sizes: [{ kind: 'range', max: 10 }],
      'opts.depth': [{ kind: 'range', max: 3 }, { kind: 'oneOf', values: [1, 2, 3] }],
    },
  };

  it('clamps numbers above max and reports nothing else when inside', () => {
    const args = { path: '/workspace/a', limit: 500, sizes: [5, 50, 10], opts: { depth: 9 }, other: 'x' };
    const r = clampArgs(args, boundary, ctx);
    expect(r.args).toEqual({ path: '/workspace/a', limit: 100, sizes: [5, 10, 10], opts: { depth: 3 }, other: 'x' });
    expect(r.changed.sort()).toEqual(['limit', 'opts.depth', 'sizes']);
    expect(r.violations).toEqual([]);
    // The input is untouched.
    expect(args.limit).toBe(500);
    expect(args.opts.depth).toBe(9);
  });

  it('reports what cannot be clamped: below min, wrong type, escapes', () => {
    const r = clampArgs({ path: '/etc/passwd', limit: 0, sizes: ['9'] }, boundary, ctx);
    expect(r.changed).toEqual([]);
    expect(r.violations.map((v) => [v.arg, v.constraint])).toEqual([
      ['path', 'within'],
      ['limit', 'range'],
      ['sizes.0', 'range'],
    ]);
  });

  it('checks the other constraints on the clamped value', () => {
    const b: Boundary = { scopes: [], args: { n: [{ kind: 'range', max: 40 }, { kind: 'oneOf', values: [10, 50] }] } };
    const r = clampArgs({ n: 50 }, b, ctx);
    expect(r.args).toEqual({ n: 40 });
    expect(r.violations.map((v) => v.constraint)).toEqual(['oneOf']);
  });

  it('refuses arguments that are not JSON data, or nest absurdly deep', () => {
    expect(() => clampArgs({ f: () => 1 } as Record<string, unknown>, boundary, ctx)).toThrow(IntentguardError);
    let deep: unknown = 1;
    for (let i = 0; i < 200; i++) deep = { d: deep };
    expect(() => clampArgs({ deep }, boundary, ctx)).toThrow(/deeper/);
  });
});

describe('violations', () => {
  it('reports scopes outside the boundary and args outside it', () => {
    const b: Boundary = { scopes: ['a'], args: { n: [{ kind: 'range', max: 1 }] } };
    const v = violations({ scopes: ['a', 'b'], args: { n: 2 } }, b, ctx);
    expect(v.map((x) => x.constraint)).toEqual(['scope', 'range']);
    expect(v[0]!.message).toContain('b');
  });
});

describe('intersectBoundaries', () => {
  it('intersects scopes and accumulates constraints', () => {
    const a: Boundary = { scopes: ['r', 'w', 'x'], args: { path: [{ kind: 'within', roots: ['/w'] }], n: [{ kind: 'range', min: 1 }] } };
    const b: Boundary = { scopes: ['w', 'r', 'admin'], args: { path: [{ kind: 'within', roots: ['/w/docs'] }], n: [{ kind: 'range', max: 9 }], to: [{ kind: 'fromTask' }] } };
    const ab = intersectBoundaries(a, b);
    expect([...ab.scopes].sort()).toEqual(['r', 'w']);
    expect(ab.args['n']).toEqual([{ kind: 'range', min: 1, max: 9 }]);
    expect(ab.args['path']).toEqual([
      { kind: 'within', roots: ['/w'] },
      { kind: 'within', roots: ['/w/docs'] },
    ]);
    expect(ab.args['to']).toEqual([{ kind: 'fromTask' }]);
    expect(violations({ scopes: [], args: { path: '/w/src' } }, ab, ctx)).toHaveLength(1);
    expect(violations({ scopes: [], args: { path: '/w/docs/x' } }, ab, ctx)).toHaveLength(0);
  });

  it('merges value lists and length limits, and drops duplicates', () => {
    const a: Boundary = { scopes: [], args: { m: [{ kind: 'oneOf', values: ['a', 'b', 'c'] }, { kind: 'maxLength', max: 5 }, { kind: 'absent' }] } };
    const b: Boundary = { scopes: [], args: { m: [{ kind: 'oneOf', values: ['c', 'b', 'z'] }, { kind: 'maxLength', max: 3 }, { kind: 'absent' }] } };
    expect(intersectBoundaries(a, b).args['m']).toEqual([
      { kind: 'oneOf', values: ['b', 'c'] },
      { kind: 'maxLength', max: 3 },
      { kind: 'absent' },
    ]);
  });

  it('with the empty boundary grants no scope', () => {
    expect(intersectBoundaries({ scopes: ['a'], args: {} }, { scopes: [], args: {} }).scopes).toEqual([]);
  });
});

describe('clampNarrowing', () => {
  const boundary: Boundary = {
    scopes: ['fs:read', 'fs:list'],
    args: {
      path: [{ kind: 'within', roots: ['/workspace'] }],
      limit: [{ kind: 'range', min: 1, max: 100 }],
      to: [{ kind: 'domain', domains: ['example.com'] }],
    },
  };
  const base: Grant = {
    scopes: ['fs:read', 'fs:list'],
    args: { path: '/workspace', limit: 100, mode: 'fast', tags: ['a', 'b'], to: ['bob@example.com', 'amy@example.com'], opts: { depth: 3 } },
  };

  it('accepts a proper narrowing', () => {
    const r = clampNarrowing(base, { scopes: ['fs:read'], args: { path: '/workspace/docs', limit: 10, tags: ['b'], 'opts.depth': 1 } }, boundary, ctx);
    expect(r.refused).toEqual([]);
    expect(r.narrowed).toBe(true);
    expect(r.grant).toEqual({
      scopes: ['fs:read'],
      args: { path: '/workspace/docs', limit: 10, mode: 'fast', tags: ['b'], to: ['bob@example.com', 'amy@example.com'], opts: { depth: 1 } },
    });
  });

  it('refuses scopes the call did not have or the boundary does not allow', () => {
    const r = clampNarrowing({ ...base, scopes: ['fs:read', 'fs:write'] }, { scopes: ['fs:read', 'fs:admin', 'fs:write'] }, boundary, ctx);
    expect(r.grant.scopes).toEqual(['fs:read']);
    expect(r.refused.map((v) => v.message).join('\n')).toMatch(/fs:admin was not part/);
    expect(r.refused.map((v) => v.message).join('\n')).toMatch(/fs:write is outside the boundary/);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['widening a number', { limit: 1000 }, /same sign/],
    ['escaping the path', { path: '/workspace/../etc' }, /`\.\.`/],
    ['a path outside the current one', { path: '/etc' }, /not within/],
    ['changing free text', { mode: 'slow' }, /not a path/],
    ['adding an item', { tags: ['a', 'b', 'c'] }, /longer/],
    ['adding an argument', { force: true }, /did not have/],
    ['removing an argument', { mode: undefined }, /not JSON data|removing/],
    ['replacing one list item', { 'to.0': 'bob@example.com' }, /whole list/],
    ['a narrowing that leaves the boundary', { limit: 0 }, /same sign/],
    ['prototype plumbing', { '__proto__.x': 1 }, /not a valid argument path/],
    ['overlapping paths', { opts: { depth: 1 }, 'opts.depth': 2 }, /overlaps/],
    ['a non-JSON value', { limit: () => 1 }, /not JSON data/],
  ])('refuses %s and keeps the current value', (_name, args, why) => {
    const r = clampNarrowing(base, { args }, boundary, ctx);
    expect(r.grant.args).toEqual(base.args);
    expect(r.narrowed).toBe(false);
    expect(r.refused.length).toBeGreaterThan(0);
    expect(r.refused.map((v) => v.message).join('\n')).toMatch(why);
  });

  it('refuses a narrowing that is narrower than the current value but outside the boundary', () => {
    const b: Boundary = { scopes: ['fs:read'], args: { path: [{ kind: 'within', roots: ['/workspace/docs'] }] } };
    const r = clampNarrowing({ scopes: ['fs:read'], args: { path: '/workspace' } }, { args: { path: '/workspace/src' } }, b, ctx);
    expect(r.grant.args).toEqual({ path: '/workspace' });
    expect(r.refused[0]).toMatchObject({ arg: 'path', constraint: 'within' });
  });

  it('accepts the good part of a proposal and refuses the rest', () => {
    const r = clampNarrowing(base, { args: { limit: 5, mode: 'other' } }, boundary, ctx);
    expect(r.grant.args['limit']).toBe(5);
    expect(r.grant.args['mode']).toBe('fast');
    expect(r.refused).toHaveLength(1);
    expect(r.narrowed).toBe(true);
  });

  it('drops base scopes outside the boundary even without a proposal', () => {
    const r = clampNarrowing({ scopes: ['fs:read', 'root'], args: {} }, {}, boundary, ctx);
    expect(r.grant.scopes).toEqual(['fs:read']);
  });

  it('reports no narrowing when the proposal equals the call', () => {
    const r = clampNarrowing(base, { scopes: ['fs:list', 'fs:read'], args: { limit: 100 } }, boundary, ctx);
    expect(r.narrowed).toBe(false);
    expect(r.refused).toEqual([]);
  });

  it('survives hostile proposal shapes', () => {
    const r = clampNarrowing(base, { scopes: 'fs:read' as unknown as string[], args: 'x' as unknown as Record<string, unknown> }, boundary, ctx);
    expect(r.grant.scopes).toEqual(['fs:read', 'fs:list']);
    expect(r.refused).toHaveLength(2);
  });
});

describe('applyNarrowedArgs', () => {
  it('sets values by dotted path on a deep copy', () => {
    const args = { path: '/w', opts: { depth: 3, keep: true } };
    const out = applyNarrowedArgs(args, { path: '/w/x', 'opts.depth': 1 });
    expect(out).toEqual({ path: '/w/x', opts: { depth: 1, keep: true } });
    expect(args.opts.depth).toBe(3);
  });
  it('creates missing intermediate objects', () => {
    expect(applyNarrowedArgs({}, { 'a.b': 1 })).toEqual({ a: { b: 1 } });
  });
  it('sets a key that itself contains dots', () => {
    expect(applyNarrowedArgs({ 'user.email': 'a@x' }, { 'user.email': 'b@x' })).toEqual({ 'user.email': 'b@x' });
  });
  it('refuses prototype paths and paths through scalars', () => {
    expect(() => applyNarrowedArgs({}, { '__proto__.polluted': 1 })).toThrow(IntentguardError);
    expect(() => applyNarrowedArgs({ a: 'x' }, { 'a.b': 1 })).toThrow(/not an object/);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('constraints on a path through a list', () => {
  const ctx = { inTask: () => false };
  it('apply to every item when the middle segment turns out to be a list (regression: the constraint vanished)', () => {
    const boundary = { scopes: [], args: { 'files.path': [{ kind: 'within' as const, roots: ['/workspace'] }], 'opts.mode': [{ kind: 'absent' as const }] } };
    expect(clampArgs({ files: { path: '/etc/passwd' } }, boundary, ctx).violations.map((v) => v.arg)).toEqual(['files.path']);
    expect(clampArgs({ files: [{ path: '/workspace/a' }, { path: '/etc/passwd' }] }, boundary, ctx).violations.length).toBeGreaterThan(0);
    expect(clampArgs({ files: [{ path: '/workspace/a' }] }, boundary, ctx).violations).toEqual([]);
    expect(clampArgs({ opts: [{ mode: '0777' }] }, boundary, ctx).violations.length).toBeGreaterThan(0);
  });
});
