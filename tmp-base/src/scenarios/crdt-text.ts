/**
 * crdt-text: collaborative editing with an RGA. Writers in every region insert at the start of one
 * document at the same moments (concurrent inserts at one position) and at random positions.
 *
 * Liveness: every region shows the same text (concurrent inserts in one order everywhere), every
 * acknowledged insert appears exactly once, and each writer's own inserts at the start appear
 * newest first (a fresh insert lands right after its parent).
 */
import { param } from '../sim/params.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { crdtFaultParams, startCrdt } from '../systems/crdt/replication/scenario-kit.ts';

export default defineScenario({
  name: 'crdt-text',
  description: 'CRDT regions: collaborative text (RGA), concurrent inserts at one position end in one order everywhere',
  params: {
    opMsMean: param.float({ doc: 'mean time between a writer\'s inserts (ms)', default: 50, min: 1, max: 1e6, swarm: [20, 200] }),
    durationS: param.float({ doc: 'length of the fault phase (s)', default: 5, min: 0.1, max: 3600 }),
    ...crdtFaultParams({ bugs: ['none'] }),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: sec(60),
  checkIntervalNs: ms(50),
  setup(w, p) {
    const cw = startCrdt(w, p);
    const atStart = new Map<string, string[]>();
    for (const home of cw.regionIds)
      cw.client(`w-${home}`, home, function* (s) {
        let n = 0;
        const mine: string[] = [];
        atStart.set(s.id, mine);
        while (w.phase === 'fault') {
          // Writers wake on one shared grid, so their inserts at the start are concurrent.
          yield* s.sleep(ms(p.opMsMean) - (s.ctx.now() % ms(p.opMsMean)) + 1);
          if (w.phase !== 'fault') break;
          const tok = `<${s.id}.${++n}>`;
          const front = s.ctx.rng.chance(0.5);
          yield* s.op(home, { kind: 'insert', key: 'txt:doc', index: front ? 0 : s.ctx.rng.int(0, 1000), char: tok });
          if (front) mine.push(tok);
        }
      });
    w.liveness('own-inserts-at-start-newest-first', () => {
      const text = cw.regions[0]!.program?.store.has('txt:doc') ? (cw.regions[0]!.program!.store.read('txt:doc') as { value: string }).value : '';
      for (const [id, toks] of atStart) {
        const pos = toks.map((t) => text.indexOf(t));
        if (pos.some((x) => x < 0)) return `${id}'s inserts not all visible yet`;
        for (let i = 1; i < pos.length; i++) if (!(pos[i]! < pos[i - 1]!)) return `${id}'s insert ${toks[i]} is after its older ${toks[i - 1]}`;
      }
      return true;
    });
  },
});
