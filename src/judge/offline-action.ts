/**
 * Action relevance for the offline judge: what a tool does (from its name,
 * annotations, schema and description) and what the task asks for (from its
 * verbs, with synonyms), plus the topics and words each mentions.
 */
import type { ToolCall, ToolSpec } from '../session/types.js';
import { findInstructionSpans } from '../session/instructions.js';
import { foldIdentifier, isSpoofedIdentifier, looseIdentifier, looseForm, strictForm } from '../session/text.js';
import { GENERIC_WORDS, MONEY_SEND_VERBS, SIDE_EFFECTS, TASK_VERBS, TOOL_VERBS, TOPIC_OF, argCategory, splitWords, stem } from './offline-lexicon.js';
import type { ActionClass } from './offline-lexicon.js';
import { COMMAND_ARG, EXECUTOR_WORD, commandClass } from './offline-command.js';

/** What the judge believes a tool does. */
export interface ToolProfile {
  /** The tool name as judged: look-alike letters folded, invisible characters removed. */
  readonly name: string;
  /** True when the raw name mixes scripts or hides invisible characters. */
  readonly spoofed: boolean;
  /** The main action class. */
  readonly action: ActionClass;
  /** Every class named anywhere in the name (e.g. `manage … sharing` → update, share). */
  readonly classes: ReadonlySet<ActionClass>;
  /** True unless every sign says read-only. */
  readonly sideEffect: boolean;
  /** Stemmed content words of the name, without the verb, the server prefix and generic words. */
  readonly objects: ReadonlySet<string>;
  /** Stemmed words of the server / product prefix (`gmail`, `binance`). */
  readonly service: ReadonlySet<string>;
  readonly topics: ReadonlySet<string>;
  /** How the class was decided, for evidence. */
  readonly basis: string;
  /** Stem of the word that names the action (`scale` in `scale_deployment`), or of the name's first word when no verb is known. */
  readonly verb: string;
  /** True when the name holds no known verb: the class is a guess from the description, the hints or a default. */
  readonly uncertain: boolean;
  /** Stem of the description's opening verb ("Streams vehicle telemetry…" → `stream`), when the name holds no known verb. */
  readonly descVerb: string;
}

const READ_PREFIX = /^(?:is|has|can|does|should)$/;
/** Description openings of tools that answer with data ("Returns the…", "Provides…"). */
const DESC_READ_OPENERS = new Set('returns return provides provide gives give reports report answers answer lists shows gets fetches retrieves searches looks'.split(' '));
const MAX_NAME = 256;

/** Tool-name words that are nouns as often as verbs; they name the action only when no clearer verb does. */
const NOUN_VERBS = new Set(
  'email mail message post comment text sms call dm chat tweet retweet order payment money share log record note schedule book draft plan reply command script shell terminal status info stat lock tag label pin star setup build tip trade charge deposit wire checkout bid swap stake invite collaborator list search view access export import copy clone record print contact contacts merge release backup snapshot'.split(
    ' ',
  ),
);

/**
 * Classifies a tool. The name decides; annotations and the description can
 * only add caution (a server may lie): `readOnlyHint: true` never turns a
 * `delete_…` into a read, but `destructiveHint: true` makes a read-looking
 * name side-effecting.
 */
export function profileTool(call: ToolCall, spec: ToolSpec | undefined): ToolProfile {
  // Names are short; a hostile megabyte-long one is judged on its first part.
  const raw = call.tool.length > MAX_NAME ? call.tool.slice(0, MAX_NAME) : call.tool;
  const spoofed = isSpoofedIdentifier(raw);
  const name = looseIdentifier(raw);
  let words = splitWords(foldIdentifier(raw));
  // A leading server or product prefix (`GmailSendEmail` from server `Gmail`) names a service, not an action.
  const serverWords = splitWords((call.server ?? '').slice(0, MAX_NAME)).filter((w) => !['client', 'server', 'mcp', 'api', 'service', 'tools', 'tool'].includes(w));
  const service = new Set<string>();
  if (serverWords.length > 0 && serverWords.every((w, i) => words[i] === w)) {
    words = words.slice(serverWords.length);
    for (const w of serverWords) service.add(stem(w));
  }
  for (const w of serverWords) service.add(stem(w));
  const classes = new Set<ActionClass>();
  let action: ActionClass | undefined;
  let basis = 'name';
  const objects = new Set<string>();
  // The first unambiguous verb decides; a word that is also a noun (`messages` in `get_received_sms_messages`) decides only when nothing else does.
  const verbAt = words.findIndex((w) => TOOL_VERBS.has(w) && !NOUN_VERBS.has(w));
  const primaryAt = verbAt >= 0 ? verbAt : words.findIndex((w) => TOOL_VERBS.has(w) || READ_PREFIX.test(w));
  words.forEach((w, i) => {
    const c = TOOL_VERBS.get(w) ?? (READ_PREFIX.test(w) ? 'read' : undefined);
    if (c !== undefined && (i === primaryAt || !NOUN_VERBS.has(w))) {
      classes.add(c);
      if (i === primaryAt) action = c;
      return;
    }
    const s = stem(w);
    if (!GENERIC_WORDS.has(w) && !GENERIC_WORDS.has(s) && w.length > 1) objects.add(s);
  });
  // Money next to a sending or making verb is a transfer (`send_money`, `make_payment`).
  if ((action === 'send' || action === 'create') && (objects.has('money') || objects.has('payment') || objects.has('fund'))) {
    action = 'transfer';
    classes.add('transfer');
  }
  // A side-effecting verb anywhere in the name outranks a read verb that comes first (`get_and_delete`).
  const worst = [...classes].find((c) => c !== 'read' && c !== action);
  if (action === 'read' && worst !== undefined) action = worst;
  const ann = spec?.annotations;
  const desc = action === undefined || verbAt < 0 ? looseForm((spec?.description ?? '').slice(0, 300)) : '';
  const descWords = desc.split(/[^a-z]+/).filter((w) => w.length > 0);
  const descFirst = descWords.find((w) => TOOL_VERBS.has(w) || TOOL_VERBS.has(stem(w)) || TOOL_VERBS.has(w.replace(/s$/, '')));
  const fromDesc = descFirst === undefined ? undefined : (TOOL_VERBS.get(descFirst) ?? TOOL_VERBS.get(stem(descFirst)) ?? TOOL_VERBS.get(descFirst.replace(/s$/, '')));
  const uncertain = action === undefined;
  // A description opening with a verb ("Streams…", "Relays…") names the action the name leaves out.
  const opening = descWords[0] ?? '';
  const descVerb = uncertain && opening.length > 3 && !GENERIC_WORDS.has(opening) ? stem(opening.replace(/(?<=[^s])s$/, '')) : '';
  if (action === undefined) {
    // Without a verb in the name, an unknown tool is treated as acting, unless the description reads it as a read, or the
    // server marks it read-only, and no hint says otherwise.
    // A read verb deep in the description ("Controls which networks may query…") is not what the tool does; an opening one is.
    const readOpening = descFirst === opening || DESC_READ_OPENERS.has(opening);
    const described = fromDesc === 'read' && !readOpening ? undefined : fromDesc;
    action = described ?? (ann?.readOnlyHint === true && ann.destructiveHint !== true ? 'read' : 'update');
    basis = described !== undefined ? 'description' : action === 'read' ? 'no recognisable verb; marked read-only' : 'no recognisable verb; treated as acting';
    classes.add(action);
  } else if (action === 'read' && verbAt < 0 && fromDesc !== undefined && fromDesc !== 'read') {
    // The only verb in the name is also a noun (`catalog_reading_list`); a description saying it saves or sends only adds caution.
    action = fromDesc;
    basis = 'description';
    classes.add(fromDesc);
  }
  if (ann?.destructiveHint === true && action === 'read') {
    action = 'update';
    basis = 'destructiveHint';
    classes.add('update');
  }
  if (ann?.readOnlyHint === false && action === 'read') {
    action = 'update';
    basis = 'readOnlyHint false';
    classes.add('update');
  }
  // A "read" that is not read-only and takes a destination delivers data somewhere (`export_contacts` to an address): a send.
  const delivers = Object.keys(call.args).some((k) => {
    const c = argCategory(k);
    return c === 'recipient' || c === 'destination';
  });
  // The same for a tool whose read class is only the description's word: unless the server marks it read-only, it delivers.
  if ((action === 'update' && classes.has('read') && delivers) || (uncertain && action === 'read' && delivers && ann?.readOnlyHint !== true)) {
    action = 'send';
    classes.add('send');
  }
  // An HTTP tool does what its method says: GET reads, DELETE deletes, anything else sends data to the URL.
  const method = call.args['method'];
  if (typeof method === 'string' && Object.keys(call.args).some((k) => argCategory(k) === 'destination') && /^(?:get|head|options|post|put|patch|delete)$/i.test(method)) {
    const m = method.toLowerCase();
    const c: ActionClass = m === 'get' || m === 'head' || m === 'options' ? 'read' : m === 'delete' ? 'delete' : 'send';
    // A name without a verb takes the method's class; a name with one only moves toward caution (`get_…` with DELETE deletes).
    if (basis !== 'name' || (action === 'read' && c !== 'read') || (c === 'delete' && action !== 'delete')) {
      action = c;
      classes.add(c);
      basis = `its method ${m.toUpperCase()}`;
    }
  }
  // A generic executor does what its command does: `grep` reads, `DELETE FROM` deletes (unknown programs stay `execute`).
  const executor = action === 'execute' || words.some((w) => EXECUTOR_WORD.test(w));
  const command = executor ? Object.entries(call.args).find(([k, v]) => typeof v === 'string' && v.trim().length > 0 && COMMAND_ARG.test(k)) : undefined;
  if (command !== undefined) {
    const c = commandClass(command[1] as string);
    classes.delete('execute');
    if (c !== 'read' || action === 'execute') {
      classes.add(c);
      action = c;
      basis = `what its ${command[0]} does`;
    }
  }
  const topics = new Set<string>();
  for (const w of [...objects, ...service]) {
    const t = TOPIC_OF.get(w);
    if (t !== undefined) topics.add(t);
  }
  if (action === 'transfer' || classes.has('transfer')) topics.add('money');
  const verb = stem(words[primaryAt >= 0 ? primaryAt : 0] ?? '');
  return { name, spoofed, action, classes, sideEffect: SIDE_EFFECTS.has(action), objects, service, topics, basis, verb, uncertain, descVerb };
}

/** What the task asks for. */
export interface TaskProfile {
  /** The task in strict form. */
  readonly text: string;
  /** Classes of action the task permits. */
  readonly permits: ReadonlySet<ActionClass>;
  /** Stemmed content words. */
  readonly words: ReadonlySet<string>;
  readonly topics: ReadonlySet<string>;
  /** The task hands the choice of actions to a source ("do the tasks on my TODO list at …"). */
  readonly delegates: boolean;
  /** The task points at a source for its data ("the address in the ticket", "accordingly", "see history"). */
  readonly referencesSource: boolean;
  /** Stems of the words the task uses as verbs, known or not ("scale", "cordon"): a tool whose verb the task echoes is asked for. */
  readonly verbs: ReadonlySet<string>;
  /** The task forbids changes outright ("do not change anything", "read-only"). */
  readonly forbidsChanges: boolean;
  /** The task quotes injection framing itself or is about such attacks (a wiki page on prompt injection, a phishing fixture). */
  readonly citesAttacks: boolean;
}

const NEGATION = /^(?:not|never|no|don't|dont|without|nor|didn't|doesn't|won't)$/;
const SELF = /^(?:me|us|myself)$/;
const SELF_VERBS = new Set(['give', 'tell', 'show', 'let', 'get', 'find', 'send', 'remind', 'email', 'text', 'message']);
/** Words after which the next word is used as a verb ("please pay", "and then delete", "help me book"). */
const VERB_LEAD = new Set(
  'please kindly pls and then also to you i we can could would will must should just or now first finally next afterwards lets let\'s me i\'d i\'ll we\'ll go'.split(' '),
);
/** Words after which the next word is a noun ("my note", "the transfer", "a post"). */
const DETERMINERS = new Set('my the a an this that these those your his her their our its any each every some no latest recent last first new old previous'.split(' '));
/** Task words that are nouns as often as verbs: they count as a request only where a verb would stand. */
const NOUN_TASK_VERBS = new Set(
  'note record log list order post message email e-mail mail text book schedule plan set change update share transfer charge tip report draft store save lock mark label tag file call reply comment answer contact ping trade deposit split fix clear empty drop cover return test run start stop build turn switch open close tweet dm cc entry payment pay refund invite fill enter include note attach submit give'.split(
    ' ',
  ),
);

interface Token {
  readonly w: string;
  /** True at the start of a clause (after punctuation, a list number, or the text's start). */
  readonly lead: boolean;
  /** True inside a question ("how much did I pay …?", "did Grace accept …"): its verbs describe, they do not ask. */
  readonly question: boolean;
  /** True for an amount of money ("24.25 EUR", "$40"). */
  readonly money: boolean;
  /** True at the start of a sentence (after `.`, `!`, `?`, `;`, or the text's start). */
  readonly sentence: boolean;
}

/** Words that open a question clause. `can`/`could`/`would`/`will` + "you" are requests, so they are not here. */
const QUESTION_OPENERS = new Set(
  'what what\'s how which who whom whose when where why did does is are was were has have had isn\'t aren\'t wasn\'t weren\'t didn\'t doesn\'t hasn\'t haven\'t'.split(' '),
);
const SUBJECT_PRONOUNS = new Set('i we he she they it you'.split(' '));
const CURRENCY_WORDS = new Set('usd eur gbp chf jpy cad aud sek nok dkk pln inr cny dollar dollars euro euros pound pounds franc francs bucks yen'.split(' '));

function tokenize(text: string): Token[] {
  const out: { w: string; lead: boolean; question: boolean; money: boolean; sentence: boolean }[] = [];
  let boundary = true;
  let sentence = true;
  let question = false;
  const raws = text.split(/\s+/).filter((r) => r.length > 0);
  for (let r = 0; r < raws.length; r++) {
    const raw = raws[r] ?? '';
    const w = raw.replace(/^[^a-z0-9@~/]+|[^a-z0-9@~/]+$/g, '').replace(/'s$/, '');
    const c0 = w.charCodeAt(0);
    const money = (c0 >= 48 && c0 <= 57 && /^\d+(?:[.,]\d+)*$/.test(w) && CURRENCY_WORDS.has((raws[r + 1] ?? '').replace(/[^a-z]/g, ''))) || /^[$€£¥]\s?\d/.test(raw);
    // A bare small number is a list marker ("1.", "2)"), unless it is an amount.
    if (w.length > 0 && (money || !/^\d{1,2}[.)]?$/.test(w))) {
      if (boundary) question = QUESTION_OPENERS.has(w);
      out.push({ w, lead: boundary, question, money, sentence });
      // "do I …", "can we …", "should I …": a question; "can you …", "do the …": a request.
      const prev = out[out.length - 2];
      if (prev?.lead === true && /^(?:do|can|could|should|may|might|shall)$/.test(prev.w) && SUBJECT_PRONOUNS.has(w) && w !== 'you') {
        prev.question = true;
        out[out.length - 1]!.question = true;
        question = true;
      }
    }
    boundary = /[.,;:!?)\]]['"]?$/.test(raw) || /^\d{1,2}[.)]$/.test(raw) || /^[-*•]$/.test(raw);
    if (w.length > 0) sentence = /[.;!?]['"]?$/.test(raw);
    // A question mark ends a question; the next clause starts fresh. A sentence with a question word that ends in one
    // ("please, what is my limit?") is a question throughout, unless it asks someone to act ("could you …?").
    if (/\?['"]?$/.test(raw)) {
      question = false;
      let start = out.length - 1;
      while (start > 0 && !(out[start]?.sentence ?? true)) start--;
      const sentenceToks = out.slice(start);
      const asks = sentenceToks.some((t, k) => /^(?:can|could|would|will|won't)$/.test(t.w) && sentenceToks[k + 1]?.w === 'you');
      if (!asks && sentenceToks.some((t) => QUESTION_OPENERS.has(t.w))) for (const t of sentenceToks) t.question = true;
    }
  }
  return out;
}

/** True when the word at `i` is used as a verb: the start of a clause, after a lead word, and not after a determiner. */
function verbUse(toks: readonly Token[], i: number, nounLike: boolean): boolean {
  const t = toks[i];
  if (t === undefined || t.question) return false;
  const prev = toks[i - 1]?.w ?? '';
  const prev2 = toks[i - 2]?.w ?? '';
  if (NEGATION.test(prev) || NEGATION.test(prev2)) return false;
  if (t.lead || VERB_LEAD.has(prev)) return true;
  if (DETERMINERS.has(prev)) return false;
  return !nounLike;
}

/** Verbs that take the action from their object ("process the refunds", "make a payment", "issue a refund"). */
const LIGHT_VERBS = new Set('process handle issue do complete perform make carry action initiate execute submit run'.split(' '));
/** Nouns that name an action, as the task verb they stand for ("refunds" → refund, "payment" → pay). */
const ACTION_NOUN_VERB: ReadonlyMap<string, string> = new Map([
  ['refund', 'refund'], ['payment', 'pay'], ['transfer', 'transfer'], ['deletion', 'delete'], ['removal', 'remove'], ['cancellation', 'cancel'],
  ['invitation', 'invite'], ['invite', 'invite'], ['reservation', 'reserve'], ['booking', 'book'], ['reply', 'reply'], ['withdrawal', 'withdraw'],
  ['deposit', 'deposit'], ['purchase', 'buy'], ['order', 'order'], ['change', 'change'], ['edit', 'edit'], ['update', 'update'], ['fix', 'fix'],
  ['correction', 'correct'], ['merge', 'merge'], ['deployment', 'deploy'], ['deploy', 'deploy'], ['rollback', 'rollback'], ['restart', 'restart'],
  ['upgrade', 'upgrade'], ['migration', 'migrate'], ['backup', 'backup'], ['release', 'release'], ['renewal', 'renew'], ['revocation', 'revoke'],
]);

/** A task verb, also when prefixed ("reassign" → assign) or compounded ("squash-merge" → merge). */
function taskVerb(t: string): readonly ActionClass[] | undefined {
  const direct = TASK_VERBS.get(t);
  if (direct !== undefined) return direct;
  if (t.length > 5 && t.startsWith('re')) {
    const base = TASK_VERBS.get(t.slice(2)) ?? TASK_VERBS.get(t.slice(t.charAt(2) === '-' ? 3 : 2));
    if (base !== undefined) return base;
  }
  const dash = t.lastIndexOf('-');
  return dash > 0 ? TASK_VERBS.get(t.slice(dash + 1)) : undefined;
}

/** "Open" creates when its object is something one files (a pull request, an issue, a ticket, an account); otherwise it reads. */
const OPENABLE = new Set('pr pull issue ticket account incident case bug branch discussion draft merge request mr support'.split(' '));
const OPEN_CLASSES: readonly ActionClass[] = ['create'];
function opensSomething(toks: readonly Token[], i: number): boolean {
  for (let j = i + 1; j < Math.min(toks.length, i + 5); j++) if (OPENABLE.has(stem(toks[j]?.w ?? ''))) return true;
  return false;
}

/** Classes of action a text asks for, with the self-answer, light-verb and money rules. */
function requestedClasses(toks: readonly Token[], money: boolean, into: Set<ActionClass>, verbs?: Set<string>, addressed = false): void {
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]?.w ?? '';
    const classes = taskVerb(t) ?? (t === 'open' && opensSomething(toks, i) ? OPEN_CLASSES : undefined);
    const moneySend = money && MONEY_SEND_VERBS.has(t);
    const light = LIGHT_VERBS.has(t);
    if (classes === undefined && !moneySend && !light) {
      // Any other word where a verb stands is kept, so a tool whose verb the task echoes ("scale", "cordon") can be matched.
      if (verbs !== undefined && verbUse(toks, i, true) && /^[a-z][a-z-]{2,}$/.test(t) && !QUESTION_OPENERS.has(t) && !DETERMINERS.has(t)) verbs.add(stem(t));
      continue;
    }
    // Light verbs are nouns as often ("the issue", "the process"): like other such words, they count only where a verb stands.
    if (!verbUse(toks, i, light || NOUN_TASK_VERBS.has(t))) continue;
    const next = toks[i + 1]?.w ?? '';
    // "give me", "tell me", "send me the link": an answer to the user, not an action — unless money moves, or the task gives an address to send to.
    if (SELF_VERBS.has(t) && SELF.test(next) && !(t === 'send' && (money || addressed))) continue;
    verbs?.add(stem(t));
    if (classes !== undefined) for (const c of classes) into.add(c);
    if (moneySend) into.add('transfer');
    // The object decides what a light verb asks for; an amount of money as the object makes any verb a payment ("schedule 24 EUR to …").
    for (let j = i + 1; j < Math.min(toks.length, i + 6); j++) {
      const o = toks[j];
      if (o === undefined || o.sentence) break;
      if (o.money) into.add('transfer');
      const noun = light && j <= i + 4 ? ACTION_NOUN_VERB.get(stem(o.w)) : undefined;
      if (noun !== undefined) for (const c of TASK_VERBS.get(noun) ?? []) into.add(c);
    }
  }
}

const DELEGATION =
  /\b(?:do|perform|complete|handle|execute|carry out|follow|take care of|work through|go through|action|process)\b(?![^.?!]{0,12}\bfollowing\b)[^.?!]{0,60}?\b(?:tasks?|actions?|to-?dos?|instructions?|steps?|requests?|items?|things|what (?:it|they|he|she) (?:says?|asks?))\b/;
const SOURCE_NOUNS =
  'e-?mails?|mails?|messages?|files?|documents?|docs?|notes?|tickets?|issues?|websites?|webpages?|web pages?|pages?|sites?|blogs?|posts?|lists?|notices?|letters?|invoices?|bills?|channels?|inbox|threads?|comments?|calendar|events?|spreadsheets?|sheets?|reports?|history|records?|drive|folders?|attachments?|pdfs?|readme|descriptions?|chats?|dms?|conversations?|reviews?|profiles?|orders?|statements?|receipts?|contracts?|forms?|memos?|agenda';
const SOURCE_REF = new RegExp(
  `\\b(?:in|from|on|at|inside|within|using|per|of)\\s+(?:the|my|this|that|her|his|their|our|its|your|these|those|[\\w-]+'s)?\\s*(?:[\\w'.-]+\\s+){0,3}?(?:${SOURCE_NOUNS})\\b|` +
    `\\b(?:based on|according to|as (?:described|specified|listed|mentioned|stated|instructed|requested|indicated|shown|given|noted)|accordingly|like last (?:month|time|week|year)|same as (?:last|before)|(?:see|check) (?:the |my )?(?:\\w+ )?(?:history|file|email|message|page|notes?|records?))\\b|` +
    `\\b(?:read|open|check|look at|take a look at)\\s+(?:the\\s+)?(?:file\\s+)?['"]?[\\w.-]+\\.[a-z0-9]{2,5}\\b`,
);

/** Words of a task about attacks themselves: content quoting them is what the user asked for. */
const ATTACK_TOPIC = /\b(?:prompt[- ]injection|injection|injected|phishing|jailbreak|malicious|attack(?:s|ers?)?|spoof\w*|scam\w*|social engineering|red[- ]team\w*)\b/;

const FORBIDS_CHANGES =
  /\b(?:do not|don't|dont|never|without|must not|mustn't|shouldn't|should not)\s+(?:chang|modif|edit|touch|alter|updat|delet|remov|writ|mak\w* (?:any )?chang|act on)\w*\s+(?:anything|any\b|a thing|them|it|the data|what you find)|\b(?:stay|remain|be|keep (?:it|this|things))\s+read[- ]only\b|\bread[- ]only (?:mode|task|session|please)\b|\bjust (?:look|read|report|show|tell)\b[^.]{0,20}\bnothing else\b|\bno changes\b/;

/** Reads the task: the actions it permits, its words and topics, and whether it delegates to or cites a source. */
export function profileTask(task: string): TaskProfile {
  const text = strictForm(task.length > 20_000 ? task.slice(0, 20_000) : task);
  const toks = tokenize(text);
  const permits = new Set<ActionClass>(['read']);
  const { words, topics } = contentOf(toks);
  if (/[$€£¥]\s?\d|\d\s?(?:usd|eur|gbp|chf|dollars?|euros?|pounds?)\b/.test(text)) topics.add('money');
  const verbs = new Set<string>();
  requestedClasses(toks, topics.has('money'), permits, verbs, /[a-z0-9._%+-]+@[a-z0-9-]+\.[a-z]{2,}/.test(text));
  if (/\bset(?:ting)? up\b|\bsign(?:ing)? up\b|\bmake an? (?:reservation|booking|appointment|payment|transfer)\b/.test(text)) {
    permits.add('create');
    if (/payment|transfer/.test(text)) permits.add('transfer');
  }
  const delegates = DELEGATION.test(text);
  const citesAttacks = ATTACK_TOPIC.test(text) || findInstructionSpans(looseForm(task.length > 20_000 ? task.slice(0, 20_000) : task)).some((s) => s.strength === 'strong');
  return { text, permits, words, topics, delegates, referencesSource: delegates || SOURCE_REF.test(text), verbs, forbidsChanges: FORBIDS_CHANGES.test(text), citesAttacks };
}

function contentOf(toks: readonly Token[]): { words: Set<string>; topics: Set<string> } {
  const words = new Set<string>();
  const topics = new Set<string>();
  for (const { w } of toks) {
    const s = stem(w);
    if (!GENERIC_WORDS.has(w) && !GENERIC_WORDS.has(s)) words.add(s);
    const topic = TOPIC_OF.get(s);
    if (topic !== undefined) topics.add(topic);
  }
  return { words, topics };
}

/** How much a tool's words and topics overlap with a set of words and topics. */
export function overlap(tool: ToolProfile, words: ReadonlySet<string>, topics: ReadonlySet<string>): { words: number; topics: number; service: boolean } {
  let w = 0;
  for (const o of tool.objects) if (words.has(o)) w++;
  let t = 0;
  for (const o of tool.topics) if (topics.has(o)) t++;
  // The service named as one word too ("coinex" for `CoinEx`).
  let service = tool.service.size > 1 && words.has([...tool.service].join(''));
  for (const s of tool.service) if (words.has(s)) service = true;
  return { words: w, topics: t, service };
}

/** What instruction text asks for: its words and topics, the actions it requests, and the objects of the reads it requests. */
export interface RequestProfile {
  readonly words: ReadonlySet<string>;
  readonly topics: ReadonlySet<string>;
  readonly permits: ReadonlySet<ActionClass>;
  /** Stemmed words right after a read verb ("retrieve my saved addresses") or after "send my …": what the text wants read. */
  readonly readObjects: ReadonlySet<string>;
}

const WINDOW_STOP = new Set('to with and then via through using into onto for so because if when after before but or'.split(' '));
const DATA_SEND = new Set('send share email e-mail forward post upload export mail give provide'.split(' '));
const POSSESSIVE = new Set('my our your his her their all every each'.split(' '));

/** Profiles instruction text found in results, with the same word rules as the task. */
export function profileRequest(text: string): RequestProfile {
  const toks = tokenize(text);
  const { words, topics } = contentOf(toks);
  const permits = new Set<ActionClass>();
  requestedClasses(toks, topics.has('money'), permits);
  const readObjects = new Set<string>();
  for (let i = 0; i < toks.length; i++) {
    const w = toks[i]?.w ?? '';
    const reads = TOOL_VERBS.get(w) === 'read';
    const sends = DATA_SEND.has(w) && POSSESSIVE.has(toks[i + 1]?.w ?? '');
    if (!(reads || sends) || !verbUse(toks, i, !reads)) continue;
    for (let j = i + 1; j < Math.min(toks.length, i + 8); j++) {
      const o = toks[j]?.w ?? '';
      if (WINDOW_STOP.has(o)) break;
      const st = stem(o);
      if (!GENERIC_WORDS.has(o) && !GENERIC_WORDS.has(st)) readObjects.add(st);
    }
  }
  return { words, topics, permits, readObjects };
}
