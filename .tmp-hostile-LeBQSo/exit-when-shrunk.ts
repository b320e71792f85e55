import { defineScenario } from '../sim/scenario.ts';
import { param } from '../sim/params.ts';
export default defineScenario({
  name: 'exit-when-shrunk', description: 'hostile fixture', durationNs: 20_000_000,
  params: { level: param.int({ doc: 'a shrink lowers it', default: 5, min: 0, max: 10 }) },
  setup(w, p) { w.sim.schedule(1_000_000, () => { if (p.level < 5) process.exit(0); }); w.sim.schedule(5_000_000, () => w.violation('planted', 'the planted bug')); },
});