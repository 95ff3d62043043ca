/** Why a decision deserves a human look; drives `review` and `tune`. */
export type Flag =
  | 'judge-denied'
  | 'judge-narrowed'
  | 'judge-policy-disagree'
  | 'judge-failed'
  | 'low-confidence'
  | 'approval-asked'
  | 'tool-changed'
  | 'shadow-would-deny'
  | 'escalated'
  | 'human-label';

export type AuditRecordType = 'decision' | 'outcome' | 'label' | 'approval' | 'tool-change' | 'escalation' | 'admin';

/** What a caller appends. The log adds `seq`, `ts`, `prev` and `hash`. */
export interface AuditEntry {
  readonly type: AuditRecordType;
  /** The transaction id of the call this record belongs to. */
  readonly txn?: string | undefined;
  readonly flags?: readonly string[] | undefined;
  readonly [key: string]: unknown;
}

/** A record as stored: one JSON object per line, chained by `prev` → `hash`. */
export interface AuditRecord extends AuditEntry {
  readonly seq: number;
  readonly ts: string;
  readonly prev: string;
  readonly hash: string;
}

/**
 * Where the guard writes its records. `append` resolves once the record is in
 * the log at the configured durability; the guard returns no decision before that.
 */
export interface AuditSink {
  append(entry: AuditEntry): Promise<AuditRecord>;
  flush(): Promise<void>;
  close(): Promise<void>;
}
