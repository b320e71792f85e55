/**
 * escrow-flash-sale: a concert goes on sale and most buyers are in one region (r1). Seats are
 * split evenly across the regions as escrow tokens, so r1 sells out its share within moments and
 * must borrow idle seats from the other regions across the WAN, while the nemesis crashes,
 * pauses and partitions the escrow nodes. Topology 'peers' borrows replica to replica;
 * 'multi-level' keeps a global reserve that rebalances the regions from their reports.
 *
 * Safety (polled every 10 ms): never oversell, conservation of tokens (in flight included),
 * durable reservations move only along allowed transitions, acknowledged confirmations are durable.
 * Liveness: every hold resolved, every transfer settled, idle seats flow to a region that asks.
 * Metrics: sales, latency p50/p99, messages per sale, Jain's index over regions, starvation.
 */
import { faultParams } from '../sim/nemesis.ts';
import { param } from '../sim/params.ts';
import { defineScenario } from '../sim/scenario.ts';
import { sec } from '../sim/time.ts';
import { addEscrowCluster, bugFlags, ESCROW_BUGS, livenessBoundOf, saleParams, standardSale, ESCROW_FAULT_OPTIONS } from '../systems/escrow/kit.ts';

export default defineScenario({
  name: 'escrow-flash-sale',
  description: 'Concert flash sale, demand skewed to one region: escrow seats borrowed across the WAN under faults; never oversell',
  params: {
    ...saleParams(),
    topology: param.enum(['peers', 'multi-level'] as const, { doc: 'peers borrow from each other; multi-level has a global reserve and coordinator', default: 'peers', swarm: ['peers', 'multi-level'] }),
    bug: param.enum(ESCROW_BUGS, { doc: 'bug-zoo variant (see docs/escrow.md)', default: 'none' }),
    ...faultParams(ESCROW_FAULT_OPTIONS),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: (p) => livenessBoundOf(p),
  setup(w, p) {
    const c = addEscrowCluster(w, p, { prefix: '', topology: p.topology, bugs: bugFlags(p.bug) });
    standardSale(w, p, c);
  },
});
