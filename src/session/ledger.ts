import { LRUCache } from 'lru-cache';
import { extractEntities, keyOfNumber, keyOfValue } from './entities.js';
import type { EntityKind, ValueKey } from './entities.js';
import { findInstructionSpans, spanAt } from './instructions.js';
import type { InstructionSpan } from './instructions.js';
import { capText, looseForm, strictForm } from './text.js';
import type { ProvenanceFact, ProvenanceLedger, ProvenanceSource } from './types.js';

/**
 * One untrusted text, analysed once: its loose form, the entities in it and the
 * spans that address the assistant. Immutable, so a judge may cache it per
 * history entry and hand it to several ledgers.
 */
export interface UntrustedAnalysis {
  /** The text in loose form (capped). */
  readonly text: string;
  readonly spans: readonly InstructionSpan[];
  /** Canonical entity key → offsets in `text` (at most a few per key). */
  readonly entities: ReadonlyMap<string, readonly number[]>;
}

/** Limits that keep a session's ledger bounded whatever the tools return. */
export interface LedgerLimits {
  /** Characters of untrusted text kept per session; the oldest results are dropped first. Default 4 MiB. */
  readonly maxUntrustedChars?: number;
  /** Characters of one result that are scanned (head and tail kept). Default 1 MiB. */
  readonly maxResultChars?: number;
  /** Characters of trusted text kept; the oldest is dropped first. Default 256 KiB. */
  readonly maxTrustedChars?: number;
}

const OCCURRENCES_PER_KEY = 8;
const MAX_FACTS = 256;
const MAX_DEPTH = 8;
const MAX_NEEDLE = 2_000;
const MAX_VALUE = 16_384;
const DISPLAY = 120;
/** How a fact shows the value of a secret argument (a password, a token). */
export const REDACTED_VALUE = '‹redacted›';
/** Argument names whose values are never shown, even in a fact. */
const SECRET_ARG = /(?:^|[._-])(?:password|passwd|passphrase|secret|token|api[_-]?key|apikey|private[_-]?key|credential|otp|pin|cvv|cvc)(?:$|[._-])/i;

/** Addresses, links, IBANs and account-like numbers inside a free-text argument (at most 16, each once). */
function embeddedEntities(v: string): string[] {
  const loose = looseForm(v.length > 16_384 ? v.slice(0, 16_384) : v);
  const out = new Set<string>();
  for (const hit of extractEntities(loose, 64)) {
    const kind = hit.key.slice(0, 2);
    if (kind !== 'e:' && kind !== 'u:' && kind !== 'i:' && kind !== 'd:') continue;
    const raw = hit.key.slice(2);
    out.add(kind === 'i:' ? raw.toUpperCase() : raw);
    if (out.size >= 16) break;
  }
  return [...out];
}

/**
 * Analyses are pure functions of the text, so the ledger and the judge share
 * them: a result analysed when it arrives is not analysed again when the next
 * call is judged. Bounded by entries and by characters.
 */
const analysisMemo = new LRUCache<string, UntrustedAnalysis>({
  max: 4_096,
  maxSize: 32 * 1_048_576,
  sizeCalculation: (_v, k) => Math.max(1, k.length),
});

/** Analyses one untrusted text (memoised; the result is immutable). */
export function analyseUntrusted(text: string, maxChars = 1_048_576): UntrustedAnalysis {
  // Text under the cap analyses the same whatever the cap: key it by itself.
  const key = text.length <= maxChars ? text : `${maxChars}\u0000${text}`;
  const hit = analysisMemo.get(key);
  if (hit !== undefined) return hit;
  const analysis = analyse(text, maxChars);
  if (key.length <= 4 * 1_048_576) analysisMemo.set(key, analysis);
  return analysis;
}

function analyse(text: string, maxChars: number): UntrustedAnalysis {
  const loose = looseForm(capText(text, maxChars));
  const entities = new Map<string, number[]>();
  for (const hit of extractEntities(loose)) {
    const list = entities.get(hit.key);
    if (list === undefined) entities.set(hit.key, [hit.pos]);
    else if (list.length < OCCURRENCES_PER_KEY) list.push(hit.pos);
  }
  return Object.freeze({ text: loose, spans: Object.freeze(findInstructionSpans(loose)), entities });
}

interface Segment {
  readonly id: number;
  readonly tool: string;
  readonly index: number;
  readonly analysis: UntrustedAnalysis;
}

/** Where a value was found in one untrusted segment. */
interface Sighting {
  readonly segment: Segment;
  /** The instruction span every occurrence sits in, if all do. */
  readonly instruction: InstructionSpan | undefined;
}

/**
 * The instruction span that explains a value's presence in one result: set
 * only when every occurrence sits inside some span (a value that also appears
 * in the ordinary data around it is data). The weakest span wins.
 */
function explainingSpan(spans: readonly InstructionSpan[], positions: Iterable<number>, len: number): InstructionSpan | undefined {
  let weakest: InstructionSpan | undefined;
  for (const p of positions) {
    const s = spanAt(spans, p) ?? (len > 1 ? spanAt(spans, p + len - 1) : undefined);
    if (s === undefined) return undefined;
    if (weakest === undefined || (s.strength === 'weak' && weakest.strength === 'strong')) weakest = s;
  }
  return weakest;
}

/** Offsets of `needle` in `hay` as a whole word (for short needles) or anywhere (for long ones), at most `max`. */
function findText(hay: string, needle: string, max: number): number[] {
  const out: number[] = [];
  const whole = needle.length < 24;
  let from = 0;
  while (out.length < max) {
    const i = hay.indexOf(needle, from);
    if (i < 0) break;
    from = i + 1;
    if (whole) {
      const before = i > 0 ? hay.charCodeAt(i - 1) : 32;
      const after = i + needle.length < hay.length ? hay.charCodeAt(i + needle.length) : 32;
      if (isWordChar(before) || isWordChar(after)) continue;
    }
    out.push(i);
  }
  return out;
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c > 127;
}

/**
 * The session's provenance ledger. Trusted text (the task, a human's answer)
 * and untrusted tool results are indexed by canonical entity keys, so a lookup
 * is a few map probes; other strings fall back to a substring search with a
 * length floor. Memory is bounded: the oldest results are dropped first.
 */
export class Ledger implements ProvenanceLedger {
  private readonly maxUntrusted: number;
  private readonly maxResult: number;
  private readonly maxTrusted: number;
  private trustedChunks: string[] = [];
  private trustedText = '';
  private trustedKeys = new Set<string>();
  private readonly segments: Segment[] = [];
  private readonly index = new Map<string, Segment[]>();
  private untrustedChars = 0;
  private nextId = 1;
  private instructions = false;

  constructor(limits: LedgerLimits = {}) {
    this.maxUntrusted = limits.maxUntrustedChars ?? 4 * 1_048_576;
    this.maxResult = Math.min(limits.maxResultChars ?? 1_048_576, this.maxUntrusted);
    this.maxTrusted = limits.maxTrustedChars ?? 262_144;
  }

  addTrusted(text: string): void {
    const s = strictForm(capText(text, this.maxTrusted));
    if (s.length === 0) return;
    this.trustedChunks.push(s);
    let total = this.trustedChunks.reduce((n, c) => n + c.length + 2, 0);
    while (total > this.maxTrusted && this.trustedChunks.length > 1) {
      total -= (this.trustedChunks.shift() ?? '').length + 2;
    }
    this.trustedText = this.trustedChunks.join('\n\n');
    this.trustedKeys = new Set(extractEntities(this.trustedText).map((h) => h.key));
  }

  addUntrusted(tool: string, index: number, text: string): void {
    this.addAnalysed(tool, index, analyseUntrusted(text, this.maxResult));
  }

  /** Adds a result analysed earlier with {@link analyseUntrusted} (lets a caller cache the analysis). */
  addAnalysed(tool: string, index: number, analysis: UntrustedAnalysis): void {
    if (analysis.text.length === 0) return;
    const seg: Segment = { id: this.nextId++, tool, index, analysis };
    if (analysis.spans.length > 0) this.instructions = true;
    this.segments.push(seg);
    this.untrustedChars += analysis.text.length;
    for (const key of analysis.entities.keys()) {
      const list = this.index.get(key);
      if (list === undefined) this.index.set(key, [seg]);
      else list.push(seg);
    }
    while (this.untrustedChars > this.maxUntrusted && this.segments.length > 1) this.evictOldest();
  }

  private evictOldest(): void {
    const seg = this.segments.shift();
    if (seg === undefined) return;
    this.untrustedChars -= seg.analysis.text.length;
    for (const key of seg.analysis.entities.keys()) {
      const list = this.index.get(key);
      if (list === undefined) continue;
      const kept = list.filter((s) => s !== seg);
      if (kept.length === 0) this.index.delete(key);
      else this.index.set(key, kept);
    }
  }

  /** True once any result held text that addresses the assistant (stays true after the result is dropped). */
  get instructionsSeen(): boolean {
    return this.instructions;
  }

  /** Characters of untrusted text currently held (for tests of the memory bound). */
  get untrustedSize(): number {
    return this.untrustedChars;
  }

  inTrusted(value: string): boolean {
    const vk = keyOfValue(strictForm(value));
    return !vk.trivial && this.trustedHas(vk);
  }

  private trustedHas(vk: ValueKey): boolean {
    for (const k of vk.keys) if (this.trustedKeys.has(k)) return true;
    if (vk.text !== undefined && vk.text.length <= MAX_NEEDLE) return findText(this.trustedText, vk.text, 1).length > 0;
    return false;
  }

  /** A link on a host the user named counts as named by the user: the destination is what matters. */
  private trustedHost(vk: ValueKey): boolean {
    if (vk.kind !== 'url') return false;
    const u = vk.keys.find((k) => k.startsWith('u:'));
    if (u === undefined) return false;
    const host = u.slice(2).split(/[/?#]/, 1)[0] ?? '';
    return host.includes('.') && this.trustedKeys.has(`h:${host}`);
  }

  private untrustedSightings(vk: ValueKey): Sighting[] {
    const out: Sighting[] = [];
    const seen = new Set<number>();
    for (const k of vk.keys) {
      const segs = this.index.get(k);
      if (segs === undefined) continue;
      for (const seg of segs) {
        if (seen.has(seg.id)) continue;
        seen.add(seg.id);
        const positions = seg.analysis.entities.get(k) ?? [];
        out.push({ segment: seg, instruction: explainingSpan(seg.analysis.spans, positions, 1) });
      }
    }
    if (out.length > 0 || vk.text === undefined || vk.text.length > MAX_NEEDLE) return out;
    for (const seg of this.segments) {
      const positions = findText(seg.analysis.text, vk.text, OCCURRENCES_PER_KEY);
      if (positions.length > 0) out.push({ segment: seg, instruction: explainingSpan(seg.analysis.spans, positions, vk.text.length) });
    }
    return out;
  }

  facts(args: Readonly<Record<string, unknown>>): ProvenanceFact[] {
    const out: ProvenanceFact[] = [];
    const walk = (v: unknown, path: string, depth: number): void => {
      if (out.length >= MAX_FACTS || depth > MAX_DEPTH) return;
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') {
        const fact = this.factOf(path, v);
        out.push(fact);
        // A message body can carry the address or link that matters: judge those on their own.
        if (typeof v === 'string' && fact.kind === 'text' && v.length > 12) {
          for (const e of embeddedEntities(v)) {
            if (out.length >= MAX_FACTS) break;
            out.push({ ...this.factOf(path, e), embedded: true });
          }
        }
      } else if (Array.isArray(v)) {
        v.forEach((item, i) => walk(item, path ? `${path}.${i}` : String(i), depth + 1));
      } else if (v !== null && typeof v === 'object') {
        for (const [k, item] of Object.entries(v as Record<string, unknown>)) walk(item, path ? `${path}.${k}` : k, depth + 1);
      }
    };
    walk(args, '', 0);
    return out;
  }

  /** The fact for one scalar value at `path`. */
  factOf(path: string, value: string | number | bigint): ProvenanceFact {
    const full = String(value);
    // Lookups never need more than this: longer needles are not searched, and entities sit near the start.
    const str = full.length > MAX_VALUE ? full.slice(0, MAX_VALUE) : full;
    const display = SECRET_ARG.test(path) ? REDACTED_VALUE : full.length > DISPLAY ? `${full.slice(0, DISPLAY - 1)}…` : full;
    const strictKey = typeof value === 'string' ? keyOfValue(strictForm(str)) : keyOfNumber(Number(value));
    const looseKey = typeof value === 'string' ? keyOfValue(looseForm(str)) : strictKey;
    const kind: EntityKind = looseKey.kind;
    if (strictKey.trivial || looseKey.trivial) return { arg: path, value: display, source: 'nowhere', seenIn: [], kind, trivial: true };
    if (this.trustedHas(strictKey) || this.trustedHost(strictKey)) return { arg: path, value: display, source: 'task', seenIn: [], kind };
    const sightings = this.untrustedSightings(looseKey);
    if (sightings.length === 0) return { arg: path, value: display, source: 'nowhere', seenIn: [], kind };
    const source: ProvenanceSource = 'untrusted';
    return {
      arg: path,
      value: display,
      source,
      kind,
      seenIn: sightings
        .sort((a, b) => a.segment.index - b.segment.index)
        .slice(0, 8)
        .map((s) =>
          s.instruction === undefined
            ? { tool: s.segment.tool, index: s.segment.index }
            : { tool: s.segment.tool, index: s.segment.index, instruction: s.instruction.strength, cue: s.instruction.cue },
        ),
    };
  }
}
