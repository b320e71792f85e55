import { defineScenario } from '../sim/scenario.ts';
export default defineScenario({
  name: 'leftover-throw', description: 'hostile fixture', params: {}, durationNs: 1_000_000_000, checksNothing: 'a hostile fixture: the harness is what is tested',
  setup(w) { w.sim.schedule(1000, () => { void Promise.reject(new Error('a rejected promise nobody awaits')); }); },
});