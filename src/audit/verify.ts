import { stat } from 'node:fs/promises';
import { IntentguardError } from '../errors.js';
import { readLines } from './lines.js';
import { GENESIS, checkLine } from './record.js';

/** The first record that does not verify: its line, its seq when it has a readable one, and why. */
export interface BadRecord {
  readonly line: number;
  readonly seq?: number;
  readonly reason: string;
}

export interface VerifyResult {
  /** True when every line is a record that chains to the one before it. */
  readonly ok: boolean;
  /** Records verified (all of them when ok; those before the first bad one otherwise). */
  readonly records: number;
  readonly firstBad?: BadRecord;
  /** Seq and hash of the last good record (0 and 64 zeros when there is none): keep them elsewhere to detect truncation. */
  readonly lastSeq: number;
  readonly lastHash: string;
}

/**
 * A point in the file already known to be good: verification resumes there.
 * `offset` is the byte offset of line `line`, which must hold the record after
 * the one with `seq` and `hash`. For re-verifying a growing log incrementally.
 */
export interface VerifyCheckpoint {
  readonly offset: number;
  readonly line: number;
  readonly seq: number;
  readonly hash: string;
}

/** Fails with IG_INPUT_INVALID (exit 2) unless `file` is a readable regular file. */
export async function assertAuditFile(file: string): Promise<void> {
  let st;
  try {
    st = await stat(file);
  } catch (e) {
    throw new IntentguardError('IG_INPUT_INVALID', `cannot read audit log: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, {
      location: { file },
      cause: e,
    });
  }
  if (!st.isFile()) throw new IntentguardError('IG_INPUT_INVALID', 'the audit log is not a regular file', { location: { file } });
}

function bad(line: number, reason: string, seq: number | undefined): BadRecord {
  return seq === undefined ? { line, reason } : { line, seq, reason };
}

/**
 * Verifies the whole chain, streaming: every line is valid canonical JSON with
 * a hash that recomputes, seq goes up by one from 1, every `prev` is the hash
 * before it, and the last line is terminated (a torn last line is reported).
 * Stops at the first bad record. Deleting records from the end cannot be seen
 * from the file alone: keep `lastSeq`/`lastHash` somewhere else to detect that.
 * @throws IntentguardError IG_INPUT_INVALID when the file cannot be read.
 */
export async function verifyAuditFile(file: string, options: { readonly from?: VerifyCheckpoint | undefined } = {}): Promise<VerifyResult> {
  await assertAuditFile(file);
  const from = options.from;
  let records = 0;
  let lastSeq = from?.seq ?? 0;
  let prev = from?.hash ?? GENESIS;
  const fail = (line: number, reason: string, seq: number | undefined): VerifyResult => ({ ok: false, records, firstBad: bad(line, reason, seq), lastSeq, lastHash: prev });
  for await (const raw of readLines(file, undefined, from ? { offset: from.offset, line: from.line } : undefined)) {
    if (raw.tooLong) return fail(raw.number, 'is longer than any record the log writes', undefined);
    const checked = checkLine(raw.bytes);
    if (!raw.terminated) return fail(raw.number, 'is a torn last line (no trailing newline)', checked.ok ? checked.record.seq : checked.seq);
    if (!checked.ok) return fail(raw.number, checked.reason, checked.seq);
    const { record } = checked;
    if (record.seq !== lastSeq + 1) return fail(raw.number, `has seq ${record.seq}, expected ${lastSeq + 1}`, record.seq);
    if (record.prev !== prev) return fail(raw.number, "has a prev that is not the previous record's hash", record.seq);
    prev = record.hash;
    lastSeq = record.seq;
    records++;
  }
  return { ok: true, records, lastSeq, lastHash: prev };
}
