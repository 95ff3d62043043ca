import { z } from 'zod';

/**
 * The `intentguard eval --format json` contract of DESIGN.md, as a schema:
 * one object whose `results[]` each carry `judge`, `prompt`, `n`, `accuracy`,
 * `deny_precision`, `deny_recall`, `false_deny_rate`, `false_allow_rate`,
 * `latency_ms` {p50, p95} and `by_tag`. Rates are numbers, or null when
 * undefined (no case of the kind the rate divides by). Extensions are allowed.
 */
const Rate = z.number().min(0).max(1).nullable();

const TagMetrics = z.looseObject({
  n: z.number().int().nonnegative(),
  accuracy: Rate,
  deny_precision: Rate,
  deny_recall: Rate,
  false_deny_rate: Rate,
  false_allow_rate: Rate,
});

export const EvalJsonContract = z.looseObject({
  results: z
    .array(
      z.looseObject({
        judge: z.string().min(1),
        prompt: z.string().nullable(),
        n: z.number().int().nonnegative(),
        accuracy: Rate,
        deny_precision: Rate,
        deny_recall: Rate,
        false_deny_rate: Rate,
        false_allow_rate: Rate,
        latency_ms: z.looseObject({ p50: z.number().nonnegative().nullable(), p95: z.number().nonnegative().nullable() }),
        by_tag: z.record(z.string(), TagMetrics),
      }),
    )
    .min(1),
});

/** The extensions this implementation adds and the tests rely on. */
export const EvalJsonExtensions = z.looseObject({
  schema: z.literal('intentguard.eval/1'),
  datasets: z.array(z.strictObject({ file: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number(), cases: z.number() })).min(1),
  results: z.array(
    z.looseObject({
      balanced_accuracy: Rate,
      deny_f1: Rate,
      confusion: z.strictObject({ labels: z.tuple([z.literal('allow'), z.literal('deny'), z.literal('narrow')]), matrix: z.array(z.array(z.number()).length(3)).length(3) }),
      ci: z.looseObject({ false_deny_rate: z.tuple([z.number(), z.number()]).nullable(), false_allow_rate: z.tuple([z.number(), z.number()]).nullable() }),
      narrowing: z.looseObject({ n: z.number(), exact: z.number(), over_narrowed: z.number(), under_narrowed: z.number() }),
      error_summary: z.looseObject({ count: z.number(), by_code: z.record(z.string(), z.number()) }),
      stages: z.record(z.string(), z.strictObject({ count: z.number(), share: z.number() })),
      latency_ms: z.looseObject({ p99: z.number().nullable() }),
      tokens: z.strictObject({ input: z.number(), output: z.number() }),
      cost_usd: z.number(),
    }),
  ),
  comparisons: z.array(z.looseObject({ a: z.string(), b: z.string(), p_value: z.number().min(0).max(1), method: z.enum(['exact', 'chi2-cc']) })),
  gates: z.array(z.looseObject({ ok: z.boolean(), message: z.string() })),
  ok: z.boolean(),
});
