/** The load balancer's rare conditions (sim/probes.ts): a sweep that never hits one did not test it. */
import { defineProbes } from '../../../sim/probes.ts';

export const LB_PROBES = defineProbes('lb', {
  'maglev-rebuild-during-drain': 'a Maglev table is rebuilt while a backend is still draining: existing flows must keep their backend, new ones avoid it',
  'drain-forced': 'a drain hit its timeout with connections still open: they are reset, not silently dropped',
  'drain-cancelled': 'a draining backend is put back in rotation before its drain completed',
  'request-on-old-config': 'a request pinned to a config version older than the current one is routed (the config race)',
  'stale-config-push-ignored': 'a delayed config push older than the applied version arrives and must not roll the balancer back',
  'circuit-opened': 'consecutive failures opened a backend\'s circuit breaker: it is skipped until a half-open trial succeeds',
  'circuit-open-rejected': 'an open circuit breaker rejects a request without touching the backend',
  'upstream-timeout': 'a backend did not answer within the upstream timeout (crashed, partitioned or slow)',
  'no-healthy-upstream': 'every candidate backend was unhealthy, ejected, draining or open-circuit: the balancer answers 503',
  'backend-marked-unhealthy': 'health checks took a backend out of rotation',
  'backend-back-healthy': 'a backend came back into rotation after being unhealthy (latency history reset)',
  'unknown-connection-reset': 'a packet of an established flow reached a balancer with no state for it (restarted): the flow is reset',
  'request-while-starting': 'a request reached a restarted balancer before it had fetched its config',
  'duplicate-packet': 'the network duplicated a client packet: it must be served once',
});
