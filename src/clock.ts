/**
 * The one clock. `Date.now()` and the monotonic timer live here; everything that
 * deals in TTLs, expiry or timing takes a `Clock` so that tests can freeze time.
 */
export interface Clock {
  /** Wall-clock milliseconds since the epoch. */
  now(): number;
  /** Monotonic high-resolution time in nanoseconds, for measuring durations. */
  hrtime(): bigint;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  hrtime: () => process.hrtime.bigint(),
};

/** A clock that only moves when told to; for tests. */
export class ManualClock implements Clock {
  private ms: number;
  private ns = 0n;

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.ms = startMs;
  }

  now(): number {
    return this.ms;
  }

  hrtime(): bigint {
    return this.ns;
  }

  advance(ms: number): void {
    this.ms += ms;
    this.ns += BigInt(Math.round(ms * 1e6));
  }
}

/** Microseconds elapsed since `start` (a value from `clock.hrtime()`). */
export function elapsedUs(clock: Clock, start: bigint): number {
  return Number(clock.hrtime() - start) / 1000;
}
