import { describe, expect, it } from 'vitest';
import { niceCeiling, propose, RuleIds } from '../../src/tune/propose.js';
import type { LoggedDecision } from '../../src/tune/types.js';
import { judged, trafficOf } from './fixtures.js';

const OPTS = { minSupport: 5, minConfidence: 0.9, minAgreement: 1 };

function reads(n: number, from: number, verdict: Parameters<typeof judged>[4] = { decision: 'allow', confidence: 0.95 }): Omit<LoggedDecision, 'index'>[] {
  return Array.from({ length: n }, (_, i) => judged(from + i, 'fs', 'read_file', { path: `/data/reports/${i}.csv` }, verdict));
}

describe('niceCeiling', () => {
  it('rounds up to the next 1-2-5 step', () => {
    expect([480, 500, 501, 120, 2, 7, 0.3, 10_001].map(niceCeiling)).toEqual([500, 500, 1000, 200, 2, 10, 0.5, 20_000]);
  });
});

describe('propose', () => {
  it('proposes a fast path only with enough support, full agreement and high confidence', () => {
    expect(propose(trafficOf(reads(4, 1)), [], OPTS).filter((p) => p.kind === 'allow')).toEqual([]);
    const five = propose(trafficOf(reads(5, 1)), [], OPTS).filter((p) => p.kind === 'allow');
    expect(five).toHaveLength(1);
    expect(five[0]!.target).toEqual({ server: 'fs', tool: 'read_file', shape: { path: 'dir:/data/reports' } });
    expect(five[0]!.evidence).toMatchObject({ calls: 5, verdicts: { allow: 5, deny: 0, narrow: 0, failed: 0 }, confidence: { min: 0.95, mean: 0.95 }, judgeLatencyMs: 50 });

    const unsure = [...reads(5, 1), ...reads(1, 10, { decision: 'allow', confidence: 0.7 })];
    expect(propose(trafficOf(unsure), [], OPTS).filter((p) => p.kind === 'allow')).toEqual([]);
    const split = [...reads(9, 1), ...reads(1, 20, { decision: 'deny' })];
    expect(propose(trafficOf(split), [], OPTS).filter((p) => p.kind === 'allow')).toEqual([]);
    expect(propose(trafficOf(split), [], { ...OPTS, minAgreement: 0.9 }).filter((p) => p.kind === 'allow')).toHaveLength(1);
  });

  it('counts only verdicts the judge gave on the decision path, not shadow-mode comparisons', () => {
    const compared = reads(6, 1).map((d) => ({ ...d, policyEffect: 'allow' as const }));
    expect(propose(trafficOf(compared), [], OPTS).filter((p) => p.kind === 'allow' || p.kind === 'deny')).toEqual([]);
  });

  it('a human label against the judge suppresses the rule and proposes the human decision as a fix', () => {
    const denied = Array.from({ length: 6 }, (_, i) => judged(i + 1, 'mail', 'send_email', { to: `p${i}@partner.example` }, { decision: 'deny' }));
    const plain = propose(trafficOf(denied), [], OPTS);
    expect(plain.map((p) => p.kind)).toEqual(['deny']);
    const labeled = propose(trafficOf(denied, [{ txn: 'x-2', label: 'allow' }]), [], OPTS);
    expect(labeled.map((p) => [p.kind, p.rule.effect])).toEqual([['fix', 'allow']]);
    expect(labeled[0]!.evidence.overrides).toEqual(['x-2']);
    // Humans who disagree among themselves propose nothing.
    const torn = propose(trafficOf(denied, [{ txn: 'x-2', label: 'allow' }, { txn: 'x-3', label: 'deny' }]), [], OPTS);
    expect(torn).toEqual([]);
    // A human agreeing with the judge is evidence, not a fix.
    const agreeing = propose(trafficOf(denied, [{ txn: 'x-2', label: 'deny' }]), [], OPTS);
    expect(agreeing.map((p) => p.kind)).toEqual(['deny']);
    expect(agreeing[0]!.evidence.humanLabels).toEqual({ allow: 0, deny: 1, narrow: 0 });
  });

  it('tightens a boundary only when every call let through stays inside and the policy is wider', () => {
    const pay = (n: number, amount: number, decision: 'allow' | 'deny', max?: number) =>
      judged(n, 'pay', 'create_payment', { amount }, { decision }, max === undefined ? {} : { boundary: { scopes: [], args: { amount: [{ kind: 'range', max }] } } });
    const calls = [pay(1, 120, 'allow', 10_000), pay(2, 480, 'allow', 10_000), pay(3, 300, 'allow', 10_000), pay(4, 9000, 'deny', 10_000), pay(5, 250, 'allow', 10_000), pay(6, 410, 'allow', 10_000)];
    const b = propose(trafficOf(calls), [], OPTS).filter((p) => p.kind === 'boundary');
    expect(b.map((p) => p.target.constraint)).toEqual([{ max: 500 }]);
    expect(b[0]!.target.current).toEqual([{ kind: 'range', max: 10_000 }]);
    expect(b[0]!.rule).toMatchObject({ effect: 'judge', match: { server: 'pay', tool: 'create_payment' }, args: { amount: { max: 500 } } });
    // Already as tight: nothing to propose.
    const tight = calls.map((c) => ({ ...c, boundary: { scopes: [], args: { amount: [{ kind: 'range' as const, max: 500 }] } } }));
    expect(propose(trafficOf(tight), [], OPTS).filter((p) => p.kind === 'boundary')).toEqual([]);
  });

  it('finds the common directory and the domains of allowed calls', () => {
    const files = ['/srv/app/logs/a.log', '/srv/app/logs/2026/b.log', '/srv/app/logs/c.log', '/srv/app/logs/d', '/srv/app/logs/e'];
    const within = propose(trafficOf(files.map((p, i) => judged(i + 1, 'fs', 'read_file', { path: p }, { decision: 'allow' }))), [], OPTS).filter((p) => p.kind === 'boundary');
    expect(within.map((p) => p.target.constraint)).toEqual([{ within: ['/srv/app/logs'] }]);
    const to = ['a@corp.example', 'b@eu.corp.example', 'c@corp.example', 'd@corp.example', 'e@partner.example'];
    const domains = propose(trafficOf(to.map((t, i) => judged(i + 1, 'mail', 'send', { to: t }, { decision: 'allow' }))), [], OPTS).filter((p) => p.kind === 'boundary');
    expect(domains.map((p) => p.target.constraint)).toEqual([{ domain: ['corp.example', 'partner.example'] }]);
  });

  it('skips a boundary when the tool gets different effects (a new rule would change some)', () => {
    const mixed = reads(6, 1).map((d, i) => (i === 0 ? { ...d, policyEffect: 'allow' as const, judge: undefined } : d));
    expect(propose(trafficOf(mixed), [], OPTS).filter((p) => p.kind === 'boundary')).toEqual([]);
  });

  it('gives the same ids for the same traffic, and rule ids unique against the loaded set', () => {
    const a = propose(trafficOf(reads(6, 1)), [], OPTS);
    const b = propose(trafficOf(reads(6, 1)), [], OPTS);
    expect(a.map((p) => p.id)).toEqual(b.map((p) => p.id));
    expect(a.map((p) => p.id).every((id) => /^p-[0-9a-f]{10}$/.test(id))).toBe(true);
    const taken = a.map((p) => p.rule.id);
    const c = propose(trafficOf(reads(6, 1)), taken, OPTS);
    expect(c.map((p) => p.rule.id)).toEqual(taken.map((id) => `${id}-2`));
    const ids = new RuleIds([]);
    expect(ids.next('deny', 'my server*', 'a/b', 'abcdef0123')).toBe('tune.deny.my-server.a-b.abcdef01');
  });

  it('matches names that are not plain globs exactly, in the condition', () => {
    const odd = Array.from({ length: 5 }, (_, i) => judged(i + 1, 'srv*', 'do it', { path: `/x/y/${i}` }, { decision: 'deny' }));
    const [p] = propose(trafficOf(odd), [], OPTS).filter((x) => x.kind === 'deny');
    expect(p!.rule.match).toEqual({ server: '*', tool: '*' });
    expect(p!.rule.when).toContain('server == "srv*" && tool == "do it"');
  });
});
