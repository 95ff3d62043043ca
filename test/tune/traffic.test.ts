import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/log.js';
import type { AuditEntry } from '../../src/audit/types.js';
import { isIntentguardError } from '../../src/errors.js';
import { callRan, readTraffic } from '../../src/tune/traffic.js';
import { judged } from './fixtures.js';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ig-traffic-'));
  file = path.join(dir, 'audit.jsonl');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(entries: AuditEntry[]): Promise<void> {
  const log = await AuditLog.open(file, { durability: 'none' });
  for (const e of entries) await log.append(e);
  await log.close();
}

function decision(n: number, extra: Record<string, unknown> = {}): AuditEntry {
  const { seq: _seq, ...d } = judged(n, 'fs', 'read_file', { path: `/x/${n}` }, { decision: 'allow' });
  return { type: 'decision', ...d, ...extra } as AuditEntry;
}

describe('readTraffic', () => {
  it('reads decisions, labels, approvals and outcomes; skips a malformed decision, naming its line', async () => {
    await write([
      decision(1),
      { type: 'outcome', txn: 'x-1', ok: true, executed: true },
      decision(2, { decision: 'maybe' }),
      decision(3, { mode: 'enforce', decision: 'deny', grant: null }),
      { type: 'approval', txn: 'x-3', answer: 'decline', reason: 'asked' },
      { type: 'label', txn: 'x-1', label: 'deny', flags: ['human-label'] },
      { type: 'label', txn: 'x-1', label: 'allow', flags: ['human-label'] },
      { type: 'admin', action: 'whatever' },
    ]);
    const t = await readTraffic(file);
    expect(t.records).toBe(8);
    expect(t.decisions.map((d) => [d.index, d.txn, d.seq])).toEqual([
      [0, 'x-1', 1],
      [1, 'x-3', 4],
    ]);
    expect(t.skippedCount).toBe(1);
    expect(t.skipped[0]).toMatchObject({ line: 3 });
    expect(t.skipped[0]!.reason).toContain('decision');
    // The latest label wins.
    expect(t.labels.get('x-1')).toMatchObject({ label: 'allow', seq: 7 });
    expect(t.approvals.get('x-3')).toBe('decline');
    expect(t.hasOutcomes).toBe(true);
    expect(callRan(t, t.decisions[0]!)).toBe(true);
    expect(callRan(t, t.decisions[1]!)).toBe(false);
  });

  it('refuses a log that does not verify, naming the line', async () => {
    await write([decision(1), decision(2)]);
    await appendFile(file, '{"seq":3');
    const err = await readTraffic(file).catch((e: unknown) => e);
    expect(isIntentguardError(err) && err.code).toBe('IG_AUDIT_TORN');
    expect(isIntentguardError(err) && err.location).toEqual({ file, line: 3 });
  });

  it('refuses a missing file as bad input', async () => {
    const err = await readTraffic(path.join(dir, 'none.jsonl')).catch((e: unknown) => e);
    expect(isIntentguardError(err) && err.code).toBe('IG_INPUT_INVALID');
  });
});
