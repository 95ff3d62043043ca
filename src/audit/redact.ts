/**
 * Redaction of secret-looking values before anything reaches the audit log.
 * `redact` never throws: whatever the input (cycles, getters that throw, class
 * instances, huge strings), the output is plain JSON data, bounded in size.
 */
import { RE2JS } from 're2js';


export const REDACTED = '[REDACTED]';
/** Longest string kept; longer ones are cut and marked. */
export const MAX_STRING = 4096;
/** Deepest nesting kept. */
export const MAX_DEPTH = 32;
/** Most list items and object keys kept. */
export const MAX_ITEMS = 1000;
// Secret patterns are searched in at most this much of a string; the rest is cut anyway.
const MAX_SCAN = 64 * 1024;

/** Keys whose string values are secrets. Numbers and booleans under them (token counts, TTLs) are kept. */
export const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|authorization|cookie|private[-_]?key|credential/i;
/** Inside a secret-named object, these members describe the secret without being it (a credential's id, scopes, expiry). */
const SAFE_IN_SECRET = new Set(['id', 'jti', 'kid', 'kind', 'type', 'alg', 'scope', 'scopes', 'audience', 'aud', 'issuer', 'iss', 'expiresAt', 'issuedAt', 'exp', 'iat', 'nbf']);
/** Keys whose long random-looking values are key material. */
const KEYISH = /key|signature|^sig$|salt|nonce|hmac/i;

interface Rule {
  readonly pattern: RegExp | RE2JS;
  readonly replace: string | ((match: string, ...groups: string[]) => string);
}

/**
 * Rules whose character classes overlap their own start (`-eyJ-eyJ…`, `-sk-sk-…`, `a.a.a…://`) would backtrack
 * quadratically in a JavaScript regex over hostile text, so they run on RE2 (linear time).
 */
const re2 = (pattern: string, flags = 0): RE2JS => RE2JS.compile(pattern, flags);

const RULES: readonly Rule[] = [
  { pattern: /-----BEGIN [A-Z0-9 ]{1,64}-----[\s\S]*?(?:-----END [A-Z0-9 ]{1,64}-----|$)/g, replace: REDACTED },
  { pattern: re2('\\beyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,}(?:\\.[A-Za-z0-9_-]*){1,3}'), replace: () => REDACTED },
  { pattern: /\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi, replace: `$1 ${REDACTED}` },
  {
    // Basic credentials are base64 of `user:password`; plain prose after "Basic" is left alone.
    pattern: /\b(Basic)\s+([A-Za-z0-9+/]{6,}={0,2})/gi,
    replace: (m: string, word: string, b64: string) => (Buffer.from(b64, 'base64').toString('latin1').includes(':') ? `${word} ${REDACTED}` : m),
  },
  // An `sk-` key has a digit somewhere (plain words like `sk-learn-…` do not).
  { pattern: re2('\\bsk-[A-Za-z0-9_-]{16,}'), replace: (m: string) => (/[0-9]/.test(m) ? REDACTED : m) },
  { pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g, replace: REDACTED },
  { pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/g, replace: REDACTED },
  { pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}/g, replace: REDACTED },
  { pattern: /\bAIza[0-9A-Za-z_-]{35}/g, replace: REDACTED },
  { pattern: /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}/g, replace: REDACTED },
  // Passwords in URLs: scheme://user:password@host
  { pattern: re2('\\b([a-z][a-z0-9+.-]*://[^\\s:/@]+:)[^\\s@/]+@', RE2JS.CASE_INSENSITIVE), replace: (_m: string, head: string) => `${head}${REDACTED}@` },
];

// Cheap screen: every rule needs one of these, and most strings have none.
const TRIGGER = /-----BEGIN|eyJ|bearer|basic|sk[-_]|rk_|A[KSGIRNP][A-Z]A|gh[pousr]_|github_pat_|xox|AIza|:\/\/[^\s/@]*:/i;

function scrubText(text: string): string {
  let s = text.length > MAX_SCAN ? text.slice(0, MAX_SCAN) : text;
  if (s.length < 8 || !TRIGGER.test(s)) return s;
  for (const rule of RULES) {
    if (rule.pattern instanceof RegExp) {
      rule.pattern.lastIndex = 0;
      s = s.replace(rule.pattern, rule.replace as string);
    } else {
      s = rule.pattern.matcher(s).replaceAll(rule.replace as (match: string, ...groups: string[]) => string);
    }
  }
  return s;
}

function truncate(s: string, originalLength: number): string {
  if (s.length <= MAX_STRING && originalLength <= MAX_SCAN) return s;
  let cut = s.slice(0, MAX_STRING);
  // Do not leave half a surrogate pair behind.
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut}…[truncated ${originalLength - cut.length} chars]`;
}

function entropyBitsPerChar(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Long hex, or long base64/base64url with the spread of random bytes. */
export function looksLikeKeyMaterial(s: string): boolean {
  if (s.length < 20 || s.length > 8192) return false;
  if (/^[0-9a-f]{32,}$/i.test(s)) return true;
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(s) && /[0-9]/.test(s) && entropyBitsPerChar(s) >= 3.5;
}

interface Context {
  /** Inside a secret-named member: every string is a secret unless its own key is descriptive. */
  readonly secret: boolean;
  /** The member name the value sits under (list items inherit it). */
  readonly key: string;
}

function redactString(s: string, ctx: Context): string {
  if (ctx.secret && !SAFE_IN_SECRET.has(ctx.key)) return REDACTED;
  if (KEYISH.test(ctx.key) && looksLikeKeyMaterial(s)) return REDACTED;
  return truncate(scrubText(s), s.length);
}

function isSecretValue(v: object): boolean {
  // A SecretValue (src/credentials) or anything shaped like one: never call reveal().
  return typeof (v as { reveal?: unknown }).reveal === 'function';
}

function setMember(out: Record<string, unknown>, key: string, value: unknown): void {
  // Plain assignment of `__proto__` would set the prototype instead of a member.
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

function walk(value: unknown, ctx: Context, ancestors: object[]): unknown {
  switch (typeof value) {
    case 'string':
      return redactString(value, ctx);
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  if (value === null) return null;
  const obj = value as object;
  if (ancestors.includes(obj)) return '[Circular]';
  if (ancestors.length >= MAX_DEPTH) return '[Truncated: nested too deeply]';
  if (isSecretValue(obj)) return REDACTED;
  ancestors.push(obj);
  try {
    return walkObject(obj, ctx, ancestors);
  } catch {
    return '[Unreadable]';
  } finally {
    ancestors.pop();
  }
}

function walkObject(obj: object, ctx: Context, ancestors: object[]): unknown {
  if (ArrayBuffer.isView(obj)) return `[binary ${obj.byteLength} bytes]`;
  if (obj instanceof ArrayBuffer) return `[binary ${obj.byteLength} bytes]`;
  if (obj instanceof Error) {
    return walk({ name: obj.name, message: obj.message, code: (obj as { code?: unknown }).code }, ctx, ancestors);
  }
  if (obj instanceof Map) return walk(Object.fromEntries([...obj.entries()].map(([k, v]) => [String(k), v])), ctx, ancestors);
  if (obj instanceof Set) return walk([...obj], ctx, ancestors);
  if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
    return walk((obj as { toJSON: (k: string) => unknown }).toJSON(ctx.key), ctx, ancestors);
  }
  if (Array.isArray(obj)) {
    const out: unknown[] = [];
    const n = Math.min(obj.length, MAX_ITEMS);
    for (let i = 0; i < n; i++) {
      const v = walk(obj[i], ctx, ancestors);
      out.push(v === undefined ? null : v);
    }
    if (obj.length > MAX_ITEMS) out.push(`[Truncated: ${obj.length - MAX_ITEMS} more items]`);
    return out;
  }
  const out: Record<string, unknown> = {};
  const keys = Object.keys(obj);
  const n = Math.min(keys.length, MAX_ITEMS);
  for (let i = 0; i < n; i++) {
    const rawKey = keys[i] as string;
    const key = truncate(scrubText(rawKey), rawKey.length);
    const secret = ctx.secret || SECRET_KEY.test(rawKey);
    const v = walk((obj as Record<string, unknown>)[rawKey], { secret, key: rawKey }, ancestors);
    if (v !== undefined) setMember(out, key, v);
  }
  if (keys.length > MAX_ITEMS) setMember(out, '[truncated]', `${keys.length - MAX_ITEMS} more keys`);
  return out;
}

/**
 * A deep copy of `value` with secret-looking values replaced by `[REDACTED]`:
 * string values of keys matching SECRET_KEY (inside such a member, every string
 * except descriptive members like `id`, `scopes`, `expiresAt`); bearer tokens,
 * JWTs, PEM blocks, `sk-…`, AWS, GitHub, Slack, Google and Stripe keys and URL
 * passwords anywhere in any string (only the secret part is replaced); long
 * high-entropy hex/base64 under key-like names; SecretValue instances. Strings
 * are cut at 4 KiB, nesting at 32 levels, lists and objects at 1,000 entries.
 */
export function redact(value: unknown): unknown {
  return walk(value, { secret: false, key: '' }, []);
}
