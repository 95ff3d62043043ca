import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditFile } from '../../src/audit/verify.js';
import { defaultConfig, parseConfig } from '../../src/config/load.js';
import { createRuntime, type Runtime } from '../../src/runtime/runtime.js';

let dir: string;
let runtime: Runtime | undefined;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ig-runtime-'));
});
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const POLICY = `version: 1
defaults: { decision: judge }
rules:
  - id: fs-deny-keys
    match: { server: fs, tool: read_file }
    when: 'args.path.endsWith(".pem")'
    effect: deny
`;

describe('createRuntime', () => {
  it('the embedded default: every call goes to the offline judge, and the decision is audited', async () => {
    runtime = await createRuntime(defaultConfig(), { auditFile: path.join(dir, 'audit.jsonl'), judgeSpec: 'offline' });
    expect(runtime.judge.spec).toBe('offline');
    expect(runtime.policyPaths).toEqual([]);
    const session = runtime.sessions.getOrCreate('s1', { task: 'Read /srv/notes/today.md', principal: { agent: 'a' } });
    const d = await runtime.guard.decide(
      { sessionId: 's1', call: { server: 'fs', tool: 'read_file', args: { path: '/srv/notes/today.md' } }, principal: { agent: 'a' }, task: session.task },
      session,
    );
    expect(d.policyEffect).toBe('judge');
    expect(d.judge?.spec).toBe('offline');
    await runtime.audit.flush();
    expect(await verifyAuditFile(path.join(dir, 'audit.jsonl'))).toMatchObject({ ok: true, records: 1 });
  });

  it('a policy reload that fails keeps the last good set in force, and both reloads are audited', async () => {
    const policy = path.join(dir, 'p.yaml');
    writeFileSync(policy, POLICY);
    const loaded = parseConfig(path.join(dir, 'c.yaml'), `policies: [p.yaml]\naudit: { file: audit.jsonl, durability: none }\n`);
    runtime = await createRuntime(loaded);
    const before = runtime.policy();
    expect(before.size).toBe(1);

    writeFileSync(policy, POLICY.replace('effect: deny', 'effect: explode'));
    const bad = await runtime.reloadPolicies();
    expect(bad.ok).toBe(false);
    expect(bad.error?.code).toBe('IG_POLICY_INVALID');
    expect(runtime.policy()).toBe(before);

    writeFileSync(policy, `${POLICY}  - id: fs-list\n    match: { server: fs, tool: list }\n    effect: allow\n`);
    expect((await runtime.reloadPolicies()).ok).toBe(true);
    expect(runtime.policy().size).toBe(2);
    await runtime.audit.flush();
    const v = await verifyAuditFile(path.join(dir, 'audit.jsonl'));
    expect(v).toMatchObject({ ok: true, records: 2 });
  });

  it('a judge cache of size 0 is no cache, and an unknown judge spec stops the start (exit 2)', async () => {
    const noCache = parseConfig(path.join(dir, 'c.yaml'), 'judge: { spec: offline, cache: { size: 0, ttl_seconds: 60 } }\naudit: { file: a.jsonl }\n');
    runtime = await createRuntime(noCache);
    expect(runtime.judge.spec).toBe('offline');
    await expect(createRuntime(defaultConfig(), { auditFile: path.join(dir, 'b.jsonl'), judgeSpec: 'gpt5' })).rejects.toMatchObject({ code: 'IG_JUDGE_UNKNOWN' });
  });
});
