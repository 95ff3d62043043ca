import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileGlob, compileGlobList } from '../../src/policy/glob.js';

/** Reference semantics: the glob as an anchored JS regex (fine for the short test strings). */
function reference(glob: string, value: string): boolean {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]');
  return new RegExp(`^${re}$`).test(value);
}

describe('compileGlob', () => {
  it.each([
    ['read_file', 'read_file', true],
    ['read_file', 'read_files', false],
    ['read_*', 'read_text_file', true],
    ['read_*', 'read_', true],
    ['read_*', 'rea', false],
    ['*_file', 'write_file', true],
    ['*_file', 'write_files', false],
    ['*', '', true],
    ['get_?', 'get_x', true],
    ['get_?', 'get_xy', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'acb', false],
    ['ab*ba', 'aba', false],
    ['ab*ba', 'abba', true],
    ['*.*', 'x.y', true],
    ['list_*_with_*', 'list_directory_with_sizes', true],
  ])('%s vs %s → %s', (glob, value, expected) => {
    expect(compileGlob(glob).test(value)).toBe(expected);
  });

  it('marks only wildcard-free patterns as literal', () => {
    expect(compileGlob('read_file').literal).toBe(true);
    expect(compileGlob('read_*').literal).toBe(false);
    expect(compileGlob('read_?').literal).toBe(false);
  });

  it('agrees with a regex reference on random globs and names', () => {
    const alphabet = fc.constantFrom('a', 'b', '_', '.', '*', '?');
    const nameChars = fc.constantFrom('a', 'b', '_', '.', '*', '?', 'c');
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 8 }), fc.string({ unit: nameChars, maxLength: 10 }), (glob, value) => {
        expect(compileGlob(glob).test(value)).toBe(reference(glob, value));
      }),
      { numRuns: 3000 },
    );
  });

  it('stays fast on a pathological pattern and a long value', () => {
    const g = compileGlob('*a*a*a*a*a*a*a*a*b');
    // Correctness only: the segment algorithm makes this one pass per segment.
    expect(g.test('a'.repeat(100_000))).toBe(false);
  });
});

describe('compileGlobList', () => {
  it('matches when any glob matches and knows the catch-all', () => {
    const l = compileGlobList(['read_file', 'list_*']);
    expect(l.test('read_file')).toBe(true);
    expect(l.test('list_directory')).toBe(true);
    expect(l.test('write_file')).toBe(false);
    expect(l.any).toBe(false);
    expect(compileGlobList(['x', '*']).any).toBe(true);
  });
});
