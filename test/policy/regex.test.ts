import { describe, expect, it } from 'vitest';
import { admitPattern, nestedRepetition } from '../../src/policy/regex.js';

describe('admitPattern', () => {
  it.each([
    '[a-z0-9-]+',
    'txn_[A-Za-z0-9]{8,32}',
    '(feature|fix)/[A-Za-z0-9._/-]{1,80}',
    '(\\.[a-z0-9]+)?',
    '[(a+)+]',
    '\\(a+\\)+',
    '(?i)acme',
    '(ab){2}',
  ])('admits %s', (p) => {
    const r = admitPattern(p);
    expect(r.ok).toBe(true);
  });

  it.each([
    ['(a+)+$', /repeats a group/],
    ['(a*)*', /repeats a group/],
    ['(x+y)*', /repeats a group/],
    ['(\\w+\\s?){2,}', /repeats a group/],
    ['((a+)b)+', /repeats a group/],
    ['(?:a|b+)+', /repeats a group/],
    ['(a)\\1', /RE2/],
    ['(?=a)b', /RE2/],
    ['(?<!a)b', /RE2/],
    ['a{1001}', /RE2/],
    ['[', /RE2/],
    ['a'.repeat(600), /longer than/],
  ])('refuses %s', (p, why) => {
    const r = admitPattern(p);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(why);
  });

  it('names the offending group', () => {
    expect(nestedRepetition('x(ab+c)+y')).toBe('(ab+c)+');
    expect(nestedRepetition('x(ab+c)?y')).toBeUndefined();
  });

  it('compiles to a linear-time matcher', () => {
    const r = admitPattern('[a-z]+@acme\\.example');
    expect(r.ok && r.re.testExact('bob@acme.example')).toBe(true);
    expect(r.ok && r.re.testExact('bob@evil.example')).toBe(false);
  });
});
