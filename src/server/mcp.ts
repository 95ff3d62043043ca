import { randomUUID } from 'node:crypto';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { UpstreamConfig } from '../config/schema.js';
import type { SecretValue } from '../credentials/types.js';
import { IntentguardError, isIntentguardError } from '../errors.js';
import { RPC, isPlainObject } from '../proxy/jsonrpc.js';
import type { Link } from '../proxy/link.js';
import type { ProxyLog } from '../proxy/log.js';
import { PinStore } from '../proxy/pins.js';
import { Router } from '../proxy/router.js';
import type { Principal, SessionState } from '../session/types.js';
import { Aggregator } from './aggregate.js';

import { SESSION_HEADER, TASK_HEADER, identityOf, singleHeader } from './api.js';
import type { AgentIdentity } from './auth.js';
import type { ServiceContext } from './context.js';
import { TransportLink, defaultConnector, linkPair, type UpstreamConnector } from './links.js';
import { loggableError } from './logging.js';
import type { ServiceMetrics } from './metrics.js';

export type { UpstreamConnector } from './links.js';

/** The name the aggregate endpoint goes by in logs and session records. */
const AGGREGATE = '*';
const DEFAULT_MAX_SESSIONS = 100;
const VERSION = '0.1.0';

/** One MCP session over Streamable HTTP: its transport, its routers and the guard session they share. */
interface McpSession {
  readonly id: string;
  /** The upstream's name, or `*` for the aggregate endpoint. */
  readonly endpoint: string;
  /** The authenticated identity that opened it; no other identity may use it. */
  readonly owner: string;
  readonly transport: NodeStreamableHTTPServerTransport;
  readonly guardSession: SessionState;
  readonly routers: readonly Router[];
  lastSeen: number;
  inFlight: number;
  closing: boolean;
  /** The user's token the agent presented last (pass-through identity); never forwarded upstream as is. */
  subjectToken: SecretValue | undefined;
}

/** The live MCP sessions of an app. */
export interface McpSessions {
  /** Sessions open now. */
  readonly size: number;
  /** Closes the sessions idle past `session.idle_ttl_seconds` with no request in flight (runs on a timer too); returns how many. */
  sweepIdle(): number;
  /** Closes every session and its upstream connections (service shutdown). */
  closeAll(): Promise<void>;
}

/**
 * The MCP Streamable HTTP endpoints: `/mcp/:upstream` for each configured
 * upstream and `/mcp` for all of them at once (namespaced, see `Aggregator`).
 * Each session (`Mcp-Session-Id`) gets its own upstream connections and runs
 * every message through the proxy's router: calls are guarded, `tools/list`
 * is filtered and pinned, everything else passes through. The agent's own
 * token never reaches an upstream.
 */
export async function registerMcpRoutes(scope: FastifyInstance, ctx: ServiceContext, options: { connector?: UpstreamConnector | undefined }): Promise<McpSessions> {
  const manager = new SessionManager(ctx, options.connector ?? defaultConnector({ spawnSecrets: (name) => ctx.runtime.credentials?.spawnSecrets(name) ?? {} }));
  await scope.register(async (mcp) => {
    // Errors on these routes are JSON-RPC error objects, as an MCP client expects.
    mcp.setErrorHandler((error: FastifyError, request, reply) => jsonRpcErrorHandler(error, request, reply, ctx));
    const handler = async (request: FastifyRequest<{ Params: { upstream?: string } }>, reply: FastifyReply) => {
      const name = request.params.upstream;
      if (name !== undefined && !ctx.runtime.config.upstreams.some((u) => u.name === name)) {
        return rpcError(reply, 404, RPC.INVALID_REQUEST, `No upstream named ${name.slice(0, 64)}`);
      }
      return manager.handle(request, reply, name ?? AGGREGATE);
    };
    for (const url of ['/mcp', '/mcp/:upstream']) {
      mcp.route({ method: ['POST', 'GET', 'DELETE'], url, handler });
    }
  });
  return manager;
}

class SessionManager implements McpSessions {
  readonly #ctx: ServiceContext;
  readonly #connector: UpstreamConnector;
  readonly #sessions = new Map<string, McpSession>();
  readonly #pins: PinStore | undefined;
  readonly #max: number;
  readonly #idleMs: number;
  readonly #sweeper: NodeJS.Timeout;

  constructor(ctx: ServiceContext, connector: UpstreamConnector) {
    this.#ctx = ctx;
    this.#connector = connector;
    const config = ctx.runtime.config;
    this.#pins = config.upstreams.some((u) => u.pin) ? PinStore.open(config.state_dir) : undefined;
    this.#max = config.server.max_mcp_sessions ?? DEFAULT_MAX_SESSIONS;
    this.#idleMs = config.session.idle_ttl_seconds * 1000;
    this.#sweeper = setInterval(() => this.sweepIdle(), Math.min(60_000, Math.max(1000, this.#idleMs / 4)));
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  async handle(request: FastifyRequest, reply: FastifyReply, endpoint: string): Promise<FastifyReply | undefined> {
    const identity = identityOf(request);
    const sessionHeader = request.headers['mcp-session-id'];
    if (Array.isArray(sessionHeader)) return rpcError(reply, 400, RPC.INVALID_REQUEST, 'Bad Request: one Mcp-Session-Id header at most');

    let session: McpSession | undefined;
    if (sessionHeader !== undefined) {
      session = this.#sessions.get(sessionHeader);
      // Another identity's session id is answered like an unknown one: its existence is nobody else's business.
      if (!session || session.endpoint !== endpoint || session.owner !== identity.id || session.closing) {
        return rpcError(reply, 404, -32001, 'Session not found');
      }
    } else {
      if (request.method !== 'POST' || !isInitialize(request.body)) {
        return rpcError(reply, 400, RPC.INVALID_REQUEST, 'Bad Request: no valid session id; start with an initialize request');
      }
      session = await this.#open(request, endpoint, identity);
      if (!session) return rpcError(reply, 503, RPC.UPSTREAM_UNAVAILABLE, 'Too many MCP sessions; try again later');
    }

    // Same identity (checked above), but perhaps a refreshed token: calls exchange the latest one.
    session.subjectToken = identity.subjectToken;

    // A task header on any request of the session is the orchestrator's latest word (a call's `_meta` still wins).
    const task = singleHeader(request, TASK_HEADER);
    if (task !== undefined && task !== session.guardSession.task) session.guardSession.setTask(task);

    session.inFlight++;
    session.lastSeen = this.#ctx.clock.now();
    reply.hijack();
    try {
      await session.transport.handleRequest(request.raw, reply.raw, request.method === 'POST' ? request.body : undefined);
    } catch (e) {
      request.log.error({ err: loggableError(e) }, 'MCP request failed');
      if (!reply.raw.headersSent) {
        reply.raw.writeHead(500, { 'content-type': 'application/json' });
        reply.raw.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: RPC.INTERNAL_ERROR, message: 'Internal error' } }));
      }
    } finally {
      session.inFlight--;
      session.lastSeen = this.#ctx.clock.now();
    }
    return undefined;
  }

  async #open(request: FastifyRequest, endpoint: string, identity: AgentIdentity): Promise<McpSession | undefined> {
    const config = this.#ctx.runtime.config;
    const id = randomUUID();
    const principal: Principal = identity.principal;
    // A session registered through POST /v1/sessions carries the task; otherwise this MCP session is its own guard session.
    const registered = singleHeader(request, SESSION_HEADER);
    const task = singleHeader(request, TASK_HEADER) ?? '';
    const found = registered === undefined ? undefined : this.#ctx.sessions.find(registered, principal);
    if (registered !== undefined && !found) throw new IntentguardError('IG_NOT_FOUND', 'no such registered session');
    if (this.#sessions.size >= this.#max) return undefined;
    const guardSession: SessionState = found ?? this.#ctx.sessions.open(id, task, principal);

    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      onsessionclosed: () => void this.#close(id),
      maxRequestBodySize: config.server.body_limit,
    });
    const client = new TransportLink(transport);
    const upstreams = endpoint === AGGREGATE ? config.upstreams : config.upstreams.filter((u) => u.name === endpoint);
    const log = this.#log(id, endpoint);
    const routers: Router[] = [];
    const session: McpSession = {
      id,
      endpoint,
      owner: identity.id,
      transport,
      guardSession,
      routers,
      lastSeen: this.#ctx.clock.now(),
      inFlight: 0,
      closing: false,
      subjectToken: identity.subjectToken,
    };
    this.#sessions.set(id, session);
    try {
      if (endpoint !== AGGREGATE) {
        const upstream = upstreams[0];
        if (!upstream) throw new IntentguardError('IG_NOT_FOUND', 'no such upstream');
        const router = this.#router(upstream, client, guardSession, principal, log, () => session.subjectToken);
        routers.push(router);
        await router.start();
      } else {
        const members = upstreams.map((u) => {
          const { a, b } = linkPair();
          routers.push(this.#router(u, a, guardSession, principal, this.#log(id, u.name), () => session.subjectToken));
          return { name: u.name, link: b };
        });
        const aggregator = new Aggregator({ client, members, version: VERSION, log });
        await Promise.all(routers.map((r) => r.start()));
        await aggregator.start();
      }
    } catch (e) {
      await this.#close(id);
      throw e;
    }
    void Promise.all(routers.map((r) => r.done)).then(() => this.#close(id));
    return session;
  }

  #router(
    upstream: UpstreamConfig,
    client: Link,
    session: SessionState,
    principal: Principal,
    log: ProxyLog,
    subjectToken: () => SecretValue | undefined,
  ): Router {
    const config = this.#ctx.runtime.config;
    const link = this.#connector(upstream, log);
    const router = new Router({
      server: upstream.name,
      client,
      upstream: countingErrors(link, upstream.name, this.#ctx.metrics),
      // Its decisions reach the metrics through the app's guard observer (app.ts).
      guard: this.#ctx.runtime.guard,
      session,
      principal,
      audit: this.#ctx.runtime.audit,
      pins: upstream.pin ? this.#pins : undefined,
      denyDetail: config.deny_detail,
      approvalTimeoutMs: config.approval.timeout_ms,
      subjectToken,
      secrets: Object.values(this.#ctx.runtime.credentials?.spawnSecrets(upstream.name) ?? {}),
      log,
    });
    return router;
  }

  #log(session: string, endpoint: string): ProxyLog {
    const child = this.#ctx.log.child({ mcpSession: session, upstream: endpoint });
    return (level, message) => child[level](message);
  }

  async #close(id: string): Promise<void> {
    const session = this.#sessions.get(id);
    if (!session || session.closing) return;
    session.closing = true;
    this.#sessions.delete(id);
    await Promise.allSettled([...session.routers.map((r) => r.close()), session.transport.close()]);
    // The guard session of an unregistered MCP session lives and dies with it.
    if (session.guardSession.id === id) this.#ctx.sessions.forget(id);
  }

  sweepIdle(): number {
    const now = this.#ctx.clock.now();
    let closed = 0;
    for (const s of this.#sessions.values()) {
      if (s.inFlight === 0 && now - s.lastSeen > this.#idleMs) {
        closed++;
        void this.#close(s.id);
      }
    }
    return closed;
  }

  async closeAll(): Promise<void> {
    clearInterval(this.#sweeper);
    await Promise.allSettled([...this.#sessions.keys()].map((id) => this.#close(id)));
  }
}

function isInitialize(body: unknown): boolean {
  return isPlainObject(body) && body.method === 'initialize' && body.id !== undefined;
}

/** An upstream link whose resets and transport errors are counted per upstream. */
function countingErrors(link: Link, upstream: string, metrics: ServiceMetrics): Link {
  return new Proxy(link, {
    set(target, prop, value: unknown) {
      if ((prop === 'onreset' || prop === 'onerror') && typeof value === 'function') {
        const inner = value as (arg: unknown) => void;
        return Reflect.set(target, prop, (arg: unknown) => {
          metrics.upstreamError(upstream);
          inner(arg);
        });
      }
      return Reflect.set(target, prop, value);
    },
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function rpcError(reply: FastifyReply, status: number, code: number, message: string): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send({ jsonrpc: '2.0', id: null, error: { code, message } });
}

/** Body limit, malformed JSON and internal errors on the MCP routes, as JSON-RPC errors with the right HTTP status. */
function jsonRpcErrorHandler(error: FastifyError | IntentguardError, request: FastifyRequest, reply: FastifyReply, ctx: ServiceContext): void {
  if (isIntentguardError(error)) {
    const status = error.httpStatus;
    if (status >= 500) request.log.error({ code: error.code, error: error.describe() }, 'MCP request failed');
    void rpcError(reply, status, status >= 500 ? RPC.INTERNAL_ERROR : RPC.INVALID_REQUEST, status >= 500 ? 'Internal error' : error.message);
    return;
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    void rpcError(reply, 413, RPC.INVALID_REQUEST, `Request body exceeds the limit of ${ctx.runtime.config.server.body_limit} bytes`);
    return;
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    void rpcError(reply, 415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
    return;
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    void rpcError(reply, 400, RPC.PARSE_ERROR, 'Parse error: Invalid JSON');
    return;
  }
  request.log.error({ err: loggableError(error) }, 'MCP request failed');
  void rpcError(reply, 500, RPC.INTERNAL_ERROR, 'Internal error');
}
