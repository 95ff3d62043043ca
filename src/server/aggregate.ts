import {
  RPC,
  classify,
  errorResponse,
  isErrorResponse,
  isPlainObject,
  resultResponse,
  type JsonRpcMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  type RequestId,
} from '../proxy/jsonrpc.js';
import type { Link } from '../proxy/link.js';
import type { ProxyLog } from '../proxy/log.js';
import type { MemoryLink } from './links.js';

/**
 * Separator between an upstream's name and a tool or prompt name on the
 * aggregate endpoint: `filesystem__read_text_file`. Chosen over `.` because
 * several clients and model APIs only accept `[A-Za-z0-9_-]` in tool names.
 */
export const NAMESPACE_SEPARATOR = '__';

/** MCP "resource not found" (the SDK's code for an unknown resource URI). */
const RESOURCE_NOT_FOUND = -32002;
/** Pages fetched per upstream when the aggregate merges a list. */
const MAX_PAGES = 20;
/** URIs remembered for routing `resources/read`; the map is rebuilt when full. */
const MAX_KNOWN_URIS = 10_000;
const OWN_PREFIX = 'ig-agg-';
/** Owner mark of a URI listed by more than one upstream. */
const AMBIGUOUS = '';

export interface AggregateMember {
  /** The upstream's configured name (the namespace). */
  readonly name: string;
  /** The aggregate's end of an in-process link whose other end is this upstream's router client side. */
  readonly link: MemoryLink;
}

export interface AggregatorOptions {
  readonly client: Link;
  readonly members: readonly AggregateMember[];
  /** Time limit for each upstream's part of a merged answer (initialize, lists). Default 30 s. */
  readonly fanoutTimeoutMs?: number | undefined;
  readonly version: string;
  readonly log: ProxyLog;
}

interface Member {
  readonly name: string;
  readonly link: MemoryLink;
  alive: boolean;
  capabilities: Record<string, unknown>;
}

type Pending =
  /** A client request routed to one upstream: its answer goes back with the client's id. */
  | { readonly kind: 'forward'; readonly clientId: RequestId; readonly member: string }
  /** One upstream's part of a merged answer. */
  | { readonly kind: 'collect'; readonly member: string; readonly settle: (res: JsonRpcResponse | undefined) => void };

/** A server-to-client request (sampling, elicitation, roots) forwarded to the client under an aggregate id. */
interface ServerRequest {
  readonly member: string;
  readonly memberId: RequestId;
}

/**
 * The aggregate MCP endpoint: one client session in front of several
 * upstreams, each behind its own router (so every call is guarded, pinned and
 * filtered exactly as on its own endpoint). Tools and prompts are namespaced
 * `upstream__name`; `tools/list`, `prompts/list`, `resources/list` and
 * `resources/templates/list` merge every upstream's (all pages, no cursor);
 * resource URIs are left unchanged and routed to the upstream that listed
 * them (or whose template prefix matches); a URI two upstreams claim is routed
 * to neither. Namespacing also means no upstream can shadow another's tool.
 * Server-to-client requests and notifications of every upstream reach the
 * client with ids that cannot collide.
 */
export class Aggregator {
  readonly #o: AggregatorOptions;
  readonly #members = new Map<string, Member>();
  /** Members by name length, longest first, so `a__b` wins over `a` when resolving `a__b__tool`. */
  readonly #byLength: Member[];
  readonly #pending = new Map<RequestId, Pending>();
  readonly #serverRequests = new Map<RequestId, ServerRequest>();
  readonly #uriOwners = new Map<string, string>();
  #templates: { prefix: string; member: string }[] = [];
  #ids = 0;
  #closed = false;

  constructor(options: AggregatorOptions) {
    this.#o = options;
    for (const m of options.members) this.#members.set(m.name, { name: m.name, link: m.link, alive: true, capabilities: {} });
    this.#byLength = [...this.#members.values()].sort((a, b) => b.name.length - a.name.length);
  }

  async start(): Promise<void> {
    const client = this.#o.client;
    client.onmessage = (m) => this.#fromClient(m);
    client.onclose = () => void this.close();
    client.onerror = (e) => this.#o.log('debug', `client link: ${e.message}`);
    for (const member of this.#members.values()) {
      member.link.onrelated = (m, related) => this.#fromMember(member, m, related);
      member.link.onclose = () => this.#memberGone(member);
    }
    await client.start();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.#pending.values()) if (p.kind === 'collect') p.settle(undefined);
    this.#pending.clear();
    await Promise.allSettled([this.#o.client.close(), ...[...this.#members.values()].map((m) => m.link.close())]);
  }

  // ─── client → upstreams ───────────────────────────────────────────────

  #fromClient(value: unknown): void {
    const c = classify(value);
    switch (c.kind) {
      case 'request':
        void this.#clientRequest(c.message).catch((e: unknown) => {
          this.#o.log('error', `aggregate: ${e instanceof Error ? e.message : String(e)}`);
          this.#reply(errorResponse(c.message.id, RPC.INTERNAL_ERROR, 'Internal error'));
        });
        return;
      case 'notification':
        this.#clientNotification(c.message);
        return;
      case 'response':
        this.#clientResponse(c.message);
        return;
      case 'invalid':
        this.#reply(errorResponse(c.id, RPC.INVALID_REQUEST, `Invalid request: ${c.reason}`));
    }
  }

  async #clientRequest(req: JsonRpcRequest): Promise<void> {
    const params = req.params ?? {};
    switch (req.method) {
      case 'initialize':
        return this.#initialize(req);
      case 'ping':
        return this.#reply(resultResponse(req.id, {}));
      case 'tools/list':
        return this.#mergeList(req, 'tools', 'tools', (m, item) => this.#namespaced(m, item));
      case 'prompts/list':
        return this.#mergeList(req, 'prompts', 'prompts', (m, item) => this.#namespaced(m, item));
      case 'resources/list':
        return this.#mergeList(req, 'resources', 'resources', (m, item) => this.#learnUri(m, item, 'uri'));
      case 'resources/templates/list':
        return this.#mergeList(req, 'resources', 'resourceTemplates', (m, item) => this.#learnUri(m, item, 'uriTemplate'));
      case 'tools/call':
      case 'prompts/get': {
        const target = this.#resolveName(params.name);
        if (!target) {
          return this.#reply(errorResponse(req.id, RPC.INVALID_PARAMS, `Unknown ${req.method === 'tools/call' ? 'tool' : 'prompt'}: names on this endpoint are upstream${NAMESPACE_SEPARATOR}name`));
        }
        return this.#forward(req, target.member, { ...params, name: target.name });
      }
      case 'resources/read':
      case 'resources/subscribe':
      case 'resources/unsubscribe': {
        const owner = typeof params.uri === 'string' ? this.#resolveUri(params.uri) : undefined;
        if (!owner) return this.#reply(errorResponse(req.id, RESOURCE_NOT_FOUND, 'Resource not found'));
        return this.#forward(req, owner, params);
      }
      case 'completion/complete': {
        const ref = params.ref;
        if (isPlainObject(ref) && ref.type === 'ref/prompt') {
          const target = this.#resolveName(ref.name);
          if (!target) return this.#reply(errorResponse(req.id, RPC.INVALID_PARAMS, 'Unknown prompt'));
          return this.#forward(req, target.member, { ...params, ref: { ...ref, name: target.name } });
        }
        if (isPlainObject(ref) && ref.type === 'ref/resource' && typeof ref.uri === 'string') {
          const owner = this.#resolveUri(ref.uri);
          if (!owner) return this.#reply(errorResponse(req.id, RESOURCE_NOT_FOUND, 'Resource not found'));
          return this.#forward(req, owner, params);
        }
        return this.#reply(errorResponse(req.id, RPC.INVALID_PARAMS, 'completion/complete needs a prompt or resource reference'));
      }
      case 'logging/setLevel': {
        const answers = await Promise.all(this.#alive('logging').map((m) => this.#collect(m, req.method, params)));
        const failed = answers.find((a) => a !== undefined && isErrorResponse(a));
        return this.#reply(failed && isErrorResponse(failed) ? { ...failed, id: req.id } : resultResponse(req.id, {}));
      }
      default:
        return this.#reply(errorResponse(req.id, RPC.METHOD_NOT_FOUND, `Method not found: ${req.method} cannot be routed on the aggregate endpoint`));
    }
  }

  async #initialize(req: JsonRpcRequest): Promise<void> {
    const members = [...this.#members.values()].filter((m) => m.alive);
    const answers = await Promise.all(members.map((m) => this.#collect(m, 'initialize', req.params ?? {})));
    const versions: string[] = [];
    let firstError: JsonRpcResponse | undefined;
    const instructions: string[] = [];
    members.forEach((m, i) => {
      const a = answers[i];
      if (!a || isErrorResponse(a)) {
        // An upstream that cannot start is left out of this session rather than failing the others.
        m.alive = false;
        firstError ??= a;
        this.#o.log('warn', `aggregate: upstream ${m.name} did not initialize; it is left out of this session`);
        void m.link.close();
        return;
      }
      m.capabilities = isPlainObject(a.result.capabilities) ? a.result.capabilities : {};
      if (typeof a.result.protocolVersion === 'string') versions.push(a.result.protocolVersion);
      if (typeof a.result.instructions === 'string' && a.result.instructions !== '') instructions.push(`[${m.name}] ${a.result.instructions}`);
    });
    if (versions.length === 0) {
      const e = firstError && isErrorResponse(firstError) ? firstError.error : { code: RPC.UPSTREAM_UNAVAILABLE, message: 'No upstream server could be initialized' };
      return this.#reply(errorResponse(req.id, e.code, e.message));
    }
    // Every upstream negotiated with the client's requested version; when they differ, the oldest is the common ground.
    const protocolVersion = versions.sort()[0]!;
    return this.#reply(
      resultResponse(req.id, {
        protocolVersion,
        capabilities: this.#mergedCapabilities(),
        serverInfo: { name: 'intentguard-aggregate', version: this.#o.version },
        ...(instructions.length > 0 ? { instructions: instructions.join('\n\n') } : {}),
      }),
    );
  }

  #mergedCapabilities(): Record<string, unknown> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const m of this.#members.values()) {
      if (!m.alive) continue;
      for (const key of ['tools', 'prompts', 'resources', 'logging', 'completions'] as const) {
        const cap = m.capabilities[key];
        if (!isPlainObject(cap)) continue;
        const merged = (out[key] ??= {});
        // Only the boolean flags the aggregate can honour are merged (listChanged, subscribe).
        for (const flag of ['listChanged', 'subscribe']) if (cap[flag] === true) merged[flag] = true;
      }
    }
    return out;
  }

  async #mergeList(req: JsonRpcRequest, capability: string, key: string, map: (member: Member, item: Record<string, unknown>) => Record<string, unknown> | undefined): Promise<void> {
    const parts = await Promise.all(
      this.#alive(capability).map(async (m) => {
        const items: Record<string, unknown>[] = [];
        let cursor: string | undefined;
        for (let page = 0; page < MAX_PAGES; page++) {
          const res = await this.#collect(m, req.method, cursor === undefined ? {} : { cursor });
          if (!res || isErrorResponse(res)) {
            this.#o.log('warn', `aggregate: ${req.method} failed on upstream ${m.name}; its entries are missing from the merged list`);
            break;
          }
          const list = res.result[key];
          if (Array.isArray(list)) for (const item of list) if (isPlainObject(item)) {
            const mapped = map(m, item);
            if (mapped) items.push(mapped);
          }
          const next = res.result.nextCursor;
          if (typeof next !== 'string' || next === '') break;
          cursor = next;
        }
        return items;
      }),
    );
    this.#reply(resultResponse(req.id, { [key]: parts.flat() }));
  }

  #namespaced(member: Member, item: Record<string, unknown>): Record<string, unknown> | undefined {
    if (typeof item.name !== 'string') return undefined;
    return { ...item, name: `${member.name}${NAMESPACE_SEPARATOR}${item.name}` };
  }

  #learnUri(member: Member, item: Record<string, unknown>, field: 'uri' | 'uriTemplate'): Record<string, unknown> | undefined {
    const uri = item[field];
    if (typeof uri !== 'string') return undefined;
    if (this.#uriOwners.size >= MAX_KNOWN_URIS) this.#uriOwners.clear();
    // Two upstreams listing the same URI make it ambiguous: neither gets it, so no server can capture another's resources.
    const owner = this.#uriOwners.get(uri);
    this.#uriOwners.set(uri, owner === undefined || owner === member.name ? member.name : AMBIGUOUS);
    if (field === 'uriTemplate') {
      const prefix = uri.split('{')[0] ?? '';
      if (prefix !== '' && !this.#templates.some((t) => t.prefix === prefix && t.member === member.name)) {
        this.#templates = [...this.#templates, { prefix, member: member.name }].sort((a, b) => b.prefix.length - a.prefix.length).slice(0, 1000);
      }
    }
    return item;
  }

  #resolveName(name: unknown): { member: string; name: string } | undefined {
    if (typeof name !== 'string') return undefined;
    for (const m of this.#byLength) {
      const prefix = `${m.name}${NAMESPACE_SEPARATOR}`;
      if (m.alive && name.startsWith(prefix) && name.length > prefix.length) return { member: m.name, name: name.slice(prefix.length) };
    }
    return undefined;
  }

  #resolveUri(uri: string): string | undefined {
    const known = this.#uriOwners.get(uri);
    if (known === AMBIGUOUS) return undefined;
    if (known !== undefined) return this.#members.get(known)?.alive ? known : undefined;
    // The longest matching template prefix decides; a tie between upstreams is ambiguous.
    const matching = this.#templates.filter((t) => uri.startsWith(t.prefix) && this.#members.get(t.member)?.alive);
    const longest = matching[0];
    if (longest) {
      const owners = new Set(matching.filter((t) => t.prefix.length === longest.prefix.length).map((t) => t.member));
      return owners.size === 1 ? longest.member : undefined;
    }
    const withResources = this.#alive('resources');
    return withResources.length === 1 ? withResources[0]!.name : undefined;
  }

  #alive(capability: string): Member[] {
    return [...this.#members.values()].filter((m) => m.alive && isPlainObject(m.capabilities[capability]));
  }

  #forward(req: JsonRpcRequest, memberName: string, params: Record<string, unknown>): void {
    const member = this.#members.get(memberName);
    if (!member?.alive) {
      this.#reply(errorResponse(req.id, RPC.UPSTREAM_UNAVAILABLE, `The upstream server ${memberName} is not available`));
      return;
    }
    const id = this.#nextId();
    this.#pending.set(id, { kind: 'forward', clientId: req.id, member: member.name });
    void member.link.send({ jsonrpc: '2.0', id, method: req.method, params });
  }

  /** Sends one of the aggregate's own requests to an upstream's router and waits for the answer (undefined: lost or timed out). */
  #collect(member: Member, method: string, params: Record<string, unknown>): Promise<JsonRpcResponse | undefined> {
    const id = this.#nextId();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve(undefined);
      }, this.#o.fanoutTimeoutMs ?? 30_000);
      timer.unref();
      this.#pending.set(id, {
        kind: 'collect',
        member: member.name,
        settle: (res) => {
          clearTimeout(timer);
          resolve(res);
        },
      });
      void member.link.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  #clientNotification(n: JsonRpcNotification): void {
    // A request without an id (a `tools/call` "notification") would reach every upstream unguarded: only real
    // notifications pass.
    if (!n.method.startsWith('notifications/')) return;
    if (n.method === 'notifications/cancelled') {
      const requestId = n.params?.requestId;
      for (const [id, p] of this.#pending) {
        if (p.kind === 'forward' && p.clientId === requestId) {
          this.#pending.delete(id);
          void this.#members.get(p.member)?.link.send({ ...n, params: { ...n.params, requestId: id } });
          return;
        }
      }
      return;
    }
    // initialized, roots/list_changed, …: every upstream hears it.
    for (const m of this.#members.values()) if (m.alive) void m.link.send(n);
  }

  #clientResponse(res: JsonRpcResponse): void {
    if (res.id === null) return;
    const target = this.#serverRequests.get(res.id);
    if (!target) return;
    this.#serverRequests.delete(res.id);
    void this.#members.get(target.member)?.link.send({ ...res, id: target.memberId });
  }

  // ─── upstreams → client ───────────────────────────────────────────────

  #fromMember(member: Member, message: JsonRpcMessage, related: RequestId | undefined): void {
    const c = classify(message);
    if (c.kind === 'response') {
      const res = c.message;
      if (res.id === null) return;
      const p = this.#pending.get(res.id);
      if (!p) return;
      this.#pending.delete(res.id);
      if (p.kind === 'collect') p.settle(res);
      else this.#reply({ ...res, id: p.clientId });
      return;
    }
    const clientRelated = this.#clientIdOf(related);
    if (c.kind === 'request') {
      const id = this.#nextId();
      this.#serverRequests.set(id, { member: member.name, memberId: c.message.id });
      this.#send({ ...c.message, id }, clientRelated);
      return;
    }
    if (c.kind === 'notification') {
      let n = c.message;
      if (n.method === 'notifications/cancelled') {
        // The upstream gave up on a request it sent the client: name it by the id the client knows.
        const requestId = n.params?.requestId;
        const entry = [...this.#serverRequests].find(([, s]) => s.member === member.name && s.memberId === requestId);
        if (!entry) return;
        this.#serverRequests.delete(entry[0]);
        n = { ...n, params: { ...n.params, requestId: entry[0] } };
      }
      this.#send(n, clientRelated);
    }
  }

  #clientIdOf(related: RequestId | undefined): RequestId | undefined {
    if (related === undefined) return undefined;
    const p = this.#pending.get(related);
    return p?.kind === 'forward' ? p.clientId : undefined;
  }

  #memberGone(member: Member): void {
    if (!member.alive) return;
    member.alive = false;
    for (const [id, p] of this.#pending) {
      if (p.member !== member.name) continue;
      this.#pending.delete(id);
      if (p.kind === 'collect') p.settle(undefined);
      else this.#reply(errorResponse(p.clientId, RPC.UPSTREAM_UNAVAILABLE, `The upstream server ${member.name} went away`));
    }
  }

  #nextId(): string {
    return `${OWN_PREFIX}${++this.#ids}`;
  }

  #reply(message: JsonRpcResponse): void {
    this.#send(message, undefined);
  }

  #send(message: JsonRpcMessage, related: RequestId | undefined): void {
    this.#o.client.send(message, related === undefined ? undefined : { relatedRequestId: related }).catch((e: unknown) => {
      this.#o.log('debug', `could not send to the client: ${e instanceof Error ? e.message : String(e)}`);
    });
  }
}
