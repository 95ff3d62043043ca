/**
 * Name globs for servers, tools and principals: `*` matches any run of
 * characters (also none), `?` exactly one; everything else is literal.
 *
 * Matching never uses a regex engine: the pattern is split at `*` into literal
 * segments, and the leftmost match of each segment is always the right choice,
 * so a match costs at most one pass per segment over the value.
 */

/** A compiled glob. */
export interface NameGlob {
  readonly source: string;
  /** True when the pattern has no wildcard (it can go into an exact-name index). */
  readonly literal: boolean;
  test(value: string): boolean;
}

export function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/** Matches `segment` (where `?` is any one character) at `value[at…]`. */
function segmentAt(segment: string, value: string, at: number): boolean {
  if (at + segment.length > value.length) return false;
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    if (c !== 63 /* ? */ && c !== value.charCodeAt(at + i)) return false;
  }
  return true;
}

function findSegment(segment: string, value: string, from: number, limit: number): number {
  if (!segment.includes('?')) {
    const i = value.indexOf(segment, from);
    return i === -1 || i + segment.length > limit ? -1 : i;
  }
  for (let at = from; at + segment.length <= limit; at++) if (segmentAt(segment, value, at)) return at;
  return -1;
}

export function compileGlob(source: string): NameGlob {
  if (!hasWildcard(source)) return Object.freeze({ source, literal: true, test: (v: string) => v === source });
  if (/^\*+$/.test(source)) return Object.freeze({ source, literal: false, test: () => true });
  const parts = source.split('*');
  const head = parts[0] ?? '';
  const tail = parts.length > 1 ? (parts[parts.length - 1] ?? '') : '';
  const middle = parts.slice(1, -1).filter((p) => p !== '');
  const starred = parts.length > 1;
  const test = (value: string): boolean => {
    if (!starred) return value.length === head.length && segmentAt(head, value, 0);
    if (!segmentAt(head, value, 0)) return false;
    // The tail is pinned to the end; the middle segments must fit between head and tail.
    const end = value.length - tail.length;
    if (end < head.length || !segmentAt(tail, value, end)) return false;
    let pos = head.length;
    for (const seg of middle) {
      const at = findSegment(seg, value, pos, end);
      if (at === -1) return false;
      pos = at + seg.length;
    }
    return true;
  };
  return Object.freeze({ source, literal: false, test });
}

/** Any of the globs matches. */
export interface NameGlobList {
  readonly sources: readonly string[];
  /** True when one of the globs is exactly `*`. */
  readonly any: boolean;
  test(value: string): boolean;
}

export function compileGlobList(sources: readonly string[]): NameGlobList {
  const globs = sources.map(compileGlob);
  const any = sources.some((s) => /^\*+$/.test(s));
  const literals = new Set(globs.filter((g) => g.literal).map((g) => g.source));
  const wild = globs.filter((g) => !g.literal);
  const test = any
    ? () => true
    : (value: string): boolean => {
        if (literals.has(value)) return true;
        for (const g of wild) if (g.test(value)) return true;
        return false;
      };
  return Object.freeze({ sources: Object.freeze([...sources]), any, test });
}
