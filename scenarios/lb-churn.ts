/**
 * lb-churn: the operator keeps changing the pool (a backend leaves, a spare joins) while clients
 * hold keep-alive connections, with Maglev consistent hashing (M = 65537 by default, the paper's
 * and Envoy's size) and connection tracking. Each config version gets its own Maglev table, built
 * whole and swapped in with one reference (a request keeps the config, and table, it started with).
 *
 * Safety, besides the common lb invariants: every looked-up table has every slot owned and per-
 * backend slot counts within one of each other; the mean share of slots moved between surviving
 * backends per single membership change stays within the author's measured bound (5%); an
 * established connection never moves while its backend is up. Figures: table swaps, membership
 * changes, moved and survivor-moved fractions.
 */
import { param } from '../sim/params.ts';
import { sleep } from '../sim/process.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { addLoadBalancers, checkLbParams, lbLivenessBoundNs, lbParams, withDefaults } from '../systems/lb/kit.ts';

export default defineScenario({
  name: 'lb-churn',
  description: 'Load balancer: membership churn under Maglev; complete, balanced tables, bounded disruption, connections stay put',
  params: {
    ...withDefaults(lbParams(), {
      algorithm: { default: 'maglev', swarm: undefined },
      maglevTableSize: { default: 65537 },
      backendCrashMsMean: { default: 0, swarmOffProbability: 0.7 },
    }),
    spares: param.int({ doc: 'spare backends that join and leave', default: 3, min: 1, max: 16 }),
    churnMsMean: param.float({ doc: 'mean time between membership changes (ms)', default: 400, min: 1, max: 1e6, swarm: [200, 1000] }),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: (p) => lbLivenessBoundNs(p, sec(10), p.backends + p.spares),
  checkParams: (p) => checkLbParams(p, p.backends + p.spares),
  setup(w, p) {
    // The churn goes first, then the lb nemesis and figures (faults: false, figures: false).
    const lb = addLoadBalancers(w, p, { spareBackends: p.spares, faults: false, figures: false });
    const rng = w.rng('lb/churn');
    let changes = 0;
    w.nemesis('churn', (function* () {
      yield sleep(w.sim, ms(500));
      for (;;) {
        yield sleep(w.sim, Math.max(1, Math.round(rng.exponential(ms(p.churnMsMean)))));
        const cur = lb.currentBackends();
        const out = lb.allBackends.filter((id) => !cur.includes(id));
        // Keep at least two backends; otherwise add or remove with equal odds.
        if (out.length > 0 && (cur.length <= 2 || rng.chance(0.5))) lb.setBackends([...cur, rng.pick(out)]);
        else lb.setBackends(cur.filter((id) => id !== rng.pick(cur)));
        changes++;
      }
    })());
    lb.addFaults();
    lb.addFigures(() => ({ configChanges: changes }));
  },
});
