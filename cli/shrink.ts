/**
 * `detsim shrink <repro.json>`: the smallest fault schedule that still fails. Greedy, in the
 * spirit of delta debugging: try each simplification of the run's parameters (a fault kind off,
 * a rate or a duration halved, a count lowered, buggify off) and keep it whenever the run still
 * fails the same invariant, until no simplification is kept.
 *
 * This works on parameters rather than on a recorded event list because every component draws
 * from its own named random stream: switching crashes off does not reshuffle the network's
 * draws, so a simpler run stays close to the original rather than becoming a different one.
 */
import type { ParamDef, ParamDefs } from '../sim/params.ts';
import { runScenario, type RunResult } from '../sim/runner.ts';
import type { Scenario } from '../sim/scenario.ts';

export interface ShrinkInput<P extends ParamDefs = ParamDefs> {
  scenario: Scenario<P>;
  seed: number;
  params: Record<string, unknown>;
  buggify: boolean;
  /** The invariant the run must keep failing (the original's first violation). */
  invariant: string;
  /** Runs allowed in all (each is one simulation). */
  maxRuns: number;
}

export interface ShrinkStep {
  param: string;
  from: unknown;
  to: unknown;
}

export interface ShrinkResult {
  params: Record<string, unknown>;
  buggify: boolean;
  steps: ShrinkStep[];
  runs: number;
  original: RunResult;
  shrunk: RunResult;
}

/**
 * A simpler value to try for a parameter. 'off' switches something off or back to its default
 * (always a simplification); 'smaller' lowers a number, which is kept only if the run does not
 * get bigger (halving a period makes a run busier, not simpler).
 */
export interface Candidate {
  value: unknown;
  /** 'off' and 'fewer' are always simpler; 'smaller' only if the run gets smaller. */
  kind: 'off' | 'fewer' | 'smaller';
}

/** Simpler values to try for one parameter, simplest first. */
export function candidates(def: ParamDef, value: unknown): Candidate[] {
  switch (def.type) {
    case 'bool':
      return value === true ? [{ value: false, kind: 'off' }] : [];
    case 'enum':
      return value !== def.default ? [{ value: def.default, kind: 'off' }] : [];
    case 'int': {
      const v = value as number;
      const out: Candidate[] = [];
      if (def.min < v) out.push({ value: def.min, kind: def.min === 0 ? 'off' : 'smaller' });
      const half = Math.floor(v / 2);
      if (half > def.min && half < v) out.push({ value: half, kind: 'smaller' });
      if (v - 1 > def.min && v - 1 !== half) out.push({ value: v - 1, kind: 'smaller' });
      return out;
    }
    case 'float': {
      const v = value as number;
      const out: Candidate[] = [];
      if (def.min <= 0 && v > 0) out.push({ value: 0, kind: 'off' });
      if (def.shrink === 'up') {
        // A mean time between faults: doubling it means fewer faults.
        if (v > 0 && v * 2 <= def.max) out.push({ value: Math.round(v * 2 * 1e6) / 1e6, kind: 'fewer' });
        return out;
      }
      const half = Math.round((v / 2) * 1e6) / 1e6;
      if (half >= def.min && half < v && half > 0) out.push({ value: half, kind: 'smaller' });
      return out;
    }
  }
}

export function shrink<P extends ParamDefs>(input: ShrinkInput<P>, onStep?: (s: ShrinkStep, r: RunResult) => void): ShrinkResult {
  const defs: ParamDefs = input.scenario.params;
  let runs = 0;
  const run = (params: Record<string, unknown>, buggify: boolean): RunResult => {
    runs++;
    return runScenario(input.scenario, { seed: input.seed, pins: params, swarm: false, buggify });
  };
  const fails = (r: RunResult): boolean => !r.ok && r.violations.some((v) => v.invariant === input.invariant);

  const original = run(input.params, input.buggify);
  let params = { ...input.params };
  let buggify = input.buggify;
  let best = original;
  const steps: ShrinkStep[] = [];
  if (!fails(original)) return { params, buggify, steps, runs, original, shrunk: original };

  let changed = true;
  while (changed && runs < input.maxRuns) {
    changed = false;
    if (buggify) {
      const r = run(params, false);
      if (fails(r)) {
        buggify = false;
        best = r;
        const s = { param: '(buggify)', from: true, to: false };
        steps.push(s);
        onStep?.(s, r);
        changed = true;
      }
    }
    for (const [name, def] of Object.entries(defs)) {
      for (const { value: to, kind } of candidates(def, params[name])) {
        if (runs >= input.maxRuns) break;
        const trial = { ...params, [name]: to };
        const r = run(trial, buggify);
        if (fails(r) && (kind !== 'smaller' || r.events < best.events)) {
          const s = { param: name, from: params[name], to };
          params = trial;
          best = r;
          steps.push(s);
          onStep?.(s, r);
          changed = true;
          break; // the simplest value that still fails; others of this param next round
        }
      }
    }
  }
  return { params, buggify, steps, runs, original, shrunk: best };
}
