import { isPlainObject } from './jsonrpc.js';

/**
 * The text of a tool result as the session's provenance ledger should see it:
 * text blocks, embedded text resources and structured content, in order, cut
 * at `max` characters. Everything here is untrusted.
 */
export function resultText(result: Record<string, unknown>, max: number): string | undefined {
  const parts: string[] = [];
  let size = 0;
  const add = (s: string): boolean => {
    if (size >= max) return false;
    const piece = s.length > max - size ? s.slice(0, max - size) : s;
    parts.push(piece);
    size += piece.length + 1;
    return size < max;
  };
  const content = result.content;
  if (Array.isArray(content)) {
    for (const block of content) {
      if (!isPlainObject(block)) continue;
      if (block.type === 'text' && typeof block.text === 'string') {
        if (!add(block.text)) break;
      } else if (block.type === 'resource' && isPlainObject(block.resource) && typeof block.resource.text === 'string') {
        if (!add(block.resource.text)) break;
      } else if (block.type === 'resource_link' && typeof block.uri === 'string') {
        if (!add(block.uri)) break;
      }
    }
  }
  if (result.structuredContent !== undefined && size < max) {
    try {
      add(JSON.stringify(result.structuredContent));
    } catch {
      // not serialisable: nothing to record
    }
  }
  return parts.length === 0 ? undefined : parts.join('\n');
}
