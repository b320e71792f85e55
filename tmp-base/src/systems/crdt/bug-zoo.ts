/**
 * The bug zoo: deliberately broken CRDT variants, for testing that detsim's invariants and
 * property tests catch real mistakes. Each class says in its doc comment what is wrong and which
 * law or guarantee it breaks. Never use them outside tests and bug-hunting scenarios.
 */
import type { Nanos } from '../../sim/time.ts';
import { GCounter, type GCounterData } from './g-counter.ts';
import type { SetElement } from './g-set.ts';
import { type LwwRegisterData, LwwRegister } from './lww-register.ts';
import { type ORSetData, ORSet } from './or-set.ts';
import type { VersionVector } from './version-vector.ts';

/**
 * BUG: merge ADDS the other side's entries instead of taking the maximum. Breaks idempotence
 * (merging one state twice inflates the value) and so breaks convergence under duplicated or
 * re-sent messages and anti-entropy (every full-state exchange double-counts).
 */
export class BuggyGCounterAddMerge extends GCounter {
  override merge(other: GCounterData): void {
    for (const [r, n] of other.counts) this.counts.set(r, (this.counts.get(r) ?? 0n) + n);
  }

  override increment(by: bigint = 1n): GCounterData {
    // The delta is only the increment (as in an op-based counter), applied by the adding merge.
    const delta: GCounterData = { counts: new Map([[this.replicaId, by]]) };
    this.merge(delta);
    return delta;
  }
}

/** Delta form of BuggyORSetRemoveUnseen: the usual OR-Set data plus elements to wipe. */
export interface BuggyORSetData<E extends SetElement> extends ORSetData<E> {
  /** Elements whose every dot the receiver deletes, whether or not the remover saw them. */
  wipe?: E[];
}

/**
 * BUG: remove(e) deletes e's tags at the receiver, including tags the remover never observed.
 * A concurrent add is lost when the remove arrives after it, but survives where it arrives
 * before: add-wins is broken and delta delivery order changes the result (replicas diverge
 * until a full-state exchange happens to paper over it).
 */
export class BuggyORSetRemoveUnseen<E extends SetElement> extends ORSet<E> {
  override remove(e: E): BuggyORSetData<E> {
    const delta: BuggyORSetData<E> = { ...super.remove(e), wipe: [e] };
    return delta;
  }

  override merge(other: BuggyORSetData<E>): void {
    super.merge(other);
    for (const e of other.wipe ?? []) for (const d of this.dotsOf(e)) this.kernel.dropDot(d);
  }
}

/**
 * BUG: collect ignores the stable vector. It forgets the causal context's out-of-order dots
 * (which are the OR-Set's tombstones for removes seen before their adds) and collapses every
 * element's dots to one whether or not they are stable. A late add of a removed element then
 * resurrects it, and a remove that had not seen the kept dot can delete a concurrently re-added
 * element: tombstone GC before causal stability.
 */
export class BuggyORSetEarlyGc<E extends SetElement> extends ORSet<E> {
  override collect(_stable: VersionVector): number {
    const before = this.tagCount();
    this.kernel.context().forgetCloud();
    // "Everything is stable": the greatest counter seen from anyone covers every dot.
    const all: VersionVector = new Map();
    for (const e of this.kernel.entries()) all.set(e.dot.replica, Math.max(all.get(e.dot.replica) ?? 0, e.dot.counter));
    super.collect(all);
    const after = this.tagCount();
    return before.dots + before.cloud - after.dots - after.cloud;
  }
}

/**
 * BUG: last-writer-wins on the writer's raw physical clock, without an HLC. A node whose clock is
 * behind loses its writes even when they causally follow (have seen) the write they should
 * replace: the "clock skew" failure of seed 002. Ties between replicas still break by id.
 */
export class BuggyWallClockLwwRegister<V> extends LwwRegister<V> {
  /** Writes with timestamp (physicalNs, 0): no causality, no clock feeding. */
  setAtWallClock(value: V, physicalNs: Nanos): LwwRegisterData<V> {
    const delta: LwwRegisterData<V> = { entry: { value, ts: { l: physicalNs, c: 0 }, replica: this.replicaId } };
    this.merge(delta);
    return delta;
  }
}
