import { defineScenario } from '../sim/scenario.ts';
export default defineScenario({
  name: 'spin', description: 'hostile fixture', params: {}, durationNs: 1_000_000_000, checksNothing: 'a hostile fixture: the harness is what is tested',
  setup(w) { w.sim.schedule(1000, () => { for (let k = 0; ; k++) w.sim.log('n1', 'spin', `k=${k} é→😀 ${'x'.repeat(k % 300)}`); }); },
});