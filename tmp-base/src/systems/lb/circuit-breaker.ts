/**
 * Circuit breaking and outlier ejection (seed 004, "Distributed Circuit Breakers" and its Envoy
 * outlier_detection notes). Both are pure: time is a parameter (`now`), never read.
 *
 * CircuitBreaker, per backend or per upstream: closed (requests flow, consecutive failures are
 * counted) -> open after `failureThreshold` consecutive failures (requests refused for
 * `openDurationNs`) -> half-open (up to `halfOpenMaxRequests` trial requests in flight) -> closed
 * after `successThreshold` trial successes, or open again on any trial failure. Following the seed,
 * peers' breaker states can be fed in: if a majority of peers are open, this one opens too.
 *
 * OutlierDetector, Envoy's consecutive-5xx ejection: `consecutive5xx` failures in a row eject a
 * backend for baseEjectionTime x (times ejected), capped at maxEjectionTime, never ejecting more
 * than maxEjectionPercent of the backends at once. (Envoy also decays the ejection multiplier
 * while a host stays healthy and offers success-rate ejection; neither is modelled here.)
 */
import type { Nanos } from '../../sim/time.ts';
import { LbConfigError } from './errors.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** Circuit breaker configuration. */
export interface CircuitBreakerConfig {
  /** Consecutive failures in closed state that open the circuit (>= 1). */
  readonly failureThreshold: number;
  /** How long the circuit stays open before trying half-open, in ns. */
  readonly openDurationNs: Nanos;
  /** Trial requests admitted at once in half-open state (>= 1). */
  readonly halfOpenMaxRequests: number;
  /** Trial successes in half-open state that close the circuit (>= 1). */
  readonly successThreshold: number;
}

/** A state change, for the short log and for broadcasting to peers. */
export interface BreakerTransition {
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly atNs: Nanos;
  readonly reason: string;
}

/** The answer to "may I send a request?". */
export type AdmitResult = { readonly allowed: true; readonly state: BreakerState } | { readonly allowed: false; readonly state: BreakerState; readonly retryAtNs: Nanos };

export class CircuitBreaker {
  readonly config: CircuitBreakerConfig;
  private current: BreakerState = 'closed';
  private failures = 0;
  private trialSuccesses = 0;
  private trialsInFlight = 0;
  private openedAtNs: Nanos = 0;
  private readonly log: BreakerTransition[] = [];

  constructor(config: CircuitBreakerConfig) {
    const ok =
      Number.isInteger(config.failureThreshold) &&
      config.failureThreshold >= 1 &&
      Number.isInteger(config.openDurationNs) &&
      config.openDurationNs > 0 &&
      Number.isInteger(config.halfOpenMaxRequests) &&
      config.halfOpenMaxRequests >= 1 &&
      Number.isInteger(config.successThreshold) &&
      config.successThreshold >= 1;
    if (!ok) throw new LbConfigError('bad-breaker-config', `circuit breaker config ${JSON.stringify(config)}: thresholds must be integers >= 1 and openDurationNs > 0`);
    this.config = config;
  }

  /** The state at `now` (an open circuit whose timer ran out is half-open). */
  state(now: Nanos): BreakerState {
    this.advance(now);
    return this.current;
  }

  /** Every transition so far, oldest first. */
  transitions(): readonly BreakerTransition[] {
    return this.log;
  }

  /** Asks to send one request. Closed: yes. Open: no. Half-open: yes while trial slots remain. */
  tryAcquire(now: Nanos): AdmitResult {
    this.advance(now);
    switch (this.current) {
      case 'closed':
        return { allowed: true, state: 'closed' };
      case 'open':
        return { allowed: false, state: 'open', retryAtNs: this.openedAtNs + this.config.openDurationNs };
      case 'half-open':
        if (this.trialsInFlight >= this.config.halfOpenMaxRequests) return { allowed: false, state: 'half-open', retryAtNs: now };
        this.trialsInFlight++;
        return { allowed: true, state: 'half-open' };
    }
  }

  /** A request admitted earlier succeeded. */
  onSuccess(now: Nanos): BreakerTransition | null {
    this.advance(now);
    if (this.current === 'closed') {
      this.failures = 0;
      return null;
    }
    if (this.current === 'half-open') {
      this.trialsInFlight = Math.max(0, this.trialsInFlight - 1);
      this.trialSuccesses++;
      if (this.trialSuccesses >= this.config.successThreshold) return this.move('closed', now, `${this.trialSuccesses} trial successes`);
    }
    // A success reported while open came from a request admitted before the circuit opened.
    return null;
  }

  /** A request admitted earlier failed. */
  onFailure(now: Nanos): BreakerTransition | null {
    this.advance(now);
    if (this.current === 'closed') {
      this.failures++;
      if (this.failures >= this.config.failureThreshold) return this.move('open', now, `${this.failures} consecutive failures`);
      return null;
    }
    if (this.current === 'half-open') return this.move('open', now, 'trial request failed');
    return null;
  }

  /**
   * Peers' breaker states for the same upstream (eventually consistent, as in seed 004): when a
   * strict majority of `peerStates` are open, a closed circuit opens too.
   */
  onPeerStates(peerStates: readonly BreakerState[], now: Nanos): BreakerTransition | null {
    this.advance(now);
    const open = peerStates.filter((s) => s === 'open').length;
    if (this.current === 'closed' && open * 2 > peerStates.length) return this.move('open', now, `${open}/${peerStates.length} peers open`);
    return null;
  }

  private advance(now: Nanos): void {
    if (this.current === 'open' && now >= this.openedAtNs + this.config.openDurationNs) {
      this.move('half-open', this.openedAtNs + this.config.openDurationNs, 'open duration elapsed');
    }
  }

  private move(to: BreakerState, at: Nanos, reason: string): BreakerTransition {
    const t: BreakerTransition = { from: this.current, to, atNs: at, reason };
    this.current = to;
    this.failures = 0;
    this.trialSuccesses = 0;
    this.trialsInFlight = 0;
    if (to === 'open') this.openedAtNs = at;
    this.log.push(t);
    return t;
  }
}

/** Outlier detection configuration (Envoy names, times in ns). */
export interface OutlierConfig {
  /** Consecutive 5xx (or connect failures) that eject a backend; Envoy's default is 5. */
  readonly consecutive5xx: number;
  /** First ejection length; the n-th ejection lasts n times this, in ns. Envoy: 30 s. */
  readonly baseEjectionTimeNs: Nanos;
  /** Cap on one ejection's length, in ns. Envoy: 300 s. */
  readonly maxEjectionTimeNs: Nanos;
  /** Most backends ejected at once, as a percentage of all backends. Envoy: 10. */
  readonly maxEjectionPercent: number;
}

export type OutlierEvent =
  | { readonly type: 'eject'; readonly backend: string; readonly untilNs: Nanos; readonly ejections: number }
  | { readonly type: 'eject-refused'; readonly backend: string; readonly reason: 'max-ejection-percent' }
  | { readonly type: 'uneject'; readonly backend: string; readonly atNs: Nanos };

interface OutlierState {
  consecutive: number;
  ejections: number;
  ejectedUntilNs: Nanos | null;
}

/** Passive health: ejects backends that keep failing real requests. */
export class OutlierDetector {
  readonly config: OutlierConfig;
  private readonly hosts = new Map<string, OutlierState>();

  /** `backends` is the pool, in a deterministic order; `setBackends` changes it later. */
  constructor(config: OutlierConfig, backends: readonly string[]) {
    if (!(Number.isInteger(config.consecutive5xx) && config.consecutive5xx >= 1 && config.baseEjectionTimeNs > 0 && config.maxEjectionTimeNs >= config.baseEjectionTimeNs && config.maxEjectionPercent >= 0 && config.maxEjectionPercent <= 100)) {
      throw new LbConfigError('bad-breaker-config', `outlier detection config ${JSON.stringify(config)} is out of range`);
    }
    this.config = config;
    this.setBackends(backends);
  }

  /** Replaces the pool; state of backends that stay is kept. */
  setBackends(backends: readonly string[]): void {
    const keep = new Set(backends);
    for (const b of [...this.hosts.keys()]) if (!keep.has(b)) this.hosts.delete(b);
    for (const b of backends) if (!this.hosts.has(b)) this.hosts.set(b, { consecutive: 0, ejections: 0, ejectedUntilNs: null });
  }

  /** Whether a backend is ejected at `now` (call `tick` to get the uneject events). */
  isEjected(backend: string, now: Nanos): boolean {
    const h = this.hosts.get(backend);
    return h !== undefined && h.ejectedUntilNs !== null && now < h.ejectedUntilNs;
  }

  /** Backends ejected at `now`, in pool order. */
  ejected(now: Nanos): string[] {
    return [...this.hosts.keys()].filter((b) => this.isEjected(b, now));
  }

  /** Records one request's outcome (`ok` false for a 5xx, reset or connect failure). */
  onResult(backend: string, ok: boolean, now: Nanos): OutlierEvent | null {
    const h = this.hosts.get(backend);
    if (h === undefined) return null;
    if (ok) {
      h.consecutive = 0;
      return null;
    }
    h.consecutive++;
    if (h.consecutive < this.config.consecutive5xx || this.isEjected(backend, now)) return null;
    const maxEjected = Math.floor((this.hosts.size * this.config.maxEjectionPercent) / 100);
    if (this.ejected(now).length >= maxEjected) return { type: 'eject-refused', backend, reason: 'max-ejection-percent' };
    h.consecutive = 0;
    h.ejections++;
    const length = Math.min(this.config.baseEjectionTimeNs * h.ejections, this.config.maxEjectionTimeNs);
    h.ejectedUntilNs = now + length;
    return { type: 'eject', backend, untilNs: h.ejectedUntilNs, ejections: h.ejections };
  }

  /** The earliest pending uneject time, or Infinity. */
  nextWakeNs(): Nanos {
    let t = Infinity;
    for (const h of this.hosts.values()) if (h.ejectedUntilNs !== null && h.ejectedUntilNs < t) t = h.ejectedUntilNs;
    return t;
  }

  /** Returns backends whose ejection ended by `now` to the pool. */
  tick(now: Nanos): OutlierEvent[] {
    const out: OutlierEvent[] = [];
    for (const [b, h] of this.hosts) {
      if (h.ejectedUntilNs !== null && now >= h.ejectedUntilNs) {
        out.push({ type: 'uneject', backend: b, atNs: h.ejectedUntilNs });
        h.ejectedUntilNs = null;
      }
    }
    return out;
  }
}
