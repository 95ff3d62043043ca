import { DiscardAudit } from '../audit/discard.js';
import { ManualClock, type Clock } from '../clock.js';
import { Guard, type ApprovalAnswer } from '../guard/guard.js';
import type { FinalDecision } from '../guard/types.js';
import { createOfflineJudge } from '../judge/offline.js';
import type { Judge, JudgeFailure, JudgeInput, JudgeResult } from '../judge/types.js';
import type { PolicyEngine } from '../policy/types.js';
import { Session } from '../session/session.js';
import type { LoggedDecision, ReplayEffect, Traffic } from './types.js';

/** How the replay reconstructs sessions. */
export interface ReplayOptions {
  /** The denial budget the guard's sessions had (default 5, the session default). */
  readonly denialBudget?: number | undefined;
}

/** One replay of the logged traffic under one policy set. */
export interface ReplayRun {
  /** Decision per logged decision record (by `LoggedDecision.index`). */
  readonly decisions: readonly FinalDecision[];
  /** Whether the judge was asked on the decision path, per record. */
  readonly judged: readonly boolean[];
  /** Whether the offline judge stood in (the call had no logged verdict), per record. */
  readonly standIn: readonly boolean[];
  readonly judgeCalls: number;
}

function failureCode(code: string): JudgeFailure['code'] {
  return /^IG_JUDGE_[A-Z_]+$/.test(code) ? (code as JudgeFailure['code']) : 'IG_JUDGE_UPSTREAM';
}

/**
 * The judge during a replay: it answers with what the judge answered when
 * the call was logged (a verdict, or a failure), so a replay needs no model
 * and reproduces the log. Only a call that never reached the judge (policy
 * decided it and no shadow comparison was logged) is judged by the offline
 * judge instead, and counted as a stand-in.
 */
class LoggedJudge implements Judge {
  readonly spec = 'replay';
  readonly #offline = createOfflineJudge({ clock: new ManualClock() });
  current: LoggedDecision | undefined;
  called = false;
  standIn = false;

  async judge(input: JudgeInput): Promise<JudgeResult> {
    this.called = true;
    const logged = this.current?.judge;
    if (logged?.verdict) {
      const v = logged.verdict;
      return {
        ok: true,
        verdict: {
          decision: v.decision,
          ...(v.args === undefined ? {} : { args: v.args }),
          ...(v.scopes === undefined ? {} : { scopes: v.scopes }),
          reason: v.reason,
          confidence: v.confidence,
          evidence: [],
          provider: v.provider,
          model: v.model,
          latencyMs: v.latencyMs,
          cached: true,
        },
      };
    }
    if (logged?.failure) {
      const f = logged.failure;
      return {
        ok: false,
        failure: { code: failureCode(f.code), message: f.message, provider: logged.spec, model: logged.spec, latencyMs: f.latencyMs, attempts: 1 },
      };
    }
    this.standIn = true;
    return this.#offline.judge(input);
  }
}

/**
 * Replays every logged decision, in log order, through a real guard with
 * `engine` as its policy: sessions are rebuilt from the records (task,
 * principal, denials, and results where the log says the call ran), the
 * judge's logged verdicts are reused, and logged approval answers are given
 * again. Tool-pin and other pre-policy denials are kept as logged.
 */
export async function replayTraffic(traffic: Traffic, engine: PolicyEngine, options: ReplayOptions = {}): Promise<ReplayRun> {
  const judge = new LoggedJudge();
  const clock: Clock = new ManualClock();
  const guard = new Guard({ policy: engine, judge, audit: new DiscardAudit(), mode: 'enforce', clock, compareInShadow: false, judgeTimeoutMs: 600_000 });
  const sessions = new Map<string, Session>();
  const decisions: FinalDecision[] = [];
  const judgedList: boolean[] = [];
  const standIns: boolean[] = [];
  let judgeCalls = 0;
  const approve = async (r: { txn: string }): Promise<ApprovalAnswer> => traffic.approvals.get(r.txn) ?? 'unsupported';

  for (const d of traffic.decisions) {
    if (d.policyEffect === 'pre-deny') {
      decisions.push(d.decision);
      judgedList.push(false);
      standIns.push(false);
      continue;
    }
    let session = sessions.get(d.sessionId);
    if (!session) {
      session = new Session({
        id: d.sessionId,
        task: d.task,
        principal: d.principal,
        ...(options.denialBudget === undefined ? {} : { denialBudget: options.denialBudget }),
      });
      sessions.set(d.sessionId, session);
    } else if (d.task !== '' && d.task !== session.task) {
      session.setTask(d.task);
    }
    judge.current = d;
    judge.called = false;
    judge.standIn = false;
    const out = await guard.decide({ txn: d.txn, sessionId: d.sessionId, call: d.call, principal: d.principal, task: d.task }, session, { approve });
    decisions.push(out.decision);
    judgedList.push(judge.called);
    standIns.push(judge.standIn);
    if (judge.called) judgeCalls++;
    // Results are not in the log; the front recorded one for every call that ran, so the session's counts follow.
    if (traffic.hasOutcomes && traffic.executed.has(d.txn)) session.recordResult(d.call, undefined);
  }
  return { decisions, judged: judgedList, standIn: standIns, judgeCalls };
}

/** What changes between replaying the current policy (`before`) and a proposal (`after`). */
export function compareReplays(traffic: Traffic, before: ReplayRun, after: ReplayRun): ReplayEffect {
  const changes: { txn: string; from: FinalDecision; to: FinalDecision }[] = [];
  let latency = 0;
  let standIns = 0;
  for (const d of traffic.decisions) {
    const i = d.index;
    const from = before.decisions[i];
    const to = after.decisions[i];
    if (from !== undefined && to !== undefined && from !== to) changes.push({ txn: d.txn, from, to });
    if (before.judged[i] && !after.judged[i]) latency += d.judge?.verdict?.latencyMs ?? d.judge?.failure?.latencyMs ?? 0;
    if (after.standIn[i] && !before.standIn[i]) standIns++;
  }
  return {
    changed: changes.length,
    changes,
    judgeCalls: { before: before.judgeCalls, after: after.judgeCalls, saved: before.judgeCalls - after.judgeCalls },
    latencySavedMs: Math.round(latency * 1000) / 1000,
    offlineStandIns: standIns,
  };
}

/** Logged decisions the replay of the current policy does not reproduce. */
export function fidelity(traffic: Traffic, run: ReplayRun): { reproduced: number; mismatched: string[] } {
  const mismatched: string[] = [];
  for (const d of traffic.decisions) if (run.decisions[d.index] !== d.decision) mismatched.push(d.txn);
  return { reproduced: traffic.decisions.length - mismatched.length, mismatched };
}
