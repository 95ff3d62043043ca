import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/log.js';
import { queryAuditAll } from '../../src/audit/query.js';
import { verifyAuditFile } from '../../src/audit/verify.js';
import { compilePolicies } from '../../src/policy/load.js';
import type { Decision } from '../../src/guard/types.js';
import type { TuneReport } from '../../src/tune/types.js';
import { runCli } from '../helpers/cli.js';
import { countingJudge, POLICY_YAML, runTraffic, scriptedTraffic, type ScriptedCall } from '../tune/scenario.js';

/** `review --label` then `--export`: labels are new audit records, the chain verifies, the export is an eval dataset, and tune turns overrides into fixes. */
let dir: string;
let policyFile: string;
let auditFile: string;
let calls: ScriptedCall[];
let recordsBefore: number;
let live: Map<string, Decision>;

const first = (family: ScriptedCall['family']): ScriptedCall => calls.find((c) => c.family === family)!;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ig-review-e2e-'));
  policyFile = path.join(dir, 'traffic.yaml');
  auditFile = path.join(dir, 'audit.jsonl');
  await writeFile(policyFile, POLICY_YAML);
  calls = scriptedTraffic();
  const log = await AuditLog.open(auditFile, { durability: 'none' });
  live = await runTraffic(calls, { policy: compilePolicies([{ file: policyFile, text: POLICY_YAML }]), judge: countingJudge(), audit: log, mode: 'shadow' });
  await log.close();
  recordsBefore = (await verifyAuditFile(auditFile)).records;
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('intentguard review', () => {
  it('lists flagged decisions when it cannot ask (no terminal, no --label)', async () => {
    const r = await runCli(['review', '--audit', auditFile, '--flag', 'judge-denied', '--format', 'json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { txn: string; flags: string[]; label: string | null }[];
    expect(rows.map((x) => x.txn)).toEqual(calls.filter((c) => live.get(c.txn)!.flags.includes('judge-denied')).map((c) => c.txn));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((x) => x.flags.includes('judge-denied') && x.label === null)).toBe(true);
    const text = await runCli(['review', '--audit', auditFile, '--flag', 'judge-denied']);
    expect(text.stdout).toContain(`txn ${rows[0]!.txn}  shell.run_command  decision deny (policy judge, shadow)`);
  });

  it('refuses an unknown txn and a malformed label without writing anything', async () => {
    const unknown = await runCli(['review', '--audit', auditFile, '--label', 'no-such-txn=allow']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no-such-txn');
    expect(unknown.stderr).toContain('[IG_INPUT_INVALID]');
    const bad = await runCli(['review', '--audit', auditFile, '--label', `${first('prune').txn}=maybe`]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('[IG_USAGE]');
    expect((await verifyAuditFile(auditFile)).records).toBe(recordsBefore);
  });

  it('appends label records; the chain still verifies; the export is a dataset intentguard eval accepts', async () => {
    const df = first('prune');
    const rmCall = first('rm');
    const labeled = await runCli([
      'review',
      '--audit',
      auditFile,
      '--label',
      `${df.txn}=allow`,
      '--label',
      `${rmCall.txn}=deny`,
      '--reviewer',
      'alice',
      '--note',
      'pruning Docker data is fine; rm is not',
    ]);
    expect(labeled.stderr).toContain(`labeled ${df.txn} allow`);
    expect(labeled.code).toBe(0);

    const verify = await runCli(['audit', 'verify', auditFile]);
    expect(verify.code).toBe(0);
    const verified = await verifyAuditFile(auditFile);
    expect(verified).toMatchObject({ ok: true, records: recordsBefore + 2 });
    const labels = await queryAuditAll(auditFile, { type: 'label' });
    expect(labels.map((l) => [l.txn, l['label'], l['reviewer'], l.flags])).toEqual([
      [df.txn, 'allow', 'alice', ['human-label']],
      [rmCall.txn, 'deny', 'alice', ['human-label']],
    ]);

    const exported = path.join(dir, 'reviewed.jsonl');
    const ex = await runCli(['review', '--audit', auditFile, '--export', exported]);
    expect(ex.code).toBe(0);
    expect(ex.stderr).toContain('exported 2 labeled traces');
    const traces = (await readFile(exported, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; task: string; history?: { tool: string }[]; call: unknown; label: { decision: string; note?: string }; tags: string[] });
    const dfTrace = traces.find((t) => t.id === `review-${df.txn}`)!;
    expect(dfTrace.task).toBe(df.task);
    expect(dfTrace.call).toEqual(df.call);
    expect(dfTrace.label).toEqual({ decision: 'allow', note: 'pruning Docker data is fine; rm is not' });
    expect(dfTrace.tags).toEqual(expect.arrayContaining(['judge-denied', 'human-label', 'overridden']));
    // The prune call is the fourth of its session: the three calls before it are its history.
    const earlier = calls.filter((c) => c.sessionId === df.sessionId && c.txn < df.txn);
    expect(earlier).toHaveLength(3);
    expect(dfTrace.history?.map((h) => h.tool)).toEqual(earlier.map((c) => c.call.tool));

    const ev = await runCli(['eval', '--dataset', exported, '--format', 'json', '--no-cache']);
    expect(ev.code).toBe(0);
    const result = JSON.parse(ev.stdout) as { results: { judge: string; n: number }[] };
    expect(result.results[0]).toMatchObject({ judge: 'offline', n: 2 });
  });

  it('turns a human override into a fix proposal and drops the deny rule the human contradicted', async () => {
    const df = first('prune');
    const r = await runCli(['tune', '--audit', auditFile, '--policy', policyFile, '--format', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as TuneReport;
    expect(report.audit.labels).toBe(2);
    const dfProposals = report.proposals.filter((p) => p.target.shape?.command === 'cmd:docker');
    expect(dfProposals.map((p) => [p.kind, p.rule.effect])).toEqual([['fix', 'allow']]);
    const fix = dfProposals[0]!;
    expect(fix.evidence.overrides).toEqual([df.txn]);
    const dfTxns = calls.filter((c) => c.family === 'prune').map((c) => c.txn);
    // The fix allows every prune of the group: all of them were denied before.
    expect(fix.replay?.changes.map((c) => c.txn)).toEqual(dfTxns);
    expect(fix.replay?.changes.every((c) => c.from === 'deny' && c.to === 'allow')).toBe(true);
    // The human agreed with the judge on rm: the deny proposal stands.
    expect(report.proposals.some((p) => p.kind === 'deny' && p.target.shape?.command === 'cmd:rm' && p.evidence.humanLabels.deny === 1)).toBe(true);
  });

  it('refuses a log whose chain is broken, naming the line', async () => {
    const tampered = path.join(dir, 'tampered.jsonl');
    const text = await readFile(auditFile, 'utf8');
    await writeFile(tampered, text.replace('"decision":"deny"', '"decision":"allow"'));
    const r = await runCli(['tune', '--audit', tampered]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/tampered\.jsonl:\d+: the audit log does not verify/);
    expect(r.stderr).toContain('[IG_AUDIT_BROKEN]');
  });
});
