import { defineScenario } from '../sim/scenario.ts';
export default defineScenario({
  name: 'bad-params', description: 'hostile fixture', params: { mode: { type: 'enum', values: 3, default: 'a', doc: 'x' } } as never, durationNs: 1_000_000_000, checksNothing: 'a hostile fixture: the harness is what is tested',
  setup(w) {  },
});