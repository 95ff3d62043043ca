import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkPolicies, checkPolicySources } from '../../src/policy/check.js';

const POLICIES = fileURLToPath(new URL('../../policies/', import.meta.url));

describe('checkPolicies', () => {
  it('runs every inline test of the example policies, at least 6 per file, all passing', async () => {
    const report = await checkPolicies([POLICIES]);
    expect(report.files.map((f) => f.file.split('/').pop())).toEqual(['cloud-ops.yaml', 'code-hosting.yaml', 'email-calendar.yaml', 'filesystem.yaml', 'payments.yaml']);
    for (const f of report.files) expect(f.tests, f.file).toBeGreaterThanOrEqual(6);
    expect(report.failed).toBe(0);
    expect(report.passed).toBe(report.tests.length);
    expect(report.rules).toBe(report.files.reduce((n, f) => n + f.rules, 0));
  });

  it('reports a failing test with its file, line, expectation and what happened', () => {
    const report = checkPolicySources([
      {
        file: 'p.yaml',
        text: [
          'version: 1',
          'rules:',
          '  - id: r',
          '    match: { tool: t }',
          '    effect: allow',
          '    scopes: [a]',
          'tests:',
          '  - name: passes',
          '    call: { server: s, tool: t }',
          '    expect: allow',
          '    expect_rule: r',
          '  - name: wrong effect',
          '    call: { server: s, tool: t }',
          '    expect: deny',
          '  - name: wrong details',
          '    call: { server: s, tool: t }',
          '    expect: allow',
          '    expect_matched: []',
          '    expect_scopes: [b]',
          '    expect_args: [x]',
          '    expect_rule: other',
          '',
        ].join('\n'),
      },
    ]);
    expect(report.passed).toBe(1);
    expect(report.failed).toBe(2);
    const [ok, effect, details] = report.tests;
    expect(ok).toMatchObject({ ok: true, line: 8, name: 'passes', expected: 'allow', actual: 'allow', rule: 'r' });
    expect(effect).toMatchObject({ ok: false, line: 12, expected: 'deny', actual: 'allow', problems: ['expected deny, got allow'] });
    expect(details?.problems).toEqual([
      'expected rule other to decide, got r',
      'expected matched rules [], got [r]',
      'expected scopes [b], got [a]',
      'expected constrained args [x], got []',
    ]);
  });

  it('runs tests against the whole set: a deny in another file wins', () => {
    const report = checkPolicySources([
      { file: 'a.yaml', text: 'version: 1\nrules:\n  - id: a\n    effect: allow\ntests:\n  - name: t\n    call: { server: s, tool: x }\n    expect: allow\n' },
      { file: 'b.yaml', text: 'version: 1\nrules:\n  - id: b\n    match: { tool: x }\n    effect: deny\n' },
    ]);
    expect(report.tests[0]).toMatchObject({ ok: false, actual: 'deny', rule: 'b' });
  });

  it('passes session facts to conditions', () => {
    const report = checkPolicySources([
      {
        file: 'a.yaml',
        text: [
          'version: 1',
          'rules:',
          '  - id: tired',
          '    when: session.denials >= 3 || session.calls > 100 || "flagged" in session.tags || session.untrustedSeen',
          '    effect: deny',
          'tests:',
          '  - { name: fresh, call: { server: s, tool: t }, expect: judge }',
          '  - { name: denials, call: { server: s, tool: t }, session: { denials: 3 }, expect: deny }',
          '  - { name: calls, call: { server: s, tool: t }, session: { calls: 101 }, expect: deny }',
          '  - { name: tags, call: { server: s, tool: t }, session: { tags: [flagged] }, expect: deny }',
          '  - { name: untrusted, call: { server: s, tool: t }, session: { untrusted_seen: true }, expect: deny }',
          '',
        ].join('\n'),
      },
    ]);
    expect(report.tests.map((t) => [t.name, t.ok])).toEqual([
      ['fresh', true],
      ['denials', true],
      ['calls', true],
      ['tags', true],
      ['untrusted', true],
    ]);
  });
});
