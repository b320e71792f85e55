/**
 * crdt-burst: seed 000's bottleneck 1, replication lag during a write burst. WAN links have a
 * bandwidth cap; after a quiet start every client writes to many keys as fast as it can for a
 * second. Batches fill to the size trigger, the outbox overflows (it keeps 64 unacknowledged ops)
 * and Merkle anti-entropy repairs the keys whose deltas were dropped: it must descend into every
 * divergent subtree, or some keys never converge.
 *
 * Metrics: replication lag (time from an acknowledged write until every region has applied it,
 * sampled), batches, bytes per anti-entropy repair against a full-state exchange.
 */
import { param } from '../sim/params.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { crdtFaultParams, startCrdt } from '../systems/crdt/replication/scenario-kit.ts';
import type { HistoryOp } from '../systems/crdt/replication/harness.ts';

export default defineScenario({
  name: 'crdt-burst',
  description: 'CRDT regions: a write burst over bandwidth-capped WAN links; lag grows, batches and anti-entropy catch up',
  params: {
    keys: param.int({ doc: 'distinct keys written', default: 40, min: 1, max: 10000, swarm: [20, 80] }),
    burstOpMsMean: param.float({ doc: 'mean time between a client\'s writes during the burst (ms)', default: 2, min: 0.1, max: 1e6 }),
    burstS: param.float({ doc: 'length of the burst (s)', default: 1, min: 0.01, max: 3600 }),
    wanKBps: param.float({ doc: 'WAN bandwidth per link (KB/s)', default: 64, min: 1, max: 1e7, swarm: [16, 256] }),
    ...crdtFaultParams({ bugs: ['none', 'anti-entropy-skips-subtree'] }),
  },
  durationNs: (p) => sec(p.burstS + 2),
  livenessBoundNs: sec(90),
  checkIntervalNs: ms(50),
  setup(w, p) {
    const cw = startCrdt(w, p, { wanBytesPerSec: p.wanKBps * 1000, region: { batchBytesMax: 4096, antiEntropyNs: sec(1) } });
    const acked: { h: HistoryOp; atNs: number }[] = [];
    let lagNsMax = 0;
    for (const home of cw.regionIds)
      cw.client(`c-${home}`, home, function* (s) {
        yield* s.sleep(sec(1));
        while (w.now < sec(1 + p.burstS) && w.phase === 'fault') {
          yield* s.sleep(Math.max(1, Math.round(s.ctx.rng.exponential(ms(p.burstOpMsMean)))));
          const k = s.ctx.rng.int(0, p.keys - 1);
          const key = k % 2 === 0 ? `ctr:k${k}` : `set:k${k}`;
          const h = key.startsWith('ctr') ? yield* s.op(home, { kind: 'incr', key, by: 1 }) : yield* s.op(home, { kind: 'add', key, elem: `${s.id}.${k}` });
          acked.push({ h, atNs: w.now });
        }
      });
    // Lag: how long until every region has applied an acknowledged op (sampled every check).
    let next = 0;
    w.safety('lag-probe', () => {
      while (next < acked.length) {
        const { h, atNs } = acked[next]!;
        if (!cw.regions.every((r) => (r.program?.applied().get(h.origin) ?? 0) >= h.seq)) break;
        lagNsMax = Math.max(lagNsMax, w.now - atNs);
        next++;
      }
      w.metrics.replicationLagMsMax = Math.round(lagNsMax / 1e6);
      return null;
    });
  },
});
