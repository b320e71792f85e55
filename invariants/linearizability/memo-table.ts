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
 *
 * A bitset is kept as its window: the words from the first one whose known-outcome bits are not
 * all set to the last one with a bit set (the words before it are full, the words after it empty).
 * The search linearizes operations roughly in call order, so that window spans the operations in
 * flight, not the whole history: a long run's history (100,000 operations, 33,000 a key) held a
 * 4 KB bitset per explored configuration, 150 MB for one partition, where its windows take a few
 * words each.
 */

const EMPTY = 0;
const NONE = -1;
const FULL = 0xffffffff;

export class MemoTable<S> {
  private readonly words: number;
  private readonly equal: (a: S, b: S) => boolean;
  /** Bits of operations of unknown outcome. */
  private readonly unknownMask: Uint32Array;
  private readonly hasUnknown: boolean;
  // Groups: one per (known bits, state).
  private groupCount = 0;
  private groupHash: Uint32Array;
  /**
   * The group's known-outcome bits as a window (see the header): words before `groupLo` have every
   * known-outcome bit set, `groupLen` words from `groupOff` in `pool` follow, the rest are empty.
   */
  private groupLo: Int32Array;
  private groupLen: Int32Array;
  private groupOff: Int32Array;
  private readonly groupState: S[] = [];
  /** First unknown-bits set of the group, or NONE. */
  private groupFirstSet: Int32Array;
  // Sets: the unknown-outcome bits of each entry (a window: `setLen` words from word `setLo`, at `setOff` in `pool`; the rest empty), chained per group.
  private setLo: Int32Array;
  private setLen: Int32Array;
  private setOff: Int32Array;
  private setNext: Int32Array;
  /** The windows' words, groups' and sets' alike. */
  private pool: Uint32Array;
  private poolUsed = 0;
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
    this.groupLo = new Int32Array(capacity);
    this.groupLen = new Int32Array(capacity);
    this.groupOff = new Int32Array(capacity);
    this.groupFirstSet = new Int32Array(capacity);
    const sets = this.hasUnknown ? capacity : 0;
    this.setLo = new Int32Array(sets);
    this.setLen = new Int32Array(sets);
    this.setOff = new Int32Array(sets);
    this.setNext = new Int32Array(sets);
    this.pool = new Uint32Array(capacity * 4);
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

  /** Words of the memo's windows (for tests: a long history's memo stays small). */
  get windowWords(): number {
    return this.poolUsed;
  }

  private sameKnownBits(group: number, bits: Uint32Array, opWord: number, opMask: number): boolean {
    const lo = this.groupLo[group]!;
    const hi = lo + this.groupLen[group]!;
    const off = this.groupOff[group]! - lo;
    for (let i = 0; i < this.words; i++) {
      const cur = i === opWord ? (bits[i]! | opMask) >>> 0 : (bits[i] ?? 0);
      const known = ~this.unknownMask[i]!;
      const mine = i < lo ? known : i < hi ? this.pool[off + i]! : 0;
      if (((mine ^ cur) & known) !== 0) return false;
    }
    return true;
  }

  /** Whether the set's unknown-outcome bits are a subset of the new configuration's. */
  private unknownSubset(set: number, bits: Uint32Array, opWord: number, opMask: number): boolean {
    const lo = this.setLo[set]!;
    const hi = lo + this.setLen[set]!;
    const off = this.setOff[set]! - lo;
    for (let i = lo; i < hi; i++) {
      const cur = i === opWord ? (bits[i]! | opMask) >>> 0 : (bits[i] ?? 0);
      if ((this.pool[off + i]! & ~cur) !== 0) return false;
    }
    return true;
  }

  private addGroup(hash: number, bits: Uint32Array, opWord: number, opMask: number, state: S): number {
    const group = this.groupCount++;
    if (group >= this.groupHash.length) {
      const capacity = this.groupHash.length * 2;
      this.groupHash = grow(this.groupHash, capacity);
      this.groupLo = grow(this.groupLo, capacity);
      this.groupLen = grow(this.groupLen, capacity);
      this.groupOff = grow(this.groupOff, capacity);
      this.groupFirstSet = grow(this.groupFirstSet, capacity);
    }
    // The window of the known-outcome bits: after the full words, up to the last word with a bit.
    const known = (i: number): number => ((i === opWord ? bits[i]! | opMask : (bits[i] ?? 0)) & ~this.unknownMask[i]!) >>> 0;
    let lo = 0;
    while (lo < this.words && (known(lo) | this.unknownMask[lo]!) >>> 0 === FULL) lo++;
    let hi = this.words;
    while (hi > lo && known(hi - 1) === 0) hi--;
    const off = this.reserve(hi - lo);
    for (let i = lo; i < hi; i++) this.pool[off + i - lo] = known(i);
    this.groupLo[group] = lo;
    this.groupLen[group] = hi - lo;
    this.groupOff[group] = off;
    this.groupHash[group] = hash;
    this.groupState[group] = state;
    this.groupFirstSet[group] = NONE;
    return group;
  }

  private addSet(group: number, bits: Uint32Array, opWord: number, opMask: number): void {
    const set = this.size++;
    if (set >= this.setNext.length) {
      const capacity = Math.max(1024, this.setNext.length * 2);
      this.setLo = grow(this.setLo, capacity);
      this.setLen = grow(this.setLen, capacity);
      this.setOff = grow(this.setOff, capacity);
      this.setNext = grow(this.setNext, capacity);
    }
    // The window of the unknown-outcome bits: from the first word with one to the last.
    const unknown = (i: number): number => ((i === opWord ? bits[i]! | opMask : (bits[i] ?? 0)) & this.unknownMask[i]!) >>> 0;
    let lo = 0;
    while (lo < this.words && unknown(lo) === 0) lo++;
    let hi = this.words;
    while (hi > lo && unknown(hi - 1) === 0) hi--;
    const off = this.reserve(hi - lo);
    for (let i = lo; i < hi; i++) this.pool[off + i - lo] = unknown(i);
    this.setLo[set] = lo;
    this.setLen[set] = hi - lo;
    this.setOff[set] = off;
    this.setNext[set] = this.groupFirstSet[group]!;
    this.groupFirstSet[group] = set;
  }

  /** Room for `n` more words in the pool; returns where they start. */
  private reserve(n: number): number {
    const off = this.poolUsed;
    if (off + n > this.pool.length) this.pool = grow(this.pool, Math.max(off + n, this.pool.length * 2));
    this.poolUsed = off + n;
    return off;
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
