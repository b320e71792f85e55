/**
 * OR-Set (add-wins observed-remove set), delta-state, after Almeida et al. 2018 ("AWORSet").
 *
 * Every add tags the element with a fresh dot (replica id + that replica's counter). A remove
 * deletes exactly the dots its replica has observed for the element, so a concurrent add (a dot
 * the remover has not seen) survives: add wins. There are no explicit tombstones: a removed dot
 * stays in the causal context, which is a version vector plus a small cloud of out-of-order dots,
 * so a late copy of the add is recognised and ignored.
 *
 * Metadata that can grow: several dots on one element (concurrent adds from several replicas
 * that nobody has re-added since) and the context's cloud. `collect(stable)` collapses an
 * element's dots to one once all of them are causally stable.
 */
import { type Dot, compareDots, dotKey } from './dot.ts';
import { DotKernel, type DotKernelData } from './dot-kernel.ts';
import { type SetElement, compareElements } from './g-set.ts';
import { plainBytes } from './size.ts';
import { type VersionVector, vvGet } from './version-vector.ts';

/** Plain-data form of an OR-Set state or delta: dots tagged with their element, plus context. */
export type ORSetData<E extends SetElement> = DotKernelData<E>;

/** An add-wins observed-remove set owned by one replica. */
export class ORSet<E extends SetElement> {
  readonly replicaId: string;
  protected readonly kernel: DotKernel<E>;

  constructor(replicaId: string, data?: ORSetData<E>) {
    this.replicaId = replicaId;
    this.kernel = new DotKernel<E>(replicaId, data);
  }

  /** Adds `e` under a fresh dot, replacing the dots this replica had observed for `e`. */
  add(e: E): ORSetData<E> {
    const delta = this.kernel.addDelta(e, this.dotsOf(e));
    this.kernel.join(delta);
    return delta;
  }

  /** Removes `e`: the delta names exactly the dots observed here, so unseen adds survive. */
  remove(e: E): ORSetData<E> {
    const delta = this.kernel.removeDelta(this.dotsOf(e));
    this.kernel.join(delta);
    return delta;
  }

  /** Joins a state or delta. */
  merge(other: ORSetData<E>): void {
    this.kernel.join(other);
  }

  has(e: E): boolean {
    return this.kernel.dotsWithValue(e).length > 0;
  }

  /** The elements present, in canonical order. */
  value(): E[] {
    return this.kernel.values().sort(compareElements);
  }

  /** The dots currently tagging `e`, sorted. */
  dotsOf(e: E): Dot[] {
    return this.kernel.dotsWithValue(e);
  }

  /** Bytes of the distinct elements. */
  valueBytes(): number {
    let n = 0;
    for (const e of this.value()) n += plainBytes(e);
    return n;
  }

  /** Bytes of the dots, the context, and every extra copy of an element beyond its first. */
  metadataBytes(): number {
    let n = this.kernel.dotBytes();
    for (const en of this.kernel.entries()) n += plainBytes(en.value);
    return n - this.valueBytes();
  }

  /** Number of stored dots (tags) and of out-of-order context dots: for GC reports. */
  tagCount(): { dots: number; cloud: number } {
    return { dots: this.kernel.size(), cloud: this.kernel.context().cloudSize() };
  }

  /**
   * Causal-stability GC. When every dot of an element is at or below `stable`, the element's
   * dots collapse to one (the greatest in `compareDots` order, so that every replica collapsing
   * the same stable dots keeps the same one). Returns the number of dots dropped.
   *
   * Precondition (the replication layer's job): `stable[r] >= n` only when every replica has seen
   * r's dots 1..n AND this replica has merged everything each replica had done before seeing
   * them, e.g. the pointwise minimum over peers of the context vector of the latest full state
   * merged from each peer (a matrix clock's row minimum). A bare minimum of gossiped vectors is not
   * enough: an in-flight remove issued concurrently with a "stable" dot could still arrive.
   * Elements with any unstable dot are left alone: collapsing part of them early could make two
   * replicas keep different representatives and lose the element when they merge.
   */
  collect(stable: VersionVector): number {
    const byElement = new Map<E, Dot[]>();
    for (const en of this.kernel.entries()) {
      const l = byElement.get(en.value);
      if (l === undefined) byElement.set(en.value, [en.dot]);
      else l.push(en.dot);
    }
    let dropped = 0;
    for (const dots of byElement.values()) {
      if (dots.length < 2) continue;
      if (!dots.every((d) => d.counter <= vvGet(stable, d.replica))) continue;
      const keep = dotKey(dots.reduce((a, b) => (compareDots(a, b) >= 0 ? a : b)));
      for (const d of dots) {
        if (dotKey(d) === keep) continue;
        this.kernel.dropDot(d);
        dropped++;
      }
    }
    return dropped;
  }

  /** The context's version vector: what this replica has seen (for stability computation). */
  versionVector(): VersionVector {
    return this.kernel.context().versionVector();
  }

  /** Canonical plain-data copy. */
  toData(): ORSetData<E> {
    return this.kernel.toData();
  }
}
