import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Decision } from '../guard/types.js';

/**
 * The service's Prometheus metrics, on a registry owned by one app (never the
 * global default registry, so that two apps in one process — tests — do not
 * share counters).
 *
 * Label values come from bounded sets only: decision outcomes, policy effects,
 * rule ids of the loaded policy set, judge specs from the configuration and
 * configured upstream names. Nothing an agent sends (server or tool names in a
 * `/v1/decide` body) becomes a label, so a hostile caller cannot grow the registry.
 */
export class ServiceMetrics {
  readonly registry: Registry;
  readonly #decisions: Counter<'outcome' | 'effect' | 'mode'>;
  readonly #ruleMatches: Counter<'rule' | 'outcome'>;
  readonly #judgeLatency: Histogram<'judge' | 'result'>;
  readonly #judgeCache: Counter<'result'>;
  readonly #upstreamErrors: Counter<'upstream'>;
  readonly #reloads: Counter<'result'>;
  readonly #authFailures: Counter<'reason'>;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    this.registry = new Registry();
    const registers = [this.registry];
    this.#decisions = new Counter({
      name: 'intentguard_decisions_total',
      help: 'Decisions by outcome (allow, narrow, deny), the policy effect that led there, and mode.',
      labelNames: ['outcome', 'effect', 'mode'] as const,
      registers,
    });
    this.#ruleMatches = new Counter({
      name: 'intentguard_rule_matches_total',
      help: 'Decisions per matched policy rule and final outcome.',
      labelNames: ['rule', 'outcome'] as const,
      registers,
    });
    this.#judgeLatency = new Histogram({
      name: 'intentguard_judge_latency_seconds',
      help: 'Time spent waiting for the intent judge, per judge spec and result (verdict or failure).',
      labelNames: ['judge', 'result'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.#judgeCache = new Counter({
      name: 'intentguard_judge_cache_total',
      help: 'Judge verdicts served from the verdict cache (hit) or computed (miss).',
      labelNames: ['result'] as const,
      registers,
    });
    this.#upstreamErrors = new Counter({
      name: 'intentguard_upstream_errors_total',
      help: 'Failed upstream calls or connections, per configured upstream.',
      labelNames: ['upstream'] as const,
      registers,
    });
    this.#reloads = new Counter({
      name: 'intentguard_policy_reloads_total',
      help: 'Policy hot reloads by result; a failed reload keeps the last good set in force.',
      labelNames: ['result'] as const,
      registers,
    });
    this.#authFailures = new Counter({
      name: 'intentguard_auth_failures_total',
      help: 'Requests refused by agent authentication, by reason (missing, invalid).',
      labelNames: ['reason'] as const,
      registers,
    });
    // Zero-initialise the reload series so a scrape shows them before the first reload.
    this.#reloads.inc({ result: 'ok' }, 0);
    this.#reloads.inc({ result: 'failed' }, 0);
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'intentguard_' });
  }

  /** Counts one audited decision (from `/v1/decide` or an MCP `tools/call`). */
  observeDecision(d: Decision): void {
    this.#decisions.inc({ outcome: d.decision, effect: d.policyEffect, mode: d.mode });
    for (const rule of d.matchedRules) this.#ruleMatches.inc({ rule, outcome: d.decision });
    const judge = d.judge;
    if (judge) {
      this.#judgeLatency.observe({ judge: judge.spec, result: judge.verdict ? 'verdict' : 'failure' }, d.timings.judgeMs / 1000);
      if (judge.verdict) this.#judgeCache.inc({ result: judge.verdict.cached ? 'hit' : 'miss' });
    }
  }

  upstreamError(upstream: string): void {
    this.#upstreamErrors.inc({ upstream });
  }

  policyReload(ok: boolean): void {
    this.#reloads.inc({ result: ok ? 'ok' : 'failed' });
  }

  authFailure(reason: 'missing' | 'invalid' | 'forbidden'): void {
    this.#authFailures.inc({ reason });
  }

  /** The exposition text and its content type, for `GET /metrics`. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
