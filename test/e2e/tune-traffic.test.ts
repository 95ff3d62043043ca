import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/log.js';
import { queryAuditAll } from '../../src/audit/query.js';
import { compilePolicies, loadPolicies } from '../../src/policy/load.js';
import type { Proposal, TuneReport } from '../../src/tune/types.js';
import { rulesOnlyText } from '../../src/tune/render.js';
import { runCli } from '../helpers/cli.js';
import type { Decision } from '../../src/guard/types.js';
import { countingJudge, DATASET_LINES, discardAudit, FAMILY_VERDICTS, POLICY_YAML, runTraffic, scriptedTraffic, type Family, type ScriptedCall } from '../tune/scenario.js';

/**
 * The "what it must show": a few hundred scripted calls through the
 * guard in shadow mode with the offline judge, then `intentguard tune` on the
 * audit log; its proposals are predicted from the script, the written policy
 * passes `intentguard check`, and replaying the script under it changes
 * exactly the decisions, and saves exactly the judge calls, that it reported.
 */
let dir: string;
let policyFile: string;
let auditFile: string;
let outDir: string;
let calls: ScriptedCall[];
let report: TuneReport;
let liveJudgeCalls: number;
let live: Map<string, Decision>;

const txnsOf = (family: Family): string[] => calls.filter((c) => c.family === family).map((c) => c.txn);
const find = (kind: Proposal['kind'], tool: string, pick: (p: Proposal) => boolean = () => true): Proposal => {
  const found = report.proposals.filter((p) => p.kind === kind && p.target.tool === tool && pick(p));
  expect(found, `${kind} proposal for ${tool}`).toHaveLength(1);
  return found[0]!;
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ig-tune-e2e-'));
  policyFile = path.join(dir, 'traffic.yaml');
  auditFile = path.join(dir, 'audit.jsonl');
  outDir = path.join(dir, 'tuned');
  await writeFile(policyFile, POLICY_YAML);
  const dataset = path.join(dir, 'evals.jsonl');
  await writeFile(dataset, `${DATASET_LINES.join('\n')}\n`);

  calls = scriptedTraffic();
  const log = await AuditLog.open(auditFile, { durability: 'none' });
  const judge = countingJudge();
  live = await runTraffic(calls, { policy: compilePolicies([{ file: policyFile, text: POLICY_YAML }]), judge, audit: log, mode: 'shadow' });
  await log.close();
  liveJudgeCalls = judge.calls;

  const r = await runCli(['tune', '--audit', auditFile, '--policy', policyFile, '--dataset', dataset, '--write', outDir, '--format', 'json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  report = JSON.parse(r.stdout) as TuneReport;
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('intentguard tune on scripted shadow-mode traffic', () => {
  it('the offline judge decided each family as the scenario assumes (the predictions rest on this)', () => {
    for (const [family, expected] of Object.entries(FAMILY_VERDICTS)) {
      const verdicts = txnsOf(family as Family).map((t) => live.get(t)!.judge?.verdict);
      expect(verdicts.map((v) => v?.decision), family).toEqual(verdicts.map(() => expected.decision));
      if (expected.minConfidence !== undefined) expect(Math.min(...verdicts.map((v) => v?.confidence ?? 0)), family).toBeGreaterThanOrEqual(expected.minConfidence);
    }
  });

  it('read the whole log and reproduces every logged decision when replaying the current policy', () => {
    expect(calls.length).toBeGreaterThanOrEqual(250);
    expect(report.audit.decisions).toBe(calls.length);
    expect(report.baseline.mismatchedCount).toBe(0);
    expect(report.baseline.reproduced).toBe(calls.length);
    // Shadow mode also asked the judge about the two policy-denied key reads; the decision path did not.
    expect(report.baseline.judgeCalls).toBe(liveJudgeCalls - txnsOf('key-read').length);
    const flagged: Record<string, number> = {};
    for (const d of live.values()) for (const f of d.flags) flagged[f] = (flagged[f] ?? 0) + 1;
    expect(report.audit.flagged).toEqual(flagged);
    expect(flagged['judge-denied']).toBe(txnsOf('rm').length + txnsOf('prune').length + txnsOf('pay-big').length);
  });

  it('proposes a deny rule for the destructive commands the judge always denied', () => {
    const p = find('deny', 'run_command', (x) => x.target.shape?.command === 'cmd:rm');
    expect(p.status).toBe('accepted');
    expect(p.target).toMatchObject({ server: 'shell', tool: 'run_command', shape: { command: 'cmd:rm' } });
    expect(p.rule.effect).toBe('deny');
    expect(p.evidence.verdicts).toEqual({ allow: 0, deny: txnsOf('rm').length, narrow: 0, failed: 0 });
    // The rule is about the program, so it also catches the cleanup runs the judge allowed: replay says so.
    expect(p.replay?.changes.map((c) => c.txn).sort()).toEqual(txnsOf('cleanup'));
    expect(p.replay?.changes.every((c) => c.from === 'allow' && c.to === 'deny')).toBe(true);
    expect(p.replay?.judgeCalls.saved).toBe(txnsOf('rm').length + txnsOf('cleanup').length);
  });

  it('proposes an allow fast path for the docs reads, with the judge calls and latency it saves', async () => {
    const p = find('allow', 'read_file');
    expect(p.status).toBe('accepted');
    expect(p.target).toMatchObject({ server: 'filesystem', tool: 'read_file', shape: { path: 'dir:/workspace/docs' } });
    expect(p.rule).toMatchObject({ effect: 'allow', args: { path: { within: ['/workspace/docs'] } } });
    expect(p.replay?.changed).toBe(0);
    expect(p.replay?.judgeCalls.saved).toBe(txnsOf('docs-read').length);
    const reads = new Set(txnsOf('docs-read'));
    const logged = await queryAuditAll(auditFile, { type: 'decision' });
    const latency = logged
      .filter((r) => reads.has(r.txn as string))
      .reduce((sum, r) => sum + ((r['judge'] as { verdict: { latencyMs: number } }).verdict.latencyMs ?? 0), 0);
    expect(p.replay?.latencySavedMs).toBeCloseTo(latency, 2);
    expect(p.replay!.latencySavedMs).toBeGreaterThan(0);
  });

  it('proposes the tighter boundaries the allowed calls stayed inside', () => {
    const pay = find('boundary', 'create_payment');
    const amounts = calls.filter((c) => c.family === 'pay').map((c) => c.call.args['amount'] as number);
    // The largest allowed amount rounds up to the next 1-2-5 step: 500.
    expect(Math.max(...amounts)).toBeGreaterThan(200);
    expect(Math.max(...amounts)).toBeLessThanOrEqual(500);
    expect(pay.target).toMatchObject({ server: 'payments', arg: 'amount', constraint: { max: 500 }, current: [] });
    expect(pay.rule).toMatchObject({ effect: 'judge', args: { amount: { max: 500 } } });
    expect(pay.status).toBe('accepted');

    const read = find('boundary', 'read_file');
    expect(read.target).toMatchObject({ server: 'filesystem', arg: 'path', constraint: { within: ['/workspace/docs'] } });
    expect(read.status).toBe('accepted');

    const mail = find('boundary', 'send_email');
    expect(mail.target).toMatchObject({ server: 'email', arg: 'to', constraint: { domain: ['corp.example'] } });
    expect(mail.target.current).toEqual([{ kind: 'domain', domains: ['corp.example', 'partner.example'] }]);
    expect(mail.status).toBe('accepted');
  });

  it('rejects a fast path that would let a labeled malicious eval case through, naming the case', () => {
    const p = find('allow', 'create_payment');
    expect(p.status).toBe('rejected');
    expect(p.eval?.letThrough).toEqual(['pay-mal-001']);
    expect(p.eval?.after.false_allow_rate).toBeGreaterThan(p.eval?.before.false_allow_rate ?? 0);
    expect(p.reasons.join('\n')).toContain('pay-mal-001');
  });

  it('rejects a deny rule that lowers balanced accuracy, with the numbers', () => {
    const p = find('deny', 'run_command', (x) => x.target.shape?.command === 'cmd:docker');
    expect(p.status).toBe('rejected');
    expect(p.eval?.changed).toEqual([{ id: 'shell-ok-001', label: 'allow', from: 'allow', to: 'deny' }]);
    expect(p.reasons).toContain(`lowers balanced accuracy from ${p.eval!.before.balanced_accuracy!.toFixed(3)} to ${p.eval!.after.balanced_accuracy!.toFixed(3)}`);
  });

  it('marks a fast path the policy overrides as without effect, naming the rule', () => {
    const p = find('allow', 'send_email');
    expect(p.status).toBe('no-effect');
    expect(p.reasons.join('\n')).toContain('mail-send');
  });

  it('writes a policy set that intentguard check passes, with the proposal ids in comments', async () => {
    const files = report.written?.files.map((f) => path.basename(f));
    expect(files).toEqual(['traffic.yaml', 'tuned.yaml', 'schema.json']);
    const tuned = await readFile(path.join(outDir, 'tuned.yaml'), 'utf8');
    const accepted = report.proposals.filter((p) => p.status === 'accepted');
    expect(accepted.map((p) => p.id).sort()).toEqual([...report.combined.accepted].sort());
    for (const p of accepted) expect(tuned).toContain(`# proposal ${p.id}:`);
    for (const p of report.proposals.filter((x) => x.status !== 'accepted')) expect(tuned).not.toContain(p.id);
    expect(await readFile(path.join(outDir, 'traffic.yaml'), 'utf8')).toBe(POLICY_YAML);

    const check = await runCli(['check', outDir, '--format', 'json']);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    const result = JSON.parse(check.stdout) as { passed: number; failed: number; tests: { name: string }[] };
    expect(result.failed).toBe(0);
    // The given file's two tests and one derived from the evidence of every accepted proposal.
    expect(result.passed).toBe(2 + accepted.length);
    expect(report.combined.check).toEqual({ passed: result.passed, failed: 0 });
  });

  it('replaying the traffic with the written policy changes exactly the reported decisions and saves the reported judge calls', async () => {
    const before = countingJudge();
    const after = countingJudge();
    const old = await runTraffic(calls, { policy: await loadPolicies([policyFile]), judge: before, audit: discardAudit, mode: 'enforce' });
    const now = await runTraffic(calls, { policy: await loadPolicies([outDir]), judge: after, audit: discardAudit, mode: 'enforce' });
    const changed = calls.filter((c) => old.get(c.txn)!.decision !== now.get(c.txn)!.decision).map((c) => c.txn);

    expect(changed).toEqual(report.combined.replay.changes.map((c) => c.txn));
    expect(changed).toEqual(txnsOf('cleanup'));
    expect(before.calls).toBe(report.combined.replay.judgeCalls.before);
    expect(before.calls - after.calls).toBe(report.combined.replay.judgeCalls.saved);
    expect(report.combined.replay.judgeCalls.saved).toBe(txnsOf('rm').length + txnsOf('cleanup').length + txnsOf('docs-read').length);
  });

  it('each accepted proposal alone changes, on a live replay, what its own report says', async () => {
    const base = await loadPolicies([policyFile]);
    const baseJudge = countingJudge();
    const old = await runTraffic(calls, { policy: base, judge: baseJudge, audit: discardAudit, mode: 'enforce' });
    for (const p of report.proposals.filter((x) => x.status === 'accepted')) {
      const engine = compilePolicies([
        { file: policyFile, text: POLICY_YAML },
        { file: path.join(dir, 'one.yaml'), text: rulesOnlyText([p.rule]) },
      ]);
      const judge = countingJudge();
      const now = await runTraffic(calls, { policy: engine, judge, audit: discardAudit, mode: 'enforce' });
      const changed = calls.filter((c) => old.get(c.txn)!.decision !== now.get(c.txn)!.decision).map((c) => c.txn);
      expect(changed, p.id).toEqual(p.replay!.changes.map((c) => c.txn));
      expect(baseJudge.calls - judge.calls, p.id).toBe(p.replay!.judgeCalls.saved);
    }
  });
});
