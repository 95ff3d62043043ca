import { describe, expect, it } from 'vitest';
import { LineFramer, type OversizedFrame } from '../../src/proxy/framing.js';

function collect(max = 1000) {
  const frames: string[] = [];
  const oversized: OversizedFrame[] = [];
  const framer = new LineFramer({ frame: (l) => frames.push(l), oversized: (o) => oversized.push(o) }, max);
  return { framer, frames, oversized };
}

describe('LineFramer', () => {
  it('splits newline-delimited frames across arbitrary chunk boundaries', () => {
    const { framer, frames } = collect();
    const text = '{"a":1}\n{"b":2}\r\n\n{"c":"é"}\n';
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += 3) framer.push(bytes.subarray(i, i + 3));
    expect(frames).toEqual(['{"a":1}', '{"b":2}', '{"c":"é"}']);
  });

  it('delivers a last frame without a newline at end of stream', () => {
    const { framer, frames } = collect();
    framer.push(Buffer.from('{"a":1}'));
    expect(frames).toEqual([]);
    framer.end();
    expect(frames).toEqual(['{"a":1}']);
  });

  it('discards an oversized frame as it streams past, reads its top-level id and method, and carries on', () => {
    const { framer, frames, oversized } = collect(100);
    const big = JSON.stringify({ method: 'tools/call', params: { name: 'x', arguments: { id: 99, data: 'y'.repeat(5000), method: 'nope' } }, jsonrpc: '2.0', id: 42 });
    for (let i = 0; i < big.length; i += 64) framer.push(Buffer.from(big.slice(i, i + 64)));
    framer.push(Buffer.from('\n{"ok":true}\n'));
    expect(oversized).toEqual([{ size: big.length, id: 42, method: 'tools/call' }]);
    expect(frames).toEqual(['{"ok":true}']);
  });

  it('reads string ids with escapes, and gives up on ids it cannot read', () => {
    const { framer, oversized } = collect(20);
    framer.push(Buffer.from(`{"id":"a\\"b","x":"${'z'.repeat(50)}"}\n`));
    framer.push(Buffer.from(`{"x":"${'z'.repeat(50)}","id":{"nested":1}}\n`));
    expect(oversized[0]).toMatchObject({ id: 'a"b' });
    expect(oversized[1]!.id).toBeUndefined();
  });

  it('holds bounded memory for a 10 MB frame', () => {
    const { framer, oversized } = collect(4 * 1024 * 1024);
    const chunk = Buffer.from('a'.repeat(64 * 1024));
    framer.push(Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{"data":"'));
    for (let i = 0; i < 160; i++) framer.push(chunk);
    const internal = framer as unknown as { pending: string };
    expect(internal.pending.length).toBe(0);
    framer.push(Buffer.from('"}}}\n'));
    expect(oversized).toHaveLength(1);
    expect(oversized[0]).toMatchObject({ id: 1, method: 'tools/call' });
    expect(oversized[0]!.size).toBeGreaterThan(10_000_000);
  });
});
