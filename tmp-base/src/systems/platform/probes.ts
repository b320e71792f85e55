/** The platform's rare seam conditions (sim/probes.ts): a sweep that never hits one did not test that seam. */
import { defineProbes } from '../../sim/probes.ts';

export const PLATFORM_PROBES = defineProbes('platform', {
  'dns-answer-past-ttl': 'a sticky shopper sent a request through a GeoDNS answer past its TTL: it may land on a region GeoDNS has since taken out',
  'geodns-fail-open': 'GeoDNS had no eligible region (all unhealthy or evacuated) and failed open with the nearest non-evacuated one',
  'geodns-region-back': 'a region GeoDNS had taken out of its answers passed enough probes to be put back',
  'lb-refused-config-stale': 'a balancer refused a request because its last confirmed config progress was asked longer ago than the stale bound (config-stale)',
  'lb-new-config-drain': 'a balancer began acting on a newer config revision that drains one of its backends',
  'lb-watch-moved-on': 'a balancer\'s watching config replica could not confirm progress (cut from the leader, down, lost the watch): the watch moved to another replica',
  'lb-config-resync': 'a balancer started over with a linearizable read (its watch was compacted, or it restarted with a view)',
  'lb-watch-compacted': 'a balancer\'s watch asked for history the config store had compacted: it must re-read the config and watch again',
  'checkout-retried': 'a shopper retried a checkout that got no answer, with the same order id',
  'checkout-retry-finishes-order': 'a checkout\'s hold found the hold of an earlier attempt under the same order id (a server re-send or a shopper retry after a partial first attempt) and finished that order',
  'checkout-unknown-outcome': 'a checkout got no answer after all its attempts: the shopper no longer knows which items were sold',
  'order-in-region-out-of-dns': 'an order was confirmed through a region GeoDNS was not answering (evacuated or unhealthy) at that moment',
  'crdt-request-retried': 'the region\'s CRDT replica answered stale (not yet caught up with the shopper\'s causal token) or not in time, and the app server retried',
  'operator-write-fenced': 'an operator\'s fenced config write was refused: its lock was lost (lease expired) and its token is old',
  'operator-lease-lost': 'an operator\'s lock lease expired while it held the lock (a pause or a cut): its turn ends',
  'operator-rollback-drain': 'a lock holder found a drain another operator left half-done and rolled it back',
  'region-returned': 'an operator returned an evacuated region to GeoDNS\'s answers',
});
