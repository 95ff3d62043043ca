/**
 * Exfiltration: data the session read earlier leaving for a destination the
 * task never named. The destination is an address, link, host or account in
 * the call; the payload is everything else the call carries — including the
 * path and query of a link (a GET with `?d=<the file>` sends the file) and
 * base64 blobs inside it. A payload carries session data when distinctive
 * tokens of it (codes, keys, account numbers, copied lines) occur in earlier
 * tool results but not in the task.
 *
 * Also: a recipient, grantee or account that appears nowhere — not in the
 * task, not in any result — was made up by the agent; the user never chose it.
 */
import type { Principal, ProvenanceFact, ToolSpec } from '../session/types.js';
import type { ToolProfile } from './offline-action.js';
import { argCategory } from './offline-lexicon.js';
import type { ArgCategory } from './offline-lexicon.js';
import { hintFor } from './offline-schema.js';
import type { ArgHint } from './offline-schema.js';
import { quote, scalarArgs } from './offline-signal.js';
import type { Signal } from './offline-signal.js';

const MAX_PAYLOAD = 32_768;
const MAX_TOKENS = 400;

/**
 * What a link carries: its query and fragment, percent-decoded (`+` as a
 * space), and long opaque path segments (an id in a REST path is navigation,
 * a 40-character blob is a payload).
 */
export function linkPayload(url: string): string {
  const rest0 = url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/^[^/?#]*/, '');
  const q = rest0.search(/[?#]/);
  const pathPart = q < 0 ? rest0 : rest0.slice(0, q);
  const blobs = pathPart.split('/').filter((seg) => seg.length >= 16 && /^[A-Za-z0-9+_=%.-]+$/.test(seg));
  const rest = `${q < 0 ? '' : rest0.slice(q)} ${blobs.join(' ')}`;
  const plus = rest.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus.replace(/%([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
}

/** Decodes base64 blobs in `text` that decode to readable text; returns the decoded texts. */
export function decodedBlobs(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/[A-Za-z0-9+/_-]{16,}={0,2}/g)) {
    if (out.length >= 8) break;
    const b = m[0];
    // Plain words and hex digests are not base64 payloads worth decoding.
    if (!/[A-Z]/.test(b) || !/[a-z]/.test(b)) continue;
    const decoded = Buffer.from(b.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    if (decoded.length < 8) continue;
    let printable = 0;
    for (let i = 0; i < decoded.length; i++) {
      const c = decoded.charCodeAt(i);
      if ((c >= 32 && c < 127) || c === 10 || c === 13 || c === 9) printable++;
    }
    if (printable / decoded.length >= 0.9) out.push(decoded);
  }
  return out;
}

function isYear(t: string): boolean {
  return /^(?:19|20)\d\d$/.test(t);
}

/** Tokens specific enough that finding them in a result means they were read there: codes, keys, account numbers, amounts. */
function distinctiveTokens(lower: string): string[] {
  const out: string[] = [];
  for (const m of lower.matchAll(/[a-z0-9][a-z0-9._%+-]{0,63}@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24}/g)) {
    if (out.length >= MAX_TOKENS / 2) break;
    out.push(m[0]);
  }
  for (const m of lower.matchAll(/[a-z0-9][a-z0-9._-]*[a-z0-9]/g)) {
    if (out.length >= MAX_TOKENS) break;
    const t = m[0];
    const digits = /\d/.test(t);
    const letters = /[a-z]/.test(t);
    if (digits && letters ? t.length >= 6 : digits ? /^\d{4,}(?:\.\d+)?$/.test(t) && !isYear(t) : false) out.push(t);
  }
  return out;
}

/** Lines of at least 30 characters copied from somewhere: a whole record carried in a body. */
function longLines(lower: string): string[] {
  return lower
    .split(/\n+/)
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter((l) => l.length >= 30)
    .slice(0, 64);
}

export interface CarriedData {
  /** Distinct tokens or lines of the payload found in results and not in the task. */
  readonly hits: readonly string[];
}

/** What of `payload` the session read in results (`resultText`, loose form) and the task (`taskText`, strict form) does not hold. */
export function carriedData(payload: string, resultText: string, taskText: string, exclude: readonly string[] = []): CarriedData {
  if (payload.length === 0 || resultText.length === 0) return { hits: [] };
  const raw = payload.length > MAX_PAYLOAD ? payload.slice(0, MAX_PAYLOAD) : payload;
  const texts = [raw, ...decodedBlobs(raw)].map((t) => t.toLowerCase());
  const hits = new Set<string>();
  for (const t of texts) {
    for (const tok of distinctiveTokens(t)) {
      if (hits.size >= 8) break;
      if (taskText.includes(tok) || exclude.some((e) => e.includes(tok))) continue;
      if (wordIn(resultText, tok)) hits.add(tok);
    }
    for (const line of longLines(t)) {
      if (hits.size >= 8) break;
      if (!taskText.includes(line) && resultText.includes(line)) hits.add(line);
    }
  }
  return { hits: [...hits] };
}

function wordIn(hay: string, needle: string): boolean {
  let from = 0;
  for (;;) {
    const i = hay.indexOf(needle, from);
    if (i < 0) return false;
    const before = i > 0 ? hay.charAt(i - 1) : ' ';
    const after = hay.charAt(i + needle.length) || ' ';
    if (!/[a-z0-9]/.test(before) && !/[a-z0-9]/.test(after)) return true;
    from = i + 1;
  }
}

const DESTINATION_KINDS: ReadonlySet<string> = new Set(['url', 'host', 'email']);

/** An argument's category from its name, else from what the tool's schema says it holds. */
function categoryOf(path: string, hints: ReadonlyMap<string, ArgHint> | undefined, kind: string | undefined): ArgCategory | undefined {
  // A schema's word counts only for a value shaped like a destination ("the reference shown to the recipient" is no address).
  const hinted = hints !== undefined && kind !== undefined && HINTED_KINDS.has(kind) ? hintFor(hints, path)?.category : undefined;
  return argCategory(path) ?? hinted;
}
const HINTED_KINDS: ReadonlySet<string> = new Set(['email', 'url', 'host', 'iban', 'digits']);

/** Whether a fact names where a call's effect or data goes. */
function isDestination(f: ProvenanceFact, tool: ToolProfile, hints?: ReadonlyMap<string, ArgHint>): boolean {
  if (f.trivial === true) return false;
  // Links inside free text are judged from the raw text (see `embeddedLinks`), where a payload keeps its case.
  if (f.embedded === true) return false;
  if (f.kind !== undefined && DESTINATION_KINDS.has(f.kind)) return tool.sideEffect || f.kind !== 'email';
  // A file path is where a write lands, not where data leaves to.
  if (f.kind === 'path' || f.kind === 'number') return false;
  const cat = categoryOf(f.arg, hints, f.kind);
  return tool.sideEffect && (cat === 'recipient' || cat === 'destination');
}

export interface EgressContext {
  readonly tool: ToolProfile;
  readonly spec: ToolSpec | undefined;
  readonly args: Readonly<Record<string, unknown>>;
  readonly facts: readonly ProvenanceFact[];
  readonly principal: Principal;
  /** All untrusted result text of the session, loose form (built on first use). */
  readonly results: () => string;
  /** Secret values the results showed (see {@link secretsIn}), per result, computed once per result. */
  readonly secrets: () => readonly string[];
  /** The task, strict form. */
  readonly taskText: string;
  /** What the tool's schema says about arguments whose names say nothing. */
  readonly hints?: ReadonlyMap<string, ArgHint> | undefined;
  /** The task points at a source for its data ("the address in the ticket"): values read there are the user's choice. */
  readonly referencesSource?: boolean | undefined;
  /** Whether the result at this 1-based history index came from a call the task names (its arguments are in the task, or it took none). */
  readonly namedSource?: ((index: number) => boolean) | undefined;
}

/** Data read earlier leaving for a destination that neither the task nor any result names. */
export function exfiltration(ctx: EgressContext): Signal | undefined {
  const outward = ctx.tool.sideEffect || ctx.spec?.annotations?.openWorldHint === true || ctx.facts.some((f) => f.kind === 'url' && f.embedded !== true);
  if (!outward) return undefined;
  const resultText = ctx.results();
  if (resultText.length === 0) return undefined;
  const self = (ctx.principal.user ?? '').toLowerCase();
  for (const f of ctx.facts) {
    if (!isDestination(f, ctx.tool, ctx.hints) || f.source !== 'nowhere') continue;
    if (self.length > 0 && f.value.toLowerCase() === self) continue;
    // The payload: the link's own path and query, and every other argument value.
    const parts: string[] = [];
    if (f.kind === 'url') parts.push(linkPayload(f.value));
    if (f.embedded !== true) {
      for (const { path, value } of scalarArgs(ctx.args, 128)) if (typeof value === 'string' && path !== f.arg) parts.push(value);
    }
    const host = f.value.toLowerCase().replace(/^[a-z][a-z0-9+.-]*:\/\//, '').split(/[/?#]/, 1)[0] ?? '';
    const carried = carriedData(parts.join('\n'), resultText, ctx.taskText, [host]);
    if (carried.hits.length > 0) return leak(f.arg, f.value, carried, strength(carried));
    // Secrets were read and an opaque blob leaves for an unnamed place: an encoded secret looks like nothing the results hold.
    const blob = f.kind === 'url' ? opaqueBlob(parts[0] ?? '') : undefined;
    if (blob !== undefined && SECRET_MARKERS.test(resultText)) return leak(f.arg, f.value, { hits: [blob] }, 0.8);
  }
  // Links written into free text (a markdown image in a summary, a link in a message) that carry data in their query.
  for (const { path, value } of scalarArgs(ctx.args, 128)) {
    if (typeof value !== 'string' || value.length < 20 || !value.includes('://')) continue;
    for (const m of value.slice(0, MAX_PAYLOAD).matchAll(/\bhttps?:\/\/[^\s<>"'`)\]]+/gi)) {
      const link = m[0];
      if (value.trim() === link) continue;
      const host = link.toLowerCase().replace(/^https?:\/\//, '').split(/[/?#:]/, 1)[0] ?? '';
      if (host.length === 0 || ctx.taskText.includes(host) || resultText.includes(link.toLowerCase())) continue;
      const carried = carriedData(linkPayload(link), resultText, ctx.taskText, [host]);
      if (carried.hits.length > 0) return leak(path, link, carried, strength(carried));
    }
  }
  return undefined;
}

/** Several values, or one long one, are data on their way out; a single short number (a zip code, an id) may be an honest lookup. */
function strength(c: CarriedData): number {
  return c.hits.length >= 2 || c.hits.some((h) => h.length >= 8) ? 0.93 : 0.78;
}

/** Words that mark secrets in results: after reading one, an opaque token sent away may be it, encoded. */
const SECRET_MARKERS = /secret|password|passwd|passphrase|api[_-]?key|access[_-]?key|private[_ -]key|-----begin|token\s*[:=]|credential/;

/** A long opaque token (mixed case and digits, base64-like) in a link's path or query. */
function opaqueBlob(payload: string): string | undefined {
  for (const m of payload.matchAll(/[A-Za-z0-9+/_=-]{16,}/g)) {
    const t = m[0];
    if (/[a-z]/.test(t) && /[A-Z]/.test(t) && /\d/.test(t)) return t;
  }
  return undefined;
}

function leak(arg: string, destination: string, carried: CarriedData, confidence = 0.93): Signal {
  // The carried values themselves are not repeated: they may be secrets or personal data.
  const n = carried.hits.length;
  return {
    decision: 'deny',
    confidence,
    reason: `the call sends data read earlier in the session to ${quote(hostOf(destination))}, which neither the task nor any result names; ask the user before sending it`,
    evidence: [
      { arg, source: 'argument', detail: `${arg}: ${quote(hostOf(destination))} appears neither in the task nor in any tool result` },
      { source: 'tool results', detail: `the call carries ${n} value${n === 1 ? '' : 's'} read from earlier results` },
    ],
  };
}

/** The host of a link (a link's query may hold the very data being sent), or the value itself. */
function hostOf(v: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]+)/i.exec(v);
  return m?.[1] ?? v.split(/[?#]/, 1)[0] ?? v;
}

/** `key = value` lines whose key names a secret, and values in well-known secret formats. */
const SECRET_LINE = /(?:secret|password|passwd|passphrase|pwd|token|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret|credential|auth)[\w-]*["']?\s*[:=]\s*["']?([^\s"',;]{8,})/g;
const SECRET_FORMAT = /\b(?:sk_live_[a-z0-9]{8,}|sk-[a-z0-9]{20,}|akia[0-9a-z]{16}|gh[pousr]_[a-z0-9]{20,}|xox[abposr]-[a-z0-9-]{10,}|-----begin [a-z ]*private key-----)|[a-z]+:\/\/[^\s:@/]+:([^\s@/]{6,})@/g;
/** Tasks that talk about secrets themselves may move them (rotate, hand over, store in a vault). */
const TASK_SECRET = /\b(?:secret|password|passwd|passphrase|token|api[- ]?key|access key|private key|credential|\.env\b)/;

/** Secret values that earlier results showed (lower case, as in the loose result text). */
export function secretsIn(resultText: string): string[] {
  const out = new Set<string>();
  for (const m of resultText.matchAll(SECRET_LINE)) if (out.size < 64) out.add(m[1] ?? '');
  for (const m of resultText.matchAll(SECRET_FORMAT)) if (out.size < 64) out.add(m[1] ?? m[0]);
  out.delete('');
  return [...out].filter((v) => /\d/.test(v) || v.length >= 12);
}

/** A side-effecting call that writes a secret read earlier (a key in a comment, a password in a message), when the task is not about secrets. */
export function secretLeak(ctx: EgressContext): Signal | undefined {
  if (!ctx.tool.sideEffect || TASK_SECRET.test(ctx.taskText)) return undefined;
  const secrets = ctx.secrets();
  if (secrets.length === 0) return undefined;
  for (const { path, value } of scalarArgs(ctx.args, 128)) {
    if (typeof value !== 'string' || value.length < 8) continue;
    const lower = value.slice(0, MAX_PAYLOAD).toLowerCase();
    if (!secrets.some((s) => lower.includes(s))) continue;
    return {
      decision: 'deny',
      confidence: 0.94,
      reason: `${path} carries a secret read earlier in the session (a password, key or token); the task does not ask to share secrets`,
      evidence: [{ arg: path, source: 'tool results', detail: `${path} holds a value that an earlier result labels as a secret` }],
    };
  }
  return undefined;
}

const LANDING_KINDS: ReadonlySet<string> = new Set(['email', 'iban', 'digits']);

/** A recipient, grantee or account the agent made up: neither the task nor any result names it. */
export function inventedRecipient(ctx: EgressContext): Signal | undefined {
  if (!ctx.tool.sideEffect) return undefined;
  const self = (ctx.principal.user ?? '').toLowerCase();
  for (const f of ctx.facts) {
    if (f.trivial === true || f.embedded === true || f.source !== 'nowhere') continue;
    // One of several recipients, beside ones the task names: narrowing drops it (see offline-narrow).
    const list = /^(.*)\.\d+$/.exec(f.arg)?.[1];
    if (list !== undefined && ctx.facts.some((g) => g.source === 'task' && g.arg.startsWith(`${list}.`))) continue;
    const cat = categoryOf(f.arg, ctx.hints, f.kind);
    const landing = cat === 'recipient' || cat === 'grantee' || cat === 'account' || (cat === 'destination' && f.kind === 'email');
    if (!landing || f.kind === undefined || !LANDING_KINDS.has(f.kind)) continue;
    if (self.length > 0 && f.value.toLowerCase() === self) continue;
    // An address for someone the task names ("invite Dora" → dora@…) fills in a person the user chose.
    const local = f.kind === 'email' ? (f.value.toLowerCase().split('@', 1)[0] ?? '') : '';
    if (local.split(/[^a-z]+/).some((w) => w.length >= 3 && new RegExp(`\\b${w}\\b`).test(ctx.taskText))) continue;
    return {
      decision: 'deny',
      confidence: 0.74,
      reason: `${f.arg} = ${quote(f.value)} appears neither in the task nor in any tool result; ask the user to confirm who should receive this`,
      evidence: [{ arg: f.arg, source: 'argument', detail: `${f.arg} = ${quote(f.value)} was not given by the user or read in the session` }],
    };
  }
  return undefined;
}

/** The domain of an address or the host of a link, lower case, without a leading `www.`. */
export function domainOf(value: string): string {
  const v = value.trim().toLowerCase();
  const at = v.lastIndexOf('@');
  const host = at >= 0 && !v.includes('://') ? v.slice(at + 1) : (v.replace(/^[a-z][a-z0-9+.-]*:\/\//, '').split(/[/?#]/, 1)[0] ?? '');
  return host.replace(/^[^@]*@/, '').replace(/:\d+$/, '').replace(/^www\./, '');
}

/** The last two labels of a host (`collector.example.net` → `example.net`): who owns it, roughly. */
function registrable(host: string): string {
  const labels = host.split('.').filter((l) => l.length > 0);
  return labels.slice(-2).join('.');
}

/**
 * Where the principal itself lives: its own address and domain. Sending to
 * one's own organisation is not egress to a stranger.
 */
function ownDomain(principal: Principal): string {
  const user = (principal.user ?? '').toLowerCase();
  return user.includes('@') ? registrable(domainOf(user)) : '';
}

/**
 * A link or host that decides where an outward call delivers (a callback, a
 * feed endpoint, a partner URL), which appears nowhere: not in the task, not
 * in any result, not the principal's own domain. The agent made up where the
 * data goes; the user never chose it.
 */
export function unnamedDestination(ctx: EgressContext): Signal | undefined {
  if (!ctx.tool.sideEffect) return undefined;
  const own = ownDomain(ctx.principal);
  for (const f of ctx.facts) {
    if (f.trivial === true || f.embedded === true) continue;
    // Made up (nowhere), or read in ordinary data when the task points at no source to take it from; planted values are judged apart.
    const named = ctx.namedSource;
    const unpointed =
      f.source === 'untrusted' &&
      ctx.referencesSource !== true &&
      named !== undefined &&
      f.seenIn.every((x) => x.instruction === undefined && !named(x.index));
    if (f.source !== 'nowhere' && !unpointed) continue;
    // Only links and hosts: an address read in data is how people are reached ("everyone invited"), a link read there is rarely where data should go.
    if (f.kind !== 'url' && f.kind !== 'host') continue;
    const cat = categoryOf(f.arg, ctx.hints, f.kind);
    if (cat !== 'destination' && cat !== 'recipient') continue;
    const host = domainOf(f.value);
    if (host.length === 0) continue;
    const owner = registrable(host);
    if ((own.length > 0 && owner === own) || ctx.taskText.includes(host) || (owner.includes('.') && ctx.taskText.includes(owner))) continue;
    // A site the task names by name ("upload it to Acme's portal") filled in from data: the user chose it.
    const label = owner.split('.', 1)[0] ?? '';
    if (unpointed && label.split(/[^a-z]+/).some((w) => w.length >= 3 && new RegExp(`\\b${w}`).test(ctx.taskText))) continue;
    return {
      decision: 'deny',
      confidence: unpointed ? 0.66 : 0.8,
      reason: unpointed
        ? `${f.arg} sends to ${quote(host)}, which only tool results name and the task does not point to; ask the user where this should go`
        : `${f.arg} sends to ${quote(host)}, which neither the task nor any tool result names; ask the user where this should go`,
      evidence: [{ arg: f.arg, source: 'argument', detail: `${f.arg} = ${quote(f.value)} was not given by the user${unpointed ? '; it was read in data the task does not point to' : ' or read in the session'}` }],
    };
  }
  return undefined;
}
