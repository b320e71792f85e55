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
 *
 * Those windows are read off a `LinearizedSet`, which keeps them up to date as the search adds and
 * removes operations, so storing a configuration costs its window, not the history: finding them by
 * scanning the bitset from both ends cost O(history / 32) words per configuration, quadratic in a
 * long run's history (a 100,000-operation raft-churn history spent 0.55-0.85 s in that scan, 20x
 * its 12,000-operation run's check for 8x the operations).
 */

const EMPTY = 0;
const NONE = -1;
const FULL = 0xffffffff;

/**
 * The search's linearized operations as a bitset, with the windows the memo stores (see the header)
 * kept as operations are added and removed: each change moves a bound by scanning only the words it
 * passes over, so a long history's search does not rescan its whole bitset per configuration.
 */
export class LinearizedSet {
  readonly bits: Uint32Array;
  /** Bits of operations of unknown outcome. */
  readonly unknownMask: Uint32Array;
  /** First word whose known-outcome bits are not all set (`words` if every one is). */
  knownLo = 0;
  /** One past the last word with a known-outcome bit set (0 if none is). */
  knownHi = 0;
  /** First word with an unknown-outcome bit set (`words` if none is). */
  unknownLo: number;
  /** One past the last word with an unknown-outcome bit set (0 if none is). */
  unknownHi = 0;

  constructor(unknownMask: Uint32Array, bits: Uint32Array = new Uint32Array(unknownMask.length)) {
    this.unknownMask = unknownMask;
    this.bits = bits;
    this.unknownLo = bits.length;
    this.recompute();
  }

  /** Words in the bitset. */
  get words(): number {
    return this.bits.length;
  }

  /** The bounds computed from the bits alone (the definition `add` and `remove` keep). */
  recompute(): void {
    const { bits, unknownMask } = this;
    const w = bits.length;
    let lo = 0;
    while (lo < w && (bits[lo]! | unknownMask[lo]!) >>> 0 === FULL) lo++;
    this.knownLo = lo;
    let hi = w;
    while (hi > 0 && (bits[hi - 1]! & ~unknownMask[hi - 1]!) === 0) hi--;
    this.knownHi = hi;
    lo = 0;
    while (lo < w && (bits[lo]! & unknownMask[lo]!) === 0) lo++;
    this.unknownLo = lo;
    hi = w;
    while (hi > lo && (bits[hi - 1]! & unknownMask[hi - 1]!) === 0) hi--;
    this.unknownHi = lo === w ? 0 : hi;
  }

  /** Adds operation `op` (not in the set). */
  add(op: number): void {
    const { bits, unknownMask } = this;
    const w = op >>> 5;
    const m = (1 << (op & 31)) >>> 0;
    bits[w] = (bits[w]! | m) >>> 0;
    if ((unknownMask[w]! & m) !== 0) {
      if (w < this.unknownLo) this.unknownLo = w;
      if (w >= this.unknownHi) this.unknownHi = w + 1;
      return;
    }
    if (w >= this.knownHi) this.knownHi = w + 1;
    if (w === this.knownLo) this.knownLo = this.fullFrom(w);
  }

  /** Removes operation `op` (in the set). */
  remove(op: number): void {
    const { bits, unknownMask } = this;
    const w = op >>> 5;
    const m = (1 << (op & 31)) >>> 0;
    bits[w] = (bits[w]! & ~m) >>> 0;
    if ((unknownMask[w]! & m) !== 0) {
      if ((bits[w]! & unknownMask[w]!) !== 0) return;
      if (w === this.unknownLo) {
        let lo = w + 1;
        while (lo < this.unknownHi && (bits[lo]! & unknownMask[lo]!) === 0) lo++;
        if (lo >= this.unknownHi) {
          this.unknownLo = bits.length; // that was the last one
          this.unknownHi = 0;
          return;
        }
        this.unknownLo = lo;
      }
      if (w === this.unknownHi - 1) {
        let hi = w;
        while (hi > this.unknownLo && (bits[hi - 1]! & unknownMask[hi - 1]!) === 0) hi--;
        this.unknownHi = hi;
      }
      return;
    }
    if (w < this.knownLo) this.knownLo = w;
    if (w === this.knownHi - 1 && (bits[w]! & ~unknownMask[w]!) === 0) {
      let hi = w;
      while (hi > 0 && (bits[hi - 1]! & ~unknownMask[hi - 1]!) === 0) hi--;
      this.knownHi = hi;
    }
  }

  /** The first word from `w` on whose known-outcome bits are not all set, given word `w`'s bits plus `plus`. */
  fullFrom(w: number, plus = 0): number {
    const { bits, unknownMask } = this;
    if ((bits[w]! | plus | unknownMask[w]!) >>> 0 !== FULL) return w;
    let lo = w + 1;
    while (lo < bits.length && (bits[lo]! | unknownMask[lo]!) >>> 0 === FULL) lo++;
    return lo;
  }
}

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
   * Adds the configuration (the set with operation `op` added, state) unless an explored one
   * subsumes it (see the header). `hash` must depend only on the state and the known-outcome bits.
   * True if added.
   */
  addIfAbsent(hash: number, set: LinearizedSet, op: number, state: S): boolean {
    const bits = set.bits;
    const opWord = op >>> 5;
    const opMask = (1 << (op & 31)) >>> 0;
    // The new configuration's known-outcome window, from the set's and the one operation added.
    const opKnown = (this.unknownMask[opWord]! & opMask) === 0;
    const lo = opKnown && opWord === set.knownLo ? set.fullFrom(opWord, opMask) : set.knownLo;
    const hi = Math.max(lo, opKnown ? Math.max(set.knownHi, opWord + 1) : set.knownHi);
    let slot = hash & this.mask;
    for (;;) {
      const g = this.table[slot]!;
      if (g === EMPTY) break;
      const group = g - 1;
      if (this.groupHash[group] === hash && this.sameKnownBits(group, bits, opWord, opMask, lo, hi) && this.equal(this.groupState[group]!, state)) {
        if (!this.hasUnknown) return false;
        for (let s = this.groupFirstSet[group]!; s !== NONE; s = this.setNext[s]!) {
          if (this.unknownSubset(s, bits, opWord, opMask)) return false;
        }
        this.addSet(group, set, opWord, opMask, opKnown);
        return true;
      }
      slot = (slot + 1) & this.mask;
    }
    const group = this.addGroup(hash, bits, opWord, opMask, state, lo, hi);
    this.table[slot] = group + 1;
    if (this.hasUnknown) this.addSet(group, set, opWord, opMask, opKnown);
    else this.size++;
    if (this.groupCount * 2 > this.table.length) this.rehash(); // the load factor stays <= 1/2
    return true;
  }

  /** Words of the memo's windows (for tests: a long history's memo stays small). */
  get windowWords(): number {
    return this.poolUsed;
  }

  /**
   * Whether the group's known-outcome bits are the new configuration's, whose window is [lo, hi):
   * below both windows every known-outcome bit is set in both, above both none is, so only the
   * words in either window are compared.
   */
  private sameKnownBits(group: number, bits: Uint32Array, opWord: number, opMask: number, lo: number, hi: number): boolean {
    const gLo = this.groupLo[group]!;
    const gHi = gLo + this.groupLen[group]!;
    const off = this.groupOff[group]! - gLo;
    const end = Math.max(hi, gHi);
    for (let i = Math.min(lo, gLo); i < end; i++) {
      const cur = i === opWord ? (bits[i]! | opMask) >>> 0 : bits[i]!;
      const known = ~this.unknownMask[i]!;
      const mine = i < gLo ? known : i < gHi ? this.pool[off + i]! : 0;
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

  /** A new group with the configuration's known-outcome bits, whose window is [lo, hi). */
  private addGroup(hash: number, bits: Uint32Array, opWord: number, opMask: number, state: S, lo: number, hi: number): number {
    const group = this.groupCount++;
    if (group >= this.groupHash.length) {
      const capacity = this.groupHash.length * 2;
      this.groupHash = grow(this.groupHash, capacity);
      this.groupLo = grow(this.groupLo, capacity);
      this.groupLen = grow(this.groupLen, capacity);
      this.groupOff = grow(this.groupOff, capacity);
      this.groupFirstSet = grow(this.groupFirstSet, capacity);
    }
    const off = this.reserve(hi - lo);
    for (let i = lo; i < hi; i++) this.pool[off + i - lo] = ((i === opWord ? bits[i]! | opMask : bits[i]!) & ~this.unknownMask[i]!) >>> 0;
    this.groupLo[group] = lo;
    this.groupLen[group] = hi - lo;
    this.groupOff[group] = off;
    this.groupHash[group] = hash;
    this.groupState[group] = state;
    this.groupFirstSet[group] = NONE;
    return group;
  }

  /** Chains the configuration's unknown-outcome bits to the group. */
  private addSet(group: number, set: LinearizedSet, opWord: number, opMask: number, opKnown: boolean): void {
    const bits = set.bits;
    const s = this.size++;
    if (s >= this.setNext.length) {
      const capacity = Math.max(1024, this.setNext.length * 2);
      this.setLo = grow(this.setLo, capacity);
      this.setLen = grow(this.setLen, capacity);
      this.setOff = grow(this.setOff, capacity);
      this.setNext = grow(this.setNext, capacity);
    }
    // The window of the unknown-outcome bits: from the first word with one to the last.
    let lo = opKnown ? set.unknownLo : Math.min(set.unknownLo, opWord);
    let hi = opKnown ? set.unknownHi : Math.max(set.unknownHi, opWord + 1);
    if (hi <= lo) lo = hi = 0; // none
    const off = this.reserve(hi - lo);
    for (let i = lo; i < hi; i++) this.pool[off + i - lo] = ((i === opWord ? bits[i]! | opMask : bits[i]!) & this.unknownMask[i]!) >>> 0;
    this.setLo[s] = lo;
    this.setLen[s] = hi - lo;
    this.setOff[s] = off;
    this.setNext[s] = this.groupFirstSet[group]!;
    this.groupFirstSet[group] = s;
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
