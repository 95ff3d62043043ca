import { appendFileSync, closeSync, openSync, readFileSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENESIS } from '../../src/audit/record.js';
import { verifyAuditFile, type VerifyCheckpoint } from '../../src/audit/verify.js';
import { tempDir, writeLog } from './helpers.js';

const N = 10_000;
let dir: string;
let cleanup: () => void;
let file: string;
let original: Buffer;
/** Byte offset where each line starts (index 0 = line 1), plus the file length at the end. */
let lineStarts: number[];
/** The hash of record i (index 0 = record 1). */
let hashes: string[];

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  file = path.join(dir, 'audit.jsonl');
  await writeLog(file, N);
  original = readFileSync(file);
  lineStarts = [0];
  for (let i = original.indexOf(0x0a); i !== -1; i = original.indexOf(0x0a, i + 1)) lineStarts.push(i + 1);
  hashes = original
    .toString('utf8')
    .trimEnd()
    .split('\n')
    .map((l) => (JSON.parse(l) as { hash: string }).hash);
});
afterAll(() => cleanup());

/** 1-based line holding byte `pos` (a newline belongs to the line it ends). */
function lineOf(pos: number): number {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid]! <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** A known-good point a few lines before `line`, taken from the untouched original. */
function checkpointBefore(line: number): VerifyCheckpoint {
  const start = Math.max(1, line - 3);
  return { line: start, offset: lineStarts[start - 1]!, seq: start - 1, hash: start === 1 ? GENESIS : hashes[start - 2]! };
}

function withByte(pos: number, value: number): Buffer {
  const copy = Buffer.from(original);
  copy[pos] = value;
  return copy;
}

/** Deterministic positions spread over the file, plus the ones that matter most. */
function samplePositions(count: number): number[] {
  const size = original.length;
  const firstLineEnd = lineStarts[1]! - 1;
  const lastStart = lineStarts[N - 1]!;
  const firstHashAt = original.indexOf('"hash":"') + 10;
  const lastHashAt = original.indexOf('"hash":"', lastStart) + 20;
  const lastNote = original.indexOf('"note":"', lastStart) + 9;
  const special = [0, 1, 2, firstHashAt, firstLineEnd, firstLineEnd + 1, lastStart, lastHashAt, lastNote, size - 2, size - 1];
  const out = new Set(special);
  let seed = 0x9e3779b9;
  while (out.size < count) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    out.add(seed % size);
  }
  return [...out].sort((a, b) => a - b);
}

describe('verifyAuditFile', () => {
  it(`verifies a chain of ${N} records`, async () => {
    const r = await verifyAuditFile(file);
    expect(r).toEqual({ ok: true, records: N, lastSeq: N, lastHash: hashes[N - 1] });
  });

  it('detects any single changed byte at the changed line, over hundreds of positions and several replacement values', async () => {
    // One full copy of the log; each case changes one byte in place, verifies, and puts it back.
    const scratch = path.join(dir, 'flipped.jsonl');
    writeFileSync(scratch, original);
    const fd = openSync(scratch, 'r+');
    const setByte = (pos: number, value: number) => writeSync(fd, Buffer.from([value]), 0, 1, pos);
    try {
      const positions = samplePositions(600);
      let checked = 0;
      for (const pos of positions) {
        const line = lineOf(pos);
        const orig = original[pos]!;
        // Flip the low bit, the high bit, and overwrite with a newline, a space and a digit.
        const values = new Set([orig ^ 0x01, orig ^ 0x80, 0x0a, 0x20, 0x30].filter((v) => v !== orig));
        for (const v of values) {
          setByte(pos, v);
          const r = await verifyAuditFile(scratch, { from: checkpointBefore(line) });
          setByte(pos, orig);
          expect(r.ok, `byte ${pos} (line ${line}) set to ${v}`).toBe(false);
          expect(r.firstBad?.line, `byte ${pos} (line ${line}) set to ${v}: ${r.firstBad?.reason}`).toBe(line);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(2000);
    } finally {
      closeSync(fd);
    }
    // Every byte was put back: the copy verifies again, from the start.
    expect(await verifyAuditFile(scratch)).toMatchObject({ ok: true, records: N });
  });

  it('detects a changed byte from the start of the file, naming the first bad record', async () => {
    const scratch = path.join(dir, 'flipped-full.jsonl');
    const lastStart = lineStarts[N - 1]!;
    for (const pos of [0, original.indexOf('"hash":"') + 12, lineStarts[N / 2]! + 40, lastStart + 5, original.length - 1]) {
      writeFileSync(scratch, withByte(pos, original[pos]! ^ 0x02));
      const line = lineOf(pos);
      const r = await verifyAuditFile(scratch);
      expect(r.ok).toBe(false);
      expect(r.firstBad?.line).toBe(line);
      expect(r.records).toBe(line - 1);
    }
  });

  it('names the seq of the bad record when it has one', async () => {
    const scratch = path.join(dir, 'seq.jsonl');
    const line = 1234;
    const at = original.indexOf('"reasons":["reason ', lineStarts[line - 1]!) + 12;
    writeFileSync(scratch, withByte(at, original[at]! ^ 0x01));
    const r = await verifyAuditFile(scratch);
    expect(r.firstBad).toEqual({ line, seq: line, reason: "hash does not match the record's content" });
  });

  it('detects removed, duplicated and reordered records', async () => {
    const all = original.toString('utf8').trimEnd().split('\n');
    const scratch = path.join(dir, 'edited.jsonl');
    writeFileSync(scratch, `${[...all.slice(0, 10), ...all.slice(11, 20)].join('\n')}\n`);
    expect((await verifyAuditFile(scratch)).firstBad).toMatchObject({ line: 11, seq: 12 });
    writeFileSync(scratch, `${[...all.slice(0, 10), all[9], ...all.slice(10, 20)].join('\n')}\n`);
    expect((await verifyAuditFile(scratch)).firstBad).toMatchObject({ line: 11, seq: 10 });
    writeFileSync(scratch, `${[all[1], all[0], ...all.slice(2, 20)].join('\n')}\n`);
    expect((await verifyAuditFile(scratch)).firstBad).toMatchObject({ line: 1, seq: 2 });
    writeFileSync(scratch, `${all.slice(5, 20).join('\n')}\n`);
    expect((await verifyAuditFile(scratch)).firstBad).toMatchObject({ line: 1, seq: 6 });
  });

  it('reports a torn last line, even one that would parse', async () => {
    const scratch = path.join(dir, 'torn.jsonl');
    writeFileSync(scratch, original.subarray(0, lineStarts[3]!));
    appendFileSync(scratch, '{"decision":"all');
    expect(await verifyAuditFile(scratch)).toMatchObject({ ok: false, records: 3, firstBad: { line: 4, reason: expect.stringMatching(/torn/) } });
    writeFileSync(scratch, original.subarray(0, lineStarts[3]! - 1));
    expect(await verifyAuditFile(scratch)).toMatchObject({ ok: false, records: 2, firstBad: { line: 3, seq: 3, reason: expect.stringMatching(/torn/) } });
  });

  it('reports an empty line and a reformatted (but equal) record', async () => {
    const all = original.toString('utf8').trimEnd().split('\n').slice(0, 5);
    const scratch = path.join(dir, 'format.jsonl');
    writeFileSync(scratch, `${all.slice(0, 2).join('\n')}\n\n${all.slice(2).join('\n')}\n`);
    expect((await verifyAuditFile(scratch)).firstBad).toEqual({ line: 3, reason: 'is empty' });
    const pretty = JSON.stringify(JSON.parse(all[1]!), null, 0).replace('{', '{ ');
    writeFileSync(scratch, `${all[0]}\n${pretty}\n${all.slice(2).join('\n')}\n`);
    expect((await verifyAuditFile(scratch)).firstBad).toMatchObject({ line: 2, seq: 2, reason: expect.stringMatching(/canonical/) });
  });

  it('accepts an empty file and refuses a missing one with IG_INPUT_INVALID', async () => {
    const empty = path.join(dir, 'empty.jsonl');
    writeFileSync(empty, '');
    expect(await verifyAuditFile(empty)).toEqual({ ok: true, records: 0, lastSeq: 0, lastHash: GENESIS });
    await expect(verifyAuditFile(path.join(dir, 'nope.jsonl'))).rejects.toMatchObject({ code: 'IG_INPUT_INVALID' });
    await expect(verifyAuditFile(dir)).rejects.toMatchObject({ code: 'IG_INPUT_INVALID' });
  });

  it('resumes from a checkpoint and sees truncation against a kept anchor', async () => {
    const scratch = path.join(dir, 'grow.jsonl');
    writeFileSync(scratch, original);
    const at = checkpointBefore(N - 10);
    expect(await verifyAuditFile(scratch, { from: at })).toMatchObject({ ok: true, lastSeq: N, lastHash: hashes[N - 1] });
    truncateSync(scratch, lineStarts[N - 1]!);
    const r = await verifyAuditFile(scratch);
    expect(r.ok).toBe(true);
    expect(r.lastHash).not.toBe(hashes[N - 1]);
  });
});
