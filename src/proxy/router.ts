import type { MessageExtraInfo } from '@modelcontextprotocol/client';
import type { AuditSink } from '../audit/types.js';
import { systemClock, type Clock } from '../clock.js';
import type { Credential, SecretValue } from '../credentials/types.js';
import { IntentguardError, isIntentguardError } from '../errors.js';
import type { ApprovalAnswer, ApprovalRequest, Approver, Guard, RunResult } from '../guard/guard.js';
import type { Decision, ExecutionOutcome, GuardRequest } from '../guard/types.js';
import type { Principal, SessionState, ToolCall, ToolSpec } from '../session/types.js';
import { approvalAnswer, approvalElicitation, supportsFormElicitation } from './approval.js';
import {
  RPC,
  classify,
  errorResponse,
  exceedsDepth,
  isErrorResponse,
  isPlainObject,
  resultResponse,
  type JsonRpcMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  type RequestId,
} from './jsonrpc.js';
import type { Link, LinkProblem } from './link.js';
import { silentLog, type ProxyLog } from './log.js';
import type { PinStore } from './pins.js';
import { credentialSecrets, scrub } from './scrub.js';
import { resultText } from './results.js';

/** `_meta` key on a `tools/call` carrying the task context (set by the orchestrator). */
export const TASK_META_KEY = 'intentguard/task';
/** `_meta` key carrying the call's credential to a stdio upstream. */
export const CREDENTIAL_META_KEY = 'intentguard/credential';
/** `_meta` key on results the proxy answered or changed: the decision, for clients and tests that look. */
export const DECISION_META_KEY = 'intentguard/decision';

/** Ids the proxy allocates itself; a peer's id with this prefix is remapped so the two spaces never collide. */
const OWN_ID_PREFIX = 'intentguard-';
const MODERN_VERSION_META_KEY = 'io.modelcontextprotocol/protocolVersion';
const FIRST_MODERN_VERSION = '2026-07-28';
const CLIENT_CAPABILITIES_META_KEY = 'io.modelcontextprotocol/clientCapabilities';

export interface RouterOptions {
  /** The upstream's name: what policies match as `server`, and the key of its tool pins. */
  readonly server: string;
  /** The client-facing side (stdio front, or one Streamable HTTP session). */
  readonly client: Link;
  /** The upstream server. */
  readonly upstream: Link;
  readonly guard: Guard;
  /** The session every call of this connection belongs to. */
  readonly session: SessionState;
  /** Who is acting (default: the session's principal). */
  readonly principal?: Principal | undefined;
  /** Where `tool-change` records go (normally the guard's audit log). */
  readonly audit?: AuditSink | undefined;
  /** Tool pins; without a store no definition is pinned. */
  readonly pins?: PinStore | undefined;
  /** What a denied agent is told: the reasons (default) or a generic refusal. */
  readonly denyDetail?: 'reason' | 'generic' | undefined;
  /** How long a human has to answer an approval request. Default 120 s. */
  readonly approvalTimeoutMs?: number | undefined;
  /** Nesting limit for `tools/call` arguments. Default 32. */
  readonly maxArgDepth?: number | undefined;
  /** Characters of a tool result fed to the session's provenance ledger. Default 64 Ki. */
  readonly maxResultText?: number | undefined;
  /** Time limit for the proxy's own requests to the upstream (`tools/list` for pins). Default 30 s. */
  readonly upstreamRequestTimeoutMs?: number | undefined;
  /** The task from the transport (HTTP header `x-intentguard-task`), between `_meta` and the session default. */
  readonly taskFromExtra?: ((extra: MessageExtraInfo | undefined) => string | undefined) | undefined;
  /** The user's own token for pass-through identity, read at each call (the HTTP front keeps the latest the agent presented). */
  readonly subjectToken?: (() => SecretValue | undefined) | undefined;
  /**
   * Secrets the upstream holds for its whole life (static secrets in a stdio
   * child's environment): scrubbed, like a call's credential, from everything
   * the upstream sends back.
   */
  readonly secrets?: readonly SecretValue[] | undefined;
  /** How long answers in flight may take once the client stopped sending. Default 2 s. */
  readonly drainMs?: number | undefined;
  readonly log?: ProxyLog | undefined;
  readonly clock?: Clock | undefined;
}

/** A client request forwarded upstream, or one of the proxy's own requests, awaiting its answer. */
type UpstreamPending =
  | { readonly kind: 'pass' | 'initialize' | 'tools/list'; readonly clientId: RequestId; readonly remapped: boolean; readonly related?: RequestId | undefined }
  | { readonly kind: 'call'; readonly clientId: RequestId; readonly settle: (answer: UpstreamAnswer) => void }
  | { readonly kind: 'own'; readonly settle: (answer: UpstreamAnswer) => void };

/** A server request forwarded to the client, or one of the proxy's own requests to the client. */
type ClientPending =
  | { readonly kind: 'pass'; readonly upstreamId: RequestId; readonly generation: number }
  | { readonly kind: 'own'; readonly settle: (response: JsonRpcResponse | undefined) => void };

type UpstreamAnswer =
  | { readonly kind: 'response'; readonly message: JsonRpcResponse; readonly frame?: string | undefined }
  | { readonly kind: 'lost'; readonly reason: string }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'oversized'; readonly size: number };

/** How long a finished call's credential without an expiry stays in the scrub set. */
const RECENT_SECRET_MS = 60_000;
/** Most finished calls' credentials kept in the scrub set (the oldest go first). */
const MAX_RECENT_SECRETS = 256;

interface CallState {
  cancelled: boolean;
  upstreamId: RequestId | undefined;
  /** The client has its answer: nothing more may be sent for this id (an audit failure after it is only logged). */
  answered: boolean;
  /** A 2026-era request: results the proxy writes itself carry `resultType`. */
  readonly modern: boolean;
}

interface ToolEntry {
  readonly spec: ToolSpec;
  readonly hash?: string | undefined;
  status: 'new' | 'pinned' | 'changed' | 'unpinned';
}

/** What the router counts; cheap, for logs, metrics and tests. */
export interface RouterStats {
  calls: number;
  denied: number;
  forwarded: number;
  upstreamResets: number;
  protocolErrors: number;
}

/**
 * The routing core between one client and one upstream MCP server, whatever
 * the transports. `tools/call` goes through the guard; `tools/list` is
 * filtered and pinned; `initialize` is passed through (the real client and
 * server negotiate the protocol version) and remembered; everything else —
 * resources, prompts, completions, notifications, server-to-client requests
 * and their answers — is forwarded as it came, in both directions.
 */
export class Router {
  readonly stats: RouterStats = { calls: 0, denied: 0, forwarded: 0, upstreamResets: 0, protocolErrors: 0 };
  private readonly o: RouterOptions;
  private readonly log: ProxyLog;
  private readonly clock: Clock;
  private readonly toUpstream = new Map<RequestId, UpstreamPending>();
  private readonly toClient = new Map<RequestId, ClientPending>();
  private readonly calls = new Map<RequestId, CallState>();
  /** Credential strings of the calls in flight upstream, by upstream request id: scrubbed from all upstream traffic meanwhile. */
  private readonly callSecrets = new Map<RequestId, readonly string[]>();
  /** Credentials of finished calls, kept in the scrub set until they expire: an upstream may echo one later. */
  private readonly recentSecrets = new Map<string, number>();
  private readonly staticSecrets: readonly string[];
  private readonly progressOwners = new Map<string | number, RequestId>();
  private ownIds = 0;
  private generation = 0;
  private tools = new Map<string, ToolEntry>();
  private toolsComplete = false;
  private toolsFetch: Promise<void> | undefined;
  private readonly reportedChanges = new Set<string>();
  private clientCapabilities: unknown;
  private modernClient = false;
  private closed = false;
  private lastCall: RequestId | undefined;
  /** Resolves once both links closed. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(options: RouterOptions) {
    this.o = options;
    this.log = options.log ?? silentLog;
    this.clock = options.clock ?? systemClock;
    this.staticSecrets = (options.secrets ?? []).map((s) => s.reveal()).filter((s) => s.length > 0);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** The client's declared capabilities (from `initialize`), once known. */
  get capabilities(): unknown {
    return this.clientCapabilities;
  }

  async start(): Promise<void> {
    const { client, upstream } = this.o;
    client.onmessage = (m, extra, frame) => this.fromClient(m, extra, frame);
    client.onproblem = (p) => this.clientProblem(p);
    client.onclose = () => void this.drainAndClose();
    client.onerror = (e) => this.log('debug', `client link: ${e.message}`);
    upstream.onmessage = (m, _extra, frame) => this.fromUpstream(m, frame);
    upstream.onproblem = (p) => this.upstreamProblem(p);
    upstream.onclose = () => void this.close();
    upstream.onerror = (e) => this.log('warn', `upstream link: ${scrub(e.message, this.activeSecrets())}`);
    upstream.onreset = (reason) => this.upstreamReset(reason);
    upstream.onpressure = (high) => (high ? client.pause?.() : client.resume?.());
    await upstream.start();
    await client.start();
  }

  /**
   * The client stopped sending: answers still in flight are delivered (up to
   * `drainMs`, default 2 s), then both sides close.
   */
  async drainAndClose(drainMs = this.o.drainMs ?? 2000): Promise<void> {
    if (this.closed) return;
    const deadline = this.clock.now() + drainMs;
    while ((this.toUpstream.size > 0 || this.calls.size > 0) && this.clock.now() < deadline && !this.closed) {
      await new Promise((r) => setTimeout(r, 5));
    }
    await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.upstreamReset('the proxy is shutting down');
    for (const [, p] of this.toClient) if (p.kind === 'own') p.settle(undefined);
    this.toClient.clear();
    await Promise.allSettled([this.o.client.close(), this.o.upstream.close()]);
    this.resolveDone();
  }

  // ─── client → upstream ────────────────────────────────────────────────

  private fromClient(value: unknown, extra: MessageExtraInfo | undefined, frame: string | undefined): void {
    const c = classify(value);
    switch (c.kind) {
      case 'request':
        this.clientRequest(c.message, extra, frame);
        return;
      case 'notification':
        this.clientNotification(c.message, frame);
        return;
      case 'response':
        this.clientResponse(c.message, frame);
        return;
      case 'invalid':
        this.stats.protocolErrors++;
        this.replyClient(errorResponse(c.id, RPC.INVALID_REQUEST, `Invalid request: ${c.reason}`));
    }
  }

  private clientRequest(req: JsonRpcRequest, extra: MessageExtraInfo | undefined, frame: string | undefined): void {
    switch (req.method) {
      case 'tools/call':
        void this.toolCall(req, extra);
        return;
      case 'initialize':
        this.clientCapabilities = req.params?.capabilities;
        this.forwardRequest(req, frame, 'initialize');
        return;
      case 'tools/list':
        this.forwardRequest(req, frame, 'tools/list');
        return;
      default:
        this.forwardRequest(req, frame, 'pass');
    }
  }

  private forwardRequest(req: JsonRpcRequest, frame: string | undefined, kind: 'pass' | 'initialize' | 'tools/list'): void {
    let upstreamId: RequestId = req.id;
    const own = withoutOwnMeta(req);
    let message: JsonRpcMessage = own;
    const remapped = this.collides(req.id, this.toUpstream);
    if (remapped) {
      upstreamId = this.nextOwnId();
      message = { ...own, id: upstreamId };
    }
    if (own !== req) frame = undefined;
    const token = progressToken(req.params);
    if (token !== undefined) this.progressOwners.set(token, req.id);
    this.toUpstream.set(upstreamId, { kind, clientId: req.id, remapped, related: token === undefined ? undefined : req.id });
    this.stats.forwarded++;
    this.sendUpstream(message, remapped ? undefined : frame);
  }

  private clientNotification(n: JsonRpcNotification, frame: string | undefined): void {
    // A request sent without an id (a `tools/call` "notification") would reach a lax upstream unguarded and
    // unaudited: only real notifications pass.
    if (!n.method.startsWith('notifications/')) {
      this.log('warn', `dropped a client message without an id whose method is not a notification (${n.method.slice(0, 64)})`);
      return;
    }
    if (n.method === 'notifications/cancelled') {
      const id = n.params?.requestId;
      if (typeof id === 'string' || typeof id === 'number') {
        const call = this.calls.get(id);
        if (call) {
          call.cancelled = true;
          if (call.upstreamId === undefined) return; // not sent upstream yet: it never will be
          this.settleCancelled(call.upstreamId);
          if (call.upstreamId !== id) {
            this.sendUpstream({ ...n, params: { ...n.params, requestId: call.upstreamId } });
            return;
          }
        } else {
          for (const [upId, p] of this.toUpstream) {
            if (p.kind !== 'own' && p.clientId === id) {
              this.toUpstream.delete(upId);
              if (upId !== id) {
                this.sendUpstream({ ...n, params: { ...n.params, requestId: upId } });
                return;
              }
              break;
            }
          }
        }
      }
    }
    const own = withoutOwnMeta(n);
    this.sendUpstream(own, own === n ? frame : undefined);
  }

  private clientResponse(res: JsonRpcResponse, frame: string | undefined): void {
    if (res.id === null) return;
    const p = this.toClient.get(res.id);
    if (!p) {
      this.log('debug', 'dropped a client response to no pending request');
      return;
    }
    this.toClient.delete(res.id);
    if (p.kind === 'own') {
      p.settle(res);
      return;
    }
    // An answer for a server that restarted since it asked is dropped: the new server never asked.
    if (p.generation !== this.generation) return;
    if (p.upstreamId !== res.id) this.sendUpstream({ ...res, id: p.upstreamId });
    else this.sendUpstream(res, frame);
  }

  private clientProblem(p: LinkProblem): void {
    this.stats.protocolErrors++;
    if (p.kind === 'parse') {
      this.replyClient(errorResponse(null, RPC.PARSE_ERROR, `Parse error: ${p.detail}`));
      return;
    }
    this.log('warn', `refused a client message of ${p.size} characters (${p.method ?? 'unknown method'}): over the frame limit`);
    // A notification over the limit has nobody to answer; a request is answered with its own id when it could be read.
    if (p.id === undefined && p.method !== undefined) return;
    this.replyClient(errorResponse(p.id ?? null, RPC.INVALID_REQUEST, `Request too large: ${p.size} characters exceeds the proxy's message size limit`));
  }

  // ─── upstream → client ────────────────────────────────────────────────

  private fromUpstream(raw: unknown, rawFrame: string | undefined): void {
    // Whatever the upstream says — results, errors, notifications, its own requests — carries no credential string onward.
    let value = raw;
    let frame = rawFrame;
    const secrets = this.activeSecrets();
    // Always on the parsed value: the frame may spell a secret with JSON escapes (`\/`, `\u0026`) no text search sees.
    if (secrets.length > 0) {
      const clean = scrub(value, secrets);
      if (clean !== value) {
        value = clean;
        frame = undefined;
      }
    }
    const c = classify(value);
    switch (c.kind) {
      case 'response':
        this.upstreamResponse(c.message, frame);
        return;
      case 'notification':
        this.upstreamNotification(c.message, frame);
        return;
      case 'request':
        this.upstreamRequest(c.message, frame);
        return;
      case 'invalid':
        this.log('warn', `dropped an invalid message from the upstream server: ${c.reason}`);
    }
  }

  private upstreamResponse(res: JsonRpcResponse, frame: string | undefined): void {
    if (res.id === null) {
      this.log('warn', `upstream error without id: ${isErrorResponse(res) ? res.error.message : 'result'}`);
      return;
    }
    const p = this.toUpstream.get(res.id);
    if (!p) {
      this.log('debug', 'dropped an upstream response to no pending request');
      return;
    }
    this.toUpstream.delete(res.id);
    if (p.kind === 'call' || p.kind === 'own') {
      p.settle({ kind: 'response', message: res, frame });
      return;
    }
    if (p.related !== undefined) this.forgetProgress(p.clientId);
    if (p.kind === 'initialize' && !isErrorResponse(res)) {
      const version = res.result.protocolVersion;
      if (typeof version === 'string') this.o.upstream.setProtocolVersion?.(version);
    }
    if (p.kind === 'tools/list' && !isErrorResponse(res)) {
      const listed = this.filterToolList(res.result, p.clientId);
      if (listed !== res.result) {
        this.sendClient(resultResponse(p.clientId, listed));
        return;
      }
    }
    if (p.remapped) this.sendClient({ ...res, id: p.clientId });
    else this.sendClient(res, frame);
  }

  private upstreamNotification(n: JsonRpcNotification, frame: string | undefined): void {
    let related: RequestId | undefined;
    if (n.method === 'notifications/progress') {
      const token = n.params?.progressToken;
      if (typeof token === 'string' || typeof token === 'number') related = this.progressOwners.get(token);
    } else if (n.method === 'notifications/tools/list_changed') {
      this.toolsComplete = false;
    } else if (n.method === 'notifications/cancelled') {
      // The server gave up on a request it sent the client; translate its id if the proxy remapped it.
      const id = n.params?.requestId;
      for (const [clientId, p] of this.toClient) {
        if (p.kind === 'pass' && p.upstreamId === id && p.generation === this.generation) {
          this.toClient.delete(clientId);
          if (clientId !== id) {
            this.sendClient({ ...n, params: { ...n.params, requestId: clientId } }, undefined, this.lastCall);
            return;
          }
          break;
        }
      }
    }
    this.sendClient(n, frame, related ?? this.lastCall);
  }

  private upstreamRequest(req: JsonRpcRequest, frame: string | undefined): void {
    let clientId: RequestId = req.id;
    let message: JsonRpcMessage = req;
    if (this.collides(req.id, this.toClient)) {
      clientId = this.nextOwnId();
      message = { ...req, id: clientId };
    }
    this.toClient.set(clientId, { kind: 'pass', upstreamId: req.id, generation: this.generation });
    this.sendClient(message, clientId === req.id ? frame : undefined, this.lastCall);
  }

  private upstreamProblem(p: LinkProblem): void {
    if (p.kind === 'parse') return;
    this.log('warn', `refused an upstream message of ${p.size} characters: over the frame limit`);
    if (p.id === undefined) return;
    const pending = this.toUpstream.get(p.id);
    if (!pending) return;
    this.toUpstream.delete(p.id);
    if (pending.kind === 'call' || pending.kind === 'own') {
      pending.settle({ kind: 'oversized', size: p.size });
      return;
    }
    this.sendClient(errorResponse(pending.clientId, RPC.INTERNAL_ERROR, `The upstream answer (${p.size} characters) exceeds the proxy's message size limit`));
  }

  private upstreamReset(reason: string): void {
    this.generation++;
    this.stats.upstreamResets++;
    this.tools = new Map();
    this.toolsComplete = false;
    this.toolsFetch = undefined;
    const pending = [...this.toUpstream.values()];
    this.toUpstream.clear();
    this.progressOwners.clear();
    for (const p of pending) {
      if (p.kind === 'call' || p.kind === 'own') p.settle({ kind: 'lost', reason });
      else this.replyClient(errorResponse(p.clientId, RPC.UPSTREAM_UNAVAILABLE, `${reason}; the request was not completed`));
    }
    for (const [id, p] of this.toClient) if (p.kind === 'pass') this.toClient.delete(id);
  }

  // ─── tools/call ───────────────────────────────────────────────────────

  private async toolCall(req: JsonRpcRequest, extra: MessageExtraInfo | undefined): Promise<void> {
    const params = req.params ?? {};
    const name = params.name;
    const args = params.arguments ?? {};
    const meta = params._meta;
    if (typeof name !== 'string' || name.length === 0 || name.length > 512) {
      this.invalidParams(req.id, 'tools/call needs a tool name (a non-empty string)');
      return;
    }
    if (!isPlainObject(args)) {
      this.invalidParams(req.id, 'tools/call arguments must be an object');
      return;
    }
    if (meta !== undefined && !isPlainObject(meta)) {
      this.invalidParams(req.id, '_meta must be an object');
      return;
    }
    const maxDepth = this.o.maxArgDepth ?? 32;
    if (exceedsDepth(args, maxDepth)) {
      this.invalidParams(req.id, `tools/call arguments are nested deeper than ${maxDepth} levels`);
      return;
    }
    if (this.calls.has(req.id)) {
      this.replyClient(errorResponse(req.id, RPC.INVALID_REQUEST, 'a request with this id is already in progress'));
      return;
    }

    this.stats.calls++;
    const version = meta?.[MODERN_VERSION_META_KEY];
    const modern = typeof version === 'string' && version >= FIRST_MODERN_VERSION;
    const state: CallState = { cancelled: false, upstreamId: undefined, answered: false, modern };
    this.calls.set(req.id, state);
    this.lastCall = req.id;
    const session = this.o.session;
    const metaTask = meta?.[TASK_META_KEY];
    const task = (typeof metaTask === 'string' && metaTask.trim() !== '' ? metaTask : undefined) ?? this.o.taskFromExtra?.(extra);
    if (task !== undefined && task !== session.task) session.setTask(task);
    if (meta && isPlainObject(meta[CLIENT_CAPABILITIES_META_KEY])) this.clientCapabilities = meta[CLIENT_CAPABILITIES_META_KEY];
    if (modern) this.modernClient = true;

    try {
      await this.ensureTools(meta);
      const call: ToolCall = { server: this.o.server, tool: name, args };
      const entry = this.tools.get(name);
      const request: GuardRequest = {
        sessionId: session.id,
        call,
        principal: this.o.principal ?? session.principal,
        // The task as this call carried it, captured before any await: a concurrent call may set another.
        task: task ?? session.task,
        tool: entry?.spec,
        preDeny: this.pinDenial(name, entry),
        subjectToken: this.o.subjectToken?.(),
      };
      const run = await this.o.guard.run(request, session, (finalArgs, credential) => this.execute(req, params, meta, state, call, finalArgs, credential), {
        approve: this.approver(req.id),
      });
      this.afterRun(req, state, run);
    } catch (e) {
      this.callFailed(req, state, e);
    } finally {
      this.calls.delete(req.id);
      if (this.lastCall === req.id) this.lastCall = undefined;
    }
  }

  /**
   * The execute step: sends the call upstream with the final arguments and
   * answers the client as soon as the result is in (the outcome record is
   * appended right after, off the agent's latency path).
   */
  private async execute(
    req: JsonRpcRequest,
    params: Record<string, unknown>,
    meta: Record<string, unknown> | undefined,
    state: CallState,
    call: ToolCall,
    finalArgs: Readonly<Record<string, unknown>>,
    credential: Credential | undefined,
  ): Promise<ExecutionOutcome<null>> {
    if (state.cancelled) return { ok: false, executed: false, result: null, error: 'cancelled by the client before it ran' };
    if (this.closed) throw new IntentguardError('IG_UPSTREAM', 'the proxy is shutting down');
    const upstreamId = this.collides(req.id, this.toUpstream) ? this.nextOwnId() : req.id;
    state.upstreamId = upstreamId;
    const forwardMeta = this.upstreamMeta(meta, credential);
    const upParams: Record<string, unknown> = { ...params, arguments: finalArgs };
    // Task-augmented execution would deliver the result later through `tasks/result`, past the scrubbing and the
    // provenance ledger: a guarded call always runs to its answer.
    delete upParams.task;
    if (forwardMeta === undefined) delete upParams._meta;
    else upParams._meta = forwardMeta;
    const token = progressToken(params);
    if (token !== undefined) this.progressOwners.set(token, req.id);

    const callSecrets = credentialSecrets(credential);
    if (callSecrets.length > 0) this.callSecrets.set(upstreamId, callSecrets);
    let answer: UpstreamAnswer;
    try {
      answer = await new Promise<UpstreamAnswer>((settle) => {
        this.toUpstream.set(upstreamId, { kind: 'call', clientId: req.id, settle });
        this.stats.forwarded++;
        this.sendUpstream({ jsonrpc: '2.0', id: upstreamId, method: 'tools/call', params: upParams }, undefined, credential);
      });
    } finally {
      this.callSecrets.delete(upstreamId);
      if (callSecrets.length > 0) {
        // Until the credential expires (it is useless after), or a short window when it carries no expiry. The set is
        // bounded: every upstream message is scrubbed against it, so it must not grow with the call rate.
        const now = this.clock.now();
        const until = (credential?.expiresAt ?? 0) > now ? (credential?.expiresAt ?? 0) : now + RECENT_SECRET_MS;
        for (const secret of callSecrets) {
          this.recentSecrets.delete(secret);
          this.recentSecrets.set(secret, until);
        }
        while (this.recentSecrets.size > MAX_RECENT_SECRETS) {
          const oldest = this.recentSecrets.keys().next().value;
          if (oldest === undefined) break;
          this.recentSecrets.delete(oldest);
        }
      }
    }
    if (token !== undefined) this.forgetProgress(req.id);

    switch (answer.kind) {
      case 'cancelled':
        return { ok: false, result: null, error: 'cancelled by the client' };
      case 'lost':
        throw new IntentguardError('IG_UPSTREAM', answer.reason);
      case 'oversized':
        state.answered = true;
        this.sendClient(toolError(req.id, state.modern, `The tool's answer (${answer.size} characters) exceeds the proxy's message size limit.`));
        return { ok: false, result: null, error: 'upstream answer over the size limit' };
    }

    // The answer goes out first; the session records the result right after, in
    // the same turn of the event loop, so the next call is judged with it.
    const res = answer.message;
    const ran: ToolCall = { ...call, args: finalArgs };
    if (isErrorResponse(res)) {
      state.answered = true;
      this.sendClient(scrub({ ...res, id: req.id }, [...callSecrets, ...this.staticSecrets]));
      this.o.session.recordResult(ran, undefined);
      return { ok: false, result: null, error: `upstream error ${res.error.code}` };
    }
    const secrets = [...callSecrets, ...this.staticSecrets];
    const clean = secrets.length > 0 ? scrub(res.result, secrets) : res.result;
    const changed = changedArgs(call.args, finalArgs);
    const result = changed.length > 0 ? withNarrowingNote(clean, changed) : clean;
    state.answered = true;
    if (result === res.result && upstreamId === req.id && answer.frame !== undefined) this.sendClient(res, answer.frame);
    else this.sendClient(resultResponse(req.id, result));
    this.o.session.recordResult(ran, resultText(clean, this.o.maxResultText ?? 65_536));
    return { ok: result.isError !== true, result: null, ...(result.isError === true ? { error: 'the tool reported an error' } : {}) };
  }

  private afterRun(req: JsonRpcRequest, state: CallState, run: RunResult<null>): void {
    const d = run.decision;
    if (!d.proceed) {
      this.stats.denied++;
      this.sendClient(this.denial(req.id, state.modern, d));
      return;
    }
    if (run.error) {
      this.sendClient(toolError(req.id, state.modern, `intentguard could not derive a credential for this call, so it did not run (${run.error.code}).`, d));
    }
  }

  private callFailed(req: JsonRpcRequest, state: CallState, e: unknown): void {
    if (state.answered) {
      // The call ran and the client has its result; the failure came after (the outcome record could not be
      // written). A second answer would tell the agent the call did not run.
      this.log('error', `after answering the call: ${isIntentguardError(e) ? e.code : 'internal error'}`);
      return;
    }
    if (isIntentguardError(e) && e.code === 'IG_UPSTREAM') {
      this.sendClient(toolError(req.id, state.modern, `The upstream server failed before answering (${e.message}); the call may or may not have taken effect.`));
      return;
    }
    if (isIntentguardError(e) && e.code === 'IG_AUDIT_WRITE') {
      this.log('error', 'the audit log could not be written: the call was not executed');
      this.sendClient(toolError(req.id, state.modern, 'intentguard could not record its decision, so the call did not run.'));
      return;
    }
    this.log('error', `internal error on tools/call: ${e instanceof Error ? e.message : String(e)}`);
    this.sendClient(errorResponse(req.id, RPC.INTERNAL_ERROR, 'Internal error'));
  }

  private denial(id: RequestId, modern: boolean, d: Decision): JsonRpcResponse {
    const generic = this.o.denyDetail === 'generic';
    const reasons = d.reasons.filter((r) => r.trim() !== '');
    const text = generic
      ? `This tool call was refused by policy. (reference ${d.txn})`
      : [
          `intentguard denied this call to ${d.call.tool}: ${reasons.length > 0 ? reasons.join('; ') : 'no rule allows it'}.`,
          `The call did not run. Do not retry it unchanged; if the user really needs it, ask them to confirm or change the task. (reference ${d.txn})`,
        ].join('\n');
    return resultResponse(id, {
      ...(modern ? { resultType: 'complete' } : {}),
      content: [{ type: 'text', text }],
      isError: true,
      _meta: { [DECISION_META_KEY]: generic ? { decision: 'deny', txn: d.txn } : { decision: 'deny', txn: d.txn, flags: d.flags, rules: d.matchedRules } },
    });
  }

  private invalidParams(id: RequestId, message: string): void {
    this.stats.protocolErrors++;
    this.replyClient(errorResponse(id, RPC.INVALID_PARAMS, `Invalid params: ${message}`));
  }

  /** The `_meta` the upstream receives: the client's, minus intentguard's own keys, plus the credential for stdio upstreams. */
  private upstreamMeta(meta: Record<string, unknown> | undefined, credential: Credential | undefined): Record<string, unknown> | undefined {
    let out: Record<string, unknown> | undefined;
    if (meta) {
      for (const key of Object.keys(meta)) {
        // Clients never speak for intentguard: a client-supplied credential or task is not passed on.
        if (key.startsWith('intentguard/')) {
          out ??= { ...meta };
          delete out[key];
        }
      }
      out ??= meta;
    }
    if (credential && (this.o.upstream.credentialCarrier ?? 'meta') === 'meta') {
      out = {
        ...out,
        [CREDENTIAL_META_KEY]: {
          id: credential.id,
          kind: credential.kind,
          token: credential.secret.reveal(),
          audience: credential.audience,
          scopes: credential.scopes,
          expiresAt: credential.expiresAt,
          ...(credential.extra ? { secrets: Object.fromEntries(Object.entries(credential.extra).map(([k, v]) => [k, v.reveal()])) } : {}),
        },
      };
    }
    return out === undefined || Object.keys(out).length === 0 ? undefined : out;
  }

  /** Every credential string that must not travel from the upstream to the client right now. */
  private activeSecrets(): readonly string[] {
    if (this.callSecrets.size === 0 && this.recentSecrets.size === 0) return this.staticSecrets;
    const out = [...this.staticSecrets];
    for (const list of this.callSecrets.values()) out.push(...list);
    const now = this.clock.now();
    for (const [secret, until] of this.recentSecrets) {
      if (until < now) this.recentSecrets.delete(secret);
      else out.push(secret);
    }
    return out;
  }

  private settleCancelled(upstreamId: RequestId): void {
    const p = this.toUpstream.get(upstreamId);
    if (p?.kind === 'call') {
      this.toUpstream.delete(upstreamId);
      p.settle({ kind: 'cancelled' });
    }
  }

  // ─── approval (elicitation) ───────────────────────────────────────────

  private approver(callId: RequestId): Approver | undefined {
    // A 2026-era client takes no server-initiated requests on its connection; it gets the configured fallback.
    if (this.modernClient || !supportsFormElicitation(this.clientCapabilities)) return undefined;
    return (request) => this.askUser(request, callId);
  }

  private async askUser(request: ApprovalRequest, callId: RequestId): Promise<ApprovalAnswer> {
    const id = this.nextOwnId();
    const timeoutMs = this.o.approvalTimeoutMs ?? 120_000;
    const response = await new Promise<JsonRpcResponse | undefined | 'timeout'>((settle) => {
      const timer = setTimeout(() => {
        this.toClient.delete(id);
        this.sendClient({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'approval timed out' } });
        settle('timeout');
      }, timeoutMs);
      timer.unref?.();
      this.toClient.set(id, {
        kind: 'own',
        settle: (r) => {
          clearTimeout(timer);
          settle(r);
        },
      });
      this.sendClient({ jsonrpc: '2.0', id, method: 'elicitation/create', params: approvalElicitation(request) }, undefined, callId);
    });
    if (response === 'timeout') return 'timeout';
    if (response === undefined) return 'decline';
    if (isErrorResponse(response)) return response.error.code === RPC.METHOD_NOT_FOUND ? 'unsupported' : 'decline';
    return approvalAnswer(response.result);
  }

  // ─── tools/list: pins and filtering ───────────────────────────────────

  private filterToolList(result: Record<string, unknown>, clientId: RequestId | undefined): Record<string, unknown> {
    const listed = result.tools;
    if (!Array.isArray(listed)) return result;
    const policy = this.o.guard.policy;
    const principal = this.o.principal ?? this.o.session.principal;
    // Shadow mode blocks nothing, the listing included: the agent must see what it would see without intentguard.
    const filter = this.o.guard.mode !== 'shadow';
    const kept: unknown[] = [];
    for (const raw of listed) {
      if (!isPlainObject(raw) || typeof raw.name !== 'string') continue;
      const spec = raw as unknown as ToolSpec;
      const entry = this.observeTool(spec);
      if (filter && entry.status === 'changed') continue; // its new description must not reach the model before a human approved it
      if (filter && !policy.toolVisible(this.o.server, spec.name, principal)) continue;
      kept.push(raw);
    }
    if (clientId !== undefined && result.nextCursor === undefined) this.toolsComplete = true;
    return kept.length === listed.length ? result : { ...result, tools: kept };
  }

  private observeTool(spec: ToolSpec): ToolEntry {
    const pins = this.o.pins;
    if (!pins) {
      const entry: ToolEntry = { spec, status: 'unpinned' };
      this.tools.set(spec.name, entry);
      return entry;
    }
    let check;
    try {
      check = pins.check(this.o.server, spec);
    } catch (e) {
      // Fail closed: a tool whose pin cannot be recorded is treated as changed.
      this.log('error', `cannot record the pin of ${spec.name}: ${e instanceof Error ? e.message : String(e)}`);
      const entry: ToolEntry = { spec, status: 'changed', hash: '' };
      this.tools.set(spec.name, entry);
      return entry;
    }
    const entry: ToolEntry = { spec, hash: check.hash, status: check.status };
    this.tools.set(spec.name, entry);
    if (check.status === 'changed') {
      const key = `${spec.name}\u0000${check.hash}`;
      if (!this.reportedChanges.has(key)) {
        this.reportedChanges.add(key);
        this.log('warn', `the definition of tool ${this.o.server}/${spec.name} changed since it was pinned: its calls are denied until approved`);
        this.o.audit
          ?.append({
            type: 'tool-change',
            server: this.o.server,
            tool: spec.name,
            pinned: check.pinned,
            seen: check.hash,
            flags: ['tool-changed'],
          })
          .catch((e: unknown) => this.log('error', `cannot audit a tool change: ${e instanceof Error ? e.message : String(e)}`));
      }
    }
    return entry;
  }

  private pinDenial(name: string, entry: ToolEntry | undefined): GuardRequest['preDeny'] {
    if (!entry || entry.status !== 'changed' || !this.o.pins) return undefined;
    if (entry.hash && this.o.pins.isApproved(this.o.server, name, entry.hash)) {
      entry.status = 'pinned';
      return undefined;
    }
    return {
      reason: `the definition of tool ${name} changed since it was pinned; an operator must review and approve it (intentguard tools approve ${this.o.server} ${name})`,
      flag: 'tool-changed',
    };
  }

  /** Makes sure the tool definitions of the current upstream are known (and pinned) before a call is judged. */
  private ensureTools(meta: Record<string, unknown> | undefined): Promise<void> {
    if (this.toolsComplete) return Promise.resolve();
    this.toolsFetch ??= this.fetchTools(envelopeOf(meta)).finally(() => {
      this.toolsFetch = undefined;
    });
    return this.toolsFetch;
  }

  /** Lists the upstream's tools itself; `envelope` is the 2026-era `_meta` a modern client sends with every request. */
  private async fetchTools(envelope: Record<string, unknown> | undefined): Promise<void> {
    const generation = this.generation;
    let cursor: string | undefined;
    for (let page = 0; page < 50; page++) {
      const params: Record<string, unknown> = {
        ...(cursor === undefined ? {} : { cursor }),
        ...(envelope ? { _meta: envelope } : {}),
      };
      const res = await this.requestUpstream('tools/list', params);
      if (!res || isErrorResponse(res) || generation !== this.generation) {
        this.log('warn', 'could not list the upstream tools; calls are judged without their definitions');
        return;
      }
      this.filterToolList(res.result, undefined);
      const next = res.result.nextCursor;
      if (typeof next !== 'string' || next === '') break;
      cursor = next;
    }
    if (generation === this.generation) this.toolsComplete = true;
  }

  private async requestUpstream(method: string, params: Record<string, unknown>): Promise<JsonRpcResponse | undefined> {
    const id = this.nextOwnId();
    const answer = await new Promise<UpstreamAnswer>((settle) => {
      const timer = setTimeout(() => {
        this.toUpstream.delete(id);
        settle({ kind: 'lost', reason: 'timeout' });
      }, this.o.upstreamRequestTimeoutMs ?? 30_000);
      timer.unref?.();
      this.toUpstream.set(id, {
        kind: 'own',
        settle: (a) => {
          clearTimeout(timer);
          settle(a);
        },
      });
      this.sendUpstream({ jsonrpc: '2.0', id, method, params });
    });
    return answer.kind === 'response' ? answer.message : undefined;
  }

  // ─── plumbing ─────────────────────────────────────────────────────────

  private nextOwnId(): string {
    return `${OWN_ID_PREFIX}${++this.ownIds}`;
  }

  /** A peer id that could collide with the proxy's own ids (or with one still pending) gets remapped. */
  private collides(id: RequestId, pending: Map<RequestId, unknown>): boolean {
    return (typeof id === 'string' && id.startsWith(OWN_ID_PREFIX)) || pending.has(id);
  }

  private forgetProgress(clientId: RequestId): void {
    for (const [token, owner] of this.progressOwners) if (owner === clientId) this.progressOwners.delete(token);
  }

  private sendUpstream(message: JsonRpcMessage, frame?: string, credential?: Credential): void {
    const link = this.o.upstream;
    if (frame !== undefined && link.sendFrame) {
      link.sendFrame(frame, message);
      return;
    }
    link.send(message, credential ? { credential } : undefined).catch((e: unknown) => {
      this.log('warn', `could not send to the upstream server: ${scrub(e instanceof Error ? e.message : String(e), [...credentialSecrets(credential), ...this.activeSecrets()])}`);
      if ('id' in message && 'method' in message) {
        const p = this.toUpstream.get(message.id);
        if (!p) return;
        this.toUpstream.delete(message.id);
        if (p.kind === 'call' || p.kind === 'own') p.settle({ kind: 'lost', reason: 'the upstream server could not be reached' });
        else this.replyClient(errorResponse(p.clientId, RPC.UPSTREAM_UNAVAILABLE, 'The upstream server could not be reached'));
      }
    });
  }

  private sendClient(message: JsonRpcMessage, frame?: string, related?: RequestId): void {
    const link = this.o.client;
    if (frame !== undefined && link.sendFrame) {
      link.sendFrame(frame, message);
      return;
    }
    const relatedRequestId = 'id' in message && !('method' in message) ? (message.id ?? undefined) : related;
    link.send(message, relatedRequestId === undefined ? undefined : { relatedRequestId }).catch((e: unknown) => {
      this.log('debug', `could not send to the client: ${e instanceof Error ? e.message : String(e)}`);
    });
  }

  /** Answers the client for something the proxy itself refused (protocol errors). */
  private replyClient(message: JsonRpcResponse): void {
    this.sendClient(message);
  }
}

/** The protocol envelope keys of a 2026-era request's `_meta` (version, client capabilities and info). */
function envelopeOf(meta: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!meta) return undefined;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(meta)) if (k.startsWith('io.modelcontextprotocol/')) (out ??= {})[k] = v;
  return out;
}

function progressToken(params: Record<string, unknown> | undefined): string | number | undefined {
  const meta = params?._meta;
  if (!isPlainObject(meta)) return undefined;
  const t = meta.progressToken;
  return typeof t === 'string' || typeof t === 'number' ? t : undefined;
}

/** A failed tool call, as a tool result the agent can read. */
function toolError(id: RequestId, modern: boolean, text: string, d?: Decision): JsonRpcResponse {
  return resultResponse(id, {
    ...(modern ? { resultType: 'complete' } : {}),
    content: [{ type: 'text', text }],
    isError: true,
    ...(d ? { _meta: { [DECISION_META_KEY]: { decision: d.decision, txn: d.txn } } } : {}),
  });
}

/** Top-level argument names whose value the guard changed (a narrowing). */
function changedArgs(requested: Readonly<Record<string, unknown>>, final: Readonly<Record<string, unknown>>): string[] {
  if (requested === final) return [];
  const out: string[] = [];
  const keys = new Set([...Object.keys(requested), ...Object.keys(final)]);
  for (const k of keys) if (!deepEqual(requested[k], final[k])) out.push(k);
  return out;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

/** Tells the agent its call ran narrowed: a text note it can act on, and the same in `_meta` for programs. */
function withNarrowingNote(result: Record<string, unknown>, changed: string[]): Record<string, unknown> {
  const content = Array.isArray(result.content) ? result.content : [];
  const meta = isPlainObject(result._meta) ? result._meta : {};
  return {
    ...result,
    content: [...content, { type: 'text', text: `[intentguard] this call ran with narrowed arguments (${changed.join(', ')}) to stay within the task's boundary.` }],
    _meta: { ...meta, [DECISION_META_KEY]: { decision: 'narrow', changed } },
  };
}

/**
 * The message without client-supplied `_meta["intentguard/…"]` keys: only intentguard writes those (the credential,
 * the decision), so a client can forge none of them for the upstream. The same object when there are none.
 */
function withoutOwnMeta<M extends JsonRpcRequest | JsonRpcNotification>(message: M): M {
  const meta = message.params?._meta;
  if (!isPlainObject(meta) || !Object.keys(meta).some((k) => k.startsWith('intentguard/'))) return message;
  const clean = Object.fromEntries(Object.entries(meta).filter(([k]) => !k.startsWith('intentguard/')));
  return { ...message, params: { ...message.params, _meta: clean } };
}
