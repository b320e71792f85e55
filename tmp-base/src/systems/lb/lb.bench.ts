/**
 * Load balancer benchmarks (run by `npm run bench`): Maglev table build times for 1000 backends at
 * M = 65537 and M = 655373 next to the paper's 1.8 ms and 22.9 ms (section 5.3), and every lb
 * scenario's simulated seconds per wall second. `clock()` returns wall milliseconds; this file
 * never reads a clock of its own.
 */
import { scenarioRate } from '../../bench/scenario-rate.ts';
import type { Scenario } from '../../sim/scenario.ts';
import lbAlgorithms from '../../scenarios/lb-algorithms.ts';
import lbChurn from '../../scenarios/lb-churn.ts';
import lbCrash from '../../scenarios/lb-crash.ts';
import lbDrain from '../../scenarios/lb-drain.ts';
import lbFlap from '../../scenarios/lb-flap.ts';
import lbPartition from '../../scenarios/lb-partition.ts';
import lbSlow from '../../scenarios/lb-slow.ts';
import { benchMaglev } from './maglev-figures.ts';

const SCENARIOS = [lbCrash, lbFlap, lbSlow, lbDrain, lbPartition, lbChurn, lbAlgorithms] as unknown as Scenario[];


export function bench(clock: () => number): Record<string, unknown> {
  const maglev = benchMaglev(clock, 5, 1000).map((r) => ({
    tableSize: r.tableSize,
    backends: r.backends,
    buildMsMedian: Math.round(r.buildMsMedian * 100) / 100,
    populateMsMedian: Math.round(r.populateMsMedian * 100) / 100,
    paperMs: r.paperMs,
  }));
  const scenarios: Record<string, unknown> = {};
  for (const s of SCENARIOS) scenarios[s.name] = scenarioRate(clock, s, 5);
  return {
    maglev,
    scenarios,
    note: 'Maglev build = xxHash64 of every key + populate; populate alone starts from precomputed (offset, skip). Scenario rates: seeds 1-5, swarm on, one thread.',
  };
}
