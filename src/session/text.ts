/**
 * Text canonicalisation shared by the provenance ledger and the offline judge.
 *
 * Two forms exist on purpose. The *loose* form (invisible characters removed,
 * look-alike letters folded to Latin) is used to find a value in untrusted
 * text: an attacker gains nothing by hiding a zero-width space in an address,
 * because the fold only makes more values look untrusted. The *strict* form
 * (no folding) is used to find a value in trusted text: folding there would let
 * `bоb@example.com` (Cyrillic о) pass as the `bob@example.com` the user named.
 */

/** Invisible format characters (zero-width spaces and joiners, bidi controls, soft hyphen, variation selectors, BOM), as code point ranges. */
const INVISIBLE_RANGES: readonly (readonly [number, number])[] = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
];
const NON_ASCII = /[\u0080-\uffff]/;

function isInvisible(code: number): boolean {
  for (const [lo, hi] of INVISIBLE_RANGES) if (code >= lo && code <= hi) return true;
  return false;
}

/**
 * Lower-case letters from other scripts that render like Latin letters. Not the
 * full Unicode confusables table: the scripts attackers actually use for
 * look-alike identifiers (Cyrillic, Greek, Armenian, a few Latin extensions).
 */
const CONFUSABLES: Readonly<Record<string, string>> = {
  // Cyrillic
  а: 'a', в: 'b', с: 'c', ԁ: 'd', е: 'e', ё: 'e', һ: 'h', і: 'i', ї: 'i', ј: 'j', к: 'k', ӏ: 'l', м: 'm', н: 'h', о: 'o', р: 'p',
  ԛ: 'q', г: 'r', ѕ: 's', т: 't', у: 'y', ў: 'y', х: 'x', ԝ: 'w', ь: 'b', п: 'n', ɡ: 'g', ԍ: 'g', ӧ: 'o', ӓ: 'a', ɩ: 'i',
  // Greek
  α: 'a', β: 'b', γ: 'y', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ω: 'w', ϲ: 'c', ϳ: 'j',
  // Armenian
  օ: 'o', ս: 'u', ո: 'n', ց: 'g', հ: 'h', ք: 'p', զ: 'q', ա: 'w',
  // Latin extensions and symbols that survive NFKC
  ı: 'i', ȷ: 'j', ɑ: 'a', ɒ: 'a', ɔ: 'c', ɛ: 'e', ɪ: 'i', ʟ: 'l', ʀ: 'r', ʏ: 'y', ᴀ: 'a', ᴄ: 'c', ᴅ: 'd', ᴇ: 'e', ᴊ: 'j', ᴋ: 'k',
  ᴍ: 'm', ᴏ: 'o', ᴘ: 'p', ᴛ: 't', ᴜ: 'u', ᴠ: 'v', ᴡ: 'w', ᴢ: 'z', ø: 'o', đ: 'd', ħ: 'h', ł: 'l', ŧ: 't',
};
const CONFUSABLE_RE = new RegExp(`[${Object.keys(CONFUSABLES).join('')}]`, 'g');

/** Letters of scripts commonly mixed into Latin identifiers to spoof them. */
const SPOOF_SCRIPT = /[\u0370-\u03FF\u0400-\u052F\u0530-\u058F\u1D00-\u1D7F]/;
const LATIN_LETTER = /[A-Za-z]/;

/** True when `s` holds invisible format characters (zero-width, bidi controls, soft hyphen). */
export function hasInvisible(s: string): boolean {
  if (!NON_ASCII.test(s)) return false;
  for (let i = 0; i < s.length; i++) if (isInvisible(s.charCodeAt(i))) return true;
  return false;
}

/** Removes invisible format characters. */
export function stripInvisible(s: string): string {
  if (!hasInvisible(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) if (!isInvisible(s.charCodeAt(i))) out += s.charAt(i);
  return out;
}

/** Folds look-alike letters (already lower-cased) to Latin. */
export function foldConfusables(lower: string): string {
  return NON_ASCII.test(lower) ? lower.replace(CONFUSABLE_RE, (c) => CONFUSABLES[c] ?? c) : lower;
}

/**
 * True when an identifier mixes Latin letters with letters of another script
 * that has Latin look-alikes (`send_mоney` with a Cyrillic о), or hides
 * invisible characters. A wholly non-Latin name is not flagged.
 */
export function isSpoofedIdentifier(name: string): boolean {
  if (hasInvisible(name)) return true;
  const n = NON_ASCII.test(name) ? name.normalize('NFKC') : name;
  return SPOOF_SCRIPT.test(n) && LATIN_LETTER.test(n);
}

/**
 * Collapses whitespace: a blank line stays a paragraph break (`\n\n`), every
 * other run becomes one space — or, with `keepLines`, one newline when it held
 * one (a line break is where planted text often starts).
 */
export function collapseSpace(s: string, keepLines = false): string {
  return s
    .replace(/\r\n?/g, '\n')
    .replace(/[^\S\n]+/g, ' ')
    .replace(/ ?\n[ \n]*/g, (m) => (m.indexOf('\n') !== m.lastIndexOf('\n') ? '\n\n' : keepLines ? '\n' : ' '))
    .trim();
}

/**
 * Undoes the escaping that serialised results carry (JSON or YAML `\\n`,
 * `\\"`, and YAML's `\\`-continued lines), so that line and paragraph
 * breaks inside a quoted field look like breaks.
 */
export function unescapeSerialised(s: string): string {
  if (!s.includes('\\')) return s;
  return s
    .replace(/\\\r?\n[ \t]*\\?/g, '')
    .replace(/\\r\\n|\\n|\\r/g, '\n')
    .replace(/\\t/g, ' ')
    .replace(/\\(["'\\/])/g, '$1');
}

/** The form used to search untrusted text: NFKC, invisible characters removed, lower case, look-alikes folded, whitespace collapsed (line breaks kept). */
export function looseForm(s: string): string {
  let t = unescapeSerialised(s);
  if (NON_ASCII.test(t)) t = foldConfusables(stripInvisible(t.normalize('NFKC')).toLowerCase());
  else t = t.toLowerCase();
  return collapseSpace(t, true);
}

/** The form used to search trusted text: NFKC, lower case, whitespace collapsed; nothing folded or removed. */
export function strictForm(s: string): string {
  const t = NON_ASCII.test(s) ? s.normalize('NFKC').toLowerCase() : s.toLowerCase();
  return collapseSpace(t);
}

/** An identifier in loose form: tool names compared after folding so `send_mоney` is judged as `send_money`. */
export function looseIdentifier(s: string): string {
  return NON_ASCII.test(s) ? foldConfusables(stripInvisible(s.normalize('NFKC')).toLowerCase()) : s.toLowerCase();
}

/** An identifier with look-alike letters folded to Latin and invisible characters removed, case kept (so camelCase still splits). */
export function foldIdentifier(s: string): string {
  if (!NON_ASCII.test(s)) return s;
  return stripInvisible(s.normalize('NFKC')).replace(/[\u0080-\uffff]/g, (c) => {
    const lower = c.toLowerCase();
    const latin = CONFUSABLES[lower];
    if (latin === undefined) return c;
    return c === lower ? latin : latin.toUpperCase();
  });
}

/** Caps a string for scanning: keeps the head and the tail, where injected text usually sits, joined by a paragraph break. */
export function capText(s: string, max: number): string {
  if (s.length <= max) return s;
  const half = Math.floor(max / 2);
  return `${s.slice(0, half)}\n\n${s.slice(s.length - half)}`;
}
