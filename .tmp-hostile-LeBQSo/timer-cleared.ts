import { defineScenario } from '../sim/scenario.ts';
export default defineScenario({
  name: 'timer-cleared', description: 'hostile fixture', params: {}, durationNs: 1_000_000_000, checksNothing: 'a hostile fixture: the harness is what is tested',
  setup(w) { w.sim.schedule(1000, () => { const t = setTimeout(() => {}, 10); clearTimeout(t); const i = setInterval(() => {}, 5); clearInterval(i); setTimeout(() => w.sim.log('n1', 'due-at-once')); }); },
});