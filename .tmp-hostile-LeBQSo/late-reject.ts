import { defineScenario } from '../sim/scenario.ts';
export default defineScenario({
  name: 'late-reject', description: 'hostile fixture', params: {}, durationNs: 1_000_000_000, checksNothing: 'a hostile fixture: the harness is what is tested',
  setup(w) { w.sim.schedule(1000, async () => { await null; throw new Error('thrown after an await'); }); },
});