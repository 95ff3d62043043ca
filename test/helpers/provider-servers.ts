import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Scripted LLM provider servers on 127.0.0.1 (port 0) that speak each wire
 * format: OpenAI chat completions (`POST /v1/chat/completions`), Anthropic
 * messages (`POST /v1/messages`) and Ollama chat (`POST /api/chat`). Each
 * request takes the next step of the script (or the fallback when the script
 * is spent); every request is recorded so tests can assert what the model was
 * shown. `close()` destroys open sockets, so a hanging step never keeps a test
 * waiting.
 */

export type ProviderKind = 'openai' | 'anthropic' | 'ollama';

export type ScriptStep =
  /** A valid structured reply carrying this verdict object (OpenAI/Ollama: as JSON text; Anthropic: as the tool input). */
  | { readonly kind: 'verdict'; readonly verdict: Record<string, unknown>; readonly usage?: { input: number; output: number } }
  /** A reply whose text is exactly this (Anthropic: a text block and no tool call). */
  | { readonly kind: 'text'; readonly text: string }
  /** The provider's refusal (OpenAI: the refusal field; Anthropic: stop_reason refusal; Ollama: refusal prose). */
  | { readonly kind: 'refusal'; readonly text?: string }
  /** An error status with the provider's error body. */
  | { readonly kind: 'status'; readonly status: number; readonly headers?: Readonly<Record<string, string>> }
  /** A reply cut off at the token limit. */
  | { readonly kind: 'truncated' }
  /** A 200 reply with exactly this JSON body. */
  | { readonly kind: 'raw'; readonly body: unknown }
  /** Never answers (until the server closes). */
  | { readonly kind: 'hang' }
  /** Answers with `then` after `ms` milliseconds (the timer is cleared on close). */
  | { readonly kind: 'delay'; readonly ms: number; readonly then: ScriptStep }
  /** Drops the connection without a reply. */
  | { readonly kind: 'drop' };

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body (undefined when it was not JSON). */
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface ProviderServer {
  readonly kind: ProviderKind;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** What the SDK takes: OpenAI `…/v1`, Anthropic and Ollama the bare URL. */
  readonly baseURL: string;
  readonly requests: RecordedRequest[];
  /** Appends steps to the script. */
  script(...steps: ScriptStep[]): void;
  /** Steps not yet played. */
  pending(): number;
  close(): Promise<void>;
}

export interface ProviderServerOptions {
  /** Played when the script is spent; default: a 500 saying so. */
  readonly fallback?: ScriptStep | ((request: RecordedRequest) => ScriptStep) | undefined;
}

const PATHS: Record<ProviderKind, string> = {
  openai: '/v1/chat/completions',
  anthropic: '/v1/messages',
  ollama: '/api/chat',
};

const MAX_BODY = 4 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function errorBody(kind: ProviderKind, status: number): unknown {
  const type = status === 429 ? 'rate_limit_error' : status >= 500 ? 'api_error' : 'invalid_request_error';
  const message = `scripted ${status}`;
  if (kind === 'openai') return { error: { message, type, param: null, code: null } };
  if (kind === 'anthropic') return { type: 'error', error: { type, message } };
  return { error: message };
}

function openaiReply(model: string, message: Record<string, unknown>, finish: string, usage = { input: 120, output: 40 }): unknown {
  return {
    id: 'chatcmpl-scripted',
    object: 'chat.completion',
    created: 1_767_225_600,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: null, ...message }, finish_reason: finish, logprobs: null }],
    usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output },
  };
}

function anthropicReply(model: string, content: unknown[], stop: string, usage = { input: 120, output: 40 }): unknown {
  return {
    id: 'msg_scripted',
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage: { input_tokens: usage.input, output_tokens: usage.output, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
}

function ollamaReply(model: string, content: string, doneReason: string, usage = { input: 120, output: 40 }): unknown {
  return {
    model,
    created_at: '2026-01-01T00:00:00Z',
    message: { role: 'assistant', content },
    done: true,
    done_reason: doneReason,
    total_duration: 1,
    load_duration: 1,
    prompt_eval_count: usage.input,
    prompt_eval_duration: 1,
    eval_count: usage.output,
    eval_duration: 1,
  };
}

const REFUSAL_TEXT = "I'm sorry, but I can't help with that.";

export async function startProviderServer(kind: ProviderKind, steps: readonly ScriptStep[] = [], options: ProviderServerOptions = {}): Promise<ProviderServer> {
  const queue: ScriptStep[] = [...steps];
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  function play(step: ScriptStep, req: RecordedRequest, res: ServerResponse): void {
    const model = typeof req.body?.model === 'string' ? (req.body.model as string) : 'scripted-model';
    switch (step.kind) {
      case 'verdict': {
        const json = JSON.stringify(step.verdict);
        if (kind === 'openai') return sendJson(res, 200, openaiReply(model, { content: json }, 'stop', step.usage));
        if (kind === 'anthropic') {
          const block = { type: 'tool_use', id: 'toolu_scripted', name: 'record_verdict', input: step.verdict };
          return sendJson(res, 200, anthropicReply(model, [block], 'tool_use', step.usage));
        }
        return sendJson(res, 200, ollamaReply(model, json, 'stop', step.usage));
      }
      case 'text':
        if (kind === 'openai') return sendJson(res, 200, openaiReply(model, { content: step.text }, 'stop'));
        if (kind === 'anthropic') return sendJson(res, 200, anthropicReply(model, [{ type: 'text', text: step.text }], 'end_turn'));
        return sendJson(res, 200, ollamaReply(model, step.text, 'stop'));
      case 'refusal': {
        const text = step.text ?? REFUSAL_TEXT;
        if (kind === 'openai') return sendJson(res, 200, openaiReply(model, { content: null, refusal: text }, 'stop'));
        if (kind === 'anthropic') return sendJson(res, 200, anthropicReply(model, [], 'refusal'));
        return sendJson(res, 200, ollamaReply(model, text, 'stop'));
      }
      case 'truncated':
        if (kind === 'openai') return sendJson(res, 200, openaiReply(model, { content: '{"reasoning": "The user' }, 'length'));
        if (kind === 'anthropic') {
          const block = { type: 'tool_use', id: 'toolu_scripted', name: 'record_verdict', input: { reasoning: 'The user' } };
          return sendJson(res, 200, anthropicReply(model, [block], 'max_tokens'));
        }
        return sendJson(res, 200, ollamaReply(model, '{"reasoning": "The user', 'length'));
      case 'status':
        return sendJson(res, step.status, errorBody(kind, step.status), step.headers);
      case 'raw':
        return sendJson(res, 200, step.body);
      case 'hang':
        return;
      case 'delay': {
        const t = setTimeout(() => {
          timers.delete(t);
          if (!res.destroyed) play(step.then, req, res);
        }, step.ms);
        timers.add(t);
        return;
      }
      case 'drop':
        res.socket?.destroy();
        return;
    }
  }

  const server = createServer((req, res) => {
    void (async () => {
      let text: string;
      try {
        text = await readBody(req);
      } catch {
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        body = undefined;
      }
      const recorded: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      requests.push(recorded);
      if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== PATHS[kind]) {
        return sendJson(res, 404, errorBody(kind, 404));
      }
      const next = queue.shift();
      const fallback = options.fallback;
      const step: ScriptStep =
        next ?? (typeof fallback === 'function' ? fallback(recorded) : (fallback ?? { kind: 'status', status: 500 }));
      play(step, recorded, res);
    })();
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    kind,
    url,
    baseURL: kind === 'openai' ? `${url}/v1` : url,
    requests,
    script: (...more) => void queue.push(...more),
    pending: () => queue.length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const startOpenAIServer = (steps: readonly ScriptStep[] = [], options?: ProviderServerOptions): Promise<ProviderServer> =>
  startProviderServer('openai', steps, options);
export const startAnthropicServer = (steps: readonly ScriptStep[] = [], options?: ProviderServerOptions): Promise<ProviderServer> =>
  startProviderServer('anthropic', steps, options);
export const startOllamaServer = (steps: readonly ScriptStep[] = [], options?: ProviderServerOptions): Promise<ProviderServer> =>
  startProviderServer('ollama', steps, options);
