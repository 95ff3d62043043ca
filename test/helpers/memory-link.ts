import type { AuditEntry, AuditRecord, AuditSink } from '../../src/audit/types.js';
import type { Link, LinkProblem, LinkSendOptions } from '../../src/proxy/link.js';

/**
 * A link the test drives by hand: `deliver` plays the peer sending a message,
 * `next` waits for what the router sent to that peer.
 */
export class MemoryLink implements Link {
  onmessage?: Link['onmessage'];
  onproblem?: Link['onproblem'];
  onclose?: Link['onclose'];
  onerror?: Link['onerror'];
  onreset?: Link['onreset'];
  setProtocolVersion?: Link['setProtocolVersion'];
  readonly sent: Record<string, unknown>[] = [];
  readonly options: (LinkSendOptions | undefined)[] = [];
  readonly frames: string[] = [];
  private waiters: ((m: Record<string, unknown>) => void)[] = [];
  private read = 0;
  closed = false;

  constructor(readonly credentialCarrier: 'meta' | 'header' = 'meta') {}

  async start(): Promise<void> {}

  async send(message: unknown, options?: LinkSendOptions): Promise<void> {
    this.push(structuredClone(message) as Record<string, unknown>, options);
  }

  sendFrame(frame: string): void {
    this.frames.push(frame);
    this.push(JSON.parse(frame) as Record<string, unknown>, undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.();
  }

  /** The peer sends `value` (as a frame, like a stream link would). */
  deliver(value: unknown): void {
    this.onmessage?.(value, undefined, JSON.stringify(value));
  }

  /** The peer sends exactly this text (the router gets the frame as written, and its parse). */
  deliverFrame(frame: string): void {
    this.onmessage?.(JSON.parse(frame) as unknown, undefined, frame);
  }

  problem(p: LinkProblem): void {
    this.onproblem?.(p);
  }

  /** The next message the router sent to this peer (in order). */
  next(timeoutMs = 2000): Promise<Record<string, unknown>> {
    if (this.read < this.sent.length) return Promise.resolve(this.sent[this.read++]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message within the time limit')), timeoutMs);
      this.waiters.push((m) => {
        clearTimeout(timer);
        this.read++;
        resolve(m);
      });
    });
  }

  /** Messages sent and not yet taken with `next`. */
  pending(): Record<string, unknown>[] {
    return this.sent.slice(this.read);
  }

  private push(m: Record<string, unknown>, options: LinkSendOptions | undefined): void {
    this.sent.push(m);
    this.options.push(options);
    const w = this.waiters.shift();
    if (w) w(m);
  }
}

/** An audit sink that keeps records in memory. */
export class MemoryAudit implements AuditSink {
  readonly records: AuditRecord[] = [];

  async append(entry: AuditEntry): Promise<AuditRecord> {
    const record: AuditRecord = { ...entry, seq: this.records.length + 1, ts: new Date(0).toISOString(), prev: '', hash: String(this.records.length + 1) };
    this.records.push(record);
    return record;
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}

  ofType(type: string): AuditRecord[] {
    return this.records.filter((r) => r.type === type);
  }
}
