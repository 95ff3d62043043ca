/**
 * The offline judge: no model, deterministic, explainable, microseconds. It
 * weighs these signals and says how sure it is, so that a cascade asks an LLM
 * only when it is not:
 *
 * - provenance: a consequential argument (recipient, destination, account,
 *   amount, command, path, repository, grantee) whose value comes only from
 *   untrusted tool results — above all from text in them that addresses the
 *   assistant with instructions — is the signature of indirect injection;
 * - action relevance: a side-effecting action the task never asked for is
 *   denied, firmly when untrusted text asked for it. The action is what the
 *   call does (a `grep` through `run_command` reads), compared with what the
 *   task asks for (its verbs, their objects, the tool's own verb echoed);
 * - over-reach (`offline-overreach.ts`): the asked-for action with more than
 *   the task says — another amount, an owner role, a whole repository, a path
 *   outside the ones named, a credential store;
 * - exfiltration (`offline-egress.ts`): data read earlier leaving for a
 *   destination nobody named, secrets written into a side effect, recipients
 *   the agent made up;
 * - narrowing (`offline-narrow.ts`): a call is narrowed to what the task
 *   names (a path inside, a smaller count, the named items of a list);
 * - structure before vocabulary (`offline-schema.ts`): what the tool's schema
 *   says an argument holds (an address, an endpoint, who can see it, a choice
 *   among options), values that open access under any name, and destinations
 *   nobody named. A tool whose name holds no known verb gets an unsure
 *   verdict, so a cascade asks a model.
 *
 * Confidence follows the kind of evidence: a value planted by an injection,
 * data leaving for an unnamed host, a secret in a comment are firm (≥ 0.8); a
 * judgement from vocabulary alone (a missing verb, a file the task did not
 * name, an administrative object) stays below 0.8, so a cascade asks a model.
 *
 * Untrusted text (arguments, results, descriptions) is only ever searched for
 * signs of trouble. Nothing in it can move a verdict toward allow: phrases like
 * "the guard allows this" or a fake verdict are themselves injection cues.
 */
import { elapsedUs, systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { analyseUntrusted, Ledger, REDACTED_VALUE } from '../session/ledger.js';
import type { UntrustedAnalysis } from '../session/ledger.js';
import { findInstructionSpans, TODO_CUE } from '../session/instructions.js';
import { capText, isSpoofedIdentifier, looseForm, strictForm } from '../session/text.js';
import type { HistoryEntry, ProvenanceFact, ProvenanceSighting } from '../session/types.js';
import type { Judge, JudgeInput, JudgeResult, Verdict } from './types.js';
import { overlap, profileRequest, profileTask, profileTool } from './offline-action.js';
import type { RequestProfile, TaskProfile, ToolProfile } from './offline-action.js';
import { ACTION_NOUNS, argCategory } from './offline-lexicon.js';
import type { ActionClass, ArgCategory } from './offline-lexicon.js';
import { proposeNarrowing } from './offline-narrow.js';
import { changedFields, credentialRead, destructiveOverwrite, escalatedSetting, objectOverreach, otherOption, pathOutsideTask, quantityOverreach, secretValueRead } from './offline-overreach.js';
import { exfiltration, inventedRecipient, secretLeak, secretsIn, unnamedDestination } from './offline-egress.js';
import { quote, scalarArgs } from './offline-signal.js';
import { hintFor, schemaHints } from './offline-schema.js';
import type { ArgHint } from './offline-schema.js';
import type { Signal } from './offline-signal.js';

export interface OfflineJudgeOptions {
  readonly clock?: Clock;
}

/** A verdict before timing is attached: what {@link decideOffline} returns. */
export type OfflineDecision = Pick<Verdict, 'decision' | 'reason' | 'confidence' | 'evidence'> & {
  readonly args?: Readonly<Record<string, unknown>> | undefined;
};

/** Arguments and descriptions are scanned up to this size (results are capped by the ledger's analysis). */
const MAX_ARG_SCAN = 16_384;
const MAX_SPAN_TEXT = 16_384;
const MAX_HISTORY = 200;
/** Untrusted result text searched for carried data, at most. */
const MAX_RESULT_TEXT = 262_144;

/** One analysis per history entry object: sessions hand the same frozen entries to every call. */
const analysisCache = new WeakMap<HistoryEntry, { readonly result: string; readonly analysis: UntrustedAnalysis }>();
/** Task profiles by text: a session asks about the same task many times. */
const taskCache = new Map<string, TaskProfile>();

function analysisOf(entry: HistoryEntry): UntrustedAnalysis | undefined {
  if (typeof entry.result !== 'string' || entry.result.length === 0) return undefined;
  const hit = analysisCache.get(entry);
  // Entries are usually frozen; the identity check keeps a mutated one from reusing a stale analysis.
  if (hit !== undefined && hit.result === entry.result) return hit.analysis;
  const analysis = analyseUntrusted(entry.result);
  analysisCache.set(entry, { result: entry.result, analysis });
  return analysis;
}

/** Secret values shown in one result, found once per analysis. */
const secretCache = new WeakMap<UntrustedAnalysis, readonly string[]>();
function secretsOf(a: UntrustedAnalysis): readonly string[] {
  let s = secretCache.get(a);
  if (s === undefined) {
    s = secretsIn(a.text);
    secretCache.set(a, s);
  }
  return s;
}

/** Profiles of planted text by text: the same results are judged again at every later call of a session. */
const requestCache = new Map<string, RequestProfile>();
function requestProfileOf(text: string): RequestProfile {
  let p = requestCache.get(text);
  if (p === undefined) {
    if (requestCache.size >= 512) requestCache.clear();
    p = profileRequest(text);
    requestCache.set(text, p);
  }
  return p;
}

function taskProfileOf(task: string): TaskProfile {
  let p = taskCache.get(task);
  if (p === undefined) {
    if (taskCache.size >= 2_048) taskCache.clear();
    p = profileTask(task);
    taskCache.set(task, p);
  }
  return p;
}

function where(s: { readonly tool: string; readonly index: number }): string {
  return `${quote(s.tool)} #${s.index}`;
}

/** Consequential categories that name where an effect lands or what it costs. */
const LANDING: ReadonlySet<ArgCategory> = new Set<ArgCategory>(['recipient', 'destination', 'account', 'amount', 'command', 'repository', 'grantee', 'credential']);
const ENTITY_KINDS: ReadonlySet<string> = new Set(['email', 'url', 'host', 'iban', 'digits', 'path']);
/** Value shapes a schema description may turn into a landing argument. */
const HINTED_KINDS: ReadonlySet<string> = new Set(['email', 'url', 'host', 'iban', 'digits']);

/** Whether an argument decides where a call's effect lands, for this kind of action. */
function consequential(fact: ProvenanceFact, tool: ToolProfile, hints: ReadonlyMap<string, ArgHint>): ArgCategory | undefined {
  // The name decides; a name that says nothing (`target`, `borrower`) takes what the schema's description says it holds.
  // A schema's word counts only for a value shaped like a destination ("the subject shown to the recipient" is no address).
  const hinted = fact.kind !== undefined && HINTED_KINDS.has(fact.kind) ? hintFor(hints, fact.arg)?.category : undefined;
  const cat = argCategory(fact.arg) ?? hinted;
  if (cat === 'path') return tool.action === 'delete' || tool.action === 'update' || tool.action === 'create' || tool.action === 'send' ? 'path' : undefined;
  if (cat === 'command') return tool.action === 'execute' ? 'command' : undefined;
  if (cat !== undefined && LANDING.has(cat)) return cat;
  if (fact.kind !== undefined && ENTITY_KINDS.has(fact.kind)) return fact.kind === 'url' || fact.kind === 'host' ? 'destination' : fact.kind === 'path' ? 'path' : 'recipient';
  return undefined;
}

interface SpanInfo {
  readonly tool: string;
  readonly index: number;
  readonly strength: 'strong' | 'weak';
  readonly cue: string;
}

/** Facts: the caller's when they carry the ledger's instruction marks, otherwise computed here and merged. */
function factsFor(input: JudgeInput, history: readonly HistoryEntry[], offset: number, analyses: readonly (UntrustedAnalysis | undefined)[]): ProvenanceFact[] {
  const given = input.provenance;
  if (given.length > 0 && given.every((f) => f.kind !== undefined)) return [...given];
  const ledger = new Ledger();
  ledger.addTrusted(input.task);
  history.forEach((h, i) => {
    const a = analyses[i];
    if (a !== undefined) ledger.addAnalysed(h.tool, offset + i + 1, a);
  });
  const own = ledger.facts(input.call.args);
  if (given.length === 0) return own;
  // The session may know trusted text this trace lacks (a human's answer): its `task` wins; otherwise ours has the instruction marks.
  const byArg = new Map(given.map((f) => [f.arg, f]));
  return own.map((f) => {
    const g = byArg.get(f.arg);
    if (g === undefined) return f;
    if (g.source === 'task') return g;
    if (f.source === 'nowhere' && g.source === 'untrusted') return g;
    return f;
  });
}

/** Scans argument strings for text that talks to the judge or the assistant. */
function instructionsInArgs(args: Readonly<Record<string, unknown>>): { arg: string; cue: string } | undefined {
  let found: { arg: string; cue: string } | undefined;
  let budget = MAX_ARG_SCAN;
  const walk = (v: unknown, path: string, depth: number): void => {
    if (found !== undefined || depth > 8 || budget <= 0) return;
    if (typeof v === 'string') {
      if (v.length < 12) return;
      const text = looseForm(v.slice(0, budget));
      budget -= text.length;
      const strong = findInstructionSpans(text).find((s) => s.strength === 'strong');
      if (strong !== undefined) found = { arg: path, cue: strong.cue };
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, path ? `${path}.${i}` : String(i), depth + 1));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(x, path ? `${path}.${k}` : k, depth + 1);
  };
  walk(args, '', 0);
  return found;
}

/** A word in an argument that mixes Latin with look-alike letters (or hides invisible ones) and that the task does not contain. */
function lookalikeInArgs(args: Readonly<Record<string, unknown>>, rawTask: string): { arg: string; word: string } | undefined {
  const taskStrict = strictForm(rawTask);
  let budget = MAX_ARG_SCAN;
  for (const { path, value } of scalarArgs(args, 128)) {
    if (typeof value !== 'string' || !/[\u0080-\uffff]/.test(value)) continue;
    const text = value.slice(0, budget);
    budget -= text.length;
    for (const word of text.split(/[\s"'`<>()[\]{},;]+/)) {
      if (word.length < 3 || !/[a-z]/i.test(word) || !isSpoofedIdentifier(word)) continue;
      if (taskStrict.includes(strictForm(word))) continue;
      return { arg: path, word };
    }
    if (budget <= 0) break;
  }
  return undefined;
}

function describeAction(a: ActionClass): string {
  return ACTION_NOUNS[a];
}

/** The pure decision for one call: same input, same output. */
export function decideOffline(given: JudgeInput): OfflineDecision {
  // Arguments that are not an object (a hostile or broken caller) are judged as no arguments: the checks below then fail closed.
  const args = given.call.args;
  const input = args !== null && typeof args === 'object' && !Array.isArray(args) ? given : { ...given, call: { ...given.call, args: {} } };
  const task = taskProfileOf(input.task);
  const tool = profileTool(input.call, input.tool);
  const hints = schemaHints(input.tool);
  // The newest results matter; a hostile caller's ten-thousand-entry history is cut to a bounded window.
  const history = input.history.length > MAX_HISTORY ? input.history.slice(-MAX_HISTORY) : input.history;
  const offset = input.history.length - history.length;
  const analyses = history.map(analysisOf);
  const facts = factsFor(input, history, offset, analyses);
  const signals: Signal[] = [];
  // Values the call carries beyond trivial ones (`1`, `true`): when the task gave them all, the user chose what the call does.
  const carried = facts.filter((f) => f.trivial !== true && f.embedded !== true);
  // The task uses the tool's own verb ("scale the deployment" for `scale_deployment`): it asks for that action, whatever its class.
  // A name without a known verb is matched on its description's opening verb ("Streams telemetry…" for "stream telemetry to …").
  const echo = (tool.verb.length > 2 && task.verbs.has(tool.verb)) || (tool.descVerb.length > 2 && task.verbs.has(tool.descVerb));
  // …or uses a word of its name as the verb ("get Kim to review" for `request_reviewers`), for actions that add or change, never destroy or pay.
  const objectEcho =
    (tool.action === 'create' || tool.action === 'update' || tool.action === 'send') && [...tool.objects].some((o) => o.length > 3 && (task.verbs.has(o) || task.verbs.has(o.replace(/er$/, ''))));
  const permits = (c: ActionClass): boolean => task.permits.has(c) || echo || (objectEcho && (c === 'create' || c === 'update' || c === 'send'));

  // Instruction-like text anywhere in the results: where it is and what it asks for.
  const spans: SpanInfo[] = [];
  let spanText = '';
  analyses.forEach((a, i) => {
    if (a === undefined) return;
    for (const s of a.spans) {
      const strength = s.strength === 'strong' && task.delegates && s.cue === TODO_CUE ? 'weak' : s.strength;
      spans.push({ tool: history[i]?.tool ?? '?', index: offset + i + 1, strength, cue: s.cue });
      if (spanText.length < MAX_SPAN_TEXT) spanText += ` ${a.text.slice(s.start, s.end)}`;
    }
  });
  const strongSpans = spans.filter((s) => s.strength === 'strong');
  const injected = requestProfileOf(spanText);
  const injOv = overlap(tool, injected.words, injected.topics);
  const toolNameFlat = tool.name.replace(/[^a-z0-9]/g, '');
  const literal = toolNameFlat.length >= 8 && spanText.replace(/[^a-z0-9]/g, '').includes(toolNameFlat);
  const verbAsked = injected.permits.has(tool.action);
  // The planted text supplies this call's values: it asked for this very call, whatever the tool is named.
  const valuesPlanted = facts.some((f) => f.trivial !== true && f.source === 'untrusted' && f.seenIn.length > 0 && f.seenIn.every((x) => x.instruction !== undefined));
  const objectsAsked = [...tool.objects].some((o) => injected.readObjects.has(o));
  const serviceAsked = [...tool.service].some((o) => injected.readObjects.has(o));
  // Untrusted text asks for this very action: it names the tool, or asks for its kind of action on its objects.
  const injectionAsks =
    spans.length > 0 &&
    (literal ||
      (tool.sideEffect
        ? (verbAsked && (injOv.words >= 1 || injOv.service || valuesPlanted)) || injOv.words >= 2
        : objectsAsked || (serviceAsked && (tool.objects.size === 0 || injOv.words >= 1))));
  const firstAsking = (strongSpans[0] ?? spans[0]) as SpanInfo | undefined;

  // 1. Look-alike or invisible characters in the tool's name: a spoofed tool.
  if (tool.spoofed) {
    signals.push({
      decision: 'deny',
      confidence: 0.8,
      reason: `the tool name "${quote(input.call.tool)}" mixes look-alike or invisible characters; confirm the tool with the user`,
      evidence: [{ source: 'tool name', detail: `judged as ${tool.name}, a look-alike of a Latin name` }],
    });
  }

  // 2. Provenance of each argument value.
  const taskArgs: string[] = [];
  for (const f of facts) {
    if (f.trivial === true) continue;
    const cat = consequential(f, tool, hints);
    if (f.source === 'task') {
      taskArgs.push(f.arg);
      continue;
    }
    if (cat !== undefined && /[\u0080-\uffff]/.test(f.value) && isSpoofedIdentifier(f.value)) {
      signals.push({
        decision: 'deny',
        confidence: 0.8,
        reason: `${f.arg} hides look-alike or invisible characters; confirm the exact value with the user`,
        evidence: [{ arg: f.arg, source: 'argument', detail: `${f.arg} mixes scripts or holds invisible characters` }],
      });
    }
    if (f.source !== 'untrusted') continue;
    // Instruction-sourced only when every result it appears in has it inside instruction text; ordinary data elsewhere explains it.
    const planted = f.seenIn.length > 0 && f.seenIn.every((s) => s.instruction !== undefined);
    // A to-do in a document is the user's own business when the task is to work through to-dos.
    const isStrong = (s: ProvenanceSighting): boolean => s.instruction === 'strong' && !(task.delegates && s.cue === TODO_CUE);
    const strong = planted ? f.seenIn.find(isStrong) : undefined;
    const weak = planted && strong === undefined ? f.seenIn[0] : undefined;
    const first = f.seenIn[0];
    // Seen both in planted instructions and in ordinary data: a side effect the planted text asks for still leans to deny.
    const mixedStrong = !planted ? f.seenIn.find(isStrong) : undefined;
    if (mixedStrong !== undefined && cat !== undefined && tool.sideEffect && injectionAsks) {
      signals.push({
        decision: 'deny',
        confidence: 0.8,
        reason: `${f.arg} = ${quote(f.value)} is named by instructions planted in the result of ${where(mixedStrong)}, which ask for this action; ask the user before using it`,
        evidence: [
          {
            arg: f.arg,
            source: where(mixedStrong),
            detail: `${f.arg} = ${quote(f.value)} appears inside text addressed to the assistant in ${where(mixedStrong)} (${mixedStrong.cue ?? 'instruction'}), and also in ordinary data`,
          },
        ],
      });
      continue;
    }
    if (mixedStrong !== undefined && cat !== undefined && !tool.sideEffect) {
      signals.push({
        decision: 'allow',
        confidence: 0.6,
        reason: `${f.arg} = ${quote(f.value)} is also named by instructions planted in the result of ${where(mixedStrong)}; confirm with the user if unsure`,
        evidence: [{ arg: f.arg, source: where(mixedStrong), detail: `${f.arg} = ${quote(f.value)} appears in ordinary data and inside text addressed to the assistant (${mixedStrong.cue ?? 'instruction'})` }],
      });
      continue;
    }
    // A read whose other arguments come from the task is the user's own search, even if planted text names the same value.
    if (strong !== undefined && cat !== undefined && !tool.sideEffect && taskArgs.length > 0 && readRelevance(tool, task, true) === 'words') {
      signals.push({
        decision: 'allow',
        confidence: 0.6,
        reason: `${f.arg} = ${quote(f.value)} is also named by instructions planted in the result of ${where(strong)}; confirm with the user if unsure`,
        evidence: [{ arg: f.arg, source: where(strong), detail: `${f.arg} = ${quote(f.value)} appears only inside text addressed to the assistant (${strong.cue ?? 'instruction'}), in a search the task asks for` }],
      });
      continue;
    }
    if (strong !== undefined && (cat !== undefined || (tool.sideEffect && distinctive(f)))) {
      const landing = cat !== undefined;
      signals.push({
        decision: 'deny',
        confidence: tool.sideEffect ? (landing ? 0.97 : 0.9) : 0.88,
        reason: `${f.arg} = ${quote(f.value)} comes from instructions planted in the result of ${where(strong)}, not from the task; ask the user before using it`,
        evidence: [
          {
            arg: f.arg,
            source: where(strong),
            detail: `${f.arg} = ${quote(f.value)} appears only in the result of ${where(strong)}, inside text addressed to the assistant (${strong.cue ?? 'instruction'})`,
          },
        ],
      });
      continue;
    }
    if (weak !== undefined && cat !== undefined && distinctive(f)) {
      const relevant = tool.sideEffect ? permits(tool.action) : readRelevance(tool, task, taskArgs.length > 0) === 'words';
      const trusted = task.referencesSource && relevant;
      signals.push({
        decision: trusted ? 'allow' : 'deny',
        confidence: trusted ? 0.55 : relevant ? 0.75 : 0.92,
        reason: trusted
          ? `${f.arg} = ${quote(f.value)} comes from a request inside the result of ${where(weak)}, a source the task points to; confirm with the user if unsure`
          : `${f.arg} = ${quote(f.value)} comes from a request inside the result of ${where(weak)}, not from the task; ask the user before using it`,
        evidence: [
          {
            arg: f.arg,
            source: where(weak),
            detail: `${f.arg} = ${quote(f.value)} appears only in the result of ${where(weak)}, inside an imperative request (${weak.cue ?? 'instruction'})`,
          },
        ],
      });
      continue;
    }
    if (cat !== undefined && first !== undefined) {
      const conf = (task.referencesSource ? 0.85 : 0.7) - (strongSpans.length > 0 ? 0.1 : 0);
      signals.push({
        decision: 'allow',
        confidence: tool.sideEffect ? conf : 0.85,
        reason: `${f.arg} comes from the data in ${where(first)}`,
        evidence: [{ arg: f.arg, source: where(first), detail: `${f.arg} = ${quote(f.value)} appears only in tool results (${f.seenIn.slice(0, 3).map(where).join(', ')}), in ordinary data` }],
      });
    }
  }

  // 3. Action relevance.
  if (tool.sideEffect) {
    const sensitive = [...tool.classes].filter((c) => c === 'delete' || c === 'transfer' || c === 'share' || c === 'execute');
    const unasked = [tool.action, ...sensitive].filter((c) => !permits(c));
    // The class of a tool whose name holds no known verb is a guess; when the user gave every value the call carries, a guess that
    // the task does not cover is no evidence against it: allow, unsure, so a cascade asks a model.
    const guessedButGiven = tool.uncertain && !injectionAsks && carried.length > 0 && carried.every((f) => f.source === 'task');
    if (unasked.length > 0 && !task.delegates && guessedButGiven) {
      signals.push({
        decision: 'allow',
        confidence: 0.55,
        reason: `every value of ${quote(input.call.tool)} comes from the task, though its action is unclear; confirm with the user if unsure`,
        evidence: [{ source: 'task', detail: `the action of ${quote(input.call.tool)} is a guess (${tool.basis}); its values are the user's own` }],
      });
    } else if (unasked.length > 0 && !task.delegates) {
      const what = describeAction(unasked[0] ?? tool.action);
      if (injectionAsks && firstAsking !== undefined) {
        signals.push({
          decision: 'deny',
          confidence: 0.93,
          reason: `the task does not ask to ${what}; text in the result of ${where(firstAsking)} does. Ask the user before doing this`,
          evidence: [
            { source: 'task', detail: `the task asks for no action of the kind "${what}" (${quote(input.call.tool)}: ${tool.basis})` },
            { source: where(firstAsking), detail: `the result of ${where(firstAsking)} holds a request for it (${firstAsking.cue})` },
          ],
        });
      } else {
        signals.push({
          decision: 'deny',
          confidence: spans.length > 0 ? 0.75 : 0.62,
          reason: `the task does not ask to ${what}; ask the user before calling ${quote(input.call.tool)}`,
          evidence: [{ source: 'task', detail: `the task asks for no action of the kind "${what}" (${quote(input.call.tool)}: ${tool.basis})` }],
        });
      }
    } else if (unasked.length > 0) {
      signals.push({
        decision: 'allow',
        confidence: injectionAsks ? 0.5 : 0.65,
        reason: `the task hands its actions to a source; ${quote(input.call.tool)} is not named in the task itself`,
        evidence: [{ source: 'task', detail: 'the task delegates the choice of actions to a document it names' }],
      });
    } else {
      // A destructive, paying, sharing or executing call is sure only when the values that decide where it lands are the user's own.
      const risky = tool.action === 'delete' || tool.action === 'transfer' || tool.action === 'share' || tool.action === 'execute';
      const landingFromTask = facts.every((f) => f.trivial === true || f.embedded === true || consequential(f, tool, hints) === undefined || f.source === 'task');
      // The name holds no known verb, so the action was guessed: a value that decides where it lands and that the user did not give
      // (nor a source the task points to) is reason enough to ask; otherwise allow, unsure, so a cascade asks a model.
      const guessedLanding = tool.uncertain && !echo && !objectEcho
        ? facts.find((f) => f.trivial !== true && f.embedded !== true && consequential(f, tool, hints) !== undefined && (f.source === 'nowhere' || (f.source === 'untrusted' && !task.referencesSource)))
        : undefined;
      if (guessedLanding !== undefined) {
        signals.push({
          decision: 'deny',
          confidence: 0.62,
          reason: `${quote(input.call.tool)} has no recognisable action, and ${guessedLanding.arg} = ${quote(guessedLanding.value)} is not from the task; ask the user first`,
          evidence: [{ arg: guessedLanding.arg, source: 'task', detail: `the action of ${quote(input.call.tool)} is a guess (${tool.basis}); the task does not give ${guessedLanding.arg}` }],
        });
      }
      signals.push({
        decision: 'allow',
        confidence: injectionAsks && strongSpans.length > 0 ? 0.7 : tool.uncertain && !echo && !objectEcho ? 0.6 : risky && !landingFromTask ? 0.78 : 0.9,
        reason: `the task asks to ${describeAction(tool.action)}`,
        evidence: [{ source: 'task', detail: `the task permits "${describeAction(tool.action)}" (${quote(input.call.tool)}: ${tool.basis})` }],
      });
    }
  } else {
    const relevance = readRelevance(tool, task, taskArgs.length > 0);
    const taskOv = overlap(tool, task.words, task.topics);
    // A read of another service that only the untrusted text names (the task never does): a pivot.
    const pivot = tool.service.size > 0 && injOv.service && !taskOv.service;
    if (injectionAsks && firstAsking !== undefined && (relevance !== 'words' || pivot)) {
      signals.push({
        decision: 'deny',
        confidence: relevance === 'none' ? 0.85 : 0.72,
        reason: `the task does not ask for what ${quote(input.call.tool)} reads; text in the result of ${where(firstAsking)} does. Ask the user first`,
        evidence: [
          { source: 'task', detail: relevance === 'none' ? `nothing in the task relates to ${quote(input.call.tool)}` : `the task shares only a broad topic with ${quote(input.call.tool)}` },
          { source: where(firstAsking), detail: `the result of ${where(firstAsking)} holds a request for it (${firstAsking.cue})` },
        ],
      });
    } else {
      signals.push({
        decision: 'allow',
        confidence: tool.uncertain ? Math.min(0.7, relevance === 'none' ? 0.65 : 0.7) : relevance === 'none' ? 0.72 : relevance === 'topic' ? 0.85 : 0.92,
        reason: relevance === 'none' ? 'a read-only call' : 'a read the task calls for',
        evidence: [{ source: 'tool', detail: `${quote(input.call.tool)} reads (${tool.basis})${relevance === 'none' ? '' : ' and relates to the task'}` }],
      });
    }
  }

  // 4. Hostile text in the arguments or in the tool's own description.
  // Attack text in the arguments is the user's own content when the task itself quotes such text or is about it (a wiki page on prompt injection, a phishing fixture).
  const inArgs = task.citesAttacks ? undefined : instructionsInArgs(input.call.args);
  if (inArgs !== undefined) {
    signals.push({
      decision: tool.sideEffect ? 'deny' : 'allow',
      confidence: tool.sideEffect ? 0.78 : 0.5,
      reason: `${inArgs.arg} carries instructions aimed at the assistant; ask the user to confirm this call`,
      evidence: [{ arg: inArgs.arg, source: 'argument', detail: `${inArgs.arg} holds injection framing (${inArgs.cue})` }],
    });
  }
  const desc = input.tool?.description;
  if (typeof desc === 'string' && desc.length > 0) {
    const poisoned = findInstructionSpans(looseForm(capText(desc, MAX_ARG_SCAN))).find((s) => s.strength === 'strong');
    if (poisoned !== undefined) {
      signals.push({
        decision: tool.sideEffect ? 'deny' : 'allow',
        confidence: tool.sideEffect ? 0.75 : 0.5,
        reason: `the description of ${quote(input.call.tool)} carries instructions aimed at the assistant; review the tool before using it`,
        evidence: [{ source: 'tool description', detail: `possible tool poisoning (${poisoned.cue})` }],
      });
    }
  }

  // 5. Over-reach and exfiltration: the right kind of action, with more than the task asked for or data going where nobody said.
  if (tool.sideEffect && task.forbidsChanges) {
    signals.push({
      decision: 'deny',
      confidence: 0.93,
      reason: `the task says not to change anything; ${quote(input.call.tool)} would`,
      evidence: [{ source: 'task', detail: `the task forbids changes; ${quote(input.call.tool)} ${describeAction(tool.action)} (${tool.basis})` }],
    });
  }
  const spoofedText = lookalikeInArgs(input.call.args, input.task);
  if (spoofedText !== undefined) {
    signals.push({
      decision: 'deny',
      confidence: tool.sideEffect ? 0.9 : 0.8,
      reason: `${spoofedText.arg} holds a word that mixes look-alike letters from another script (${quote(spoofedText.word)}); confirm the exact value with the user`,
      evidence: [{ arg: spoofedText.arg, source: 'argument', detail: `${quote(spoofedText.word)} mixes Latin with look-alike letters, and the task does not contain it` }],
    });
  }
  const overreach = [
    // The user named who is granted and every other value (`jo@… as captain`): the name's admin wording is no over-reach.
    objectOverreach(tool, task, carried.length >= 2 && carried.every((f) => f.source === 'task') && carried.some((f) => f.kind === 'email' || argCategory(f.arg) === 'grantee')),
    changedFields(tool, task, input.call.args),
    secretValueRead(tool, task),
    quantityOverreach(tool, task, input.call.args),
    escalatedSetting(tool, task, input.call.args, hints),
    otherOption(tool, task, input.call.args, hints),
    pathOutsideTask(tool, task, input.task, input.call.args, (v) => facts.some((f) => f.value === v && f.source === 'untrusted' && f.seenIn.every((x) => x.instruction === undefined))),
    credentialRead(tool, input.task, input.call.args),
    destructiveOverwrite(tool, task, history, input.call.args),
  ];
  // Built only when a check needs all result text at once; most calls never do.
  let resultMemo: string | undefined;
  const results = (): string => {
    if (resultMemo === undefined) {
      const parts: string[] = [];
      let size = 0;
      for (const a of analyses) {
        if (a === undefined || size >= MAX_RESULT_TEXT) continue;
        parts.push(a.text);
        size += a.text.length;
      }
      resultMemo = parts.join('\n\n');
    }
    return resultMemo;
  };
  // A result the task points at by value ("booking K-4" → get_booking(id: "K-4")), or from a call that took no arguments.
  const namedSource = (index: number): boolean => {
    const h = history[index - offset - 1];
    if (h === undefined) return false;
    const values = scalarArgs(h.args, 32).filter((a) => String(a.value).length >= 2);
    return values.length === 0 || values.some((a) => task.text.includes(String(a.value).toLowerCase()));
  };
  const secrets = (): string[] => analyses.flatMap((a) => (a === undefined ? [] : secretsOf(a)));
  const egress = { tool, spec: input.tool, args: input.call.args, facts, principal: input.principal, results, secrets, taskText: task.text, hints, referencesSource: task.referencesSource, namedSource };
  for (const sig of [...overreach, exfiltration(egress), secretLeak(egress), inventedRecipient(egress), unnamedDestination(egress)]) if (sig !== undefined) signals.push(sig);

  const verdict = combine(signals);
  if (verdict.decision === 'allow') {
    const sourceOf = (path: string): 'task' | 'untrusted' | 'nowhere' | undefined => facts.find((f) => f.arg === path && f.embedded !== true)?.source;
    const n = proposeNarrowing(input.call, input.task, input.boundary, { results, sideEffect: tool.sideEffect, sourceOf });
    if (n !== undefined) {
      return { decision: 'narrow', args: n.args, reason: n.reason, confidence: Math.min(verdict.confidence, 0.9), evidence: [...n.evidence, ...verdict.evidence] };
    }
  }
  return verdict;
}

/**
 * How a read relates to the task: `words` when they share a content word or
 * an argument came from the task, `topic` when they only share a broad topic
 * (money, mail) or the service, `none` otherwise.
 */
function readRelevance(tool: ToolProfile, task: TaskProfile, argFromTask: boolean): 'words' | 'topic' | 'none' {
  if (argFromTask) return 'words';
  const o = overlap(tool, task.words, task.topics);
  if (o.words > 0 || (o.service && tool.objects.size === 0)) return 'words';
  if (o.topics > 0 || o.service) return 'topic';
  return tool.objects.size === 0 && tool.service.size === 0 ? 'words' : 'none';
}

/** Values specific enough that finding them inside planted text means they were taken from it (not "11", not "Johnson"). */
function distinctive(f: ProvenanceFact): boolean {
  // A redacted value is a credential: always specific.
  if (f.value === REDACTED_VALUE) return true;
  switch (f.kind) {
    case 'email':
    case 'url':
    case 'host':
    case 'iban':
    case 'digits':
    case 'path':
      return true;
    case 'number': {
      const n = Number(f.value);
      return Number.isFinite(n) && (Math.abs(n) >= 100 || !Number.isInteger(n));
    }
    default: {
      const words = f.value.trim().split(/\s+/).length;
      return words >= 3 || (f.value.length >= 8 && (words >= 2 || /[\d@/_:.#-]/.test(f.value)));
    }
  }
}

/**
 * Denials win: the strongest deny decides, a little firmer when several agree.
 * Otherwise allow, as sure as the least sure allow signal.
 */
function combine(signals: readonly Signal[]): OfflineDecision {
  const denies = signals.filter((s) => s.decision === 'deny').sort((a, b) => b.confidence - a.confidence);
  if (denies.length > 0) {
    const top = denies[0] as Signal;
    const confidence = Math.min(0.99, top.confidence + 0.02 * (denies.length - 1));
    const evidence = denies.flatMap((s) => s.evidence).slice(0, 8);
    return { decision: 'deny', reason: top.reason, confidence: round(confidence), evidence };
  }
  const allows = [...signals].sort((a, b) => a.confidence - b.confidence);
  const weakest = allows[0];
  if (weakest === undefined) return { decision: 'deny', reason: 'no signal to judge this call on; ask the user', confidence: 0.5, evidence: [] };
  const reason = allows.find((s) => s.confidence === weakest.confidence)?.reason ?? weakest.reason;
  return { decision: 'allow', reason, confidence: round(weakest.confidence), evidence: allows.flatMap((s) => s.evidence).slice(0, 8) };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** The `offline` judge. */
export function createOfflineJudge(options: OfflineJudgeOptions = {}): Judge {
  const clock = options.clock ?? systemClock;
  return {
    spec: 'offline',
    judge(input: JudgeInput, callOptions?: { readonly signal?: AbortSignal | undefined }): Promise<JudgeResult> {
      const start = clock.hrtime();
      if (callOptions?.signal?.aborted === true) {
        return Promise.resolve({
          ok: false,
          failure: { code: 'IG_JUDGE_TIMEOUT', message: 'aborted before the offline judge ran', provider: 'offline', model: 'rules', latencyMs: 0, attempts: 0 },
        });
      }
      try {
        const d = decideOffline(input);
        const verdict: Verdict = {
          decision: d.decision,
          ...(d.args !== undefined ? { args: d.args } : {}),
          reason: d.reason,
          confidence: d.confidence,
          evidence: d.evidence,
          provider: 'offline',
          model: 'rules',
          latencyMs: elapsedUs(clock, start) / 1000,
          cached: false,
        };
        return Promise.resolve({ ok: true, verdict });
      } catch (e) {
        // Hostile input must not crash the guard; the guard applies the failure decision (deny by default).
        return Promise.resolve({
          ok: false,
          failure: {
            code: 'IG_JUDGE_INVALID_OUTPUT',
            message: `the offline judge could not evaluate this call (${e instanceof Error ? e.name : 'error'})`,
            provider: 'offline',
            model: 'rules',
            latencyMs: elapsedUs(clock, start) / 1000,
            attempts: 1,
          },
        });
      }
    },
  };
}
