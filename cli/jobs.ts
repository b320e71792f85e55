/**
 * Where a sweep's jobs come from: the JobSource seam (INTERFACES.md §3). The worker pool in
 * cli/sweep.ts asks a source for the next job whenever a worker is free, so jobs are made
 * lazily: a sweep of 10^11 seeds starts at once and holds only the jobs in flight.
 *
 * Two sources live here: `SeedRangeSource` (the plain sweep: every scenario x every seed of a
 * range, optionally one shard of it) and `ListSource` (a fixed list, e.g. regression seeds). A
 * guided source (coverage-guided swarm) implements the same interface and adapts in `onResult`.
 */
import type { RunReport } from './execute.ts';
import type { ScriptEntry } from '../sim/decisions.ts';

export interface SweepJob {
  /** Unique within one sweep (the pool matches replies to jobs by it). */
  id: number;
  /** Absolute path of the scenario module the worker imports. */
  file: string;
  scenario: string;
  seed: number;
  /** Parameter values pinned for this job (user pins, or a guided source's biased draws). */
  pins: Record<string, unknown>;
  swarm: boolean;
  buggify: boolean;
  checkDeterminism: boolean;
  /** One random stream per directed link (absent: true); false is `--single-stream`, the network's one stream of old builds. */
  linkStreams?: boolean;
  /** Drive the run from this script (a shrink's trial, cli/run-shrink.ts) instead of the seed's own decisions. */
  script?: ScriptEntry[];
}

export interface JobSource {
  /** The next job, or null when there are no more (for now or for good: see `done`). */
  next(): SweepJob | null;
  /** Called with each finished run (guided modes adapt from it). */
  onResult?(r: RunReport): void;
  /** True when no job will ever come again (a null from next() with done() false = wait for results). */
  done(): boolean;
  /** Total jobs if known (for the progress bar), else null. */
  total(): number | null;
}

/** Shard K of N (1-based K), as `--shard K/N` writes it. */
export interface Shard {
  k: number;
  n: number;
}

export function parseShard(raw: string): Shard | null {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(raw.trim());
  if (!m) return null;
  const k = Number(m[1]);
  const n = Number(m[2]);
  if (n < 1 || k < 1 || k > n) return null;
  return { k, n };
}

export function formatShard(s: Shard | null | undefined): string | undefined {
  return s ? `${s.k}/${s.n}` : undefined;
}

/**
 * Shard arithmetic. Seed index j (0-based, seed = from + j) of the scenario ranked `rank` (its
 * position among the sweep's scenario names, sorted) belongs to shard 1 + ((j + offset) mod N),
 * offset = rank * (seeds mod N). So every shard gets seeds/N (rounded down or up) of *every*
 * scenario: each shard's expected cost is 1/N of the whole whatever the scenarios cost. The
 * offsets lay the scenarios' rounding remainders end to end around the shards, so shard totals
 * differ by at most one run. Deterministic, disjoint, and the N shards cover the whole range.
 */
export function shardOf(rank: number, seedIndex: number, seeds: number, n: number): number {
  return 1 + ((seedIndex + rank * (seeds % n)) % n);
}

/** The first seed index of scenario `rank` that falls in shard k of n. */
export function firstIndexInShard(rank: number, seeds: number, shard: Shard): number {
  const offset = (rank * (seeds % shard.n)) % shard.n;
  return (((shard.k - 1 - offset) % shard.n) + shard.n) % shard.n;
}

/** How many of `seeds` seed indices of scenario `rank` fall in the shard. */
export function countInShard(rank: number, seeds: number, shard: Shard | null): number {
  if (!shard) return seeds;
  const r = firstIndexInShard(rank, seeds, shard);
  return r >= seeds ? 0 : Math.floor((seeds - 1 - r) / shard.n) + 1;
}

/** Ranks of scenario names for the shard arithmetic: position in the sorted list. */
export function scenarioRanks(names: string[]): Map<string, number> {
  return new Map([...names].sort().map((n, i) => [n, i]));
}

/** Total jobs of a (possibly sharded) sweep. */
export function plannedRuns(names: string[], seeds: number, shard: Shard | null): number {
  const ranks = scenarioRanks(names);
  return names.reduce((s, n) => s + countInShard(ranks.get(n)!, seeds, shard), 0);
}

export interface ScenarioJobSpec {
  name: string;
  file: string;
  pins: Record<string, unknown>;
}

/**
 * Every scenario x every seed in [from, from + seeds), or one shard of that. Seed-major order
 * (seed 1 of every scenario, then seed 2, ...), so a sweep cut short has covered every scenario
 * evenly. O(scenarios) memory whatever the seed count.
 */
export class SeedRangeSource implements JobSource {
  private readonly specs: { spec: ScenarioJobSpec; nextIndex: number; count: number }[];
  private readonly step: number;
  private cursor = 0;
  private nextId = 0;
  private remaining: number;
  private readonly totalJobs: number;

  constructor(
    scenarios: ScenarioJobSpec[],
    private readonly opts: { seeds: number; from: number; shard: Shard | null; swarm: boolean; buggify: boolean; checkDeterminism: boolean; linkStreams?: boolean },
  ) {
    const ranks = scenarioRanks(scenarios.map((s) => s.name));
    this.step = opts.shard?.n ?? 1;
    this.specs = scenarios.map((spec) => {
      const rank = ranks.get(spec.name)!;
      return { spec, nextIndex: opts.shard ? firstIndexInShard(rank, opts.seeds, opts.shard) : 0, count: countInShard(rank, opts.seeds, opts.shard) };
    });
    this.totalJobs = this.specs.reduce((s, x) => s + x.count, 0);
    this.remaining = this.totalJobs;
  }

  next(): SweepJob | null {
    if (this.remaining === 0) return null;
    // Round robin over scenarios that still have seeds; each call advances one scenario.
    for (let tries = 0; tries < this.specs.length; tries++) {
      const s = this.specs[this.cursor]!;
      this.cursor = (this.cursor + 1) % this.specs.length;
      if (s.nextIndex >= this.opts.seeds) continue;
      const j = s.nextIndex;
      s.nextIndex += this.step;
      this.remaining--;
      return {
        id: this.nextId++,
        file: s.spec.file,
        scenario: s.spec.name,
        seed: this.opts.from + j,
        pins: s.spec.pins,
        swarm: this.opts.swarm,
        buggify: this.opts.buggify,
        checkDeterminism: this.opts.checkDeterminism,
        ...(this.opts.linkStreams === false ? { linkStreams: false } : {}),
      };
    }
    return null;
  }

  done(): boolean {
    return this.remaining === 0;
  }

  total(): number {
    return this.totalJobs;
  }
}

/** A fixed list of jobs (regression seeds, tests). */
export class ListSource implements JobSource {
  private i = 0;
  constructor(private readonly jobs: Omit<SweepJob, 'id'>[]) {}
  next(): SweepJob | null {
    if (this.i >= this.jobs.length) return null;
    const id = this.i++;
    return { ...this.jobs[id]!, id };
  }
  done(): boolean {
    return this.i >= this.jobs.length;
  }
  total(): number {
    return this.jobs.length;
  }
}
