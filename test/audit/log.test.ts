import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { SecretValue } from '../../src/credentials/types.js';
import { IntentguardError } from '../../src/errors.js';
import { AuditLog } from '../../src/audit/log.js';
import { GENESIS, hashRecord } from '../../src/audit/record.js';
import { verifyAuditFile } from '../../src/audit/verify.js';
import { decisionEntry, tempDir, writeLog } from './helpers.js';

let dir: string;
let cleanup: () => void;
let file: string;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  file = path.join(dir, 'audit.jsonl');
});
afterEach(() => cleanup());

function lines(f = file): string[] {
  return readFileSync(f, 'utf8').split('\n').filter((l) => l !== '');
}

async function rejection(p: Promise<unknown>): Promise<IntentguardError> {
  try {
    await p;
  } catch (e) {
    return e as IntentguardError;
  }
  throw new Error('expected a rejection');
}

describe('AuditLog', () => {
  it('chains records: seq from 1, prev from 64 zeros, hash over the canonical record without hash', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 2, 3, 4, 5));
    const log = await AuditLog.open(file, { durability: 'fsync', clock });
    const r1 = await log.append({ type: 'decision', txn: 't1', decision: 'allow' });
    clock.advance(1500);
    const r2 = await log.append({ type: 'outcome', txn: 't1', ok: true });
    await log.close();
    expect(r1).toMatchObject({ seq: 1, prev: GENESIS, ts: '2026-01-02T03:04:05.000Z' });
    expect(r2).toMatchObject({ seq: 2, prev: r1.hash, ts: '2026-01-02T03:04:06.500Z' });
    expect(r1.hash).toBe(hashRecord(r1));
    const stored = lines();
    expect(stored).toHaveLength(2);
    // Canonical: sorted keys, no whitespace.
    expect(stored[0]).toBe(
      `{"decision":"allow","hash":"${r1.hash}","prev":"${GENESIS}","seq":1,"ts":"2026-01-02T03:04:05.000Z","txn":"t1","type":"decision"}`,
    );
    expect(JSON.parse(stored[1]!)).toEqual(r2);
  });

  it('creates the file with mode 0600', async () => {
    const log = await AuditLog.open(file, { durability: 'batch' });
    await log.append({ type: 'admin', action: 'start' });
    await log.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('continues the chain after reopening, reading only the tail', async () => {
    await writeLog(file, 50);
    const before = await verifyAuditFile(file);
    const log = await AuditLog.open(file, { durability: 'none' });
    expect(log.lastSeq).toBe(50);
    expect(log.lastHash).toBe(before.lastHash);
    const r = await log.append({ type: 'admin', action: 'reopened' });
    await log.close();
    expect(r.seq).toBe(51);
    expect(r.prev).toBe(before.lastHash);
    expect(await verifyAuditFile(file)).toMatchObject({ ok: true, records: 51 });
  });

  it('finds the tail of a file whose last line is longer than one read chunk', async () => {
    const log = await AuditLog.open(file, { durability: 'none' });
    await log.append({ type: 'admin', note: 'x' });
    await log.append({ type: 'admin', items: Array.from({ length: 900 }, (_, i) => `item ${i} ${'y'.repeat(100)}`) });
    await log.close();
    expect(readFileSync(file).length).toBeGreaterThan(64 * 1024);
    const again = await AuditLog.open(file, { durability: 'none' });
    expect(again.lastSeq).toBe(2);
    await again.close();
  });

  it('keeps order and chain integrity under 1,000 concurrent appends', async () => {
    const log = await AuditLog.open(file, { durability: 'batch' });
    const records = await Promise.all(Array.from({ length: 1000 }, (_, i) => log.append(decisionEntry(i))));
    await log.close();
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(records.map((r) => r.txn)).toEqual(Array.from({ length: 1000 }, (_, i) => `txn-${i}`));
    const stored = lines().map((l) => JSON.parse(l) as { seq: number; txn: string });
    expect(stored.map((r) => r.txn)).toEqual(records.map((r) => r.txn));
    expect(await verifyAuditFile(file)).toMatchObject({ ok: true, records: 1000 });
    // Group commit: far fewer fsyncs than records.
    expect(log.stats.syncs).toBeLessThan(50);
  });

  it('batch mode resolves an append once its record is in the file, and fsyncs it off the call path', async () => {
    const log = await AuditLog.open(file, { durability: 'batch', batchMs: 5 });
    const r = await log.append({ type: 'decision', txn: 'first' });
    expect(readFileSync(file, 'utf8')).toContain(`"hash":"${r.hash}"`);
    expect(log.stats.syncs).toBe(0);
    const burst = Array.from({ length: 20 }, (_, i) => log.append({ type: 'decision', txn: `b${i}` }));
    for (const p of burst) {
      const rec = await p;
      expect(readFileSync(file, 'utf8')).toContain(`"hash":"${rec.hash}"`);
    }
    // The background fsync comes within the window; flush forces it now.
    await log.flush();
    expect(log.stats.syncs).toBeGreaterThanOrEqual(1);
    expect(log.stats.syncs).toBeLessThan(21);
    await log.close();
  });

  it('fsync mode syncs before an append resolves, one fsync per group of concurrent appends', async () => {
    const log = await AuditLog.open(file, { durability: 'fsync' });
    const first = await log.append({ type: 'decision', txn: 'f-first' });
    expect(log.stats.syncs).toBe(1);
    expect(readFileSync(file, 'utf8')).toContain(first.hash);
    await Promise.all(Array.from({ length: 5 }, (_, i) => log.append({ type: 'decision', txn: `f${i}` })));
    expect(log.stats.syncs).toBeGreaterThanOrEqual(2);
    expect(log.stats.syncs).toBeLessThanOrEqual(6);
    await log.close();
  });

  it('redacts every entry before hashing it', async () => {
    const log = await AuditLog.open(file, { durability: 'none' });
    const r = await log.append({
      type: 'decision',
      call: { server: 's', tool: 't', args: { password: 'hunter2', note: 'use Bearer abcdefghijklmnop now' } },
      credential: { id: 'cred-1', secret: new SecretValue('s3cr3t-value') },
    });
    await log.close();
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('abcdefghijklmnop');
    expect(text).not.toContain('s3cr3t-value');
    expect(text).toContain('cred-1');
    expect(r.hash).toBe(hashRecord(JSON.parse(text) as Record<string, unknown>));
  });

  it('does not let an entry set seq, ts, prev or hash', async () => {
    const log = await AuditLog.open(file, { durability: 'none' });
    const r = await log.append({ type: 'decision', seq: 99, ts: 'then', prev: 'x', hash: 'y' });
    await log.close();
    expect(r).toMatchObject({ seq: 1, prev: GENESIS });
    expect(await verifyAuditFile(file)).toMatchObject({ ok: true });
  });

  it('rejects with IG_AUDIT_WRITE what it cannot record, without breaking the chain', async () => {
    const log = await AuditLog.open(file, { durability: 'none' });
    expect((await rejection(log.append({} as never))).code).toBe('IG_AUDIT_WRITE');
    expect((await rejection(log.append({ type: 'admin', blob: 'x'.repeat(4000), many: Array.from({ length: 1000 }, () => 'z'.repeat(4000)) }))).code).toBe(
      'IG_AUDIT_WRITE',
    );
    await log.append({ type: 'admin' });
    await log.close();
    expect((await rejection(log.append({ type: 'admin' }))).message).toMatch(/closed/);
    expect(await verifyAuditFile(file)).toMatchObject({ ok: true, records: 1 });
  });

  it('refuses a second writer for the same file in this process', async () => {
    const log = await AuditLog.open(file, { durability: 'none' });
    const e = await rejection(AuditLog.open(path.join(dir, '.', 'audit.jsonl'), { durability: 'none' }));
    expect(e.code).toBe('IG_AUDIT_WRITE');
    await log.close();
    const again = await AuditLog.open(file, { durability: 'none' });
    await again.close();
  });

  it('holds <file>.lock while open, and keeps out a writer in another live process', async () => {
    const log = await AuditLog.open(file, { durability: 'none' });
    const lock = JSON.parse(readFileSync(`${file}.lock`, 'utf8')) as { pid: number; host: string };
    expect(lock).toEqual({ pid: process.pid, host: os.hostname() });
    expect(statSync(`${file}.lock`).mode & 0o777).toBe(0o600);
    await log.close();
    expect(existsSync(`${file}.lock`)).toBe(false);

    // The parent process is alive and is not us: its lock is respected.
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.ppid, host: os.hostname() }));
    const e = await rejection(AuditLog.open(file, { durability: 'none', lockWaitMs: 0 }));
    expect(e.code).toBe('IG_AUDIT_WRITE');
    expect(e.message).toContain(`pid ${process.ppid}`);
    // So is a lock from another host, whose processes cannot be checked from here.
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: 1, host: 'elsewhere.invalid' }));
    expect((await rejection(AuditLog.open(file, { durability: 'none', lockWaitMs: 0 }))).message).toContain('elsewhere.invalid');
    expect(readdirSync(dir).filter((f) => f.includes('.lock.'))).toEqual([]);
  });

  it('waits for a live writer to finish instead of failing at once', async () => {
    const holderScript = [
      `const fs = require('node:fs');`,
      `fs.writeFileSync(${JSON.stringify(`${file}.lock`)}, JSON.stringify({ pid: process.pid, host: require('node:os').hostname() }));`,
      `process.stdout.write('locked');`,
      `process.stdin.on('data', () => { fs.unlinkSync(${JSON.stringify(`${file}.lock`)}); process.exit(0); });`,
    ].join('\n');
    const holder = spawn(process.execPath, ['-e', holderScript], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      holder.stdout.once('data', () => resolve());
      holder.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
    });
    const opening = AuditLog.open(file, { durability: 'none', lockWaitMs: 20_000 });
    let opened = false;
    void opening.then(() => (opened = true));
    // Still waiting while the other writer holds the lock.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(opened).toBe(false);
    holder.stdin.write('release\n');
    const log = await opening;
    expect(JSON.parse(readFileSync(`${file}.lock`, 'utf8'))).toMatchObject({ pid: process.pid });
    await log.close();
  });

  it('takes over a lock left by a process that died', async () => {
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(child.stdout);
    expect(deadPid).toBeGreaterThan(0);
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: deadPid, host: os.hostname() }));
    const log = await AuditLog.open(file, { durability: 'none' });
    expect(JSON.parse(readFileSync(`${file}.lock`, 'utf8'))).toMatchObject({ pid: process.pid });
    await log.close();
  });

  it.skipIf(!existsSync('/dev/full'))('rejects with IG_AUDIT_WRITE when the disk is full, and every later append too', async () => {
    const log = await AuditLog.open('/dev/full', { durability: 'fsync' });
    const e = await rejection(log.append({ type: 'decision' }));
    expect(e).toBeInstanceOf(IntentguardError);
    expect(e.code).toBe('IG_AUDIT_WRITE');
    expect((await rejection(log.append({ type: 'decision' }))).code).toBe('IG_AUDIT_WRITE');
    await expect(log.close()).rejects.toMatchObject({ code: 'IG_AUDIT_WRITE' });
  });

  it('fails to open a log in a missing directory with IG_AUDIT_WRITE', async () => {
    const e = await rejection(AuditLog.open(path.join(dir, 'missing', 'a.jsonl'), { durability: 'none' }));
    expect(e.code).toBe('IG_AUDIT_WRITE');
  });
});

describe('AuditLog torn last line', () => {
  it('refuses to open on a torn last line, naming file and line', async () => {
    await writeLog(file, 3);
    appendFileSync(file, '{"decision":"allow","hash":"ab');
    const e = await rejection(AuditLog.open(file, { durability: 'none' }));
    expect(e.code).toBe('IG_AUDIT_TORN');
    expect(e.location).toEqual({ file, line: 4 });
    expect(e.describe()).toContain(`${file}:4`);
  });

  it('refuses to open on an unparsable last line even with a newline', async () => {
    await writeLog(file, 2);
    appendFileSync(file, '\0\0\0\0\n');
    const e = await rejection(AuditLog.open(file, { durability: 'none' }));
    expect(e.code).toBe('IG_AUDIT_TORN');
    expect(e.location?.line).toBe(3);
  });

  it('refuses to open when the last record parses but does not verify (tampering is not a tear)', async () => {
    await writeLog(file, 2);
    const text = readFileSync(file, 'utf8').replace('"decision":"allow"', '"decision":"deny"');
    const last = text.trimEnd().split('\n');
    writeFileSync(file, `${last[0]}\n${last[1]!.replace('"mode":"enforce"', '"mode":"shadow"')}\n`);
    const e = await rejection(AuditLog.open(file, { durability: 'none' }));
    expect(e.code).toBe('IG_AUDIT_BROKEN');
    expect(e.location?.line).toBe(2);
  });

  it('with repairTorn moves the torn bytes aside and records that in the chain', async () => {
    await writeLog(file, 3);
    const torn = '{"decision":"allow","hash":"ab';
    appendFileSync(file, torn);
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const log = await AuditLog.open(file, { durability: 'fsync', repairTorn: true, clock });
    expect(log.lastSeq).toBe(4);
    await log.append({ type: 'decision', txn: 'after' });
    await log.close();
    const aside = readdirSync(dir).filter((f) => f.startsWith('audit.jsonl.torn-'));
    expect(aside).toEqual(['audit.jsonl.torn-2026-06-01T00-00-00-000Z']);
    expect(readFileSync(path.join(dir, aside[0]!), 'utf8')).toBe(torn);
    expect(statSync(path.join(dir, aside[0]!)).mode & 0o777).toBe(0o600);
    const recs = lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(recs[3]).toMatchObject({ type: 'admin', action: 'repair-torn', line: 4, tornFile: aside[0], tornBytes: torn.length, seq: 4 });
    expect(await verifyAuditFile(file)).toMatchObject({ ok: true, records: 5 });
  });
});
