import { setTimeout as later } from 'node:timers';
import { defineScenario } from '../sim/scenario.ts';
export default defineScenario({
  name: 'timer-kinds', description: 'hostile fixture', params: {}, durationNs: 1_000_000_000, checksNothing: 'a hostile fixture: the harness is what is tested',
  setup(w) { w.sim.schedule(1000, async () => { setInterval(() => {}, 5); later(() => {}, 20); await null; setTimeout(() => {}, 0); }); },
});