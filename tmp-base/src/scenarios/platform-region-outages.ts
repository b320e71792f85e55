/**
 * platform-region-outages: the platform of platform-global-sale under a harsher global traffic
 * layer: region outages every 1.5-4 s, many sticky DNS clients (seed 000: caches that ignore the
 * TTL) and long TTLs, so failover leans on GeoDNS health and on clients giving up on a dead answer.
 * Same systems, same checks, same bug zoo; only the weather differs.
 */
import { defineScenario } from '../sim/scenario.ts';
import { withDefaults } from '../systems/lb/sim/cluster.ts';
import globalSale from './platform-global-sale.ts';

export default defineScenario({
  ...globalSale,
  name: 'platform-region-outages',
  description: 'the platform with frequent region outages, long DNS TTLs and many sticky clients',
  params: withDefaults(globalSale.params, {
    regionOutageMsMean: { default: 2500, swarm: [1500, 4000], swarmOffProbability: 0 },
    stickyShare: { default: 0.5, swarm: [0.3, 0.8] },
    ttlMs: { default: 3000, swarm: [1000, 5000] },
  }),
});
