import scn from './scenarios/platform-global-sale.ts';
import { Simulation } from './sim/kernel.ts';
import { runScenario } from './sim/runner.ts';
const r = runScenario(scn, { seed: Number(process.argv[2] ?? 8), traceSink: null });
console.log(r.outcome, JSON.stringify(r.liveness ?? r.violations).slice(0, 500));
