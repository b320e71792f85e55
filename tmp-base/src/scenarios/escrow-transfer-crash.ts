/**
 * escrow-transfer-crash: nodes crash in the middle of token transfers. Whenever a transfer leaves
 * a node, with probability `crashOnTransfer` the sender or the receiver is crashed a moment later
 * (before or after the transfer lands, before or after its ack), and restarted after a short
 * outage; the standard nemesis adds its own faults. A transfer is exactly-once across crashes
 * because the debit and its outbox entry are durable before the message leaves, and the credit
 * and its dedup mark are durable before the ack: conservation must hold at every poll. The bug
 * `credit-before-debit-durable` sends before the debit is durable and is caught here.
 */
import { faultParams } from '../sim/nemesis.ts';
import { param } from '../sim/params.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { addEscrowCluster, bugFlags, ESCROW_BUGS, livenessBoundOf, saleParams, standardSale, ESCROW_FAULT_OPTIONS } from '../systems/escrow/kit.ts';

export default defineScenario({
  name: 'escrow-transfer-crash',
  description: 'Senders and receivers of token transfers crash mid-transfer: every token is conserved, exactly-once',
  params: {
    // A small capacity and strong skew: the hot region borrows all the time.
    ...saleParams({ capacity: 120, hotRegionShare: 0.8, durationS: 6 }),
    topology: param.enum(['peers', 'multi-level'] as const, { doc: 'escrow topology', default: 'peers', swarm: ['peers', 'multi-level'] }),
    crashOnTransfer: param.float({ doc: 'probability that a transfer send triggers a crash', default: 0.3, min: 0, max: 1, swarm: [0.1, 0.6] }),
    outageMsMax: param.float({ doc: 'longest outage of a node crashed mid-transfer (ms)', default: 300, min: 1, max: 1e6 }),
    bug: param.enum(ESCROW_BUGS, { doc: 'bug-zoo variant (see docs/escrow.md)', default: 'none' }),
    ...faultParams(ESCROW_FAULT_OPTIONS),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: (p) => livenessBoundOf(p),
  setup(w, p) {
    const c = addEscrowCluster(w, p, { prefix: '', topology: p.topology, bugs: bugFlags(p.bug) });
    standardSale(w, p, c);
    const rng = w.rng('transfer-crash');
    let crashes = 0;
    let busy = false; // one mid-transfer crash at a time
    c.wire.onSend = (m) => {
      if (busy || w.phase !== 'fault' || !rng.chance(p.crashOnTransfer)) return;
      busy = true;
      const victim = w.node(rng.chance(0.5) ? m.from : m.to);
      // Up to about one WAN round trip later: before it lands, between credit and ack, or after.
      const delay = rng.int(0, ms(2.5 * p.wanMsMedian));
      w.sim.schedule(delay, () => {
        if (w.phase !== 'fault' || victim.state !== 'up') {
          busy = false;
          return;
        }
        crashes++;
        w.log('transfer-crash', `${victim.id} during ${m.from}->${m.to}#${m.seq}`);
        victim.crash(p.tornWrites ? 'torn' : 'all');
        w.sim.schedule(rng.int(ms(1), ms(p.outageMsMax)), () => {
          busy = false;
          if (w.phase === 'fault' && victim.state === 'down') victim.start();
        });
      });
    };
    w.onHeal(() => {
      w.metrics.transferCrashes = crashes;
    });
  },
});
