/**
 * The search's memo: the set of (linearized-operations bitset, model state) pairs already explored.
 * A million entries is normal for a hard 80-operation history, so it avoids an object and a typed
 * array per entry (allocation and garbage collection dominated the first version): bitsets live in
 * one flat pool, and an open-addressing table (linear probing) maps hashes to entries.
 */

const EMPTY = 0;

export class MemoTable<S> {
  private readonly words: number;
  private readonly equal: (a: S, b: S) => boolean;
  /** Bitsets of all entries, `words` words each. */
  private pool: Uint32Array;
  private hashes: Uint32Array;
  private readonly states: S[] = [];
  /** Slot -> entry index + 1, or EMPTY. */
  private table: Int32Array;
  private mask: number;
  size = 0;

  constructor(words: number, equal: (a: S, b: S) => boolean) {
    this.words = words;
    this.equal = equal;
    const capacity = 1024;
    this.pool = new Uint32Array(capacity * Math.max(1, words));
    this.hashes = new Uint32Array(capacity);
    this.table = new Int32Array(capacity * 2);
    this.mask = capacity * 2 - 1;
  }

  /**
   * Adds (bits with bit `op` set, state) unless present. `hash` must depend only on that pair.
   * Returns true if it was added (not seen before).
   */
  addIfAbsent(hash: number, bits: Uint32Array, op: number, state: S): boolean {
    const words = this.words;
    const opWord = op >>> 5;
    const opMask = (1 << (op & 31)) >>> 0;
    let slot = hash & this.mask;
    for (;;) {
      const e = this.table[slot]!;
      if (e === EMPTY) break;
      const entry = e - 1;
      if (this.hashes[entry] === hash && this.sameBits(entry, bits, opWord, opMask) && this.equal(this.states[entry]!, state)) return false;
      slot = (slot + 1) & this.mask;
    }
    const entry = this.size++;
    if (entry >= this.hashes.length) this.growEntries();
    const base = entry * words;
    for (let i = 0; i < words; i++) this.pool[base + i] = i === opWord ? (bits[i]! | opMask) >>> 0 : bits[i]!;
    this.hashes[entry] = hash;
    this.states[entry] = state;
    this.table[slot] = entry + 1;
    if (this.size * 2 > this.table.length) this.rehash(); // the load factor stays <= 1/2
    return true;
  }

  private sameBits(entry: number, bits: Uint32Array, opWord: number, opMask: number): boolean {
    const base = entry * this.words;
    for (let i = 0; i < this.words; i++) {
      const cur = i === opWord ? (bits[i]! | opMask) >>> 0 : bits[i]!;
      if (this.pool[base + i] !== cur) return false;
    }
    return true;
  }

  private growEntries(): void {
    const capacity = this.hashes.length * 2;
    const pool = new Uint32Array(capacity * Math.max(1, this.words));
    pool.set(this.pool);
    this.pool = pool;
    const hashes = new Uint32Array(capacity);
    hashes.set(this.hashes);
    this.hashes = hashes;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    for (let entry = 0; entry < this.size; entry++) {
      let slot = this.hashes[entry]! & mask;
      while (table[slot] !== EMPTY) slot = (slot + 1) & mask;
      table[slot] = entry + 1;
    }
    this.table = table;
    this.mask = mask;
  }
}
