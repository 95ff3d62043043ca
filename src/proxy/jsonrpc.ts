/**
 * The JSON-RPC 2.0 envelope as the proxy sees it. Messages cross the proxy
 * mostly untouched, so validation here is deliberately shallow and hand-written
 * (no schema library on the hot path): the envelope is checked, and only the
 * few methods the guard must read (`initialize`, `tools/call`, `tools/list`)
 * have their params looked at, elsewhere.
 */

export type RequestId = string | number;

export interface JsonRpcRequest {
  readonly jsonrpc: '2.0';
  readonly id: RequestId;
  readonly method: string;
  readonly params?: Record<string, unknown> | undefined;
}

export interface JsonRpcNotification {
  readonly jsonrpc: '2.0';
  readonly method: string;
  readonly params?: Record<string, unknown> | undefined;
}

export interface JsonRpcResult {
  readonly jsonrpc: '2.0';
  readonly id: RequestId;
  readonly result: Record<string, unknown>;
}

export interface JsonRpcErrorObject {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

export interface JsonRpcError {
  readonly jsonrpc: '2.0';
  /** Null only when the request's id could not be read (parse errors). */
  readonly id: RequestId | null;
  readonly error: JsonRpcErrorObject;
}

export type JsonRpcResponse = JsonRpcResult | JsonRpcError;
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

/** The classified form of one incoming value. */
export type Classified =
  | { readonly kind: 'request'; readonly message: JsonRpcRequest }
  | { readonly kind: 'notification'; readonly message: JsonRpcNotification }
  | { readonly kind: 'response'; readonly message: JsonRpcResponse }
  | { readonly kind: 'invalid'; readonly id: RequestId | null; readonly reason: string };

/** Standard JSON-RPC error codes (the MCP SDK uses the same numbers). */
export const RPC = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** Implementation-defined server error: the upstream MCP server is gone or failed. */
  UPSTREAM_UNAVAILABLE: -32000,
} as const;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isRequestId(v: unknown): v is RequestId {
  return (typeof v === 'string' && v.length <= 256) || (typeof v === 'number' && Number.isFinite(v));
}

/**
 * Classifies one parsed JSON value as a JSON-RPC request, notification or
 * response, or says why it is none of them. Batches (arrays) are not part of
 * MCP since 2025-06-18 and are refused.
 */
export function classify(value: unknown): Classified {
  if (!isPlainObject(value)) {
    return { kind: 'invalid', id: null, reason: Array.isArray(value) ? 'JSON-RPC batches are not supported' : 'a JSON-RPC message must be an object' };
  }
  const id = value.id;
  const idOk = isRequestId(id);
  if (value.jsonrpc !== '2.0') return { kind: 'invalid', id: idOk ? id : null, reason: 'jsonrpc must be "2.0"' };
  const method = value.method;
  if (method !== undefined) {
    if (typeof method !== 'string' || method.length === 0 || method.length > 256) {
      return { kind: 'invalid', id: idOk ? id : null, reason: 'method must be a non-empty string' };
    }
    const params = value.params;
    if (params !== undefined && !isPlainObject(params)) return { kind: 'invalid', id: idOk ? id : null, reason: 'params must be an object' };
    if (id === undefined) return { kind: 'notification', message: value as unknown as JsonRpcNotification };
    if (!idOk) return { kind: 'invalid', id: null, reason: 'id must be a string or a number' };
    return { kind: 'request', message: value as unknown as JsonRpcRequest };
  }
  if (!idOk && id !== null) return { kind: 'invalid', id: null, reason: 'a response needs an id' };
  if ('result' in value) {
    if (!idOk) return { kind: 'invalid', id: null, reason: 'a result needs an id' };
    if (!isPlainObject(value.result)) return { kind: 'invalid', id, reason: 'result must be an object' };
    return { kind: 'response', message: value as unknown as JsonRpcResult };
  }
  if ('error' in value) {
    const err = value.error;
    if (!isPlainObject(err) || typeof err.code !== 'number' || typeof err.message !== 'string') {
      return { kind: 'invalid', id: idOk ? id : null, reason: 'error must carry a numeric code and a message' };
    }
    return { kind: 'response', message: value as unknown as JsonRpcError };
  }
  return { kind: 'invalid', id: idOk ? id : null, reason: 'neither a request, a notification nor a response' };
}

export function isErrorResponse(m: JsonRpcResponse): m is JsonRpcError {
  return 'error' in m;
}

export function errorResponse(id: RequestId | null, code: number, message: string, data?: unknown): JsonRpcError {
  return data === undefined ? { jsonrpc: '2.0', id, error: { code, message } } : { jsonrpc: '2.0', id, error: { code, message, data } };
}

export function resultResponse(id: RequestId, result: Record<string, unknown>): JsonRpcResult {
  return { jsonrpc: '2.0', id, result };
}

/** Depth of nested arrays/objects in a parsed JSON value, counted iteratively (no recursion on hostile input). */
export function exceedsDepth(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (d > limit) return true;
    if (Array.isArray(v)) {
      for (const item of v) if (typeof item === 'object' && item !== null) stack.push([item, d + 1]);
    } else if (typeof v === 'object' && v !== null) {
      for (const key in v) {
        const item = (v as Record<string, unknown>)[key];
        if (typeof item === 'object' && item !== null) stack.push([item, d + 1]);
      }
    }
  }
  return false;
}
