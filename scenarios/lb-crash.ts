/**
 * lb-crash: backends crash and come back (and may pause) under several balancers sharing health
 * views, over a lossy, reordering LAN, while keep-alive clients send requests.
 *
 * Safety (docs/lb.md states every bound): no new connection to a backend unavailable for longer
 * than the detection bound; none to a backend whose drain was acknowledged; an established
 * connection never moves while its backend is up; every request accepted by a live balancer is
 * answered; the active-request gauge matches the requests in flight; Maglev tables are complete
 * and balanced. Liveness: once the faults stop, every backend is back in every balancer's rotation
 * within the readmission bound and receives new connections.
 */
import { defineScenario } from '../sim/scenario.ts';
import { sec } from '../sim/time.ts';
import { addLoadBalancers, checkLbParams, lbLivenessBoundNs, lbParams } from '../systems/lb/kit.ts';

export default defineScenario({
  name: 'lb-crash',
  description: 'Load balancer: backends crash and recover; dead backends leave rotation within the detection bound and come back after',
  params: lbParams(),
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: (p) => lbLivenessBoundNs(p, sec(10), p.backends),
  checkParams: (p) => checkLbParams(p, p.backends),
  setup(w, p) {
    addLoadBalancers(w, p);
  },
});
