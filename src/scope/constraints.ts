import { domainToASCII } from 'node:url';
import { RE2JS } from 're2js';
import { IntentguardError } from '../errors.js';
import { hasControlCharacter, isPathWithin } from './path.js';
import type { ArgConstraint, ScopeContext, Violation } from './types.js';

/** Longest pattern accepted; RE2 is linear in the input, but not free in the pattern. */
export const MAX_PATTERN_LENGTH = 4096;
const PATTERN_CACHE_LIMIT = 1024;
const patternCache = new Map<string, RE2JS>();

/**
 * Compiles an RE2 pattern once per process (module-level cache).
 * @throws IntentguardError IG_REGEX_UNSAFE when RE2 rejects the pattern
 * (backreferences, lookaround, bad syntax) or it is too long.
 */
export function compilePattern(pattern: string): RE2JS {
  const cached = patternCache.get(pattern);
  if (cached) return cached;
  if (typeof pattern !== 'string' || pattern.length > MAX_PATTERN_LENGTH) {
    throw new IntentguardError('IG_REGEX_UNSAFE', `pattern is longer than ${MAX_PATTERN_LENGTH} characters`);
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (e) {
    throw new IntentguardError('IG_REGEX_UNSAFE', `pattern is not accepted by RE2: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  // Patterns come from policy files, so the set is small; the cap only stops a
  // pathological caller from growing the map without bound.
  if (patternCache.size >= PATTERN_CACHE_LIMIT) patternCache.clear();
  patternCache.set(pattern, compiled);
  return compiled;
}

function normaliseHost(host: string): string | undefined {
  let ascii = domainToASCII(host);
  if (ascii === '') return undefined;
  ascii = ascii.toLowerCase();
  if (ascii.endsWith('.')) ascii = ascii.slice(0, -1);
  return ascii === '' || ascii.includes('..') ? undefined : ascii;
}

const domainCache = new Map<string, string | undefined>();

/** A domain from a policy, in the form hosts are compared in (ASCII, lower case, no trailing dot). */
export function normaliseDomain(domain: string): string | undefined {
  if (typeof domain !== 'string') return undefined;
  if (domainCache.has(domain)) return domainCache.get(domain);
  const normalised = normaliseHost(domain.trim().replace(/^\.+/, ''));
  // Policy domains are few; the cap only bounds a pathological caller.
  if (domainCache.size >= PATTERN_CACHE_LIMIT) domainCache.clear();
  domainCache.set(domain, normalised);
  return normalised;
}

// Deliberately narrower than RFC 5321: `%` and `!` (source routing), quotes,
// and non-ASCII local parts are refused rather than interpreted.
const LOCAL_PART = /^[A-Za-z0-9._+'=-]+$/;
const BARE_HOST = /^[^\s/?#:@[\]\\]+$/;

/**
 * The host an e-mail address, URL or bare host name refers to, or why it has
 * none that can be trusted. Anything a mail or HTTP client could read
 * differently from us (several addresses, display names, userinfo, backslashes)
 * is refused.
 */
export function hostOf(value: string): { readonly host: string } | { readonly reason: string } {
  if (hasControlCharacter(value) || /[\s\\]/.test(value)) return { reason: 'contains whitespace, control characters or backslashes' };
  let text = value;
  if (/^mailto:/i.test(text)) {
    text = text.slice('mailto:'.length);
    if (/[?,;]/.test(text)) return { reason: 'is a mailto: URL with several recipients or headers' };
  } else if (text.includes('://')) {
    const authority = text.slice(text.indexOf('://') + 3).split(/[/?#]/)[0] ?? '';
    if (authority.includes('@')) return { reason: 'is a URL that carries userinfo (user@host)' };
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return { reason: 'is not a valid URL' };
    }
    if (url.username !== '' || url.password !== '') return { reason: 'is a URL that carries userinfo (user@host)' };
    let host = url.hostname.toLowerCase();
    if (host.endsWith('.')) host = host.slice(0, -1);
    return host === '' ? { reason: 'is a URL without a host' } : { host };
  }
  if (text.includes('@')) {
    const parts = text.split('@');
    if (parts.length !== 2) return { reason: 'is not a single e-mail address (several @)' };
    const [local, domain] = parts as [string, string];
    if (!LOCAL_PART.test(local)) return { reason: 'has an e-mail local part with characters that are refused' };
    const host = BARE_HOST.test(domain) ? normaliseHost(domain) : undefined;
    return host === undefined ? { reason: 'has an invalid e-mail domain' } : { host };
  }
  const host = BARE_HOST.test(text) ? normaliseHost(text) : undefined;
  return host === undefined ? { reason: 'is neither an e-mail address, a URL nor a host name' } : { host };
}

/** True when `host` is `domain` or a subdomain of it (both normalised). */
export function hostInDomain(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

/** Why one scalar item fails one constraint, or undefined when it holds. `maxLength` here bounds a string. */
function itemFailure(c: ArgConstraint, v: unknown, ctx: ScopeContext): string | undefined {
  switch (c.kind) {
    case 'within': {
      if (typeof v !== 'string') return 'is not a path string';
      if (c.roots.length === 0) return 'is not within any root (the boundary allows none)';
      let reason = '';
      for (const root of c.roots) {
        const r = isPathWithin(v, root);
        if (r.ok) return undefined;
        if (reason === '') reason = r.reason;
      }
      return c.roots.length === 1 ? reason : `is not within ${c.roots.join(', ')} (${reason})`;
    }
    case 'prefix':
      if (typeof v !== 'string') return 'is not a string';
      return c.prefixes.some((p) => v.startsWith(p)) ? undefined : `does not start with ${c.prefixes.join(', ')}`;
    case 'oneOf': {
      if (v !== null && typeof v === 'object') return 'is not a single value';
      return c.values.some((x) => x === v) ? undefined : `is not one of ${c.values.map((x) => JSON.stringify(x)).join(', ')}`;
    }
    case 'pattern': {
      if (typeof v !== 'string') return 'is not a string';
      let re: RE2JS;
      try {
        re = compilePattern(c.pattern);
      } catch {
        return 'cannot be checked: the boundary pattern does not compile';
      }
      return re.matches(v) ? undefined : `does not match the pattern ${c.pattern}`;
    }
    case 'range': {
      // A numeric string is not coerced: "1000" is a violation, not 1000.
      if (typeof v !== 'number' || !Number.isFinite(v)) return 'is not a finite number';
      if (c.min !== undefined && !(v >= c.min)) return `is below the minimum ${c.min}`;
      if (c.max !== undefined && !(v <= c.max)) return `is above the maximum ${c.max}`;
      return undefined;
    }
    case 'maxLength':
      if (typeof v !== 'string') return 'is neither a string nor a list';
      return v.length <= c.max ? undefined : `is longer than ${c.max} characters`;
    case 'domain': {
      if (typeof v !== 'string') return 'is not an e-mail address or URL';
      const h = hostOf(v);
      if ('reason' in h) return h.reason;
      const domains = c.domains.map(normaliseDomain).filter((d): d is string => d !== undefined);
      return domains.some((d) => hostInDomain(h.host, d)) ? undefined : `is not in the domain${c.domains.length === 1 ? '' : 's'} ${c.domains.join(', ')}`;
    }
    case 'fromTask': {
      if (typeof v === 'string') return ctx.inTask(v) ? undefined : 'does not appear in the task (the user did not name it)';
      if (typeof v === 'number' && Number.isFinite(v)) return ctx.inTask(String(v)) ? undefined : 'does not appear in the task (the user did not name it)';
      if (typeof v === 'boolean' || v === null) return undefined;
      return 'cannot be traced to the task (not a single value)';
    }
    case 'absent':
      return 'must not be given';
    default:
      // Fail closed on a constraint this version does not know.
      return `has a constraint this version does not know (${String((c as { kind?: unknown }).kind)})`;
  }
}

export interface ValueCheck {
  /** The value after clamping (the same reference when nothing was clamped). */
  readonly value: unknown;
  readonly clamped: boolean;
  readonly violations: Violation[];
}

function clampNumber(v: unknown, max: number): unknown {
  return typeof v === 'number' && Number.isFinite(v) && v > max ? max : v;
}

/**
 * Checks one present value at `arg` against all its constraints. With `clamp`,
 * finite numbers above the lowest `range.max` are first brought down to it (per
 * item for a list); the other constraints are then checked on the clamped value.
 */
export function checkValue(arg: string, value: unknown, constraints: readonly ArgConstraint[], ctx: ScopeContext, clamp: boolean): ValueCheck {
  let current = value;
  let clamped = false;
  if (clamp) {
    const maxes = constraints.flatMap((c) => (c.kind === 'range' && typeof c.max === 'number' && !Number.isNaN(c.max) ? [c.max] : []));
    if (maxes.length > 0) {
      const max = Math.min(...maxes);
      if (Array.isArray(current)) {
        const items = current.map((item) => clampNumber(item, max));
        if (items.some((item, i) => item !== (current as unknown[])[i])) {
          current = items;
          clamped = true;
        }
      } else {
        const next = clampNumber(current, max);
        if (next !== current) {
          current = next;
          clamped = true;
        }
      }
    }
  }
  const violations: Violation[] = [];
  for (const c of constraints) {
    if (c.kind === 'absent') {
      violations.push({ arg, constraint: 'absent', message: `${arg} must not be given` });
      continue;
    }
    if (Array.isArray(current)) {
      if (c.kind === 'maxLength') {
        if (!(current.length <= c.max)) violations.push({ arg, constraint: c.kind, message: `${arg} has more than ${c.max} items` });
        continue;
      }
      current.forEach((item, i) => {
        const why = itemFailure(c, item, ctx);
        if (why !== undefined) violations.push({ arg: `${arg}.${i}`, constraint: kindOf(c), message: `${arg}.${i} ${why}` });
      });
      continue;
    }
    const why = itemFailure(c, current, ctx);
    if (why !== undefined) violations.push({ arg, constraint: kindOf(c), message: `${arg} ${why}` });
  }
  return { value: current, clamped, violations };
}

function kindOf(c: ArgConstraint): ArgConstraint['kind'] {
  const k = (c as { kind?: unknown }).kind;
  return typeof k === 'string' ? (k as ArgConstraint['kind']) : 'absent';
}
