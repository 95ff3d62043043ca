import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { runCli } from '../helpers/cli.js';
import { decisionEntry, tempDir, writeLog } from '../audit/helpers.js';

// Spawns the built command: `npm run build` first (npm test does).
const N = 2000;
let dir: string;
let cleanup: () => void;
let file: string;
let original: Buffer;
let lineStarts: number[];

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  file = path.join(dir, 'audit.jsonl');
  await writeLog(file, N, new ManualClock(Date.UTC(2026, 0, 1)));
  original = readFileSync(file);
  lineStarts = [0];
  for (let i = original.indexOf(0x0a); i !== -1; i = original.indexOf(0x0a, i + 1)) lineStarts.push(i + 1);
});
afterAll(() => cleanup());

describe('intentguard audit verify', () => {
  it('exits 0 and prints the record count for a good chain', async () => {
    const r = await runCli(['audit', 'verify', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${file}: ok, ${N} records`);
  });

  it.each([
    ['a byte in the first record', () => 5, 1],
    ['a hash in the middle', () => original.indexOf('"hash":"', lineStarts[999]!) + 20, 1000],
    ['a newline between records', () => lineStarts[1500]! - 1, 1500],
    ['a byte in a JSON string', () => original.indexOf('"note":"', lineStarts[1733]!) + 12, 1734],
    ['the last byte of the file', () => original.length - 1, N],
  ])('exits 1 naming the first bad record after changing %s', async (_name, at, line) => {
    const pos = at();
    const copy = Buffer.from(original);
    copy[pos] = copy[pos]! === 0x41 ? 0x42 : 0x41;
    const scratch = path.join(dir, `flip-${pos}.jsonl`);
    writeFileSync(scratch, copy);
    const r = await runCli(['audit', 'verify', scratch]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`line ${line} \\((expected )?seq ${line}\\): `));
  });

  it('reports a torn last line', async () => {
    const scratch = path.join(dir, 'torn.jsonl');
    writeFileSync(scratch, original.subarray(0, lineStarts[10]!));
    appendFileSync(scratch, '{"call":{"serv');
    const r = await runCli(['audit', 'verify', scratch]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/line 11 \(expected seq 11\): is a torn last line/);
  });

  it('prints the result as JSON with --format json', async () => {
    const r = await runCli(['audit', 'verify', file, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ file, ok: true, records: N, lastSeq: N });
  });

  it.each([
    [['audit', 'verify', 'no-such-file.jsonl'], /no such file/],
    [['audit', 'verify'], /needs a FILE/],
    [['audit', 'verify', 'a', 'b'], /one FILE/],
    [['audit'], /subcommand/],
    [['audit', 'rewrite', 'x'], /unknown audit subcommand/],
    [['audit', 'verify', 'x', '--bogus'], /bogus/],
  ])('exits 2 on bad usage or a missing file: %j', async (args, message) => {
    const r = await runCli(args, { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('prints help', async () => {
    const r = await runCli(['audit', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('intentguard audit verify FILE');
    expect(r.stdout).toContain('--since ISO');
  });
});

describe('intentguard audit query', () => {
  const expected = Array.from({ length: N }, (_, i) => decisionEntry(i));

  it('filters by tool and decision, one canonical record per line', async () => {
    const r = await runCli(['audit', 'query', file, '--tool', 'refund', '--decision', 'deny']);
    expect(r.code).toBe(0);
    const got = r.stdout.trimEnd().split('\n');
    const want = expected.filter((e) => (e['call'] as { tool: string }).tool === 'refund' && e['decision'] === 'deny').map((e) => e.txn);
    expect(got.map((l) => (JSON.parse(l) as { txn: string }).txn)).toEqual(want);
    // The printed lines are the stored lines.
    expect(original.toString('utf8')).toContain(got[0]);
  });

  it('filters by flag, time window and limit', async () => {
    const r = await runCli([
      'audit',
      'query',
      file,
      '--flag',
      'judge-denied',
      '--since',
      new Date(Date.UTC(2026, 0, 1, 0, 1)).toISOString(),
      '--until',
      '2026-01-01T00:10:00Z',
      '--limit',
      '4',
    ]);
    expect(r.code).toBe(0);
    const seqs = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { seq: number }).seq);
    // Record i (0-based) is written i seconds after the start; every 7th is judge-denied.
    expect(seqs).toEqual([64, 71, 78, 85]);
  });

  it('prints a table', async () => {
    const r = await runCli(['audit', 'query', file, '--server', 'mail', '--limit', '2', '--format', 'table']);
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^seq\s+ts\s+type\s+decision\s+server\/tool\s+flags\s+txn$/);
    expect(rows).toHaveLength(3);
    expect(rows[1]).toMatch(/^4\s+2026-01-01T00:00:03.000Z\s+decision\s+allow\s+mail\/send_email\s+-\s+txn-3$/);
  });

  it.each([
    [['audit', 'query', 'FILE', '--limit', '0'], /--limit/],
    [['audit', 'query', 'FILE', '--limit', 'ten'], /--limit/],
    [['audit', 'query', 'FILE', '--since', 'last tuesday'], /--since/],
    [['audit', 'query', 'FILE', '--format', 'xml'], /--format/],
    [['audit', 'query'], /needs a FILE/],
  ])('exits 2 on bad usage: %j', async (args, message) => {
    const r = await runCli(args.map((a) => (a === 'FILE' ? file : a)));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
