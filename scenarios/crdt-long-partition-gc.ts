/**
 * crdt-long-partition-gc: a region cut off for longer than the GC window (seed 000, "tombstone
 * resurrection"). Before the cut, the three regions' clients add the same cart item at nearly the
 * same moment every 10 s (one tick), so items carry one tag per region until GC collapses them.
 * The cut falls inside a tick: the cut-off region has seen some of that tick's concurrent adds
 * and not others. During the partition the cut-off region's client removes the cart's items (its
 * removes name only the tags it saw), while the two live regions churn a second cart (adds of one
 * item from both at once, removes) and, once the cut-off region has been silent for the window,
 * evict it and GC without it: the first cart's last tags collapse into one the cut-off region may
 * have seen. At the heal the evicted region must re-sync from a snapshot (a stale merge would let
 * its removes delete the collapsed tag, and with it adds it never saw: add-wins).
 *
 * Invariants (harness.ts): no-resurrection, add-wins (exact: an add whose tag no remove had seen
 * stays), converged, no-lost-increment, read-your-writes, the tag bound. Metrics: live regions'
 * tags and OR-Set metadata bytes just before the heal (compare `gcWindowS: 0`, GC waiting for
 * everyone) and after the post-heal GC (liveness `gc-one-tag-per-element`), evictions, snapshot bytes of the re-sync, own ops re-applied.
 */
import { param } from '../sim/params.ts';
import { defineScenario } from '../sim/scenario.ts';
import { sleep } from '../sim/process.ts';
import { minutes, ms, sec } from '../sim/time.ts';
import type { Gen, Session } from '../systems/crdt/replication/harness.ts';
import { crdtFaultParams, startCrdt } from '../systems/crdt/replication/scenario-kit.ts';

const ITEMS = ['milk', 'eggs', 'tea', 'jam'];
const TICK_NS = sec(10);

export default defineScenario({
  name: 'crdt-long-partition-gc',
  description: 'CRDT regions: one region away longer than the GC window is evicted, GC goes on without it, and it re-syncs from a snapshot at the heal',
  // The probes this scenario exists to reach: a sweep in which no seed reaches one fails.
  mustReach: ['crdt:gc-eviction', 'crdt:evicted-message-refused', 'crdt:snapshot-resync'],
  params: {
    partitionMin: param.float({ doc: 'length of the partition (minutes)', default: 5, min: 0.1, max: 600, swarm: [3, 8] }),
    gcWindowS: param.float({ doc: 'GC window (s); 0 = GC waits for every region', default: 60, min: 0, max: 36000 }),
    jitterMs: param.float({ doc: 'spread of one tick\'s concurrent adds (ms)', default: 300, min: 0, max: 5000 }),
    ...crdtFaultParams({ long: true, bugs: ['none', 'resync-skipped', 'absorbed-never-pruned', 'snapshot-keys-not-dirty'] }),
  },
  durationNs: (p) => minutes(2.5 + p.partitionMin + 2),
  livenessBoundNs: sec(120),
  checkIntervalNs: sec(2),
  setup(w, p) {
    const cw = startCrdt(w, p, { region: { antiEntropyNs: sec(2), resendNs: sec(2), gcWindowNs: sec(p.gcWindowS) } });
    const tickRng = w.rng('ticks');
    const tickItems = Array.from({ length: 200 }, () => tickRng.pick(ITEMS));
    const cut = w.rng('partition');
    const away = cut.pick(cw.regionIds);
    const cutAtNs = minutes(2) + TICK_NS * cut.int(0, 2) + ms(cut.uniform(0, p.jitterMs));
    const healAtNs = cutAtNs + minutes(p.partitionMin);
    const partitioned = (): boolean => w.sim.now >= cutAtNs && w.sim.now < healAtNs;
    const running = (): boolean => w.phase === 'fault';

    function* untilTick(s: Session, n: number): Gen<void> {
      const at = n * TICK_NS + ms(s.ctx.rng.uniform(0, p.jitterMs));
      if (at > w.sim.now) yield* s.sleep(at - w.sim.now);
    }

    for (const home of cw.regionIds)
      cw.client(`c-${home}`, home, function* (s) {
        let n = 1;
        let removedAll = false;
        let writes = 0;
        while (running()) {
          yield* untilTick(s, n);
          if (!running()) break;
          const item = tickItems[n % tickItems.length]!;
          n = Math.floor(w.sim.now / TICK_NS) + 1;
          if (w.sim.now >= healAtNs) {
            // After the heal: reads of cart1 (no more adds to it, so a lost add stays visible) and counter increments.
            yield* s.read(s.ctx.rng.pick(cw.regionIds), 'set:cart1');
            yield* s.op(home, { kind: 'incr', key: 'ctr:views', by: 1 });
          } else if (!partitioned()) {
            // Everyone adds this tick's item to cart1 at (nearly) the same time.
            yield* s.op(home, { kind: 'add', key: 'set:cart1', elem: item });
          } else if (home === away) {
            // The cut-off region keeps accepting writes: it removes cart1's items (naming the tags it saw).
            if (!removedAll) {
              for (const it of ITEMS) yield* s.op(home, { kind: 'remove', key: 'set:cart1', elem: it });
              removedAll = true;
            } else {
              yield* s.op(home, { kind: 'incr', key: 'ctr:views', by: 1 });
              if (s.ctx.rng.next() < 0.3) yield* s.read(home, 'set:cart1');
            }
          } else {
            // The live regions churn cart2 (concurrent adds of one item from both, some removes) and write a register.
            if (s.ctx.rng.next() < 0.7) yield* s.op(home, { kind: 'add', key: 'set:cart2', elem: item });
            else yield* s.op(home, { kind: 'remove', key: 'set:cart2', elem: s.ctx.rng.pick(ITEMS) });
            if (s.ctx.rng.next() < 0.3) yield* s.op(home, { kind: 'set', key: 'reg:profile', value: `${s.id}#${++writes}` });
          }
        }
      });

    w.nemesis('long-partition', (function* () {
      yield sleep(w.sim, cutAtNs);
      for (const r of cw.regionIds) if (r !== away) w.net.cut(away, r); // its clients still reach it
      w.log('partition', `${away} cut off for ${p.partitionMin} min (GC window ${p.gcWindowS} s)`);
      yield sleep(w.sim, healAtNs - cutAtNs - sec(1));
      // Just before the heal: what the live regions hold (the figure the window is for).
      let tags = 0;
      let elements = 0;
      let metadataBytes = 0;
      for (const r of cw.regions) {
        if (r.id === away || !r.program) continue;
        for (const k of r.program.store.setKeys()) {
          const t = r.program.store.tags(k);
          tags += t.dots;
          elements += t.elements;
        }
        metadataBytes += r.program.store.sizes().metadataBytes;
      }
      w.metrics.liveTagsBeforeHeal = tags;
      w.metrics.liveElementsBeforeHeal = elements;
      w.metrics.liveMetadataBytesBeforeHeal = metadataBytes;
      yield sleep(w.sim, sec(1));
      w.net.heal();
      w.log('partition', 'healed');
    })());

    w.liveness('resync-done', () => {
      for (const r of cw.regions) if (!r.program || r.program.resyncing()) return `${r.id} is down or re-syncing`;
      w.metrics.awayEpoch = cw.regions.find((r) => r.id === away)!.program!.epoch();
      return true;
    });
    // Once everyone is back, GC (now waiting for all three again) leaves one tag per element.
    w.liveness('gc-one-tag-per-element', () => {
      let metadataBytes = 0;
      for (const r of cw.regions) {
        const prog = r.program;
        if (!prog) return `${r.id} is down`;
        for (const k of prog.store.setKeys()) {
          const t = prog.store.tags(k);
          if (t.dots !== t.elements) return `${r.id} ${k}: ${t.dots} tags on ${t.elements} element(s)`;
        }
        if (r.id !== away) metadataBytes += prog.store.sizes().metadataBytes;
      }
      w.metrics.liveMetadataBytesAfterGc = metadataBytes;
      return true;
    });
  },
});
