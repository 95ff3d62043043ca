import { LRUCache } from 'lru-cache';
import { systemClock, type Clock } from '../clock.js';
import { canonicalHash } from './canonical.js';
import type { Judge, JudgeCallOptions, JudgeInput, JudgeResult, Verdict } from './types.js';

/*
 * Verdict cache. The key is the sha256 of the canonical JSON of everything the
 * judge sees: its spec, its prompt hash, and the input (task, principal, call,
 * tool definition, boundary, provenance facts, history calls), with tool
 * results only when the judge is shown them. A judge input holds no secrets
 * (credentials never reach a judge), and only the hash is kept.
 *
 * Only verdicts are cached, never failures: a timeout now must not become a
 * timeout for the next minutes.
 */

export interface JudgeCacheOptions {
  /** Most verdicts kept. Default 10 000. */
  readonly max?: number | undefined;
  /** How long a verdict stays fresh, in milliseconds. Default 5 minutes. */
  readonly ttlMs?: number | undefined;
  readonly clock?: Clock | undefined;
}

export interface JudgeCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly size: number;
}

/** An LRU of verdicts with a TTL, counting hits and misses. Share one across judges: keys include the spec. */
export class JudgeCache {
  readonly #lru: LRUCache<string, Verdict>;
  #hits = 0;
  #misses = 0;

  constructor(options: JudgeCacheOptions = {}) {
    const clock = options.clock ?? systemClock;
    this.#lru = new LRUCache<string, Verdict>({
      max: options.max ?? 10_000,
      ttl: options.ttlMs ?? 300_000,
      // Read the injected clock on every check: TTLs follow the one clock, and tests can move it.
      ttlResolution: 0,
      perf: { now: () => clock.now() },
      updateAgeOnGet: false,
      allowStale: false,
    });
  }

  /** The fresh verdict under `key`, counting a hit or a miss. */
  get(key: string): Verdict | undefined {
    const v = this.#lru.get(key);
    if (v === undefined) this.#misses++;
    else this.#hits++;
    return v;
  }

  set(key: string, verdict: Verdict): void {
    this.#lru.set(key, verdict);
  }

  stats(): JudgeCacheStats {
    return { hits: this.#hits, misses: this.#misses, size: this.#lru.size };
  }

  clear(): void {
    this.#lru.clear();
  }
}

export interface CacheKeyOptions {
  /** The prompt's hash, when the judge uses a prompt. */
  readonly promptHash?: string | undefined;
  /** True when the judge is shown raw tool results: then they are part of the key. */
  readonly includeResults?: boolean | undefined;
}

/**
 * The cache key of one input for one judge: hex sha256 of the canonical JSON
 * of the tuple [spec, prompt hash, task, principal, history calls, call, tool,
 * boundary, provenance] (each JSON value is self-delimiting, so the tuple is
 * unambiguous).
 */
export function judgeCacheKey(spec: string, input: JudgeInput, options: CacheKeyOptions = {}): string {
  // Keys in sorted order already, so canonicalJson does not need to sort them.
  const history = input.history.map((h) => ({ args: h.args, result: options.includeResults ? h.result : undefined, server: h.server, tool: h.tool }));
  const tuple = [spec, options.promptHash ?? null, input.task, input.principal, history, input.call, input.tool ?? null, input.boundary, input.provenance];
  return canonicalHash(tuple);
}

// Hits share the stored verdict's nested values: a frozen copy, so no caller can alter a cached answer
// (and the judge's own result, which may share objects with the input, stays untouched).
function deepFreeze<T>(value: T, depth = 0): T {
  if (value !== null && typeof value === 'object' && depth < 16 && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v, depth + 1);
    Object.freeze(value);
  }
  return value;
}

/** Wraps a judge with a cache: hits come back as the stored verdict with `cached: true`. */
export function withCache(judge: Judge, cache: JudgeCache, keyOptions: CacheKeyOptions = {}, clock: Clock = systemClock): Judge {
  return {
    spec: judge.spec,
    async judge(input: JudgeInput, options?: JudgeCallOptions): Promise<JudgeResult> {
      const start = clock.hrtime();
      const key = judgeCacheKey(judge.spec, input, keyOptions);
      const hit = cache.get(key);
      if (hit) return { ok: true, verdict: { ...hit, latencyMs: Number(clock.hrtime() - start) / 1e6 } };
      const result = await judge.judge(input, options);
      if (result.ok) {
        // Stored as it will be served: marked cached, without token usage (a hit spends none).
        const { usage: _usage, ...rest } = result.verdict;
        cache.set(key, deepFreeze(structuredClone({ ...rest, cached: true })));
      }
      return result;
    },
    ...(judge.close ? { close: () => judge.close?.() ?? Promise.resolve() } : {}),
  };
}
