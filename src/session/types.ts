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
  readonly seenIn: readonly { readonly tool: string; readonly index: number }[];
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
