/**
 * crdt-orset-churn: add/remove churn on OR-Sets (shopping carts) from every region, with
 * causal-stability GC. Concurrent adds of one item from several regions leave several tags on it;
 * GC collapses them to one once every region's state is known to include them (rule 2 of the CRDT
 * author: per peer, the context vector of the latest full state merged from it).
 *
 * Safety: the tag bound; a session that removed an item never reads it back unless an add its
 * remove did not see exists. Liveness: converged, and once GC has run after
 * the heal every element carries exactly one tag. The converged carts resurrect no removed item
 * and keep every item re-added after its removes (add-wins).
 *
 * Metrics: metadata bytes per value byte at the peak and after GC, next to seed 004's Riak cart
 * (4.2x with metadata, 1.6x after a weekly GC; here measured as (value + metadata) / value).
 */
import { param } from '../sim/params.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { crdtFaultParams, startCrdt } from '../systems/crdt/replication/scenario-kit.ts';

export default defineScenario({
  name: 'crdt-orset-churn',
  description: 'CRDT regions: add/remove churn on OR-Set carts with causal-stability GC of tags',
  params: {
    carts: param.int({ doc: 'OR-Set keys', default: 3, min: 1, max: 1000, swarm: [1, 5] }),
    items: param.int({ doc: 'distinct items per cart', default: 6, min: 1, max: 1000, swarm: [3, 10] }),
    opMsMean: param.float({ doc: 'mean time between a client\'s ops (ms)', default: 60, min: 1, max: 1e6, swarm: [20, 200] }),
    // Swarm: half the seeds with a window, so churn, short partitions and the standard nemesis also
    // run against evictions, windowed collapses and re-syncs (before, only crdt-long-partition-gc did).
    gcWindowMs: param.float({ doc: 'GC window (ms); 0 = GC waits for every region', default: 0, min: 0, max: 3.6e6, swarm: [800, 3000], swarmOffProbability: 0.5 }),
    durationS: param.float({ doc: 'length of the fault phase (s)', default: 8, min: 0.1, max: 3600 }),
    ...crdtFaultParams({ bugs: ['none', 'or-set-remove-unseen', 'tombstone-gc-before-stability', 'deltas-left-to-anti-entropy'] }),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: sec(60),
  checkIntervalNs: ms(50),
  setup(w, p) {
    const cw = startCrdt(w, p, { region: { antiEntropyNs: ms(500), gcWindowNs: ms(p.gcWindowMs) } });
    let peak = { valueBytes: 0, metadataBytes: 0 };
    let tagsPerElementPeak = 0;
    for (const home of cw.regionIds)
      for (let c = 0; c < 2; c++)
        cw.client(`c-${home}-${c}`, home, function* (s) {
          while (w.phase === 'fault') {
            yield* s.sleep(Math.max(1, Math.round(s.ctx.rng.exponential(ms(p.opMsMean)))));
            if (w.phase !== 'fault') break;
            const key = `set:cart${s.ctx.rng.int(1, p.carts)}`;
            const elem = `item${s.ctx.rng.int(1, p.items)}`;
            const u = s.ctx.rng.next();
            if (u < 0.45) yield* s.op(home, { kind: 'add', key, elem });
            else if (u < 0.8) yield* s.op(home, { kind: 'remove', key, elem });
            else yield* s.read(s.ctx.rng.pick(cw.regionIds), key);
          }
        });
    w.safety('metadata-sample', () => {
      for (const r of cw.regions) {
        const sz = r.program?.store.sizes();
        if (sz && sz.valueBytes > 0 && sz.metadataBytes / sz.valueBytes > peak.metadataBytes / Math.max(1, peak.valueBytes)) peak = sz;
        for (const k of r.program?.store.setKeys() ?? []) {
          const t = r.program!.store.tags(k);
          if (t.elements > 0) tagsPerElementPeak = Math.max(tagsPerElementPeak, t.dots / t.elements);
        }
      }
      return null;
    });
    w.liveness('gc-one-tag-per-element', () => {
      for (const r of cw.regions) {
        const prog = r.program;
        if (!prog) return `${r.id} is down`;
        for (const k of prog.store.setKeys()) {
          const t = prog.store.tags(k);
          if (t.dots !== t.elements) return `${r.id} ${k}: ${t.dots} tags on ${t.elements} element(s) (GC ready: ${prog.gcReady(k)})`;
        }
      }
      const sz = cw.regions[0]!.program!.store.sizes();
      const ratio = (x: { valueBytes: number; metadataBytes: number }): number => Math.round(((x.valueBytes + x.metadataBytes) / Math.max(1, x.valueBytes)) * 100) / 100;
      w.metrics.cartTotalPerValuePeak = ratio(peak);
      w.metrics.cartTotalPerValueAfterGc = ratio(sz);
      w.metrics.cartMetadataBytesAfterGc = sz.metadataBytes;
      w.metrics.cartMetadataBytesPeak = peak.metadataBytes;
      w.metrics.tagsPerElementPeak = Math.round(tagsPerElementPeak * 100) / 100;
      return true;
    });
  },
});
