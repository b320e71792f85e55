/**
 * crdt-clock-skew: LWW registers across regions whose clocks disagree by up to hundreds of ms (and
 * drift). Each client session writes its profile at a different region every time, carrying its
 * token, so its writes are causally ordered while landing on clocks that run ahead and behind.
 * With HLC timestamps (fed after every merge) the causally later write always wins; with raw
 * wall-clock timestamps a write at a region whose clock is behind loses to the write it followed.
 *
 * Safety: a read with a token never returns the session's older write. Liveness: converged, and
 * the converged winner of each register is not causally before another acknowledged write.
 */
import { param } from '../sim/params.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { crdtFaultParams, startCrdt } from '../systems/crdt/replication/scenario-kit.ts';

export default defineScenario({
  name: 'crdt-clock-skew',
  description: 'CRDT regions with skewed, drifting clocks: LWW on HLC lets the causally latest write win',
  params: {
    skewMs: param.float({ doc: 'clock offsets of the regions: +skew, -skew, 0 (ms)', default: 250, min: 0, max: 1e6, swarm: [20, 500] }),
    opMsMean: param.float({ doc: 'mean time between a session\'s writes (ms)', default: 100, min: 1, max: 1e6, swarm: [30, 300] }),
    durationS: param.float({ doc: 'length of the fault phase (s)', default: 6, min: 0.1, max: 3600 }),
    ...crdtFaultParams({ bugs: ['none', 'lww-wall-clock', 'lww-merge-no-clock-feed'] }),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: sec(60),
  checkIntervalNs: ms(50),
  setup(w, p) {
    const cw = startCrdt(w, p, { clockOffsetMs: [p.skewMs, -p.skewMs, 0] });
    for (let c = 0; c < 3; c++)
      cw.client(`c${c}`, cw.regionIds[c]!, function* (s) {
        let n = 0;
        let at = c;
        while (w.phase === 'fault') {
          yield* s.sleep(Math.max(1, Math.round(s.ctx.rng.exponential(ms(p.opMsMean)))));
          if (w.phase !== 'fault') break;
          at = (at + 1 + s.ctx.rng.int(0, 1)) % cw.regionIds.length;
          const key = s.ctx.rng.chance(0.5) ? 'reg:shared' : `reg:${s.id}`;
          yield* s.op(cw.regionIds[at]!, { kind: 'set', key, value: `${s.id}#${++n}` });
          if (s.ctx.rng.chance(0.3)) yield* s.read(s.ctx.rng.pick(cw.regionIds), key);
        }
      });
  },
});
