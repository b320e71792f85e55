/**
 * Raft benchmark: simulated seconds per wall second of a 5-node config-store cluster under client
 * load (no faults: the steady state), and the same figure for every raft-* scenario at its
 * defaults. `clock()` returns wall milliseconds; nothing here reads a clock of its own.
 */
import { runScenario } from '../../sim/runner.ts';
import type { Scenario } from '../../sim/scenario.ts';
import churn from '../../scenarios/raft-churn.ts';
import crashRestart from '../../scenarios/raft-crash-restart.ts';
import election from '../../scenarios/raft-election.ts';
import figure8 from '../../scenarios/raft-figure8.ts';
import leaderIsolated from '../../scenarios/raft-leader-isolated.ts';
import lossy from '../../scenarios/raft-lossy-network.ts';
import snapshot from '../../scenarios/raft-snapshot.ts';

const SCENARIOS = [election, leaderIsolated, crashRestart, lossy, churn, figure8, snapshot] as unknown as Scenario[];

export function bench(clock: () => number, opts: { seeds?: number } = {}): Record<string, unknown> {
  const seeds = opts.seeds ?? 3;
  // Under load: 5 nodes, 8 clients at one operation per 5 ms each, no faults, 20 s simulated.
  const loadPins = { nodes: 5, clients: 8, opMsMean: 5, maxOps: 1_000_000, durationS: 20, crashMsMean: 0, partitionMsMean: 0, netLossRate: 0, netDuplicateRate: 0, netReorderRate: 0 };
  let t0 = clock();
  const load = runScenario(lossy, { seed: 1, pins: loadPins, swarm: false, buggify: false });
  let wallMs = clock() - t0;
  const out: Record<string, unknown> = {
    raftLoad5NodesSimSecondsPerWallSecond: round(load.simTimeNs / 1e9 / (wallMs / 1000)),
    raftLoad5NodesEventsPerWallSecond: Math.round(load.events / (wallMs / 1000)),
    raftLoad5NodesOps: (load.metrics.history as { ok?: number } | undefined)?.ok ?? null,
  };
  for (const s of SCENARIOS) {
    let simNs = 0;
    t0 = clock();
    for (let seed = 1; seed <= seeds; seed++) simNs += runScenario(s, { seed }).simTimeNs;
    wallMs = clock() - t0;
    out[`${s.name}SimSecondsPerWallSecond`] = round(simNs / 1e9 / (wallMs / 1000));
    out[`${s.name}WallMsPerSeed`] = round(wallMs / seeds);
  }
  return out;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
