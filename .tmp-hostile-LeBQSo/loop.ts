import { defineScenario } from '../sim/scenario.ts';
export default defineScenario({
  name: 'loop', description: 'hostile fixture', params: {}, durationNs: 1_000_000_000, checksNothing: 'a hostile fixture: the harness is what is tested',
  setup(w) { for (let k = 1; k <= 5; k++) w.sim.schedule(k * 1000, () => w.sim.log('n1', 'tick', `k=${k}`)); w.sim.schedule(9000, () => { w.sim.log('n1', 'before-loop', 'last words'); for (;;) { /* stuck */ } }); },
});