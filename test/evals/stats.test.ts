import { describe, expect, it } from 'vitest';
import { binomialTwoSided, bootstrapIntervals, deriveSeed, erfc, mcnemar, percentile, seededRandom } from '../../src/evals/stats.js';

describe('stats', () => {
  it('the seeded PRNG is deterministic, seed-dependent and in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 1000 }, () => c())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(deriveSeed(1, 'cell')).toBe(deriveSeed(1, 'cell'));
    expect(deriveSeed(1, 'cell')).not.toBe(deriveSeed(1, 'other'));
  });

  it('percentiles interpolate linearly (type 7)', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(v, 0.5)).toBeCloseTo(50.5, 10);
    expect(percentile(v, 0.95)).toBeCloseTo(95.05, 10);
    expect(percentile(v, 0.99)).toBeCloseTo(99.01, 10);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNull();
  });

  it('erfc matches reference values', () => {
    // Reference values from an independent implementation (C math library erfc).
    expect(erfc(0)).toBeCloseTo(1, 6);
    expect(erfc(1)).toBeCloseTo(0.157299207, 6);
    expect(erfc(2)).toBeCloseTo(0.004677735, 6);
    expect(erfc(-1)).toBeCloseTo(1.842700793, 6);
  });

  it('the exact McNemar test matches hand-computed binomial tails', () => {
    // 2 * (C(12,0) + C(12,1) + C(12,2)) / 2^12 = 158 / 4096
    expect(binomialTwoSided(10, 12)).toBeCloseTo(158 / 4096, 12);
    expect(mcnemar(10, 2)).toMatchObject({ method: 'exact', statistic: null });
    expect(mcnemar(10, 2).pValue).toBeCloseTo(0.03857421875, 12);
    expect(mcnemar(8, 0).pValue).toBeCloseTo(0.0078125, 12);
    expect(mcnemar(3, 1).pValue).toBeCloseTo(0.625, 12);
    expect(mcnemar(5, 5).pValue).toBe(1);
    expect(mcnemar(0, 0).pValue).toBe(1);
  });

  it('the chi-square McNemar test (continuity corrected) matches reference values', () => {
    const r = mcnemar(30, 15);
    expect(r.method).toBe('chi2-cc');
    expect(r.statistic).toBeCloseTo(196 / 45, 10);
    expect(r.pValue).toBeCloseTo(0.0368884257, 6);
    expect(mcnemar(40, 10).pValue).toBeCloseTo(4.1097878e-5, 8);
    expect(mcnemar(26, 24).pValue).toBeCloseTo(0.887537084, 6);
    // With no imbalance at all the correction is clamped at 0: p is exactly 1.
    expect(mcnemar(25, 25).pValue).toBe(1);
    expect(mcnemar(70, 100).pValue).toBeCloseTo(0.0261350941, 6);
  });

  it('bootstrap intervals are reproducible for a seed and bracket the estimate', () => {
    // Values 0, 0.01, …, 1.99 with a mean of 0.995; continuous enough that two seeds give different interval ends.
    const units = Array.from({ length: 200 }, (_, i) => i / 100);
    const stat = (s: readonly number[]): { mean: number | null } => ({ mean: s.reduce((a, b) => a + b, 0) / s.length });
    const one = bootstrapIntervals(units, stat, { resamples: 1000, seed: 7 });
    const two = bootstrapIntervals(units, stat, { resamples: 1000, seed: 7 });
    const other = bootstrapIntervals(units, stat, { resamples: 1000, seed: 8 });
    expect(one).toEqual(two);
    expect(other).not.toEqual(one);
    const [lo, hi] = one.mean ?? [NaN, NaN];
    expect(lo).toBeLessThan(0.995);
    expect(hi).toBeGreaterThan(0.995);
    // The normal approximation: sd ≈ 0.577, so 0.995 ± 1.96·0.577/sqrt(200) ≈ ±0.08.
    expect(hi - lo).toBeGreaterThan(0.12);
    expect(hi - lo).toBeLessThan(0.2);
  });

  it('a statistic undefined on every resample has no interval', () => {
    const r = bootstrapIntervals([1, 2, 3], () => ({ x: null }), { resamples: 50, seed: 1 });
    expect(r.x).toBeNull();
  });
});
