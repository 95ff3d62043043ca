/**
 * Entities: the kinds of values whose provenance matters (addresses, links,
 * accounts, amounts, paths), each reduced to a canonical key so that the same
 * value matches however it is written (`https://Evil.example/` and
 * `evil.example`, `GB29 NWBK 6016` and `gb29nwbk6016`, `1,000.00` and `1000`).
 *
 * Keys are prefixed by kind (`e:` e-mail, `u:` URL, `h:` host, `i:` IBAN,
 * `d:` digit run of an account or phone number, `n:` number, `p:` path). The
 * texts given here are already in loose or strict form (lower case).
 */

export type EntityKind = 'email' | 'url' | 'host' | 'iban' | 'digits' | 'number' | 'path' | 'text';

/** One entity found in a text: its canonical key and where it starts. */
export interface EntityHit {
  readonly key: string;
  readonly pos: number;
}

/** Top-level domains accepted for a bare `name.tld` without scheme or `www.`; file extensions are left out on purpose. */
const TLDS = new Set(
  (
    'com org net edu gov mil int io co ai app dev info biz me tv us uk de ch fr it es nl be at se no dk fi pl cz ru cn jp kr in au ca br mx ' +
    'eu xyz site online tech store shop blog cloud email link live news page pro space today top website world example test invalid local ' +
    'localhost internal corp lan club agency bank finance money pay wallet ly gg to is fm im sh cc ws la nz za ie pt gr hu ro tr il sg hk tw'
  ).split(' '),
);
const FILE_EXT = new Set(
  'txt md pdf doc docx xls xlsx csv tsv json yaml yml xml html htm js mjs cjs ts tsx jsx py rb go rs java c h cpp sh ps1 bat png jpg jpeg gif svg zip tar gz tgz log ini cfg conf toml lock sql db ppt pptx odt key pem crt env'.split(
    ' ',
  ),
);

const URL_RE = /\b(?:https?:\/\/|ftp:\/\/|www\.)[^\s<>"'`\\|{}^]{2,2048}/g;
const IBAN_RE = /(?<![a-z0-9])[a-z]{2}\d{2}(?: ?[a-z0-9]{4}){2,7}(?: ?[a-z0-9]{1,4})?(?![a-z0-9])/g;
const DIGITS_RE = /(?<![\w.])\+?\d[\d ()./-]{4,40}\d(?![\w])/g;
const NUMBER_RE = /(?<![\w.,])(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\w])/g;
const DATE_LIKE = /^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$|^\d{1,2}:\d{2}/;
const TRAILING_PUNCT = /[.,;:!?)\]}'"»]+$/;

function canonUrl(raw: string): { url: string; host: string; hasPath: boolean } {
  let s = raw.replace(TRAILING_PUNCT, '');
  s = s.replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  s = s.replace(/^[^/@]*@/, '');
  const slash = s.search(/[/?#]/);
  let host = slash < 0 ? s : s.slice(0, slash);
  let rest = slash < 0 ? '' : s.slice(slash);
  host = host.replace(/:(?:80|443)$/, '').replace(/^www\./, '').replace(/\.$/, '');
  rest = rest.replace(/#.*$/, '').replace(/\/+$/, '').replace(/\/(?=\?)/, '');
  return { url: host + rest, host, hasPath: rest.length > 0 };
}

/** The canonical number of a numeric string (`1,000.00` → `1000`), or undefined. */
export function canonNumber(raw: string): string | undefined {
  const s = raw.replace(/,(?=\d{3}(?:\D|$))/g, '');
  if (!/^-?\d+(?:\.\d+)?$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? String(n) : undefined;
}

function digitsOf(raw: string): string {
  return raw.replace(/\D/g, '');
}

const LOCAL_CHAR = /[a-z0-9._%+-]/;
const HOST_CHAR = /[a-z0-9.-]/;
const LABEL_START = /[a-z0-9]/;
const EMAIL_CHECK = /^[a-z0-9][a-z0-9._%+-]{0,63}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,8}\.[a-z]{2,24}$/;
const PATH_CHAR = /[^\s<>"'`\\|{}^]/;
/** A dot followed by a known top-level domain and a word end: where a bare host name ends. */
const TLD_AT = /\.([a-z]{2,24})(?![a-z0-9-])/g;
const FILE_EXT_AT = /\.(?:txt|md|pdf|docx?|xlsx?|csv|tsv|json|ya?ml|xml|html?|js|ts|py|sh|png|jpe?g|gif|zip|tar|gz|log|ini|conf|toml|sql|pptx?|odt|pem|key|env)(?![\w])/g;
const ABS_PATH_RE = /(?<![\w.:/@-])(?:~|\.{1,2})?\/[\w.~@%+-]+(?:\/[\w.~@%+-]*)*/g;

/** Scans left from `i` while `ok` holds, at most `max` characters; returns the first index of the run. */
function runLeft(text: string, i: number, ok: RegExp, max: number): number {
  let j = i;
  while (j > 0 && i - j < max && ok.test(text.charAt(j - 1))) j--;
  return j;
}

/** Scans right from `i` while `ok` holds, at most `max` characters; returns the index after the run. */
function runRight(text: string, i: number, ok: RegExp, max: number): number {
  let j = i;
  while (j < text.length && j - i < max && ok.test(text.charAt(j))) j++;
  return j;
}

/**
 * Every entity in `text` (loose or strict form), with its position. Bounded:
 * at most `max` hits, so a hostile megabyte of addresses cannot blow the index.
 * Addresses, hosts and file names are found from their anchors (`@`, a dot
 * before a top-level domain, a file extension) rather than by trying a pattern
 * at every position: the scan stays linear and cheap.
 */
export function extractEntities(text: string, max = 20_000): EntityHit[] {
  const hits: EntityHit[] = [];
  const push = (key: string, pos: number): void => {
    if (hits.length < max) hits.push({ key, pos });
  };
  // E-mail addresses, anchored at each `@`.
  const emailSpans: [number, number][] = [];
  for (let at = text.indexOf('@'); at >= 0 && hits.length < max; at = text.indexOf('@', at + 1)) {
    let start = runLeft(text, at, LOCAL_CHAR, 64);
    while (start < at && !LABEL_START.test(text.charAt(start))) start++;
    let end = runRight(text, at + 1, HOST_CHAR, 255);
    while (end > at + 1 && text.charCodeAt(end - 1) === 46) end--;
    const addr = text.slice(start, end);
    if (!EMAIL_CHECK.test(addr)) continue;
    emailSpans.push([start, end]);
    push(`e:${addr}`, start);
    push(`h:${addr.slice(addr.indexOf('@') + 1)}`, start);
  }
  // URLs with a scheme or `www.`.
  const urlSpans: [number, number][] = [];
  if (text.includes('://') || text.includes('www.')) {
    for (const m of text.matchAll(URL_RE)) {
      const c = canonUrl(m[0]);
      if (c.host.length < 3) continue;
      urlSpans.push([m.index, m.index + m[0].length]);
      push(`u:${c.url}`, m.index);
      push(`h:${c.host}`, m.index);
    }
  }
  // Bare host names (`example.com/path`), anchored at a dot before a known top-level domain.
  const inside = (spans: [number, number][], i: number): boolean => spans.some(([a, b]) => i >= a && i < b);
  TLD_AT.lastIndex = 0;
  for (const m of text.matchAll(TLD_AT)) {
    const tld = m[1] ?? '';
    if (!TLDS.has(tld) || FILE_EXT.has(tld) || inside(emailSpans, m.index) || inside(urlSpans, m.index)) continue;
    let start = runLeft(text, m.index, HOST_CHAR, 253);
    while (start < m.index && !LABEL_START.test(text.charAt(start))) start++;
    if (start === m.index || (start > 0 && /[@/\w]/.test(text.charAt(start - 1)))) continue;
    let end = m.index + m[0].length;
    if (text.charCodeAt(end) === 47) end = runRight(text, end, PATH_CHAR, 2048);
    const c = canonUrl(text.slice(start, end));
    if (!/^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,8}[a-z]{2,24}$/.test(c.host)) continue;
    push(`u:${c.url}`, start);
    push(`h:${c.host}`, start);
  }
  for (const m of text.matchAll(IBAN_RE)) {
    const k = m[0].replace(/ /g, '');
    if (k.length >= 15 && k.length <= 34 && /\d{6}/.test(k)) push(`i:${k}`, m.index);
  }
  for (const m of text.matchAll(DIGITS_RE)) {
    const raw = m[0];
    if (DATE_LIKE.test(raw)) continue;
    const d = digitsOf(raw);
    if (d.length >= 6 && d.length <= 20) push(`d:${d}`, m.index);
  }
  for (const m of text.matchAll(NUMBER_RE)) {
    const n = canonNumber(m[0]);
    if (n !== undefined && !isTrivialNumber(Number(n))) push(`n:${n}`, m.index);
  }
  if (text.includes('/')) {
    for (const m of text.matchAll(ABS_PATH_RE)) {
      const p = m[0].replace(TRAILING_PUNCT, '').replace(/\/+$/, '');
      if (p.length >= 3) push(`p:${p}`, m.index);
    }
  }
  // File names, anchored at their extension.
  for (const m of text.matchAll(FILE_EXT_AT)) {
    const start = runLeft(text, m.index, /[\w-]/, 128);
    if (start === m.index || (start > 0 && /[./]/.test(text.charAt(start - 1)))) continue;
    push(`p:${text.slice(start, m.index + m[0].length)}`, start);
  }
  return hits;
}

/** Integers below 10 carry no provenance: "1", "2" and "0" are everywhere. */
export function isTrivialNumber(n: number): boolean {
  return Number.isInteger(n) && Math.abs(n) < 10;
}

/** How a scalar argument value is looked up: its kind, its canonical keys (most specific first), or text. */
export interface ValueKey {
  readonly kind: EntityKind;
  /** Canonical keys to look up, most specific first. Empty for `text`. */
  readonly keys: readonly string[];
  /** For `text`: the form to search for as a substring. */
  readonly text?: string;
  /** True when the value is too short or common to say anything about its origin. */
  readonly trivial: boolean;
}

const EMAIL_FULL = /^(?:mailto:)?[a-z0-9][a-z0-9._%+-]{0,63}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,8}\.[a-z]{2,24}$/;
const URL_FULL = /^(?:[a-z][a-z0-9+.-]*:\/\/|www\.)\S+$/;
const HOST_FULL = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,8}([a-z]{2,24})(?:\/\S*)?$/;
const IBAN_FULL = /^[a-z]{2}\d{2}(?: ?[a-z0-9]{1,4}){3,8}$/;
const DIGITS_FULL = /^\+?[\d ()./-]+$/;
const PATH_FULL = /^(?:~|\.{1,2})?\/\S*$|^[\w-]{1,128}\.[a-z0-9]{1,5}$|^[\w.-]+(?:\/[\w.-]+)+$/;

/** Single words too common to say where a value came from. */
const COMMON_WORDS = new Set(
  (
    'the and for you your with from this that have are was were will can not but all any one two three yes no none null true false ' +
    'new old general random main default public private test admin user users root home work team info data note notes file files ' +
    'email mail message messages text body subject title name date time today tomorrow yesterday day week month year hello hi dear ' +
    'thanks thank please best regards ok okay done open closed high low medium normal active inactive pending status type value ' +
    'item items list page post posts report summary update updates meeting event events task tasks todo draft inbox sent read unread ' +
    'me my our we us he she they them his her their it its what when where who why how now here there then than also more less ' +
    'usd eur gbp chf btc eth savings checking reviews review details description content link url'
  ).split(' '),
);

/** True for values that say nothing about provenance: short strings and single common words. */
export function isTrivialText(loose: string): boolean {
  const t = loose.trim();
  if (t.length < 3) return true;
  if (/^[\W_]+$/.test(t)) return true;
  if (!/\s/.test(t) && COMMON_WORDS.has(t)) return true;
  return false;
}

/**
 * The lookup keys of one scalar value, already in loose or strict form. A
 * whole-value entity (an address, an IBAN, a path) is matched by key; anything
 * else falls back to a substring search.
 */
export function keyOfValue(form: string): ValueKey {
  const v = form.trim();
  if (v.length === 0) return { kind: 'text', keys: [], text: v, trivial: true };
  if (EMAIL_FULL.test(v)) {
    const addr = v.replace(/^mailto:/, '');
    return { kind: 'email', keys: [`e:${addr}`], trivial: false };
  }
  if (IBAN_FULL.test(v) && /\d{6}/.test(v.replace(/ /g, ''))) {
    const k = v.replace(/ /g, '');
    if (k.length >= 15 && k.length <= 34) return { kind: 'iban', keys: [`i:${k}`], trivial: false };
  }
  if (URL_FULL.test(v)) {
    const c = canonUrl(v);
    return { kind: 'url', keys: c.hasPath ? [`u:${c.url}`] : [`u:${c.url}`, `h:${c.host}`], trivial: c.host.length < 3 };
  }
  const hm = HOST_FULL.exec(v);
  if (hm && TLDS.has(hm[1] ?? '') && !FILE_EXT.has(hm[1] ?? '')) {
    const c = canonUrl(v);
    return c.hasPath ? { kind: 'url', keys: [`u:${c.url}`], trivial: false } : { kind: 'host', keys: [`h:${c.host}`, `u:${c.host}`], trivial: false };
  }
  const num = canonNumber(v);
  if (num !== undefined) {
    const d = digitsOf(v);
    const keys = d.length >= 6 ? [`n:${num}`, `d:${d}`] : [`n:${num}`];
    return { kind: 'number', keys, trivial: isTrivialNumber(Number(num)) };
  }
  if (DIGITS_FULL.test(v) && !DATE_LIKE.test(v)) {
    const d = digitsOf(v);
    if (d.length >= 6) return { kind: 'digits', keys: [`d:${d}`], trivial: false };
  }
  if (PATH_FULL.test(v) && !/\s/.test(v)) {
    const p = v.replace(/\/+$/, '');
    return { kind: 'path', keys: [`p:${p}`], text: p, trivial: p.length < 3 };
  }
  return { kind: 'text', keys: [], text: v, trivial: isTrivialText(v) };
}

/** The canonical key of a number argument. */
export function keyOfNumber(n: number): ValueKey {
  const s = String(n);
  const keys = Number.isInteger(n) && s.replace('-', '').length >= 6 ? [`n:${s}`, `d:${s.replace('-', '')}`] : [`n:${s}`];
  return { kind: 'number', keys, trivial: isTrivialNumber(n) };
}
