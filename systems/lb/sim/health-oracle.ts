/**
 * Health-check thresholds and flap bound, judged from raw probe observations (seed 003, "Health
 * Check System"). The balancer reports each probe it starts (id, deadline) and each reply it gets
 * (status, on its local clock), and each health transition it makes; this model decides on its own
 * what every probe came to (success: a 2xx reply before the deadline, any reply for an l4-connect
 * check; failure: anything else, a timeout counted at the deadline), counts consecutive results per (balancer, backend), and holds
 * the balancer to its configuration:
 *
 *  - health-threshold-exact: a healthy backend turns unhealthy exactly when its consecutive
 *    failures reach `unhealthyThreshold` (not one probe earlier, not one later), and an unhealthy
 *    one turns healthy exactly when its consecutive successes reach `healthyThreshold`;
 *
 * The flap bound follows, and is what this buys: between two transitions of one backend at one
 * balancer at least min(healthyThreshold, unhealthyThreshold) probes resolve (the counters restart
 * at each transition and the next needs a full threshold of them), so however a backend flaps, a
 * balancer's view of it changes at most once per that many probe intervals. A separate flap check
 * could never fire before this one, so there is none (an invariant that cannot fail proves nothing).
 *
 * A checker restarts (probe id 1) when its balancer restarts or the backend rejoins: the model
 * restarts with it, unhealthy (balancers start every backend unhealthy).
 */
import type { World } from '../../../sim/scenario.ts';
import type { Nanos } from '../../../sim/time.ts';
import type { HealthCheckConfig, HealthStatus } from '../health.ts';

interface Probe {
  id: number;
  deadlineNs: Nanos;
  /** Success, failure, or not yet known. */
  ok: boolean | null;
}

interface Model {
  healthy: boolean;
  failures: number;
  successes: number;
  probes: Probe[];
  transitions: number;
}

export interface HealthProbeObserver {
  probeStarted(lb: string, backend: string, probeId: number, startNs: Nanos, deadlineNs: Nanos): void;
  probeReply(lb: string, backend: string, probeId: number, status: number, atNs: Nanos): void;
  healthTransition(lb: string, backend: string, to: HealthStatus, atNs: Nanos): void;
}

export class HealthThresholdOracle implements HealthProbeObserver {
  private readonly models = new Map<string, Model>();
  readonly stats = { probes: 0, transitions: 0 };

  constructor(
    private readonly w: World<unknown>,
    private readonly cfg: Pick<HealthCheckConfig, 'kind' | 'unhealthyThreshold' | 'healthyThreshold' | 'okStatusMin' | 'okStatusMax'>,
  ) {}

  private model(lb: string, backend: string): Model {
    const k = `${lb}|${backend}`;
    let m = this.models.get(k);
    if (m === undefined) this.models.set(k, (m = fresh()));
    return m;
  }

  probeStarted(lb: string, backend: string, probeId: number, startNs: Nanos, deadlineNs: Nanos): void {
    this.stats.probes++;
    if (probeId === 1) this.models.set(`${lb}|${backend}`, fresh());
    const m = this.model(lb, backend);
    this.settle(lb, backend, m, startNs, false);
    m.probes.push({ id: probeId, deadlineNs, ok: null });
  }

  probeReply(lb: string, backend: string, probeId: number, status: number, atNs: Nanos): void {
    const m = this.model(lb, backend);
    const p = m.probes.find((x) => x.id === probeId);
    if (p === undefined || p.ok !== null || atNs >= p.deadlineNs) return; // late: its timeout counts
    // An l4-connect check asks only whether the backend answers: any status passes.
    p.ok = this.cfg.kind === 'l4-connect' || (status >= (this.cfg.okStatusMin ?? 200) && status <= (this.cfg.okStatusMax ?? 299));
    this.settle(lb, backend, m, atNs, false);
  }

  healthTransition(lb: string, backend: string, to: HealthStatus, atNs: Nanos): void {
    this.stats.transitions++;
    const m = this.model(lb, backend);
    // Everything resolved by now counts, up to the result that caused this transition.
    this.settle(lb, backend, m, atNs, true);
    const want = to === 'healthy';
    if (m.healthy === want) return this.fail('health-threshold-exact', `${lb} marked ${backend} ${to}, which it already was`);
    const count = want ? m.successes : m.failures;
    const threshold = want ? this.cfg.healthyThreshold : this.cfg.unhealthyThreshold;
    if (count !== threshold)
      return this.fail('health-threshold-exact', `${lb} marked ${backend} ${to} after ${count} consecutive ${want ? 'successful' : 'failed'} probe(s); the threshold is ${threshold}`);
    m.healthy = want;
    m.transitions++;
    m.failures = 0;
    m.successes = 0;
  }

  /**
   * Folds resolved probes into the counters, in order, up to `nowNs` (a probe without a reply by
   * its deadline failed there). With `atTransition`, the last result folded may be the one that
   * triggers the transition being judged; otherwise, reaching a threshold without a transition
   * having been reported means the balancer missed it.
   */
  private settle(lb: string, backend: string, m: Model, nowNs: Nanos, atTransition: boolean): void {
    while (m.probes.length > 0) {
      const p = m.probes[0]!;
      if (p.ok === null && nowNs < p.deadlineNs) return;
      m.probes.shift();
      const ok = p.ok === true;
      // A threshold reached by the previous result with no transition since: missed.
      if (this.due(m)) return this.fail('health-threshold-exact', `${lb} kept ${backend} ${m.healthy ? 'healthy' : 'unhealthy'} after ${m.healthy ? m.failures : m.successes} consecutive ${m.healthy ? 'failed' : 'successful'} probe(s); the threshold is ${m.healthy ? this.cfg.unhealthyThreshold : this.cfg.healthyThreshold}`);
      if (ok) {
        m.successes++;
        m.failures = 0;
      } else {
        m.failures++;
        m.successes = 0;
      }
      if (atTransition && m.probes.length === 0) return;
    }
  }

  private due(m: Model): boolean {
    return m.healthy ? m.failures >= this.cfg.unhealthyThreshold : m.successes >= this.cfg.healthyThreshold;
  }

  private fail(inv: string, msg: string): void {
    this.w.violation(inv, msg);
  }
}

function fresh(): Model {
  return { healthy: false, failures: 0, successes: 0, probes: [], transitions: 0 };
}
