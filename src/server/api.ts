import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { IntentguardError } from '../errors.js';
import type { Decision, GuardRequest } from '../guard/types.js';
import type { Principal, SessionState } from '../session/types.js';
import type { AgentIdentity } from './auth.js';
import type { ServiceContext } from './context.js';
import { DecideBody, ResultBody, SessionBody, SessionId, describeIssues, exceedsDepth } from './schemas.js';

/** The header naming a session registered through `POST /v1/sessions`. */
export const SESSION_HEADER = 'x-intentguard-session';
/** The header carrying the task context (trusted: set by the orchestrator, never by the model). */
export const TASK_HEADER = 'x-intentguard-task';

/**
 * The JSON API for agents that are not MCP clients:
 * - `POST /v1/decide` runs the guard's decision (policy, judge, scope; audited)
 *   for one call and returns the decision and grant. It never executes anything.
 * - `POST /v1/sessions` registers a session with its task; its id goes in the
 *   `x-intentguard-session` header (or the `session` field) of later requests,
 *   including MCP requests.
 * - `POST /v1/sessions/:id/results` reports the result of a call the caller ran
 *   itself, so the session's provenance ledger sees it (results are untrusted).
 */
export function registerApiRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.post('/v1/decide', async (request, reply) => {
    const identity = identityOf(request);
    const body = parseBody(DecideBody, request.body, true);
    const principal = principalFor(identity, body.principal);
    const headerSession = singleHeader(request, SESSION_HEADER);
    const sessionId = body.session ?? (headerSession === undefined ? undefined : parseSessionId(headerSession));
    const taskHeader = singleHeader(request, TASK_HEADER);

    // Task precedence: the body (the orchestrator's per-call task) > the header > the session's registered task.
    let session: SessionState;
    const explicitTask = body.task ?? taskHeader;
    if (sessionId === undefined) {
      session = ctx.sessions.ephemeral(explicitTask ?? '', principal, body.history, body.call.server);
    } else {
      session = ctx.sessions.open(sessionId, explicitTask ?? '', principal);
    }
    const guardRequest: GuardRequest = {
      sessionId: session.id,
      call: body.call,
      principal,
      task: session.task,
      history: body.history,
      tool: body.tool,
      tools: body.tools,
      subjectToken: identity.subjectToken,
    };
    // Counted in the metrics by the app's guard observer.
    const decision = await ctx.runtime.guard.decide(guardRequest, session);
    return reply.send(decisionView(decision, sessionId, ctx.runtime.config.deny_detail));
  });

  app.post('/v1/sessions', async (request, reply) => {
    const identity = identityOf(request);
    const body = parseBody(SessionBody, request.body, false);
    const principal = principalFor(identity, body.principal);
    const session = ctx.sessions.register(body.id, body.task, principal);
    return reply.code(201).send({ id: session.id, task: session.task, principal: session.principal });
  });

  app.post<{ Params: { id: string } }>('/v1/sessions/:id/results', async (request, reply) => {
    const identity = identityOf(request);
    const id = parseSessionId(request.params.id);
    const body = parseBody(ResultBody, request.body, true);
    // An orchestrator (which may act for any principal) may report results to the sessions it registered for others.
    const session = ctx.sessions.find(id, identity.mayOverridePrincipal ? undefined : identity.principal);
    if (!session) throw new IntentguardError('IG_NOT_FOUND', 'no such session');
    session.recordResult(body.call, body.result);
    return reply.code(204).send();
  });
}

/** The authenticated identity the auth hook attached; a route without one is a programming error. */
export function identityOf(request: FastifyRequest): AgentIdentity {
  const identity = request.identity;
  if (!identity) throw new IntentguardError('IG_INTERNAL', 'route reached without authentication');
  return identity;
}

/**
 * The principal of a request: the authenticated identity's, unless the body
 * names one and the identity may override it (an orchestrator key, or an open
 * development service). A body principal from anyone else is refused rather
 * than silently ignored.
 */
export function principalFor(identity: AgentIdentity, requested: Principal | undefined): Principal {
  if (requested === undefined) return identity.principal;
  if (!identity.mayOverridePrincipal) throw new IntentguardError('IG_FORBIDDEN', 'this agent may not name another principal');
  return Object.freeze({
    ...(requested.agent === undefined ? {} : { agent: requested.agent }),
    ...(requested.user === undefined ? {} : { user: requested.user }),
    ...(requested.groups === undefined ? {} : { groups: Object.freeze([...requested.groups]) }),
  });
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown, checkDepth: boolean): T {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new IntentguardError('IG_INPUT_INVALID', 'the request body must be a JSON object');
  }
  if (checkDepth && exceedsDepth(body)) throw new IntentguardError('IG_INPUT_INVALID', 'the request body is nested too deeply');
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new IntentguardError('IG_INPUT_INVALID', `invalid request body: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

function parseSessionId(value: string): string {
  const parsed = SessionId.safeParse(value);
  if (!parsed.success) throw new IntentguardError('IG_INPUT_INVALID', `invalid session id: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** A header's value when sent once; a repeated header is ambiguous and refused. */
export function singleHeader(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  if (Array.isArray(v)) throw new IntentguardError('IG_INPUT_INVALID', `header ${name} was sent more than once`);
  return v === undefined || v === '' ? undefined : v;
}

/** What `/v1/decide` answers: the decision and grant, without the policy boundary's internals. */
function decisionView(d: Decision, session: string | undefined, denyDetail: 'reason' | 'generic'): Record<string, unknown> {
  const generic = denyDetail === 'generic' && d.decision === 'deny';
  const judge = d.judge;
  return {
    txn: d.txn,
    ...(session === undefined ? {} : { session }),
    decision: d.decision,
    proceed: d.proceed,
    mode: d.mode,
    grant: d.grant,
    reasons: generic ? ['the call is not allowed'] : d.reasons,
    matchedRules: generic ? [] : d.matchedRules,
    policyEffect: d.policyEffect,
    flags: d.flags,
    ...(judge === undefined
      ? {}
      : {
          judge: {
            spec: judge.spec,
            ...(judge.verdict
              ? { decision: judge.verdict.decision, confidence: judge.verdict.confidence, cached: judge.verdict.cached }
              : {}),
            ...(judge.failure ? { failure: judge.failure.code } : {}),
          },
        }),
    timings: d.timings,
  };
}
