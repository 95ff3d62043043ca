import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicySet } from '../../src/policy/compile.js';
import { compilePolicies } from '../../src/policy/load.js';
import type { PolicyInput } from '../../src/policy/types.js';

const session = { id: 's', calls: 0, denials: 0, untrustedSeen: false, tags: [] };

function call(over: Partial<PolicyInput> = {}): PolicyInput {
  return { server: 'srv', tool: 'tool', args: {}, principal: { agent: 'a', user: 'u', groups: ['dev'] }, session, ...over };
}

function engine(rules: string, defaults = '') {
  return compilePolicies([{ file: 'p.yaml', text: `version: 1\n${defaults}rules:\n${rules}` }]);
}

describe('combination: deny > ask > judge > allow', () => {
  const e = engine(`
  - id: allow-all
    effect: allow
    scopes: [read, write]
  - id: judge-x
    match: { tool: [x, y, z] }
    effect: judge
    scopes: [read]
  - id: ask-y
    match: { tool: [y, z] }
    effect: ask
  - id: deny-z
    match: { tool: z }
    effect: deny
`);

  it.each([
    ['w', 'allow', 'allow-all', ['allow-all']],
    ['x', 'judge', 'judge-x', ['allow-all', 'judge-x']],
    ['y', 'ask', 'ask-y', ['allow-all', 'judge-x', 'ask-y']],
    ['z', 'deny', 'deny-z', ['allow-all', 'judge-x', 'ask-y', 'deny-z']],
  ])('tool %s → %s by %s', (tool, effect, deciding, matched) => {
    const d = e.evaluate(call({ tool }));
    expect(d.effect).toBe(effect);
    expect(d.decidingRule).toBe(deciding);
    expect(d.matchedRules).toEqual(matched);
  });

  it('lists every matched rule in the reasons', () => {
    const d = e.evaluate(call({ tool: 'y' }));
    expect(d.reasons.filter((r) => /^(allow-all|judge-x|ask-y) /.test(r))).toHaveLength(3);
  });

  it('a deny has an empty boundary', () => {
    const d = e.evaluate(call({ tool: 'z' }));
    expect(d.boundary).toEqual({ scopes: [], args: {} });
  });

  it('the first rule of the winning effect decides', () => {
    const two = engine(`
  - id: d1
    match: { tool: t }
    when: args.a == 1
    effect: deny
  - id: d2
    match: { tool: t }
    effect: deny
`);
    expect(two.evaluate(call({ tool: 't', args: { a: 1 } })).decidingRule).toBe('d1');
    expect(two.evaluate(call({ tool: 't', args: { a: 2 } })).decidingRule).toBe('d2');
  });
});

describe('boundaries of non-deny decisions', () => {
  const e = engine(`
  - id: wide
    match: { tool: "*" }
    effect: allow
    scopes: [fs:read, fs:write, fs:admin]
    args:
      path: { within: [/workspace] }
  - id: narrow
    match: { tool: "read_*" }
    effect: allow
    scopes: [fs:read, other]
    args:
      path: { within: [/workspace/docs] }
      limit: { max: 100 }
  - id: no-scopes
    match: { tool: read_text_file }
    effect: judge
    args:
      path: { pattern: "[a-z/]+" }
`);

  it('intersects scopes over the rules that declare them and accumulates argument constraints', () => {
    const d = e.evaluate(call({ tool: 'read_text_file' }));
    expect(d.effect).toBe('judge');
    expect(d.boundary.scopes).toEqual(['fs:read']);
    expect(d.boundary.args).toEqual({
      path: [
        { kind: 'within', roots: ['/workspace'] },
        { kind: 'within', roots: ['/workspace/docs'] },
        { kind: 'pattern', pattern: '[a-z/]+' },
      ],
      limit: [{ kind: 'range', max: 100 }],
    });
  });

  it('a single rule gives its own boundary', () => {
    const d = e.evaluate(call({ tool: 'write_file' }));
    expect(d.boundary).toEqual({ scopes: ['fs:read', 'fs:write', 'fs:admin'], args: { path: [{ kind: 'within', roots: ['/workspace'] }] } });
  });

  it('maps every YAML constraint to its ArgConstraint', () => {
    const all = engine(`
  - id: all
    effect: allow
    args:
      path: { within: /w }
      url: { prefix: [https://a/, https://b/] }
      mode: { one_of: [a, 1, true, null] }
      name: { pattern: "[a-z0-9-]+", max_length: 64 }
      n: { min: 1, max: 9 }
      to: { domain: [Example.COM], from_task: true }
      force: { absent: true }
`);
    expect(all.evaluate(call()).boundary.args).toEqual({
      path: [{ kind: 'within', roots: ['/w'] }],
      url: [{ kind: 'prefix', prefixes: ['https://a/', 'https://b/'] }],
      mode: [{ kind: 'oneOf', values: ['a', 1, true, null] }],
      name: [
        { kind: 'pattern', pattern: '[a-z0-9-]+' },
        { kind: 'maxLength', max: 64 },
      ],
      n: [{ kind: 'range', min: 1, max: 9 }],
      to: [{ kind: 'domain', domains: ['example.com'] }, { kind: 'fromTask' }],
      force: [{ kind: 'absent' }],
    });
  });

  it('matched rules naming different audiences deny', () => {
    const a = engine(`
  - id: a1
    effect: allow
    audience: https://files.internal
  - id: a2
    match: { tool: t }
    effect: judge
    audience: https://other.internal
  - id: a3
    match: { tool: u }
    effect: judge
    audience: https://files.internal
`);
    expect(a.evaluate(call({ tool: 'x' })).audience).toBe('https://files.internal');
    expect(a.evaluate(call({ tool: 'u' })).audience).toBe('https://files.internal');
    const d = a.evaluate(call({ tool: 't' }));
    expect(d.effect).toBe('deny');
    expect(d.reasons.join('\n')).toMatch(/different audiences/);
  });
});

describe('no match', () => {
  it('applies defaults.decision with an empty boundary', () => {
    for (const decision of ['deny', 'judge', 'allow'] as const) {
      const e = engine(`  - id: other\n    match: { tool: other }\n    effect: allow\n    scopes: [x]\n`, `defaults: { decision: ${decision} }\n`);
      const d = e.evaluate(call());
      expect(d.effect).toBe(decision);
      expect(d.decidingRule).toBeUndefined();
      expect(d.matchedRules).toEqual([]);
      expect(d.boundary).toEqual({ scopes: [], args: {} });
      expect(d.reasons[0]).toMatch(new RegExp(`default decision ${decision}`));
    }
  });
});

describe('principal matching', () => {
  const e = engine(`
  - id: by-agent
    match: { principal: { agent: "ci-*" } }
    effect: allow
  - id: by-user
    match: { principal: { user: [alice, bob] } }
    effect: allow
  - id: by-group
    match: { principal: { groups: "admin*" } }
    effect: allow
  - id: all-three
    match: { principal: { agent: "ci-*", user: alice, groups: [ops] } }
    effect: allow
  - id: anyone-named
    match: { principal: { user: "*" } }
    effect: allow
`);
  const ids = (principal: PolicyInput['principal']) => e.evaluate(call({ principal })).matchedRules;

  it.each([
    [{ agent: 'ci-runner', user: 'carol' }, ['by-agent', 'anyone-named']],
    [{ user: 'bob' }, ['by-user', 'anyone-named']],
    [{ user: 'z', groups: ['dev', 'admins'] }, ['by-group', 'anyone-named']],
    [{ agent: 'ci-1', user: 'alice', groups: ['ops'] }, ['by-agent', 'by-user', 'all-three', 'anyone-named']],
    [{ agent: 'ci-1', user: 'alice', groups: [] }, ['by-agent', 'by-user', 'anyone-named']],
    [{}, ['anyone-named']],
  ])('%j → %j', (principal, expected) => {
    expect(ids(principal)).toEqual(expected);
  });
});

describe('conditions that fail at runtime', () => {
  const e = engine(`
  - id: deny-big
    match: { tool: pay }
    when: args.amount > 100
    effect: deny
  - id: allow-small
    match: { tool: pay }
    when: args.amount <= 100
    effect: allow
  - id: judge-any
    match: { tool: other }
    when: args.missing == "x"
    effect: judge
`);

  it('a deny rule counts as matched (fail closed), with a reason', () => {
    const d = e.evaluate(call({ tool: 'pay', args: { amount: 'lots' } }));
    expect(d.effect).toBe('deny');
    expect(d.matchedRules).toEqual(['deny-big']);
    expect(d.reasons.join('\n')).toMatch(/rule deny-big: condition failed at runtime .*counted as matched/);
    expect(d.reasons.join('\n')).toMatch(/rule allow-small: condition failed at runtime .*counted as not matched/);
  });

  it('ask and judge rules also count as matched (fail closed); only allow rules are skipped', () => {
    const d = e.evaluate(call({ tool: 'other', args: {} }));
    expect(d.matchedRules).toEqual(['judge-any']);
    expect(d.effect).toBe('judge');
    expect(d.reasons.join('\n')).toMatch(/rule judge-any: condition failed at runtime \(No such key: missing\); counted as matched \(a judge rule fails closed\)/);
  });

  it('an argument of another type cannot dodge a stricter rule (regression: a string amount skipped the ask rule)', () => {
    const pay = engine(`
  - id: pay-allow
    match: { tool: pay }
    effect: allow
  - id: pay-big-ask
    match: { tool: pay }
    when: args.amount > 1000
    effect: ask
`);
    expect(pay.evaluate(call({ tool: 'pay', args: { amount: 5000 } })).effect).toBe('ask');
    expect(pay.evaluate(call({ tool: 'pay', args: { amount: '5000' } })).effect).toBe('ask');
    expect(pay.evaluate(call({ tool: 'pay', args: { amount: 50 } })).effect).toBe('allow');
  });

  it('conditions hold or fail on well-formed input as written', () => {
    expect(e.evaluate(call({ tool: 'pay', args: { amount: 500 } })).effect).toBe('deny');
    expect(e.evaluate(call({ tool: 'pay', args: { amount: 5 } })).effect).toBe('allow');
  });

  it('never throws, even on input that breaks the declared types', () => {
    const bad = { ...call({ tool: 'pay', args: { amount: 5 } }), principal: { groups: [42] } } as unknown as PolicyInput;
    const g = engine(`  - id: g\n    match: { principal: { groups: "dev*" } }\n    effect: allow\n`);
    const d = g.evaluate(bad);
    expect(d.effect).toBe('deny');
    expect(d.reasons.join('\n')).toMatch(/policy evaluation failed/);
  });
});

describe('toolVisible', () => {
  it('hides what can never be allowed and keeps everything else', () => {
    const e = engine(
      `
  - id: deny-delete
    match: { server: gh, tool: delete_repository }
    effect: deny
  - id: deny-maybe
    match: { server: gh, tool: update_settings }
    when: args.private == false
    effect: deny
  - id: read
    match: { server: gh, tool: "get_*" }
    effect: allow
  - id: admins
    match: { server: gh, tool: add_collaborator, principal: { groups: admin } }
    effect: ask
`,
      'defaults: { decision: deny }\n',
    );
    const dev = { user: 'u', groups: ['dev'] };
    const admin = { user: 'v', groups: ['admin'] };
    expect(e.toolVisible('gh', 'delete_repository', admin)).toBe(false); // unconditional deny
    expect(e.toolVisible('gh', 'update_settings', dev)).toBe(false); // deny with a condition, but default deny and nothing grants it
    expect(e.toolVisible('gh', 'get_issue', dev)).toBe(true);
    expect(e.toolVisible('gh', 'add_collaborator', dev)).toBe(false); // no rule for this principal, default deny
    expect(e.toolVisible('gh', 'add_collaborator', admin)).toBe(true);
    expect(e.toolVisible('other', 'get_issue', dev)).toBe(false);
  });

  it('with a non-deny default only unconditional denies hide tools', () => {
    const e = engine(`
  - id: deny-cond
    match: { tool: t }
    when: args.x == 1
    effect: deny
  - id: deny-all
    match: { tool: u }
    effect: deny
`);
    expect(e.toolVisible('s', 't', {})).toBe(true);
    expect(e.toolVisible('s', 'u', {})).toBe(false);
    expect(e.toolVisible('s', 'v', {})).toBe(true);
  });
});

/* ------------------------------------------------------------------------------------------------
 * The index against a full scan: for random rule sets and calls, both give the same decision.
 * ---------------------------------------------------------------------------------------------- */

const NAMES = ['fs', 'gh', 'mail', 'pay'];
const TOOLS = ['read_file', 'read_text_file', 'write_file', 'list_issues', 'get_issue', 'send_email', 'send_money'];
const namePattern = (names: string[]) =>
  fc.oneof(
    fc.constantFrom(...names),
    fc.constantFrom('*', 'read_*', '*_file', 'get_?ssue', 'send_*', 'f?', '*i*', 'g*'),
  );
const patterns = (names: string[]) => fc.oneof(namePattern(names), fc.array(namePattern(names), { minLength: 1, maxLength: 3 }));

const ruleArb = fc.record({
  effect: fc.constantFrom('deny', 'ask', 'judge', 'allow'),
  server: fc.option(patterns(NAMES), { nil: undefined }),
  tool: fc.option(patterns(TOOLS), { nil: undefined }),
  group: fc.option(fc.constantFrom('dev', 'ops', 'admin*'), { nil: undefined }),
  when: fc.option(fc.constantFrom('args.n > 5', 'has(args.path) && args.path.startsWith("/w")', 'session.untrustedSeen', 'args.flag == true'), { nil: undefined }),
  scopes: fc.option(fc.subarray(['a', 'b', 'c', 'd']), { nil: undefined }),
  max: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
});

type RuleCase = typeof ruleArb extends fc.Arbitrary<infer T> ? T : never;

function toYaml(rules: RuleCase[]): string {
  const lines = ['version: 1', rules.length === 0 ? 'rules: []' : 'rules:'];
  rules.forEach((r, i) => {
    lines.push(`  - id: r${i}`, `    effect: ${r.effect}`);
    const match: string[] = [];
    if (r.server !== undefined) match.push(`server: ${JSON.stringify(r.server)}`);
    if (r.tool !== undefined) match.push(`tool: ${JSON.stringify(r.tool)}`);
    if (r.group !== undefined) match.push(`principal: { groups: ${JSON.stringify(r.group)} }`);
    if (match.length) lines.push(`    match: { ${match.join(', ')} }`);
    if (r.when !== undefined) lines.push(`    when: ${JSON.stringify(r.when)}`);
    if (r.effect !== 'deny') {
      if (r.scopes !== undefined) lines.push(`    scopes: ${JSON.stringify(r.scopes)}`);
      if (r.max !== undefined) lines.push(`    args: { n: { max: ${r.max} } }`);
    }
  });
  return `${lines.join('\n')}\n`;
}

const callArb = fc.record({
  server: fc.constantFrom(...NAMES, 'f1', 'other'),
  tool: fc.constantFrom(...TOOLS, 'gx', 'delete_repository'),
  args: fc.record({ n: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.constant('x')), path: fc.constantFrom('/w/a', '/etc/x'), flag: fc.boolean() }, { requiredKeys: [] }),
  groups: fc.subarray(['dev', 'ops', 'admins']),
  untrustedSeen: fc.boolean(),
});

describe('index correctness', () => {
  it('the indexed engine decides exactly like a scan of every rule', () => {
    fc.assert(
      fc.property(fc.array(ruleArb, { minLength: 0, maxLength: 40 }), fc.array(callArb, { minLength: 1, maxLength: 20 }), (rules, calls) => {
        const docs = [{ file: 'p.yaml', text: toYaml(rules) }];
        const indexed = compilePolicySet(docs).engine;
        const scan = compilePolicySet(docs, { indexed: false }).engine;
        for (const c of calls) {
          const input: PolicyInput = {
            server: c.server,
            tool: c.tool,
            args: c.args,
            principal: { user: 'u', groups: c.groups },
            session: { ...session, untrustedSeen: c.untrustedSeen },
          };
          // Twice, so the candidate cache is exercised on the second call.
          expect(indexed.evaluate(input)).toEqual(scan.evaluate(input));
          expect(indexed.evaluate(input)).toEqual(scan.evaluate(input));
          expect(indexed.toolVisible(c.server, c.tool, input.principal)).toBe(scan.toolVisible(c.server, c.tool, input.principal));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('decides names too long for the candidate cache the same way', () => {
    const e = engine(`
  - id: any-read
    match: { tool: "read_*" }
    effect: allow
  - id: deny-long
    match: { tool: "*x" }
    effect: deny
`);
    const long = `read_${'a'.repeat(5000)}`;
    expect(e.evaluate(call({ tool: long })).matchedRules).toEqual(['any-read']);
    expect(e.evaluate(call({ tool: `${long}x` })).matchedRules).toEqual(['any-read', 'deny-long']);
    expect(e.evaluate(call({ tool: long })).matchedRules).toEqual(['any-read']);
  });

  it('the scan engine itself follows the rules literally (spot check)', () => {
    const docs = [{ file: 'p.yaml', text: toYaml([{ effect: 'allow', server: 'f?', tool: '*_file', group: undefined, when: undefined, scopes: ['a'], max: 3 }]) }];
    const scan = compilePolicySet(docs, { indexed: false }).engine;
    expect(scan.evaluate(call({ server: 'fs', tool: 'read_file' })).matchedRules).toEqual(['r0']);
    expect(scan.evaluate(call({ server: 'fsx', tool: 'read_file' })).matchedRules).toEqual([]);
  });
});
