/**
 * escrow-reaper: holds expiring in bulk. Early in the sale, scalper bots grab a large share of
 * the seats in many holds and never pay; ordinary buyers (some of whom also walk away) find the
 * venue held out. The reaper must expire every abandoned hold after its TTL + grace and hand the
 * seats back to its escrow pool, in bulk, while nodes crash and restart (a restarted node reaps
 * from its durable reaper queue), so that the seats can be sold again.
 *
 * Safety: the usual invariants, plus reaper-timely (no hold outlives its deadline by more than a
 * few ticks on a running node). `bug=reaper-returns-confirmed` is the reaper also returning the
 * seats of holds that were confirmed meanwhile: sold and free at once, caught by conservation.
 * Metrics: the bulk's size and when its last hold was reaped, against TTL + grace.
 */
import type { CallResult } from '../sim/node.ts';
import { faultParams } from '../sim/nemesis.ts';
import { param } from '../sim/params.ts';
import { sleep } from '../sim/process.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { addEscrowCluster, bugFlags, ESCROW_BUGS, holdPolicyOf, livenessBoundOf, saleParams, standardSale, ESCROW_FAULT_OPTIONS } from '../systems/escrow/kit.ts';
import { type ClientRequest } from '../systems/escrow/host.ts';
import type { ClientReply } from '../systems/escrow/types.ts';

export default defineScenario({
  name: 'escrow-reaper',
  description: 'Scalpers hold most seats and walk away: the reaper expires the holds in bulk and the seats sell again',
  // The probes this scenario exists to reach: a sweep in which no seed reaches one fails.
  mustReach: ['escrow:hold-expired-reaped'],
  params: {
    ...saleParams({ holdMs: 400, graceMs: 100, abandonRate: 0.3, durationS: 5 }),
    scalpers: param.int({ doc: 'scalper bots, each holding a share of the bulk', default: 3, min: 1, max: 32 }),
    bulkShare: param.float({ doc: 'share of the seats the scalpers try to hold', default: 0.6, min: 0, max: 1, swarm: [0.3, 0.9] }),
    bug: param.enum(ESCROW_BUGS, { doc: 'bug-zoo variant (see docs/escrow.md)', default: 'none' }),
    ...faultParams(ESCROW_FAULT_OPTIONS),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: (p) => livenessBoundOf(p),
  setup(w, p) {
    const c = addEscrowCluster(w, p, { prefix: '', topology: 'peers', bugs: bugFlags(p.bug) });
    const bulk: { node: string; id: string; atNs: number }[] = [];
    const perScalper = Math.floor((p.capacity * p.bulkShare) / p.scalpers);
    for (let s = 0; s < p.scalpers; s++) {
      const region = c.regions[s % c.regions.length]!;
      const entry = c.entryOf.get(region)!;
      const id = `scalper-${s + 1}`;
      c.regionOf.set(id, region);
      w.addClient(id, (ctx) => (function* () {
        yield ctx.sleep(ms(ctx.rng.int(20, 120)));
        let left = perScalper;
        for (let k = 1; left > 0 && w.phase === 'fault'; k++) {
          // A recorded decision (sim/decisions.ts): "scalper-1's 2nd hold: 4 seats"; a script that
          // skips it leaves those seats unheld (the scalper moves on to its next share).
          const d = w.sim.decisions.operation(id, k, { op: 'hold', seats: Math.min(left, p.seatsMax) });
          if (d === null) {
            left -= Math.min(left, p.seatsMax);
            continue;
          }
          const count = d.seats;
          const rid = `${id}-${k}`;
          const r: CallResult<ClientReply> = yield ctx.call<ClientReply>(entry, { type: 'hold', reservationId: rid, count } satisfies ClientRequest, ms(300));
          if (r.ok && r.body.ok) {
            bulk.push({ node: entry, id: rid, atNs: w.now });
            left -= count;
          } else if (!r.ok) continue;
          else break; // refused: the region is out of seats
        }
        // ...and never pays.
      })());
    }
    standardSale(w, p, c);
    // When was the last bulk hold reaped? (True time, sampled every 10 ms.)
    const hold = holdPolicyOf(p);
    let reapedAllAtNs: number | null = null;
    w.spawn('bulk-watch', (function* () {
      for (;;) {
        yield sleep(w.sim, ms(10));
        if (bulk.length === 0) continue;
        const snap = c.monitor.snapshot();
        const open = bulk.some((b) => snap.nodes.find((n) => n.id === b.node)!.reservations.some((r) => r.id === b.id && (r.state === 'held' || r.state === 'pending')));
        if (!open && w.now > bulk[bulk.length - 1]!.atNs) {
          reapedAllAtNs = w.now;
          return;
        }
      }
    })());
    w.onHeal(() => {
      const lastHeldNs = bulk.length > 0 ? bulk[bulk.length - 1]!.atNs : 0;
      w.metrics.bulk = {
        holds: bulk.length,
        ttlPlusGraceMs: (hold.holdNs + hold.graceNs) / 1e6,
        lastHeldAtMs: lastHeldNs / 1e6,
        allReapedAtMs: reapedAllAtNs === null ? null : reapedAllAtNs / 1e6,
      };
    });
  },
});
