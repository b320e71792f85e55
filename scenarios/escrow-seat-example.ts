/**
 * escrow-seat-example: the seed's worked example (ch. 9.1.2, "Seat Reservation"), small enough
 * to read in a trace. Two regions sell the last `capacity` seats of a show to a crowd of buyers.
 *
 * The bad way (`bug=check-then-act`): each node checks its view of how many seats are sold
 * everywhere, then sells. "sold <= C" is not i-confluent: two nodes that both see one seat left
 * both sell it, so within one gossip delay, or for the length of a partition, it oversells; the
 * never-oversell invariant catches it. The good way (default): escrow splits the C seats into
 * per-node tokens; selling spends a local token, which keeps the bound without coordination, and
 * a node that runs out borrows idle tokens from the other.
 *
 * Swarmed edges of the example: the seats first split by demand (`split`), and only the last
 * seats left, fewer than the regions (`lastSeats`), so a region starts with none and its floor
 * of one largest hold does not fit.
 */
import { faultParams } from '../sim/nemesis.ts';
import { param } from '../sim/params.ts';
import { defineScenario } from '../sim/scenario.ts';
import { sec } from '../sim/time.ts';
import { addEscrowCluster, bugFlags, ESCROW_BUGS, livenessBoundOf, saleParams, standardSale, ESCROW_FAULT_OPTIONS } from '../systems/escrow/kit.ts';

export default defineScenario({
  name: 'escrow-seat-example',
  description: 'The worked seat-reservation example: check-then-act oversells (bug=check-then-act), escrow never does',
  params: {
    ...saleParams({ regions: 2, capacity: 12, clients: 6, hotRegionShare: 0.5, seatsMax: 2, thinkMsMean: 30, durationS: 3, wanMsMedian: 30 }),
    bug: param.enum(ESCROW_BUGS, { doc: 'bug-zoo variant; check-then-act is the bad design of the example', default: 'none' }),
    ...faultParams(ESCROW_FAULT_OPTIONS),
    // Last, so their draws leave every other parameter's draw as it was.
    split: param.enum(['equal', 'demand'] as const, { doc: 'first split of the seats: equal shares, or by each region\'s share of the buyers (a floor of one largest hold each)', default: 'equal', swarm: ['equal', 'demand'] }),
    lastSeats: param.bool({ doc: 'only the last seats are left, fewer than the regions (capacity becomes regions - 1): a region starts with none and must borrow its first sale', default: false, swarm: 0.2 }),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: (p) => livenessBoundOf(p),
  setup(w, p) {
    const sale = p.lastSeats ? { ...p, capacity: p.regions - 1 } : p;
    const c = addEscrowCluster(w, sale, { prefix: '', topology: 'peers', bugs: bugFlags(p.bug), lendFloorTokens: 0, split: p.split });
    standardSale(w, sale, c);
  },
});
