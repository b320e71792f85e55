/**
 * A memo of built Maglev tables, shared by every balancer (and every run in the process): a table
 * is an immutable function of (size, bug flag, keys, weights), so sharing one is indistinguishable
 * from building it again, and it saves the simulator most of its time in Maglev scenarios.
 *
 * Bounded by the bytes of the tables' owner arrays, least recently used out. A churning pool of n
 * backends visits up to 2^n candidate sets (lb-churn's 8 backends: 232 distinct sets in 400 s of
 * seed 1, 60 in 40 s). The memo it replaces held 64 tables, oldest out: it thrashed once a run
 * outlived its first minute, every long run rebuilt a table (2.3 ms at M = 65537) on almost every
 * change, and the cost per event grew with the run's length.
 */
import type { MaglevTable } from '../maglev.ts';

/** Bytes of a table's owner array (MaglevTable keeps the narrowest array that fits). */
export function ownerBytes(t: MaglevTable): number {
  const n = t.backends.length;
  return t.tableSize * (n < 0xff ? 1 : n < 0xffff ? 2 : 4);
}

export class MaglevTableMemo {
  private readonly tables = new Map<string, MaglevTable>();
  private held = 0;
  /** Tables built (misses), for tests and figures. */
  builds = 0;

  /** `maxBytes`: owner bytes kept at most (the newest table is kept however large). */
  constructor(readonly maxBytes: number) {}

  /** The table for `key`, built with `build` unless held. */
  get(key: string, build: () => MaglevTable): MaglevTable {
    let t = this.tables.get(key);
    if (t !== undefined) {
      // Most recently used last: a Map iterates in insertion order.
      this.tables.delete(key);
      this.tables.set(key, t);
      return t;
    }
    t = build();
    this.builds++;
    const need = ownerBytes(t);
    for (const [k, old] of this.tables) {
      if (this.held + need <= this.maxBytes) break;
      this.tables.delete(k);
      this.held -= ownerBytes(old);
    }
    this.tables.set(key, t);
    this.held += need;
    return t;
  }

  /** Tables held now. */
  get size(): number {
    return this.tables.size;
  }

  /** Owner bytes held now. */
  get bytes(): number {
    return this.held;
  }
}
