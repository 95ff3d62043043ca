import { randomUUID } from 'node:crypto';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { JSONRPCMessage } from '@modelcontextprotocol/client';
import type { Credential } from '../credentials/types.js';
import type { JsonRpcMessage } from './jsonrpc.js';
import type { Link, LinkSendOptions } from './link.js';
import { scrub } from './scrub.js';

/** The per-message header the fetch hook trades for the credential; it never leaves the process. */
const CREDENTIAL_REF_HEADER = 'x-intentguard-credential-ref';

export interface HttpUpstreamOptions {
  /** Static, non-secret headers sent with every request (config `upstreams[].http.headers`). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** The header carrying a call's credential: `authorization` (default, as `Bearer <token>`) or another name (raw token). */
  readonly credentialHeader?: string | undefined;
  /** The fetch implementation (tests, proxies); default the global fetch. */
  readonly fetch?: typeof fetch | undefined;
}

/**
 * An upstream MCP server over Streamable HTTP (the SDK's client transport).
 * A call's credential goes in the `Authorization` header of that call's POST
 * only: the message carries an opaque reference header, and the transport's
 * fetch hook swaps it for the credential just before the request leaves.
 */
export class HttpUpstreamLink implements Link {
  onmessage?: Link['onmessage'];
  onproblem?: Link['onproblem'];
  onclose?: Link['onclose'];
  onerror?: Link['onerror'];
  readonly credentialCarrier = 'header' as const;
  private readonly transport: StreamableHTTPClientTransport;
  private readonly credentials = new Map<string, string>();
  private readonly credentialHeader: string;

  constructor(url: URL, options: HttpUpstreamOptions = {}) {
    this.credentialHeader = (options.credentialHeader ?? 'authorization').toLowerCase();
    const baseFetch = options.fetch ?? fetch;
    // No redirects: a credential header meant for this upstream must never follow a redirect to another origin.
    const hooked: typeof fetch = (input, init) => baseFetch(input, { ...this.withCredential(init), redirect: 'error' });
    this.transport = new StreamableHTTPClientTransport(url, {
      fetch: hooked,
      ...(options.headers ? { requestInit: { headers: { ...options.headers } } } : {}),
    });
    this.transport.onmessage = (message) => this.onmessage?.(message);
    this.transport.onclose = () => this.onclose?.();
    // The SDK puts an upstream's error body in its messages; one that echoes the Authorization header must not carry it on.
    this.transport.onerror = (e) => this.onerror?.(withoutSecrets(e, [...this.credentials.values()]));
  }

  get sessionId(): string | undefined {
    return this.transport.sessionId;
  }

  async start(): Promise<void> {
    await this.transport.start();
  }

  async send(message: JsonRpcMessage, options?: LinkSendOptions): Promise<void> {
    const credential: Credential | undefined = options?.credential;
    if (!credential) {
      await this.transport.send(message as JSONRPCMessage);
      return;
    }
    const ref = randomUUID();
    this.credentials.set(ref, credential.secret.reveal());
    try {
      await this.transport.send(message as JSONRPCMessage, { headers: { [CREDENTIAL_REF_HEADER]: ref } });
    } catch (e) {
      throw withoutSecrets(e, [credential.secret.reveal()]);
    } finally {
      this.credentials.delete(ref);
    }
  }

  setProtocolVersion(version: string): void {
    this.transport.setProtocolVersion(version);
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  private withCredential(init: RequestInit | undefined): RequestInit | undefined {
    if (!init?.headers) return init;
    const headers = new Headers(init.headers);
    const ref = headers.get(CREDENTIAL_REF_HEADER);
    if (ref === null) return init;
    headers.delete(CREDENTIAL_REF_HEADER);
    const token = this.credentials.get(ref);
    if (token !== undefined) headers.set(this.credentialHeader, this.credentialHeader === 'authorization' ? `Bearer ${token}` : token);
    return { ...init, headers };
  }
}

/** The error with every secret cut from its message (and no cause, which may hold a response body). */
function withoutSecrets(e: unknown, secrets: readonly string[]): Error {
  const error = e instanceof Error ? e : new Error(String(e));
  const message = scrub(error.message, secrets);
  if (message === error.message && error.cause === undefined) return error;
  const clean = new Error(message);
  clean.name = error.name;
  return clean;
}
