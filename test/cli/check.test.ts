import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

/** Each broken policy exits 2 and names file:line and the rule on stderr. */
const BROKEN: Record<string, { text: string; line: number; rule?: string; code: string }> = {
  'bad-yaml.yaml': { text: 'version: 1\nrules:\n  - id: a\n    effect: deny\n  x: [\n', line: 5, code: 'IG_POLICY_INVALID' },
  'unknown-field.yaml': { text: 'version: 1\nrules:\n  - id: r-unknown\n    effect: allow\n    scope: [a]\n', line: 5, rule: 'r-unknown', code: 'IG_POLICY_INVALID' },
  'cel-parse.yaml': { text: 'version: 1\nrules:\n  - id: r-parse\n    effect: deny\n    when: "args.x &&"\n', line: 5, rule: 'r-parse', code: 'IG_CEL_INVALID' },
  'cel-type.yaml': { text: 'version: 1\nrules:\n  - id: r-type\n    effect: deny\n    when: "session.calls == \\"many\\""\n', line: 5, rule: 'r-type', code: 'IG_CEL_INVALID' },
  'regex.yaml': { text: 'version: 1\nrules:\n  - id: r-regex\n    effect: allow\n    args:\n      name: { pattern: "(a+)+$" }\n', line: 6, rule: 'r-regex', code: 'IG_REGEX_UNSAFE' },
};

describe('intentguard check', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ig-check-'));
    for (const [name, b] of Object.entries(BROKEN)) await writeFile(path.join(dir, name), b.text);
    await writeFile(path.join(dir, 'dup-a.yml'), 'version: 1\nrules:\n  - id: twice\n    effect: deny\n');
    await writeFile(path.join(dir, 'dup-b.yml'), 'version: 1\nrules:\n  - id: other\n    effect: deny\n  - id: twice\n    effect: allow\n');
    await writeFile(
      path.join(dir, 'failing.yaml'),
      'version: 1\nrules:\n  - id: r\n    match: { tool: t }\n    effect: allow\ntests:\n  - name: good\n    call: { server: s, tool: t }\n    expect: allow\n  - name: bad\n    call: { server: s, tool: t }\n    expect: deny\n',
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes on the example policies (default path policies/)', async () => {
    const r = await runCli(['check']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/policies\/filesystem\.yaml: \d+ rules, \d+ tests/);
    expect(r.stdout).toMatch(/ok {4}reading an SSH private key is denied/);
    expect(r.stdout).toMatch(/5 files, \d+ rules, \d+ tests: \d+ passed, 0 failed/);
  });

  it('prints JSON with --format json', async () => {
    const r = await runCli(['check', 'policies/payments.yaml', '--format', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { files: { file: string; rules: number }[]; tests: { ok: boolean }[]; failed: number };
    expect(report.files).toEqual([{ file: 'policies/payments.yaml', rules: 8, tests: 11 }]);
    expect(report.failed).toBe(0);
    expect(report.tests.every((t) => t.ok)).toBe(true);
  });

  it('exits 1 when an inline test fails, naming it', async () => {
    const r = await runCli(['check', path.join(dir, 'failing.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ok {4}good/);
    expect(r.stdout).toContain(`FAIL  bad (${path.join(dir, 'failing.yaml')}:10): expected deny, got allow`);
    expect(r.stdout).toMatch(/1 passed, 1 failed/);
  });

  it.each(Object.entries(BROKEN))('exits 2 on %s with file:line and rule', async (name, b) => {
    const file = path.join(dir, name);
    const r = await runCli(['check', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${file}:${b.line}: ${b.rule ? `rule ${b.rule}: ` : ''}`);
    expect(r.stderr).toContain(`[${b.code}]`);
  });

  it('exits 2 on a rule id used in two files, naming both', async () => {
    const r = await runCli(['check', path.join(dir, 'dup-a.yml'), path.join(dir, 'dup-b.yml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${path.join(dir, 'dup-b.yml')}:5: rule twice: duplicate rule id twice (first defined at ${path.join(dir, 'dup-a.yml')}:3)`);
  });

  it('exits 2 on a missing path and on a bad flag', async () => {
    expect((await runCli(['check', path.join(dir, 'nope')])).code).toBe(2);
    const bad = await runCli(['check', '--format', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format must be text or json/);
    expect((await runCli(['check', '--bogus'])).code).toBe(2);
  });

  it('prints help', async () => {
    const r = await runCli(['check', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/usage: intentguard check \[PATH\.\.\.\]/);
  });
});
