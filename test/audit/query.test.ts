import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { AuditLog } from '../../src/audit/log.js';
import { queryAudit, queryAuditAll } from '../../src/audit/query.js';
import { decisionEntry, tempDir, writeLog } from './helpers.js';

const N = 70;
const START = Date.UTC(2026, 0, 1);
let dir: string;
let cleanup: () => void;
let file: string;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  file = path.join(dir, 'audit.jsonl');
  const clock = new ManualClock(START);
  await writeLog(file, N, clock);
  const log = await AuditLog.open(file, { durability: 'none', clock });
  await log.append({ type: 'outcome', txn: 'txn-3', ok: true });
  await log.append({ type: 'label', txn: 'txn-3', label: 'deny', flags: ['human-label'] });
  await log.close();
});
afterAll(() => cleanup());

const expected = Array.from({ length: N }, (_, i) => decisionEntry(i));

describe('queryAudit', () => {
  it('returns every record without filters, in order', async () => {
    const all = await queryAuditAll(file);
    expect(all.map((r) => r.seq)).toEqual(Array.from({ length: N + 2 }, (_, i) => i + 1));
  });

  it.each([
    ['tool', { tool: 'send_email' }, (e: (typeof expected)[number]) => (e['call'] as { tool: string }).tool === 'send_email'],
    ['server', { server: 'filesystem' }, (e: (typeof expected)[number]) => (e['call'] as { server: string }).server === 'filesystem'],
    ['decision', { decision: 'deny' }, (e: (typeof expected)[number]) => e['decision'] === 'deny'],
    ['flag', { flag: 'judge-narrowed' }, (e: (typeof expected)[number]) => (e.flags ?? []).includes('judge-narrowed')],
    ['tool and decision', { tool: 'refund', decision: 'allow' }, (e: (typeof expected)[number]) => (e['call'] as { tool: string }).tool === 'refund' && e['decision'] === 'allow'],
  ] as const)('filters by %s', async (_name, filters, predicate) => {
    const got = await queryAuditAll(file, filters);
    const want = expected.filter(predicate).map((e) => e.txn);
    expect(want.length).toBeGreaterThan(0);
    expect(got.map((r) => r.txn)).toEqual(want);
  });

  it('filters by type, txn and flag across record types', async () => {
    expect((await queryAuditAll(file, { type: 'outcome' })).map((r) => r.seq)).toEqual([N + 1]);
    expect((await queryAuditAll(file, { txn: 'txn-3' })).map((r) => r.type)).toEqual(['decision', 'outcome', 'label']);
    expect((await queryAuditAll(file, { flag: 'human-label' })).map((r) => r.type)).toEqual(['label']);
  });

  it('filters by time: since inclusive, until exclusive', async () => {
    // Record i (0-based) has ts START + i seconds.
    const got = await queryAuditAll(file, { since: new Date(START + 10_000), until: new Date(START + 15_000).toISOString() });
    expect(got.map((r) => r.txn)).toEqual(['txn-10', 'txn-11', 'txn-12', 'txn-13', 'txn-14']);
  });

  it('stops after limit matches', async () => {
    const got: string[] = [];
    for await (const r of queryAudit(file, { decision: 'allow', limit: 3 })) got.push(r.txn ?? '');
    expect(got).toEqual(expected.filter((e) => e['decision'] === 'allow').slice(0, 3).map((e) => e.txn));
  });

  it('refuses malformed filters and missing files with IG_INPUT_INVALID', async () => {
    await expect(queryAuditAll(file, { since: 'yesterday-ish' })).rejects.toMatchObject({ code: 'IG_INPUT_INVALID' });
    await expect(queryAuditAll(file, { limit: 0 })).rejects.toMatchObject({ code: 'IG_INPUT_INVALID' });
    await expect(queryAuditAll(path.join(dir, 'missing.jsonl'))).rejects.toMatchObject({ code: 'IG_INPUT_INVALID' });
  });

  it('skips lines that are not records, and says which', async () => {
    const messy = path.join(dir, 'messy.jsonl');
    await writeLog(messy, 3);
    appendFileSync(messy, 'not json\n{"type":"decision","decision":"deny"}\n[1]\n{"torn":');
    const skipped: [number, string][] = [];
    const got = await queryAuditAll(messy, { decision: 'deny' }, { onSkip: (line, reason) => skipped.push([line, reason]) });
    expect(got.map((r) => r.txn ?? 'no-txn')).toEqual(['txn-0', 'no-txn']);
    expect(skipped).toEqual([
      [4, 'not a JSON object'],
      [6, 'not a JSON object'],
      [7, 'torn last line'],
    ]);
  });
});
