/**
 * Bug-zoo support: does a sweep catch a known-broken variant, and after how many seeds? Every
 * system's bug-zoo test asks the same two questions: this is the one place that answers them.
 */
import type { ParamDefs } from './params.ts';
import { runScenario, type Outcome, type RunResult } from './runner.ts';
import type { Scenario } from './scenario.ts';

export interface CatchOptions {
  /** Parameter pins selecting the broken variant, e.g. `{ bug: 'stale-reads' }`. */
  pins: Record<string, unknown>;
  /** Seeds tried, from `from` (default 1). */
  cap: number;
  from?: number;
  /** Invariants switched off (RunOptions.ignoreInvariants): does anything else catch the bug? */
  ignore?: readonly string[];
}

export interface Catch {
  /** The first failing seed, or null if none of the `cap` seeds failed. */
  seed: number | null;
  /** How many seeds were run (the seeds-to-catch figure when caught). */
  seedsRun: number;
  invariant: string | null;
  outcome: Outcome | null;
  result: RunResult | null;
}

/** Runs seeds from `from` until one fails; reports which, and what caught it. */
export function findCatchingSeed<P extends ParamDefs>(scn: Scenario<P>, o: CatchOptions): Catch {
  const from = o.from ?? 1;
  for (let seed = from; seed < from + o.cap; seed++) {
    const r = runScenario(scn, { seed, pins: o.pins, ...(o.ignore ? { ignoreInvariants: o.ignore } : {}) });
    if (!r.ok) return { seed, seedsRun: seed - from + 1, invariant: r.violations[0]?.invariant ?? null, outcome: r.outcome, result: r };
  }
  return { seed: null, seedsRun: o.cap, invariant: null, outcome: null, result: null };
}

/** The seeds [from, to] on which `pins` (the correct variant) fails, with their first violation. */
export function failingSeeds<P extends ParamDefs>(scn: Scenario<P>, pins: Record<string, unknown>, from: number, to: number): { seed: number; invariant: string; message: string }[] {
  const out: { seed: number; invariant: string; message: string }[] = [];
  for (let seed = from; seed <= to; seed++) {
    const r = runScenario(scn, { seed, pins });
    if (!r.ok) out.push({ seed, invariant: r.violations[0]?.invariant ?? r.outcome, message: r.violations[0]?.message ?? '' });
  }
  return out;
}
