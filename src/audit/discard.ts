import type { AuditEntry, AuditRecord, AuditSink } from './types.js';

/**
 * An audit sink that keeps nothing: for guards that decide what is not
 * traffic (eval runs, replays of logged traffic), so that no real log gets
 * their records. Records come back numbered, with empty timestamp and hashes.
 */
export class DiscardAudit implements AuditSink {
  #seq = 0;

  async append(entry: AuditEntry): Promise<AuditRecord> {
    this.#seq++;
    return { ...entry, seq: this.#seq, ts: '', prev: '', hash: '' };
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}
