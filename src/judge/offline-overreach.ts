/**
 * Over-reach: a call that does what the task asks for, but more of it. The
 * action class matches ("pay", "share", "edit"), yet a value the user would
 * care about is broader than what the task says:
 *
 * - a quantity (amount, limit, count) other than the one the task states;
 * - an escalated setting the task never mentions (owner or admin role, a
 *   recurring schedule, "delete" as the action of a rule, public visibility,
 *   `force: true`);
 * - a file operation outside every path the task names (the parent directory
 *   instead of the file, another file altogether);
 * - a read of a credential store (SSH keys, cloud credentials) the task never
 *   names;
 * - an overwrite that drops most of a file the task only asked to add to.
 *
 * Every check compares call values with the trusted task only; untrusted text
 * can never license a value here.
 */
import type { HistoryEntry } from '../session/types.js';
import type { ToolProfile, TaskProfile } from './offline-action.js';
import { splitWords } from './offline-lexicon.js';
import { dirname, isUnder, pathsInTask, trimSlash } from './offline-narrow.js';
import { COMMAND_ARG } from './offline-command.js';
import { quote, scalarArgs } from './offline-signal.js';
import { hintFor } from './offline-schema.js';
import type { ArgHint } from './offline-schema.js';
import type { Signal } from './offline-signal.js';

/** Argument-name words for quantities whose value the user decides. */
const QUANTITY_WORDS = new Set(
  'amount price quantity qty total fee cost limit cap threshold budget replicas replica units shares percent percentage capacity instances sum'.split(' '),
);

/** A number the task states, and whether it is marked as money. */
interface Stated {
  readonly n: number;
  readonly money: boolean;
  /** Lower-case words just before it ("limit of card … to"), to tie it to an argument. */
  readonly before: readonly string[];
  /** The word right after it ("30 tablets"): a count of things when it is a plural noun. */
  readonly after: string;
}

const CURRENCY = /^(?:usd|eur|gbp|chf|jpy|cad|aud|dollars?|euros?|pounds?|francs?|bucks)\b/;

/** Numbers the task states as quantities: not parts of dates, times, versions, ids, addresses or paths; not percentages; years only as amounts. */
export function taskQuantities(text: string): readonly Stated[] {
  let hit = quantityMemo.get(text);
  if (hit === undefined) {
    if (quantityMemo.size >= 1_024) quantityMemo.clear();
    hit = readQuantities(text);
    quantityMemo.set(text, hit);
  }
  return hit;
}
const quantityMemo = new Map<string, readonly Stated[]>();

function readQuantities(text: string): Stated[] {
  const out: Stated[] = [];
  const toks = text.split(/\s+/);
  for (let i = 0; i < toks.length && out.length < 64; i++) {
    const raw = (toks[i] ?? '').replace(/^[("'[]+|[)"'\],.;:!?]+$/g, '');
    const m = /^[$€£¥]?(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(k)?$/i.exec(raw);
    if (!m) continue;
    const n = Number((m[1] ?? '').replace(/,/g, '')) * (m[2] !== undefined ? 1000 : 1);
    if (!Number.isFinite(n)) continue;
    const money = /^[$€£¥]/.test(raw) || CURRENCY.test(toks[i + 1] ?? '');
    if (!money && Number.isInteger(n) && n >= 1900 && n <= 2100) continue;
    const before = toks.slice(Math.max(0, i - 6), i).map((t) => t.replace(/[^a-z_-]/g, ''));
    out.push({ n, money, before, after: (toks[i + 1] ?? '').replace(/[^a-z]/g, '') });
  }
  return out;
}

/** Task wording that derives an amount rather than stating it ("send them the difference", "19.5% of what we paid"). */
const COMPUTED = /\b(?:difference|remaining|remainder|the rest|balance|split|half|third|quarter|double|twice|triple|percent|per cent|plus|minus|times|multipl|divid|sum of|total of|add up|subtract|deduct|increase[sd]? by|decrease[sd]? by|raise[sd]? by|lower(?:ed)? by|reduce[sd]? by|\d\s?%|\+)/;
/** Argument-name words for counts of things. */
const COUNT_WORDS = new Set('quantity qty units count'.split(' '));
/** Plural words after a number that are no count of things handed over. */
const NOT_COUNTED = /^(?:seconds|minutes|hours|days|weeks|months|years|percents|times|items|results|pages|rows|records|entries|lines)$/;
/** Argument-name words for amounts of money. */
const MONEY_WORDS = new Set('amount price total fee cost sum budget'.split(' '));

function numericValue(v: string | number | boolean): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*-?\d{1,3}(?:,\d{3})*(?:\.\d+)?\s*$|^\s*-?\d+(?:\.\d+)?\s*$/.test(v)) return Number(v.replace(/,/g, ''));
  return undefined;
}

/**
 * A side-effecting call whose quantity differs from the one the task states
 * for it: an amount of money when the task names one, or a setting the task
 * sets by name ("lower the monthly limit to 500"). Amounts the task derives
 * ("the difference") are left to other checks.
 */
export function quantityOverreach(tool: ToolProfile, task: TaskProfile, args: Readonly<Record<string, unknown>>): Signal | undefined {
  if (!tool.sideEffect || COMPUTED.test(task.text)) return undefined;
  const stated = taskQuantities(task.text);
  if (stated.length === 0) return undefined;
  for (const { path, key, value } of scalarArgs(args, 64)) {
    const words = splitWords(key);
    if (!words.some((w) => QUANTITY_WORDS.has(w))) continue;
    const n = numericValue(value);
    if (n === undefined || n === 0) continue;
    if (stated.some((s) => Math.abs(s.n - Math.abs(n)) < 0.005)) continue;
    const isMoney = words.some((w) => MONEY_WORDS.has(w));
    const named = words.filter((w) => QUANTITY_WORDS.has(w) || w.length > 3);
    // A count argument takes a number the task gives as a count of things ("30 tablets", "12 kegs"), not a time or a share.
    const isCount = words.some((w) => COUNT_WORDS.has(w));
    const counted = (x: Stated): boolean => isCount && !x.money && /^[a-z]{3,}s$/.test(x.after) && !NOT_COUNTED.test(x.after);
    const forThis = stated.filter((s) => (isMoney && s.money) || counted(s) || s.before.some((b) => named.some((w) => b.startsWith(w.replace(/s$/, '')))));
    if (forThis.length === 0) continue;
    const said = forThis.slice(0, 3).map((s) => s.n).join(', ');
    return {
      decision: 'deny',
      confidence: 0.86,
      reason: `${path} = ${n}, but the task states ${said}; ask the user before using another value`,
      evidence: [{ arg: path, source: 'task', detail: `the task states ${said}; the call asks for ${n}` }],
    };
  }
  return undefined;
}

/**
 * Settings broader than an ordinary request, each with the task wording that
 * licenses it. A value listed here that the task does not license is over-reach.
 */
const ESCALATIONS: readonly { readonly value: RegExp; readonly licence: RegExp; readonly what: string }[] = [
  { value: /^(?:owner|owners|ownership|co-?owner)$/, licence: /\bowner|\bownership\b|\bfull (?:control|access|rights)\b/, what: 'owner rights' },
  { value: /^(?:admin|admins|administrator|superuser|super-?admin|root|sudo|sysadmin)$/, licence: /\badmin|\badministrat|\bsuperuser|\broot\b|\bsudo\b|\bfull (?:control|access|rights)\b/, what: 'administrator rights' },
  { value: /^(?:public|public-read|public-read-write|everyone|anyone|allusers|all-?users|all_users|anonymous|world|world-?readable|internet|anyone[-_ ](?:with[-_ ])?(?:the[-_ ])?link|anyone[-_ ]can[-_ ]\w+)$/, licence: /\bpublic|\beveryone\b|\banyone\b|\banonymous|\bthe (?:whole )?world\b|\binternet\b|\bopen (?:it )?to all\b/, what: 'access for everyone' },
  { value: /^(?:0\.0\.0\.0\/0|::\/0|\*)$/, licence: /\banywhere\b|\bany (?:address|ip|host|source)\b|\beveryone\b|\ball (?:addresses|ips|hosts|traffic)\b|\bpublic\b|0\.0\.0\.0\/0|::\/0|\*/, what: 'any address or every resource' },
  { value: /^(?:delete|destroy|purge|erase|wipe|trash|remove|permanent(?:ly)?-?delete|hard-?delete)$/, licence: /\bdelet|\bdestroy|\bpurg|\beras|\bwip(?:e|ing)\b|\btrash|\bremov|\bget rid\b|\bclean ?up\b/, what: 'deletion' },
  { value: /^(?:monthly|every-?month)$/, licence: /\bmonthly\b|\b(?:every|each|per|a) month\b|\brecurring\b|\bstanding order\b|\brepeat/, what: 'a monthly repetition' },
  { value: /^(?:weekly|every-?week)$/, licence: /\bweekly\b|\b(?:every|each|per|a) week\b|\brecurring\b|\brepeat/, what: 'a weekly repetition' },
  { value: /^(?:daily|every-?day)$/, licence: /\bdaily\b|\b(?:every|each|per|a) day\b|\brecurring\b|\brepeat/, what: 'a daily repetition' },
  { value: /^(?:yearly|annually|annual|every-?year)$/, licence: /\byearly\b|\bannual|\b(?:every|each|per|a) year\b|\brecurring\b|\brepeat/, what: 'a yearly repetition' },
  { value: /^(?:recurring|repeat|repeating|forever|never|unlimited|infinite|indefinite|indefinitely|permanent|no-?expiry)$/, licence: /\brecurring|\brepeat|\bforever\b|\bunlimited\b|\bindefinite|\bpermanent|\bno expiry|\bnever expir/, what: 'no end' },
  { value: /^(?:granted|grant|opted-?in|opt-?in|subscribed|consented|accepted)$/, licence: /\bconsent|\bopt(?:ed)?[- ]?in\b|\bsubscri|\bgrant|\baccept/, what: 'consent or a subscription' },
  { value: /^(?:closed|close)$/, licence: /\bclos/, what: 'closing it' },
  { value: /^(?:archived|archive)$/, licence: /\barchiv/, what: 'archiving it' },
  { value: /^(?:locked|lock)$/, licence: /\block/, what: 'locking it' },
  { value: /^(?:disabled|disable|inactive|deactivated|suspended|blocked|banned|revoked|terminated|stopped|cancell?ed)$/, licence: /\bdisabl|\binactiv|\bdeactiv|\bsuspend|\bblock|\bban\b|\bbann|\brevok|\bterminat|\bstop|\bcancel|\bturn(?:ed)? off\b|\bshut/, what: 'switching it off' },
];

/** Argument names whose values are free text (a message, a title): words in them are content, not settings. */
const FREE_TEXT_ARG = /^(?:body|content|contents|text|message|messages|description|desc|subject|title|comment|comments|note|notes|reference|memo|summary|reason|query|q|search|filter|name|label|labels|html|markdown|prompt|caption|bio|details|data|title_contains|keywords?)$/;
/** Setting names whose values decide who gets what (not free text, not ids): where escalated values are looked for. */
const SETTING_ARG = /role|permission|access|level|scope|visibility|privacy|acl|policy|mode|action|recurr|frequen|repeat|interval|cadence|state|status|cidr|range|source|^ips?$|grant|audience|sharing|expir|consent|opt_?in|subscri|rights|privilege|type$/i;
/** Boolean settings that protect something: switching them off widens the call. */
const PROTECTING_FLAG = /^(?:private|is_?private|protected|draft|locked|read_?only|readonly|enforce\w*|require\w*|verify\w*|verified_?only|encrypted|encrypt\w*|mfa\w*|two_?factor\w*|secure|confidential|internal|restricted|approval_?required|dismiss_?stale\w*)$/i;
/** Protections that are a matter of stage, not of security: only the task's own word makes them binding. */
const SOFT_FLAG = /^(?:draft|internal|confidential)$/i;
/** Boolean flags that widen what a call does when set. */
const WIDENING_FLAG = /^(?:force|forced|recursive|recurse|cascade|purge|permanent|permanently|hard|admin|public|include_?secrets|delete_?branch|delete_?source|prune|all|overwrite|no_?verify|skip_?checks?|bypass\w*)$/;

/** A side-effecting call with a setting broader than the task asks for. */
export function escalatedSetting(tool: ToolProfile, task: TaskProfile, args: Readonly<Record<string, unknown>>, hints: ReadonlyMap<string, ArgHint> = NO_HINTS): Signal | undefined {
  if (!tool.sideEffect) return undefined;
  for (const { path, key, value } of scalarArgs(args, 128)) {
    const k = key.toLowerCase();
    // Values that open something to every address or everyone, whatever the argument is called (`networks: ["0.0.0.0/0"]`).
    if (typeof value === 'string' && !FREE_TEXT_ARG.test(k) && value.length <= 40) {
      const v = value.trim().toLowerCase();
      const open = UNMISTAKABLE_WIDENING.test(v) ? ESCALATIONS.find((x) => x.value.test(v)) : undefined;
      if (open !== undefined && !task.text.includes(v) && !open.licence.test(task.text)) return deny(path, value, open.what);
    }
    if (typeof value === 'boolean') {
      const words = splitWords(k).filter((w) => w.length > 2);
      const said = words.some((w) => task.text.includes(w.replace(/e$/, '')));
      if (value === true && (WIDENING_FLAG.test(k) || /^allow_/.test(k)) && !said) return deny(path, 'true', `the flag ${k}`);
      // The task asks for a draft, a private repository, a protected branch: the call must not switch it off.
      // On a new thing `false` is often the default; on an existing one it switches a protection off.
      const relaxes = /\b(?:public|publish|open|unlock|disable|turn off|remove|lift|relax|allow)\w*/.test(task.text);
      if (value === false && PROTECTING_FLAG.test(k) && (said || (tool.action !== 'create' && !SOFT_FLAG.test(k) && !relaxes))) return deny(path, 'false', `switching off ${k}`);
      continue;
    }
    if (typeof value === 'number' && value === 0 && /required|min|count/i.test(k) && /approv|review|check|protect/i.test(k) && !/\b(?:zero|0|no (?:reviews?|approvals?|checks?))\b/.test(task.text)) {
      return deny(path, '0', `removing the requirement ${k}`);
    }
    // Inside a command or a query: assignments of roles and grants (`SET role = 'admin'`, `GRANT ALL`).
    if (typeof value === 'string' && COMMAND_ARG.test(k)) {
      for (const m of value.slice(0, 8_192).matchAll(/\b(?:role|privilege|permission|access|level|is_?admin|admin|superuser|visibility|acl)\w*\s*(?:=|:|to)\s*['"]?([\w.*/:-]+)|\bgrant\s+(all|admin|owner|superuser)\b/gi)) {
        const v = (m[1] ?? m[2] ?? '').toLowerCase();
        if (v.length === 0 || task.text.includes(v)) continue;
        const e = ESCALATIONS.find((x) => x.value.test(v) && !x.licence.test(task.text));
        if (e !== undefined) return deny(path, v, e.what);
      }
      continue;
    }
    // The schema may say what a vaguely named argument decides ("who can see the list", an enum of private…public).
    if (typeof value !== 'string' || FREE_TEXT_ARG.test(k) || value.length > 40 || !(SETTING_ARG.test(k) || hintFor(hints, path)?.setting === true)) continue;
    const v = value.trim().toLowerCase();
    if (v.length === 0 || task.text.includes(v)) continue;
    for (const e of ESCALATIONS) {
      if (!e.value.test(v) || e.licence.test(task.text)) continue;
      return deny(path, value, e.what);
    }
  }
  return undefined;
}

/** Values that widen access under any argument name: every address, anyone holding a link, all users. */
const UNMISTAKABLE_WIDENING = /^(?:0\.0\.0\.0\/0|::\/0|public-read(?:-write)?|allusers|all_users|world-?readable|anyone[-_ ](?:with[-_ ])?(?:the[-_ ])?link|anyone[-_ ]can[-_ ]\w+)$/;
const NO_HINTS: ReadonlyMap<string, ArgHint> = new Map();

function deny(path: string, value: string, what: string): Signal {
  return {
    decision: 'deny',
    confidence: 0.85,
    reason: `${path} = ${quote(value)} asks for ${what}, which the task does not mention; ask the user first`,
    evidence: [{ arg: path, source: 'task', detail: `the task does not ask for ${what} (${path} = ${quote(value)})` }],
  };
}

/** A string that looks like a file-system path (not a link, not prose). */
export function looksLikePath(v: string): boolean {
  if (v.length < 2 || v.length > 1024 || /\s/.test(v) || /^[a-z][a-z0-9+.-]*:\/\//i.test(v) || v.includes('@')) return false;
  return /^(?:~|\.{1,2})?\//.test(v) || /^[\w.-]+(?:\/[\w.-]+)+\/?$/.test(v);
}

/** File names the task mentions without a directory (`bill.txt`, `CHANGELOG.md`). */
function fileNamesInTask(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/(?<![\w/.-])([\w-]+(?:\.[\w-]+)*\.[a-z0-9]{1,6})(?![\w/])/g)) out.add(m[1] ?? '');
  return out;
}

/**
 * A side-effecting call that touches a path outside every path the task
 * names. Only when the task names at least one path: a task that names none
 * leaves paths to other checks. Creating a file beside a named file counts as
 * inside (a converted copy, a new note next to the old one).
 */
export function pathOutsideTask(tool: ToolProfile, task: TaskProfile, rawTask: string, args: Readonly<Record<string, unknown>>, fromData: (value: string) => boolean): Signal | undefined {
  if (!tool.sideEffect) return undefined;
  const named = pathsInTask(rawTask).map((p) => p.toLowerCase());
  if (named.length === 0) return undefined;
  const files = fileNamesInTask(task.text);
  for (const { path, key, value } of scalarArgs(args, 64)) {
    if (typeof value !== 'string' || FREE_TEXT_ARG.test(key.toLowerCase()) || !looksLikePath(value)) continue;
    const p = trimSlash(value.toLowerCase());
    const inside = named.some((n) => p === n || isUnder(p, n) || p.endsWith(`/${n}`) || (tool.action === 'create' && /\.[a-z0-9]{1,6}$/.test(n) && dirname(p) === dirname(n)));
    if (inside) continue;
    const base = p.slice(p.lastIndexOf('/') + 1);
    if (files.has(base) && !named.some((n) => n.endsWith(`/${base}`))) continue;
    // A path taken from a source the task points to ("delete the files listed in cleanup.txt") is the source's business.
    if (task.referencesSource && fromData(value)) continue;
    return {
      decision: 'deny',
      // Work often touches a file the task did not name (the source behind a failing test): a cascade should ask a model.
      confidence: 0.76,
      reason: `${path} = ${quote(value)} lies outside what the task names (${quote(named.slice(0, 2).join(', '))}); ask the user before touching it`,
      evidence: [{ arg: path, source: 'task', detail: `the task names ${quote(named.slice(0, 3).join(', '))}; ${quote(value)} is neither one of them nor inside one` }],
    };
  }
  return undefined;
}

/** Where credentials live: keys, cloud and tool credentials, password stores. */
const CREDENTIAL_STORE =
  /(?:^|\/)(?:\.ssh(?:\/|$)|id_(?:rsa|dsa|ecdsa|ed25519)(?:\.pub)?$|\.aws\/(?:credentials|config)$|\.aws\/?$|\.gnupg(?:\/|$)|private-keys|\.netrc$|\.pgpass$|\.git-credentials$|\.docker\/config\.json$|\.kube\/config$|\.config\/gcloud(?:\/|$)|\.azure(?:\/|$)|keychain|wallet\.dat$|\/etc\/shadow$|\.npmrc$|\.pypirc$|[\w.-]+\.(?:pem|p12|pfx|kdbx|keystore|jks)$|[\w.-]*private[\w.-]*\.key$)/;
/** Project files that hold secrets too, but that a task about the project may reasonably read. */
const PROJECT_SECRET = /(?:^|\/)(?:\.env(?:\.(?!example$|sample$|template$|dist$|defaults?$)[\w-]+)?|credentials(?:\.[\w-]+)?|secrets?(?:\.[\w-]+)?|[\w.-]+\.key)$/;

/** A call that reads a credential store the task never names. */
export function credentialRead(tool: ToolProfile, rawTask: string, args: Readonly<Record<string, unknown>>): Signal | undefined {
  const lowerTask = rawTask.toLowerCase();
  const named = pathsInTask(rawTask).map((p) => p.toLowerCase());
  // Paths given as arguments, and paths inside a command line (`cat ~/.ssh/id_rsa`).
  const candidates: { path: string; value: string }[] = [];
  for (const { path, key, value } of scalarArgs(args, 64)) {
    if (typeof value !== 'string') continue;
    if (COMMAND_ARG.test(key)) {
      for (const tok of value.slice(0, 8_192).split(/[\s'"`;|&<>()=]+/)) if (looksLikePath(tok)) candidates.push({ path, value: tok });
    } else if (!FREE_TEXT_ARG.test(key.toLowerCase()) && looksLikePath(value)) candidates.push({ path, value });
  }
  for (const { path, value } of candidates.slice(0, 128)) {
    const p = trimSlash(value.toLowerCase());
    const store = CREDENTIAL_STORE.test(p);
    const project = !store && PROJECT_SECRET.test(p);
    if (!store && !project) continue;
    if (lowerTask.includes(p) || named.some((n) => p === n || p.endsWith(`/${n}`))) continue;
    // A project secret inside a directory the task names is part of the job; a credential store needs naming itself.
    if (project && named.some((n) => isUnder(p, n))) continue;
    if (store && named.some((n) => CREDENTIAL_STORE.test(n) && (isUnder(p, n) || p === n))) continue;
    return {
      decision: 'deny',
      confidence: tool.sideEffect ? 0.88 : 0.86,
      reason: `${path} = ${quote(value)} is where credentials are kept, and the task does not name it; ask the user first`,
      evidence: [{ arg: path, source: 'task', detail: `${quote(value)} holds secrets (keys or credentials) and the task never names it` }],
    };
  }
  return undefined;
}

/** Task wording that asks for a file's content to be replaced rather than added to. */
const REPLACE_LICENCE =
  /\b(?:overwrit|replac|rewrit|regenerat|recreat|reset|clear|empty|truncat|wipe|from scratch|start over|only contains?|should (?:only )?contain|so (?:that )?it (?:only )?contains|with just|new file|create|write (?:a|the) (?:new|fresh))/;
const CONTENT_ARG = /^(?:content|contents|text|body|data)$/;

/**
 * A write that replaces a file read earlier in the session with content that
 * keeps little of it, when the task asked to add or change, not to replace.
 */
export function destructiveOverwrite(tool: ToolProfile, task: TaskProfile, history: readonly HistoryEntry[], args: Readonly<Record<string, unknown>>): Signal | undefined {
  if (!tool.sideEffect || tool.action === 'delete' || REPLACE_LICENCE.test(task.text)) return undefined;
  const entries = Object.entries(args);
  const target = entries.find(([k, v]) => typeof v === 'string' && /^(?:path|file|file_?path|filename|target)$/i.test(k) && looksLikePath(v));
  const content = entries.find(([k, v]) => typeof v === 'string' && CONTENT_ARG.test(k.toLowerCase()));
  if (target === undefined || content === undefined) return undefined;
  const [, p] = target as [string, string];
  const [contentArg, text] = content as [string, string];
  for (let i = history.length - 1; i >= 0; i--) {
    const h = history[i];
    if (h === undefined || typeof h.result !== 'string' || !Object.values(h.args).includes(p)) continue;
    const lines = h.result
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l.length > 1)
      .slice(0, 400);
    if (lines.length < 3) return undefined;
    const kept = lines.filter((l) => text.includes(l)).length;
    if (kept / lines.length >= 0.5) return undefined;
    return {
      decision: 'deny',
      confidence: 0.78,
      reason: `${contentArg} replaces ${quote(p)} and drops ${lines.length - kept} of its ${lines.length} lines; the task does not ask to replace it`,
      evidence: [{ arg: contentArg, source: `${quote(h.tool)} #${i + 1}`, detail: `the file as read in ${quote(h.tool)} #${i + 1} has ${lines.length} lines; the new content keeps ${kept}` }],
    };
  }
  return undefined;
}

/**
 * Containers and what they hold. A call that acts on the container when the
 * task is about something inside it (deleting the repository to delete a
 * branch, changing the whole bucket to fix one object) reaches too far.
 */
const CONTAINS: Readonly<Record<string, readonly string[]>> = {
  organization: ['repository', 'repo', 'team', 'project', 'member', 'workspace'],
  org: ['repository', 'repo', 'team', 'project', 'member'],
  workspace: ['channel', 'project', 'member', 'file', 'document'],
  repository: ['branch', 'file', 'issue', 'pull', 'pr', 'commit', 'tag', 'release', 'label', 'readme', 'comment', 'workflow', 'changelog', 'doc'],
  repo: ['branch', 'file', 'issue', 'pull', 'pr', 'commit', 'tag', 'release', 'label', 'readme', 'comment', 'workflow', 'changelog', 'doc'],
  bucket: ['object', 'file', 'key', 'prefix', 'folder', 'report', 'export'],
  database: ['table', 'row', 'record', 'column', 'index', 'contact', 'lead', 'deal', 'account', 'entry'],
  schema: ['table', 'column', 'index', 'view'],
  table: ['row', 'record', 'entry', 'contact', 'lead', 'deal'],
  calendar: ['event', 'meeting', 'appointment', 'invite', 'invitation'],
  mailbox: ['email', 'message', 'mail', 'thread', 'draft'],
  inbox: ['email', 'message', 'mail', 'thread'],
  channel: ['message', 'post', 'thread', 'reply'],
  cluster: ['namespace', 'deployment', 'pod', 'node', 'service', 'job'],
  namespace: ['deployment', 'pod', 'service', 'configmap', 'job', 'secret'],
  project: ['issue', 'task', 'file', 'ticket'],
  drive: ['file', 'document', 'folder', 'doc'],
  directory: ['file'],
  folder: ['file', 'document'],
  account: ['transaction', 'payment', 'card', 'payee', 'statement', 'charge'],
  zone: ['record'],
  user: [],
};

/** Objects whose change is administration: who may do what, and what protects what. */
const ADMIN_OBJECTS = new Set(
  'protection permission role policy visibility webhook hook collaborator acl firewall secret token credential password mfa 2fa sso ownership admin access member membership iam'.split(
    ' ',
  ),
);

/** Task words about access control and protection, however phrased. */
const ADMIN_TASK =
  /\b(?:allow|permi|access|public|private|protect|requir|role|admin|polic|rule|secur|firewall|ingress|egress|port|cidr|grant|revok|share|invite|member|owner|visib|webhook|hook|key|token|secret|password|credential|read(?:er|able)|writ(?:er|able)|approv|review|merg|push|force|mfa|2fa|sso|login|sign-?in)/;

/** A side-effecting call on a container the task only reaches into, or an administrative object the task never mentions. */
export function objectOverreach(tool: ToolProfile, task: TaskProfile, valuesFromTask = false): Signal | undefined {
  if (!tool.sideEffect) return undefined;
  const mentioned = (w: string): boolean => task.words.has(w) || task.words.has(`${w}s`) || (w.length > 4 && task.text.includes(w));
  for (const o of tool.objects) {
    const inside = CONTAINS[o];
    // `create_calendar_event` names the event it acts on inside the calendar: not the whole container.
    if (inside === undefined || inside.length === 0 || mentioned(o) || inside.some((c) => tool.objects.has(c))) continue;
    const child = inside.find((c) => mentioned(c));
    if (child === undefined) continue;
    return {
      decision: 'deny',
      confidence: tool.action === 'delete' ? 0.88 : 0.78,
      reason: `${tool.name} acts on a whole ${o}; the task is about a ${child} in it. Ask the user before acting on the ${o}`,
      evidence: [{ source: 'task', detail: `the task names a ${child}, not the ${o} that ${tool.name} changes (${tool.basis})` }],
    };
  }
  const admin = [...tool.objects].find((o) => ADMIN_OBJECTS.has(o));
  // Only a task without any word of access control: "allow", "require", "public", "share" name the topic in other words.
  // When the user gave every value of the call (who, and what they may do), the wording of the tool's name is no over-reach.
  if (admin !== undefined && !valuesFromTask && !mentioned(admin) && !ADMIN_TASK.test(task.text) && !task.permits.has('share')) {
    return {
      decision: 'deny',
      // Told from vocabulary alone: a cascade should ask a model.
      confidence: 0.76,
      reason: `${tool.name} changes ${admin} settings, which the task does not mention; ask the user first`,
      evidence: [{ source: 'task', detail: `the task never mentions ${admin}; ${tool.name} administers it (${tool.basis})` }],
    };
  }
  return undefined;
}

/** Arguments that carry a map of fields to change (`fields: {phone: …, opt_in: true}`). */
const CHANGE_MAP_ARG = /^(?:fields|updates|changes|data|properties|attributes|values|patch|set|record)$/i;

/**
 * An update that changes fields the task never mentions: each changed field
 * must be named by the task or carry a value the task gives.
 */
export function changedFields(tool: ToolProfile, task: TaskProfile, args: Readonly<Record<string, unknown>>): Signal | undefined {
  if (tool.action !== 'update') return undefined;
  for (const [name, value] of Object.entries(args)) {
    if (!CHANGE_MAP_ARG.test(name) || value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    const entries = Object.entries(value as Record<string, unknown>).slice(0, 64);
    if (entries.length < 2) continue;
    for (const [field, v] of entries) {
      const words = splitWords(field).filter((w) => w.length > 2);
      const named = words.some((w) => task.words.has(w) || task.words.has(w.replace(/s$/, '')) || task.text.includes(w));
      const given = (typeof v === 'string' || typeof v === 'number') && String(v).trim().length > 0 && task.text.includes(String(v).trim().toLowerCase());
      if (named || given) continue;
      return {
        decision: 'deny',
        confidence: 0.8,
        reason: `${name}.${field} is changed too, and the task does not mention it; ask the user before changing it`,
        evidence: [{ arg: `${name}.${field}`, source: 'task', detail: `the task names neither the field ${field} nor its new value` }],
      };
    }
  }
  return undefined;
}

const SECRET_OBJECTS = new Set(['secret', 'password', 'passwd', 'credential', 'token', 'apikey', 'key', 'passphrase']);
/** Task wording that asks for a secret's value, not its name or existence. */
const ASKS_SECRET_VALUE = /\b(?:value|contents?|reveal|print|show|copy|paste|decrypt|read|retrieve|fetch|get|give|tell|what(?:'s| is| are))\b[^.?!]{0,40}\b(?:password|passwd|secret|token|key|credential|passphrase)s?\b/;
const ASKS_SECRET_NAME = /\b(?:names?|which|list|where|exists?|path|id)\b[^.?!]{0,12}\bof\b[^.?!]{0,12}\b(?:the\s+)?(?:password|secret|token|key|credential)s?\b|\b(?:which|what)\s+(?:password|secret|token|key|credential)s?\b/;

/** A read of a secret's value when the task asks at most for its name. */
export function secretValueRead(tool: ToolProfile, task: TaskProfile): Signal | undefined {
  if (tool.sideEffect || tool.action !== 'read') return undefined;
  const secret = [...tool.objects].find((o) => SECRET_OBJECTS.has(o));
  if (secret === undefined || /\b(?:list|search|find)\b/.test(tool.verb)) return undefined;
  if (ASKS_SECRET_VALUE.test(task.text) && !ASKS_SECRET_NAME.test(task.text)) return undefined;
  return {
    decision: 'deny',
    confidence: 0.78,
    reason: `${tool.name} reveals a ${secret}'s value, and the task does not ask for it; ask the user first`,
    evidence: [{ source: 'task', detail: `the task does not ask for the value of a ${secret}` }],
  };
}

/** Words of an option as the task would say them (`exclusive-worldwide` → "exclusive worldwide"). */
function optionWords(option: string): string {
  return option.replace(/[-_]+/g, ' ').trim();
}

function saysOption(taskText: string, option: string): boolean {
  const words = optionWords(option);
  if (words.length < 3) return false;
  taskText = taskText.replace(/[-_]+/g, ' ');
  return new RegExp(`(?<![a-z0-9])${words.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![a-z0-9])`).test(taskText);
}

/**
 * A setting the schema offers as a choice (an enum) where the task names one
 * option and the call picks another: the user already chose. Structure, not
 * vocabulary: it needs no list of risky values, so it holds for roles,
 * audiences, licences and tiers nobody listed.
 */
export function otherOption(tool: ToolProfile, task: TaskProfile, args: Readonly<Record<string, unknown>>, hints: ReadonlyMap<string, ArgHint>): Signal | undefined {
  if (!tool.sideEffect || hints.size === 0) return undefined;
  for (const [name, value] of Object.entries(args)) {
    if (typeof value !== 'string' || value.length > 64) continue;
    const options = hints.get(name)?.options ?? [];
    const v = value.trim().toLowerCase();
    if (options.length < 2 || !options.includes(v) || saysOption(task.text, v)) continue;
    const named = options.filter((o) => o !== v && saysOption(task.text, o));
    if (named.length === 0) continue;
    return {
      decision: 'deny',
      confidence: 0.8,
      reason: `${name} = ${quote(value)}, but the task chooses ${quote(named.join(', '))}; ask the user before using another option`,
      evidence: [{ arg: name, source: 'task', detail: `the schema offers ${quote(options.slice(0, 6).join(', '))}; the task names ${quote(named.join(', '))}` }],
    };
  }
  return undefined;
}
