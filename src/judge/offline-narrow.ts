/**
 * Narrowing: when the task names something narrower than what the call asks
 * for — a directory under the requested root, a smaller count ("the last 40
 * lines", "my next two meetings", "over the last day" for an `hours`
 * argument), a repository of the requested owner, the items of a list it
 * names — propose that. Only narrowing-type changes (a subpath, a smaller
 * number, a subset) and only when the boundary's constraints on the argument
 * allow it; the guard clamps again anyway. Side-effecting calls are narrowed
 * only by dropping list items that come from nowhere (an extra recipient the
 * agent added), and lists that take away (exclusions, requirements) never.
 */
import type { ArgConstraint, Boundary } from '../scope/types.js';
import type { ToolCall } from '../session/types.js';
import type { Evidence } from './types.js';
import { splitWords } from './offline-lexicon.js';

export interface NarrowProposal {
  /** Replacement values for the narrowed arguments only. */
  readonly args: Readonly<Record<string, unknown>>;
  readonly evidence: readonly Evidence[];
  readonly reason: string;
}

const LIMIT_ARG = /^(?:limit|max|n|k|count|top|num|number|size|results|first|last|head|tail|lines|per_?page|page_?size)$|^(?:max|limit|num|top)_?[a-z]+$|^(?!min)[a-z]+_(?:limit|max|count|size|lines)$/i;
/** Arguments that count from the start (`head`) or from the end (`tail`) of something. */
const HEAD_ARG = /^(?:head|first|head_?lines|first_?n)$/i;
const TAIL_ARG = /^(?:tail|last|tail_?lines|last_?n)$/i;
/** Arguments measured in a unit of time (`hours`, `since_days`, `lookback_minutes`). */
const TIME_ARG = /(?:^|_)(minutes?|mins?|hours?|hrs?|days?|weeks?)$/i;
/** Minutes per unit of time, to read "the last day" as 24 for an `hours` argument. */
const MINUTES: Readonly<Record<string, number>> = { minute: 1, hour: 60, day: 1440, week: 10080, month: 43200 };
const PATH_ARG = /^(?:path|dir|directory|folder|root|cwd|base|base_?path|location|prefix|dir_?path|folder_?path|directory_?path|search_?path)$/i;
const REPO_ARG = /^(?:repo|repository|repo_?id|repo_?name|full_?name|project)$/i;
const DIRECTORY_TOOL = /^(?:list|ls|tree|search|find|glob|grep|walk|scan|browse|directory|dir|folder|files)$/;

/** A count the task states, what it counts, and from which end. */
interface Count {
  readonly n: number;
  /** The counted noun, singular ("line", "meeting", "hour"), or '' when none follows. */
  readonly unit: string;
  readonly end: 'first' | 'last' | 'any';
}

const NUMBER_WORDS: Readonly<Record<string, number>> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12, fifteen: 15, twenty: 20,
  thirty: 30, fifty: 50, hundred: 100, dozen: 12,
};
const FIRST_WORDS = /^(?:first|top|oldest|earliest|next|upcoming)$/;
const LAST_WORDS = /^(?:last|latest|newest|most recent|recent|previous|past|final)$/;
const COUNT_PATTERNS: readonly RegExp[] = [
  /\b(last|latest|first|top|most recent|recent|newest|oldest|earliest|next|upcoming|previous|past|final)\s+(\d{1,4})\s*([a-z][a-z-]*)?/g,
  /\b(\d{1,4})\s+(most recent|latest|last|recent|newest|oldest|first|top|next|previous|upcoming|final)\s*([a-z][a-z-]*)?/g,
  /\b(up to|at most|no more than|maximum of|max(?:imum)?|only)\s+(\d{1,4})\s*([a-z][a-z-]*)?/g,
  /\b(find|show|list|get|fetch|return|display|pull|give me|retrieve|read|check|summari[sz]e|print)\s+(?:me\s+)?(?:the\s+|my\s+|our\s+)?(\d{1,4})\s*([a-z][a-z-]*)?/g,
];
/** "my next meeting", "the latest invoice": one item. Time words are periods, not items ("last week"). */
const SINGULAR_PATTERN = /\b(?:my|the|his|her|their|our)\s+(next|upcoming|last|latest|newest|most recent|first|earliest|oldest)\s+([a-z][a-z-]{2,})\b(?!\s+(?:\d|two|three|four|five|six|seven|eight|nine|ten))/g;
const TIME_NOUNS = /^(?:minute|min|hour|hr|day|night|week|weekend|month|year|quarter|time|season|semester|term|morning|evening|afternoon|monday|tuesday|wednesday|thursday|friday|saturday|sunday|one|few|couple|several|version|release)s?$/;

function singular(w: string): string {
  if (w.endsWith('ies') && w.length > 4) return `${w.slice(0, -3)}y`;
  if (w.endsWith('ses') || w.endsWith('xes')) return w.slice(0, -2);
  return w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w;
}

/** Counts the task states, with number words read as digits. */
function taskCounts(task: string, singulars: boolean): Count[] {
  const lower = task
    .toLowerCase()
    .replace(/\ba (?:couple|pair) of\b/g, '2')
    .replace(/\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|fifty|hundred|dozen)\b/g, (w) => String(NUMBER_WORDS[w] ?? w));
  const out: Count[] = [];
  COUNT_PATTERNS.forEach((re, i) => {
    for (const m of lower.matchAll(re)) {
      const word = (i === 1 ? m[2] : m[1]) ?? '';
      const n = Number(i === 1 ? m[1] : m[2]);
      let unit = m[3] ?? '';
      // "the 5 most recent e-mails", "last 3 pull requests": skip a connecting word to the noun.
      if (/^(?:most|recent|latest|of|my|the)$/.test(unit)) unit = '';
      const end = FIRST_WORDS.test(word) ? 'first' : LAST_WORDS.test(word) ? 'last' : 'any';
      if (n > 0) out.push({ n, unit: singular(unit), end });
    }
  });
  // "over the last day", "in the past week": one unit of time.
  for (const m of lower.matchAll(/\b(?:last|past|previous|recent|final)\s+(minute|hour|day|week|month)\b/g)) out.push({ n: 1, unit: m[1] ?? '', end: 'last' });
  if (!out.some((c) => !TIME_NOUNS.test(c.unit)) && singulars) {
    for (const m of lower.matchAll(SINGULAR_PATTERN)) {
      const noun = m[2] ?? '';
      if (TIME_NOUNS.test(noun) || (noun.endsWith('s') && !noun.endsWith('ss'))) continue;
      out.push({ n: 1, unit: noun, end: FIRST_WORDS.test(m[1] ?? '') ? 'first' : 'last' });
    }
  }
  return out;
}

/** The count that applies to argument `name`, if exactly one does. */
function countFor(name: string, counts: readonly Count[]): number | undefined {
  const time = TIME_ARG.exec(name);
  let fit: readonly Count[];
  if (time) {
    const unit = singular((time[1] ?? '').toLowerCase()).replace(/^min$/, 'minute').replace(/^hr$/, 'hour');
    const per = MINUTES[unit] ?? 0;
    // Counts in another unit convert when they come out whole ("the last day" → 24 hours).
    const ns = new Set(
      counts
        .filter((c) => MINUTES[c.unit] !== undefined)
        .map((c) => (c.n * (MINUTES[c.unit] ?? 0)) / per)
        .filter((n) => Number.isInteger(n) && n > 0),
    );
    return ns.size === 1 ? [...ns][0] : undefined;
  } else {
    fit = counts.filter((c) => !TIME_NOUNS.test(c.unit));
    if (HEAD_ARG.test(name)) fit = fit.filter((c) => c.end !== 'last');
    else if (TAIL_ARG.test(name)) fit = fit.filter((c) => c.end !== 'first');
  }
  const ns = new Set(fit.map((c) => c.n));
  if (ns.size !== 1) return undefined;
  return [...ns][0];
}

const PATH_IN_TASK = /(?<![\w.:/@-])(?:~|\.{1,2})?\/[\w.~@%+-]+(?:\/[\w.~@%+-]*)*|(?<![\w./:@-])[\w.-]+(?:\/[\w.-]+)+/g;
const REPO_IN_TASK = /(?<![\w./:@-])([a-z0-9][\w.-]{0,38})\/([\w.-]{1,100})(?![\w/])/gi;

/** Paths the task names (`/srv/app/config.ts`, `~/notes`, `invoices/q2.pdf`), trailing punctuation and slashes removed. */
export function pathsInTask(task: string): readonly string[] {
  let hit = pathMemo.get(task);
  if (hit === undefined) {
    if (pathMemo.size >= 1_024) pathMemo.clear();
    hit = [...task.matchAll(PATH_IN_TASK)].map((m) => trimSlash(m[0].replace(/[.,;:!?)'"]+$/, ''))).filter((p) => !/^(?:www\.|https?:)/.test(p) && !p.includes('//'));
    pathMemo.set(task, hit);
  }
  return hit;
}
/** A session asks about the same task many times. */
const pathMemo = new Map<string, readonly string[]>();

export function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/** True when `child` lies strictly inside the directory `parent`. */
export function isUnder(child: string, parent: string): boolean {
  if (child.split('/').includes('..')) return false;
  const p = trimSlash(parent);
  const c = trimSlash(child);
  if (c === p) return false;
  if (p === '' || p === '.' || p === './') return !c.startsWith('/') && !c.startsWith('~');
  if (p === '/') return c.startsWith('/');
  if (p === '~') return c.startsWith('~/');
  return c.startsWith(`${p}/`);
}

export function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? (i === 0 ? '/' : '.') : p.slice(0, i);
}

/** True when every constraint the boundary puts on `arg` is one this module can check and `value` passes it. */
function boundaryAllows(boundary: Boundary, arg: string, value: unknown): boolean {
  const constraints: readonly ArgConstraint[] = boundary.args[arg] ?? [];
  for (const c of constraints) {
    switch (c.kind) {
      case 'range':
        if (typeof value !== 'number' || (c.min !== undefined && value < c.min) || (c.max !== undefined && value > c.max)) return false;
        break;
      case 'within':
        if (typeof value !== 'string' || !c.roots.some((r) => trimSlash(value) === trimSlash(r) || isUnder(value, r))) return false;
        break;
      case 'prefix':
        if (typeof value !== 'string' || !c.prefixes.some((p) => value.startsWith(p))) return false;
        break;
      case 'oneOf':
        if (!c.values.some((v) => v === value)) return false;
        break;
      case 'maxLength':
        if (typeof value !== 'string' || value.length > c.max) return false;
        break;
      default:
        // domain, pattern, fromTask, absent: leave those arguments to the guard.
        return false;
    }
  }
  return true;
}

/** What narrowing may use beyond the call and the task. */
export interface NarrowContext {
  /** Untrusted result text of the session (loose form), on demand: only used to map ids to the labels next to them ("invoice.pdf (att_1)"). */
  readonly results?: (() => string) | undefined;
  /** The call has side effects: only lists are narrowed then, and only by dropping values from nowhere. */
  readonly sideEffect?: boolean | undefined;
  /** For side-effecting calls: whether an argument value (by path) came from the task, results, or nowhere. */
  readonly sourceOf?: ((path: string) => 'task' | 'untrusted' | 'nowhere' | undefined) | undefined;
}

const MAX_LIST = 50;
/** Lists that take away (exclusions, ignore patterns): cutting one widens the call, so they are never narrowed. */
const SUBTRACTIVE_LIST = /exclu|ignor|skip|deny|denied|block|omit|except|without|blacklist|reject|mute|filter_?out|not_?in|requir|protect|rule|check|polic|restrict|forbid|disallow/i;
/** Tools that rank by relevance: "the last one" cannot be cut to a single result. */
const SEARCH_TOOL = /^(?:search|find|query|grep|lookup|match)$/;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Lower case, separators as spaces, each word singular: "credit-card" reads as "credit card", "e-mails" as "email". */
function plain(s: string): string {
  return s
    .toLowerCase()
    .replace(/\be-mail/g, 'email')
    // Compound nouns that name one field: "e-mail address" is the e-mail, "phone number" the phone.
    .replace(/\b(email|mail|web|ip|mac) address(es)?\b/g, '$1')
    .replace(/\b(phone|mobile|fax|account|card|tax|vat) numbers?\b/g, '$1')
    .replace(/[-_./]+/g, ' ')
    .replace(/[^a-z0-9@ ]+/g, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .map(singular)
    .join(' ');
}

function mentions(taskPlain: string, item: string): boolean {
  const p = plain(item);
  if (p.length < 2) return false;
  for (let from = 0; ; ) {
    const i = taskPlain.indexOf(p, from);
    if (i < 0) return false;
    const before = i > 0 ? taskPlain.charAt(i - 1) : ' ';
    const after = taskPlain.charAt(i + p.length) || ' ';
    if (!/[a-z0-9]/.test(before) && !/[a-z0-9]/.test(after)) return true;
    from = i + 1;
  }
}

/**
 * Items of a list that the task names: directly ("savings and brokerage"), or
 * through the label a result puts next to an opaque id ("invoice-0612.pdf
 * (att_1)" for a task about "the invoice"). Only labels that belong to one
 * item count, so "pdf" next to two ids names neither.
 */
function namedItems(items: readonly string[], task: string, results: (() => string) | undefined): boolean[] {
  const taskPlain = plain(task);
  const direct = items.map((it) => mentions(taskPlain, it));
  if (results === undefined || direct.every(Boolean)) return direct;
  const resultText = results();
  if (resultText.length === 0) return direct;
  const taskWords = new Set(taskPlain.split(' ').filter((w) => w.length > 2).map(singular));
  const labels = items.map((it) => {
    const id = it.toLowerCase();
    const words = new Set<string>();
    if (id.length < 2) return words;
    let from = 0;
    for (let k = 0; k < 4; k++) {
      const at = resultText.indexOf(id, from);
      if (at < 0) break;
      from = at + id.length;
      // The segment around the id, up to the nearest separators, minus a leading key ("attachments:").
      let a = at;
      while (a > 0 && at - a < 80 && !/[,;\n|{}[\]]/.test(resultText.charAt(a - 1))) a--;
      let b = at + id.length;
      while (b < resultText.length && b - at < 80 && !/[,;\n|{}[\]]/.test(resultText.charAt(b))) b++;
      const seg = (resultText.slice(a, at) + ' ' + resultText.slice(at + id.length, b)).replace(/^[^:]*:\s/, '');
      for (const w of plain(seg).split(' ')) if (w.length > 2 && !/^\d+$/.test(w)) words.add(singular(w));
    }
    return words;
  });
  const owners = new Map<string, number>();
  for (const ws of labels) for (const w of ws) owners.set(w, (owners.get(w) ?? 0) + 1);
  return items.map((_it, i) => direct[i] === true || [...(labels[i] ?? [])].some((w) => owners.get(w) === 1 && taskWords.has(w)));
}

/**
 * Proposes a narrowing, or undefined when the task names nothing narrower.
 * Reads: a path inside the requested one, a smaller count, a repository of
 * the requested owner, the subset of a list the task names. Side-effecting
 * calls: only a recipient list, cut to the recipients the task names when the
 * others come from nowhere.
 */
export function proposeNarrowing(call: ToolCall, task: string, boundary: Boundary, ctx: NarrowContext = {}): NarrowProposal | undefined {
  const args: Record<string, unknown> = {};
  const evidence: Evidence[] = [];
  const reasons: string[] = [];
  const toolWords = splitWords(call.tool);
  const directoryTool = toolWords.some((w) => DIRECTORY_TOOL.test(w));
  const sideEffect = ctx.sideEffect === true;

  const counts = sideEffect ? [] : taskCounts(task, !toolWords.some((w) => SEARCH_TOOL.test(w)));
  const taskPaths = sideEffect ? [] : pathsInTask(task);
  const taskRepos = sideEffect ? [] : [...task.matchAll(REPO_IN_TASK)].map((m) => m[0]);

  for (const [name, value] of Object.entries(call.args)) {
    if (Array.isArray(value)) {
      const subset = narrowList(name, value, task, ctx);
      if (subset !== undefined && boundaryAllows(boundary, name, subset)) {
        args[name] = subset;
        evidence.push({ arg: name, source: 'task', detail: `the task names ${subset.length} of the ${value.length} items` });
        reasons.push(`${name} ${value.length} → ${subset.length} items`);
      }
      continue;
    }
    if (sideEffect) continue;
    const count = LIMIT_ARG.test(name) || TIME_ARG.test(name) ? countFor(name, counts) : undefined;
    if (count !== undefined) {
      const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
      if (n !== undefined && n > count) {
        const narrowed = typeof value === 'string' ? String(count) : count;
        if (boundaryAllows(boundary, name, narrowed)) {
          args[name] = narrowed;
          evidence.push({ arg: name, source: 'task', detail: `the task asks for ${count}; the call asks for ${n}` });
          reasons.push(`${name} ${n} → ${count}`);
        }
      }
      continue;
    }
    if (typeof value !== 'string') continue;
    if (PATH_ARG.test(name) || (name === 'file_path' && directoryTool)) {
      const candidates = new Set<string>();
      // "owner/repo" in the task names the repository the other arguments already give, not a path inside it.
      const ids = new Set<string>();
      const others = Object.entries(call.args).filter(([k, v]) => k !== name && typeof v === 'string') as [string, string][];
      for (const [, a] of others) for (const [, b] of others) if (a !== b) ids.add(`${a}/${b}`.toLowerCase());
      for (const t of taskPaths) {
        if (ids.has(t.toLowerCase())) continue;
        const looksFile = /\.[a-z0-9]{1,5}$/i.test(t);
        let c = looksFile && directoryTool ? dirname(t) : t;
        // A key prefix keeps the trailing slash the task wrote ("reports/2025/"): without it, "reports/2025-old" would match too.
        if (/prefix/i.test(name) && !looksFile && new RegExp(`(?:^|[\\s'"(])${escapeRe(c)}/(?![\\w-]|\\.\\w)`).test(task)) c = `${c}/`;
        if (isUnder(trimSlash(c), value) || (c.endsWith('/') && isUnder(trimSlash(c), trimSlash(value)))) candidates.add(c);
      }
      if (candidates.size === 1) {
        const [c] = [...candidates];
        if (c !== undefined && boundaryAllows(boundary, name, c)) {
          args[name] = c;
          evidence.push({ arg: name, source: 'task', detail: `the task names ${c}, inside the requested ${value}` });
          reasons.push(`${name} ${value} → ${c}`);
        }
      }
      continue;
    }
    if (REPO_ARG.test(name) && !value.includes('/')) {
      const repos = new Set(taskRepos.filter((r) => r.toLowerCase().startsWith(`${value.toLowerCase()}/`)));
      if (repos.size === 1) {
        const [r] = [...repos];
        if (r !== undefined && boundaryAllows(boundary, name, r)) {
          args[name] = r;
          evidence.push({ arg: name, source: 'task', detail: `the task names the repository ${r} of ${value}` });
          reasons.push(`${name} ${value} → ${r}`);
        }
      }
    }
  }
  if (reasons.length === 0) return undefined;
  return { args, evidence, reason: `narrowed to what the task names: ${reasons.join('; ')}` };
}

/** The part of a list the task names, when it names some but not all; for side effects, only recipients, only dropping values from nowhere. */
function narrowList(name: string, value: readonly unknown[], task: string, ctx: NarrowContext): string[] | undefined {
  if (value.length < 2 || value.length > MAX_LIST || SUBTRACTIVE_LIST.test(name) || !value.every((v) => typeof v === 'string' && v.length > 0 && v.length <= 256)) return undefined;
  const items = value as readonly string[];
  if (ctx.sideEffect === true) {
    // Only values the task names are kept; the others must come from nowhere (a list read from a result — reply to all — is not cut here).
    const taskPlain = plain(task);
    const src = items.map((v, i) => (mentions(taskPlain, v) ? 'task' : (ctx.sourceOf?.(`${name}.${i}`) ?? 'nowhere')));
    if (!src.includes('task') || !src.every((x) => x === 'task' || x === 'nowhere')) return undefined;
    const kept = items.filter((_v, i) => src[i] === 'task');
    return kept.length < items.length ? kept : undefined;
  }
  const named = namedItems(items, task, ctx.results);
  const kept = items.filter((_v, i) => named[i] === true);
  return kept.length > 0 && kept.length < items.length ? kept : undefined;
}
