/**
 * Benchmark of the hardware scenarios for `npm run bench` (discovered as sim/hardware/*.bench.ts):
 * simulated seconds per wall second of each hw-* scenario over a few seeds (swarm on), and events
 * per wall second. `clock()` is the harness's wall clock in ms; detsim code never reads one.
 */
import { scenarioRate, type ScenarioRate } from '../../bench/scenario-rate.ts';
import type { ParamDefs } from '../params.ts';
import type { Scenario } from '../scenario.ts';
import accelerated from '../../scenarios/hw-accelerated-kv.ts';
import traditional from '../../scenarios/hw-traditional-kv.ts';
import cxlEscrow from '../../scenarios/hw-cxl-escrow.ts';
import latencyTable from '../../scenarios/hw-latency-table.ts';

export function bench(clock: () => number): Record<string, ScenarioRate> {
  const out: Record<string, ScenarioRate> = {};
  const scenarios = [accelerated, traditional, cxlEscrow, latencyTable] as unknown as Scenario<ParamDefs>[];
  for (const scn of scenarios) {
    const seeds = scn.name === 'hw-latency-table' ? 2 : 5;
    out[scn.name] = scenarioRate(clock, scn, seeds);
  }
  return out;
}
