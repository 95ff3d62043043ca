import { posix, win32 } from 'node:path';

/**
 * Lexical path containment for `within` constraints and path narrowing. Pure:
 * nothing here touches the filesystem, so symlinks inside a root that point out
 * of it cannot be seen — that is the tool's (or the credential's) job. To stay
 * safe without the filesystem, anything whose meaning could differ between this
 * check and the tool that receives the path is refused rather than interpreted.
 */
export type PathCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const OK: PathCheck = Object.freeze({ ok: true });

function refuse(reason: string): PathCheck {
  return { ok: false, reason };
}

// Control characters other than NUL are legal in POSIX names but are a favourite
// of log- and terminal-injection; no legitimate tool call needs them in a path.
export function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
// A tool that URL-decodes (HTTP-backed servers do) would turn these into `.`,
// `/`, `\` or NUL after our check.
const ENCODED = /%(?:2e|2f|5c|00)/i;
const DRIVE = /^[A-Za-z]:/;
const VERBATIM = /^[\\/]{2}[?.][\\/]/;

/** Path-like for narrowing: absolute, or containing a `/`. */
export function isPathLike(value: string): boolean {
  return value.startsWith('/') || value.includes('/');
}

/** Roots that use backslashes or a drive letter are compared with Windows rules. */
export function usesWindowsRules(root: string): boolean {
  return root.includes('\\') || DRIVE.test(root);
}

/**
 * Whether `path` lies inside `root` (or is `root`). `/a/b` is within `/a`; `/ab`
 * is not. Refused outright: NUL bytes and control characters, percent-encoded
 * dots or separators, any `..` segment (with symlinks `x/..` need not be the
 * parent lexically, so even a `..` that stays inside is refused), a relative
 * path under an absolute root (or the reverse), `~` expansion and `scheme:`
 * prefixes the root does not share, and backslashes unless the root itself
 * uses Windows rules.
 */
export function isPathWithin(path: string, root: string): PathCheck {
  if (typeof path !== 'string' || path === '') return refuse('is empty or not a string');
  if (typeof root !== 'string' || root === '') return refuse('has an empty root');
  if (path.includes('\0')) return refuse('contains a NUL byte');
  if (hasControlCharacter(path)) return refuse('contains a control character');
  if (ENCODED.test(path)) return refuse('contains a percent-encoded dot, separator or NUL');
  return usesWindowsRules(root) ? windowsWithin(path, root) : posixWithin(path, root);
}

function stripTrailingSlash(p: string, sep: string): string {
  while (p.length > 1 && p.endsWith(sep)) p = p.slice(0, -1);
  return p;
}

function firstSegment(p: string): string {
  return p.split('/').find((s) => s !== '' && s !== '.') ?? '';
}

function posixWithin(path: string, root: string): PathCheck {
  if (path.includes('\\')) return refuse('contains a backslash, which some tools treat as a separator');
  if (path.split('/').includes('..')) return refuse('contains a `..` segment');
  const pathAbs = path.startsWith('/');
  const rootAbs = root.startsWith('/');
  if (pathAbs !== rootAbs) {
    return refuse(pathAbs ? 'is absolute but the root is relative' : 'is relative; an absolute path is required');
  }
  const p = stripTrailingSlash(posix.normalize(path), '/');
  const r = stripTrailingSlash(posix.normalize(root), '/');
  if (!pathAbs) {
    const first = firstSegment(p);
    const rootFirst = firstSegment(r);
    if (first.startsWith('~') && !rootFirst.startsWith('~')) return refuse('starts with `~`, which a shell or tool may expand');
    if (first.includes(':') && first !== rootFirst) return refuse('starts with a `scheme:` or drive prefix');
    if (r === '.') return OK;
  }
  if (r === '/') return OK;
  return p === r || p.startsWith(`${r}/`) ? OK : refuse(`is not within ${root}`);
}

function windowsWithin(path: string, root: string): PathCheck {
  if (VERBATIM.test(path) && !VERBATIM.test(root)) return refuse('is a device or verbatim (\\\\?\\) path');
  if (path.split(/[\\/]/).includes('..')) return refuse('contains a `..` segment');
  // A colon after the drive letter names an alternate data stream.
  if (path.indexOf(':', DRIVE.test(path) ? 2 : 0) !== -1) return refuse('contains a `:` after the drive (alternate data stream)');
  if (!win32.isAbsolute(path) || (DRIVE.test(root) && !DRIVE.test(path))) return refuse('is not a fully qualified Windows path');
  // Windows compares names case-insensitively.
  const p = stripTrailingSlash(win32.normalize(path), '\\').toLowerCase();
  const r = stripTrailingSlash(win32.normalize(root), '\\').toLowerCase();
  if (p === r) return OK;
  const prefix = r.endsWith('\\') ? r : `${r}\\`;
  return p.startsWith(prefix) ? OK : refuse(`is not within ${root}`);
}
