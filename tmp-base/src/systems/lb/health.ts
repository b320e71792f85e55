/**
 * Active health checking as a pure per-backend state machine (seed 003, "Health Check System").
 * The kernel owns the network and the clock: it calls `tick(now)` at `nextWakeNs()`, sends the
 * probes the machine asks for, and feeds back what came of them with `onProbeResult`. A probe with
 * no result by its deadline is a failure (a timeout).
 *
 * Timing: a probe starts every `intervalNs` (plus a jitter drawn from the injected Rng, uniform in
 * [0, jitterFraction * interval], to stagger checks across backends); `unhealthyThreshold`
 * consecutive failures mark the backend unhealthy, `healthyThreshold` consecutive successes mark
 * it healthy again. A backend that goes silent right after a successful probe is therefore marked
 * unhealthy `unhealthyThreshold * intervalNs + timeoutNs` later (without jitter): the seed's
 * detection-time formula, `detectionTimeNs` below.
 *
 * Shallow checks (L4 connect, L7 HTTP status) decide routing. A deep check (process plus its
 * dependencies) only degrades a backend, lowering its weight, so that one failed dependency
 * cannot empty the whole pool (seed 003: "Use shallow checks for routing").
 *
 * Bug zoo: `thresholdOffByOne` compares with `>` where `>=` is meant, so every transition needs
 * one more consecutive result than configured.
 */
import type { Nanos } from '../../sim/time.ts';
import type { Rng } from '../../sim/prng.ts';
import { assert } from '../../sim/assert.ts';
import { LbConfigError } from './errors.ts';

/** What a probe checks. */
export type CheckKind = 'l4-connect' | 'l7-http' | 'deep';

/** Health check configuration (all times in ns). */
export interface HealthCheckConfig {
  /** 'l4-connect': a TCP connect; 'l7-http': GET /health; 'deep': GET /health/deep (degrades only). */
  readonly kind: CheckKind;
  /** Time between the starts of consecutive probes, in ns. */
  readonly intervalNs: Nanos;
  /** A probe with no result after this long is a failure, in ns; at most `intervalNs`. */
  readonly timeoutNs: Nanos;
  /** Consecutive failures that mark a healthy backend unhealthy (>= 1). */
  readonly unhealthyThreshold: number;
  /** Consecutive successes that mark an unhealthy backend healthy (>= 1). */
  readonly healthyThreshold: number;
  /** Jitter added before each probe as a fraction of the interval, uniform in [0, f]; default 0. */
  readonly jitterFraction?: number;
  /** HTTP statuses counted as success for 'l7-http' and 'deep', inclusive; default 200..299. */
  readonly okStatusMin?: number;
  readonly okStatusMax?: number;
  /** State before the first probe; default healthy. */
  readonly initiallyHealthy?: boolean;
  /** Bug zoo: thresholds compared with `>`, so transitions need one result more than configured. */
  readonly thresholdOffByOne?: boolean;
  /** Bug zoo: a success does not reset the failure count, so failures accumulate across successes. */
  readonly failuresNotReset?: boolean;
}

/** The seed's detection time for a backend that dies right after a probe: threshold * interval + timeout. */
export function detectionTimeNs(config: Pick<HealthCheckConfig, 'intervalNs' | 'timeoutNs' | 'unhealthyThreshold'>): Nanos {
  return config.unhealthyThreshold * config.intervalNs + config.timeoutNs;
}

/** What the kernel observed for a probe. A timeout is not reported: the machine sees the deadline pass. */
export type ProbeOutcome =
  | { readonly type: 'connected' }
  | { readonly type: 'refused' }
  | { readonly type: 'http'; readonly status: number };

export type HealthStatus = 'healthy' | 'unhealthy';

/** Something the kernel must do or record. */
export type HealthAction =
  | {
      readonly type: 'probe';
      readonly backend: string;
      readonly probeId: number;
      readonly kind: CheckKind;
      /** Results arriving after this instant are ignored; the probe has failed by then. */
      readonly deadlineNs: Nanos;
    }
  | {
      readonly type: 'transition';
      readonly backend: string;
      readonly from: HealthStatus;
      readonly to: HealthStatus;
      readonly atNs: Nanos;
      /** 'routing' for shallow checks; 'degrade' for deep ones (lower weight, keep routing). */
      readonly effect: 'routing' | 'degrade';
      readonly reason: string;
    };

function validate(c: HealthCheckConfig): void {
  const bad = (why: string): never => {
    throw new LbConfigError('bad-health-config', `${why}; fix the health check configuration`);
  };
  if (!(Number.isInteger(c.intervalNs) && c.intervalNs > 0)) bad(`intervalNs ${c.intervalNs} must be a positive integer`);
  if (!(Number.isInteger(c.timeoutNs) && c.timeoutNs > 0 && c.timeoutNs <= c.intervalNs)) bad(`timeoutNs ${c.timeoutNs} must be in (0, intervalNs]`);
  if (!(Number.isInteger(c.unhealthyThreshold) && c.unhealthyThreshold >= 1)) bad(`unhealthyThreshold ${c.unhealthyThreshold} must be an integer >= 1`);
  if (!(Number.isInteger(c.healthyThreshold) && c.healthyThreshold >= 1)) bad(`healthyThreshold ${c.healthyThreshold} must be an integer >= 1`);
  const j = c.jitterFraction ?? 0;
  if (!(j >= 0 && j <= 1)) bad(`jitterFraction ${j} must be in [0, 1]`);
}

/** One backend's health check state machine. */
export class HealthChecker {
  readonly backend: string;
  readonly config: HealthCheckConfig;
  private readonly rng: Rng;
  private healthy: boolean;
  private failures = 0;
  private successes = 0;
  private nextProbeNs: Nanos;
  private nextProbeId = 1;
  private outstanding: { id: number; deadlineNs: Nanos } | null = null;

  /** `rng` draws the jitter; the first probe is at `startNs` plus one jitter draw. */
  constructor(backend: string, config: HealthCheckConfig, rng: Rng, startNs: Nanos) {
    validate(config);
    this.backend = backend;
    this.config = config;
    this.rng = rng;
    this.healthy = config.initiallyHealthy ?? true;
    this.nextProbeNs = startNs + this.jitter();
  }

  /** 'healthy' or 'unhealthy' (for a deep check, 'unhealthy' means degraded). */
  get status(): HealthStatus {
    return this.healthy ? 'healthy' : 'unhealthy';
  }

  /** Consecutive failures and successes seen so far. */
  get counters(): { failures: number; successes: number } {
    return { failures: this.failures, successes: this.successes };
  }

  /** When `tick` must next be called: the next probe start or the outstanding probe's deadline. */
  nextWakeNs(): Nanos {
    return this.outstanding === null ? this.nextProbeNs : Math.min(this.nextProbeNs, this.outstanding.deadlineNs);
  }

  /** Advances to `now`: times out an overdue probe, then starts a probe if one is due. */
  tick(now: Nanos): HealthAction[] {
    const out: HealthAction[] = [];
    if (this.outstanding !== null && now >= this.outstanding.deadlineNs) {
      const at = this.outstanding.deadlineNs;
      this.outstanding = null;
      this.record(false, at, 'timeout', out);
    }
    if (now >= this.nextProbeNs) {
      // timeout <= interval, so the previous probe has resolved by the time the next one starts.
      assert(this.outstanding === null, `HealthChecker ${this.backend}: probe still outstanding at next start`);
      const start = this.nextProbeNs;
      const id = this.nextProbeId++;
      this.outstanding = { id, deadlineNs: start + this.config.timeoutNs };
      this.nextProbeNs = start + this.config.intervalNs + this.jitter();
      out.push({ type: 'probe', backend: this.backend, probeId: id, kind: this.config.kind, deadlineNs: start + this.config.timeoutNs });
    }
    return out;
  }

  /** Feeds a probe's outcome. Late or unknown probes are ignored (their timeout already counted). */
  onProbeResult(probeId: number, outcome: ProbeOutcome, now: Nanos): HealthAction[] {
    if (this.outstanding === null || this.outstanding.id !== probeId || now >= this.outstanding.deadlineNs) return [];
    this.outstanding = null;
    const out: HealthAction[] = [];
    const ok = this.judge(outcome);
    this.record(ok, now, ok ? 'ok' : describe(outcome), out);
    return out;
  }

  private judge(o: ProbeOutcome): boolean {
    switch (o.type) {
      case 'connected':
        // An HTTP check that only got a connection has no status yet: treat as failure.
        return this.config.kind === 'l4-connect';
      case 'refused':
        return false;
      case 'http': {
        if (this.config.kind === 'l4-connect') return true; // connected, then spoke HTTP
        return o.status >= (this.config.okStatusMin ?? 200) && o.status <= (this.config.okStatusMax ?? 299);
      }
    }
  }

  private record(ok: boolean, at: Nanos, reason: string, out: HealthAction[]): void {
    const reached = (count: number, threshold: number): boolean =>
      this.config.thresholdOffByOne ? count > threshold : count >= threshold;
    if (ok) {
      this.successes++;
      if (!this.config.failuresNotReset) this.failures = 0;
      if (!this.healthy && reached(this.successes, this.config.healthyThreshold)) this.flip(true, at, reason, out);
    } else {
      this.failures++;
      this.successes = 0;
      if (this.healthy && reached(this.failures, this.config.unhealthyThreshold)) this.flip(false, at, reason, out);
    }
  }

  private flip(healthy: boolean, at: Nanos, reason: string, out: HealthAction[]): void {
    const from = this.status;
    this.healthy = healthy;
    out.push({
      type: 'transition',
      backend: this.backend,
      from,
      to: this.status,
      atNs: at,
      effect: this.config.kind === 'deep' ? 'degrade' : 'routing',
      reason: `${reason} (${healthy ? this.successes : this.failures} consecutive)`,
    });
  }

  private jitter(): Nanos {
    const f = this.config.jitterFraction ?? 0;
    return f === 0 ? 0 : Math.floor(this.rng.uniform(0, f * this.config.intervalNs));
  }
}

function describe(o: ProbeOutcome): string {
  return o.type === 'http' ? `http ${o.status}` : o.type;
}

/**
 * A backend's routing weight from its checks: 0 when the shallow check says unhealthy, the base
 * weight times `degradedFactor` (default 0.5) when only the deep check fails, else the base weight.
 */
export function routingWeight(baseWeight: number, shallow: HealthStatus, deepDegraded: boolean, degradedFactor = 0.5): number {
  if (shallow === 'unhealthy') return 0;
  return deepDegraded ? baseWeight * degradedFactor : baseWeight;
}

/** Options for combining several balancers' (vantages') views of backend health. */
export interface VantageOptions {
  /** The vantage (balancer instance) ids taking part. */
  readonly vantages: readonly string[];
  /** Unhealthy reports needed to call a backend unhealthy; default a majority of `vantages`. */
  readonly quorum?: number;
  /** Reports older than this are ignored, in ns; default never stale. */
  readonly maxAgeNs?: Nanos;
}

/**
 * Multi-vantage aggregation: a backend is unhealthy only when a quorum of vantages say so, so a
 * partition between one balancer and a backend does not remove the backend for everyone
 * (seed 003: "Network partition to backend ... Use multiple check sources"). Missing or stale
 * reports do not count as unhealthy.
 */
export class VantageAggregator {
  private readonly vantages: ReadonlySet<string>;
  private readonly quorum: number;
  private readonly maxAgeNs: Nanos;
  private readonly reports = new Map<string, Map<string, { status: HealthStatus; atNs: Nanos }>>();

  constructor(options: VantageOptions) {
    this.vantages = new Set(options.vantages);
    this.quorum = options.quorum ?? Math.floor(this.vantages.size / 2) + 1;
    this.maxAgeNs = options.maxAgeNs ?? Infinity;
    if (!(this.vantages.size > 0 && Number.isInteger(this.quorum) && this.quorum >= 1 && this.quorum <= this.vantages.size)) {
      throw new LbConfigError('bad-health-config', `quorum ${this.quorum} must be in [1, ${this.vantages.size}] vantages`);
    }
  }

  /** Records one vantage's current view of one backend. */
  report(vantage: string, backend: string, status: HealthStatus, now: Nanos): void {
    assert(this.vantages.has(vantage), `VantageAggregator: unknown vantage ${vantage}`);
    let m = this.reports.get(backend);
    if (m === undefined) {
      m = new Map();
      this.reports.set(backend, m);
    }
    m.set(vantage, { status, atNs: now });
  }

  /** Fresh unhealthy reports for a backend at `now`. */
  unhealthyVotes(backend: string, now: Nanos): number {
    let votes = 0;
    for (const r of this.reports.get(backend)?.values() ?? []) {
      if (r.status === 'unhealthy' && now - r.atNs <= this.maxAgeNs) votes++;
    }
    return votes;
  }

  /** The combined verdict: unhealthy iff at least `quorum` fresh vantages say unhealthy. */
  verdict(backend: string, now: Nanos): HealthStatus {
    return this.unhealthyVotes(backend, now) >= this.quorum ? 'unhealthy' : 'healthy';
  }
}
