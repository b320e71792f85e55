/**
 * A set of numbers in flat typed arrays (open addressing, linear probing): what a gossip node
 * keeps of every value it delivered. A JS Set of numbers costs an allocation-heavy insertion per
 * value, and a node rebuilds the whole set at every restart: over a long run with frequent
 * restarts that rebuild was most of the time. Here an insertion is a hash and a probe.
 * No iteration (order would be the table's, not insertion's): keep a list beside it if needed.
 */
export class NumberSet {
  private keys: Float64Array;
  private used: Uint8Array;
  private mask: number;
  private count = 0;

  constructor(capacity = 16) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.keys = new Float64Array(cap);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  private slot(v: number): number {
    // Integers (the common case) hash their low and high 32 bits; other numbers their truncation,
    // which only costs collisions (keys are compared whole).
    let h = Math.imul((v | 0) ^ Math.floor(v / 4294967296), 0x9e3779b1);
    h ^= h >>> 15;
    let i = h & this.mask;
    while (this.used[i] === 1 && !Object.is(this.keys[i], v)) i = (i + 1) & this.mask;
    return i;
  }

  has(v: number): boolean {
    return this.used[this.slot(v)] === 1;
  }

  /** Adds `v`; true if it was new. */
  add(v: number): boolean {
    const i = this.slot(v);
    if (this.used[i] === 1) return false;
    this.used[i] = 1;
    this.keys[i] = v;
    if (++this.count * 2 > this.mask + 1) this.grow();
    return true;
  }

  private grow(): void {
    const keys = this.keys;
    const used = this.used;
    const cap = (this.mask + 1) * 2;
    this.keys = new Float64Array(cap);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
    for (let i = 0; i < used.length; i++) {
      if (used[i] !== 1) continue;
      const j = this.slot(keys[i]!);
      this.used[j] = 1;
      this.keys[j] = keys[i]!;
    }
  }
}
