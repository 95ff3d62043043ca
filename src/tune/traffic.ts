import { z } from 'zod';
import { queryAudit } from '../audit/query.js';
import { verifyAuditFile } from '../audit/verify.js';
import { IntentguardError } from '../errors.js';
import type { ArgConstraint } from '../scope/types.js';
import type { HumanLabel, LoggedDecision, Traffic } from './types.js';

/** Bounds on what one tuning run holds in memory. */
export const TRAFFIC_LIMITS = Object.freeze({
  /** Decision records read; a longer log should be cut with `intentguard audit query` first. */
  maxDecisions: 200_000,
  /** Skipped records listed (all are counted). */
  maxSkippedListed: 100,
});

const Args = z.record(z.string(), z.unknown());
const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** The scope algebra's constraint shapes: a log is data, so a constraint is validated before the algebra sees it. */
const ConstraintSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('within'), roots: z.array(z.string()) }),
  z.object({ kind: z.literal('prefix'), prefixes: z.array(z.string()) }),
  z.object({ kind: z.literal('oneOf'), values: z.array(Scalar) }),
  z.object({ kind: z.literal('pattern'), pattern: z.string() }),
  z.object({ kind: z.literal('range'), min: z.number().optional(), max: z.number().optional() }),
  z.object({ kind: z.literal('maxLength'), max: z.number() }),
  z.object({ kind: z.literal('domain'), domains: z.array(z.string()) }),
  z.object({ kind: z.literal('fromTask') }),
  z.object({ kind: z.literal('absent') }),
]);

const BoundarySchema = z.looseObject({
  scopes: z.array(z.string()).default([]),
  args: z.record(z.string(), z.array(ConstraintSchema)).default({}),
});

const VerdictSchema = z.looseObject({
  decision: z.enum(['allow', 'deny', 'narrow']),
  confidence: z.number().min(0).max(1),
  reason: z.string().default(''),
  latencyMs: z.number().nonnegative().default(0),
  args: Args.optional(),
  scopes: z.array(z.string()).optional(),
  provider: z.string().default(''),
  model: z.string().default(''),
});

const FailureSchema = z.looseObject({
  code: z.string(),
  message: z.string().default(''),
  latencyMs: z.number().nonnegative().default(0),
});

const DecisionSchema = z.looseObject({
  type: z.literal('decision'),
  seq: z.number().int().positive(),
  txn: z.string().min(1).max(512),
  sessionId: z.string().max(1024).default(''),
  principal: z
    .looseObject({ agent: z.string().optional(), user: z.string().optional(), groups: z.array(z.string()).optional() })
    .default({}),
  task: z.string().default(''),
  call: z.looseObject({ server: z.string().max(1024), tool: z.string().min(1).max(1024), args: Args }),
  decision: z.enum(['allow', 'deny', 'narrow']),
  mode: z.enum(['enforce', 'shadow']).default('enforce'),
  policyEffect: z.enum(['deny', 'ask', 'judge', 'allow', 'pre-deny']),
  matchedRules: z.array(z.string()).default([]),
  boundary: BoundarySchema.default({ scopes: [], args: {} }),
  grant: z.looseObject({ scopes: z.array(z.string()).default([]), args: Args }).nullable().default(null),
  reasons: z.array(z.string()).default([]),
  judge: z.looseObject({ spec: z.string().default(''), verdict: VerdictSchema.optional(), failure: FailureSchema.optional() }).optional(),
  flags: z.array(z.string()).default([]),
});

const LabelSchema = z.looseObject({
  type: z.literal('label'),
  seq: z.number().int().positive(),
  txn: z.string().min(1).max(512),
  label: z.enum(['allow', 'deny', 'narrow']),
  reviewer: z.string().max(256).optional(),
  note: z.string().max(4096).optional(),
});

const ApprovalSchema = z.looseObject({
  type: z.literal('approval'),
  txn: z.string().min(1),
  answer: z.enum(['accept', 'decline', 'timeout', 'unsupported']),
});

const OutcomeSchema = z.looseObject({ type: z.literal('outcome'), txn: z.string().min(1), executed: z.boolean().optional() });

function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid record';
  const where = issue.path.map(String).join('.');
  return where ? `${where}: ${issue.message}` : issue.message;
}

function toDecision(d: z.infer<typeof DecisionSchema>, index: number): LoggedDecision {
  const principal = {
    ...(d.principal.agent === undefined ? {} : { agent: d.principal.agent }),
    ...(d.principal.user === undefined ? {} : { user: d.principal.user }),
    ...(d.principal.groups === undefined ? {} : { groups: d.principal.groups }),
  };
  const v = d.judge?.verdict;
  const f = d.judge?.failure;
  return {
    index,
    seq: d.seq,
    txn: d.txn,
    sessionId: d.sessionId,
    principal,
    task: d.task,
    call: { server: d.call.server, tool: d.call.tool, args: d.call.args },
    decision: d.decision,
    mode: d.mode,
    policyEffect: d.policyEffect,
    matchedRules: d.matchedRules,
    boundary: { scopes: d.boundary.scopes, args: d.boundary.args as Record<string, ArgConstraint[]> },
    grant: d.grant === null ? null : { scopes: d.grant.scopes, args: d.grant.args },
    reasons: d.reasons,
    judge:
      d.judge === undefined
        ? undefined
        : {
            spec: d.judge.spec,
            verdict:
              v === undefined
                ? undefined
                : {
                    decision: v.decision,
                    confidence: v.confidence,
                    reason: v.reason,
                    latencyMs: v.latencyMs,
                    provider: v.provider,
                    model: v.model,
                    ...(v.args === undefined ? {} : { args: v.args }),
                    ...(v.scopes === undefined ? {} : { scopes: v.scopes }),
                  },
            failure: f === undefined ? undefined : { code: f.code, message: f.message, latencyMs: f.latencyMs },
          },
    flags: d.flags,
  };
}

/**
 * Reads an audit log for review and tuning. The chain is verified first: a
 * log that does not verify is not evidence (IG_AUDIT_BROKEN / IG_AUDIT_TORN,
 * naming the first bad line). Records of other types are counted and passed
 * over; decision and label records that do not validate are skipped and listed.
 * @throws IntentguardError IG_INPUT_INVALID when the file cannot be read or holds too many decisions.
 */
export async function readTraffic(file: string): Promise<Traffic> {
  const verified = await verifyAuditFile(file);
  if (!verified.ok) {
    const bad = verified.firstBad;
    const torn = bad?.reason.includes('torn') ?? false;
    throw new IntentguardError(torn ? 'IG_AUDIT_TORN' : 'IG_AUDIT_BROKEN', `the audit log does not verify (${bad?.reason ?? 'a bad record'})`, {
      location: { file, ...(bad ? { line: bad.line } : {}) },
    });
  }
  const decisions: LoggedDecision[] = [];
  const labels = new Map<string, HumanLabel>();
  const approvals = new Map<string, 'accept' | 'decline' | 'timeout' | 'unsupported'>();
  const executed = new Set<string>();
  const skipped: { line: number; reason: string }[] = [];
  let skippedCount = 0;
  let hasOutcomes = false;
  let records = 0;
  const skip = (seq: unknown, reason: string): void => {
    skippedCount++;
    // A verified log has one record per line, seq = line number.
    if (skipped.length < TRAFFIC_LIMITS.maxSkippedListed) skipped.push({ line: typeof seq === 'number' ? seq : 0, reason });
  };

  for await (const record of queryAudit(file)) {
    records++;
    const type = record.type as string;
    if (type === 'decision') {
      const parsed = DecisionSchema.safeParse(record);
      if (!parsed.success) {
        skip(record.seq, `decision record: ${issueText(parsed.error)}`);
        continue;
      }
      if (decisions.length >= TRAFFIC_LIMITS.maxDecisions) {
        throw new IntentguardError(
          'IG_INPUT_INVALID',
          `the audit log holds more than ${TRAFFIC_LIMITS.maxDecisions} decisions; cut it with \`intentguard audit query\` first`,
          { location: { file } },
        );
      }
      decisions.push(toDecision(parsed.data, decisions.length));
    } else if (type === 'label') {
      const parsed = LabelSchema.safeParse(record);
      if (!parsed.success) {
        skip(record.seq, `label record: ${issueText(parsed.error)}`);
        continue;
      }
      const l = parsed.data;
      labels.set(l.txn, {
        txn: l.txn,
        label: l.label,
        seq: l.seq,
        ...(l.reviewer === undefined ? {} : { reviewer: l.reviewer }),
        ...(l.note === undefined ? {} : { note: l.note }),
      });
    } else if (type === 'approval') {
      const parsed = ApprovalSchema.safeParse(record);
      if (parsed.success) approvals.set(parsed.data.txn, parsed.data.answer);
    } else if (type === 'outcome') {
      const parsed = OutcomeSchema.safeParse(record);
      if (parsed.success) {
        hasOutcomes = true;
        if (parsed.data.executed === true) executed.add(parsed.data.txn);
      }
    }
  }
  return { file, records, decisions, labels, approvals, executed, hasOutcomes, skipped, skippedCount };
}

/** True when a logged call ran upstream: an outcome says so, or (decide-only logs) it was not denied or ran in shadow mode. */
export function callRan(traffic: Traffic, d: LoggedDecision): boolean {
  if (traffic.hasOutcomes) return traffic.executed.has(d.txn);
  return d.mode === 'shadow' || d.decision !== 'deny';
}
