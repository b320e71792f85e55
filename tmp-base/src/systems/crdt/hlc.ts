/**
 * Hybrid logical clock (Kulkarni, Demirbas et al., "Logical Physical Clocks", OPODIS 2014).
 * A timestamp is (l, c): l is the greatest physical time this node has heard of, in ns, and c a
 * logical counter that orders events sharing one l. It never runs behind the local physical
 * clock, it respects causality (a receive is later than the send), and l stays within the
 * clock skew of physical time, so it can replace wall clocks in LWW without losing writes to
 * a node whose clock is behind.
 *
 * The physical clock is a parameter of every call: the simulator gives each node its own skewed
 * clock, and this code never reads a real one.
 */
import { assert } from '../../sim/assert.ts';
import type { Nanos } from '../../sim/time.ts';

/** An HLC timestamp: `l` in nanoseconds, `c` the logical counter. Plain data. */
export interface HlcTimestamp {
  /** The greatest physical time heard of, ns. */
  readonly l: Nanos;
  /** Logical counter among events with the same `l`. */
  readonly c: number;
}

/** The zero timestamp (before every event). */
export const HLC_ZERO: HlcTimestamp = { l: 0, c: 0 };

/** Total order on timestamps: by l, then c. Negative, zero or positive like a sort comparator. */
export function compareHlc(a: HlcTimestamp, b: HlcTimestamp): number {
  if (a.l !== b.l) return a.l < b.l ? -1 : 1;
  return a.c - b.c;
}

/** Result of `Hlc.tryUpdate`: refused when the remote clock is too far ahead of ours. */
export type HlcUpdateResult =
  | { ok: true; ts: HlcTimestamp }
  | { ok: false; reason: 'clock-offset'; offsetNs: Nanos };

/** One node's hybrid logical clock. */
export class Hlc {
  private last: HlcTimestamp;
  /** Remote timestamps more than this far ahead of local physical time are refused by tryUpdate. */
  readonly maxOffsetNs: Nanos;

  constructor(opts: { maxOffsetNs?: Nanos; start?: HlcTimestamp } = {}) {
    this.maxOffsetNs = opts.maxOffsetNs ?? Number.POSITIVE_INFINITY;
    this.last = opts.start ?? HLC_ZERO;
  }

  /** The timestamp of a local or send event at physical time `physicalNs`. */
  now(physicalNs: Nanos): HlcTimestamp {
    assert(Number.isInteger(physicalNs), `Hlc.now: physical time ${physicalNs} is not integer ns`);
    const l = Math.max(this.last.l, physicalNs);
    const c = l === this.last.l ? this.last.c + 1 : 0;
    return this.set({ l, c });
  }

  /** The timestamp of receiving `remote` at physical time `physicalNs` (always accepted). */
  update(remote: HlcTimestamp, physicalNs: Nanos): HlcTimestamp {
    assert(Number.isInteger(physicalNs), `Hlc.update: physical time ${physicalNs} is not integer ns`);
    const prev = this.last;
    const l = Math.max(prev.l, remote.l, physicalNs);
    let c: number;
    if (l === prev.l && l === remote.l) c = Math.max(prev.c, remote.c) + 1;
    else if (l === prev.l) c = prev.c + 1;
    else if (l === remote.l) c = remote.c + 1;
    else c = 0;
    return this.set({ l, c });
  }

  /** Like `update`, but refuses (and leaves the clock alone) when `remote` is too far ahead. */
  tryUpdate(remote: HlcTimestamp, physicalNs: Nanos): HlcUpdateResult {
    const offsetNs = remote.l - physicalNs;
    if (offsetNs > this.maxOffsetNs) return { ok: false, reason: 'clock-offset', offsetNs };
    return { ok: true, ts: this.update(remote, physicalNs) };
  }

  /** The last timestamp issued or observed. */
  peek(): HlcTimestamp {
    return this.last;
  }

  private set(ts: HlcTimestamp): HlcTimestamp {
    // Monotonicity is the clock's whole point; a violation is a bug here, not in the caller.
    assert(compareHlc(ts, this.last) > 0, 'Hlc: timestamp did not advance');
    this.last = ts;
    return ts;
  }
}
