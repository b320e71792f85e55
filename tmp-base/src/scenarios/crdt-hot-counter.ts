/**
 * crdt-hot-counter: seed 000's bottleneck 2, a conflict storm on one hot key. Nine clients (three
 * per region) increment one G-Counter as fast as they can while the network loses, duplicates and
 * reorders messages and regions crash. Per-region buckets make every increment conflict-free;
 * delta batching coalesces a region's increments into one entry per batch.
 *
 * Safety: the counter never exceeds the increments attempted (a non-idempotent merge inflates it
 * on the first duplicated or re-sent delta). Liveness: converged value = acknowledged increments.
 */
import { param } from '../sim/params.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { crdtFaultParams, startCrdt } from '../systems/crdt/replication/scenario-kit.ts';

export default defineScenario({
  name: 'crdt-hot-counter',
  description: 'CRDT regions: nine clients hammer one counter key; no increment lost or double-counted',
  params: {
    clientsPerRegion: param.int({ doc: 'incrementing clients per region', default: 3, min: 1, max: 20 }),
    opMsMean: param.float({ doc: 'mean time between a client\'s increments (ms)', default: 15, min: 0.1, max: 1e6, swarm: [5, 40] }),
    durationS: param.float({ doc: 'length of the fault phase (s)', default: 2, min: 0.1, max: 3600 }),
    ...crdtFaultParams({ bugs: ['none', 'non-idempotent-counter-merge'] }),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: sec(60),
  checkIntervalNs: ms(20),
  setup(w, p) {
    const cw = startCrdt(w, p);
    for (const home of cw.regionIds)
      for (let c = 0; c < p.clientsPerRegion; c++)
        cw.client(`c-${home}-${c}`, home, function* (s) {
          while (w.phase === 'fault') {
            yield* s.sleep(Math.max(1, Math.round(s.ctx.rng.exponential(ms(p.opMsMean)))));
            if (w.phase !== 'fault') break;
            yield* s.op(home, { kind: 'incr', key: 'ctr:hot', by: 1 });
            if (s.ctx.rng.chance(0.05)) yield* s.read(s.ctx.rng.pick(cw.regionIds), 'ctr:hot');
          }
        });
  },
});
