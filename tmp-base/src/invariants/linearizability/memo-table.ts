/**
 * The search's memo: the configurations already explored, each a set of linearized operations and
 * a model state. A million entries is normal for a hard 80-operation history, so it avoids an
 * object and a typed array per entry (allocation and garbage collection dominated the first
 * version): bitsets live in flat pools, and an open-addressing table (linear probing) finds groups.
 *
 * Subsumption for operations of unknown outcome: a configuration is redundant if one explored
 * before has the same state, the same known-outcome operations linearized, and a *subset* of its
 * unknown-outcome operations linearized. The earlier one can do everything the new one can: the
 * extra unknown-outcome operations may simply never take effect, and as their replies never came
 * they bound nothing in real time. Without this, every subset of pending timed-out operations is a
 * separate configuration, and a failing search over a history with dozens of them never ends.
 *
 * So entries are grouped by (known-outcome bits, state); each group holds the unknown-outcome
 * bitsets explored with it.
 */

const EMPTY = 0;
const NONE = -1;

export class MemoTable<S> {
  private readonly words: number;
  private readonly equal: (a: S, b: S) => boolean;
  /** Bits of operations of unknown outcome. */
  private readonly unknownMask: Uint32Array;
  private readonly hasUnknown: boolean;
  // Groups: one per (known bits, state).
  private groupCount = 0;
  private groupHash: Uint32Array;
  /** Full bitset of the group's first entry, `words` words per group; compared on known bits only. */
  private groupBits: Uint32Array;
  private readonly groupState: S[] = [];
  /** First unknown-bits set of the group, or NONE. */
  private groupFirstSet: Int32Array;
  // Sets: the unknown-outcome bits of each entry, chained per group.
  private setBits: Uint32Array;
  private setNext: Int32Array;
  /** Slot -> group index + 1, or EMPTY. */
  private table: Int32Array;
  private mask: number;
  /** Entries (explored configurations) held. */
  size = 0;

  constructor(words: number, equal: (a: S, b: S) => boolean, unknownMask: Uint32Array) {
    this.words = Math.max(1, words);
    this.equal = equal;
    this.unknownMask = unknownMask;
    this.hasUnknown = unknownMask.some((w) => w !== 0);
    const capacity = 1024;
    this.groupHash = new Uint32Array(capacity);
    this.groupBits = new Uint32Array(capacity * this.words);
    this.groupFirstSet = new Int32Array(capacity);
    this.setBits = new Uint32Array(this.hasUnknown ? capacity * this.words : 0);
    this.setNext = new Int32Array(this.hasUnknown ? capacity : 0);
    this.table = new Int32Array(capacity * 2);
    this.mask = capacity * 2 - 1;
  }

  /**
   * Adds the configuration (bits with bit `op` set, state) unless an explored one subsumes it (see
   * the header). `hash` must depend only on the state and the known-outcome bits. True if added.
   */
  addIfAbsent(hash: number, bits: Uint32Array, op: number, state: S): boolean {
    const opWord = op >>> 5;
    const opMask = (1 << (op & 31)) >>> 0;
    let slot = hash & this.mask;
    for (;;) {
      const g = this.table[slot]!;
      if (g === EMPTY) break;
      const group = g - 1;
      if (this.groupHash[group] === hash && this.sameKnownBits(group, bits, opWord, opMask) && this.equal(this.groupState[group]!, state)) {
        if (!this.hasUnknown) return false;
        for (let set = this.groupFirstSet[group]!; set !== NONE; set = this.setNext[set]!) {
          if (this.unknownSubset(set, bits, opWord, opMask)) return false;
        }
        this.addSet(group, bits, opWord, opMask);
        return true;
      }
      slot = (slot + 1) & this.mask;
    }
    const group = this.addGroup(hash, bits, opWord, opMask, state);
    this.table[slot] = group + 1;
    if (this.hasUnknown) this.addSet(group, bits, opWord, opMask);
    else this.size++;
    if (this.groupCount * 2 > this.table.length) this.rehash(); // the load factor stays <= 1/2
    return true;
  }

  private sameKnownBits(group: number, bits: Uint32Array, opWord: number, opMask: number): boolean {
    const base = group * this.words;
    for (let i = 0; i < this.words; i++) {
      const cur = i === opWord ? (bits[i]! | opMask) >>> 0 : (bits[i] ?? 0);
      if (((this.groupBits[base + i]! ^ cur) & ~this.unknownMask[i]!) !== 0) return false;
    }
    return true;
  }

  /** Whether the set's unknown-outcome bits are a subset of the new configuration's. */
  private unknownSubset(set: number, bits: Uint32Array, opWord: number, opMask: number): boolean {
    const base = set * this.words;
    for (let i = 0; i < this.words; i++) {
      const cur = i === opWord ? (bits[i]! | opMask) >>> 0 : (bits[i] ?? 0);
      if ((this.setBits[base + i]! & ~cur) !== 0) return false;
    }
    return true;
  }

  private addGroup(hash: number, bits: Uint32Array, opWord: number, opMask: number, state: S): number {
    const group = this.groupCount++;
    if (group >= this.groupHash.length) {
      const capacity = this.groupHash.length * 2;
      this.groupHash = grow(this.groupHash, capacity);
      this.groupBits = grow(this.groupBits, capacity * this.words);
      this.groupFirstSet = grow(this.groupFirstSet, capacity);
    }
    const base = group * this.words;
    for (let i = 0; i < this.words; i++) this.groupBits[base + i] = i === opWord ? (bits[i]! | opMask) >>> 0 : (bits[i] ?? 0);
    this.groupHash[group] = hash;
    this.groupState[group] = state;
    this.groupFirstSet[group] = NONE;
    return group;
  }

  private addSet(group: number, bits: Uint32Array, opWord: number, opMask: number): void {
    const set = this.size++;
    if (set >= this.setNext.length) {
      const capacity = Math.max(1024, this.setNext.length * 2);
      this.setBits = grow(this.setBits, capacity * this.words);
      this.setNext = grow(this.setNext, capacity);
    }
    const base = set * this.words;
    for (let i = 0; i < this.words; i++) {
      const cur = i === opWord ? (bits[i]! | opMask) >>> 0 : (bits[i] ?? 0);
      this.setBits[base + i] = (cur & this.unknownMask[i]!) >>> 0;
    }
    this.setNext[set] = this.groupFirstSet[group]!;
    this.groupFirstSet[group] = set;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    for (let group = 0; group < this.groupCount; group++) {
      let slot = this.groupHash[group]! & mask;
      while (table[slot] !== EMPTY) slot = (slot + 1) & mask;
      table[slot] = group + 1;
    }
    this.table = table;
    this.mask = mask;
  }
}

function grow<T extends Uint32Array | Int32Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}
