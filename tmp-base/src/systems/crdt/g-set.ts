/**
 * G-Set: a grow-only set; the join is union. Elements are primitives (string, number, bigint,
 * boolean) so that set membership is value equality.
 */
import { plainBytes } from './size.ts';

/** Element types the sets accept: compared by value. */
export type SetElement = string | number | bigint | boolean;

/** Plain-data form of a G-Set state or delta. */
export interface GSetData<E extends SetElement> {
  /** Elements in canonical (sorted) order. */
  elements: E[];
}

/** Canonical order of set elements: by type name, then by value. */
export function compareElements(a: SetElement, b: SetElement): number {
  const ta = typeof a;
  const tb = typeof b;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A grow-only set owned by one replica. */
export class GSet<E extends SetElement> {
  readonly replicaId: string;
  private readonly elements: Set<E> = new Set();

  constructor(replicaId: string, data?: GSetData<E>) {
    this.replicaId = replicaId;
    if (data !== undefined) this.merge(data);
  }

  /** Adds an element; returns the delta (just that element). */
  add(e: E): GSetData<E> {
    const delta: GSetData<E> = { elements: [e] };
    this.merge(delta);
    return delta;
  }

  /** Joins a state or delta: union. */
  merge(other: GSetData<E>): void {
    for (const e of other.elements) this.elements.add(e);
  }

  has(e: E): boolean {
    return this.elements.has(e);
  }

  /** The elements in canonical order. */
  value(): E[] {
    return [...this.elements].sort(compareElements);
  }

  /** Bytes of the elements. */
  valueBytes(): number {
    let n = 0;
    for (const e of this.elements) n += plainBytes(e);
    return n;
  }

  /** A G-Set carries no bookkeeping beyond its elements. */
  metadataBytes(): number {
    return 0;
  }

  /** Canonical plain-data copy. */
  toData(): GSetData<E> {
    return { elements: this.value() };
  }
}
