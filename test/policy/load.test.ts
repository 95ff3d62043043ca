import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntentguardError } from '../../src/errors.js';
import { compilePolicies, defaultPolicyEngine, loadPolicies } from '../../src/policy/load.js';
import type { PolicyInput } from '../../src/policy/types.js';

function refused(docs: { file: string; text: string }[]): IntentguardError {
  try {
    compilePolicies(docs);
  } catch (e) {
    expect(e).toBeInstanceOf(IntentguardError);
    return e as IntentguardError;
  }
  throw new IntentguardError('IG_INTERNAL', 'expected the policy to be refused');
}

const call = (over: Partial<PolicyInput> = {}): PolicyInput => ({
  server: 'filesystem',
  tool: 'read_text_file',
  args: {},
  principal: {},
  session: { id: 's', calls: 0, denials: 0, untrustedSeen: false, tags: [] },
  ...over,
});

/** Each broken policy: the error code (its exit code is 2) and file, line and rule in the message. */
const BROKEN: { name: string; text: string; code: string; line: number; rule?: string; message: RegExp }[] = [
  {
    name: 'bad YAML',
    text: 'version: 1\nrules:\n  - id: a\n    effect: deny\n  bad: [\n',
    code: 'IG_POLICY_INVALID',
    line: 5,
    message: /invalid YAML/,
  },
  {
    name: 'unknown field in a rule',
    text: 'version: 1\nrules:\n  - id: r1\n    effect: allow\n    scopez: [fs:read]\n',
    code: 'IG_POLICY_INVALID',
    line: 5,
    rule: 'r1',
    message: /unknown field `scopez`/,
  },
  {
    name: 'unknown field at the top',
    text: 'version: 1\nrulez: []\n',
    code: 'IG_POLICY_INVALID',
    line: 2,
    message: /unknown field `rulez`/,
  },
  {
    name: 'unknown field in an argument constraint',
    text: 'version: 1\nrules:\n  - id: r2\n    effect: judge\n    args:\n      path: { inside: [/w] }\n',
    code: 'IG_POLICY_INVALID',
    line: 6,
    rule: 'r2',
    message: /unknown field `inside`/,
  },
  {
    name: 'scopes on a deny rule',
    text: 'version: 1\nrules:\n  - id: r3\n    effect: deny\n    scopes: [a]\n',
    code: 'IG_POLICY_INVALID',
    line: 5,
    rule: 'r3',
    message: /unknown field `scopes`/,
  },
  {
    name: 'unknown effect',
    text: 'version: 1\nrules:\n  - id: ok\n    effect: deny\n  - id: r4\n    effect: maybe\n',
    code: 'IG_POLICY_INVALID',
    line: 6,
    rule: 'r4',
    message: /effect must be one of/,
  },
  {
    name: 'missing version',
    text: 'rules: []\n',
    code: 'IG_POLICY_INVALID',
    line: 1,
    message: /version: missing required field/,
  },
  {
    name: 'min above max',
    text: 'version: 1\nrules:\n  - id: r5\n    effect: allow\n    args:\n      n: { min: 5, max: 1 }\n',
    code: 'IG_POLICY_INVALID',
    line: 6,
    rule: 'r5',
    message: /min.*must not exceed/,
  },
  {
    name: 'relative within root',
    text: 'version: 1\nrules:\n  - id: r6\n    effect: allow\n    args:\n      path: { within: [workspace] }\n',
    code: 'IG_POLICY_INVALID',
    line: 6,
    rule: 'r6',
    message: /absolute path/,
  },
  {
    name: 'CEL that does not parse',
    text: 'version: 1\nrules:\n  - id: r7\n    effect: deny\n    when: "args.x +"\n',
    code: 'IG_CEL_INVALID',
    line: 5,
    rule: 'r7',
    message: /does not parse/,
  },
  {
    name: 'CEL that does not type-check',
    text: 'version: 1\nrules:\n  - id: r8\n    effect: deny\n    match: { tool: x }\n    when: tool + 1 == 2\n',
    code: 'IG_CEL_INVALID',
    line: 6,
    rule: 'r8',
    message: /does not type-check/,
  },
  {
    name: 'CEL in a block scalar points at the expression',
    text: 'version: 1\nrules:\n  - id: r9\n    effect: deny\n    when: |\n      nosuch == 1\n',
    code: 'IG_CEL_INVALID',
    line: 6,
    rule: 'r9',
    message: /does not type-check/,
  },
  {
    name: 'catastrophic regex in an argument pattern',
    text: 'version: 1\nrules:\n  - id: r10\n    effect: allow\n    args:\n      name:\n        pattern: "(a+)+$"\n',
    code: 'IG_REGEX_UNSAFE',
    line: 7,
    rule: 'r10',
    message: /repeats a group/,
  },
  {
    name: 'backreference in an argument pattern',
    text: 'version: 1\nrules:\n  - id: r11\n    effect: allow\n    args:\n      name: { pattern: "(a)\\\\1" }\n',
    code: 'IG_REGEX_UNSAFE',
    line: 6,
    rule: 'r11',
    message: /RE2/,
  },
  {
    name: 'catastrophic regex in a condition',
    text: 'version: 1\nrules:\n  - id: r12\n    effect: deny\n    when: args.s.re2Match("(x*)*y")\n',
    code: 'IG_REGEX_UNSAFE',
    line: 5,
    rule: 'r12',
    message: /repeats a group/,
  },
  {
    name: 'matches() in a condition',
    text: 'version: 1\nrules:\n  - id: r13\n    effect: deny\n    when: args.s.matches("^a")\n',
    code: 'IG_REGEX_UNSAFE',
    line: 5,
    rule: 'r13',
    message: /re2Match/,
  },
  {
    name: 'duplicate rule id in one file',
    text: 'version: 1\nrules:\n  - id: same\n    effect: deny\n  - id: same\n    effect: allow\n',
    code: 'IG_POLICY_INVALID',
    line: 5,
    rule: 'same',
    message: /duplicate rule id same \(first defined at broken\.yaml:3\)/,
  },
  {
    name: 'duplicate YAML key',
    text: 'version: 1\nrules:\n  - id: r14\n    effect: deny\n    effect: allow\n',
    code: 'IG_POLICY_INVALID',
    line: 5,
    message: /invalid YAML/,
  },
  {
    name: 'empty file',
    text: '# nothing\n',
    code: 'IG_POLICY_INVALID',
    line: 1,
    message: /empty/,
  },
];

describe('loader errors', () => {
  it.each(BROKEN)('$name', ({ text, code, line, rule, message }) => {
    const e = refused([{ file: 'broken.yaml', text }]);
    expect(e.code).toBe(code);
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(message);
    expect(e.location?.file).toBe('broken.yaml');
    expect(e.location?.line).toBe(line);
    expect(e.location?.rule).toBe(rule);
    expect(e.describe()).toContain(`broken.yaml:${line}: ${rule ? `rule ${rule}: ` : ''}`);
  });

  it('names both places of a rule id used in two files', () => {
    const e = refused([
      { file: 'a.yaml', text: 'version: 1\nrules:\n  - id: x\n    effect: deny\n' },
      { file: 'b.yaml', text: 'version: 1\nrules:\n  - id: y\n    effect: deny\n  - id: x\n    effect: judge\n' },
    ]);
    expect(e.code).toBe('IG_POLICY_INVALID');
    expect(e.describe()).toBe('b.yaml:5: rule x: duplicate rule id x (first defined at a.yaml:3) [IG_POLICY_INVALID]');
  });

  it('refuses an alias bomb instead of expanding it', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    const e = refused([{ file: 'bomb.yaml', text: `${lines.join('\n')}\nversion: 1\n` }]);
    expect(e.code).toBe('IG_POLICY_INVALID');
  });

  it('refuses an oversized file', () => {
    const e = refused([{ file: 'big.yaml', text: `version: 1\n#${'x'.repeat(3 * 1024 * 1024)}\n` }]);
    expect(e.message).toMatch(/larger than/);
  });

  it('never returns a partial set: one bad file refuses them all', () => {
    expect(() =>
      compilePolicies([
        { file: 'good.yaml', text: 'version: 1\nrules:\n  - id: g\n    effect: allow\n' },
        { file: 'bad.yaml', text: 'version: 1\nrules:\n  - id: b\n    effect: deny\n    when: nope(\n' },
      ]),
    ).toThrow(IntentguardError);
  });
});

describe('defaults', () => {
  it('embedded default: no rules, every call to the judge, judge failure denies, 60 s', () => {
    const e = defaultPolicyEngine();
    const d = e.evaluate(call());
    expect(e.size).toBe(0);
    expect(d.effect).toBe('judge');
    expect(d.onJudgeFailure).toBe('deny');
    expect(d.credentialTtlSeconds).toBe(60);
    expect(d.matchedRules).toEqual([]);
    expect(d.decidingRule).toBeUndefined();
  });

  it('merges across files: the strictest value wins, unset fields do not vote', () => {
    const e = compilePolicies([
      { file: 'a.yaml', text: 'version: 1\ndefaults: { decision: allow, on_judge_failure: allow, credential_ttl: 120 }\n' },
      { file: 'b.yaml', text: 'version: 1\ndefaults: { decision: judge, credential_ttl: 30 }\n' },
      { file: 'c.yaml', text: 'version: 1\n' },
    ]);
    const d = e.evaluate(call());
    expect(d.effect).toBe('judge');
    expect(d.onJudgeFailure).toBe('allow');
    expect(d.credentialTtlSeconds).toBe(30);
    const strict = compilePolicies([
      { file: 'a.yaml', text: 'version: 1\ndefaults: { decision: allow }\n' },
      { file: 'b.yaml', text: 'version: 1\ndefaults: { decision: deny, on_judge_failure: deny }\n' },
    ]);
    expect(strict.evaluate(call()).effect).toBe('deny');
    expect(strict.evaluate(call()).onJudgeFailure).toBe('deny');
  });

  it('refuses a TTL outside 5..300', () => {
    expect(() => compilePolicies([{ file: 'a.yaml', text: 'version: 1\ndefaults: { credential_ttl: 3600 }\n' }])).toThrow(/credential_ttl/);
  });
});

describe('the loaded set is frozen', () => {
  it('freezes decisions, boundaries and the engine', () => {
    const e = compilePolicies([
      { file: 'a.yaml', text: 'version: 1\nrules:\n  - id: r\n    effect: allow\n    scopes: [s]\n    args: { path: { within: [/w] } }\n' },
    ]);
    const d = e.evaluate(call());
    expect(Object.isFrozen(e)).toBe(true);
    expect(Object.isFrozen(e.sources)).toBe(true);
    expect(Object.isFrozen(d)).toBe(true);
    expect(Object.isFrozen(d.boundary)).toBe(true);
    expect(Object.isFrozen(d.boundary.scopes)).toBe(true);
    expect(Object.isFrozen(d.boundary.args.path)).toBe(true);
    expect(Object.isFrozen(d.boundary.args.path![0])).toBe(true);
    expect(Object.isFrozen(d.matchedRules)).toBe(true);
  });
});

describe('loadPolicies', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ig-policy-'));
    await mkdir(path.join(dir, 'set'));
    await writeFile(path.join(dir, 'set', 'b.yaml'), 'version: 1\nrules:\n  - id: b\n    match: { tool: t }\n    effect: judge\n');
    await writeFile(path.join(dir, 'set', 'a.yml'), 'version: 1\nrules:\n  - id: a\n    match: { tool: t }\n    effect: allow\n');
    await writeFile(path.join(dir, 'set', 'schema.json'), '{}');
    await writeFile(path.join(dir, 'set', 'notes.txt'), 'not a policy');
    await writeFile(path.join(dir, 'single.yaml'), 'version: 1\nrules:\n  - id: c\n    match: { tool: t }\n    effect: deny\n');
    await mkdir(path.join(dir, 'empty'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads directories (sorted, yaml only) and files', async () => {
    const e = await loadPolicies([path.join(dir, 'set'), path.join(dir, 'single.yaml')]);
    expect(e.sources).toEqual([path.join(dir, 'set', 'a.yml'), path.join(dir, 'set', 'b.yaml'), path.join(dir, 'single.yaml')]);
    expect(e.size).toBe(3);
    expect(e.evaluate(call({ tool: 't' })).matchedRules).toEqual(['a', 'b', 'c']);
  });

  it('refuses a missing path and a directory without policies', async () => {
    await expect(loadPolicies([path.join(dir, 'nope')])).rejects.toMatchObject({ code: 'IG_INPUT_INVALID' });
    await expect(loadPolicies([path.join(dir, 'empty')])).rejects.toMatchObject({ code: 'IG_INPUT_INVALID' });
  });
});
