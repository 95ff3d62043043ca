import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify';
import { systemClock, type Clock } from '../clock.js';
import { ERROR_TABLE, IntentguardError, isIntentguardError, type ErrorCode } from '../errors.js';
import type { Runtime } from '../runtime/runtime.js';
import { registerApiRoutes } from './api.js';
import { AgentAuthenticator, bearerChallenge } from './auth.js';
import type { ServiceContext } from './context.js';
import { loggableError } from './logging.js';
import { registerMcpRoutes, type McpSessions, type UpstreamConnector } from './mcp.js';
import { ServiceMetrics } from './metrics.js';
import { PolicyWatcher, type ReloadResult } from './reload.js';
import { ServiceSessions } from './sessions.js';

/** Options of {@link buildApp}. */
export interface AppOptions {
  /** The spine's pieces, built from the configuration (`createRuntime`). The caller owns and closes it. */
  readonly runtime: Runtime;
  /** Folder that relative secret-file references in the configuration are resolved against (the config file's). */
  readonly baseDir?: string | undefined;
  /** A pino logger (the CLI passes one writing to stderr); omitted or false: no logging. */
  readonly logger?: FastifyBaseLogger | false | undefined;
  readonly clock?: Clock | undefined;
  /** The audit file `/healthz` checks for writability (default: the runtime's audit log). */
  readonly auditFile?: string | undefined;
  /**
   * Plugins registered at the root after the built-in routes: further
   * endpoints such as the credentials module's `/.well-known/jwks.json`. They
   * run outside agent authentication unless they add their own hook.
   */
  readonly extraPlugins?: readonly FastifyPluginAsync[] | undefined;
  /** Watch the policy files and reload on change (default true when policies are configured). */
  readonly watchPolicies?: boolean | undefined;
  /** Debounce of policy file events, in milliseconds (default 200). */
  readonly reloadDebounceMs?: number | undefined;
  /** How MCP sessions reach an upstream (default: stdio child processes and Streamable HTTP, per configuration). */
  readonly upstreamConnector?: UpstreamConnector | undefined;
  /** Include the process metrics of prom-client's default collectors (default true). */
  readonly defaultMetrics?: boolean | undefined;
}

/** Handles on a built app, for the CLI (SIGHUP) and tests. */
export interface ServiceHandle {
  readonly metrics: ServiceMetrics;
  readonly sessions: ServiceSessions;
  readonly mcp: McpSessions;
  /** Reloads the policy set now (SIGHUP); a failure keeps the last good set, is logged, counted and audited. */
  reloadPolicies(): Promise<ReloadResult>;
}

declare module 'fastify' {
  interface FastifyInstance {
    intentguard: ServiceHandle;
  }
}

/** Where the service publishes the JWKS of the credentials it signs. */
export const JWKS_PATH = '/.well-known/jwks.json';

/** The MCP metadata path of a protected resource (RFC 9728 §3.1: inserted between host and path). */
export const PROTECTED_RESOURCE_PATH = '/.well-known/oauth-protected-resource';

/**
 * Builds the HTTP service: MCP Streamable HTTP endpoints (`/mcp/:upstream`,
 * `/mcp`), the decision API (`/v1/decide`, `/v1/sessions`), `/healthz`,
 * `/metrics`, and OAuth protected-resource metadata. Not listening yet.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const runtime = options.runtime;
  const config = runtime.config;
  const clock = options.clock ?? systemClock;
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: config.server.body_limit,
    // Prototype poisoning in JSON bodies is an error, not a silently stripped key.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    forceCloseConnections: true,
    // Time to receive a whole request (headers and body): bounds slow-trickle clients. SSE responses are not affected.
    requestTimeout: 30_000,
  });
  const metrics = new ServiceMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  const auth = await AgentAuthenticator.create(config.server.auth, { baseDir: options.baseDir, clock });
  const sessions = new ServiceSessions(runtime.sessions, config);
  const ctx: ServiceContext = { runtime, metrics, auth, sessions, clock, log: app.log };

  let lastReload: { ok: boolean; at: string; error?: string } | undefined;
  const reloadOnce = async (): Promise<ReloadResult> => {
    const result = await runtime.reloadPolicies();
    metrics.policyReload(result.ok);
    lastReload = { ok: result.ok, at: new Date(clock.now()).toISOString(), ...(result.error ? { error: result.error.describe() } : {}) };
    if (result.ok) app.log.info({ rules: runtime.policy().size }, 'policy set reloaded');
    else app.log.error({ error: result.error?.describe() }, 'policy reload failed: the last good policy set stays in force');
    return result;
  };
  // Reloads run one at a time (file events and SIGHUP may coincide), so an older read never replaces a newer one.
  let reloadChain: Promise<unknown> = Promise.resolve();
  const reloadPolicies = (): Promise<ReloadResult> => {
    const next = reloadChain.then(reloadOnce);
    reloadChain = next.catch(() => undefined);
    return next;
  };
  const watcher =
    (options.watchPolicies ?? true) && runtime.policyPaths.length > 0
      ? new PolicyWatcher({ paths: runtime.policyPaths, reload: reloadPolicies, debounceMs: options.reloadDebounceMs ?? 200, log: app.log })
      : undefined;

  app.decorateRequest('identity', null);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((_request, reply) => sendError(reply, 'IG_NOT_FOUND', 'no such route'));

  app.get('/healthz', async (_request, reply) => {
    const policy = runtime.policy();
    const auditWritable = await isWritable(options.auditFile ?? runtime.audit.file);
    const ok = auditWritable;
    return reply.code(ok ? 200 : 503).send({
      ok,
      mode: runtime.guard.mode,
      policy: {
        rules: policy.size,
        sources: policy.sources.length,
        embeddedDefault: runtime.policyPaths.length === 0,
        // Unauthenticated: the outcome only, never the error (it names files and lines of the policy set).
        ...(lastReload ? { lastReload: { ok: lastReload.ok, at: lastReload.at } } : {}),
      },
      audit: { writable: auditWritable },
    });
  });

  app.get(`${PROTECTED_RESOURCE_PATH}`, async (request, reply) => reply.send(resourceMetadata(ctx, request, '')));
  // intentguard's public signing keys, for tool servers that verify their credentials (`intentguard/verify`). Public by nature: no auth.
  app.get(JWKS_PATH, async (_request, reply) => reply.header('cache-control', 'public, max-age=60').send(runtime.credentials?.jwks() ?? { keys: [] }));
  app.get<{ Params: { '*': string } }>(`${PROTECTED_RESOURCE_PATH}/*`, async (request, reply) => {
    const suffix = `/${request.params['*']}`;
    const known = suffix === '/mcp' || config.upstreams.some((u) => suffix === `/mcp/${u.name}`);
    if (!known) return sendError(reply, 'IG_NOT_FOUND', 'no such protected resource');
    return reply.send(resourceMetadata(ctx, request, suffix));
  });

  let mcp: McpSessions | undefined;
  // Everything below needs an authenticated agent.
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      const outcome = await auth.authenticate(request.headers);
      if (outcome.ok) {
        request.identity = outcome.identity;
        return;
      }
      metrics.authFailure(outcome.reason);
      const metadataUrl = `${baseUrl(ctx, request)}${PROTECTED_RESOURCE_PATH}${resourcePathOf(request.url)}`;
      await reply
        .code(401)
        .header('www-authenticate', bearerChallenge(metadataUrl, outcome.reason))
        .send({ code: 'IG_UNAUTHENTICATED', message: outcome.reason === 'missing' ? 'an API key or bearer token is required' : 'the API key or token is not valid' });
    });

    scope.get('/metrics', async (_request, reply) => {
      const { contentType, body } = await metrics.exposition();
      return reply.header('content-type', contentType).send(body);
    });
    registerApiRoutes(scope, ctx);
    mcp = await registerMcpRoutes(scope, ctx, { connector: options.upstreamConnector });
  });

  for (const plugin of options.extraPlugins ?? []) await app.register(plugin);

  const handle: ServiceHandle = {
    metrics,
    sessions,
    get mcp(): McpSessions {
      if (!mcp) throw new IntentguardError('IG_INTERNAL', 'MCP routes are not registered yet');
      return mcp;
    },
    reloadPolicies,
  };
  app.decorate('intentguard', handle);

  // Every decision of this app's guard is counted, whichever route asked for it (`/v1/decide`, an MCP `tools/call`),
  // and an upstream that failed during an executed call is counted against its upstream. Only the MCP routers run
  // calls, and their `server` is a configured upstream name, so the label set stays bounded.
  const stopObserving = runtime.guard.observe({
    decision: (d) => metrics.observeDecision(d),
    executionFailed: (d, e) => {
      if (isIntentguardError(e) && e.code === 'IG_UPSTREAM') metrics.upstreamError(d.call.server);
    },
  });

  app.addHook('onReady', async () => {
    watcher?.start();
  });
  app.addHook('onClose', async () => {
    stopObserving();
    watcher?.close();
    await mcp?.closeAll();
  });
  return app;
}

/** The path whose protected-resource metadata a request should be pointed at (`/mcp/<name>`, `/mcp`, or the root). */
function resourcePathOf(url: string): string {
  const path = url.split('?')[0] ?? '';
  const m = /^\/mcp(\/[A-Za-z0-9][A-Za-z0-9_-]{0,63})?\/?$/.exec(path);
  if (!m) return '';
  return `/mcp${m[1] ?? ''}`;
}

/** The service's external base URL: configured, or from the request (scheme and Host header). */
function baseUrl(ctx: ServiceContext, request: FastifyRequest): string {
  const configured = ctx.runtime.config.server.public_url;
  if (configured !== undefined) return configured.replace(/\/+$/, '');
  return `${request.protocol}://${request.host}`;
}

/** RFC 9728 protected-resource metadata for the service root or one MCP endpoint. */
function resourceMetadata(ctx: ServiceContext, request: FastifyRequest, suffix: string): Record<string, unknown> {
  return {
    resource: `${baseUrl(ctx, request)}${suffix}`,
    authorization_servers: ctx.auth.authorizationServers,
    bearer_methods_supported: ['header'],
    resource_name: 'intentguard',
  };
}

async function isWritable(file: string): Promise<boolean> {
  try {
    await access(file, fsConstants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function sendError(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  return reply.code(ERROR_TABLE[code].http).send({ code, message });
}

/**
 * Every error leaves as `{ code, message }` with the status of the error
 * table. 5xx answers carry the table's generic text only: their detail goes to
 * the log, never onto the wire.
 */
function errorHandler(this: FastifyInstance, error: FastifyError | IntentguardError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (isIntentguardError(error)) {
    const status = error.httpStatus;
    if (status >= 500) {
      request.log.error({ code: error.code, error: error.describe() }, 'request failed');
      void sendError(reply, error.code, ERROR_TABLE[error.code].docs);
      return;
    }
    void sendError(reply, error.code, error.message);
    return;
  }
  const fe = error as FastifyError;
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    void sendError(reply, 'IG_BODY_TOO_LARGE', `the request body exceeds the limit of ${this.initialConfig.bodyLimit ?? 0} bytes`);
    return;
  }
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    void reply.code(415).send({ code: 'IG_INPUT_INVALID', message: 'the request body must be application/json' });
    return;
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Malformed JSON, an empty JSON body, prototype poisoning, a bad content length.
    void sendError(reply, 'IG_INPUT_INVALID', fe.code?.startsWith('FST_ERR_CTP') || error instanceof SyntaxError ? 'the request body is not valid JSON' : 'bad request');
    return;
  }
  request.log.error({ err: loggableError(error) }, 'unhandled error');
  void sendError(reply, 'IG_INTERNAL', ERROR_TABLE.IG_INTERNAL.docs);
}
