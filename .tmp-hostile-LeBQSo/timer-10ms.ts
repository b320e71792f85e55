import { defineScenario } from '../sim/scenario.ts';
export default defineScenario({
  name: 'timer-10ms', description: 'hostile fixture', params: {}, durationNs: 1_000_000_000, checksNothing: 'a hostile fixture: the harness is what is tested',
  setup(w) { w.sim.schedule(1000, () => { setTimeout(() => w.violation('late', 'from a real timer'), 10); const end = Date.now() + 30; while (Date.now() < end) { /* spin */ } }); },
});