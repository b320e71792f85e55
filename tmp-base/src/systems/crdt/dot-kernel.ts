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
  /** payload -> keys of the dots holding it, so OR-Set lookups do not scan the store. */
  private readonly byValue: Map<T, Set<string>> = new Map();
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
      if (!this.store.has(k) && !this.ctx.contains(e.dot)) this.insert(k, { dot: e.dot, value: e.value });
    }
    // Dots we hold that the other side has seen but does not hold were removed there. A delta's
    // context names few dots, so walk whichever side is smaller.
    let otherDots = o.context.cloud.length;
    for (const n of o.context.vv.values()) otherDots += n;
    if (otherDots < this.store.size) {
      const visit = (d: Dot): void => {
        const k = dotKey(d);
        if (!theirs.has(k) && this.store.has(k)) this.delete(k);
      };
      for (const [replica, n] of o.context.vv) for (let c = 1; c <= n; c++) visit({ replica, counter: c });
      for (const d of o.context.cloud) visit(d);
    } else {
      const other = CausalContext.fromData(o.context);
      for (const [k, e] of this.store) if (!theirs.has(k) && other.contains(e.dot)) this.delete(k);
    }
    this.ctx.join(o.context);
  }

  /** The dots holding `value`, sorted. */
  dotsWithValue(value: T): Dot[] {
    const ks = this.byValue.get(value);
    if (ks === undefined) return [];
    return [...ks].map((k) => (this.store.get(k) as DotEntry<T>).dot).sort(compareDots);
  }

  /** The distinct payloads held (in insertion order; callers sort). */
  values(): T[] {
    return [...this.byValue.keys()];
  }

  /** Number of stored dots. */
  size(): number {
    return this.store.size;
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
    this.delete(dotKey(d));
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

  private insert(k: string, e: DotEntry<T>): void {
    this.store.set(k, e);
    let ks = this.byValue.get(e.value);
    if (ks === undefined) {
      ks = new Set();
      this.byValue.set(e.value, ks);
    }
    ks.add(k);
  }

  private delete(k: string): void {
    const e = this.store.get(k);
    if (e === undefined) return;
    this.store.delete(k);
    const ks = this.byValue.get(e.value);
    ks?.delete(k);
    if (ks !== undefined && ks.size === 0) this.byValue.delete(e.value);
  }

  private peekNextDot(): Dot {
    const vv = this.ctx.versionVector();
    return { replica: this.replicaId, counter: (vv.get(this.replicaId) ?? 0) + 1 };
  }
}
