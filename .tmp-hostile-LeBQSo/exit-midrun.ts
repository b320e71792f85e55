import { defineScenario } from '../sim/scenario.ts';
export default defineScenario({
  name: 'exit-midrun', description: 'hostile fixture', params: {}, durationNs: 1_000_000_000, checksNothing: 'a hostile fixture: the harness is what is tested',
  setup(w) { w.sim.schedule(1000, () => { w.sim.log('n1', 'about-to-exit'); process.exit(0); }); },
});