/**
 * escrow-region-partition: a whole region is cut off from the other regions' nodes in the middle
 * of the sale (its own buyers still reach it). Escrow keeps selling on both sides without
 * coordination, each side within the tokens it holds, so the bound holds through the partition;
 * transfers caught in it are retransmitted and credited exactly once after it heals. The
 * check-then-act design (bug=check-then-act) sells on stale views on both sides and oversells.
 *
 * The cut is re-applied every 50 ms while it lasts, so the standard nemesis's own heals do not end
 * it early; it ends at the latest when the faults stop.
 */
import { faultParams } from '../sim/nemesis.ts';
import { param } from '../sim/params.ts';
import { sleep } from '../sim/process.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { addEscrowCluster, bugFlags, ESCROW_BUGS, livenessBoundOf, saleParams, standardSale, ESCROW_FAULT_OPTIONS } from '../systems/escrow/kit.ts';

export default defineScenario({
  name: 'escrow-region-partition',
  description: 'A region is partitioned from the others during the sale: both sides keep selling within their escrow; never oversell',
  params: {
    ...saleParams({ durationS: 6 }),
    topology: param.enum(['peers', 'multi-level'] as const, { doc: 'escrow topology', default: 'peers', swarm: ['peers', 'multi-level'] }),
    cutRegion: param.enum(['hot', 'cold'] as const, { doc: 'which region is cut off: the one with most buyers (r1) or the last one', default: 'hot', swarm: ['hot', 'cold'] }),
    cutStartShare: param.float({ doc: 'when the cut starts, as a share of the sale', default: 0.2, min: 0, max: 1, swarm: [0.05, 0.5] }),
    cutLengthShare: param.float({ doc: 'how long it lasts, as a share of the sale', default: 0.5, min: 0, max: 1, swarm: [0.2, 0.8] }),
    bug: param.enum(ESCROW_BUGS, { doc: 'bug-zoo variant (see docs/escrow.md)', default: 'none' }),
    ...faultParams(ESCROW_FAULT_OPTIONS),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: (p) => livenessBoundOf(p),
  setup(w, p) {
    const c = addEscrowCluster(w, p, { prefix: '', topology: p.topology, bugs: bugFlags(p.bug) });
    standardSale(w, p, c);
    const victim = c.entryOf.get(p.cutRegion === 'hot' ? 'r1' : c.regions[c.regions.length - 1]!)!;
    const others = c.hosts.map((h) => h.id).filter((id) => id !== victim);
    const startNs = Math.round(sec(p.durationS) * p.cutStartShare);
    const endNs = startNs + Math.round(sec(p.durationS) * p.cutLengthShare);
    w.nemesis('region-cut', (function* () {
      yield sleep(w.sim, startNs);
      w.log('region-cut', `${victim} cut off from ${others.join(',')} until ${endNs}ns`);
      while (w.now < endNs) {
        for (const o of others) if (!w.net.isBlocked(victim, o) || !w.net.isBlocked(o, victim)) w.net.cut(victim, o);
        yield sleep(w.sim, ms(50));
      }
      for (const o of others) {
        if (w.net.isBlocked(victim, o)) w.net.heal();
      }
      w.log('region-cut', 'over');
    })());
    w.metrics.regionCut = { victim, startMs: startNs / 1e6, endMs: endNs / 1e6 };
  },
});
