import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_TABLE, IntentguardError } from '../src/errors.js';
import { ROOT } from './helpers/cli.js';

describe('the error table', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const rows = new Map(
    [...readme.matchAll(/^\| `(IG_[A-Z_]+)` \| (\d) \| (\d{3}) \| (.+) \|$/gm)].map((m) => [m[1], { exit: Number(m[2]), http: Number(m[3]), docs: m[4] }]),
  );

  it('the README documents every code with its exit status, HTTP status and meaning, and no other', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(ERROR_TABLE).sort());
    for (const [code, entry] of Object.entries(ERROR_TABLE)) expect(rows.get(code), code).toEqual({ exit: entry.exit, http: entry.http, docs: entry.docs });
  });

  it('exit codes follow the contract: 2 for bad usage or input, 1 for failed checks', () => {
    expect(ERROR_TABLE.IG_USAGE.exit).toBe(2);
    expect(ERROR_TABLE.IG_POLICY_INVALID.exit).toBe(2);
    expect(ERROR_TABLE.IG_INPUT_INVALID.exit).toBe(2);
    expect(ERROR_TABLE.IG_EVAL_GATE.exit).toBe(1);
    expect(ERROR_TABLE.IG_AUDIT_BROKEN.exit).toBe(1);
  });

  it('describe() names file, line and rule', () => {
    const e = new IntentguardError('IG_POLICY_INVALID', 'duplicate rule id', { location: { file: 'p.yaml', line: 7, rule: 'r1' } });
    expect(e.describe()).toBe('p.yaml:7: rule r1: duplicate rule id [IG_POLICY_INVALID]');
    expect(e.exitCode).toBe(2);
    expect(e.httpStatus).toBe(500);
  });
});
