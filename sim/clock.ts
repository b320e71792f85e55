/**
 * A node's local clock, separate from true simulated time. Real clocks are set wrong (offset) and
 * run at the wrong rate (drift); LWW registers, hybrid logical clocks and leader leases all depend
 * on how wrong, so nodes read time only through this.
 *
 *   local(t) = t + offsetNs + (t - anchorNs) * driftPpm / 1e6
 *
 * A node's timers run on its local clock: a timer for d local ns fires after d / (1 + drift)
 * true ns. This is the node's monotonic clock (CLOCK_MONOTONIC): it never runs backwards (drift
 * is bounded to ±(1e6 - 1) ppm), and timers, timeouts and leases run on it. Its rate may change
 * while it runs (`withDrift`, a crystal warming up: the standard nemesis's
 * `clockDriftChangeMsMean`).
 *
 * The wall clock (CLOCK_REALTIME, `ctx.wallNow()`) is the monotonic reading plus the steps NTP or
 * an operator made (`stepped`, forwards or backwards: `clockJumpMsMean`). Timestamps compared
 * across nodes (LWW, hybrid logical clocks) read it, and must survive it going backwards.
 */
import { assert } from './assert.ts';
import type { Nanos } from './time.ts';

/** A node clock's error: a fixed offset and a rate error. */
export interface ClockOptions {
  /** Local minus true time at the start, in ns. */
  offsetNs: number;
  /** Rate error in parts per million: +100 runs 100 µs per second fast. */
  driftPpm: number;
}

/** A clock with no error. */
export const PERFECT_CLOCK: ClockOptions = { offsetNs: 0, driftPpm: 0 };

/** A node's local clock: true time plus an offset, running fast or slow by `driftPpm`. */
export class LocalClock {
  /** Offset from true time at the anchor, in ns. */
  readonly offsetNs: number;
  /** Rate error in parts per million (positive: runs fast). */
  readonly driftPpm: number;
  private readonly anchorNs: Nanos;
  /** Sum of the wall clock's steps so far. */
  readonly wallStepNs: number;

  constructor(opts: ClockOptions, anchorNs: Nanos = 0, wallStepNs = 0) {
    this.wallStepNs = wallStepNs;
    assert(Math.abs(opts.driftPpm) < 1e6, `clock drift must be within ±1e6 ppm, got ${opts.driftPpm}`);
    this.offsetNs = opts.offsetNs;
    this.driftPpm = opts.driftPpm;
    this.anchorNs = anchorNs;
  }

  /** Local time at true time `trueNs`. */
  localAt(trueNs: Nanos): Nanos {
    return Math.round(trueNs + this.offsetNs + ((trueNs - this.anchorNs) * this.driftPpm) / 1e6);
  }

  /** Wall-clock time at true time `trueNs`: the monotonic reading plus every step so far. */
  wallAt(trueNs: Nanos): Nanos {
    return this.localAt(trueNs) + this.wallStepNs;
  }

  /** This clock with its wall clock stepped by `deltaNs` (negative: backwards); monotonic time is unchanged. */
  stepped(deltaNs: number): LocalClock {
    return new LocalClock({ offsetNs: this.offsetNs, driftPpm: this.driftPpm }, this.anchorNs, this.wallStepNs + Math.round(deltaNs));
  }

  /** This clock running at `driftPpm` from true time `atNs` on, with no jump at `atNs`. */
  withDrift(driftPpm: number, atNs: Nanos): LocalClock {
    return new LocalClock({ offsetNs: this.localAt(atNs) - atNs, driftPpm: Math.round(driftPpm) }, atNs, this.wallStepNs);
  }

  /** True duration for a local duration (a local timer of `localNs` fires after this). */
  trueDelay(localNs: Nanos): Nanos {
    // Durations may be fractional (`lease / 2`); time is whole nanoseconds, so round, always.
    // The message is built only on failure: every timer passes here, and a number's text is not free.
    if (!(localNs >= 0 && Number.isFinite(localNs))) assert(false, `a timer or timeout must be a finite number of ns >= 0, got ${localNs}`);
    if (this.driftPpm === 0) return Math.round(localNs);
    return Math.max(0, Math.round(localNs / (1 + this.driftPpm / 1e6)));
  }
}
