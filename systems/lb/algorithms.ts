/**
 * Backend selection algorithms (seed 004, "Adaptive Load Balancing"; seed 003, races 1 and 2).
 * Every algorithm is a small object with its own state, fed a candidate list that the caller has
 * already filtered (healthy, not draining, not ejected) and, where it needs them, the live
 * per-backend statistics. Randomness only through the injected Rng.
 *
 * - RoundRobin: smooth weighted round robin (nginx's), plain rotation when weights are equal.
 * - LeastRequest: power of two (or N) choices: draw N distinct candidates, take the one with the
 *   fewest active requests (Envoy's least_request with equal weights).
 * - LatencyWeighted: weighted random with weight w / (latencyEma * (1 + penalty * errorRate)).
 * - AdaptiveBalancer: picks one of the three from what the statistics show, with a dwell time so
 *   it does not flap.
 *
 * Bug zoo, designed so a simulator that runs requests concurrently shows them deterministically:
 * - `Selector` with `staleSnapshot`: the backend list is read at one step (request arrival) and
 *   the choice made at a later step, so a backend marked down in between can still be chosen.
 * - `ActiveRequestCounter` with `nonAtomic`: an increment is a read step and a later write step;
 *   two requests whose steps interleave lose an update, and least-request then works from wrong
 *   counts (which may even go negative).
 */
import type { Nanos } from '../../sim/time.ts';
import type { Rng } from '../../sim/prng.ts';
import { assert } from '../../sim/assert.ts';
import { LbConfigError } from './errors.ts';
import { eligible, type StatusBoard, type StatusSnapshot } from './status-board.ts';
import { routingWeight } from './health.ts';

/** A backend that may be chosen. */
export interface Candidate {
  readonly id: string;
  /** Relative weight, > 0. */
  readonly weight: number;
}

/** What stateful algorithms read about each backend. */
export interface StatsView {
  /** Requests in flight. */
  active(id: string): number;
  /** Exponential moving average of latency in ns, undefined before the first sample. */
  latencyEmaNs(id: string): number | undefined;
  /** Exponential moving average of the error indicator, in [0, 1]. */
  errorRate(id: string): number;
}

/** A pending write of the non-atomic counter: the value read plus the change, written later. */
export interface PendingWrite {
  readonly id: string;
  readonly readValue: number;
  readonly delta: number;
}

/**
 * Active-request counts. Atomic (default): `add` applies at once and returns null. Non-atomic (bug
 * zoo, seed 003 race 2): `add` only reads and returns the write to perform; the caller schedules
 * `commit` as a separate later step, and interleaved read/write pairs lose updates.
 */
export class ActiveRequestCounter {
  readonly nonAtomic: boolean;
  private readonly counts = new Map<string, number>();

  constructor(options: { nonAtomic?: boolean } = {}) {
    this.nonAtomic = options.nonAtomic ?? false;
  }

  get(id: string): number {
    return this.counts.get(id) ?? 0;
  }

  /** Adds `delta` (+1 at request start, -1 at its end). Non-atomic: returns the write for `commit`. */
  add(id: string, delta: number): PendingWrite | null {
    if (this.nonAtomic) return { id, readValue: this.get(id), delta };
    this.counts.set(id, this.get(id) + delta);
    return null;
  }

  /** The second step of a non-atomic update: writes readValue + delta, overwriting any update in between. */
  commit(p: PendingWrite): void {
    assert(this.nonAtomic, 'ActiveRequestCounter.commit on an atomic counter');
    this.counts.set(p.id, p.readValue + p.delta);
  }
}

/** Options for per-backend statistics. */
export interface BackendStatsOptions {
  /** EMA weight of a new latency sample, in (0, 1]; default 0.2. */
  readonly latencyAlpha?: number;
  /** EMA weight of a new error indicator, in (0, 1]; default 0.1. */
  readonly errorAlpha?: number;
  /** The active-request counter (atomic unless given a non-atomic one). */
  readonly counter?: ActiveRequestCounter;
}

/** Live per-backend statistics: in-flight count, latency EMA, error-rate EMA. */
export class BackendStats implements StatsView {
  readonly counter: ActiveRequestCounter;
  private readonly latencyAlpha: number;
  private readonly errorAlpha: number;
  private readonly latency = new Map<string, number>();
  private readonly errors = new Map<string, number>();

  constructor(options: BackendStatsOptions = {}) {
    this.latencyAlpha = options.latencyAlpha ?? 0.2;
    this.errorAlpha = options.errorAlpha ?? 0.1;
    this.counter = options.counter ?? new ActiveRequestCounter();
    if (!(this.latencyAlpha > 0 && this.latencyAlpha <= 1 && this.errorAlpha > 0 && this.errorAlpha <= 1)) {
      throw new LbConfigError('bad-algorithm-config', `EMA weights must be in (0, 1], got ${this.latencyAlpha} and ${this.errorAlpha}`);
    }
  }

  active(id: string): number {
    return this.counter.get(id);
  }

  latencyEmaNs(id: string): number | undefined {
    return this.latency.get(id);
  }

  errorRate(id: string): number {
    return this.errors.get(id) ?? 0;
  }

  /**
   * Forgets a backend's latency and error history (not its in-flight count). Call when a backend
   * returns to rotation: latency-weighted picks only update the averages of backends they pick, so
   * a backend whose last samples were timeouts would otherwise keep a near-zero weight for good.
   */
  reset(id: string): void {
    this.latency.delete(id);
    this.errors.delete(id);
  }

  /** A request to `id` started. Returns the pending write if the counter is non-atomic. */
  onStart(id: string): PendingWrite | null {
    return this.counter.add(id, +1);
  }

  /** A request to `id` finished after `latencyNs`, ok or not. Returns the counter's pending write, if any. */
  onFinish(id: string, latencyNs: Nanos, ok: boolean): PendingWrite | null {
    const prev = this.latency.get(id);
    this.latency.set(id, prev === undefined ? latencyNs : prev + this.latencyAlpha * (latencyNs - prev));
    const e = this.errors.get(id) ?? 0;
    this.errors.set(id, e + this.errorAlpha * ((ok ? 0 : 1) - e));
    return this.counter.add(id, -1);
  }
}

/** Smooth weighted round robin: each pick, every candidate gains its weight; the richest pays the total. */
export class RoundRobin {
  private readonly current = new Map<string, number>();

  pick(candidates: readonly Candidate[]): string | undefined {
    if (candidates.length === 0) return undefined;
    let total = 0;
    let best: Candidate | undefined;
    let bestScore = -Infinity;
    for (const c of candidates) {
      const score = (this.current.get(c.id) ?? 0) + c.weight;
      this.current.set(c.id, score);
      total += c.weight;
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    assert(best !== undefined, 'RoundRobin: no best candidate');
    this.current.set(best.id, bestScore - total);
    return best.id;
  }
}

/** Power of N choices on active requests. */
export class LeastRequest {
  private readonly rng: Rng;
  private readonly choices: number;

  /** `choices` distinct candidates are drawn per pick; default 2. */
  constructor(rng: Rng, choices = 2) {
    if (!(Number.isInteger(choices) && choices >= 1)) throw new LbConfigError('bad-algorithm-config', `least-request choices ${choices} must be an integer >= 1`);
    this.rng = rng;
    this.choices = choices;
  }

  pick(candidates: readonly Candidate[], stats: Pick<StatsView, 'active'>): string | undefined {
    const n = candidates.length;
    if (n === 0) return undefined;
    if (n === 1) return candidates[0]?.id;
    const k = Math.min(this.choices, n);
    // Partial Fisher-Yates over indexes: k distinct draws, earliest draw wins ties.
    const idx = Array.from({ length: n }, (_, i) => i);
    let best: string | undefined;
    let bestActive = Infinity;
    for (let i = 0; i < k; i++) {
      const j = this.rng.int(i, n - 1);
      const t = idx[i] as number;
      idx[i] = idx[j] as number;
      idx[j] = t;
      const c = candidates[idx[i] as number] as Candidate;
      const a = stats.active(c.id);
      if (a < bestActive) {
        bestActive = a;
        best = c.id;
      }
    }
    return best;
  }
}

/** Weighted random by inverse latency times an error penalty. */
export class LatencyWeighted {
  private readonly rng: Rng;
  private readonly errorPenalty: number;

  /** The weight of a backend is w / (latencyEma * (1 + errorPenalty * errorRate)); default penalty 1 (the seed's). */
  constructor(rng: Rng, errorPenalty = 1) {
    this.rng = rng;
    this.errorPenalty = errorPenalty;
  }

  /** Selection weights in candidate order. Backends without samples get the mean known latency. */
  weights(candidates: readonly Candidate[], stats: Pick<StatsView, 'latencyEmaNs' | 'errorRate'>): number[] {
    const known = candidates.map((c) => stats.latencyEmaNs(c.id)).filter((x): x is number => x !== undefined);
    const fallback = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : 1;
    return candidates.map((c) => {
      const lat = Math.max(1, stats.latencyEmaNs(c.id) ?? fallback);
      return c.weight / (lat * (1 + this.errorPenalty * stats.errorRate(c.id)));
    });
  }

  pick(candidates: readonly Candidate[], stats: Pick<StatsView, 'latencyEmaNs' | 'errorRate'>): string | undefined {
    if (candidates.length === 0) return undefined;
    const w = this.weights(candidates, stats);
    const total = w.reduce((a, b) => a + b, 0);
    let r = this.rng.uniform(0, total);
    for (let i = 0; i < candidates.length; i++) {
      r -= w[i] as number;
      if (r < 0) return candidates[i]?.id;
    }
    return candidates[candidates.length - 1]?.id; // rounding left r at ~0
  }
}

export type AdaptiveMode = 'round-robin' | 'least-request' | 'latency-weighted';

/** Options for the adaptive balancer. */
export interface AdaptiveOptions {
  /** Use latency-weighted when max/min latency EMA across candidates reaches this; default 1.5. */
  readonly latencySpreadThreshold?: number;
  /** Use least-request when max - min active requests reaches this; default 4. */
  readonly activeSpreadThreshold?: number;
  /** A new mode must be wanted continuously this long before switching, in ns; default 1 s. */
  readonly minDwellNs?: Nanos;
  /** Choices for the least-request mode; default 2. */
  readonly choices?: number;
  /**
   * Bug zoo: the dwell counts from the last switch (a cooldown), not from when the new mode was
   * first called for, so a mode called for at one pick is switched to at once after a quiet spell.
   */
  readonly dwellFromLastSwitch?: boolean;
}

/** One switch of the adaptive balancer, for the short log. */
export interface ModeSwitch {
  readonly from: AdaptiveMode;
  readonly to: AdaptiveMode;
  readonly atNs: Nanos;
}

/**
 * Switches among the three algorithms: latency-weighted when backends' latencies differ a lot (a
 * slow backend should get less), else least-request when in-flight counts are uneven (requests of
 * uneven cost), else round robin (cheapest, perfectly even when all is equal).
 */
export class AdaptiveBalancer {
  private readonly rr = new RoundRobin();
  private readonly lr: LeastRequest;
  private readonly lw: LatencyWeighted;
  private readonly latencySpread: number;
  private readonly activeSpread: number;
  private readonly minDwellNs: Nanos;
  private modeNow: AdaptiveMode = 'round-robin';
  private wanted: AdaptiveMode = 'round-robin';
  private wantedSinceNs: Nanos = 0;
  private desiredNow: AdaptiveMode = 'round-robin';
  private lastSwitchNs: Nanos = 0;
  private readonly dwellFromLastSwitch: boolean;
  private readonly switches: ModeSwitch[] = [];

  constructor(rng: Rng, options: AdaptiveOptions = {}) {
    this.lr = new LeastRequest(rng.fork('least-request'), options.choices ?? 2);
    this.lw = new LatencyWeighted(rng.fork('latency-weighted'));
    this.latencySpread = options.latencySpreadThreshold ?? 1.5;
    this.activeSpread = options.activeSpreadThreshold ?? 4;
    this.minDwellNs = options.minDwellNs ?? 1_000_000_000;
    this.dwellFromLastSwitch = options.dwellFromLastSwitch ?? false;
  }

  /** The mode in use. */
  get mode(): AdaptiveMode {
    return this.modeNow;
  }

  /** The mode the statistics called for at the last pick (before the dwell time applied). */
  get desired(): AdaptiveMode {
    return this.desiredNow;
  }

  /** Every switch so far. */
  history(): readonly ModeSwitch[] {
    return this.switches;
  }

  /** The mode the statistics call for right now (before the dwell time is applied). */
  desiredMode(candidates: readonly Candidate[], stats: StatsView): AdaptiveMode {
    const lat = candidates.map((c) => stats.latencyEmaNs(c.id)).filter((x): x is number => x !== undefined && x > 0);
    if (lat.length >= 2 && Math.max(...lat) / Math.min(...lat) >= this.latencySpread) return 'latency-weighted';
    if (candidates.length >= 2) {
      const act = candidates.map((c) => stats.active(c.id));
      if (Math.max(...act) - Math.min(...act) >= this.activeSpread) return 'least-request';
    }
    return 'round-robin';
  }

  pick(candidates: readonly Candidate[], stats: StatsView, now: Nanos): string | undefined {
    const want = this.desiredMode(candidates, stats);
    this.desiredNow = want;
    if (want !== this.wanted) {
      this.wanted = want;
      this.wantedSinceNs = this.dwellFromLastSwitch ? this.lastSwitchNs : now;
    }
    if (this.wanted !== this.modeNow && now - this.wantedSinceNs >= this.minDwellNs) {
      this.switches.push({ from: this.modeNow, to: this.wanted, atNs: now });
      this.modeNow = this.wanted;
      this.lastSwitchNs = now;
    }
    switch (this.modeNow) {
      case 'round-robin':
        return this.rr.pick(candidates);
      case 'least-request':
        return this.lr.pick(candidates, stats);
      case 'latency-weighted':
        return this.lw.pick(candidates, stats);
    }
  }
}

/** A selection in progress: what `Selector.begin` captured. */
export interface SelectionTicket {
  /** The snapshot seen at `begin`. */
  readonly snapshot: StatusSnapshot;
}

/** A pick function over eligible candidates, e.g. `(c) => rr.pick(c)`. */
export type PickFn = (candidates: readonly Candidate[]) => string | undefined;

/**
 * Two-step selection, so a simulator can put other events (a health-check result) between a
 * request's arrival and its backend choice (seed 003, race 1). Correct: `finish` reads the board's
 * current snapshot, the single atomic read of copy-on-write. Bug zoo `staleSnapshot`: `finish`
 * chooses from the snapshot taken at `begin`, so it can dispatch to a backend marked unhealthy or
 * draining in between.
 */
export class Selector {
  readonly staleSnapshot: boolean;
  private readonly degradedFactor: number;

  /** `degradedFactor` scales the weight of a degraded (deep-check failing) backend; default 0.5. */
  constructor(options: { staleSnapshot?: boolean; degradedFactor?: number } = {}) {
    this.staleSnapshot = options.staleSnapshot ?? false;
    this.degradedFactor = options.degradedFactor ?? 0.5;
  }

  /** Step one, at request arrival. */
  begin(board: StatusBoard): SelectionTicket {
    return { snapshot: board.current() };
  }

  /** Step two: chooses among the eligible backends of the right snapshot. */
  finish(ticket: SelectionTicket, board: StatusBoard, pick: PickFn): { backend: string | undefined; snapshotVersion: number } {
    const snap = this.staleSnapshot ? ticket.snapshot : board.current();
    const candidates = eligible(snap).map((b) => ({ id: b.id, weight: routingWeight(b.weight, 'healthy', b.degraded, this.degradedFactor) }));
    return { backend: pick(candidates), snapshotVersion: snap.version };
  }
}
