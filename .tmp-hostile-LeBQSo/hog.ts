import { defineScenario } from '../sim/scenario.ts';
export default defineScenario({
  name: 'hog', description: 'hostile fixture', params: {}, durationNs: 1_000_000_000, checksNothing: 'a hostile fixture: the harness is what is tested',
  setup(w) { w.sim.schedule(1000, () => { const keep: number[][] = []; for (;;) keep.push(new Array(100_000).fill(1)); }); },
});