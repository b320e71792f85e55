/**
 * escrow-vs-coordinated: the seed's claim that coordination avoidance buys 10-100x (ch. 9),
 * measured in simulation. Two systems sell the same kind of sale side by side in one world, to
 * identical (independently drawn) buyers: the escrow design (a replica per region, selling from
 * local tokens, borrowing across the WAN only when it runs out) and the coordinated baseline
 * (every operation forwarded to one leader in `leaderRegion` and made durable there before the
 * answer: a synchronous WAN round trip per operation for every other region).
 *
 * Buyers are automated and closed-loop (no payment delay, no walking away), so throughput is
 * limited by each system's latency: throughput = buyers / (think time + latency of a sale).
 * Both systems run under the same faults and are checked by the same invariants.
 * Metrics: per system sales/s, sale latency p50/p99 (hold + confirm, simulated time), messages
 * per sale (server-to-server, and in total with the buyers' own), fairness; and the ratios.
 */
import { faultParams, standardNemesis } from '../sim/nemesis.ts';
import { param } from '../sim/params.ts';
import { defineScenario } from '../sim/scenario.ts';
import { sec } from '../sim/time.ts';
import { addCoordinatedCluster, addEscrowCluster, bugFlags, ESCROW_BUGS, livenessBoundOf, saleParams, standardSale, ESCROW_FAULT_OPTIONS } from '../systems/escrow/kit.ts';

export default defineScenario({
  name: 'escrow-vs-coordinated',
  description: 'Escrow next to a coordinated single-leader baseline: throughput, latency p50/p99 and messages per sale, under the same faults',
  params: {
    ...saleParams({ capacity: 3000, clients: 9, thinkMsMean: 20, confirmDelayMsMean: 0, abandonRate: 0, cancelRate: 0, durationS: 3 }),
    leaderRegion: param.enum(['hot', 'cold'] as const, { doc: 'the leader sits with most buyers (r1) or in the last region', default: 'cold', swarm: ['hot', 'cold'] }),
    bug: param.enum(ESCROW_BUGS, { doc: 'bug-zoo variant, applied to both systems (see docs/escrow.md)', default: 'none' }),
    ...faultParams(ESCROW_FAULT_OPTIONS),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: (p) => livenessBoundOf(p),
  setup(w, p) {
    const bugs = bugFlags(p.bug);
    const esc = addEscrowCluster(w, p, { prefix: 'e-', topology: 'peers', bugs });
    const leaderRegion = p.leaderRegion === 'hot' ? 'r1' : `r${p.regions}`;
    const coord = addCoordinatedCluster(w, p, { prefix: 'c-', leaderRegion, bugs });
    const e = standardSale(w, p, esc, { nemesis: false, metricsKey: 'escrow' });
    const c = standardSale(w, p, coord, { nemesis: false, metricsKey: 'coordinated' });
    standardNemesis(w, p);
    w.onHeal(() => {
      const es = e.summary(esc);
      const cs = c.summary(coord);
      const ratio = (a: unknown, b: unknown): number | null => (typeof a === 'number' && typeof b === 'number' && b > 0 ? Math.round((a / b) * 100) / 100 : null);
      w.metrics.comparison = {
        leaderRegion,
        throughputRatio: ratio(es.throughputSalesPerSec, cs.throughputSalesPerSec),
        latencyP50Ratio: ratio(cs.saleLatencyMsP50, es.saleLatencyMsP50),
        latencyP99Ratio: ratio(cs.saleLatencyMsP99, es.saleLatencyMsP99),
        serverMessagesPerSale: { escrow: es.serverMessagesPerSale, coordinated: cs.serverMessagesPerSale },
        messagesPerSale: { escrow: es.messagesPerSale, coordinated: cs.messagesPerSale },
        // Per region: sales made by the same number of buyers, and the median sale latency.
        byRegion: Object.fromEntries(esc.regions.map((r) => {
          const a = (es.perRegion as Record<string, { sales: number; saleLatencyMsP50: number }>)[r]!;
          const b = (cs.perRegion as Record<string, { sales: number; saleLatencyMsP50: number }>)[r]!;
          return [r, { salesRatio: ratio(a.sales, b.sales), latencyP50Ratio: ratio(b.saleLatencyMsP50, a.saleLatencyMsP50) }];
        })),
      };
    });
  },
});
