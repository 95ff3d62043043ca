import { describe, expect, it } from 'vitest';
import { evaluateGates, parseDropGate, parseThresholdGate } from '../../src/evals/gates.js';
import type { CellResult, EvalReport, TagResult } from '../../src/evals/report.js';

function tag(extra: Partial<TagResult>): TagResult {
  return {
    n: 10,
    cases: 10,
    accuracy: 0.9,
    balanced_accuracy: 0.9,
    deny_precision: 0.9,
    deny_recall: 0.9,
    deny_f1: 0.9,
    false_deny_rate: 0.1,
    false_allow_rate: 0.1,
    ci: {} as TagResult['ci'],
    confusion: { labels: ['allow', 'deny', 'narrow'], matrix: [] },
    errors: 0,
    ...extra,
  };
}

function cell(id: string, extra: Partial<CellResult> = {}, byTag: Record<string, TagResult> = {}): CellResult {
  return {
    ...tag({}),
    id,
    judge: id,
    prompt: null,
    prompt_hash: null,
    latency_ms: { p50: 10, p95: 20, p99: 30, mean: 12, max: 40, histogram: { edges: [], counts: [] } },
    by_tag: byTag,
    repeats: 1,
    narrowing: { n: 0, exact: 0, over_narrowed: 0, under_narrowed: 0, not_narrowed: 0, denied: 0, mismatch: 0, exact_rate: null },
    error_summary: { count: 0, rate: 0, by_code: {}, fallback: {} },
    stages: {},
    tokens: { input: 0, output: 0 },
    cost_usd: 0.5,
    list_cost_usd: 0.5,
    unpriced_calls: 0,
    cached: 0,
    agreement: null,
    ...extra,
  };
}

function report(results: CellResult[]): EvalReport {
  return { results } as unknown as EvalReport;
}

describe('gate parsing', () => {
  it.each([
    ['min', 'accuracy=0.9', { metric: 'accuracy', op: '>=', value: 0.9, tag: null }],
    ['max', 'false_allow_rate=0.02', { metric: 'false_allow_rate', op: '<=', value: 0.02, tag: null }],
    ['min', 'false_allow_rate<=0.02', { metric: 'false_allow_rate', op: '<=', value: 0.02, tag: null }],
    ['max', 'deny_recall >= 0.95', { metric: 'deny_recall', op: '>=', value: 0.95, tag: null }],
    ['max', 'false_allow_rate[indirect-injection]<=0.05', { metric: 'false_allow_rate', op: '<=', value: 0.05, tag: 'indirect-injection' }],
    ['max', 'latency_ms.p95=250', { metric: 'latency_p95', op: '<=', value: 250, tag: null }],
    ['max', 'errors<1', { metric: 'errors', op: '<', value: 1, tag: null }],
  ] as const)('--%s %s', (flag, text, expected) => {
    expect(parseThresholdGate(text, flag)).toMatchObject({ ...expected, text: `--${flag} ${text}` });
  });

  it.each(['accuracy', 'accuracy=high', 'recall=0.9', '=0.5', 'accuracy=0.9=1'])('rejects %s as a usage error', (text) => {
    expect(() => parseThresholdGate(text, 'min')).toThrow(expect.objectContaining({ code: 'IG_USAGE' }));
  });

  it('parses --max-drop as a number for every quality metric, or metric=number', () => {
    expect(parseDropGate('0.01')).toEqual({ text: '--max-drop 0.01', metric: null, value: 0.01 });
    expect(parseDropGate('false_allow_rate=0.005')).toMatchObject({ metric: 'false_allow_rate', value: 0.005 });
    expect(() => parseDropGate('speed=1')).toThrow(expect.objectContaining({ code: 'IG_USAGE' }));
    expect(() => parseDropGate('-1')).toThrow(expect.objectContaining({ code: 'IG_USAGE' }));
  });
});

describe('gate evaluation', () => {
  it('checks every cell and names the cell, metric, value and gate on failure', () => {
    const r = report([cell('a', { false_allow_rate: 0.01 }), cell('b', { false_allow_rate: 0.04 })]);
    const gates = evaluateGates(r, [parseThresholdGate('false_allow_rate=0.02', 'max')], [], undefined);
    expect(gates.map((g) => g.ok)).toEqual([true, false]);
    expect(gates[1]?.message).toBe('b: false_allow_rate = 0.04, not <= 0.02 (gate --max false_allow_rate=0.02)');
  });

  it('fails closed when a metric is undefined or the tag is absent', () => {
    const r = report([cell('a', { false_allow_rate: null }, { exfiltration: tag({ false_allow_rate: 0 }) })]);
    const gates = evaluateGates(
      r,
      [parseThresholdGate('false_allow_rate<=0.1', 'max'), parseThresholdGate('false_allow_rate[exfiltration]<=0.05', 'max'), parseThresholdGate('accuracy[nope]>=0.5', 'min')],
      [],
      undefined,
    );
    expect(gates.map((g) => g.ok)).toEqual([false, true, false]);
    expect(gates[0]?.message).toMatch(/undefined/);
    expect(gates[2]?.message).toMatch(/no case has tag 'nope'/);
  });

  it('tolerates rounding at the threshold', () => {
    const r = report([cell('a', { accuracy: 0.95 + 1e-12 })]);
    expect(evaluateGates(r, [parseThresholdGate('accuracy=0.95', 'max')], [], undefined)[0]?.ok).toBe(true);
  });

  it('gates latency and cost on whole cells', () => {
    const r = report([cell('a')]);
    const g = evaluateGates(r, [parseThresholdGate('latency_p95=15', 'max'), parseThresholdGate('cost_usd<=1', 'max')], [], undefined);
    expect(g.map((x) => [x.metric, x.actual, x.ok])).toEqual([
      ['latency_p95', 20, false],
      ['cost_usd', 0.5, true],
    ]);
  });

  it('fails a regression beyond --max-drop against the matching baseline cell, in each metric’s direction', () => {
    const baseline = { results: [{ judge: 'a', prompt: null, n: 10, accuracy: 0.95, false_allow_rate: 0.05, false_deny_rate: 0.1, latency_ms: { p50: 1, p95: 2 } }] };
    const r = report([cell('a', { accuracy: 0.93, false_allow_rate: 0.07, false_deny_rate: 0.02 }), cell('b')]);
    const gates = evaluateGates(r, [], [parseDropGate('0.01')], baseline);
    const failed = gates.filter((g) => !g.ok);
    expect(failed.map((g) => g.metric).sort()).toEqual(['accuracy', 'false_allow_rate']);
    expect(gates.find((g) => g.metric === 'false_deny_rate')?.ok).toBe(true);
    // Cell b has no baseline cell: nothing to compare, so no gate.
    expect(gates.every((g) => g.cell === 'a')).toBe(true);
    // The bare form does not gate latency (milliseconds are not on a 0..1 scale).
    expect(gates.some((g) => g.metric.startsWith('latency'))).toBe(false);
    const one = evaluateGates(r, [], [parseDropGate('accuracy=0.05')], baseline);
    expect(one.map((g) => [g.metric, g.ok])).toEqual([['accuracy', true]]);
  });
});
