import { describe, expect, it } from 'vitest';
import { compilePolicySet } from '../../src/policy/compile.js';
import type { RuleSpec } from '../../src/policy/schema.js';
import { composeRules, copyNames, inlineTests, tunedPolicyText } from '../../src/tune/render.js';
import type { Proposal } from '../../src/tune/types.js';

function proposal(id: string, kind: Proposal['kind'], rule: RuleSpec, extra: Partial<Proposal> = {}): Proposal {
  return {
    id,
    kind,
    status: 'accepted',
    reasons: [],
    summary: `${kind} summary`,
    target: { server: 'fs', tool: 'read_file' },
    rule,
    evidence: { calls: 1, verdicts: { allow: 1, deny: 0, narrow: 0, failed: 0 }, confidence: null, humanLabels: { allow: 0, deny: 0, narrow: 0 }, overrides: [], examples: ['t'], judgeLatencyMs: 0 },
    ...extra,
  };
}

const FAST = proposal(
  'p-fast',
  'allow',
  { id: 'fast', match: { server: 'fs', tool: 'read_file' }, when: 'args.all(k, k in ["path"]) && "path" in args && type(args["path"]) == string && args["path"].startsWith("/d/")', effect: 'allow', args: { path: { within: ['/d'] } } },
  { example: { txn: 't-1', call: { server: 'fs', tool: 'read_file', args: { path: '/d/a' } }, principal: { agent: 'a' } } },
);
const BOUND = proposal(
  'p-bound',
  'boundary',
  { id: 'bound', match: { server: 'fs', tool: 'read_file' }, effect: 'judge', args: { path: { within: ['/d'] } } },
  {
    target: { server: 'fs', tool: 'read_file', arg: 'path', constraint: { within: ['/d'] } },
    example: { txn: 't-1', call: { server: 'fs', tool: 'read_file', args: { path: '/d/a' } }, principal: { agent: 'a' } },
  },
);

describe('composition and tuned.yaml', () => {
  it('a boundary rule steps aside for an accepted fast path on its tool, so judge does not override it', () => {
    const rules = composeRules([FAST, BOUND]);
    expect(rules.get('p-fast')).toBe(FAST.rule);
    expect(rules.get('p-bound')?.when).toBe(`!(${FAST.rule.when})`);
    expect(Object.keys(rules.get('p-bound')!)).toEqual(['id', 'match', 'when', 'effect', 'args']);
    const alone = composeRules([BOUND]);
    expect(alone.get('p-bound')?.when).toBeUndefined();
  });

  it('writes a file the policy loader accepts, with a comment per proposal and tests that pass', () => {
    const rules = composeRules([FAST, BOUND]);
    const set = compilePolicySet([{ file: 'tuned.yaml', text: tunedPolicyText([FAST, BOUND], rules, [], 'audit.jsonl') }]);
    const { tests, misses } = inlineTests([FAST, BOUND], rules, set.engine);
    expect(misses.size).toBe(0);
    // The boundary's own example takes the fast path; its test uses the root itself, which only the boundary rule sees.
    expect(tests.map((t) => [t.expect, t.call.args])).toEqual([
      ['allow', { path: '/d/a' }],
      ['judge', { path: '/d' }],
    ]);
    const text = tunedPolicyText([FAST, BOUND], rules, tests, 'audit.jsonl');
    expect(text.startsWith('# yaml-language-server: $schema=./schema.json\n')).toBe(true);
    expect(text).toContain('# proposal p-fast: allow summary');
    expect(text).toContain('# proposal p-bound: boundary summary');
    expect(text).toContain('audit.jsonl');
    const final = compilePolicySet([{ file: 'tuned.yaml', text }]);
    expect(final.engine.size).toBe(2);
    expect(final.files[0]!.spec.tests).toHaveLength(2);
  });

  it('keeps the copies\' names when the load order survives, numbers them otherwise', () => {
    expect(copyNames([{ file: 'p/a.yaml', text: '' }, { file: 'q/b.yml', text: '' }])).toEqual(['a.yaml', 'b.yml']);
    expect(copyNames([{ file: 'p/b.yaml', text: '' }, { file: 'q/a.yaml', text: '' }])).toEqual(['01-b.yaml', '02-a.yaml']);
    expect(copyNames([{ file: 'p/a.yaml', text: '' }, { file: 'q/a.yaml', text: '' }])).toEqual(['01-a.yaml', '02-a.yaml']);
    // `zz.yaml` would load after tuned.yaml.
    expect(copyNames([{ file: 'p/zz.yaml', text: '' }])).toEqual(['01-zz.yaml']);
  });
});
