import { describe, expect, it } from 'vitest';
import { isPathLike, isPathWithin } from '../../src/scope/path.js';

describe('isPathWithin (POSIX roots)', () => {
  const inside: [string, string][] = [
    ['/workspace', '/workspace'],
    ['/workspace/', '/workspace'],
    ['/workspace/a/b.txt', '/workspace'],
    ['/workspace/a/b.txt', '/workspace/'],
    ['/workspace/./a', '/workspace'],
    ['//workspace//a', '/workspace'],
    ['/anything/at/all', '/'],
    ['src/index.ts', 'src'],
    ['./src/index.ts', 'src'],
    ['src/index.ts', '.'],
    ['~/notes/a.md', '~/notes'],
    ['/workspace/..foo', '/workspace'],
    ['/workspace/a b', '/workspace'],
  ];
  it.each(inside)('%s is within %s', (path, root) => {
    expect(isPathWithin(path, root)).toEqual({ ok: true });
  });

  const outside: [string, string, RegExp][] = [
    ['/workspacefoo', '/workspace', /not within/],
    ['/ab', '/a', /not within/],
    ['/work', '/workspace', /not within/],
    ['/etc/passwd', '/workspace', /not within/],
    ['/workspace/../etc/passwd', '/workspace', /`\.\.`/],
    ['/workspace/a/../b', '/workspace', /`\.\.`/],
    ['/workspace/..', '/workspace', /`\.\.`/],
    ['../workspace/a', 'workspace', /`\.\.`/],
    ['src/../../etc', '.', /`\.\.`/],
    ['/workspace/a\0/b', '/workspace', /NUL/],
    ['/workspace/a\nb', '/workspace', /control/],
    ['/workspace/%2e%2e/etc', '/workspace', /percent-encoded/],
    ['/workspace/a%2Fb', '/workspace', /percent-encoded/],
    ['/workspace\\..\\etc', '/workspace', /backslash/],
    ['/workspace/a\\b', '/workspace', /backslash/],
    ['workspace/a', '/workspace', /relative/],
    ['a.txt', '/workspace', /relative/],
    ['/workspace/a', 'workspace', /absolute/],
    ['~/.ssh/id_rsa', '.', /`~`/],
    ['file:/etc/passwd', '.', /scheme/],
    ['C:/Windows', '.', /scheme|drive/],
    ['', '/workspace', /empty/],
    ['/workspace/a', '', /empty root/],
  ];
  it.each(outside)('%j is refused under %j', (path, root, reason) => {
    const r = isPathWithin(path, root);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toMatch(reason);
  });
});

describe('isPathWithin (Windows roots)', () => {
  it.each([
    ['C:\\work\\a.txt', 'C:\\work'],
    ['c:\\WORK\\a.txt', 'C:\\work'],
    ['C:/data/a/b', 'C:\\data'],
    ['C:\\work', 'C:\\work\\'],
    ['D:\\x', 'D:\\'],
  ])('%s is within %s', (path, root) => {
    expect(isPathWithin(path, root)).toEqual({ ok: true });
  });
  it.each([
    ['C:\\work\\..\\Windows', 'C:\\work', /`\.\.`/],
    ['C:\\workshop\\a', 'C:\\work', /not within/],
    ['D:\\work\\a', 'C:\\work', /not within/],
    ['\\work\\a', 'C:\\work', /fully qualified/],
    ['C:work\\a', 'C:\\work', /fully qualified|`:`/],
    ['work\\a', 'C:\\work', /fully qualified/],
    ['C:\\work\\a.txt:secret', 'C:\\work', /alternate data stream/],
    ['\\\\?\\C:\\work\\a', 'C:\\work', /verbatim/],
    ['\\\\.\\C:\\work\\a', 'C:\\work', /verbatim/],
  ])('%j is refused under %j', (path, root, reason) => {
    const r = isPathWithin(path, root);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toMatch(reason);
  });
});

describe('isPathLike', () => {
  it.each([
    ['/a', true],
    ['a/b', true],
    ['https://example.com/x', true],
    ['hello', false],
    ['a.txt', false],
    ['C:\\x', false],
  ])('%s → %s', (value, expected) => {
    expect(isPathLike(value)).toBe(expected);
  });
});
