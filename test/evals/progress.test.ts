import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { progressBar } from '../../src/evals/progress.js';

function sink(isTTY: boolean): { isTTY: boolean; columns: number; out: string[]; write(s: string): boolean } {
  const out: string[] = [];
  return { isTTY, columns: 100, out, write: (s: string) => (out.push(s), true) };
}

describe('the progress bar', () => {
  it('writes nothing when stderr is not a terminal', () => {
    const s = sink(false);
    const bar = progressBar(s, new ManualClock());
    bar.update({ done: 1, total: 2, cached: 0, errors: 0, spentUsd: 0 });
    bar.done();
    expect(s.out).toEqual([]);
  });

  it('redraws one line on a terminal, at most every 100 ms, and clears it at the end', () => {
    const s = sink(true);
    const clock = new ManualClock();
    const bar = progressBar(s, clock);
    bar.update({ done: 1, total: 4, cached: 1, errors: 0, spentUsd: 0.0123 });
    bar.update({ done: 2, total: 4, cached: 1, errors: 0, spentUsd: 0.0123 });
    expect(s.out).toHaveLength(1);
    expect(s.out[0]?.startsWith('\r\u001b[2K')).toBe(true);
    expect(s.out[0]?.slice(5)).toMatch(/^█+░+ 1\/4 calls · 1 cached · 0 errors \$0\.0123$/);
    clock.advance(150);
    bar.update({ done: 3, total: 4, cached: 1, errors: 1, spentUsd: 0.0123 });
    // The last update always draws, however soon it comes.
    bar.update({ done: 4, total: 4, cached: 1, errors: 1, spentUsd: 0.0123 });
    expect(s.out).toHaveLength(3);
    expect(s.out[2]).toContain('4/4 calls');
    bar.done();
    expect(s.out[3]).toBe('\r\u001b[2K');
  });
});
