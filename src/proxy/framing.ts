import { StringDecoder } from 'node:string_decoder';
import type { RequestId } from './jsonrpc.js';

/** Default cap on one newline-delimited frame, in characters (UTF-16 code units). */
export const DEFAULT_MAX_FRAME = 4 * 1024 * 1024;

/** What the framer reports for a frame it refused to hold in memory. */
export interface OversizedFrame {
  /** Characters in the frame (counted while it was discarded). */
  readonly size: number;
  /** The top-level `id` of the message, when it could be read while streaming past. */
  readonly id?: RequestId | undefined;
  /** The top-level `method`, when it could be read. */
  readonly method?: string | undefined;
}

export interface FramerEvents {
  /** One complete frame, without its newline (and without a trailing `\r`). Empty lines are skipped. */
  frame(line: string): void;
  /** A frame longer than the limit: it was discarded as it streamed past, never buffered whole. */
  oversized(info: OversizedFrame): void;
}

const MAX_CAPTURE = 512;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Streams past a discarded frame keeping only what is needed to answer it: the
 * top-level `id` and `method` of a JSON object. Constant memory, one pass.
 */
class TopLevelScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private state: 'key-wait' | 'key' | 'colon' | 'value' = 'key-wait';
  private key = '';
  private capturing: 'id' | 'method' | null = null;
  private capture = '';
  id: RequestId | undefined;
  method: string | undefined;

  feed(text: string, start: number, end: number): void {
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) {
          this.inString = false;
          if (this.depth === 1 && this.state === 'key') {
            this.state = 'colon';
            continue;
          }
        }
        if (this.depth === 1) this.append(text, i);
        continue;
      }
      switch (c) {
        case QUOTE:
          this.inString = true;
          if (this.depth === 1) {
            if (this.state === 'key-wait') {
              this.state = 'key';
              this.key = '';
            } else this.append(text, i);
          }
          break;
        case 0x7b: // {
        case 0x5b: // [
          if (this.depth === 1 && this.state === 'value') this.capturing = null;
          this.depth++;
          break;
        case 0x7d: // }
        case 0x5d: // ]
          if (this.depth === 1 && this.state === 'value') this.finishValue();
          this.depth--;
          break;
        case 0x3a: // :
          if (this.depth === 1 && this.state === 'colon') {
            this.state = 'value';
            this.capturing = this.key === 'id' || this.key === 'method' ? this.key : null;
            this.capture = '';
          }
          break;
        case 0x2c: // ,
          if (this.depth === 1 && this.state === 'value') {
            this.finishValue();
            this.state = 'key-wait';
          }
          break;
        case 0x20:
        case 0x09:
        case 0x0a:
        case 0x0d:
          break;
        default:
          if (this.depth === 1) this.append(text, i);
      }
    }
  }

  private append(text: string, i: number): void {
    if (this.state === 'key') {
      if (this.key.length < 16) this.key += text[i];
      return;
    }
    if (this.state !== 'value' || this.capturing === null) return;
    if (this.capture.length >= MAX_CAPTURE) {
      this.capturing = null;
      return;
    }
    this.capture += text[i];
  }

  private finishValue(): void {
    const which = this.capturing;
    this.capturing = null;
    if (which === null || this.capture === '') return;
    let v: unknown;
    try {
      v = JSON.parse(this.capture);
    } catch {
      return;
    }
    if (which === 'id' && (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))) this.id = v;
    if (which === 'method' && typeof v === 'string') this.method = v;
  }
}

/**
 * Splits a byte stream into newline-delimited frames (the MCP stdio framing),
 * holding at most `maxFrame` characters of one frame in memory. A longer frame
 * is discarded as it streams past and reported with whatever of its `id` and
 * `method` could be read, so the peer can be answered instead of left waiting.
 */
export class LineFramer {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private discarding: TopLevelScanner | null = null;
  private discardedSize = 0;

  constructor(
    private readonly events: FramerEvents,
    private readonly maxFrame: number = DEFAULT_MAX_FRAME,
  ) {}

  push(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let start = 0;
    while (start < text.length) {
      const nl = text.indexOf('\n', start);
      const end = nl === -1 ? text.length : nl;
      if (this.discarding) {
        this.discarding.feed(text, start, end);
        this.discardedSize += end - start;
      } else if (this.pending.length + (end - start) > this.maxFrame) {
        const scanner = new TopLevelScanner();
        scanner.feed(this.pending, 0, this.pending.length);
        scanner.feed(text, start, end);
        this.discardedSize = this.pending.length + (end - start);
        this.pending = '';
        this.discarding = scanner;
      } else if (nl === -1) {
        this.pending += text.slice(start);
      } else {
        const line = this.pending.length === 0 ? text.slice(start, end) : this.pending + text.slice(start, end);
        this.pending = '';
        this.emit(line);
      }
      if (nl === -1) break;
      if (this.discarding) {
        const s = this.discarding;
        this.discarding = null;
        this.events.oversized({ size: this.discardedSize, id: s.id, method: s.method });
        this.discardedSize = 0;
      }
      start = nl + 1;
    }
  }

  /** The stream ended: a last frame without a newline is still delivered. */
  end(): void {
    const rest = this.decoder.end();
    if (rest) this.push(rest);
    if (this.discarding) {
      const s = this.discarding;
      this.discarding = null;
      this.events.oversized({ size: this.discardedSize, id: s.id, method: s.method });
    } else if (this.pending.length > 0) {
      const line = this.pending;
      this.pending = '';
      this.emit(line);
    }
  }

  private emit(line: string): void {
    const l = line.charCodeAt(line.length - 1) === 0x0d ? line.slice(0, -1) : line;
    if (l.length === 0 || (l.length < 4 && l.trim() === '')) return;
    this.events.frame(l);
  }
}
