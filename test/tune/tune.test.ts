import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/log.js';
import type { AuditEntry } from '../../src/audit/types.js';
import { isIntentguardError } from '../../src/errors.js';
import { runTune } from '../../src/tune/tune.js';
import { judged } from './fixtures.js';

let dir: string;
let audit: string;

/** Twelve reads under /data the judge allowed surely, in two sessions: a fast path and a `within` boundary. */
async function writeReads(): Promise<void> {
  const log = await AuditLog.open(audit, { durability: 'none' });
  for (let i = 1; i <= 12; i++) {
    const { seq: _seq, ...d } = judged(i, 'fs', 'read_file', { path: `/data/r/${i}.csv` }, { decision: 'allow', confidence: 0.95 }, { sessionId: `s-${i % 2}` });
    await log.append({ type: 'decision', ...d } as AuditEntry);
  }
  await log.close();
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ig-tune-'));
  audit = path.join(dir, 'audit.jsonl');
  await writeReads();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const code = (e: unknown): string | undefined => (isIntentguardError(e) ? e.code : undefined);

describe('runTune', () => {
  it('works without policies (the embedded default) and accepts what the traffic supports', async () => {
    const r = await runTune({ audit, policy: [], datasets: [] });
    expect(r.proposals.map((p) => [p.kind, p.status])).toEqual([
      ['allow', 'accepted'],
      ['boundary', 'accepted'],
    ]);
    expect(r.baseline).toMatchObject({ judgeCalls: 12, reproduced: 12, mismatchedCount: 0 });
    expect(r.combined.replay.judgeCalls).toEqual({ before: 12, after: 0, saved: 12 });
    expect(r.combined.check).toEqual({ passed: 2, failed: 0 });
    expect(r.written).toBeUndefined();
  });

  it('rejects a proposal that breaks an inline test of the given policies, naming the test', async () => {
    const policy = path.join(dir, 'p.yaml');
    await writeFile(
      policy,
      `version: 1
tests:
  - name: reads match no rule
    call: { server: fs, tool: read_file, args: { path: /data/r/1.csv } }
    expect: judge
    expect_matched: []
`,
    );
    const r = await runTune({ audit, policy: [policy], datasets: [] });
    expect(r.proposals.map((p) => p.status)).toEqual(['rejected', 'rejected']);
    expect(r.proposals[0]!.reasons[0]).toBe(
      `breaks inline test "reads match no rule" (${policy}:3): expected judge, got allow; expected matched rules [], got [${r.proposals[0]!.rule.id}]`,
    );
    expect(r.combined.accepted).toEqual([]);
  });

  it('refuses bad options and a --write directory that is not empty, writing nothing', async () => {
    for (const bad of [{ minSupport: 0 }, { minConfidence: 1.5 }, { minAgreement: 0 }, { denialBudget: -1 }]) {
      expect(code(await runTune({ audit, policy: [], datasets: [], ...bad }).catch((e: unknown) => e))).toBe('IG_USAGE');
    }
    const out = path.join(dir, 'out');
    await runTune({ audit, policy: [], datasets: [], write: out });
    expect((await readdir(out)).sort()).toEqual(['schema.json', 'tuned.yaml']);
    expect(code(await runTune({ audit, policy: [], datasets: [], write: out }).catch((e: unknown) => e))).toBe('IG_USAGE');
  });

  it('refuses an invalid policy with the policy error', async () => {
    const policy = path.join(dir, 'bad.yaml');
    await writeFile(policy, 'version: 1\nrules:\n  - id: x\n    effect: maybe\n');
    expect(code(await runTune({ audit, policy: [policy], datasets: [] }).catch((e: unknown) => e))).toBe('IG_POLICY_INVALID');
  });
});
