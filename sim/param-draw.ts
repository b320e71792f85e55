/** Drawing a seed's parameter values from the parameter table alone (no scenario code needed). */
import { resolveCheckedParamsWhy, resolveParams, type ParamDefs } from './params.ts';
import { RngRoot } from './prng.ts';

/**
 * The parameters seed `seed` runs with (pins, then the seed's swarm draws, then defaults): what
 * the run itself resolves, drawn from the same stream (sim/runner.ts drawParams). Needs only the
 * parameter table, so the CLI can show them without importing the scenario's code.
 */
export function drawParamValues(defs: ParamDefs, seed: number, pins: Record<string, unknown>, swarm: boolean, refuses?: (p: Record<string, unknown>) => string | null | undefined, scenario = ''): Record<string, unknown> {
  return drawParamValuesWhy(defs, seed, pins, swarm, refuses, scenario).values;
}

/**
 * `drawParamValues`, and why the seed's draws were refused when it runs with the defaults of its
 * unpinned parameters instead (RunResult.paramsFellBack; null when it does not).
 */
export function drawParamValuesWhy(defs: ParamDefs, seed: number, pins: Record<string, unknown>, swarm: boolean, refuses?: (p: Record<string, unknown>) => string | null | undefined, scenario = ''): { values: Record<string, unknown>; fellBack: string | null } {
  const rng = new RngRoot(String(seed)).stream('swarm');
  // With the scenario's check (Scenario.checkParams): what the run resolves when pins and draws clash.
  if (refuses !== undefined) return resolveCheckedParamsWhy(defs, pins, rng, swarm, refuses, scenario) as { values: Record<string, unknown>; fellBack: string | null };
  return { values: resolveParams(defs, pins, rng, swarm) as Record<string, unknown>, fellBack: null };
}
