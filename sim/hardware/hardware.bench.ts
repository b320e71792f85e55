/**
 * Benchmark of the hardware scenarios for `npm run bench` (discovered as sim/hardware/*.bench.ts):
 * simulated seconds per wall second of each hw-* scenario over a few seeds (swarm on), and events
 * per wall second. `clock()` is the harness's wall clock in ms; detsim code never reads one.
 */
import { runScenario } from '../runner.ts';
import type { ParamDefs } from '../params.ts';
import type { Scenario } from '../scenario.ts';
import accelerated from '../../scenarios/hw-accelerated-kv.ts';
import traditional from '../../scenarios/hw-traditional-kv.ts';
import cxlEscrow from '../../scenarios/hw-cxl-escrow.ts';
import latencyTable from '../../scenarios/hw-latency-table.ts';

export interface ScenarioFigure {
  seeds: number;
  simSecondsPerWallSecond: number;
  eventsPerWallSecond: number;
  wallMsPerSeed: number;
}

export function bench(clock: () => number): Record<string, ScenarioFigure> {
  const out: Record<string, ScenarioFigure> = {};
  const scenarios = [accelerated, traditional, cxlEscrow, latencyTable] as unknown as Scenario<ParamDefs>[];
  for (const scn of scenarios) {
    const seeds = scn.name === 'hw-latency-table' ? 2 : 5;
    let simNs = 0;
    let events = 0;
    const t0 = clock();
    for (let seed = 1; seed <= seeds; seed++) {
      const r = runScenario(scn, { seed });
      simNs += r.simTimeNs;
      events += r.events;
    }
    const wallMs = Math.max(1e-6, clock() - t0);
    out[scn.name] = {
      seeds,
      simSecondsPerWallSecond: Math.round((simNs / 1e9 / (wallMs / 1e3)) * 1000) / 1000,
      eventsPerWallSecond: Math.round(events / (wallMs / 1e3)),
      wallMsPerSeed: Math.round((wallMs / seeds) * 10) / 10,
    };
  }
  return out;
}
