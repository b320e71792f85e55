/** Drawing a seed's parameter values from the parameter table alone (no scenario code needed). */
import { resolveCheckedParams, resolveParams, type ParamDefs } from './params.ts';
import { RngRoot } from './prng.ts';

/**
 * The parameters seed `seed` runs with (pins, then the seed's swarm draws, then defaults): what
 * the run itself resolves, drawn from the same stream (sim/runner.ts drawParams). Needs only the
 * parameter table, so the CLI can show them without importing the scenario's code.
 */
export function drawParamValues(defs: ParamDefs, seed: number, pins: Record<string, unknown>, swarm: boolean, refuses?: (p: Record<string, unknown>) => string | null | undefined, scenario = ''): Record<string, unknown> {
  const rng = new RngRoot(String(seed)).stream('swarm');
  // With the scenario's check (Scenario.checkParams): what the run resolves when pins and draws clash.
  if (refuses !== undefined) return resolveCheckedParams(defs, pins, rng, swarm, refuses, scenario) as Record<string, unknown>;
  return resolveParams(defs, pins, rng, swarm) as Record<string, unknown>;
}
