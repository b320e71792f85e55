import { defineScenario } from '../sim/scenario.ts';
export default defineScenario({
  name: 'loud', description: 'hostile fixture', params: {}, durationNs: 1_000_000_000, checksNothing: 'a hostile fixture: the harness is what is tested',
  setup(w) { w.sim.schedule(1000, () => { for (let i = 0; i < 400; i++) process.stdout.write(`line ${i} ${'x'.repeat(200)}\n`); process.stdout.write('LAST LINE\n'); }); },
});