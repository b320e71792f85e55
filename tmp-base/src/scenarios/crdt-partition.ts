/**
 * crdt-partition: seed 000's bottleneck 3. Three regions on WAN links; one region is cut off from
 * the other two for an hour while every region keeps accepting writes (counter increments, cart
 * adds/removes, profile writes), then the partition heals. Simulated time is cheap: the writes are
 * sparse (one every ~20 s per region), so an 80-minute run is a few tens of thousands of events.
 *
 * Safety: counters never exceed attempted increments; reads with tokens see their own writes;
 * OR-Set tags stay bounded. Liveness: after the heal every region converges (same digests) and the
 * converged state keeps every acknowledged increment, resurrects no removed element and lets the
 * causally latest LWW write win. The outbox keeps only 64 unacknowledged ops, so an hour of
 * writes is repaired by Merkle anti-entropy, not by delta re-sends.
 */
import { param } from '../sim/params.ts';
import { defineScenario } from '../sim/scenario.ts';
import { sleep } from '../sim/process.ts';
import { minutes, ms, sec } from '../sim/time.ts';
import { crdtFaultParams, mixedSession, startCrdt } from '../systems/crdt/replication/scenario-kit.ts';

export default defineScenario({
  name: 'crdt-partition',
  description: 'CRDT regions: a one-hour partition of one region while all keep writing, then heal and converge',
  params: {
    partitionMin: param.float({ doc: 'length of the partition (minutes)', default: 60, min: 0.1, max: 600 }),
    gcWindowS: param.float({ doc: 'GC window (s); 0 = GC waits for every region (crdt-long-partition-gc exercises the window)', default: 0, min: 0, max: 36000 }),
    opMsMean: param.float({ doc: 'mean time between a client\'s ops (ms)', default: 20000, min: 10, max: 1e7, swarm: [5000, 40000] }),
    ...crdtFaultParams({ long: true, bugs: ['none', 'non-idempotent-counter-merge', 'or-set-remove-unseen', 'lww-wall-clock', 'anti-entropy-skips-subtree'] }),
  },
  durationNs: (p) => minutes(p.partitionMin + 6),
  livenessBoundNs: sec(120),
  checkIntervalNs: sec(5),
  setup(w, p) {
    const cw = startCrdt(w, p, { region: { antiEntropyNs: sec(10), resendNs: sec(5), gcWindowNs: sec(p.gcWindowS) } });
    for (const home of cw.regionIds) cw.client(`c-${home}`, home, (s) => mixedSession(s, home, cw.regionIds, ms(p.opMsMean), () => w.phase === 'fault'));
    const rng = w.rng('partition');
    w.nemesis('hour-partition', (function* () {
      yield sleep(w.sim, minutes(5));
      const away = rng.pick(cw.regionIds);
      for (const r of cw.regionIds) if (r !== away) w.net.cut(away, r); // clients keep reaching their own region
      w.log('partition', `${away} cut off for ${p.partitionMin} min`);
      yield sleep(w.sim, minutes(p.partitionMin));
      w.net.heal();
    })());
  },
});
