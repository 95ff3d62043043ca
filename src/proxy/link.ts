import type { MessageExtraInfo, TransportSendOptions } from '@modelcontextprotocol/client';
import type { Credential } from '../credentials/types.js';
import type { OversizedFrame } from './framing.js';
import type { JsonRpcMessage } from './jsonrpc.js';

/** Options for one outgoing message on a link (the SDK's transport options, plus the call's credential). */
export interface LinkSendOptions extends TransportSendOptions {
  /**
   * The credential derived for this one `tools/call`. Only links whose
   * `credentialCarrier` is `header` read it (they put it in this request's
   * `Authorization` header); others get it in `_meta` from the router.
   */
  readonly credential?: Credential | undefined;
}

/**
 * One side of the router: the client-facing front or the upstream server.
 * Deliberately the shape of the MCP SDK's `Transport`, so an SDK transport
 * (Streamable HTTP client or server transport) is a link as it is, with a few
 * optional additions that let the stdio links skip re-serialisation.
 */
export interface Link {
  /** Starts reading; called once by the router after its callbacks are installed. */
  start(): Promise<void>;
  /** Sends one message. May reject when the link is closed; the router treats that as the peer being gone. */
  send(message: JsonRpcMessage, options?: LinkSendOptions): Promise<void>;
  /**
   * Sends an already-serialised message verbatim (no trailing newline). Present
   * on links that write frames; the router uses it to forward a message it did
   * not change without serialising it again. `message` is the parsed form of
   * `frame`, for links that look at what they carry (an upstream that replays
   * the `initialize` handshake after a restart).
   */
  sendFrame?(frame: string, message: JsonRpcMessage): void;
  /** Closes the link; `onclose` fires afterwards. */
  close(): Promise<void>;
  /**
   * Called for every message read. `message` is the parsed JSON value, not yet
   * validated as JSON-RPC (the router validates); `frame` is its exact text when
   * the link read it from a stream.
   */
  onmessage?: ((message: unknown, extra?: MessageExtraInfo, frame?: string) => void) | undefined;
  /** A frame that never became a message: not JSON, or over the size limit. */
  onproblem?: ((problem: LinkProblem) => void) | undefined;
  /** The peer is gone (stream ended, transport closed); for a stdio client, answers in flight may still be written. */
  onclose?: (() => void) | undefined;
  /** Something went wrong out of band (a write failed, a transport hiccup); reporting only, never fatal by itself. */
  onerror?: ((error: Error) => void) | undefined;
  /**
   * Upstream links that restart their server call this when the server went
   * away: every request in flight on it is lost and must be answered by the router.
   */
  onreset?: ((reason: string) => void) | undefined;
  /**
   * Upstream links call this with `true` when their peer stopped reading (its
   * input buffer is full) and with `false` once it drained, so the router can
   * stop reading from the client meanwhile: memory stays bounded.
   */
  onpressure?: ((high: boolean) => void) | undefined;
  /** Stops reading from the peer (back-pressure); optional. */
  pause?(): void;
  /** Reads from the peer again. */
  resume?(): void;
  /** Tells an HTTP upstream which protocol version was negotiated (sets its `mcp-protocol-version` header). */
  setProtocolVersion?: ((version: string) => void) | undefined;
  /** Where this link carries a call's credential: `meta` (default: `params._meta["intentguard/credential"]`) or `header`. */
  readonly credentialCarrier?: 'meta' | 'header' | undefined;
  /** The session id of an HTTP link, when it has one. */
  readonly sessionId?: string | undefined;
}

export type LinkProblem = { readonly kind: 'parse'; readonly detail: string } | ({ readonly kind: 'oversized' } & OversizedFrame);
