import { createReadStream } from 'node:fs';

/** Longest audit line read; the log itself never writes one longer than MAX_RECORD_BYTES. */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

/** One line of a JSONL file, as bytes. */
export interface RawLine {
  /** 1-based line number. */
  readonly number: number;
  /** Byte offset of the line's first byte. */
  readonly offset: number;
  /** The line without its newline (empty when `tooLong`). */
  readonly bytes: Buffer;
  /** False for a last line with no trailing newline. */
  readonly terminated: boolean;
  /** True when the line exceeded the limit; its bytes were skipped. */
  readonly tooLong: boolean;
}

/**
 * Streams the lines of a file split on `\n` bytes only (readline would also
 * split on a lone `\r`, and cannot tell whether the last line was terminated —
 * which is exactly what torn-line detection needs). Memory stays bounded by
 * `maxBytes` per line.
 */
export async function* readLines(file: string, maxBytes = MAX_LINE_BYTES, start?: { readonly offset: number; readonly line: number }): AsyncGenerator<RawLine> {
  let parts: Buffer[] = [];
  let partLen = 0;
  let skipping = false;
  let number = start?.line ?? 1;
  let offset = start?.offset ?? 0;
  let lineStart = offset;
  for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024, start: offset }) as AsyncIterable<Buffer>) {
    let from = 0;
    while (from < chunk.length) {
      const nl = chunk.indexOf(0x0a, from);
      const end = nl === -1 ? chunk.length : nl;
      if (!skipping) {
        if (partLen + (end - from) > maxBytes) {
          skipping = true;
          parts = [];
          partLen = 0;
        } else if (end > from) {
          parts.push(chunk.subarray(from, end));
          partLen += end - from;
        }
      }
      if (nl === -1) break;
      yield { number, offset: lineStart, bytes: skipping ? Buffer.alloc(0) : Buffer.concat(parts, partLen), terminated: true, tooLong: skipping };
      number++;
      lineStart = offset + nl + 1;
      parts = [];
      partLen = 0;
      skipping = false;
      from = nl + 1;
    }
    offset += chunk.length;
  }
  if (skipping || partLen > 0) {
    yield { number, offset: lineStart, bytes: skipping ? Buffer.alloc(0) : Buffer.concat(parts, partLen), terminated: false, tooLong: skipping };
  }
}
