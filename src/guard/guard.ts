import { randomUUID } from 'node:crypto';
import type { AuditRecord, AuditSink, Flag } from '../audit/types.js';
import { elapsedUs, systemClock, type Clock } from '../clock.js';
import type { Credential, Issuer } from '../credentials/types.js';
import { IntentguardError, isIntentguardError } from '../errors.js';
import type { Judge, JudgeInput, JudgeResult, Verdict } from '../judge/types.js';
import type { PolicyDecision, PolicyEngine } from '../policy/types.js';
import { clampArgs, clampNarrowing } from '../scope/algebra.js';
import type { Boundary, Grant, ScopeContext, Violation } from '../scope/types.js';
import type { SessionState } from '../session/types.js';
import type { Decision, ExecutionOutcome, Executor, FinalDecision, GuardMode, GuardRequest, JudgeSummary, Timings } from './types.js';

/** The answer of a human asked to approve a call (MCP elicitation, or a fallback). */
export type ApprovalAnswer = 'accept' | 'decline' | 'timeout' | 'unsupported';

/** Asks a human about one call; supplied per call by the front that can reach the user. */
export type Approver = (request: ApprovalRequest) => Promise<ApprovalAnswer>;

export interface ApprovalRequest {
  readonly txn: string;
  readonly call: GuardRequest['call'];
  readonly reason: string;
  /** The grant the call would run with if accepted (may be narrowed). */
  readonly proposed: Grant;
}

export interface GuardOptions {
  /** The compiled policy set, or a getter for hot reload (the getter is read once per call). */
  readonly policy: PolicyEngine | (() => PolicyEngine);
  /** The intent judge; without one, `judge` decisions resolve to the policy's failure decision. */
  readonly judge?: Judge | undefined;
  /** The credential seam: the issuer for a call's server, if any. */
  readonly issuerFor?: ((server: string) => Issuer | undefined) | undefined;
  /** The audience for a call's server when policy names none. */
  readonly audienceFor?: ((server: string) => string) | undefined;
  readonly audit: AuditSink;
  readonly mode?: GuardMode | undefined;
  readonly clock?: Clock | undefined;
  /** Outer time budget for one judge call; the judge's own budget should be shorter. Default 15 s. */
  readonly judgeTimeoutMs?: number | undefined;
  /** Judge verdicts below this confidence are flagged `low-confidence`. Default 0.6. */
  readonly lowConfidence?: number | undefined;
  /** Judge verdicts below this confidence go to a human (like the `ask` effect). Off by default. */
  readonly askBelowConfidence?: number | undefined;
  /** What a call needing approval gets when no human can be asked. Default `deny`. */
  readonly approvalFallback?: 'deny' | 'allow' | undefined;
  /** In shadow mode, also ask the judge about calls policy allowed or denied, to flag disagreements. Default true. */
  readonly compareInShadow?: boolean | undefined;
}

/**
 * Watches the guard's decisions (the service counts them in its metrics).
 * Observers are told, never asked: they cannot change a decision or stop a
 * call, and one that throws is ignored.
 */
export interface GuardObserver {
  /**
   * Called with each decision once it is audited (from `decide`, and from
   * `run` before the call runs), whatever the decision. Not called when the
   * decision could not be audited (`decide` throws `IG_AUDIT_WRITE` then).
   */
  readonly decision?: ((decision: Decision) => void) | undefined;
  /**
   * Called when the executor of a call that was allowed to run threw (an
   * upstream that failed before answering), after the failed outcome is
   * audited and before `run` rethrows the error.
   */
  readonly executionFailed?: ((decision: Decision, error: unknown) => void) | undefined;
}

export interface DecideOptions {
  /** Asks the user; absent when the front cannot reach one. */
  readonly approve?: Approver | undefined;
}

export interface RunResult<R> {
  readonly decision: Decision;
  /** Absent when the call did not run (denied, or no credential could be derived). */
  readonly outcome?: ExecutionOutcome<R> | undefined;
  /** Present when the call was stopped after the decision (credential failure). */
  readonly error?: IntentguardError | undefined;
}

const DEFAULT_JUDGE_TIMEOUT_MS = 15_000;

interface Draft {
  decision: FinalDecision;
  grant: Grant | null;
  reasons: string[];
  flags: Set<Flag>;
  judge?: JudgeSummary;
  judgeMs: number;
  scopeUs: number;
}

/**
 * The five-step pipeline for one call: policy → judge → scope → credentials →
 * execute, with every decision audited before it is returned.
 */
export class Guard {
  readonly #policy: () => PolicyEngine;
  readonly #judge: Judge | undefined;
  readonly #issuerFor: (server: string) => Issuer | undefined;
  readonly #audienceFor: (server: string) => string;
  readonly #audit: AuditSink;
  readonly #clock: Clock;
  readonly #judgeTimeoutMs: number;
  readonly #lowConfidence: number;
  readonly #askBelow: number | undefined;
  readonly #approvalFallback: 'deny' | 'allow';
  readonly #compareInShadow: boolean;
  // One entry per `observe` call, so that the same observer added twice is removed once per returned function.
  readonly #observers = new Set<{ readonly observer: GuardObserver }>();
  readonly mode: GuardMode;

  constructor(options: GuardOptions) {
    const p = options.policy;
    this.#policy = typeof p === 'function' ? p : () => p;
    this.#judge = options.judge;
    this.#issuerFor = options.issuerFor ?? (() => undefined);
    this.#audienceFor = options.audienceFor ?? ((server) => `urn:intentguard:upstream:${server}`);
    this.#audit = options.audit;
    this.#clock = options.clock ?? systemClock;
    this.#judgeTimeoutMs = options.judgeTimeoutMs ?? DEFAULT_JUDGE_TIMEOUT_MS;
    this.#lowConfidence = options.lowConfidence ?? 0.6;
    this.#askBelow = options.askBelowConfidence;
    this.#approvalFallback = options.approvalFallback ?? 'deny';
    this.#compareInShadow = options.compareInShadow ?? true;
    this.mode = options.mode ?? 'enforce';
  }

  /** The policy set in force now (hot reload swaps it). */
  get policy(): PolicyEngine {
    return this.#policy();
  }

  /** Adds an observer of decisions (see {@link GuardObserver}); returns the function that removes it. */
  observe(observer: GuardObserver): () => void {
    const entry = { observer };
    this.#observers.add(entry);
    return () => {
      this.#observers.delete(entry);
    };
  }

  #notify(tell: (observer: GuardObserver) => void): void {
    for (const { observer } of this.#observers) {
      try {
        tell(observer);
      } catch {
        // An observer's trouble is its own: the decision and the call go on.
      }
    }
  }

  /**
   * Decides one call and audits the decision. Never throws for policy, judge
   * or approval trouble (those become decisions); throws `IG_AUDIT_WRITE` when the
   * decision cannot be audited, in which case nothing may run.
   */
  async decide(request: GuardRequest, session: SessionState, options: DecideOptions = {}): Promise<Decision> {
    const start = this.#clock.hrtime();
    const txn = request.txn ?? randomUUID();
    const draft: Draft = { decision: 'deny', grant: null, reasons: [], flags: new Set(request.flags ?? []), judgeMs: 0, scopeUs: 0 };

    let policyDecision: PolicyDecision | undefined;
    let policyUs = 0;
    if (request.preDeny) {
      draft.reasons.push(request.preDeny.reason);
      draft.flags.add(request.preDeny.flag);
    } else {
      const t = this.#clock.hrtime();
      policyDecision = this.#policy().evaluate({
        server: request.call.server,
        tool: request.call.tool,
        args: request.call.args,
        principal: request.principal,
        session: session.facts(),
      });
      policyUs = elapsedUs(this.#clock, t);
      await this.#resolve(txn, request, session, policyDecision, draft, options);
    }

    if (draft.decision === 'deny') {
      if (this.mode === 'shadow') draft.flags.add('shadow-would-deny');
      if (!request.preDeny && session.recordDenial()) {
        draft.flags.add('escalated');
        draft.reasons.push('the session spent its denial budget: further judged calls are denied until a human clears it');
      }
    }

    const boundary: Boundary = policyDecision?.boundary ?? { scopes: [], args: {} };
    const proceed = this.mode === 'shadow' || draft.decision !== 'deny';
    const auditStart = this.#clock.hrtime();
    const totalBeforeAudit = elapsedUs(this.#clock, start) / 1000;
    const decision: Decision = {
      txn,
      sessionId: request.sessionId,
      call: request.call,
      decision: draft.decision,
      mode: this.mode,
      proceed,
      grant: draft.grant,
      policyEffect: policyDecision?.effect ?? 'pre-deny',
      boundary,
      matchedRules: policyDecision?.matchedRules ?? [],
      reasons: draft.reasons,
      judge: draft.judge,
      flags: [...draft.flags],
      onJudgeFailure: policyDecision?.onJudgeFailure ?? 'deny',
      audience: policyDecision?.audience,
      credentialTtlSeconds: policyDecision?.credentialTtlSeconds ?? 60,
      timings: { policyUs, judgeMs: draft.judgeMs, scopeUs: draft.scopeUs, auditMs: 0, totalMs: totalBeforeAudit },
    };
    await this.#appendAudit(decisionRecord(decision, request));
    if (decision.flags.includes('escalated')) {
      await this.#appendAudit({ type: 'escalation', txn, sessionId: request.sessionId, denials: session.denials });
    }
    const auditMs = elapsedUs(this.#clock, auditStart) / 1000;
    const audited: Decision = { ...decision, timings: { ...decision.timings, auditMs, totalMs: totalBeforeAudit + auditMs } };
    this.#notify((o) => o.decision?.(audited));
    return audited;
  }

  /**
   * The whole spine for one call: decide, derive a credential for the grant,
   * execute upstream, audit the outcome. The executor receives the final
   * arguments (narrowed in enforce mode, as requested in shadow mode).
   */
  async run<R>(request: GuardRequest, session: SessionState, execute: Executor<R>, options: DecideOptions = {}): Promise<RunResult<R>> {
    const decision = await this.decide(request, session, options);
    if (!decision.proceed) return { decision };

    const args = this.mode === 'shadow' ? request.call.args : (decision.grant?.args ?? request.call.args);
    const grant: Grant = { scopes: decision.grant?.scopes ?? [], args };
    let credential: Credential | undefined;
    const credStart = this.#clock.hrtime();
    const issuer = this.#issuerFor(request.call.server);
    if (issuer) {
      try {
        credential = await issuer.issue({
          txn: decision.txn,
          call: request.call,
          grant,
          principal: request.principal,
          audience: decision.audience ?? this.#audienceFor(request.call.server),
          ttlSeconds: decision.credentialTtlSeconds,
          subjectToken: request.subjectToken,
        });
      } catch (e) {
        const error = isIntentguardError(e) ? e : new IntentguardError('IG_CREDENTIAL_ISSUE', 'credential could not be derived', { cause: e });
        await this.#appendAudit({
          type: 'outcome',
          txn: decision.txn,
          ok: false,
          executed: false,
          error: `${error.code}: ${error.message}`,
          timings: { credentialsMs: elapsedUs(this.#clock, credStart) / 1000 },
        });
        return { decision, error };
      }
    }
    const credentialsMs = elapsedUs(this.#clock, credStart) / 1000;

    const execStart = this.#clock.hrtime();
    let outcome: ExecutionOutcome<R>;
    try {
      outcome = await execute(args, credential);
    } catch (e) {
      const executeMs = elapsedUs(this.#clock, execStart) / 1000;
      await this.#appendAudit({
        type: 'outcome',
        txn: decision.txn,
        ok: false,
        executed: true,
        error: isIntentguardError(e) ? `${e.code}: ${e.message}` : 'upstream error',
        credential: credentialSummary(credential),
        timings: { credentialsMs, executeMs },
      });
      this.#notify((o) => o.executionFailed?.(decision, e));
      throw e;
    }
    const executeMs = elapsedUs(this.#clock, execStart) / 1000;
    await this.#appendAudit({
      type: 'outcome',
      txn: decision.txn,
      ok: outcome.ok,
      executed: outcome.executed ?? true,
      ...(outcome.error === undefined ? {} : { error: outcome.error }),
      credential: credentialSummary(credential),
      timings: { credentialsMs, executeMs },
    });
    const timings: Timings = { ...decision.timings, credentialsMs, executeMs };
    return { decision: { ...decision, timings }, outcome };
  }

  async #resolve(
    txn: string,
    request: GuardRequest,
    session: SessionState,
    policy: PolicyDecision,
    draft: Draft,
    options: DecideOptions,
  ): Promise<void> {
    draft.reasons.push(...policy.reasons);
    const ctx: ScopeContext = { inTask: (v) => session.ledger.inTrusted(v) };

    if (policy.effect === 'deny') {
      draft.decision = 'deny';
      if (this.mode === 'shadow' && this.#compareInShadow) await this.#compare(request, session, policy, draft, 'deny');
      return;
    }

    const scopeStart = this.#clock.hrtime();
    const clamped = safely(() => clampArgs(request.call.args, policy.boundary, ctx));
    draft.scopeUs += elapsedUs(this.#clock, scopeStart);
    if (!clamped.ok) {
      draft.decision = 'deny';
      draft.reasons.push(`arguments refused: ${clamped.reason}`);
      return;
    }
    if (clamped.violations.length > 0) {
      draft.decision = 'deny';
      draft.reasons.push(...clamped.violations.map(describeViolation));
      return;
    }
    const base: Grant = { scopes: policy.boundary.scopes, args: clamped.args };
    const baseDecision: FinalDecision = clamped.changed.length > 0 ? 'narrow' : 'allow';
    if (clamped.changed.length > 0) draft.reasons.push(`arguments clamped to the boundary: ${clamped.changed.join(', ')}`);

    if (policy.effect === 'allow') {
      draft.decision = baseDecision;
      draft.grant = base;
      if (this.mode === 'shadow' && this.#compareInShadow) await this.#compare(request, session, policy, draft, 'allow');
      return;
    }

    if (policy.effect === 'ask') {
      await this.#ask(txn, request, base, baseDecision, 'policy asks for approval', draft, options);
      return;
    }

    // policy.effect === 'judge'
    if (session.escalated) {
      draft.decision = 'deny';
      draft.flags.add('escalated');
      draft.reasons.push('the session is escalated after repeated denials: a human must clear it before further judged calls');
      return;
    }
    const result = await this.#callJudge(request, session, policy.boundary, draft);
    if (!result?.ok) {
      draft.flags.add('judge-failed');
      draft.reasons.push(
        result
          ? `judge failed (${result.failure.code}): the failure decision (${policy.onJudgeFailure}) applies`
          : `no judge is configured: the failure decision (${policy.onJudgeFailure}) applies`,
      );
      draft.decision = policy.onJudgeFailure === 'deny' ? 'deny' : baseDecision;
      draft.grant = policy.onJudgeFailure === 'deny' ? null : base;
      return;
    }

    const verdict = result.verdict;
    // The seam is pluggable: a verdict that is not one of the three decisions, or whose confidence is no number,
    // is no verdict, and gets the failure decision like any other judge failure.
    if (!['allow', 'deny', 'narrow'].includes(verdict.decision as string) || !Number.isFinite(verdict.confidence)) {
      draft.flags.add('judge-failed');
      draft.reasons.push(`the judge's verdict is not usable: the failure decision (${policy.onJudgeFailure}) applies`);
      draft.decision = policy.onJudgeFailure === 'deny' ? 'deny' : baseDecision;
      draft.grant = policy.onJudgeFailure === 'deny' ? null : base;
      return;
    }
    draft.reasons.push(verdict.reason);
    if (verdict.confidence < this.#lowConfidence) draft.flags.add('low-confidence');
    if (verdict.decision === 'deny') {
      draft.decision = 'deny';
      draft.flags.add('judge-denied');
      return;
    }
    let grant = base;
    let decision = baseDecision;
    if (verdict.decision === 'narrow') {
      const s = this.#clock.hrtime();
      const narrowed = safely(() => clampNarrowing(base, { scopes: verdict.scopes, args: verdict.args }, policy.boundary, ctx));
      draft.scopeUs += elapsedUs(this.#clock, s);
      if (!narrowed.ok) {
        // A narrowing the algebra cannot even read is refused whole: the call keeps the base grant's limits.
        draft.decision = 'deny';
        draft.reasons.push(`the judge's narrowing was unreadable: ${narrowed.reason}`);
        return;
      }
      if (narrowed.refused.length > 0) {
        // A narrowing says the call as requested is not acceptable. When part of it cannot be applied inside the
        // boundary, running the rest would run what the judge rejected: deny instead.
        if (draft.judge) draft.judge = { ...draft.judge, refused: narrowed.refused.map(describeViolation) };
        draft.decision = 'deny';
        draft.flags.add('judge-denied');
        draft.reasons.push(`the judge's narrowing cannot be applied within the boundary (${narrowed.refused.map((v) => v.arg).join(', ')}): denied`);
        return;
      }
      grant = narrowed.grant;
      if (narrowed.narrowed) {
        decision = 'narrow';
        draft.flags.add('judge-narrowed');
      }
    }
    if (this.#askBelow !== undefined && verdict.confidence < this.#askBelow) {
      await this.#ask(txn, request, grant, decision, `judge confidence ${verdict.confidence.toFixed(2)} is below the approval threshold`, draft, options);
      return;
    }
    draft.decision = decision;
    draft.grant = grant;
  }

  async #callJudge(request: GuardRequest, session: SessionState, boundary: Boundary, draft: Draft): Promise<JudgeResult | undefined> {
    const judge = this.#judge;
    if (!judge) return undefined;
    const input: JudgeInput = {
      task: request.task || session.task,
      principal: request.principal,
      history: request.history ?? session.history,
      call: request.call,
      tool: request.tool,
      tools: request.tools,
      boundary,
      provenance: session.ledger.facts(request.call.args),
    };
    const start = this.#clock.hrtime();
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<JudgeResult>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve({
          ok: false,
          failure: {
            code: 'IG_JUDGE_TIMEOUT',
            message: `no verdict within ${this.#judgeTimeoutMs} ms`,
            provider: judge.spec,
            model: judge.spec,
            latencyMs: this.#judgeTimeoutMs,
            attempts: 1,
          },
        });
      }, this.#judgeTimeoutMs);
      timer.unref();
    });
    let result: JudgeResult;
    try {
      result = await Promise.race([judge.judge(input, { signal: controller.signal }), timeout]);
    } catch (e) {
      // A judge must not throw; if one does, it is a judge failure, never an allow.
      result = {
        ok: false,
        failure: {
          code: 'IG_JUDGE_UPSTREAM',
          message: isIntentguardError(e) ? e.message : 'judge raised an unexpected error',
          provider: judge.spec,
          model: judge.spec,
          latencyMs: elapsedUs(this.#clock, start) / 1000,
          attempts: 1,
        },
      };
    } finally {
      clearTimeout(timer);
    }
    draft.judgeMs += elapsedUs(this.#clock, start) / 1000;
    draft.judge = summarizeJudge(judge.spec, result);
    return result;
  }

  /** Shadow mode: ask the judge about a call policy decided alone, and flag a disagreement. */
  async #compare(request: GuardRequest, session: SessionState, policy: PolicyDecision, draft: Draft, policySaid: 'allow' | 'deny'): Promise<void> {
    const result = await this.#callJudge(request, session, policy.boundary, draft);
    if (!result?.ok) return;
    const judgeDenies = result.verdict.decision === 'deny';
    if ((policySaid === 'allow' && judgeDenies) || (policySaid === 'deny' && !judgeDenies)) draft.flags.add('judge-policy-disagree');
  }

  async #ask(
    txn: string,
    request: GuardRequest,
    proposed: Grant,
    proposedDecision: FinalDecision,
    reason: string,
    draft: Draft,
    options: DecideOptions,
  ): Promise<void> {
    draft.flags.add('approval-asked');
    const answer: ApprovalAnswer = options.approve ? await options.approve({ txn, call: request.call, reason, proposed }).catch(() => 'timeout' as const) : 'unsupported';
    draft.reasons.push(`${reason}; approval: ${answer}`);
    const accepted = answer === 'accept' || (answer === 'unsupported' && this.#approvalFallback === 'allow');
    if (answer === 'unsupported') draft.reasons.push(`no way to ask the user: the approval fallback (${this.#approvalFallback}) applies`);
    draft.decision = accepted ? proposedDecision : 'deny';
    draft.grant = accepted ? proposed : null;
    await this.#appendAudit({ type: 'approval', txn, answer, reason });
  }

  async #appendAudit(entry: Parameters<AuditSink['append']>[0]): Promise<AuditRecord> {
    try {
      return await this.#audit.append(entry);
    } catch (e) {
      if (isIntentguardError(e) && e.code === 'IG_AUDIT_WRITE') throw e;
      throw new IntentguardError('IG_AUDIT_WRITE', 'the audit record could not be written; the call does not run', { cause: e });
    }
  }
}

/** Runs a scope operation; hostile input it refuses (not JSON data, nested too deep) becomes a reason, never a throw. */
function safely<T extends object>(op: () => T): (T & { ok: true }) | { ok: false; reason: string } {
  try {
    return { ...op(), ok: true };
  } catch (e) {
    if (isIntentguardError(e)) return { ok: false, reason: e.message };
    throw e;
  }
}

function describeViolation(v: Violation): string {
  return `${v.arg}: ${v.message}`;
}

function summarizeJudge(spec: string, result: JudgeResult): JudgeSummary {
  if (!result.ok) return { spec, failure: result.failure };
  const v: Verdict = result.verdict;
  return { spec, verdict: v };
}

function credentialSummary(c: Credential | undefined): Record<string, unknown> | undefined {
  if (!c) return undefined;
  return { id: c.id, kind: c.kind, scopes: c.scopes, audience: c.audience, expiresAt: new Date(c.expiresAt).toISOString() };
}

/** The audit form of a decision: everything but secrets (the audit log redacts again). */
function decisionRecord(d: Decision, request: GuardRequest): Parameters<AuditSink['append']>[0] {
  return {
    type: 'decision',
    txn: d.txn,
    sessionId: d.sessionId,
    principal: request.principal,
    task: request.task,
    call: d.call,
    decision: d.decision,
    mode: d.mode,
    policyEffect: d.policyEffect,
    matchedRules: d.matchedRules,
    boundary: d.boundary,
    grant: d.grant,
    reasons: d.reasons,
    judge: d.judge,
    flags: d.flags,
    timings: d.timings,
  };
}
