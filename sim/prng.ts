/**
 * Seeded randomness. One root seed per run; every component draws from its own *named stream*
 * derived from the root seed and the stream's name, so a change in how one component draws numbers
 * does not reshuffle any other (TigerBeetle gives each component its own seed for the same reason).
 *
 * The generator is Johannes Baagøe's Alea, the one seedrandom ships as `alea`: fast, 2^116 period,
 * and good enough statistically for fault injection and workload generation. It is written out
 * here, the same arithmetic step for step (so every stream draws the same numbers as
 * `seedrandom.alea`, which sim/prng.test.ts checks), as fields of the stream: seedrandom's version
 * builds an object, a mash closure and three closures on a function per stream, and a run makes
 * one stream per link, node and disk, again for every seed of a sweep.
 */

/** The interface every simulated component draws randomness through. */
export interface Rng {
  /** The stream's name, e.g. "network" or "node/n1". */
  readonly name: string;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** A float in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** A new array with the elements in random order (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[];
  /** An exponential variate with the given mean. */
  exponential(mean: number): number;
  /** A normal variate (Box-Muller). */
  normal(mean: number, stddev: number): number;
  /** A log-normal variate with the given median and 99th percentile: a long-tailed latency. */
  logNormal(median: number, p99: number): number;
  /** An independent child stream named `${this.name}/${name}`. */
  fork(name: string): Rng;
}

/** The z-score of the 99th percentile of a standard normal distribution. */
const Z99 = 2.3263478740408408;

/** Alea's seed hash (Mash) over `data`, from the state `n`: returns the new state and leaves the hash in `mashOut`. */
let mashOut = 0;
function mash(n: number, data: string): number {
  for (let i = 0; i < data.length; i++) {
    n += data.charCodeAt(i);
    let h = 0.02519603282416938 * n;
    n = h >>> 0;
    h -= n;
    h *= n;
    n = h >>> 0;
    h -= n;
    n += h * 0x100000000; // 2^32
  }
  mashOut = (n >>> 0) * 2.3283064365386963e-10; // 2^-32
  return n;
}

export class SeededRng implements Rng {
  readonly name: string;
  private readonly root: string;
  // Alea's state.
  private s0: number;
  private s1: number;
  private s2: number;
  private c = 1;

  /** `root` is the run's root seed as a string; `name` names the stream. */
  constructor(root: string | number, name: string) {
    this.root = String(root);
    this.name = name;
    // The stream seed mixes the root and the name, so streams are independent of each other and
    // of the order in which they are created.
    const seed = `${this.root}\u0000${name}`;
    // Alea's seeding, in seedrandom's order: three hashes of ' ', then the seed subtracted thrice.
    let n = 0xefc8249d;
    n = mash(n, ' ');
    let s0 = mashOut;
    n = mash(n, ' ');
    let s1 = mashOut;
    n = mash(n, ' ');
    let s2 = mashOut;
    n = mash(n, seed);
    s0 -= mashOut;
    if (s0 < 0) s0 += 1;
    n = mash(n, seed);
    s1 -= mashOut;
    if (s1 < 0) s1 += 1;
    mash(n, seed);
    s2 -= mashOut;
    if (s2 < 0) s2 += 1;
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
  }

  next(): number {
    const t = 2091639 * this.s0 + this.c * 2.3283064365386963e-10; // 2^-32
    this.s0 = this.s1;
    this.s1 = this.s2;
    return (this.s2 = t - (this.c = t | 0));
  }

  int(lo: number, hi: number): number {
    if (!(hi >= lo)) throw new RangeError(`Rng.int: empty range [${lo}, ${hi}]`);
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  uniform(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Rng.pick: empty array');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = out[i] as T;
      out[i] = out[j] as T;
      out[j] = t;
    }
    return out;
  }

  exponential(mean: number): number {
    // 1 - u is in (0, 1], so the log is finite.
    return -mean * Math.log(1 - this.next());
  }

  normal(mean: number, stddev: number): number {
    const u1 = 1 - this.next();
    const u2 = this.next();
    return mean + stddev * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  logNormal(median: number, p99: number): number {
    if (median <= 0 || p99 < median) throw new RangeError(`Rng.logNormal: need 0 < median <= p99, got ${median}, ${p99}`);
    const sigma = Math.log(p99 / median) / Z99;
    return median * Math.exp(sigma * this.normal(0, 1));
  }

  fork(name: string): Rng {
    return new SeededRng(this.root, `${this.name}/${name}`);
  }
}

/** The root of a run's randomness: hands out named streams. */
export class RngRoot {
  /** The run's seed, as a string. */
  readonly seed: string;
  constructor(seed: string | number) {
    this.seed = String(seed);
  }
  /** The stream with this name. Two calls with one name give two generators with one sequence. */
  stream(name: string): Rng {
    return new SeededRng(this.seed, name);
  }
}
