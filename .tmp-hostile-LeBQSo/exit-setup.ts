import { defineScenario } from '../sim/scenario.ts';
export default defineScenario({
  name: 'exit-setup', description: 'hostile fixture', params: {}, durationNs: 1_000_000_000, checksNothing: 'a hostile fixture: the harness is what is tested',
  setup(w) { process.exit(0); },
});