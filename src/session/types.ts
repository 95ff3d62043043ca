/** Facts about the session that conditions may read (`session.*` in CEL). */
export interface SessionFacts {
  readonly id: string;
  /** Calls judged in this session so far. */
  readonly calls: number;
  /** Denials in this session so far. */
  readonly denials: number;
  /** True when some earlier tool result in the session was untrusted text. */
  readonly untrustedSeen: boolean;
  readonly tags: readonly string[];
}

/** Who is acting: the agent, and the user it acts for. Set by the orchestrator or authentication, never by the model. */
export interface Principal {
  readonly agent?: string | undefined;
  readonly user?: string | undefined;
  readonly groups?: readonly string[] | undefined;
}

/** A tool call as the agent made it. */
export interface ToolCall {
  readonly server: string;
  readonly tool: string;
  readonly args: Readonly<Record<string, unknown>>;
}

/** An earlier call in the session and its (untrusted) result text. */
export interface HistoryEntry {
  readonly server?: string | undefined;
  readonly tool: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly result?: string | undefined;
}

/** MCP tool annotations (hints; a server may lie, so they only ever add caution). */
export interface ToolAnnotations {
  readonly title?: string | undefined;
  readonly readOnlyHint?: boolean | undefined;
  readonly destructiveHint?: boolean | undefined;
  readonly idempotentHint?: boolean | undefined;
  readonly openWorldHint?: boolean | undefined;
}

/** A tool's definition as the upstream server describes it (untrusted text). */
export interface ToolSpec {
  readonly name: string;
  readonly description?: string | undefined;
  readonly inputSchema?: unknown;
  readonly annotations?: ToolAnnotations | undefined;
}

/** Where an argument value was seen before this call. */
export type ProvenanceSource = 'task' | 'untrusted' | 'nowhere';

/** A deterministic fact about one argument value, computed by the session's ledger. */
export interface ProvenanceFact {
  /** Argument path (`to`, `recipients.0`, `options.url`). */
  readonly arg: string;
  /** The value as a string (may be truncated for display; never a credential). */
  readonly value: string;
  /** `task`: the user named it; `untrusted`: only in tool results; `nowhere`: new here. */
  readonly source: ProvenanceSource;
  /** The tool results it appeared in, when `source` is `untrusted`: tool name and 1-based index in the history. */
  readonly seenIn: readonly ProvenanceSighting[];
  /** What the value looks like (`email`, `url`, `host`, `iban`, `digits`, `number`, `path`, `text`), when the ledger knows. */
  readonly kind?: string | undefined;
  /** True when the value is too short or common to have a provenance (`1`, `true`, `general`); `source` is then `nowhere`. */
  readonly trivial?: boolean | undefined;
  /** True when `value` is an address, link or account found inside a longer text argument (a message body), not the whole argument. */
  readonly embedded?: boolean | undefined;
}

/** One tool result an argument value appeared in. */
export interface ProvenanceSighting {
  readonly tool: string;
  /** 1-based index of the result in the session history. */
  readonly index: number;
  /**
   * Set when the value sits inside text that addresses the assistant with
   * instructions: `strong` for injection framing ("ignore previous
   * instructions", a message "to you, the AI"), `weak` for an imperative
   * request ("Please transfer … to …"). Absent for ordinary data.
   */
  readonly instruction?: 'strong' | 'weak' | undefined;
  /** The lexicon cue that marked the instruction (a fixed phrase, never text copied from the result). */
  readonly cue?: string | undefined;
}

/**
 * The session's record of where values came from: the task (trusted) and tool
 * results (untrusted). Fed by the proxy as results come back; read by judges
 * through the facts it computes.
 */
export interface ProvenanceLedger {
  /** Records trusted text (the task, a human's answer). */
  addTrusted(text: string): void;
  /** Records an untrusted tool result: the tool's name and its 1-based index in the session history. */
  addUntrusted(tool: string, index: number, text: string): void;
  /** One fact per scalar argument value (strings, numbers; arrays and objects walked). */
  facts(args: Readonly<Record<string, unknown>>): ProvenanceFact[];
  /** True when `value` appears in trusted text. */
  inTrusted(value: string): boolean;
}

/**
 * One agent session: its task context, principal, history and provenance. The
 * front (proxy, HTTP service) owns sessions and hands the current one to the guard.
 */
export interface SessionState {
  readonly id: string;
  /** The task context (trusted). May be replaced when a call carries a newer `_meta["intentguard/task"]`. */
  readonly task: string;
  readonly principal: Principal;
  readonly ledger: ProvenanceLedger;
  /** Calls so far, with their results (results are untrusted). */
  readonly history: readonly HistoryEntry[];
  /** Denials so far in this session. */
  readonly denials: number;
  /** True once the denial budget is spent: every further judged call is denied until a human clears it. */
  readonly escalated: boolean;
  /** Sets the task (trusted) and records it in the ledger. */
  setTask(task: string): void;
  /** Records a finished call and feeds its result text to the ledger as untrusted. */
  recordResult(call: ToolCall, resultText: string | undefined): void;
  /** Counts a denial; returns true when this denial spent the budget (the session is now escalated). */
  recordDenial(): boolean;
  /** A human cleared the escalation. */
  clearEscalation(): void;
  /** Facts exposed to policy conditions. */
  facts(): SessionFacts;
}
