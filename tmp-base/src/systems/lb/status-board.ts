/**
 * Copy-on-write backend status (seed 003, race condition #1: "Backend Status Update"). Health
 * checks, drains and ejections publish a new frozen snapshot with one reference swap; a selector
 * reads one snapshot and decides from it alone, so it never sees a half-applied update.
 *
 * The race the seed describes is a time-of-check/time-of-use gap: the selector takes the list at
 * one step and picks from it at a later step, after a health check has marked a backend down.
 * `Selector` in algorithms.ts models both the correct single-step read and that buggy gap.
 */
import { assert } from '../../sim/assert.ts';

/** One backend's routing status. */
export interface BackendStatus {
  readonly id: string;
  /** Relative weight, > 0 (before health degradation). */
  readonly weight: number;
  /** Shallow health checks pass (and not ejected). */
  readonly healthy: boolean;
  /** Draining: takes no new connections. */
  readonly draining: boolean;
  /** Deep check failing: still routable, at reduced weight. */
  readonly degraded: boolean;
}

/** An immutable status snapshot. */
export interface StatusSnapshot {
  /** Increases by one per update. */
  readonly version: number;
  /** Backends in a deterministic (insertion) order. */
  readonly backends: readonly BackendStatus[];
}

/** Backends that may take a new request in a snapshot: healthy and not draining. */
export function eligible(s: StatusSnapshot): BackendStatus[] {
  return s.backends.filter((b) => b.healthy && !b.draining);
}

/** Holds the current snapshot and swaps it on every update. */
export class StatusBoard {
  private snap: StatusSnapshot;

  /** Starts with these backends, all healthy, active and not degraded. */
  constructor(backends: ReadonlyArray<{ id: string; weight?: number }>) {
    this.snap = Object.freeze({
      version: 1,
      backends: Object.freeze(
        backends.map((b) => Object.freeze({ id: b.id, weight: b.weight ?? 1, healthy: true, draining: false, degraded: false })),
      ),
    });
  }

  /** The current snapshot: one atomic read. */
  current(): StatusSnapshot {
    return this.snap;
  }

  /** One backend's status in the current snapshot. */
  get(id: string): BackendStatus | undefined {
    return this.snap.backends.find((b) => b.id === id);
  }

  /** Copies the list with one backend changed, freezes it and swaps it in; returns the new snapshot. */
  update(id: string, patch: Partial<Omit<BackendStatus, 'id'>>): StatusSnapshot {
    const i = this.snap.backends.findIndex((b) => b.id === id);
    assert(i >= 0, `StatusBoard.update: unknown backend ${id}`);
    const next = this.snap.backends.slice();
    next[i] = Object.freeze({ ...(next[i] as BackendStatus), ...patch, id });
    this.snap = Object.freeze({ version: this.snap.version + 1, backends: Object.freeze(next) });
    return this.snap;
  }

  /** Adds or removes backends (new ones healthy), keeping the order of those that stay. */
  setBackends(backends: ReadonlyArray<{ id: string; weight?: number }>): StatusSnapshot {
    const old = new Map(this.snap.backends.map((b) => [b.id, b]));
    const next = backends.map(
      (b) => old.get(b.id) ?? Object.freeze({ id: b.id, weight: b.weight ?? 1, healthy: true, draining: false, degraded: false }),
    );
    this.snap = Object.freeze({ version: this.snap.version + 1, backends: Object.freeze(next) });
    return this.snap;
  }
}
