/**
 * How fast a scenario runs: simulated seconds per wall second over a few seeds, the figure every
 * system's `npm run bench` entry reports. One definition, so the figures mean the same thing
 * across systems. `clock` is a millisecond wall clock from outside the simulation.
 */
import { runScenario } from '../sim/runner.ts';
import type { ParamDefs } from '../sim/params.ts';
import type { Scenario } from '../sim/scenario.ts';

export interface ScenarioRate {
  seeds: number;
  simSeconds: number;
  wallMs: number;
  simSecondsPerWallSecond: number;
  eventsPerWallSecond: number;
  wallMsPerSeed: number;
}

/** Runs seeds 1..n (or the seeds given) of `scn` with swarm on and times them together. */
export function scenarioRate<P extends ParamDefs>(clock: () => number, scn: Scenario<P>, seeds: number | readonly number[]): ScenarioRate {
  const list = typeof seeds === 'number' ? Array.from({ length: seeds }, (_, i) => i + 1) : seeds;
  let simNs = 0;
  let events = 0;
  const t0 = clock();
  for (const seed of list) {
    const r = runScenario(scn, { seed });
    simNs += r.simTimeNs;
    events += r.events;
  }
  const wallMs = Math.max(1e-3, clock() - t0);
  return {
    seeds: list.length,
    simSeconds: Math.round((simNs / 1e9) * 1000) / 1000,
    wallMs: Math.round(wallMs * 10) / 10,
    simSecondsPerWallSecond: Math.round((simNs / 1e9 / (wallMs / 1000)) * 10) / 10,
    eventsPerWallSecond: Math.round(events / (wallMs / 1000)),
    wallMsPerSeed: Math.round((wallMs / list.length) * 10) / 10,
  };
}
