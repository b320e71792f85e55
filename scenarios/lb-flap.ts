/**
 * lb-flap: one backend flaps (crashes and restarts every few tens to hundreds of ms) while the
 * others stay up. Health thresholds debounce it: a backend must pass `healthyThreshold` checks in a
 * row to return, so a backend whose up-periods are shorter than that stays out instead of bouncing
 * in and out with every restart (seed 003: "Backend flapping -> debounce status changes").
 *
 * Safety: the common lb invariants; in particular no new connection reaches the flapping backend
 * while it has been down longer than the detection bound. Figures: the flapping backend's share of
 * new connections, its restarts, and the health transitions the balancers made (fewer than flaps).
 */
import { param } from '../sim/params.ts';
import { sleep } from '../sim/process.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { addLoadBalancers, checkLbParams, lbLivenessBoundNs, lbParams, withDefaults } from '../systems/lb/kit.ts';

export default defineScenario({
  name: 'lb-flap',
  description: 'Load balancer: a flapping backend is debounced by health thresholds; never routed to once known dead',
  params: {
    ...withDefaults(lbParams(), {
      backendCrashMsMean: { default: 0, swarm: undefined, swarmOffProbability: undefined },
      healthyThreshold: { default: 3, swarm: [2, 4] },
    }),
    flapUpMsMean: param.float({ doc: 'mean up-time of the flapping backend (ms)', default: 150, min: 1, max: 1e6, swarm: [30, 600] }),
    flapDownMsMean: param.float({ doc: 'mean down-time of the flapping backend (ms)', default: 150, min: 1, max: 1e6, swarm: [30, 600] }),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: (p) => lbLivenessBoundNs(p, sec(10), p.backends),
  checkParams: (p) => checkLbParams(p, p.backends),
  setup(w, p) {
    // The flapping goes first, then the lb nemesis and figures.
    const lb = addLoadBalancers(w, p, { faults: false, figures: false });
    const flapper = w.node(lb.backends[0]!);
    const rng = w.rng('lb/flap');
    let flaps = 0;
    w.nemesis('flap', (function* () {
      yield sleep(w.sim, ms(500));
      for (;;) {
        flapper.crash();
        flaps++;
        lb.faultsChanged();
        yield sleep(w.sim, Math.max(1, Math.round(rng.exponential(ms(p.flapDownMsMean)))));
        // The standard nemesis may have crashed and restarted it meanwhile (a directed strike).
        if (flapper.state === 'down') flapper.start();
        lb.faultsChanged();
        yield sleep(w.sim, Math.max(1, Math.round(rng.exponential(ms(p.flapUpMsMean)))));
      }
    })());
    lb.addFaults();
    const newStreamsBy = lb.cluster.oracle.newStreamsBy;
    lb.addFigures(() => {
      const total = [...newStreamsBy.values()].reduce((a, b) => a + b, 0);
      return { flapper: flapper.id, flaps, flapperNewStreamShare: total === 0 ? 0 : Math.round(((newStreamsBy.get(flapper.id) ?? 0) / total) * 1e4) / 1e4 };
    });
  },
});
