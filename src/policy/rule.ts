import type { Boundary } from '../scope/types.js';
import type { Principal } from '../session/types.js';
import type { CelCondition } from './cel.js';
import type { NameGlobList } from './glob.js';
import type { DefaultDecision, FailureDecision, PolicyEffect } from './types.js';

/** Who a rule applies to, compiled from `match.principal`. */
export interface PrincipalMatcher {
  readonly agent: NameGlobList | undefined;
  readonly user: NameGlobList | undefined;
  readonly groups: NameGlobList | undefined;
}

/** One rule after loading: globs and condition compiled, boundary built, everything frozen. */
export interface CompiledRule {
  /** Position in the loaded set (file order, then rule order); decisions list rules in this order. */
  readonly ordinal: number;
  readonly id: string;
  readonly file: string;
  readonly line: number;
  readonly effect: PolicyEffect;
  readonly description: string | undefined;
  readonly servers: NameGlobList;
  readonly tools: NameGlobList;
  readonly principal: PrincipalMatcher | undefined;
  readonly condition: CelCondition | undefined;
  /** The rule's own boundary (empty for deny rules). */
  readonly boundary: Boundary;
  /** True when the rule lists `scopes` (only those rules take part in the scope intersection). */
  readonly declaresScopes: boolean;
  readonly audience: string | undefined;
}

/** The merged `defaults` of a policy set. */
export interface PolicyDefaults {
  readonly decision: DefaultDecision;
  readonly onJudgeFailure: FailureDecision;
  readonly credentialTtlSeconds: number;
}

export const EMBEDDED_DEFAULTS: PolicyDefaults = Object.freeze({
  decision: 'judge',
  onJudgeFailure: 'deny',
  credentialTtlSeconds: 60,
});

export function principalMatches(m: PrincipalMatcher | undefined, p: Principal): boolean {
  if (!m) return true;
  if (m.agent && !m.agent.test(p.agent ?? '')) return false;
  if (m.user && !m.user.test(p.user ?? '')) return false;
  if (m.groups) {
    const groups = p.groups ?? [];
    let any = false;
    for (const g of groups) {
      if (m.groups.test(g)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}
