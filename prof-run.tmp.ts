import scn from '/work/wt/platform/scenarios/platform-global-sale.ts';
import { runScenario } from '/work/wt/platform/sim/runner.ts';
const t = Date.now(); // wallclock-ok
const r = runScenario(scn, { seed: Number(process.argv[2] ?? 8) });
console.log(r.outcome, r.events ?? '', Date.now() - t, JSON.stringify(r.violations?.[0] ?? r.liveness ?? '').slice(0, 300)); // wallclock-ok
