import { Ledger } from './ledger.js';
import type { LedgerLimits } from './ledger.js';
import type { HistoryEntry, Principal, ProvenanceLedger, SessionFacts, SessionState, ToolCall } from './types.js';

/** Options of one session. */
export interface SessionOptions {
  readonly id: string;
  /** The task context (trusted). */
  readonly task: string;
  readonly principal: Principal;
  /**
   * Denials a session may collect before it is escalated: every further judged
   * call is denied until a human clears it. Default 5; 0 never escalates.
   */
  readonly denialBudget?: number;
  /** History entries kept for judges (the oldest are dropped; indices keep counting). Default 200. */
  readonly maxHistory?: number;
  /** Limits of the provenance ledger. */
  readonly ledger?: LedgerLimits;
}

const DEFAULT_DENIAL_BUDGET = 5;
const DEFAULT_MAX_HISTORY = 200;
/** A stored history result is capped; the ledger keeps its own (larger) bounded copy for provenance. */
const MAX_STORED_RESULT = 65_536;

/**
 * One agent session: task, principal, history and provenance, and the denial
 * budget behind "deny and continue". Not safe to share between principals: the
 * front keys sessions by an id bound to the authenticated caller.
 */
export class Session implements SessionState {
  readonly id: string;
  readonly principal: Principal;
  readonly ledger: Ledger;
  private currentTask: string;
  private readonly entries: HistoryEntry[] = [];
  private readonly maxHistory: number;
  private readonly budget: number;
  private results = 0;
  private denialCount = 0;
  private denialsSinceClear = 0;
  private isEscalated = false;
  private untrusted = false;

  constructor(options: SessionOptions) {
    this.id = options.id;
    this.principal = Object.freeze({ ...options.principal });
    this.ledger = new Ledger(options.ledger);
    this.budget = Math.max(0, Math.floor(options.denialBudget ?? DEFAULT_DENIAL_BUDGET));
    this.maxHistory = Math.max(1, options.maxHistory ?? DEFAULT_MAX_HISTORY);
    this.currentTask = '';
    this.setTask(options.task);
  }

  get task(): string {
    return this.currentTask;
  }

  get history(): readonly HistoryEntry[] {
    return this.entries;
  }

  get denials(): number {
    return this.denialCount;
  }

  get escalated(): boolean {
    return this.isEscalated;
  }

  /** The ledger as the seam type, for callers that only need facts. */
  get provenance(): ProvenanceLedger {
    return this.ledger;
  }

  setTask(task: string): void {
    if (task === this.currentTask) return;
    this.currentTask = task;
    // Earlier tasks stay trusted: the user did say them.
    this.ledger.addTrusted(task);
  }

  recordResult(call: ToolCall, resultText: string | undefined): void {
    this.results++;
    // The 1-based index counts every result ever recorded, so evidence stays stable after old entries are dropped.
    const index = this.results;
    const stored = resultText === undefined ? undefined : resultText.length > MAX_STORED_RESULT ? resultText.slice(0, MAX_STORED_RESULT) : resultText;
    this.entries.push(Object.freeze({ server: call.server, tool: call.tool, args: call.args, result: stored }));
    if (this.entries.length > this.maxHistory) this.entries.shift();
    if (resultText !== undefined && resultText.length > 0) {
      this.untrusted = true;
      this.ledger.addUntrusted(call.tool, index, resultText);
    }
  }

  recordDenial(): boolean {
    this.denialCount++;
    this.denialsSinceClear++;
    if (this.budget > 0 && !this.isEscalated && this.denialsSinceClear >= this.budget) {
      this.isEscalated = true;
      return true;
    }
    return false;
  }

  clearEscalation(): void {
    this.isEscalated = false;
    this.denialsSinceClear = 0;
  }

  /**
   * `calls` counts results plus denials: every judged call either ran (and
   * left a result) or was denied.
   */
  facts(): SessionFacts {
    const tags: string[] = [];
    if (this.isEscalated) tags.push('escalated');
    if (this.untrusted) tags.push('untrusted-seen');
    if (this.ledger.instructionsSeen) tags.push('instructions-seen');
    return Object.freeze({
      id: this.id,
      calls: this.results + this.denialCount,
      denials: this.denialCount,
      untrustedSeen: this.untrusted,
      tags: Object.freeze(tags),
    });
  }
}
