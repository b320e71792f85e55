/**
 * G-Counter: a grow-only counter. Each replica counts its own increments in its own entry; the
 * join is the pointwise maximum, so merging the same state twice changes nothing (idempotence),
 * and the value is the sum. Counts are bigint: a hot counter never overflows (seed 000's failure
 * table, "Overflow in counter").
 */
import { assert } from '../../sim/assert.ts';
import { sortedKeys } from './dot.ts';
import { bigintBytes, utf8Bytes } from './size.ts';

/** Plain-data form of a G-Counter state or delta: replica -> that replica's total increments. */
export interface GCounterData {
  counts: Map<string, bigint>;
}

/** A grow-only counter owned by one replica. */
export class GCounter {
  readonly replicaId: string;
  protected readonly counts: Map<string, bigint> = new Map();

  constructor(replicaId: string, data?: GCounterData) {
    this.replicaId = replicaId;
    if (data !== undefined) this.merge(data);
  }

  /** Adds `by` (>= 0) to this replica's entry; returns the delta (this replica's new entry). */
  increment(by: bigint = 1n): GCounterData {
    assert(by >= 0n, `GCounter.increment: negative amount ${by}`);
    const delta: GCounterData = { counts: new Map([[this.replicaId, (this.counts.get(this.replicaId) ?? 0n) + by]]) };
    this.merge(delta);
    return delta;
  }

  /** Joins a state or delta: pointwise maximum. */
  merge(other: GCounterData): void {
    for (const [r, n] of other.counts) {
      assert(n >= 0n, `GCounter.merge: negative entry ${r}=${n}`);
      if (n > (this.counts.get(r) ?? 0n)) this.counts.set(r, n);
    }
  }

  /** The sum of all entries. */
  value(): bigint {
    let s = 0n;
    for (const n of this.counts.values()) s += n;
    return s;
  }

  /** Bytes of the user-visible value (the sum as a minimal bigint). */
  valueBytes(): number {
    return bigintBytes(this.value());
  }

  /** Bytes of the per-replica breakdown (id plus count per entry): all of it is bookkeeping. */
  metadataBytes(): number {
    let n = 0;
    for (const [r, c] of this.counts) n += utf8Bytes(r) + bigintBytes(c);
    return n;
  }

  /** Canonical plain-data copy (entries sorted by replica id). */
  toData(): GCounterData {
    const counts = new Map<string, bigint>();
    for (const r of sortedKeys(this.counts)) counts.set(r, this.counts.get(r) as bigint);
    return { counts };
  }
}
