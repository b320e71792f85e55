import { setTimeout as sleep } from 'node:timers/promises';
import { defineScenario } from '../sim/scenario.ts';
export default defineScenario({
  name: 'timer-soon', description: 'hostile fixture', params: {}, durationNs: 1_000_000_000, checksNothing: 'a hostile fixture: the harness is what is tested',
  setup(w) { w.sim.schedule(1000, () => { setImmediate(() => w.sim.log('n1', 'immediate')); void sleep(0); }); },
});