import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/log.js';
import { Guard } from '../../src/guard/guard.js';
import type { Judge, JudgeResult } from '../../src/judge/types.js';
import { compilePolicies, defaultPolicyEngine } from '../../src/policy/load.js';
import { Session } from '../../src/session/session.js';
import { compareReplays, fidelity, replayTraffic } from '../../src/tune/replay.js';
import { readTraffic } from '../../src/tune/traffic.js';
import { judged, trafficOf } from './fixtures.js';

const ALLOW_READS = `version: 1
rules:
  - id: reads
    match: { server: fs, tool: read_file }
    effect: allow
`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ig-tune-replay-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('replayTraffic', () => {
  it('reuses the logged verdict instead of judging again, and counts the judge calls a rule removes', async () => {
    // A verdict the offline judge would never give (it allows plain reads): the replay must still reproduce it.
    const traffic = trafficOf([
      judged(1, 'fs', 'read_file', { path: '/data/a.csv' }, { decision: 'deny', latencyMs: 40 }),
      judged(2, 'fs', 'read_file', { path: '/data/b.csv' }, { decision: 'allow', latencyMs: 2 }),
      judged(3, 'mail', 'send', { to: 'a@b.example' }, { decision: 'allow', latencyMs: 7 }),
    ]);
    const base = await replayTraffic(traffic, defaultPolicyEngine());
    expect(base.decisions).toEqual(['deny', 'allow', 'allow']);
    expect(base.judgeCalls).toBe(3);
    expect(base.standIn).toEqual([false, false, false]);
    expect(fidelity(traffic, base)).toEqual({ reproduced: 3, mismatched: [] });

    const after = await replayTraffic(traffic, compilePolicies([{ file: 'p.yaml', text: ALLOW_READS }]));
    const effect = compareReplays(traffic, base, after);
    expect(effect.changes).toEqual([{ txn: 'x-1', from: 'deny', to: 'allow' }]);
    expect(effect.judgeCalls).toEqual({ before: 3, after: 1, saved: 2 });
    expect(effect.latencySavedMs).toBe(42);
    expect(effect.offlineStandIns).toBe(0);
  });

  it('replays a logged judge failure as a failure, so the failure decision applies again', async () => {
    const failed = {
      ...judged(1, 'fs', 'read_file', { path: '/data/a.csv' }, { decision: 'deny' }),
      judge: { spec: 'openai:x', failure: { code: 'IG_JUDGE_TIMEOUT', message: 'slow', latencyMs: 15_000 } },
      flags: ['judge-failed'],
    };
    const run = await replayTraffic(trafficOf([failed]), defaultPolicyEngine());
    expect(run.decisions).toEqual(['deny']);
    expect(run.judged).toEqual([true]);
  });

  it('lets the offline judge stand in for a call that newly reaches the judge without a logged verdict, and says so', async () => {
    const byPolicy = { ...judged(1, 'fs', 'read_file', { path: '/data/a.csv' }, { decision: 'allow' }), policyEffect: 'allow' as const, judge: undefined };
    const traffic = trafficOf([byPolicy]);
    const before = await replayTraffic(traffic, compilePolicies([{ file: 'p.yaml', text: ALLOW_READS }]));
    const after = await replayTraffic(traffic, defaultPolicyEngine());
    expect(before.judged).toEqual([false]);
    expect(after.standIn).toEqual([true]);
    expect(compareReplays(traffic, before, after)).toMatchObject({ offlineStandIns: 1, judgeCalls: { saved: -1 } });
  });

  it('rebuilds sessions from the log: an escalated session replays escalated', async () => {
    const file = path.join(dir, 'audit.jsonl');
    const log = await AuditLog.open(file, { durability: 'none' });
    const denyAll: Judge = {
      spec: 'deny-all',
      judge: async (): Promise<JudgeResult> => ({
        ok: true,
        verdict: { decision: 'deny', reason: 'no', confidence: 0.9, evidence: [], provider: 't', model: 't', latencyMs: 1, cached: false },
      }),
    };
    const guard = new Guard({ policy: defaultPolicyEngine(), judge: denyAll, audit: log, mode: 'shadow' });
    const session = new Session({ id: 's', task: 'a task', principal: { agent: 'a' } });
    for (let i = 1; i <= 7; i++) {
      await guard.decide({ txn: `t-${i}`, sessionId: 's', call: { server: 'fs', tool: 'write_file', args: { path: `/x/${i}` } }, principal: { agent: 'a' }, task: 'a task' }, session);
    }
    await log.close();
    const traffic = await readTraffic(file);
    expect(traffic.decisions.filter((d) => d.flags.includes('escalated')).map((d) => d.txn)).toEqual(['t-5', 't-6', 't-7']);
    const run = await replayTraffic(traffic, defaultPolicyEngine());
    expect(fidelity(traffic, run).mismatched).toEqual([]);
    // Five denials spend the budget; the last two never reach the judge.
    expect(run.judgeCalls).toBe(5);
    expect(run.judged).toEqual([true, true, true, true, true, false, false]);
    // The budget the sessions had matters, so it is an option: without one, the last two go to the judge (the offline judge stands in).
    const unbounded = await replayTraffic(traffic, defaultPolicyEngine(), { denialBudget: 0 });
    expect(unbounded.judgeCalls).toBe(7);
    expect(unbounded.standIn).toEqual([false, false, false, false, false, true, true]);
  });
});
