/**
 * `npm run bench` extension: simulated seconds per wall second of each escrow scenario (swarm
 * and BUGGIFY on, as a sweep runs them), over a few fixed seeds, plus the events per wall
 * second. `clock()` is the caller's wall clock in milliseconds: detsim code never reads one.
 */
import { scenarioRate } from '../../bench/scenario-rate.ts';
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
    const r = scenarioRate(clock, scn, SEEDS);
    simSTotal += r.simSeconds;
    wallMsTotal += r.wallMs;
    out[scn.name] = { simSecondsPerWallSecond: r.simSecondsPerWallSecond, eventsPerWallSecond: r.eventsPerWallSecond, wallMsPerSeed: r.wallMsPerSeed };
  }
  out.allEscrowSimSecondsPerWallSecond = Math.round((simSTotal / (wallMsTotal / 1000)) * 10) / 10;
  return out;
}
