/**
 * The dot kernel: a map from dots to payloads plus the causal context of everything seen
 * (Almeida et al. 2018, "DotFun"/"DotKernel"). The OR-Set (payload = element) and the MV-Register
 * (payload = written value) are both thin skins over it.
 *
 * Join rule, for states (m1, c1) and (m2, c2): a dot survives when both stores hold it, or when
 * one store holds it and the other side's context has never seen it. A dot one side has seen but
 * no longer holds was removed there, and removal wins over an older copy of the same dot.
 */
import { type CausalContextData, CausalContext } from './causal-context.ts';
import { type Dot, compareDots, dotBytes, dotKey } from './dot.ts';

/** One stored dot and its payload. */
export interface DotEntry<T> {
  dot: Dot;
  value: T;
}

/** Plain-data form of a dot kernel (also the form of its deltas). */
export interface DotKernelData<T> {
  /** Entries sorted by dot. */
  entries: DotEntry<T>[];
  context: CausalContextData;
}

/** A mutable dot kernel owned by one replica. */
export class DotKernel<T> {
  readonly replicaId: string;
  private readonly store: Map<string, DotEntry<T>> = new Map();
  private readonly ctx: CausalContext = new CausalContext();

  constructor(replicaId: string, data?: DotKernelData<T>) {
    this.replicaId = replicaId;
    if (data !== undefined) this.join(data);
  }

  /** A delta adding `value` under a fresh dot and replacing the dots in `replaced`. */
  addDelta(value: T, replaced: readonly Dot[]): DotKernelData<T> {
    const dot = this.peekNextDot();
    const ctx = new CausalContext();
    ctx.add(dot);
    for (const d of replaced) ctx.add(d);
    return { entries: [{ dot, value }], context: ctx.toData() };
  }

  /** A delta removing exactly the given dots (and nothing this replica has not seen). */
  removeDelta(dots: readonly Dot[]): DotKernelData<T> {
    const ctx = new CausalContext();
    for (const d of dots) ctx.add(d);
    return { entries: [], context: ctx.toData() };
  }

  /** Joins a state or delta into this kernel (in place). */
  join(o: DotKernelData<T>): void {
    const theirs = new Set<string>();
    for (const e of o.entries) {
      const k = dotKey(e.dot);
      theirs.add(k);
      if (!this.store.has(k) && !this.ctx.contains(e.dot)) this.store.set(k, { dot: e.dot, value: e.value });
    }
    // Dots we hold that the other side has seen but does not hold were removed there.
    const other = CausalContext.fromData(o.context);
    for (const [k, e] of this.store) if (!theirs.has(k) && other.contains(e.dot)) this.store.delete(k);
    this.ctx.join(o.context);
  }

  /** Every stored entry, sorted by dot. */
  entries(): DotEntry<T>[] {
    return [...this.store.values()].sort((a, b) => compareDots(a.dot, b.dot));
  }

  /** The context (read-only use). */
  context(): CausalContext {
    return this.ctx;
  }

  /** Drops one stored dot while keeping it in the context: a local removal without a delta. */
  dropDot(d: Dot): void {
    this.store.delete(dotKey(d));
  }

  /** Canonical plain-data copy. */
  toData(): DotKernelData<T> {
    return { entries: this.entries().map((e) => ({ dot: e.dot, value: e.value })), context: this.ctx.toData() };
  }

  /** Bytes of the dots and context (payload bytes are the caller's to count). */
  dotBytes(): number {
    let n = this.ctx.bytes();
    for (const e of this.store.values()) n += dotBytes(e.dot);
    return n;
  }

  private peekNextDot(): Dot {
    const vv = this.ctx.versionVector();
    return { replica: this.replicaId, counter: (vv.get(this.replicaId) ?? 0) + 1 };
  }
}
