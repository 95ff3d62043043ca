import type { JudgeInput } from '../judge/types.js';
import { EMPTY_BOUNDARY, type Boundary } from '../scope/types.js';
import type { HistoryEntry, ProvenanceLedger, SessionFacts, SessionState, ToolCall } from '../session/types.js';
import type { EvalCase } from './types.js';

/** Makes a fresh provenance ledger; one per case, so no case sees another's values. */
export type LedgerFactory = () => ProvenanceLedger;

/** Feeds a ledger the way a live session would: the task as trusted text, each history result as untrusted (1-based index). */
export function feedLedger(ledger: ProvenanceLedger, c: EvalCase): ProvenanceLedger {
  ledger.addTrusted(c.task);
  c.history.forEach((h, i) => {
    if (h.result !== undefined) ledger.addUntrusted(h.tool, i + 1, h.result);
  });
  return ledger;
}

/**
 * What a judge sees for one case. Only the fields a live session would have:
 * task, principal, history, call, tool specs, boundary and provenance — never
 * the case's id, source, label or tags, which give the answer away.
 */
export function buildJudgeInput(c: EvalCase, ledger: ProvenanceLedger, boundary: Boundary = EMPTY_BOUNDARY): JudgeInput {
  const tool = c.tools.find((t) => t.name === c.call.tool);
  const others = c.tools.filter((t) => t.name !== c.call.tool);
  return {
    task: c.task,
    principal: c.principal,
    history: c.history,
    call: { server: c.call.server, tool: c.call.tool, args: c.call.args },
    tool,
    tools: others,
    boundary,
    provenance: ledger.facts(c.call.args),
  };
}

/**
 * A one-case session for pipeline mode. Each case stands alone: it never
 * escalates and keeps no denial count, so one case's denials cannot change
 * another's decision. Its id is neutral, so a policy condition cannot read
 * the case id.
 */
export class EvalSession implements SessionState {
  readonly id = 'eval';
  readonly principal: EvalCase['principal'];
  readonly ledger: ProvenanceLedger;
  readonly denials = 0;
  readonly escalated = false;
  #task: string;
  #history: HistoryEntry[];

  constructor(c: EvalCase, ledger: ProvenanceLedger) {
    this.principal = c.principal;
    this.ledger = feedLedger(ledger, c);
    this.#task = c.task;
    this.#history = [...c.history];
  }

  get task(): string {
    return this.#task;
  }

  get history(): readonly HistoryEntry[] {
    return this.#history;
  }

  setTask(task: string): void {
    this.#task = task;
    this.ledger.addTrusted(task);
  }

  recordResult(call: ToolCall, resultText: string | undefined): void {
    this.#history.push({ server: call.server, tool: call.tool, args: call.args, ...(resultText === undefined ? {} : { result: resultText }) });
    if (resultText !== undefined) this.ledger.addUntrusted(call.tool, this.#history.length, resultText);
  }

  recordDenial(): boolean {
    return false;
  }

  clearEscalation(): void {}

  facts(): SessionFacts {
    return {
      id: this.id,
      calls: this.#history.length,
      denials: 0,
      untrustedSeen: this.#history.some((h) => h.result !== undefined),
      tags: [],
    };
  }
}
