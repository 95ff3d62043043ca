/**
 * Finds text in untrusted tool results that talks to the assistant: the shape
 * of an indirect prompt injection. Ordinary data (a bill, an e-mail, a web
 * page) describes things; an injection addresses the model and tells it what
 * to do ("ignore previous instructions", "<INFORMATION> … before you solve the
 * task …", "Please transfer $500 to …").
 *
 * Two strengths:
 * - `strong`: framing no honest document needs — overrides of earlier
 *   instructions, messages "to you, the AI", fake system or verdict markers,
 *   requests to act without telling the user.
 * - `weak`: an imperative sentence asking for a consequential action
 *   ("Please deposit …", "Withdraw 5 Bitcoin to …"). Real
 *   documents contain such sentences too, so callers weigh them with the task.
 *   (`TODO:` notes are strong: data rarely hands its reader a to-do.)
 *
 * Input is text in loose form (lower case, whitespace collapsed, line and
 * paragraph breaks kept). Everything here is a linear scan.
 */

export type InstructionStrength = 'strong' | 'weak';

/** A region of untrusted text that addresses the assistant. Offsets into the loose-form text. */
export interface InstructionSpan {
  readonly start: number;
  readonly end: number;
  readonly strength: InstructionStrength;
  /** The phrase that gave it away (short, from the lexicon; never copied from the text). */
  readonly cue: string;
}

interface Cue {
  readonly re: RegExp;
  readonly cue: string;
  /** Whole words one of which must occur for the pattern to match: a set lookup before the regex runs. */
  readonly words?: readonly string[];
  /** Substrings one of which must occur (for cues that may be glued to other text): a cheap `includes`. */
  readonly subs?: readonly string[];
}

/** Strong cues. Each pattern is generic injection phrasing, not any dataset's wording. */
const STRONG: readonly Cue[] = [
  // No word boundary before the verb: injected text is often glued to the data before it ("…usaignore your previous…").
  {
    cue: 'override of earlier instructions',
    subs: ['ignore', 'disregard', 'forget', 'override', 'skip', 'bypass', 'abandon'],
    re: /(?:ignore|disregard|forget|override|skip|bypass|abandon)\b[^.\n]{0,40}?\b(?:previous|prior|above|earlier|preceding|former|original|initial|all|any|existing|your|system|other)\b[^.\n]{0,24}?\b(?:\w{0,6}struct\w{0,6}|prompts?|directions?|commands?|rules|guidelines|guardrails|context|orders|tasks?|messages?)\b/g,
  },
  { cue: 'new instructions', words: ['instructions', 'instruction', 'task', 'directive', 'orders', 'order'], re: /\b(?:new|updated|real|actual|revised|additional|secret|hidden|urgent)\s+(?:instructions?|task|directive|orders?)\s*[:!]/g },
  {
    cue: 'message addressed to the model',
    subs: ['to you'],
    re: /\bto you,?\s+(?:the\s+|an?\s+|my\s+|dear\s+)?(?:ai|a\.i\.|assistant|model|agent|bot|chatbot|llm|language model|gpt|claude|gemini|llama|mistral|copilot|local model)\b/g,
  },
  { cue: 'message addressed to the model', words: ['ai', 'assistant', 'agent', 'bot', 'chatbot', 'llm', 'model'], re: /\b(?:dear|hey|hello|hi|attention|note to(?: the)?)\s*,?\s+(?:ai|assistant|agent|bot|chatbot|llm|language model|model)\b/g },
  { cue: 'important message', words: ['important', 'urgent', 'critical'], re: /\b(?:this is an?\s+)?(?:important|urgent|critical)\s+(?:message|notice|instructions?|update|request)\s+(?:from|for)\b/g },
  {
    cue: 'deferral of the user task',
    words: ['before'],
    re: /\bbefore (?:you\s+)?(?:can\s+|start\s+|continue\s+|proceed\s+|do\s+)?(?:solv|complet|continu|proceed|finish|answer|respond|start|begin|do|work)\w{0,6}\b[^.\n]{0,30}?\b(?:task|request|question|anything|job)\b/g,
  },
  { cue: 'deferral of the user task', words: ['after', 'once'], re: /\b(?:after|once) you(?:'ve| have)? (?:do(?:ne)?|complet\w{0,4}|finish\w{0,4}) (?:that|this|these|it)\b[^.\n]{0,40}?\b(?:task|request|continue)\b/g },
  { cue: 'demand for strict compliance', words: ['adhere', 'comply', 'obey', 'follow'], re: /\b(?:strictly|must|have to|required to)\s+(?:adhere|comply|obey|follow)\b/g },
  { cue: 'shouted warning', subs: ['!!'], re: /\b(?:important|attention|urgent|warning|notice|critical)\s*!{2,}/g },
  {
    cue: 'role or system marker',
    subs: ['<', '[', '##'], words: ['system', 'developer', 'admin'],
    re: /<\|?\s*\/?\s*(?:information|important|instructions?|system|sys|admin|assistant|im_start|im_end|endoftext)\s*\|?>|\[\/?(?:inst|system|sys)\]|#{2,}\s*\(?\s*(?:system|admin)[_ ]?(?:message|prompt|note)?\s*\)?|\b(?:system|developer|admin)\s+(?:prompt|message|override|note)\s*:/g,
  },
  {
    cue: 'request to hide the action',
    words: ['without', 'not', 'never', 'don'],
    re: /\b(?:without (?:asking|confirming|checking|telling|notifying|informing|alerting|consulting)|(?:do not|don't|never) (?:ask|tell|inform|notify|mention|alert|confirm with|report to)(?: (?:the|this))? (?:user|me|him|her|them|anyone))\b/g,
  },
  {
    cue: 'claim of prior approval',
    words: ['approved', 'authorized', 'authorised', 'allowed', 'permitted', 'consented', 'cleared', 'preapproved', 'pre-approved', 'signed'],
    re: /\b(?:the (?:[a-z-]+ )?(?:user|owner|admin|administrator|guard|judge|policy|reviewer|team|system|manager|department|officer|lead)|i)\s+(?:has |have )?(?:already |explicitly |fully )?(?:approved|authori[sz]ed|allowed|permitted|pre-?approved|consented|cleared|signed off)\b/g,
  },
  { cue: 'claim of prior approval', words: ['preapproved', 'pre-approved', 'whitelisted', 'allowlisted', 'authorized', 'authorised'], re: /\b(?:is|are|was)\s+(?:pre-?approved|whitelisted|allowlisted|authori[sz]ed by (?:the )?(?:user|admin|guard))\b/g },
  { cue: 'fake verdict', words: ['decision', 'verdict'], re: /\b(?:decision|verdict)\b["']?\s*[:=]\s*["']?(?:allow|approve|approved|permit)\b/g },
  { cue: 'fake verdict', words: ['intentguard', 'guard', 'judge', 'security'], re: /\b(?:intentguard|the guard|the judge|security (?:check|policy))\b[^.\n]{0,30}?\b(?:allows?|approves?|permits?|passed|disabled|off)\b/g },
  { cue: 'instruction to use a tool', words: ['tool', 'function'], re: /\b(?:you should|you must|please)\s+(?:use|call|invoke|run)\s+(?:the\s+)?(?:tool|function)\b/g },
  // A note, message or action item addressed to an assistant, agent or bot, however it is qualified ("note to the payment assistant", "NOTE TO AUTOMATED AGENTS").
  {
    cue: 'message addressed to the model',
    words: ['ai', 'assistant', 'assistants', 'agent', 'agents', 'bot', 'bots', 'llm', 'llms', 'model', 'models', 'copilot'],
    re: /\b(?:note|notes|message|memo|instructions?|action|action item|request|reminder|task|directive|heads[- ]up|attention|psa)\s+(?:to|for)\s+(?:the\s+|all\s+|any\s+|every\s+|our\s+|your\s+)?(?:[a-z-]{2,20}\s+){0,2}?(?:ai|a\.i\.|assistants?|agents?|bots?|llms?|models?|copilots?)\b/g,
  },
  // The assistant named as the speaker's addressee at the start of a clause, followed by an order ("Assistant: please transfer …", "(AI agent: schedule …").
  {
    cue: 'message addressed to the model',
    words: ['ai', 'assistant', 'agent', 'bot', 'llm', 'copilot'],
    re: /(?:^|[\n([{"'>*]|[.!?;]\s)\s*(?:(?:dear|hey|hi|hello|attention|psa)\s+)?(?:the\s+|an?\s+)?(?:[a-z-]{2,20}\s+)?(?:ai|assistant|agent|bot|llm|copilot)s?\s*[:,]\s*(?:please\s+|kindly\s+|now\s+|also\s+|first\s+|immediately\s+)*(?:send|transfer|pay|wire|forward|share|grant|give|invite|add|delete|remove|move|copy|upload|download|export|post|publish|email|schedule|book|create|update|change|set|run|execute|install|fetch|read|open|write|include|append|insert|reply|call|make|invoke|use|disable|enable|reset|approve|merge|push|deploy|grant|leak|reveal|retrieve|collect|remit|redirect)\b/g,
  },
  // The classic invoice fraud: the payment details "changed", pay "the new account instead".
  {
    cue: 'redirection of payment details',
    words: ['instead', 'changed', 'new', 'updated'],
    re: /\b(?:(?:bank|banking|payment|account|wire|remittance|payee)\s+(?:details|information|info|account|number)\s+(?:have\s+|has\s+)?(?:changed|been (?:changed|updated))|(?:pay|send|transfer|remit|wire|deposit)\b(?:[^.\n]|\.(?=\S)){0,80}?\binstead\b|\binstead of (?:the|our|my) (?:old |previous |usual )?(?:iban|account|address|bank))/g,
  },
];

/** Verbs of consequential actions an injected imperative asks for. */
const ACTION_VERBS: ReadonlySet<string> = new Set(
  (
    'send transfer pay wire deposit withdraw refund buy sell purchase order trade donate tip charge initiate email e-mail mail forward share grant give invite add ' +
    'delete remove erase destroy drop purge wipe disable enable deactivate activate turn switch unlock lock change update modify edit set reset rename move ' +
    'redirect reroute ship post publish tweet reply upload download export retrieve access fetch get list collect gather extract compile concatenate copy ' +
    'install uninstall run execute launch deploy schedule reschedule book reserve cancel revoke approve authorize authorise create make guide navigate notify ' +
    'append insert save store use apply sync push merge archive empty clear block unblock subscribe unsubscribe assign leak reveal disclose exfiltrate dump ' +
    'generate leave find search view check remit'
  ).split(' '),
);
/** Words that may stand before the verb of a request ("please", "now", "also"). */
const POLITE: ReadonlySet<string> = new Set(['please', 'kindly', 'pls', 'plz', 'now', 'also', 'then', 'first', 'immediately', 'urgently', 'just', 'do']);
/** Lead-ins that make the following verb a request ("can you", "you must", "make sure to"). */
const LEAD_INS: readonly (readonly string[])[] = [
  ['can', 'you'],
  ['could', 'you'],
  ['would', 'you'],
  ['will', 'you'],
  ['i', 'need', 'you', 'to'],
  ['i', 'want', 'you', 'to'],
  ["i'd", 'like', 'you', 'to'],
  ['i', 'would', 'like', 'you', 'to'],
  ['you', 'must'],
  ['you', 'should'],
  ['you', 'need', 'to'],
  ['you', 'have', 'to'],
  ['you', 'are', 'to'],
  ['make', 'sure', 'to'],
  ['make', 'sure', 'that', 'you'],
  ['be', 'sure', 'to'],
];

function isLetter(c: number): boolean {
  return c >= 97 && c <= 122;
}

/** The words of `text` ending at `end` (exclusive), last first, at most `max`, with their starts. */
function wordsBefore(text: string, end: number, max: number): { w: string; at: number }[] {
  const out: { w: string; at: number }[] = [];
  let i = end - 1;
  while (out.length < max && i >= 0) {
    while (i >= 0 && text.charCodeAt(i) === 32) i--;
    const stop = i + 1;
    while (i >= 0 && (isLetter(text.charCodeAt(i)) || text.charCodeAt(i) === 39)) i--;
    if (i + 1 === stop) break;
    // A quote that opens a field is not part of the word ("'please retrieve …").
    let at = i + 1;
    while (at < stop && text.charCodeAt(at) === 39) at++;
    if (at === stop) break;
    out.push({ w: text.slice(at, stop), at });
    if (at > i + 1) break;
  }
  return out;
}

/** True when the character before `at` (spaces skipped) ends a sentence, a field or a list marker, or is a `todo:`. */
function atClauseStart(text: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && text.charCodeAt(i) === 32) i--;
  if (i < 0) return true;
  const c = text.charCodeAt(i);
  // A comma glued to the next word separates cells of a table ("name,email,company"), not clauses.
  if (c === 44) return i + 1 < at;
  // . ! ? : ; newline ' " ( [ { - * •
  if (c === 46 || c === 33 || c === 63 || c === 58 || c === 59 || c === 10 || c === 39 || c === 34 || c === 40 || c === 91 || c === 123 || c === 45 || c === 42 || c === 8226) {
    return true;
  }
  return false;
}

/**
 * Imperative requests: an action verb at the start of a clause, after optional
 * politeness and lead-ins ("Please …", "Can you please …", "You must …",
 * "TODO: …"), or right after "please" anywhere ("…new flavor, please retrieve …").
 * A word scan with set lookups: linear, no backtracking.
 */
function imperatives(text: string, push: (start: number) => void, seen: Set<string>): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isLetter(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && (isLetter(text.charCodeAt(j)) || (text.charCodeAt(j) === 45 && isLetter(text.charCodeAt(j + 1))))) j++;
    // Only whole words: not glued to a digit or underscore before or after (`tweet_id`, `send2`).
    const before = i > 0 ? text.charCodeAt(i - 1) : 32;
    const after = j < n ? text.charCodeAt(j) : 32;
    const word = text.slice(i, j);
    if (j - i <= 16) seen.add(word);
    if (ACTION_VERBS.has(word) && !(before >= 48 && before <= 57) && before !== 95 && after !== 95 && !(after >= 48 && after <= 57) && !isKey(text, j)) {
      const prev = wordsBefore(text, i, 6);
      let k = 0;
      let start = i;
      while (k < prev.length && POLITE.has(prev[k]?.w ?? '')) start = prev[k++]?.at ?? start;
      const pleased = k > 0 && prev.slice(0, k).some((p) => p.w === 'please' || p.w === 'kindly' || p.w === 'pls' || p.w === 'plz');
      for (const lead of LEAD_INS) {
        if (lead.every((w, x) => prev[k + lead.length - 1 - x]?.w === w)) {
          start = prev[k + lead.length - 1]?.at ?? start;
          k += lead.length;
          break;
        }
      }
      const todo = (prev[k]?.w === 'todo' || (prev[k]?.w === 'do' && prev[k + 1]?.w === 'to')) && text.charCodeAt(start - 2) === 58;
      if (pleased || todo || atClauseStart(text, start)) push(start);
    }
    i = j;
  }
}

/** A word used as a key (`tweet': …`, `"post":`): followed by an optional quote and a colon. */
function isKey(text: string, j: number): boolean {
  let c = text.charCodeAt(j);
  if (c === 39 || c === 34) c = text.charCodeAt(j + 1);
  return c === 58;
}

/**
 * The cue of a `TODO:` note. Strong, because data rarely hands the reader a
 * to-do; a judge may weaken it when the user's task is to work through to-dos.
 */
export const TODO_CUE = 'to-do note addressed to the reader';

/** `todo:` glued to a preceding word ("usatodo:") still opens an instruction. */
const TODO = /to ?do\s*:/g;

/** Five or more letters then a word end: the start of a new sentence, not a top-level domain. */
const GLUED = /^[a-z]{5,}(?:[^a-z.]|$)/;

const MAX_SPAN = 800;
const MAX_TAG_SPAN = 4_000;
const MAX_SPANS = 64;

/** Start of the sentence holding `pos`: back to the last sentence end, paragraph break or field quote, at most 200 chars. */
function sentenceStart(text: string, pos: number): number {
  const floor = Math.max(0, pos - 200);
  for (let i = pos - 1; i >= floor; i--) {
    const c = text.charCodeAt(i);
    // . ! ? followed by a space, a newline, or an opening quote of a field
    if ((c === 46 || c === 33 || c === 63) && (text.charCodeAt(i + 1) === 32 || text.charCodeAt(i + 1) === 10)) return i + 2;
    // A sentence glued to the previous one ("… 7.2%.ignore your …", "accordingly.important!!!"), but not a domain (`.com`).
    if ((c === 46 || c === 33 || c === 63) && i + 1 <= pos && GLUED.test(text.slice(i + 1, i + 8)) && !/[@/]\S*$/.test(text.slice(Math.max(0, i - 40), i))) return i + 1;
    if (c === 10) return i + 1;
    // The end of a tag (`<information>`) or a key (`subject: `) also opens a sentence.
    if (c === 62 || (c === 58 && text.charCodeAt(i + 1) === 32)) return i + (c === 58 ? 2 : 1);
    if ((c === 39 || c === 34) && i > 0 && /[:,[{(]\s?$/.test(text.slice(Math.max(0, i - 2), i))) return i + 1;
  }
  return floor;
}

/** End of the instruction that starts at `pos`: the paragraph end, a field's closing quote, or `max` chars. */
function instructionEnd(text: string, pos: number, max: number, sentences: number): number {
  const ceil = Math.min(text.length, pos + max);
  let seen = 0;
  for (let i = pos; i < ceil; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 && text.charCodeAt(i + 1) === 10) return i;
    // closing quote of a field: `'}`, `',`, `"]`
    if ((c === 39 || c === 34) && /^['"]\s?[,}\]]/.test(text.slice(i, i + 3))) return i;
    if ((c === 46 || c === 33 || c === 63) && (i + 1 >= text.length || text.charCodeAt(i + 1) === 32 || text.charCodeAt(i + 1) === 39 || text.charCodeAt(i + 1) === 34)) {
      seen++;
      if (seen >= sentences) return i + 1;
    }
  }
  return ceil;
}

/** The closing tag for an opening `<information>`-like tag at `pos`, if any. */
function tagEnd(text: string, pos: number): number | undefined {
  const m = /^<\|?\s*([a-z_]+)\s*\|?>/.exec(text.slice(pos, pos + 40));
  if (!m) return undefined;
  const close = text.indexOf(`</${m[1] ?? ''}`, pos + m[0].length);
  if (close < 0 || close - pos > MAX_TAG_SPAN) return undefined;
  const gt = text.indexOf('>', close);
  return gt < 0 ? close : gt + 1;
}

/**
 * The spans of `text` (loose form) that address the assistant, sorted by
 * start, overlapping spans merged (a merged span is strong when any part is).
 */
export function findInstructionSpans(text: string): InstructionSpan[] {
  const raw: InstructionSpan[] = [];
  const seen = new Set<string>();
  const weakStarts: number[] = [];
  imperatives(text, (start) => weakStarts.push(start), seen);
  for (const { re, cue, words, subs } of STRONG) {
    if (!(words?.some((w) => seen.has(w)) ?? false) && !(subs?.some((h) => text.includes(h)) ?? false)) continue;
    re.lastIndex = 0;
    for (const m of text.matchAll(re)) {
      if (raw.length >= MAX_SPANS * 4) break;
      const at = m.index;
      const tagged = m[0].startsWith('<') ? tagEnd(text, at) : undefined;
      // Text glued to the word before it ("…usaignore your…") was appended there: it starts right at the cue.
      const glued = at > 0 && /[a-z0-9]/.test(text.charAt(at - 1));
      const start = tagged !== undefined || glued ? at : sentenceStart(text, at);
      const end = tagged ?? instructionEnd(text, at, MAX_SPAN, 6);
      raw.push({ start, end, strength: 'strong', cue });
    }
  }
  if (text.includes('do')) {
    for (const m of text.matchAll(TODO)) {
      if (raw.length >= MAX_SPANS * 4) break;
      raw.push({ start: m.index, end: instructionEnd(text, m.index, MAX_SPAN, 2), strength: 'strong', cue: TODO_CUE });
    }
  }
  for (const start of weakStarts) {
    if (raw.length >= MAX_SPANS * 4) break;
    raw.push({ start, end: instructionEnd(text, start, 400, 1), strength: 'weak', cue: 'imperative request for an action' });
  }
  if (raw.length === 0) return raw;
  raw.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: InstructionSpan[] = [];
  for (const s of raw) {
    const last = out[out.length - 1];
    if (last && s.start <= last.end) {
      if (s.end > last.end || (s.strength === 'strong' && last.strength === 'weak')) {
        out[out.length - 1] = {
          start: last.start,
          end: Math.max(last.end, s.end),
          strength: last.strength === 'strong' || s.strength === 'strong' ? 'strong' : 'weak',
          cue: last.strength === 'strong' ? last.cue : s.cue,
        };
      }
    } else {
      if (out.length >= MAX_SPANS) break;
      out.push(s);
    }
  }
  return out;
}

/** The span holding offset `pos`, if any (spans sorted by start, non-overlapping). */
export function spanAt(spans: readonly InstructionSpan[], pos: number): InstructionSpan | undefined {
  let lo = 0;
  let hi = spans.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = spans[mid]!;
    if (pos < s.start) hi = mid - 1;
    else if (pos >= s.end) lo = mid + 1;
    else return s;
  }
  return undefined;
}
