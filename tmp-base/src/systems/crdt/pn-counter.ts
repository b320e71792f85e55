/**
 * PN-Counter: a counter that goes up and down, as two G-Counters (increments P and decrements N);
 * the value is P - N. Arbitrary precision (bigint), so neither half overflows.
 */
import { assert } from '../../sim/assert.ts';
import { GCounter, type GCounterData } from './g-counter.ts';
import { bigintBytes } from './size.ts';

/** Plain-data form of a PN-Counter state or delta. */
export interface PNCounterData {
  p: GCounterData;
  n: GCounterData;
}

/** An increment/decrement counter owned by one replica. */
export class PNCounter {
  readonly replicaId: string;
  private readonly p: GCounter;
  private readonly n: GCounter;

  constructor(replicaId: string, data?: PNCounterData) {
    this.replicaId = replicaId;
    this.p = new GCounter(replicaId);
    this.n = new GCounter(replicaId);
    if (data !== undefined) this.merge(data);
  }

  /** Adds `by` (any sign); returns the delta (only the half that changed has an entry). */
  add(by: bigint): PNCounterData {
    const delta: PNCounterData = { p: { counts: new Map() }, n: { counts: new Map() } };
    if (by > 0n) delta.p = this.p.increment(by);
    else if (by < 0n) delta.n = this.n.increment(-by);
    return delta;
  }

  /** Joins a state or delta. */
  merge(other: PNCounterData): void {
    assert(other.p !== undefined && other.n !== undefined, 'PNCounter.merge: malformed data');
    this.p.merge(other.p);
    this.n.merge(other.n);
  }

  /** Increments minus decrements. */
  value(): bigint {
    return this.p.value() - this.n.value();
  }

  /** Bytes of the value as a minimal bigint. */
  valueBytes(): number {
    return bigintBytes(this.value());
  }

  /** Bytes of both per-replica breakdowns. */
  metadataBytes(): number {
    return this.p.metadataBytes() + this.n.metadataBytes();
  }

  /** Canonical plain-data copy. */
  toData(): PNCounterData {
    return { p: this.p.toData(), n: this.n.toData() };
  }
}
