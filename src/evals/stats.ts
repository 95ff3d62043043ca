import { createHash } from 'node:crypto';

/**
 * Small, dependency-free statistics for the eval harness: a seeded PRNG (so
 * bootstrap intervals are reproducible run to run), percentiles, and the
 * McNemar test for paired comparisons.
 */

/** mulberry32: a tiny, well-mixed 32-bit PRNG. Returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed derived from a base seed and a label, so each interval is reproducible on its own. */
export function deriveSeed(seed: number, label: string): number {
  return createHash('sha256').update(`${seed}|${label}`).digest().readUInt32LE(0);
}

/** Linear-interpolation percentile (the usual "type 7") of already sorted values; p in [0, 1]. */
export function percentileSorted(sorted: readonly number[], p: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const h = (n - 1) * Math.min(1, Math.max(0, p));
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (h - lo);
}

export function percentile(values: readonly number[], p: number): number | null {
  return percentileSorted([...values].sort((x, y) => x - y), p);
}

/**
 * Percentile-bootstrap intervals for several statistics at once. `units` are
 * resampled with replacement (a unit is a case, so repeats of one case stay
 * together); `statistics` maps one resample to named values (null = undefined
 * on that resample, e.g. a rate with an empty denominator, which is skipped).
 * Returns [lo, hi] at `level` per statistic, or null when never defined.
 */
export function bootstrapIntervals<U, K extends string>(
  units: readonly U[],
  statistics: (sample: readonly U[]) => Record<K, number | null>,
  options: { resamples: number; seed: number; level?: number },
): Record<K, [number, number] | null> {
  const level = options.level ?? 0.95;
  const rnd = seededRandom(options.seed);
  const n = units.length;
  const draws = new Map<K, number[]>();
  const sample: U[] = new Array<U>(n);
  for (let r = 0; r < options.resamples && n > 0; r++) {
    for (let i = 0; i < n; i++) sample[i] = units[Math.floor(rnd() * n)] as U;
    const values = statistics(sample);
    for (const key of Object.keys(values) as K[]) {
      const v = values[key];
      let list = draws.get(key);
      if (!list) draws.set(key, (list = []));
      if (v !== null && Number.isFinite(v)) list.push(v);
    }
  }
  const keys = n > 0 ? (Object.keys(statistics(units)) as K[]) : [];
  const out = {} as Record<K, [number, number] | null>;
  const alpha = (1 - level) / 2;
  for (const key of keys) {
    const list = (draws.get(key) ?? []).sort((x, y) => x - y);
    const lo = percentileSorted(list, alpha);
    const hi = percentileSorted(list, 1 - alpha);
    out[key] = lo === null || hi === null ? null : [lo, hi];
  }
  return out;
}

/** Complementary error function (Numerical Recipes `erfcc`, fractional error below 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

/** Two-sided exact binomial test of k successes out of n at p = 0.5 (the exact McNemar test). */
export function binomialTwoSided(k: number, n: number): number {
  if (n === 0) return 1;
  const m = Math.min(k, n - k);
  let tail = 0;
  for (let i = 0; i <= m; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
  return Math.min(1, 2 * tail);
}

export interface McNemarResult {
  /** Cases only the first cell got right. */
  readonly b: number;
  /** Cases only the second cell got right. */
  readonly c: number;
  readonly method: 'exact' | 'chi2-cc';
  /** The chi-square statistic (with continuity correction), or null for the exact test. */
  readonly statistic: number | null;
  readonly pValue: number;
}

/**
 * McNemar's test on the discordant pairs. Below `exactBelow` discordant cases
 * (default 25) the exact binomial test is used; otherwise the chi-square test
 * with Edwards' continuity correction, (|b − c| − 1)² / (b + c), on 1 degree of freedom
 * (the correction is clamped at 0, so b = c gives p = 1 rather than a spurious statistic of 1/(b + c)).
 */
export function mcnemar(b: number, c: number, exactBelow = 25): McNemarResult {
  const n = b + c;
  if (n < exactBelow) return { b, c, method: 'exact', statistic: null, pValue: binomialTwoSided(b, n) };
  const stat = (Math.max(0, Math.abs(b - c) - 1) ** 2) / n;
  // Chi-square with one degree of freedom: P(X > x) = erfc(sqrt(x / 2)).
  return { b, c, method: 'chi2-cc', statistic: stat, pValue: Math.min(1, erfc(Math.sqrt(stat / 2))) };
}
