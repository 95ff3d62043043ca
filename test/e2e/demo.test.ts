import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ig-demo-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface DemoJson {
  auditFile: string;
  calls: { step: { tool: string; args: Record<string, unknown> }; decision: string; reasons: string[]; ranWith?: Record<string, unknown>; isError: boolean }[];
}

describe('intentguard demo', () => {
  it('shows allow, narrow and deny decisions with reasons, offline, and its audit log verifies', async () => {
    const run = await runCli(['demo', '--dir', dir, '--format', 'json'], { timeoutMs: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as DemoJson;
    const decisions = report.calls.map((c) => c.decision);
    expect(decisions).toContain('allow');
    expect(decisions).toContain('narrow');
    expect(decisions).toContain('deny');
    for (const c of report.calls) expect(c.reasons.length).toBeGreaterThan(0);

    // the narrowed listing ran on the folder the task names
    const narrowed = report.calls.find((c) => c.decision === 'narrow')!;
    expect(String(narrowed.ranWith?.path)).toMatch(/\/notes$/);
    // what the injected instruction asked for was refused, and the agent was told
    const denied = report.calls.filter((c) => c.decision === 'deny');
    expect(denied.map((c) => c.step.tool)).toEqual(expect.arrayContaining(['read_text_file', 'write_file']));
    for (const c of denied) expect(c.isError).toBe(true);

    const verify = await runCli(['audit', 'verify', report.auditFile]);
    expect(verify.code).toBe(0);
  });

  it('prints a readable report by default', async () => {
    const run = await runCli(['demo'], { timeoutMs: 60_000 });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/ALLOW/);
    expect(run.stdout).toMatch(/NARROW/);
    expect(run.stdout).toMatch(/DENY/);
    const auditFile = /audit log: (\S+)/.exec(run.stdout)?.[1];
    expect(auditFile).toBeDefined();
    rmSync(path.dirname(auditFile!), { recursive: true, force: true });
  });
});
