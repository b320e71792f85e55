/**
 * A causal context: the set of dots a replica has seen, kept compact as a version vector plus a
 * "dot cloud" of dots seen out of order (Almeida et al. 2018, section 5.1). It is what replaces
 * tombstones in the delta-state OR-Set: a dot that is in the context but not in the store was
 * removed, so a late copy of its add is ignored instead of resurrecting the element.
 */
import { assert } from '../../sim/assert.ts';
import { type Dot, dotBytes } from './dot.ts';
import { COUNTER_BYTES, utf8Bytes } from './size.ts';
import { type VersionVector, vvCopy } from './version-vector.ts';

/** Plain-data form of a causal context: the compact vector and the out-of-order dots. */
export interface CausalContextData {
  /** replica -> every counter 1..n of that replica has been seen. */
  vv: VersionVector;
  /** Dots seen beyond the vector's contiguous prefix, sorted by replica then counter. */
  cloud: Dot[];
}

/** A mutable causal context. */
export class CausalContext {
  private readonly vv: Map<string, number> = new Map();
  private readonly cloud: Map<string, Set<number>> = new Map();

  static fromData(d: CausalContextData): CausalContext {
    const c = new CausalContext();
    c.join(d);
    return c;
  }

  /** True when the dot has been seen. */
  contains(d: Dot): boolean {
    if (d.counter <= (this.vv.get(d.replica) ?? 0)) return true;
    return this.cloud.get(d.replica)?.has(d.counter) ?? false;
  }

  /** A fresh dot for `replica` (one past its vector entry), recorded as seen. */
  nextDot(replica: string): Dot {
    // A replica's own dots are always contiguous at that replica, so they never sit in the cloud.
    assert(!this.cloud.has(replica), `CausalContext.nextDot: own replica ${replica} has out-of-order dots`);
    const d: Dot = { replica, counter: (this.vv.get(replica) ?? 0) + 1 };
    this.vv.set(replica, d.counter);
    return d;
  }

  /** Records a dot as seen, then compacts. */
  add(d: Dot): void {
    assert(Number.isInteger(d.counter) && d.counter >= 1, `CausalContext.add: bad counter ${d.counter}`);
    if (this.contains(d)) return;
    let s = this.cloud.get(d.replica);
    if (s === undefined) {
      s = new Set();
      this.cloud.set(d.replica, s);
    }
    s.add(d.counter);
    this.compact(d.replica);
  }

  /** Union with another context (the join). */
  join(o: CausalContextData): void {
    for (const [r, n] of o.vv) {
      if (n > (this.vv.get(r) ?? 0)) {
        this.vv.set(r, n);
        this.compact(r);
      }
    }
    for (const d of o.cloud) this.add(d);
  }

  /** The contiguous prefix seen from each replica (a copy). */
  versionVector(): VersionVector {
    return vvCopy(this.vv);
  }

  /** Number of dots held in the cloud (out-of-order dots): zero once delivery has caught up. */
  cloudSize(): number {
    let n = 0;
    for (const s of this.cloud.values()) n += s.size;
    return n;
  }

  /**
   * Forgets every out-of-order dot. This is unsafe (a late add of a dot it forgets comes back to
   * life) and exists only for the bug zoo's early-GC variant.
   */
  forgetCloud(): void {
    this.cloud.clear();
  }

  /** Canonical plain-data copy. */
  toData(): CausalContextData {
    const cloud: Dot[] = [];
    for (const r of [...this.cloud.keys()].sort()) {
      for (const n of [...(this.cloud.get(r) as Set<number>)].sort((a, b) => a - b)) cloud.push({ replica: r, counter: n });
    }
    return { vv: vvCopy(this.vv), cloud };
  }

  /** Encoded size under the model of size.ts. */
  bytes(): number {
    let n = 0;
    for (const r of this.vv.keys()) n += utf8Bytes(r) + COUNTER_BYTES;
    for (const [r, s] of this.cloud) n += s.size * dotBytes({ replica: r, counter: 0 });
    return n;
  }

  /** Moves cloud dots that extend the vector's prefix into the vector. */
  private compact(r: string): void {
    const s = this.cloud.get(r);
    if (s === undefined) return;
    let n = this.vv.get(r) ?? 0;
    for (const c of s) if (c <= n) s.delete(c);
    while (s.has(n + 1)) {
      s.delete(n + 1);
      n++;
    }
    if (n > 0) this.vv.set(r, n);
    if (s.size === 0) this.cloud.delete(r);
  }
}
