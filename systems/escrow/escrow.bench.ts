/**
 * `npm run bench` extension: simulated seconds per wall second of each escrow scenario (swarm
 * and BUGGIFY on, as a sweep runs them), over a few fixed seeds, plus the events per wall
 * second. `clock()` is the caller's wall clock in milliseconds: detsim code never reads one.
 */
import { runScenario } from '../../sim/runner.ts';
import type { Scenario } from '../../sim/scenario.ts';
import flashSale from '../../scenarios/escrow-flash-sale.ts';
import reaper from '../../scenarios/escrow-reaper.ts';
import regionPartition from '../../scenarios/escrow-region-partition.ts';
import seatExample from '../../scenarios/escrow-seat-example.ts';
import transferCrash from '../../scenarios/escrow-transfer-crash.ts';
import vsCoordinated from '../../scenarios/escrow-vs-coordinated.ts';

const SCENARIOS = [flashSale, reaper, regionPartition, seatExample, transferCrash, vsCoordinated] as unknown as Scenario[];
const SEEDS = [1, 2, 3];

export function bench(clock: () => number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let simSTotal = 0;
  let wallMsTotal = 0;
  for (const scn of SCENARIOS) {
    let simNs = 0;
    let events = 0;
    const t0 = clock();
    for (const seed of SEEDS) {
      const r = runScenario(scn, { seed });
      simNs += r.simTimeNs;
      events += r.events;
    }
    const wallMs = Math.max(1e-3, clock() - t0);
    simSTotal += simNs / 1e9;
    wallMsTotal += wallMs;
    out[scn.name] = {
      simSecPerWallSec: Math.round((simNs / 1e9 / (wallMs / 1000)) * 10) / 10,
      eventsPerWallSec: Math.round(events / (wallMs / 1000)),
      wallMsPerSeed: Math.round((wallMs / SEEDS.length) * 10) / 10,
    };
  }
  out.allEscrowSimSecPerWallSec = Math.round((simSTotal / (wallMsTotal / 1000)) * 10) / 10;
  return out;
}
