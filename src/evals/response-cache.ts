import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { canonicalJson, sha256Hex } from '../canonical.js';
import type { Judge, JudgeCallOptions, JudgeInput, JudgeResult, Verdict } from '../judge/types.js';

/** Bumped when the cached shape or the key's meaning changes, so old entries are never misread. */
const CACHE_FORMAT = 1;

/** What identifies one judge reply: the judge (provider and model, via its spec), the prompt, the case and the repeat. */
export interface ResponseKeyParts {
  /** The judge spec (`openai:gpt-4o-mini`, `cascade:…`): provider and model. */
  readonly spec: string;
  /** sha256 of the prompt file, or null for the judge's built-in prompt. */
  readonly promptHash: string | null;
  /** sha256 of the canonical JSON of everything the judge is shown. */
  readonly caseHash: string;
  /** The repeat index, so `--repeat N` replays N distinct replies. */
  readonly epoch: number;
}

const CachedVerdictSchema = z.looseObject({
  decision: z.enum(['allow', 'deny', 'narrow']),
  scopes: z.array(z.string()).optional(),
  args: z.record(z.string(), z.unknown()).optional(),
  reason: z.string(),
  confidence: z.number().min(0).max(1),
  evidence: z.array(z.looseObject({ arg: z.string().optional(), source: z.string(), detail: z.string() })),
  provider: z.string(),
  model: z.string(),
  promptId: z.string().optional(),
  promptHash: z.string().optional(),
  latencyMs: z.number().nonnegative(),
  usage: z.strictObject({ inputTokens: z.number().nonnegative(), outputTokens: z.number().nonnegative() }).optional(),
  cached: z.boolean(),
  stage: z.string().optional(),
});

const EntrySchema = z.strictObject({ format: z.literal(CACHE_FORMAT), key: z.string(), verdict: CachedVerdictSchema });

/** The hash of a judge input, the "case content" part of a cache key. */
export function judgeInputHash(input: JudgeInput): string {
  return sha256Hex(canonicalJson(input));
}

/**
 * On-disk cache of judge verdicts for eval runs (one JSON file per reply, under
 * two-character fan-out folders). Only verdicts are stored: a failure — rate
 * limit, timeout, unparsable reply — is never cached, so the next run asks
 * again. An unreadable or malformed entry counts as a miss.
 */
export class ResponseCache {
  readonly dir: string;
  hits = 0;
  misses = 0;
  writes = 0;

  constructor(dir: string) {
    this.dir = dir;
  }

  key(parts: ResponseKeyParts): string {
    return sha256Hex(canonicalJson({ format: CACHE_FORMAT, ...parts }));
  }

  #file(key: string): string {
    return path.join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  async get(key: string): Promise<Verdict | undefined> {
    let text: string;
    try {
      text = await readFile(this.#file(key), 'utf8');
    } catch {
      this.misses++;
      return undefined;
    }
    let parsed: z.infer<typeof EntrySchema> | undefined;
    try {
      const r = EntrySchema.safeParse(JSON.parse(text));
      parsed = r.success && r.data.key === key ? r.data : undefined;
    } catch {
      parsed = undefined;
    }
    if (!parsed) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return { ...(parsed.verdict as unknown as Verdict), cached: true };
  }

  async put(key: string, verdict: Verdict): Promise<void> {
    const file = this.#file(key);
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, `${JSON.stringify({ format: CACHE_FORMAT, key, verdict: { ...verdict, cached: false } })}\n`, { mode: 0o600 });
      await rename(tmp, file);
      this.writes++;
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }
}

/**
 * Wraps a judge with the on-disk cache: a hit returns the stored verdict
 * (`cached: true`) without calling the provider; a miss calls the judge and
 * stores the verdict only when there is one.
 */
export function withResponseCache(judge: Judge, cache: ResponseCache, key: Omit<ResponseKeyParts, 'caseHash'>): Judge {
  return {
    spec: judge.spec,
    async judge(input: JudgeInput, options?: JudgeCallOptions): Promise<JudgeResult> {
      const k = cache.key({ ...key, caseHash: judgeInputHash(input) });
      const hit = await cache.get(k);
      if (hit) return { ok: true, verdict: hit };
      const result = await judge.judge(input, options);
      if (result.ok && !result.verdict.cached) {
        // A cache that cannot be written costs a re-run later, never a wrong result.
        await cache.put(k, result.verdict).catch(() => undefined);
      }
      return result;
    },
  };
}
