import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/log.js';
import type { AuditEntry } from '../../src/audit/types.js';
import { verifyAuditFile } from '../../src/audit/verify.js';
import { parseDataset } from '../../src/evals/dataset.js';
import { isIntentguardError } from '../../src/errors.js';
import { appendLabels, describeDecision, exportTraces, flaggedDecisions, parseLabelFlag, reviewInteractive, safeText, writeExport } from '../../src/tune/review.js';
import { readTraffic } from '../../src/tune/traffic.js';
import { judged, trafficOf } from './fixtures.js';

let dir: string;
let file: string;

/** A small log: a denied write, an allowed read, a narrowed listing, an unflagged allow, in one session. */
async function writeLog(extra: AuditEntry[] = []): Promise<void> {
  const log = await AuditLog.open(file, { durability: 'none' });
  const entries = [
    judged(1, 'fs', 'write_file', { path: '/etc/hosts', content: 'x' }, { decision: 'deny' }, { sessionId: 's', mode: 'enforce' }),
    judged(2, 'fs', 'read_file', { path: '/srv/a.txt' }, { decision: 'allow', confidence: 0.5 }, { sessionId: 's', flags: ['low-confidence'] }),
    judged(3, 'fs', 'list_directory', { path: '/srv' }, { decision: 'narrow', args: { path: '/srv/docs' } }, { sessionId: 's' }),
    judged(4, 'fs', 'read_file', { path: '/srv/b.txt' }, { decision: 'allow' }, { sessionId: 's' }),
  ];
  for (const e of [...entries, ...extra]) {
    const { seq: _seq, ...rest } = e as { seq?: number } & Record<string, unknown>;
    await log.append({ type: 'decision', ...rest } as AuditEntry);
  }
  await log.close();
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ig-review-'));
  file = path.join(dir, 'audit.jsonl');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('labels', () => {
  it('parses TXN=DECISION, splitting on the last =', () => {
    expect(parseLabelFlag('abc=allow')).toEqual({ txn: 'abc', label: 'allow' });
    expect(parseLabelFlag('a=b=narrow')).toEqual({ txn: 'a=b', label: 'narrow' });
    for (const bad of ['abc', '=deny', 'abc=', 'abc=maybe']) {
      expect(() => parseLabelFlag(bad)).toThrow(expect.objectContaining({ code: 'IG_USAGE' }));
    }
  });

  it('appends label records after the decisions; the chain verifies; an unknown txn writes nothing', async () => {
    await writeLog();
    const traffic = await readTraffic(file);
    await expect(appendLabels(file, traffic, [{ txn: 'x-1', label: 'allow' }, { txn: 'nope', label: 'deny' }])).rejects.toSatisfy(
      (e: unknown) => isIntentguardError(e) && e.code === 'IG_INPUT_INVALID' && e.message.includes('"nope"'),
    );
    expect((await verifyAuditFile(file)).records).toBe(4);
    const records = await appendLabels(file, traffic, [{ txn: 'x-1', label: 'allow' }], { reviewer: 'bo', note: 'needed for the migration' });
    expect(records.map((r) => [r.seq, r.type, r.txn, r['label'], r['reviewer'], r['note'], r.flags])).toEqual([
      [5, 'label', 'x-1', 'allow', 'bo', 'needed for the migration', ['human-label']],
    ]);
    expect(await verifyAuditFile(file)).toMatchObject({ ok: true, records: 5 });
    const again = await readTraffic(file);
    expect(again.labels.get('x-1')).toMatchObject({ label: 'allow', reviewer: 'bo', seq: 5 });
    // The labeled decision now also counts as flagged `human-label`; the unflagged one stays out.
    expect(flaggedDecisions(again).map((d) => d.txn)).toEqual(['x-1', 'x-2', 'x-3']);
    expect(flaggedDecisions(again, ['human-label']).map((d) => d.txn)).toEqual(['x-1']);
    expect(flaggedDecisions(again, ['low-confidence']).map((d) => d.txn)).toEqual(['x-2']);
  });
});

describe('interactive review', () => {
  it('asks about each flagged decision not labeled yet, re-asks on a bad answer, and keeps the labels given before quitting', async () => {
    await writeLog();
    const traffic = await readTraffic(file);
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (d: Buffer) => (shown += d.toString('utf8')));
    input.end('d\nwhat\nskip\nq\n');
    const labels = await reviewInteractive(file, traffic, { input, output }, { reviewer: 'cy' });
    expect(labels).toEqual([{ txn: 'x-1', label: 'deny' }]);
    expect(shown).toContain('3 flagged decisions to review');
    expect(shown).toContain('please answer a, d, n, s or q');
    expect(shown).toContain('[3/3]');
    expect(shown).toContain('1 label recorded');
    const after = await readTraffic(file);
    expect([...after.labels.values()].map((l) => [l.txn, l.label, l.reviewer])).toEqual([['x-1', 'deny', 'cy']]);
    expect((await verifyAuditFile(file)).ok).toBe(true);

    // A second pass skips what is labeled already; the end of input ends it.
    const input2 = new PassThrough();
    input2.end('n\n');
    const more = await reviewInteractive(file, after, { input: input2, output: new PassThrough() });
    expect(more).toEqual([{ txn: 'x-2', label: 'narrow' }]);
  });

  it('shows untrusted text with control characters escaped', async () => {
    expect(safeText('ok\u001b[2J\u001b]0;pwned\u0007 done')).toBe('ok\\u001b[2J\\u001b]0;pwned\\u0007 done');
    expect(safeText('x'.repeat(500), 10)).toBe(`${'x'.repeat(9)}…`);
    const traffic = trafficOf([judged(1, 'fs', 'read_file', { path: '/x' }, { decision: 'deny' }, { task: 'read \u001b[31mred' })]);
    const text = describeDecision(traffic.decisions[0]!, traffic);
    expect(text).not.toContain('\u001b');
    expect(text).toContain('\\u001b[31mred');
  });
});

describe('export', () => {
  it('writes labeled decisions as traces the eval loader accepts, with the session history that ran', async () => {
    await writeLog();
    const traffic = await readTraffic(file);
    await appendLabels(file, traffic, [
      { txn: 'x-3', label: 'narrow' },
      { txn: 'x-4', label: 'deny' },
      { txn: 'x-2', label: 'narrow' },
    ]);
    const out = path.join(dir, 'reviewed.jsonl');
    const result = await writeExport(out, await readTraffic(file));
    expect(result.written).toBe(2);
    // x-2 was allowed as requested: the log has no narrowed arguments to put in the label.
    expect(result.skipped).toEqual([{ txn: 'x-2', reason: 'a narrow label needs the narrowed arguments, and the guard did not narrow this call' }]);
    const cases = parseDataset(await readFile(out), out);
    expect(cases.map((c) => c.id)).toEqual(['review-x-3', 'review-x-4']);
    const narrow = cases[0]!;
    expect(narrow.label).toEqual({ decision: 'narrow', args: { path: '/srv/docs' } });
    expect(narrow.tags).toEqual(['judge-narrowed', 'human-label']);
    // The enforce-mode deny (x-1) never ran, so it is not history; the shadow-mode read (x-2) ran.
    expect(narrow.history.map((h) => [h.tool, h.args])).toEqual([['read_file', { path: '/srv/a.txt' }]]);
    const deny = cases[1]!;
    expect(deny.label.decision).toBe('deny');
    expect(deny.tags).toContain('overridden');
    expect(deny.history.map((h) => h.tool)).toEqual(['read_file', 'list_directory']);
    expect(deny.source).toBe('intentguard review of audit.jsonl');
  });

  it('leaves out a decision without a task, saying why', () => {
    const traffic = trafficOf([judged(1, 'fs', 'read_file', { path: '/x' }, { decision: 'deny' }, { task: '' })], [{ txn: 'x-1', label: 'allow' }]);
    expect(exportTraces(traffic)).toEqual([{ ok: false, txn: 'x-1', reason: 'the logged decision has no task' }]);
  });
});
