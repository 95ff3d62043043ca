import { constants as fsConstants } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { systemClock, type Clock } from '../clock.js';
import { IntentguardError, isIntentguardError } from '../errors.js';
import { MAX_LINE_BYTES } from './lines.js';
import { acquireWriterLock, type WriterLock } from './lock.js';
import { GENESIS, checkLine, sealRecord } from './record.js';
import { redact } from './redact.js';
import type { AuditEntry, AuditRecord, AuditSink } from './types.js';

/**
 * `fsync`: an append resolves once its record is written and fsynced; appends that arrive together share one
 *          write and one fsync (group commit).
 * `batch`: an append resolves once its record is written to the file (it survives a crash of this process);
 *          the fsync follows in the background within `batchMs`, one for every record written meanwhile, so no
 *          fsync sits on a call's path. A power loss can lose at most the last `batchMs` of records.
 * `none`: written, fsynced only on `flush`/`close` (tests, benchmarks).
 */
export type Durability = 'fsync' | 'batch' | 'none';

export interface AuditLogOptions {
  readonly durability: Durability;
  /** `batch`: the most milliseconds between a record's write and its fsync (default 100). */
  readonly batchMs?: number | undefined;
  readonly clock?: Clock | undefined;
  /** Move a torn last line aside (to `<file>.torn-<ts>`) and record that, instead of refusing to open. */
  readonly repairTorn?: boolean | undefined;
  /** How long to wait for another process's writer lock before failing (default 2000 ms). */
  readonly lockWaitMs?: number | undefined;
}

/** Largest record written; a bigger one is refused (the call it describes then does not run). */
export const MAX_RECORD_BYTES = 1024 * 1024;

const RESERVED = new Set(['seq', 'ts', 'prev', 'hash']);
const CHUNK = 64 * 1024;
/** `batch` durability: the longest a written record waits for its fsync. */
const DEFAULT_BATCH_MS = 100;

// One writer per file per process: two would fork the chain.
const openFiles = new Set<string>();

interface Pending {
  readonly bytes: Buffer;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

type Tail =
  | { readonly state: 'empty' }
  | { readonly state: 'ok'; readonly seq: number; readonly hash: string }
  | { readonly state: 'torn'; readonly cut: number; readonly reason: string }
  | { readonly state: 'broken'; readonly cut: number; readonly reason: string; readonly seq?: number | undefined };

function writeError(file: string, message: string, cause?: unknown): IntentguardError {
  return new IntentguardError('IG_AUDIT_WRITE', message, { location: { file }, cause });
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buf.subarray(0, done);
}

/** Offset of the last `\n` before `end`, or -1; reads backwards in bounded chunks. */
async function lastNewlineBefore(fh: FileHandle, end: number): Promise<number> {
  let hi = end;
  while (hi > 0) {
    const lo = Math.max(0, hi - CHUNK);
    const buf = await readAt(fh, lo, hi - lo);
    const i = buf.lastIndexOf(0x0a);
    if (i !== -1) return lo + i;
    hi = lo;
  }
  return -1;
}

/** 1-based number of the line starting at `offset`. */
async function lineNumberAt(fh: FileHandle, offset: number): Promise<number> {
  let count = 1;
  for (let pos = 0; pos < offset; pos += CHUNK) {
    const buf = await readAt(fh, pos, Math.min(CHUNK, offset - pos));
    for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) count++;
  }
  return count;
}

/** Reads only the last line: enough to continue the chain, however big the file. */
async function readTail(fh: FileHandle, size: number): Promise<Tail> {
  if (size === 0) return { state: 'empty' };
  const last = await readAt(fh, size - 1, 1);
  const terminated = last[0] === 0x0a;
  const end = terminated ? size - 1 : size;
  const start = (await lastNewlineBefore(fh, end)) + 1;
  if (!terminated) return { state: 'torn', cut: start, reason: 'the last line has no trailing newline (a write was cut short)' };
  if (end - start > MAX_LINE_BYTES) return { state: 'torn', cut: start, reason: 'the last line is longer than any record' };
  const checked = checkLine(await readAt(fh, start, end - start));
  if (checked.ok) return { state: 'ok', seq: checked.record.seq, hash: checked.record.hash };
  if (!checked.parsed) return { state: 'torn', cut: start, reason: `the last line ${checked.reason}` };
  return { state: 'broken', cut: start, reason: `the last record ${checked.reason}`, seq: checked.seq };
}

function fileStamp(clock: Clock): string {
  return new Date(clock.now()).toISOString().replace(/[:.]/g, '-');
}

/** Copies [from, size) of the log into a new private file next to it; returns its path. */
async function moveAside(fh: FileHandle, file: string, from: number, size: number, clock: Clock): Promise<string> {
  const base = `${file}.torn-${fileStamp(clock)}`;
  for (let n = 0; ; n++) {
    const target = n === 0 ? base : `${base}-${n}`;
    let out: FileHandle;
    try {
      out = await open(target, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && n < 100) continue;
      throw e;
    }
    try {
      for (let pos = from; pos < size; pos += CHUNK) {
        const buf = await readAt(fh, pos, Math.min(CHUNK, size - pos));
        await out.write(buf, 0, buf.length);
      }
      await out.sync();
    } finally {
      await out.close();
    }
    return target;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  let dh: FileHandle | undefined;
  try {
    dh = await open(dir, 'r');
    await dh.sync();
  } catch {
    // Some platforms and filesystems cannot fsync a directory; the file's own fsync still holds.
  } finally {
    await dh?.close();
  }
}

/**
 * The append-only, hash-chained JSONL audit log. Each line is the canonical
 * JSON of one record: the redacted entry plus `seq` (1-based), `ts` (ISO, from
 * the injected clock), `prev` (the previous record's hash, 64 zeros for the
 * first) and `hash` (SHA-256 hex of the canonical JSON of the record without
 * `hash`). One writer per file: a second `open` of the same file in this
 * process is refused, and across processes `<file>.lock` (pid and host) keeps
 * a second writer out until the first closes or dies.
 */
export class AuditLog implements AuditSink {
  readonly file: string;
  readonly durability: Durability;
  readonly #fh: FileHandle;
  readonly #clock: Clock;
  readonly #batchMs: number;
  readonly #lock: WriterLock | undefined;
  #seq: number;
  #prev: string;
  #pending: Pending[] = [];
  #draining: Promise<void> | undefined;
  #timer: { readonly cancel: () => void } | undefined;
  #failure: IntentguardError | undefined;
  #closing: Promise<void> | undefined;
  #writes = 0;
  #syncs = 0;
  #unsynced = false;

  private constructor(file: string, fh: FileHandle, options: AuditLogOptions, seq: number, prev: string, lock: WriterLock | undefined) {
    this.file = file;
    this.#lock = lock;
    this.#fh = fh;
    this.durability = options.durability;
    this.#clock = options.clock ?? systemClock;
    this.#batchMs = Math.max(1, options.batchMs ?? DEFAULT_BATCH_MS);
    this.#seq = seq;
    this.#prev = prev;
  }

  /**
   * Opens (creating with mode 0600) the log at `file` and continues its chain
   * from the last record, reading only the file's tail.
   * @throws IntentguardError IG_AUDIT_TORN when the last line is torn (names file and line) unless `repairTorn`;
   * IG_AUDIT_BROKEN when the last record does not verify; IG_AUDIT_WRITE when the file cannot be opened or
   * another writer holds it (in this process, or another process holding `<file>.lock`).
   */
  static async open(file: string, options: AuditLogOptions): Promise<AuditLog> {
    if (!['fsync', 'batch', 'none'].includes(options.durability)) {
      throw new IntentguardError('IG_CONFIG_INVALID', `unknown audit durability ${JSON.stringify(options.durability)} (fsync, batch or none)`);
    }
    const abs = path.resolve(file);
    if (openFiles.has(abs)) throw writeError(abs, `audit log ${abs} is already open in this process`);
    openFiles.add(abs);
    let fh: FileHandle | undefined;
    let lock: WriterLock | undefined;
    try {
      const existing = await stat(abs).catch(() => undefined);
      const existed = existing !== undefined;
      // Devices (a test's /dev/full) are not logs other processes could share.
      if (!existing || existing.isFile()) lock = await acquireWriterLock(abs, { waitMs: options.lockWaitMs ?? 2000, clock: options.clock ?? systemClock });
      try {
        fh = await open(abs, 'a+', 0o600);
      } catch (e) {
        throw writeError(abs, `cannot open audit log ${abs}: ${(e as Error).message}`, e);
      }
      if (!existed && options.durability !== 'none') await syncDirectory(path.dirname(abs));
      const st = await fh.stat();
      const clock = options.clock ?? systemClock;
      let tail = st.isFile() ? await readTail(fh, st.size) : ({ state: 'empty' } as const);
      let repaired: Record<string, unknown> | undefined;
      if (tail.state === 'torn') {
        const line = await lineNumberAt(fh, tail.cut);
        if (!options.repairTorn) {
          throw new IntentguardError('IG_AUDIT_TORN', `${abs}:${line}: ${tail.reason}; open with repairTorn to move it aside`, { location: { file: abs, line } });
        }
        const tornFile = await moveAside(fh, abs, tail.cut, st.size, clock);
        await fh.truncate(tail.cut);
        await fh.sync();
        repaired = { action: 'repair-torn', line, reason: tail.reason, tornFile: path.basename(tornFile), tornBytes: st.size - tail.cut };
        tail = await readTail(fh, tail.cut);
      }
      if (tail.state === 'torn' || tail.state === 'broken') {
        const line = await lineNumberAt(fh, tail.cut);
        throw new IntentguardError('IG_AUDIT_BROKEN', `${abs}:${line}: ${tail.reason}`, { location: { file: abs, line } });
      }
      const log = new AuditLog(abs, fh, options, tail.state === 'ok' ? tail.seq : 0, tail.state === 'ok' ? tail.hash : GENESIS, lock);
      if (repaired) {
        await log.append({ type: 'admin', ...repaired });
        await log.flush();
      }
      return log;
    } catch (e) {
      await fh?.close().catch(() => undefined);
      await lock?.release();
      openFiles.delete(abs);
      throw e;
    }
  }

  /** The seq of the last record appended (0 for an empty log). */
  get lastSeq(): number {
    return this.#seq;
  }

  /** The hash of the last record appended (64 zeros for an empty log). */
  get lastHash(): string {
    return this.#prev;
  }

  /** Counters for tests and benchmarks: how many write and fsync calls the log made. */
  get stats(): { readonly writes: number; readonly syncs: number } {
    return { writes: this.#writes, syncs: this.#syncs };
  }

  /**
   * Redacts the entry, chains it, and resolves with the stored record once it
   * is written at the log's durability. Records are chained in call order.
   * Rejects with IG_AUDIT_WRITE when the entry cannot be recorded (not an
   * object, too large, the log closed or failed earlier, the write or fsync
   * failed); after a failed write every later append fails too, because the
   * chain on disk may now end in a torn line.
   */
  append(entry: AuditEntry): Promise<AuditRecord> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closing) return Promise.reject(writeError(this.file, 'the audit log is closed'));
    let record: AuditRecord;
    let bytes: Buffer;
    try {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry) || typeof entry.type !== 'string' || (entry.type as string).length === 0) {
        throw writeError(this.file, 'an audit entry must be an object with a type');
      }
      const clean = redact(entry) as Record<string, unknown>;
      for (const k of RESERVED) delete clean[k];
      const body: Record<string, unknown> = { ...clean, seq: this.#seq + 1, ts: new Date(this.#clock.now()).toISOString(), prev: this.#prev };
      const sealed = sealRecord(body);
      record = Object.freeze({ ...body, hash: sealed.hash }) as unknown as AuditRecord;
      bytes = Buffer.from(`${sealed.line}\n`, 'utf8');
      if (bytes.length > MAX_RECORD_BYTES) throw writeError(this.file, `an audit record of ${bytes.length} bytes exceeds the ${MAX_RECORD_BYTES}-byte limit`);
    } catch (e) {
      return Promise.reject(isIntentguardError(e) && e.code === 'IG_AUDIT_WRITE' ? e : writeError(this.file, `audit entry cannot be recorded: ${(e as Error).message}`, e));
    }
    // Commit to the chain synchronously, so that concurrent appends chain in call order.
    this.#seq = record.seq;
    this.#prev = record.hash;
    return new Promise<AuditRecord>((resolve, reject) => {
      this.#pending.push({ bytes, resolve: () => resolve(record), reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    // Appends that arrive while a drain is writing queue up and share the next write (and, in `fsync`
    // mode, the next fsync): group commit without a timer on the call path.
    if (this.#draining) return;
    this.#startDrain();
  }

  #startDrain(): void {
    if (this.#draining) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      if (this.#pending.length > 0 && !this.#failure) this.#schedule();
    });
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0 && !this.#failure) {
      const batch = this.#pending.splice(0);
      try {
        const buf = batch.length === 1 ? (batch[0] as Pending).bytes : Buffer.concat(batch.map((p) => p.bytes));
        let done = 0;
        while (done < buf.length) {
          const { bytesWritten } = await this.#fh.write(buf, done, buf.length - done);
          this.#writes++;
          if (bytesWritten <= 0) throw new IntentguardError('IG_AUDIT_WRITE', 'the write made no progress');
          done += bytesWritten;
        }
        if (this.durability === 'fsync') {
          await this.#fh.datasync();
          this.#syncs++;
        } else {
          this.#unsynced = true;
          if (this.durability === 'batch') this.#scheduleBackgroundSync();
        }
        for (const p of batch) p.resolve();
      } catch (e) {
        this.#failure = writeError(this.file, `audit write failed: ${(e as Error).message}`, e);
        for (const p of [...batch, ...this.#pending.splice(0)]) p.reject(this.#failure);
      }
    }
  }

  /**
   * `batch`: the record is in the file (it survives a crash of this process)
   * when its append resolves; the fsync that makes it survive a power loss
   * follows within `batchMs`, off the call path, one fsync for every record
   * written meanwhile. A failed background fsync poisons the log.
   */
  #scheduleBackgroundSync(): void {
    if (this.#timer) return;
    const t = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#unsynced || this.#failure) return;
      this.#unsynced = false;
      this.#fh.datasync().then(
        () => {
          this.#syncs++;
        },
        (e: unknown) => {
          this.#failure ??= writeError(this.file, `audit fsync failed: ${(e as Error).message}`, e);
        },
      );
    }, this.#batchMs);
    t.unref();
    this.#timer = { cancel: () => clearTimeout(t) };
  }

  /** Resolves once every record appended so far is written and fsynced (whatever the durability). */
  async flush(): Promise<void> {
    if (this.#timer) {
      this.#timer.cancel();
      this.#timer = undefined;
    }
    if (this.#pending.length > 0) this.#startDrain();
    while (this.#draining) await this.#draining;
    if (this.#failure) throw this.#failure;
    if (this.#unsynced) {
      this.#unsynced = false;
      try {
        await this.#fh.datasync();
        this.#syncs++;
      } catch (e) {
        this.#failure = writeError(this.file, `audit fsync failed: ${(e as Error).message}`, e);
        throw this.#failure;
      }
    }
  }

  /**
   * Flushes and closes the file; rejects with IG_AUDIT_WRITE when the final
   * flush failed (the file is closed either way). Later appends are refused.
   * Safe to call twice.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        await this.flush();
      } finally {
        await this.#fh.close().catch(() => undefined);
        await this.#lock?.release();
        openFiles.delete(this.file);
      }
    })();
    return this.#closing;
  }
}
