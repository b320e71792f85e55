/**
 * Bug-zoo support: does a sweep catch a known-broken variant, and after how many seeds? Every
 * system's bug-zoo test asks the same two questions: this is the one place that answers them.
 */
import type { ParamDefs } from './params.ts';
import { runScenario, type Outcome, type RunResult } from './runner.ts';
import type { Scenario } from './scenario.ts';

/** Options of {@link findCatchingSeed}: which variant, how many seeds, swarm and BUGGIFY. */
export interface CatchOptions {
  /** Parameter pins selecting the broken variant, e.g. `{ bug: 'stale-reads' }`. */
  pins: Record<string, unknown>;
  /** Seeds tried, from `from` (default 1). */
  cap: number;
  /** The first seed tried (default 1). */
  from?: number;
  /** Draw unpinned parameters per seed (default true); false runs every seed with the defaults. */
  swarm?: boolean;
  /** BUGGIFY on (default true). */
  buggify?: boolean;
  /** Invariants switched off (RunOptions.ignoreInvariants): does anything else catch the bug? */
  ignore?: readonly string[];
}

/** How the seeds are run: swarm and BUGGIFY (both default true, as in `detsim run`). */
export interface SeedRunOptions {
  /** Draw unpinned parameters per seed (default true). */
  swarm?: boolean;
  /** BUGGIFY on (default true). */
  buggify?: boolean;
}

/** What {@link findCatchingSeed} found. */
export interface Catch {
  /** The first failing seed, or null if none of the `cap` seeds failed. */
  seed: number | null;
  /** How many seeds were run (the seeds-to-catch figure when caught). */
  seedsRun: number;
  /** The first violated invariant of the catching run, or null. */
  invariant: string | null;
  /** The catching run's outcome, or null if no seed failed. */
  outcome: Outcome | null;
  /** The catching run, or null if no seed failed. */
  result: RunResult | null;
}

/** Runs seeds from `from` until one fails; reports which, and what caught it. */
export function findCatchingSeed<P extends ParamDefs>(scn: Scenario<P>, o: CatchOptions): Catch {
  const from = o.from ?? 1;
  for (let seed = from; seed < from + o.cap; seed++) {
    const r = runScenario(scn, { seed, pins: o.pins, swarm: o.swarm ?? true, buggify: o.buggify ?? true, ...(o.ignore ? { ignoreInvariants: o.ignore } : {}) });
    if (!r.ok) return { seed, seedsRun: seed - from + 1, invariant: r.violations[0]?.invariant ?? null, outcome: r.outcome, result: r };
  }
  return { seed: null, seedsRun: o.cap, invariant: null, outcome: null, result: null };
}

/** A seed on which a variant failed, and its first violation. */
export interface FailingSeed {
  /** The seed. */
  seed: number;
  /** The first violated invariant (or the outcome when none was named). */
  invariant: string;
  /** What was wrong. */
  message: string;
}

/** The seeds [from, to] on which `pins` (the correct variant) fails, with their first violation. */
export function failingSeeds<P extends ParamDefs>(scn: Scenario<P>, pins: Record<string, unknown>, from: number, to: number, opts: SeedRunOptions = {}): FailingSeed[] {
  const out: FailingSeed[] = [];
  for (let seed = from; seed <= to; seed++) {
    const r = runScenario(scn, { seed, pins, swarm: opts.swarm ?? true, buggify: opts.buggify ?? true });
    if (!r.ok) out.push({ seed, invariant: r.violations[0]?.invariant ?? r.outcome, message: r.violations[0]?.message ?? '' });
  }
  return out;
}
