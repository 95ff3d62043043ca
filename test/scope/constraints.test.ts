import { describe, expect, it } from 'vitest';
import { IntentguardError } from '../../src/errors.js';
import { compilePattern, hostOf } from '../../src/scope/constraints.js';
import { clampArgs, violations } from '../../src/scope/algebra.js';
import type { ArgConstraint, Boundary, ScopeContext } from '../../src/scope/types.js';

const TASK = 'Email the Q3 report to bob@example.com, at most 500 rows, tag urgent';
const ctx: ScopeContext = { inTask: (v) => v !== '' && TASK.includes(v) };

function check(constraint: ArgConstraint, value: unknown): string[] {
  const boundary: Boundary = { scopes: [], args: { x: [constraint] } };
  return violations({ scopes: [], args: { x: value } }, boundary, ctx).map((v) => v.message);
}

type Row = [string, ArgConstraint, unknown, boolean];

const table: Row[] = [
  // within
  ['within: inside', { kind: 'within', roots: ['/workspace'] }, '/workspace/a.txt', true],
  ['within: sibling prefix', { kind: 'within', roots: ['/workspace'] }, '/workspace2/a.txt', false],
  ['within: escape', { kind: 'within', roots: ['/workspace'] }, '/workspace/../etc/passwd', false],
  ['within: second root', { kind: 'within', roots: ['/tmp', '/workspace'] }, '/workspace/x', true],
  ['within: no roots', { kind: 'within', roots: [] }, '/workspace/x', false],
  ['within: number', { kind: 'within', roots: ['/'] }, 42, false],
  ['within: list items', { kind: 'within', roots: ['/w'] }, ['/w/a', '/w/b'], true],
  ['within: one bad item', { kind: 'within', roots: ['/w'] }, ['/w/a', '/etc'], false],
  // prefix
  ['prefix: ok', { kind: 'prefix', prefixes: ['feature/', 'fix/'] }, 'fix/login', true],
  ['prefix: missing', { kind: 'prefix', prefixes: ['feature/'] }, 'main', false],
  ['prefix: not a string', { kind: 'prefix', prefixes: ['1'] }, 12, false],
  // oneOf
  ['oneOf: string', { kind: 'oneOf', values: ['a', 'b'] }, 'b', true],
  ['oneOf: not coerced', { kind: 'oneOf', values: [1, 2] }, '1', false],
  ['oneOf: null', { kind: 'oneOf', values: [null] }, null, true],
  ['oneOf: boolean', { kind: 'oneOf', values: [false] }, true, false],
  ['oneOf: object', { kind: 'oneOf', values: ['a'] }, { a: 1 }, false],
  ['oneOf: list items', { kind: 'oneOf', values: ['r', 'w'] }, ['r', 'w', 'r'], true],
  ['oneOf: NaN never', { kind: 'oneOf', values: [Number.NaN] }, Number.NaN, false],
  // pattern
  ['pattern: full match', { kind: 'pattern', pattern: '[a-z0-9-]+' }, 'my-repo', true],
  ['pattern: partial is not enough', { kind: 'pattern', pattern: '[a-z]+' }, 'abc/../x', false],
  ['pattern: anchored implicitly', { kind: 'pattern', pattern: 'abc' }, 'xabcx', false],
  ['pattern: not a string', { kind: 'pattern', pattern: '[0-9]+' }, 123, false],
  ['pattern: bad pattern fails closed', { kind: 'pattern', pattern: '(a)\\1' }, 'aa', false],
  // range
  ['range: inside', { kind: 'range', min: 1, max: 100 }, 50, true],
  ['range: below min', { kind: 'range', min: 1 }, 0, false],
  ['range: above max is a violation when checking', { kind: 'range', max: 100 }, 101, false],
  ['range: numeric string is not coerced', { kind: 'range', max: 5000 }, '1000', false],
  ['range: NaN', { kind: 'range', max: 10 }, Number.NaN, false],
  ['range: Infinity', { kind: 'range', min: 0 }, Number.POSITIVE_INFINITY, false],
  ['range: boolean', { kind: 'range', max: 10 }, true, false],
  ['range: no bounds still needs a number', { kind: 'range' }, 'x', false],
  ['range: list items', { kind: 'range', max: 10 }, [1, 2, 3], true],
  // maxLength
  ['maxLength: string', { kind: 'maxLength', max: 3 }, 'abc', true],
  ['maxLength: string too long', { kind: 'maxLength', max: 3 }, 'abcd', false],
  ['maxLength: list counts items', { kind: 'maxLength', max: 2 }, ['long string', 'another long one'], true],
  ['maxLength: list too long', { kind: 'maxLength', max: 2 }, [1, 2, 3], false],
  ['maxLength: number', { kind: 'maxLength', max: 2 }, 1, false],
  // domain
  ['domain: e-mail', { kind: 'domain', domains: ['example.com'] }, 'bob@example.com', true],
  ['domain: subdomain e-mail', { kind: 'domain', domains: ['example.com'] }, 'bob@mail.example.com', true],
  ['domain: URL', { kind: 'domain', domains: ['example.com'] }, 'https://api.example.com/v1?q=1', true],
  ['domain: bare host', { kind: 'domain', domains: ['example.com'] }, 'example.com', true],
  ['domain: list items', { kind: 'domain', domains: ['example.com'] }, ['a@example.com', 'b@evil.net'], false],
  ['domain: not a string', { kind: 'domain', domains: ['example.com'] }, 7, false],
  // fromTask
  ['fromTask: named in task', { kind: 'fromTask' }, 'bob@example.com', true],
  ['fromTask: not in task', { kind: 'fromTask' }, 'eve@evil.net', false],
  ['fromTask: number in task', { kind: 'fromTask' }, 500, true],
  ['fromTask: number not in task', { kind: 'fromTask' }, 5000000, false],
  ['fromTask: list items', { kind: 'fromTask' }, ['urgent', 'bob@example.com'], true],
  ['fromTask: one list item not in task', { kind: 'fromTask' }, ['urgent', 'secret'], false],
  ['fromTask: object cannot be traced', { kind: 'fromTask' }, { a: 'urgent' }, false],
  // absent
  ['absent: given', { kind: 'absent' }, false, false],
  ['absent: given as null', { kind: 'absent' }, null, false],
  // unknown kinds fail closed
  ['unknown constraint kind', { kind: 'sorcery' } as unknown as ArgConstraint, 'x', false],
];

describe('constraints', () => {
  it.each(table)('%s', (_name, constraint, value, ok) => {
    const found = check(constraint, value);
    if (ok) expect(found).toEqual([]);
    else expect(found.length).toBeGreaterThan(0);
  });

  it('absent holds when the argument is missing, and every constraint is vacuous for a missing argument', () => {
    const boundary: Boundary = {
      scopes: [],
      args: { force: [{ kind: 'absent' }], path: [{ kind: 'within', roots: ['/w'] }], limit: [{ kind: 'range', max: 1 }] },
    };
    expect(violations({ scopes: [], args: { other: 1 } }, boundary, ctx)).toEqual([]);
  });

  it('names the argument (and list index) in a violation, never the value', () => {
    const boundary: Boundary = { scopes: [], args: { to: [{ kind: 'domain', domains: ['example.com'] }] } };
    const v = violations({ scopes: [], args: { to: ['a@example.com', 'hunter2@evil.net'] } }, boundary, ctx);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ arg: 'to.1', constraint: 'domain' });
    expect(v[0]!.message).not.toContain('hunter2');
  });

  it('checks nested paths and keys that themselves contain dots', () => {
    const boundary: Boundary = { scopes: [], args: { 'options.limit': [{ kind: 'range', max: 10 }] } };
    expect(violations({ scopes: [], args: { options: { limit: 50 } } }, boundary, ctx)).toHaveLength(1);
    expect(violations({ scopes: [], args: { 'options.limit': 50 } }, boundary, ctx)).toHaveLength(1);
    // Both spellings at once: both are checked, neither hides the other.
    expect(violations({ scopes: [], args: { 'options.limit': 5, options: { limit: 50 } } }, boundary, ctx)).toHaveLength(1);
  });

  it('does not follow the prototype chain', () => {
    const absent: ArgConstraint = { kind: 'absent' };
    const boundary: Boundary = { scopes: [], args: { 'constructor.name': [absent], toString: [absent] } };
    expect(violations({ scopes: [], args: {} }, boundary, ctx)).toEqual([]);
    const hostile = JSON.parse('{"__proto__": {"polluted": 1}}') as Record<string, unknown>;
    const clamped = clampArgs(hostile, { scopes: [], args: { '__proto__.polluted': [{ kind: 'range', max: 0 }] } }, ctx);
    expect(clamped.changed).toEqual(['__proto__.polluted']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(clamped.args)).toBe(Object.prototype);
  });
});

describe('domain look-alikes', () => {
  const domain: ArgConstraint = { kind: 'domain', domains: ['example.com'] };
  it.each([
    ['bob@example.com', true],
    ['BOB@EXAMPLE.COM', true],
    ['bob@example.com.', true],
    ['https://EXAMPLE.com./path', true],
    ['https://example.com:8443/x', true],
    ['mailto:bob@example.com', true],
    ['bob@ｅｘａｍｐｌｅ.com', true], // fullwidth letters are the same name under IDNA
    ['bob@example.com.evil.net', false],
    ['bob@evil-example.com', false],
    ['bob@notexample.com', false],
    ['https://example.com@evil.net/', false],
    ['https://example.com:pw@evil.net/', false],
    ['https://evil.net#@example.com', false],
    ['https://evil.net/?@example.com', false],
    ['https://evil.net\\@example.com', false],
    ['https://example.com\\@evil.net', false],
    ['bob@exаmple.com', false], // Cyrillic "а"
    ['https://exаmple.com/', false],
    ['bob@example.com@evil.net', false],
    ['"bob@example.com"@evil.net', false],
    ['bob@example.com, eve@evil.net', false],
    ['Bob <bob@example.com>', false],
    ['mailto:bob@example.com?cc=eve@evil.net', false],
    ['bob%evil.net@example.com', false],
    ['bob@example..com', false],
    ['example.com.evil.net', false],
    ['//evil.net', false],
    ['javascript:alert(1)//example.com', false],
    ['', false],
  ])('%j → %s', (value, ok) => {
    expect(check(domain, value).length === 0).toBe(ok);
  });

  it('normalises the policy side too', () => {
    expect(check({ kind: 'domain', domains: ['EXAMPLE.com.'] }, 'a@example.com')).toEqual([]);
    expect(check({ kind: 'domain', domains: ['.example.com'] }, 'a@x.example.com')).toEqual([]);
    expect(check({ kind: 'domain', domains: ['bücher.de'] }, 'https://xn--bcher-kva.de/')).toEqual([]);
  });

  it('hostOf explains refusals', () => {
    expect(hostOf('https://a.example.com/x')).toEqual({ host: 'a.example.com' });
    expect(hostOf('https://example.com@evil.net')).toEqual({ reason: expect.stringMatching(/userinfo/) });
  });
});

describe('compilePattern', () => {
  it('caches compiled patterns', () => {
    expect(compilePattern('[a-z]+')).toBe(compilePattern('[a-z]+'));
  });
  it.each(['(a)\\1', '(?=a)a', '(?!x)y', 'a{2,1}', '('])('rejects %j with IG_REGEX_UNSAFE', (p) => {
    expect(() => compilePattern(p)).toThrow(IntentguardError);
    try {
      compilePattern(p);
    } catch (e) {
      expect((e as IntentguardError).code).toBe('IG_REGEX_UNSAFE');
    }
  });
  it('matches catastrophic-backtracking shapes in linear time (no hang)', () => {
    const re = compilePattern('(a+)+$');
    expect(re.matches(`${'a'.repeat(50_000)}!`)).toBe(false);
  });
});
