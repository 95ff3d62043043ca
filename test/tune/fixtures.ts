import type { HumanLabel, LoggedDecision, Traffic } from '../../src/tune/types.js';

type VerdictInput = { decision: 'allow' | 'deny' | 'narrow'; confidence?: number; latencyMs?: number; args?: Record<string, unknown> };

/** A logged decision as the guard writes one for a call the policy handed to the judge. */
export function judged(
  n: number,
  server: string,
  tool: string,
  args: Record<string, unknown>,
  verdict: VerdictInput,
  extra: Partial<Omit<LoggedDecision, 'index'>> = {},
): Omit<LoggedDecision, 'index'> {
  const decision = verdict.decision;
  return {
    seq: n,
    txn: `x-${n}`,
    sessionId: `s-${n}`,
    principal: { agent: 'a', user: 'u' },
    task: 'a task',
    call: { server, tool, args },
    decision,
    mode: 'shadow',
    policyEffect: 'judge',
    matchedRules: [],
    boundary: { scopes: [], args: {} },
    grant: decision === 'deny' ? null : { scopes: [], args: verdict.args ? { ...args, ...verdict.args } : args },
    reasons: [],
    judge: {
      spec: 'test',
      verdict: {
        decision,
        confidence: verdict.confidence ?? 0.95,
        reason: 'because',
        latencyMs: verdict.latencyMs ?? 10,
        provider: 'test',
        model: 'm',
        ...(verdict.args ? { args: verdict.args } : {}),
      },
    },
    flags: decision === 'deny' ? ['judge-denied', 'shadow-would-deny'] : decision === 'narrow' ? ['judge-narrowed'] : [],
    ...extra,
  };
}

/** Traffic from decisions (indices assigned in order) and labels. */
export function trafficOf(decisions: Omit<LoggedDecision, 'index'>[], labels: Omit<HumanLabel, 'seq'>[] = [], file = 'audit.jsonl'): Traffic {
  return {
    file,
    records: decisions.length + labels.length,
    decisions: decisions.map((d, index) => ({ ...d, index })),
    labels: new Map(labels.map((l, i) => [l.txn, { ...l, seq: decisions.length + i + 1 }])),
    approvals: new Map(),
    executed: new Set(),
    hasOutcomes: false,
    skipped: [],
    skippedCount: 0,
  };
}
