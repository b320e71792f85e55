/**
 * lb-partition: links between one balancer and one backend are cut (both ways) and healed, on a
 * network that loses nothing. The cut-off balancer must stop using the backend; the others, which
 * still reach it, must keep it: health views are combined by majority, so one balancer's partition
 * does not remove a backend for everyone (seed 003: "Network partition to backend -> use multiple
 * check sources").
 *
 * Safety, besides the common lb invariants: a backend available to a balancer, and to a majority of
 * balancers, is never out of that balancer's rotation for longer than the readmission bound
 * (checked during the faults too, since nothing is lost). `--param healthSharing=any` (any one
 * balancer's verdict removes a backend everywhere) breaks it.
 */
import { defineScenario } from '../sim/scenario.ts';
import { sec } from '../sim/time.ts';
import { addLoadBalancers, checkLbParams, lbLivenessBoundNs, lbParams, withDefaults } from '../systems/lb/kit.ts';

const off = { default: 0, swarm: undefined, swarmOffProbability: undefined };

export default defineScenario({
  name: 'lb-partition',
  description: 'Load balancer: balancer-to-backend partitions; multi-vantage health avoids removing a backend the others still reach',
  params: withDefaults(lbParams(), {
    balancers: { default: 3, swarm: [3, 5] },
    cutMsMean: { default: 500, swarm: [200, 2000], swarmOffProbability: undefined },
    backendCrashMsMean: { default: 0, swarmOffProbability: 0.7 },
    netLossRate: off,
    netDuplicateRate: { default: 0 },
  }),
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: (p) => lbLivenessBoundNs(p, sec(10), p.backends),
  checkParams: (p) => checkLbParams(p, p.backends),
  setup(w, p) {
    addLoadBalancers(w, p, { readmissionAlways: true });
  },
});
