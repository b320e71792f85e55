/**
 * An immutable map of string keys to cells, with an order-independent hash kept up to date on every
 * write, for the map-shaped models (kv, revisioned-kv). The search hashes every state it reaches, so
 * hashing must be O(1); a write copies the map, which is cheap because a partitioned search sees one
 * key per partition.
 */
import { hashString, mix32 } from '../hash.ts';

export interface Cell<V> {
  readonly value: V;
  /** Hash of the cell's contents (not of its key). */
  readonly hash: number;
}

export class KeyMapState<V> {
  private constructor(
    readonly cells: ReadonlyMap<string, Cell<V>>,
    /** Sum of per-entry hashes mod 2^32: independent of insertion order, updatable in O(1). */
    readonly hash: number,
  ) {}

  static empty<V>(): KeyMapState<V> {
    return new KeyMapState<V>(new Map(), 0);
  }

  get(key: string): Cell<V> | undefined {
    return this.cells.get(key);
  }

  /** A copy with `key` set to `cell`, or removed if `cell` is undefined. */
  with(key: string, cell: Cell<V> | undefined): KeyMapState<V> {
    const old = this.cells.get(key);
    if (old === undefined && cell === undefined) return this;
    const cells = new Map(this.cells);
    let hash = this.hash;
    if (old !== undefined) hash -= entryHash(key, old.hash);
    if (cell === undefined) cells.delete(key);
    else {
      cells.set(key, cell);
      hash += entryHash(key, cell.hash);
    }
    return new KeyMapState(cells, hash >>> 0);
  }

  equals(other: KeyMapState<V>, sameValue: (a: V, b: V) => boolean): boolean {
    if (this === other) return true;
    if (this.hash !== other.hash || this.cells.size !== other.cells.size) return false;
    for (const [key, cell] of this.cells) {
      const o = other.cells.get(key);
      if (o === undefined || o.hash !== cell.hash || !sameValue(o.value, cell.value)) return false;
    }
    return true;
  }

  /** Keys in sorted order, for deterministic descriptions. */
  sortedKeys(): string[] {
    return [...this.cells.keys()].sort();
  }
}

function entryHash(key: string, cellHash: number): number {
  return mix32(hashString(key) ^ Math.imul(cellHash, 0x9e3779b1));
}
