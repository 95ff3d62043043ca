import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { parseConfig } from '../../src/config/load.js';
import { createRuntime } from '../../src/runtime/runtime.js';
import { buildApp } from '../../src/server/app.js';
import { runCli } from '../helpers/cli.js';

/** `intentguard keys list|rotate`, as an operator runs it next to a running service. */

const dir = mkdtempSync(path.join(tmpdir(), 'ig-keys-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG = `state_dir: state
audit: { file: audit.jsonl }
credentials: { algorithm: EdDSA }
upstreams:
  - name: files
    http: { url: "http://127.0.0.1:9/mcp" }
    credentials: { kind: jwt }
`;

describe('intentguard keys', () => {
  const configFile = path.join(dir, 'config.yaml');
  writeFileSync(configFile, CONFIG);

  it('lists nothing before the first start, then creates, lists and rotates', async () => {
    const empty = await runCli(['keys', 'list', '--config', configFile]);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toMatch(/no keys yet/);

    const first = await runCli(['keys', 'rotate', '--config', configFile]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/created the first key \S+ \(EdDSA\)/);
    if (process.platform !== 'win32') expect(statSync(path.join(dir, 'state', 'keys', 'keyring.json')).mode & 0o777).toBe(0o600);

    const second = await runCli(['keys', 'rotate', '--config', configFile, '--algorithm', 'ES256', '--json']);
    expect(second.code).toBe(0);
    const rotated = JSON.parse(second.stdout) as { rotated: boolean; key: { kid: string; alg: string; status: string } };
    expect(rotated).toMatchObject({ rotated: true, key: { alg: 'ES256', status: 'current' } });

    const listed = await runCli(['keys', 'list', '--config', configFile, '--json']);
    const keys = (JSON.parse(listed.stdout) as { keys: { kid: string; status: string; alg: string }[] }).keys;
    expect(keys.map((k) => [k.alg, k.status])).toEqual([
      ['ES256', 'current'],
      ['EdDSA', 'retired'],
    ]);
    expect(keys[0]!.kid).toBe(rotated.key.kid);
    const table = await runCli(['keys', 'list', '--config', configFile]);
    expect(table.stdout).toMatch(/KID\s+ALG\s+STATUS/);
    // Never key material.
    expect(listed.stdout + table.stdout).not.toMatch(/"d"\s*:/);
  });

  it('a running service publishes a key rotated from the command line', async () => {
    const clock = new ManualClock(Date.now());
    const runtime = await createRuntime(parseConfig(configFile, CONFIG), { clock });
    const app = await buildApp({ runtime, baseDir: dir, defaultMetrics: false, watchPolicies: false });
    try {
      const kids = async () => ((await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json() as { keys: { kid: string }[] }).keys.map((k) => k.kid);
      const before = await kids();
      const out = await runCli(['keys', 'rotate', '--config', configFile, '--json']);
      const fresh = (JSON.parse(out.stdout) as { key: { kid: string } }).key.kid;
      clock.advance(1000); // the service re-reads the key ring at most once a second
      const after = await kids();
      expect(after).toContain(fresh);
      for (const kid of before) expect(after).toContain(kid);
      // And signs with it.
      expect(runtime.credentials?.keys?.signer().kid).toBe(fresh);
    } finally {
      await app.close();
      await runtime.close();
    }
  });

  it('refuses bad usage with exit 2', async () => {
    expect((await runCli(['keys'])).code).toBe(2);
    expect((await runCli(['keys', 'shred'])).code).toBe(2);
    expect((await runCli(['keys', 'rotate', '--config', configFile, '--algorithm', 'HS256'])).code).toBe(2);
  });
});
