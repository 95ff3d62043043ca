import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../../src/clock.js';
import { AuditLog } from '../../src/audit/log.js';
import type { AuditEntry } from '../../src/audit/types.js';

/** A fresh private directory, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ig-audit-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const TOOLS = [
  ['filesystem', 'read_text_file'],
  ['filesystem', 'write_file'],
  ['github', 'create_issue'],
  ['mail', 'send_email'],
  ['payments', 'refund'],
] as const;

/** A decision entry shaped like the guard's, varied by `i`. */
export function decisionEntry(i: number): AuditEntry {
  const [server, tool] = TOOLS[i % TOOLS.length]!;
  const decision = i % 7 === 0 ? 'deny' : i % 5 === 0 ? 'narrow' : 'allow';
  return {
    type: 'decision',
    txn: `txn-${i}`,
    sessionId: `s-${i % 13}`,
    call: { server, tool, args: { path: `/workspace/docs/${i}.md`, limit: i % 200, note: `note "${i}" ünïcødé ✓` } },
    decision,
    mode: 'enforce',
    matchedRules: decision === 'deny' ? ['deny-rule'] : ['allow-rule'],
    reasons: [`reason ${i}`],
    judge: { spec: 'offline', verdict: { decision, confidence: 0.9, reason: 'ok' } },
    grant: decision === 'deny' ? null : { scopes: ['fs:read'], args: { limit: 10 } },
    flags: decision === 'deny' ? ['judge-denied'] : decision === 'narrow' ? ['judge-narrowed'] : [],
    timings: { policyUs: 3.5, judgeMs: 1, scopeUs: 2, auditMs: 0, totalMs: 2 },
  };
}

/** Writes `n` decision records (durability none) with a clock that advances one second per record. */
export async function writeLog(file: string, n: number, clock = new ManualClock()): Promise<void> {
  const log = await AuditLog.open(file, { durability: 'none', clock });
  const all: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    all.push(log.append(decisionEntry(i)));
    clock.advance(1000);
  }
  await Promise.all(all);
  await log.close();
}
