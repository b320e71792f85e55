/** Drawing a seed's parameter values from the parameter table alone (no scenario code needed). */
import { resolveParams, type ParamDefs } from './params.ts';
import { RngRoot } from './prng.ts';

/**
 * The parameters seed `seed` runs with (pins, then the seed's swarm draws, then defaults): what
 * the run itself resolves, drawn from the same stream (sim/runner.ts drawParams). Needs only the
 * parameter table, so the CLI can show them without importing the scenario's code.
 */
export function drawParamValues(defs: ParamDefs, seed: number, pins: Record<string, unknown>, swarm: boolean): Record<string, unknown> {
  return resolveParams(defs, pins, new RngRoot(String(seed)).stream('swarm'), swarm) as Record<string, unknown>;
}
