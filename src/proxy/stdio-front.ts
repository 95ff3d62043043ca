import type { Readable, Writable } from 'node:stream';
import { DEFAULT_MAX_FRAME, LineFramer } from './framing.js';
import type { JsonRpcMessage } from './jsonrpc.js';
import type { Link } from './link.js';

/**
 * The client-facing stdio link: newline-delimited JSON-RPC on a readable and a
 * writable stream (the proxy's own stdin and stdout). Nothing but JSON-RPC is
 * ever written to `output`.
 */
export class StreamLink implements Link {
  onmessage?: Link['onmessage'];
  onproblem?: Link['onproblem'];
  onclose?: Link['onclose'];
  onerror?: Link['onerror'];
  private readonly framer: LineFramer;
  private closed = false;
  private readonly onData = (chunk: Buffer) => this.framer.push(chunk);
  // End of input: the client is done sending, but answers still in flight may be written until close().
  private readonly onEnd = () => {
    this.framer.end();
    this.onclose?.();
  };
  private readonly onInputError = (e: Error) => this.onerror?.(e);

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    options: { maxFrame?: number | undefined } = {},
  ) {
    this.framer = new LineFramer(
      {
        frame: (line) => {
          let value: unknown;
          try {
            value = JSON.parse(line);
          } catch (e) {
            // SyntaxError for bad JSON, RangeError for nesting deeper than the parser's stack.
            this.onproblem?.({ kind: 'parse', detail: e instanceof RangeError ? 'nesting too deep' : 'invalid JSON' });
            return;
          }
          this.onmessage?.(value, undefined, line);
        },
        oversized: (info) => this.onproblem?.({ kind: 'oversized', ...info }),
      },
      options.maxFrame ?? DEFAULT_MAX_FRAME,
    );
  }

  async start(): Promise<void> {
    this.input.on('data', this.onData);
    this.input.on('end', this.onEnd);
    this.input.on('error', this.onInputError);
    this.output.on('error', (e: Error) => {
      // The reader went away (EPIPE): there is nobody left to answer.
      this.onerror?.(e);
      void this.close();
    });
  }

  async send(message: JsonRpcMessage): Promise<void> {
    this.sendFrame(JSON.stringify(message));
  }

  sendFrame(frame: string): void {
    if (this.closed) return;
    this.output.write(`${frame}\n`);
  }

  pause(): void {
    this.input.pause();
  }

  resume(): void {
    if (!this.closed) this.input.resume();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    this.input.off('error', this.onInputError);
    this.input.pause();
  }
}
