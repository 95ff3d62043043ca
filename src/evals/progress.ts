import type { Clock } from '../clock.js';
import type { ProgressState } from './runner.js';

export interface ProgressBar {
  update(state: ProgressState): void;
  /** Clears the bar's line. */
  done(): void;
}

interface TtyLike {
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
  write(chunk: string): boolean;
}

/**
 * A one-line progress bar on a terminal, redrawn at most every 100 ms. When the
 * stream is not a terminal (CI logs, a pipe) nothing is written: logs stay clean
 * and stdout is never touched.
 */
export function progressBar(stream: TtyLike, clock: Clock): ProgressBar {
  if (!stream.isTTY) return { update() {}, done() {} };
  let last = -Infinity;
  let drawn = false;
  return {
    update(s: ProgressState): void {
      const now = clock.now();
      if (now - last < 100 && s.done < s.total) return;
      last = now;
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 60));
      const filled = s.total === 0 ? width : Math.round((s.done / s.total) * width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      const money = s.spentUsd > 0 ? ` $${s.spentUsd.toFixed(4)}` : '';
      stream.write(`\r\u001b[2K${bar} ${s.done}/${s.total} calls · ${s.cached} cached · ${s.errors} errors${money}`);
      drawn = true;
    },
    done(): void {
      if (drawn) stream.write('\r\u001b[2K');
    },
  };
}
