/**
 * A node's local clock, separate from true simulated time. Real clocks are set wrong (offset) and
 * run at the wrong rate (drift); LWW registers, hybrid logical clocks and leader leases all depend
 * on how wrong, so nodes read time only through this.
 *
 *   local(t) = t + offsetNs + (t - anchorNs) * driftPpm / 1e6
 *
 * A node's timers run on its local clock: a timer for d local ns fires after d / (1 + drift)
 * true ns. Between faults a clock never runs backwards: drift is bounded to ±(1e6 - 1) ppm. Two
 * faults change a running clock (the standard nemesis's `clockJumpMsMean` and
 * `clockDriftChangeMsMean`): a step (`stepped`, an NTP step or an operator's `date -s`, forwards
 * or backwards) and a new rate (`withDrift`, a crystal warming up). Timers already set keep their
 * true deadlines (they run on a monotonic source, as real timers do); `ctx.now()` readings jump.
 */
import { assert } from './assert.ts';
import type { Nanos } from './time.ts';

export interface ClockOptions {
  /** Local minus true time at the start, in ns. */
  offsetNs: number;
  /** Rate error in parts per million: +100 runs 100 µs per second fast. */
  driftPpm: number;
}

export const PERFECT_CLOCK: ClockOptions = { offsetNs: 0, driftPpm: 0 };

export class LocalClock {
  readonly offsetNs: number;
  readonly driftPpm: number;
  private readonly anchorNs: Nanos;

  constructor(opts: ClockOptions, anchorNs: Nanos = 0) {
    assert(Math.abs(opts.driftPpm) < 1e6, `clock drift must be within ±1e6 ppm, got ${opts.driftPpm}`);
    this.offsetNs = opts.offsetNs;
    this.driftPpm = opts.driftPpm;
    this.anchorNs = anchorNs;
  }

  /** Local time at true time `trueNs`. */
  localAt(trueNs: Nanos): Nanos {
    return Math.round(trueNs + this.offsetNs + ((trueNs - this.anchorNs) * this.driftPpm) / 1e6);
  }

  /** This clock stepped by `deltaNs` at true time `atNs` (negative: backwards). */
  stepped(deltaNs: number, atNs: Nanos): LocalClock {
    return new LocalClock({ offsetNs: this.localAt(atNs) - atNs + Math.round(deltaNs), driftPpm: this.driftPpm }, atNs);
  }

  /** This clock running at `driftPpm` from true time `atNs` on, with no jump at `atNs`. */
  withDrift(driftPpm: number, atNs: Nanos): LocalClock {
    return new LocalClock({ offsetNs: this.localAt(atNs) - atNs, driftPpm: Math.round(driftPpm) }, atNs);
  }

  /** True duration for a local duration (a local timer of `localNs` fires after this). */
  trueDelay(localNs: Nanos): Nanos {
    // Durations may be fractional (`lease / 2`); time is whole nanoseconds, so round, always.
    assert(localNs >= 0 && Number.isFinite(localNs), `a timer or timeout must be a finite number of ns >= 0, got ${localNs}`);
    if (this.driftPpm === 0) return Math.round(localNs);
    return Math.max(0, Math.round(localNs / (1 + this.driftPpm / 1e6)));
  }
}
