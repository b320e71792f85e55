/**
 * platform-global-sale: the whole platform in one simulation, three regions by default.
 *
 *   shoppers --GeoDNS (nearest healthy region, TTL'd answers, some sticky clients)--> region
 *   region:  load balancer (Maglev, health checks, drains from the config store by revision)
 *            -> application servers -> CRDT replica (carts, order view) + escrow replica (seats)
 *   global:  one Raft config store across the regions (backends, evacuations, the operator lock)
 *            and two operators taking turns at its lock to deploy, remove/add servers, evacuate.
 *
 * Faults: the standard nemesis on every server (config, escrow, CRDT, app), region outages (a
 * balancer down), GC pauses of the lock-holding operator; with `hardware` or `storeHardware`
 * accelerated, the escrow replicas or config servers run on SmartNICs and the hardware nemesis
 * crashes and wedges those NICs. Checks: each system's own invariants
 * (Raft safety, linearizable config reads, escrow never-oversell/conservation, CRDT replicas) and
 * the end-to-end ones of systems/platform/invariants.ts. Bug zoo: PLATFORM_BUGS (the seams).
 */
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { addPlatform, platformParams } from '../systems/platform/kit.ts';

export default defineScenario({
  name: 'platform-global-sale',
  description: 'GeoDNS, regional Maglev balancers, a Raft config store, escrow seats and CRDT carts in one world, under faults and live operations',
  params: platformParams(),
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: sec(30),
  // The end-to-end checks are event-driven or persistent states; a coarser poll keeps runs cheap.
  checkIntervalNs: ms(50),
  setup(w, p) {
    addPlatform(w, p);
  },
});
