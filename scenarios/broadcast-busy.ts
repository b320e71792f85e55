/**
 * broadcast-busy: the broadcast scenario with many clients (12 by default, 6-16 in the swarm), so
 * that within one run a node's value file outgrows a checkpoint step and its restarts rebuild
 * from a checkpoint and the records past it (`recoverValues` in systems/broadcast), and a node cut
 * off by a partition falls behind by more than a sync slice (MAX_SYNC_VALUES). The broadcast
 * scenario's two clients (a few hundred values in a run of 10 s) reach neither: the mutation
 * run found the checkpoint's restore code "not reached" by any of its seeds (docs/mutation.md,
 * eleventh round). Same nodes, faults and checks as broadcast.
 */
import { param } from '../sim/params.ts';
import { defineScenario } from '../sim/scenario.ts';
import broadcast from './broadcast.ts';

export default defineScenario({
  ...broadcast,
  name: 'broadcast-busy',
  description: 'Gossip broadcast with many clients: restarts from checkpoints, peers far behind caught up in slices; the checks of broadcast',
  params: {
    ...broadcast.params,
    clients: param.int({ doc: 'number of clients broadcasting (enough that a restart reads a checkpoint: 256 records)', default: 12, min: 1, max: 64, swarm: [6, 16] }),
  },
});
