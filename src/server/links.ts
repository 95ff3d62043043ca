import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/server';
import type { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import type { UpstreamConfig } from '../config/schema.js';
import type { SecretValue } from '../credentials/types.js';
import { IntentguardError } from '../errors.js';
import type { JsonRpcMessage, RequestId } from '../proxy/jsonrpc.js';
import type { Link, LinkSendOptions } from '../proxy/link.js';
import { HttpUpstreamLink } from '../proxy/http-upstream.js';
import type { ProxyLog } from '../proxy/log.js';
import { ChildProcessLink } from '../proxy/stdio-upstream.js';

/**
 * Opens a fresh connection to one configured upstream for one MCP session.
 * Each session gets its own upstream connection so that server-to-client
 * requests (sampling, elicitation, roots) and server state never cross
 * between agents.
 */
export type UpstreamConnector = (upstream: UpstreamConfig, log: ProxyLog) => Link;

/** Options of the default connector. */
export interface ConnectorOptions {
  /** Where stdio upstreams' stderr goes (default: the service's stderr). */
  readonly stderr?: 'inherit' | 'ignore' | undefined;
  /** Static secrets a stdio upstream gets in its environment at spawn (the credentials module's `spawnSecrets`). */
  readonly spawnSecrets?: ((server: string) => Readonly<Record<string, SecretValue>>) | undefined;
}

/**
 * The default connector: a child process for `stdio` upstreams (restarted with
 * backoff by the proxy's link), the SDK's Streamable HTTP client for `http`
 * upstreams. The agent's own token is never part of either: HTTP upstreams get
 * only their configured static headers and, per call, the credential intentguard derived.
 */
export function defaultConnector(options: ConnectorOptions = {}): UpstreamConnector {
  return (upstream, log) => {
    if (upstream.stdio) {
      const secrets = Object.entries(options.spawnSecrets?.(upstream.name) ?? {});
      return new ChildProcessLink({
        command: upstream.stdio.command,
        args: upstream.stdio.args,
        env: secrets.length > 0 ? { ...upstream.stdio.env, ...Object.fromEntries(secrets.map(([k, v]) => [k, v.reveal()])) } : upstream.stdio.env,
        cwd: upstream.stdio.cwd,
        stderr: options.stderr ?? 'inherit',
        log,
      });
    }
    const http = upstream.http;
    if (!http) throw new IntentguardError('IG_CONFIG_INVALID', `upstream ${upstream.name} has neither stdio nor http`);
    const header = upstream.credentials.kind === 'static' ? upstream.credentials.header : undefined;
    return new HttpUpstreamLink(new URL(http.url), { headers: http.headers, ...(header === undefined ? {} : { credentialHeader: header }) });
  };
}

/**
 * The client side of one MCP session over Streamable HTTP: the SDK's Node
 * server transport, seen as a router link. Messages the router relates to a
 * client request go on that request's SSE stream; the rest on the session's
 * standalone GET stream.
 */
export class TransportLink implements Link {
  onmessage?: Link['onmessage'];
  onproblem?: Link['onproblem'];
  onclose?: Link['onclose'];
  onerror?: Link['onerror'];
  readonly #transport: NodeStreamableHTTPServerTransport;

  constructor(transport: NodeStreamableHTTPServerTransport) {
    this.#transport = transport;
    transport.onmessage = (message: JSONRPCMessage, extra?: MessageExtraInfo) => this.onmessage?.(message, extra);
    transport.onclose = () => this.onclose?.();
    transport.onerror = (e: Error) => this.onerror?.(e);
  }

  get sessionId(): string | undefined {
    return this.#transport.sessionId;
  }

  async start(): Promise<void> {
    await this.#transport.start();
  }

  async send(message: JsonRpcMessage, options?: LinkSendOptions): Promise<void> {
    const related: RequestId | undefined = options?.relatedRequestId;
    await this.#transport.send(message as JSONRPCMessage, related === undefined ? undefined : { relatedRequestId: related });
  }

  async close(): Promise<void> {
    await this.#transport.close();
  }
}

/**
 * Two in-process links joined back to back: what one side sends, the other
 * receives (on a microtask, so neither side re-enters the other). The
 * aggregate endpoint puts one router's client side on `a` and itself on `b`.
 */
export function linkPair(): { a: MemoryLink; b: MemoryLink } {
  const a = new MemoryLink();
  const b = new MemoryLink();
  a.peer = b;
  b.peer = a;
  return { a, b };
}

export class MemoryLink implements Link {
  onmessage?: Link['onmessage'];
  onproblem?: Link['onproblem'];
  onclose?: Link['onclose'];
  onerror?: Link['onerror'];
  /** Receives the `relatedRequestId` the sender attached (the aggregate maps it back to the client's request). */
  onrelated?: ((message: JsonRpcMessage, related: RequestId | undefined) => void) | undefined;
  peer: MemoryLink | undefined;
  #closed = false;

  async start(): Promise<void> {}

  async send(message: JsonRpcMessage, options?: LinkSendOptions): Promise<void> {
    const peer = this.peer;
    if (this.#closed || !peer || peer.#closed) return;
    const related = options?.relatedRequestId;
    queueMicrotask(() => {
      if (peer.#closed) return;
      if (peer.onrelated) peer.onrelated(message, related);
      else peer.onmessage?.(message);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.onclose?.();
    void this.peer?.close();
  }
}
