/**
 * Seeded randomness. One root seed per run; every component draws from its own *named stream*
 * derived from the root seed and the stream's name, so a change in how one component draws numbers
 * does not reshuffle any other (TigerBeetle gives each component its own seed for the same reason).
 *
 * The generator is seedrandom's `alea`: fast, 2^116 period, and good enough statistically for
 * fault injection and workload generation. It is imported as `seedrandom/lib/alea.js`, the generator
 * alone: the package's index also loads its five other generators and `node:crypto` (for
 * autoseeding, which a deterministic run never uses), all compiled again by every run's thread.
 */
/// <reference path="./seedrandom-alea.d.ts" />
// (The reference carries the module's types to a user's own tsconfig, which does not list this folder.)
import alea from 'seedrandom/lib/alea.js';

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

export class SeededRng implements Rng {
  readonly name: string;
  private readonly root: string;
  private readonly gen: () => number;

  /** `root` is the run's root seed as a string; `name` names the stream. */
  constructor(root: string | number, name: string) {
    this.root = String(root);
    this.name = name;
    // The stream seed mixes the root and the name, so streams are independent of each other and
    // of the order in which they are created.
    this.gen = alea(`${this.root}\u0000${name}`);
  }

  next(): number {
    return this.gen();
  }

  int(lo: number, hi: number): number {
    if (!(hi >= lo)) throw new RangeError(`Rng.int: empty range [${lo}, ${hi}]`);
    return lo + Math.floor(this.gen() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return p > 0 && this.gen() < p;
  }

  uniform(lo: number, hi: number): number {
    return lo + this.gen() * (hi - lo);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Rng.pick: empty array');
    return items[Math.floor(this.gen() * items.length)] as T;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.gen() * (i + 1));
      const t = out[i] as T;
      out[i] = out[j] as T;
      out[j] = t;
    }
    return out;
  }

  exponential(mean: number): number {
    // 1 - u is in (0, 1], so the log is finite.
    return -mean * Math.log(1 - this.gen());
  }

  normal(mean: number, stddev: number): number {
    const u1 = 1 - this.gen();
    const u2 = this.gen();
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
