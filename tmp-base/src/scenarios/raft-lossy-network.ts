/**
 * raft-lossy-network: a network that loses, duplicates and reorders messages (high rates), with
 * no crashes or partitions: retransmission, duplicate appends and stale responses must all be
 * harmless, and progress must resume as soon as the network calms down.
 */
import { faultParams, standardNemesis } from '../sim/nemesis.ts';
import { param } from '../sim/params.ts';
import { defineScenario } from '../sim/scenario.ts';
import { sec } from '../sim/time.ts';
import { RAFT_FAULT_OPTIONS, raftParams, setupRaftCluster } from '../systems/kv/kit.ts';

const f = faultParams(RAFT_FAULT_OPTIONS);

export default defineScenario({
  name: 'raft-lossy-network',
  description: 'Raft: heavy message loss, duplication and reordering, no crashes',
  params: {
    ...raftParams({ durationS: 8 }),
    ...f,
    netLossRate: param.float({ doc: 'probability that a message is lost', default: 0.1, min: 0, max: 1, swarm: [0, 0.3] }),
    netDuplicateRate: param.float({ doc: 'probability that a message is delivered twice', default: 0.1, min: 0, max: 1, swarm: [0, 0.3] }),
    netReorderRate: param.float({ doc: 'probability that a message skips FIFO order', default: 0.1, min: 0, max: 1, swarm: [0, 0.3] }),
    crashMsMean: param.float({ doc: 'no crashes here (0)', default: 0, min: 0, max: 0 }),
    partitionMsMean: param.float({ doc: 'no partitions here (0)', default: 0, min: 0, max: 0 }),
    pauseMsMean: param.float({ doc: 'no pauses here (0)', default: 0, min: 0, max: 0 }),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: sec(20),
  setup(w, p) {
    setupRaftCluster(w, p);
    standardNemesis(w, p);
  },
});
