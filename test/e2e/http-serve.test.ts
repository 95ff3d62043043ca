import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyAuditFile } from '../../src/audit/verify.js';
import { BIN, runCli } from '../helpers/cli.js';
import { API_KEY, POLICY_LIST_CLOSED, POLICY_ONLY, sha256Hex } from '../server/fixtures.js';

/** `intentguard serve` as users run it: the built CLI, a real socket, signals. */

let dir: string;
let child: ChildProcessWithoutNullStreams;
let base: string;
let stderr = '';
let exited: Promise<number | null>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ig-serve-'));
  mkdirSync(path.join(dir, 'policies'));
  writeFileSync(path.join(dir, 'policies', 'p.yaml'), POLICY_ONLY);
  writeFileSync(
    path.join(dir, 'config.yaml'),
    `policies: [policies]
audit: { file: audit.jsonl }
state_dir: state
server:
  auth:
    api_keys:
      - { id: agent-1, sha256: ${sha256Hex(API_KEY)} }
`,
  );
  child = spawn(process.execPath, [BIN, 'serve', '--config', path.join(dir, 'config.yaml'), '--port', '0', '--log-level', 'info'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '' },
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  base = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`serve exited early (${code}): ${stderr}`)));
  });
}, 30_000);

afterAll(async () => {
  if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function decision(): Promise<string> {
  const res = await fetch(`${base}/v1/decide`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ call: { server: 'fs', tool: 'list', args: {} } }),
  });
  return ((await res.json()) as { decision: string }).decision;
}

describe('intentguard serve', () => {
  it('prints its address, serves, reloads a changed policy (file watch, SIGHUP) and shuts down cleanly on SIGTERM', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await decision()).toBe('allow');

    writeFileSync(path.join(dir, 'policies', 'p.yaml'), POLICY_LIST_CLOSED);
    child.kill('SIGHUP');
    await vi.waitFor(async () => expect(await decision()).toBe('deny'), { timeout: 10_000, interval: 50 });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The key never shows in the logs; the audit log is complete and verifies.
    expect(stderr).not.toContain(API_KEY);
    const verified = await verifyAuditFile(path.join(dir, 'audit.jsonl'));
    expect(verified.ok).toBe(true);
    expect(verified.records).toBeGreaterThanOrEqual(3);
  });

  it('refuses bad usage with exit code 2', async () => {
    const res = await runCli(['serve', '--port', 'eighty']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--port');
    const help = await runCli(['serve', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: intentguard serve');
  });
});
