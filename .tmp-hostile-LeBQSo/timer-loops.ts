import { setTimeout as sleep } from 'node:timers/promises';
import { defineScenario } from '../sim/scenario.ts';
export default defineScenario({
  name: 'timer-loops', description: 'hostile fixture', params: {}, durationNs: 1_000_000_000, checksNothing: 'a hostile fixture: the harness is what is tested',
  setup(w) { w.sim.schedule(1000, () => { let k = 0; const again = (): void => { k++; setImmediate(again); }; setImmediate(again); void (async () => { await sleep(10); w.violation('late', 'after a timers/promises sleep'); })(); }); },
});