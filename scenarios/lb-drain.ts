/**
 * lb-drain: the operator drains every backend in turn (a rolling restart): drain, wait until every
 * balancer reports the drain complete (connections finished, or reset at the drain timeout),
 * return the backend to service, go on to the next. Backends may crash meanwhile.
 *
 * Safety, besides the common lb invariants: once a balancer has acknowledged a drain it opens no
 * new connection to that backend; once every balancer reported the drain complete the backend
 * holds no connection (after its keep-alive idle timeout, for FINs that were lost).
 * Liveness: the rolling drain finishes; every backend serves again afterwards.
 */
import { sleep } from '../sim/process.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { addLoadBalancers, checkLbParams, lbLivenessBoundNs, boundsOf, lbParams, withDefaults } from '../systems/lb/kit.ts';

export default defineScenario({
  name: 'lb-drain',
  description: 'Load balancer: rolling drain of every backend; no new connections to a draining backend, none left after the drain',
  params: withDefaults(lbParams(), {
    backendCrashMsMean: { default: 0, swarm: [2000, 10000], swarmOffProbability: 0.5 },
    drainTimeoutMs: { default: 500, swarm: [100, 1000] },
    // A busier pool: more streams are being set up when a drain lands (race 1's window).
    thinkMsMean: { default: 7 },
  }),
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: (p) => lbLivenessBoundNs(p, sec(20), p.backends),
  checkParams: (p) => checkLbParams(p, p.backends),
  setup(w, p) {
    // The drain and its liveness go first, then the lb nemesis and figures.
    const lb = addLoadBalancers(w, p, { faults: false, figures: false });
    const b = boundsOf(p);
    let finished = false;
    let drains = 0;
    let forcedWaitNs = 0;
    w.spawn('rolling-drain', (function* () {
      yield sleep(w.sim, ms(300));
      for (const id of lb.backends) {
        lb.drain([id]);
        const t0 = w.now;
        // Every balancer finishes the drain by its timeout; acknowledgements follow within a push.
        while (!lb.drainComplete(id)) yield sleep(w.sim, ms(10));
        forcedWaitNs = Math.max(forcedWaitNs, w.now - t0);
        drains++;
        yield sleep(w.sim, b.drainedConnsNs + ms(50)); // long enough for the no-connections check to bite
        lb.drain([]);
        yield sleep(w.sim, ms(200));
      }
      finished = true;
    })());
    w.liveness('rolling-drain-finishes', () => (finished ? true : `${drains} of ${lb.backends.length} drains done`));
    lb.addFaults();
    lb.addFigures(() => ({ drains, slowestDrainMs: Math.round(forcedWaitNs / 1e5) / 10 }));
  },
});
