import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';
import { AuditLog } from '../audit/log.js';
import type { AuditRecord } from '../audit/types.js';
import { parseTraceLine } from '../evals/dataset.js';
import { IntentguardError } from '../errors.js';
import { callRan } from './traffic.js';
import type { HumanDecision, LoggedDecision, Traffic } from './types.js';

/** One label to record: a human's decision on a logged transaction. */
export interface LabelInput {
  readonly txn: string;
  readonly label: HumanDecision;
}

/** Who labels, and why; stored on every label record of one review. */
export interface LabelMeta {
  readonly reviewer?: string | undefined;
  readonly note?: string | undefined;
}

const DECISIONS: readonly HumanDecision[] = ['allow', 'deny', 'narrow'];
/** History entries kept per exported trace (a live session keeps 200 too). */
const MAX_HISTORY = 200;
const MAX_NOTE = 4096;
const MAX_REVIEWER = 256;

/** Parses `TXN=allow|deny|narrow` (the txn may itself contain `=`; the last one splits). */
export function parseLabelFlag(text: string): LabelInput {
  const at = text.lastIndexOf('=');
  const txn = at > 0 ? text.slice(0, at).trim() : '';
  const label = at > 0 ? text.slice(at + 1).trim() : '';
  if (txn === '' || !DECISIONS.includes(label as HumanDecision)) {
    throw new IntentguardError('IG_USAGE', `--label must be TXN=allow|deny|narrow, not ${JSON.stringify(text.slice(0, 200))}`);
  }
  return { txn, label: label as HumanDecision };
}

function checkMeta(meta: LabelMeta): void {
  if (meta.note !== undefined && meta.note.length > MAX_NOTE) throw new IntentguardError('IG_USAGE', `--note is longer than ${MAX_NOTE} characters`);
  if (meta.reviewer !== undefined && (meta.reviewer.length === 0 || meta.reviewer.length > MAX_REVIEWER)) {
    throw new IntentguardError('IG_USAGE', `--reviewer must be 1 to ${MAX_REVIEWER} characters`);
  }
}

/** The audit entry of one label: a new record, so the log stays append-only and the chain keeps verifying. */
function labelEntry(l: LabelInput, meta: LabelMeta): Parameters<AuditLog['append']>[0] {
  return {
    type: 'label',
    txn: l.txn,
    label: l.label,
    ...(meta.reviewer === undefined ? {} : { reviewer: meta.reviewer }),
    ...(meta.note === undefined ? {} : { note: meta.note }),
    flags: ['human-label'],
  };
}

/**
 * Appends one label record per input to the audit log. Every txn must name a
 * logged decision (IG_INPUT_INVALID otherwise, before anything is written).
 * The log must not be open for writing elsewhere: stop the proxy or service
 * writing it, or review a copy.
 */
export async function appendLabels(file: string, traffic: Traffic, labels: readonly LabelInput[], meta: LabelMeta = {}): Promise<AuditRecord[]> {
  checkMeta(meta);
  const known = new Set(traffic.decisions.map((d) => d.txn));
  const unknown = labels.filter((l) => !known.has(l.txn)).map((l) => l.txn);
  if (unknown.length > 0) {
    throw new IntentguardError('IG_INPUT_INVALID', `no decision with txn ${unknown.slice(0, 5).map((t) => JSON.stringify(t)).join(', ')} in the audit log`, {
      location: { file },
    });
  }
  const log = await AuditLog.open(file, { durability: 'fsync' });
  const out: AuditRecord[] = [];
  try {
    for (const l of labels) out.push(await log.append(labelEntry(l, meta)));
  } finally {
    await log.close();
  }
  return out;
}

/** Decisions with at least one flag (optionally one of `only`), in log order. */
export function flaggedDecisions(traffic: Traffic, only: readonly string[] = []): LoggedDecision[] {
  return traffic.decisions.filter((d) => {
    const flags = traffic.labels.has(d.txn) ? [...d.flags, 'human-label'] : d.flags;
    if (flags.length === 0) return false;
    return only.length === 0 || flags.some((f) => only.includes(f));
  });
}

/** Untrusted text on a terminal: control characters (escape sequences) are shown escaped, never interpreted. */
export function safeText(text: string, max = 400): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** A few lines about one flagged decision, for a person deciding on it. */
export function describeDecision(d: LoggedDecision, traffic: Traffic): string {
  const label = traffic.labels.get(d.txn);
  const v = d.judge?.verdict;
  const lines = [
    `txn ${safeText(d.txn, 120)}  ${safeText(d.call.server, 80)}.${safeText(d.call.tool, 80)}  decision ${d.decision} (policy ${d.policyEffect}, ${d.mode})`,
    `  flags: ${d.flags.join(', ') || '-'}${label ? `; labeled ${label.label}${label.reviewer ? ` by ${safeText(label.reviewer, 60)}` : ''}` : ''}`,
    `  task: ${safeText(d.task, 300)}`,
    `  args: ${safeText(JSON.stringify(d.call.args), 400)}`,
  ];
  if (v) lines.push(`  judge: ${v.decision} (confidence ${v.confidence}) ${safeText(v.reason, 300)}`);
  else if (d.judge?.failure) lines.push(`  judge failed: ${safeText(d.judge.failure.code, 60)} ${safeText(d.judge.failure.message, 200)}`);
  if (d.grant && d.decision === 'narrow') lines.push(`  granted args: ${safeText(JSON.stringify(d.grant.args), 300)}`);
  return lines.join('\n');
}

const ANSWERS: Readonly<Record<string, HumanDecision | 'skip' | 'quit'>> = {
  a: 'allow',
  allow: 'allow',
  d: 'deny',
  deny: 'deny',
  n: 'narrow',
  narrow: 'narrow',
  s: 'skip',
  skip: 'skip',
  '': 'skip',
  q: 'quit',
  quit: 'quit',
};

/**
 * Goes through the flagged decisions not labeled yet, one by one, asking
 * a/d/n/s/q. Each answer is appended at once, so quitting keeps what was
 * labeled. Returns the labels recorded.
 */
export async function reviewInteractive(
  file: string,
  traffic: Traffic,
  io: { readonly input: Readable; readonly output: Writable },
  options: LabelMeta & { readonly flags?: readonly string[] | undefined } = {},
): Promise<LabelInput[]> {
  checkMeta(options);
  const todo = flaggedDecisions(traffic, options.flags ?? []).filter((d) => !traffic.labels.has(d.txn));
  const write = (s: string): void => void io.output.write(s);
  if (todo.length === 0) {
    write('no flagged decision is waiting for a label\n');
    return [];
  }
  const rl = createInterface({ input: io.input, output: io.output, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const recorded: LabelInput[] = [];
  let log: AuditLog | undefined;
  try {
    write(`${todo.length} flagged decision${todo.length === 1 ? '' : 's'} to review\n`);
    outer: for (const [i, d] of todo.entries()) {
      write(`\n[${i + 1}/${todo.length}] ${describeDecision(d, traffic)}\n`);
      for (;;) {
        write('label: [a]llow, [d]eny, [n]arrow, [s]kip, [q]uit? ');
        const next = await lines.next();
        if (next.done) break outer;
        const answer = ANSWERS[String(next.value).trim().toLowerCase()];
        if (answer === undefined) {
          write('please answer a, d, n, s or q\n');
          continue;
        }
        if (answer === 'quit') break outer;
        if (answer === 'skip') break;
        log ??= await AuditLog.open(file, { durability: 'fsync' });
        const l = { txn: d.txn, label: answer };
        await log.append(labelEntry(l, options));
        recorded.push(l);
        write(`labeled ${answer}\n`);
        break;
      }
    }
  } finally {
    rl.close();
    await log?.close();
  }
  write(`\n${recorded.length} label${recorded.length === 1 ? '' : 's'} recorded\n`);
  return recorded;
}

/** The changed arguments of a narrowed grant: what a `narrow` label expects the call to become. */
function narrowedArgs(d: LoggedDecision): Record<string, unknown> | undefined {
  if (d.decision !== 'narrow' || !d.grant) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d.grant.args)) {
    if (JSON.stringify(v) !== JSON.stringify(d.call.args[k])) out[k] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

/** One exported case, or why a labeled decision could not become one. */
export type ExportedTrace = { readonly ok: true; readonly line: string } | { readonly ok: false; readonly txn: string; readonly reason: string };

/**
 * Labeled decisions as labeled traces (DESIGN.md), one per transaction with
 * a label: the logged task, principal and call, the human's label, the
 * flags as tags, and as history the earlier calls of the same session that
 * ran (the log holds no results, so history entries have none). A `narrow`
 * label needs the narrowed arguments, which the log has only when the guard
 * narrowed the call itself.
 */
export function exportTraces(traffic: Traffic): ExportedTrace[] {
  const out: ExportedTrace[] = [];
  const history = new Map<string, { server: string; tool: string; args: Readonly<Record<string, unknown>> }[]>();
  const done = new Set<string>();
  const source = `intentguard review of ${path.basename(traffic.file)}`;
  for (const d of traffic.decisions) {
    const earlier = history.get(d.sessionId) ?? [];
    const label = traffic.labels.get(d.txn);
    if (label && !done.has(d.txn)) {
      done.add(d.txn);
      const narrowed = label.label === 'narrow' ? narrowedArgs(d) : undefined;
      const scopes = label.label === 'narrow' && d.grant && d.grant.scopes.length > 0 ? d.grant.scopes : undefined;
      if (d.task.trim() === '') {
        out.push({ ok: false, txn: d.txn, reason: 'the logged decision has no task' });
      } else if (label.label === 'narrow' && narrowed === undefined && scopes === undefined) {
        out.push({ ok: false, txn: d.txn, reason: 'a narrow label needs the narrowed arguments, and the guard did not narrow this call' });
      } else {
        const tags = [...new Set([...d.flags, 'human-label', ...(label.label !== d.decision ? ['overridden'] : [])])];
        const trace = {
          id: `review-${d.txn}`.slice(0, 512),
          source: label.reviewer ? `${source}, labeled by ${label.reviewer}` : source,
          task: d.task,
          principal: d.principal,
          ...(earlier.length ? { history: earlier.slice(-MAX_HISTORY) } : {}),
          call: { server: d.call.server, tool: d.call.tool, args: d.call.args },
          label: {
            decision: label.label,
            ...(narrowed ? { args: narrowed } : {}),
            ...(scopes ? { scopes } : {}),
            ...(label.note ? { note: label.note } : {}),
          },
          tags,
        };
        const line = JSON.stringify(trace);
        // What we write must load as a dataset: validate with the eval harness's own parser.
        try {
          parseTraceLine(line, { file: 'export', line: out.length + 1 });
          out.push({ ok: true, line });
        } catch (e) {
          out.push({ ok: false, txn: d.txn, reason: `not a valid trace: ${e instanceof IntentguardError ? e.message : 'invalid'}` });
        }
      }
    }
    if (d.policyEffect !== 'pre-deny' && callRan(traffic, d)) {
      earlier.push({ server: d.call.server, tool: d.call.tool, args: d.call.args });
      if (earlier.length > MAX_HISTORY) earlier.shift();
      history.set(d.sessionId, earlier);
    }
  }
  return out;
}

/** Writes the exported traces as JSONL; returns how many were written and which labels were left out. */
export async function writeExport(file: string, traffic: Traffic): Promise<{ written: number; skipped: { txn: string; reason: string }[] }> {
  const traces = exportTraces(traffic);
  const lines = traces.flatMap((t) => (t.ok ? [t.line] : []));
  const skipped = traces.flatMap((t) => (t.ok ? [] : [{ txn: t.txn, reason: t.reason }]));
  await writeFile(file, lines.length ? `${lines.join('\n')}\n` : '');
  return { written: lines.length, skipped };
}
