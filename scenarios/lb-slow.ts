/**
 * lb-slow: one backend turns slow (service time multiplied) and, on some seeds, starts failing a
 * share of its requests, without ever failing a health check: active checks cannot see it.
 * Latency-weighted and adaptive selection should send it less; circuit breakers and outlier
 * ejection should stop sending to it once its requests fail or time out (seed 004). On some seeds
 * (`slowHealthFails`, 30% of the swarm) the backend knows it is degraded and its health endpoint
 * answers 503 until the faults stop: an l7-http check takes it out of rotation, an l4-connect
 * check (it answered) keeps it; health-threshold-exact judges either.
 *
 * Safety: the common lb invariants. Figures: the slow backend's share of requests before and
 * after it turned slow, next to its fair share, and the latency percentiles.
 */
import { param } from '../sim/params.ts';
import { sleep } from '../sim/process.ts';
import { defineScenario } from '../sim/scenario.ts';
import { sec } from '../sim/time.ts';
import { addLoadBalancers, checkLbParams, lbLivenessBoundNs, lbParams, withDefaults } from '../systems/lb/kit.ts';

export default defineScenario({
  name: 'lb-slow',
  description: 'Load balancer: a slow or failing backend passes health checks; latency-weighted selection and circuit breakers move load away',
  params: {
    ...withDefaults(lbParams(), {
      backendCrashMsMean: { default: 0, swarmOffProbability: 0.7 },
      lbMode: { default: 'l7' },
      algorithm: { default: 'latency-weighted' },
    }),
    slowFactor: param.float({ doc: 'service-time multiplier of the slow backend', default: 20, min: 1, max: 1e4, swarm: [5, 200] }),
    slowErrorRate: param.float({ doc: 'share of the slow backend\'s requests that fail with 500', default: 0, min: 0, max: 1, swarm: [0, 0.8], swarmOffProbability: 0.5 }),
    slowAtS: param.float({ doc: 'when the backend turns slow (s)', default: 1, min: 0, max: 86400 }),
    // Last, so that adding it left every earlier parameter's swarm draw as it was. Without it no
    // lb scenario made a health endpoint answer anything but 200 (docs/mutation.md, eleventh
    // round: the 2xx bound of an l7-http check was never exercised).
    slowHealthFails: param.bool({ doc: 'the slow backend\'s health endpoint fails too (503 until the faults stop): a backend that knows it is degraded', default: false, swarm: 0.3 }),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: (p) => lbLivenessBoundNs(p, sec(10), p.backends),
  checkParams: (p) => checkLbParams(p, p.backends),
  setup(w, p) {
    // The slow-down goes first, then the lb nemesis and figures.
    const lb = addLoadBalancers(w, p, { faults: false, figures: false });
    const slow = lb.backends[0]!;
    let before = new Map<string, number>();
    w.nemesis('slow', (function* () {
      yield sleep(w.sim, sec(p.slowAtS));
      before = new Map(lb.servedBy());
      lb.degrade(slow, { slowFactor: p.slowFactor, errorRate: p.slowErrorRate, healthFails: p.slowHealthFails });
      w.log('slow', `${slow} x${p.slowFactor}, error rate ${p.slowErrorRate}${p.slowHealthFails ? ', health endpoint failing' : ''}`);
    })());
    let after: Map<string, number> | null = null;
    w.onHeal(() => {
      after = new Map(lb.servedBy());
    });
    lb.addFaults();
    lb.addFigures(() => {
      const share = (m: ReadonlyMap<string, number>, base: ReadonlyMap<string, number>): number => {
        let tot = 0;
        for (const [k, v] of m) tot += v - (base.get(k) ?? 0);
        return tot === 0 ? 0 : Math.round((((m.get(slow) ?? 0) - (base.get(slow) ?? 0)) / tot) * 1e4) / 1e4;
      };
      const end = after ?? lb.servedBy();
      return { slowBackend: slow, fairShare: Math.round((1 / p.backends) * 1e4) / 1e4, slowShareBefore: share(before, new Map()), slowShareWhileSlow: share(end, before) };
    });
  },
});
