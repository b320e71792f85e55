/**
 * raft-churn: the standard nemesis at full swarm (crashes with torn writes, partitions of every
 * shape, pauses, clogs, lossy links, skewed and drifting clocks) for a long fault phase.
 */
import { faultParams, standardNemesis } from '../sim/nemesis.ts';
import { defineScenario } from '../sim/scenario.ts';
import { sec } from '../sim/time.ts';
import { RAFT_FAULT_OPTIONS, raftParams, setupRaftCluster } from '../systems/kv/kit.ts';

export default defineScenario({
  name: 'raft-churn',
  description: 'Raft: random crashes, restarts, partitions, pauses and clock skew over a long run',
  params: {
    // Every cluster size from one member to nine (the largest raftParams allows): even sizes need exact majorities.
    ...raftParams({ durationS: 20, opMsMean: 150, nodesSwarm: [1, 9] }),
    ...faultParams(RAFT_FAULT_OPTIONS),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: sec(30),
  setup(w, p) {
    setupRaftCluster(w, p);
    standardNemesis(w, p);
  },
});
