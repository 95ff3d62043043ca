import path from 'node:path';
import { AuditLog } from '../audit/log.js';
import { systemClock, type Clock } from '../clock.js';
import type { LoadedConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { buildCredentials, type CredentialSet } from '../credentials/build.js';
import type { Issuer } from '../credentials/types.js';
import { IntentguardError, isIntentguardError } from '../errors.js';
import { Guard } from '../guard/guard.js';
import type { GuardMode } from '../guard/types.js';
import { JudgeCache } from '../judge/cache.js';
import { createJudge } from '../judge/registry.js';
import type { Judge } from '../judge/types.js';
import { defaultPolicyEngine, loadPolicies } from '../policy/load.js';
import type { PolicyEngine } from '../policy/types.js';
import { SessionStore } from '../session/store.js';

/** What a front (stdio proxy, HTTP service, `decide`) runs on: the spine's pieces, built once from the config. */
export interface Runtime {
  readonly config: Config;
  readonly guard: Guard;
  readonly judge: Judge;
  readonly audit: AuditLog;
  readonly sessions: SessionStore;
  /** The policy set in force now. */
  policy(): PolicyEngine;
  /** The policy paths in force (empty: the embedded default). */
  readonly policyPaths: readonly string[];
  /** Reloads the policy files; on failure the last good set stays in force. */
  reloadPolicies(): Promise<{ ok: boolean; error?: IntentguardError }>;
  /** The credential issuer for an upstream, if it has one. */
  issuerFor(server: string): Issuer | undefined;
  /** Signing keys, JWKS and spawn-time secrets; absent when the issuers were given as an override. */
  readonly credentials?: CredentialSet | undefined;
  close(): Promise<void>;
}

export interface RuntimeOverrides {
  readonly policyPaths?: readonly string[] | undefined;
  readonly mode?: GuardMode | undefined;
  readonly auditFile?: string | undefined;
  readonly judgeSpec?: string | undefined;
  readonly clock?: Clock | undefined;
  /** Issuers per upstream name, built by the credentials module. */
  readonly issuers?: ReadonlyMap<string, Issuer> | undefined;
}

export async function createRuntime(loaded: LoadedConfig, overrides: RuntimeOverrides = {}): Promise<Runtime> {
  const config = loaded.config;
  const clock = overrides.clock ?? systemClock;
  const policyPaths = overrides.policyPaths?.length ? overrides.policyPaths : config.policies;
  let current: PolicyEngine = policyPaths.length > 0 ? await loadPolicies([...policyPaths]) : defaultPolicyEngine();
  // Before anything is opened: a missing secret or a bad key ring stops the start cleanly.
  const credentials = overrides.issuers
    ? undefined
    : await buildCredentials(config, { clock, baseDir: loaded.file === undefined ? undefined : path.dirname(path.resolve(loaded.file)) });

  const judge = createJudge(overrides.judgeSpec ?? config.judge.spec, {
    ...(config.judge.prompt === undefined ? {} : { promptFile: config.judge.prompt }),
    timeoutMs: config.judge.timeout_ms,
    includeResults: config.judge.include_results,
    cache:
      config.judge.cache.size === 0 || config.judge.cache.ttl_seconds === 0
        ? false
        : new JudgeCache({ max: config.judge.cache.size, ttlMs: config.judge.cache.ttl_seconds * 1000, clock }),
    clock,
  });
  const audit = await AuditLog.open(overrides.auditFile ?? config.audit.file, { durability: config.audit.durability, clock });
  const sessions = new SessionStore({
    max: config.session.max_sessions,
    idleTtlMs: config.session.idle_ttl_seconds * 1000,
    denialBudget: config.session.denial_budget,
    clock,
  });
  const issuers = overrides.issuers ?? credentials?.issuers ?? new Map<string, Issuer>();
  const audiences = new Map(config.upstreams.map((u) => [u.name, u.audience ?? `urn:intentguard:upstream:${u.name}`]));

  const guard = new Guard({
    policy: () => current,
    judge,
    audit,
    clock,
    mode: overrides.mode ?? config.mode,
    judgeTimeoutMs: config.judge.timeout_ms + 1000,
    lowConfidence: config.judge.low_confidence,
    askBelowConfidence: config.judge.ask_below_confidence,
    approvalFallback: config.approval.fallback,
    issuerFor: (server) => issuers.get(server),
    audienceFor: (server) => audiences.get(server) ?? `urn:intentguard:upstream:${server}`,
  });

  return {
    config,
    guard,
    judge,
    audit,
    sessions,
    policyPaths,
    policy: () => current,
    async reloadPolicies() {
      if (policyPaths.length === 0) return { ok: true };
      try {
        const next = await loadPolicies([...policyPaths]);
        current = next;
        await audit.append({ type: 'admin', action: 'policy-reload', ok: true, rules: next.size });
        return { ok: true };
      } catch (e) {
        const error = isIntentguardError(e) ? e : new IntentguardError('IG_POLICY_INVALID', 'policy reload failed', { cause: e });
        await audit.append({ type: 'admin', action: 'policy-reload', ok: false, error: error.describe() });
        return { ok: false, error };
      }
    },
    issuerFor: (server) => issuers.get(server),
    credentials,
    async close() {
      await judge.close?.();
      for (const issuer of issuers.values()) await issuer.close?.();
      await audit.close();
    },
  };
}
