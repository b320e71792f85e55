/**
 * Connection draining (seed 003, "Connection Draining Deep Dive"): a draining backend takes no new
 * connections; the ones it has continue until they finish or the drain timeout passes, when the
 * rest are force-closed and the drain completes (forced). Pure: the kernel calls `tick(now)` at
 * `nextWakeNs()` and carries out the force-closes it is given (and drops those flows from
 * ConnTrack).
 *
 * Bug zoo: `acceptWhileDraining` lets a draining backend accept new connections, which are then
 * cut at the drain deadline: the invariant "no connection is opened to a backend after its drain
 * started" catches it.
 */
import type { Nanos } from '../../sim/time.ts';
import { assert } from '../../sim/assert.ts';

export type DrainState = 'active' | 'draining' | 'drained';

/** Options for drain tracking. */
export interface DrainOptions {
  /** Default drain timeout, in ns. */
  readonly drainTimeoutNs: Nanos;
  /** Bug zoo: a draining backend still accepts new connections. */
  readonly acceptWhileDraining?: boolean;
  /** Bug zoo: closing a draining backend's last connection does not complete the drain; every drain waits for its timeout. */
  readonly completeOnTimeoutOnly?: boolean;
}

/** What the kernel must do. */
export type DrainAction =
  | { readonly type: 'force-close'; readonly backend: string; readonly connIds: readonly string[]; readonly atNs: Nanos }
  | { readonly type: 'drain-complete'; readonly backend: string; readonly forced: boolean; readonly atNs: Nanos };

/** The answer to a new connection. */
export type OpenResult = { readonly ok: true } | { readonly ok: false; readonly reason: 'draining' | 'drained' };

interface BackendDrain {
  state: DrainState;
  conns: Set<string>;
  deadlineNs: Nanos;
}

/** Per-backend drain state and open connections. */
export class DrainTracker {
  private readonly options: DrainOptions;
  private readonly backends = new Map<string, BackendDrain>();
  private readonly connBackend = new Map<string, string>();

  constructor(options: DrainOptions) {
    assert(Number.isInteger(options.drainTimeoutNs) && options.drainTimeoutNs >= 0, `DrainTracker: bad drainTimeoutNs ${options.drainTimeoutNs}`);
    this.options = options;
  }

  private get(backend: string): BackendDrain {
    let b = this.backends.get(backend);
    if (b === undefined) {
      b = { state: 'active', conns: new Set(), deadlineNs: Infinity };
      this.backends.set(backend, b);
    }
    return b;
  }

  /** A backend's drain state ('active' if never seen). */
  state(backend: string): DrainState {
    return this.backends.get(backend)?.state ?? 'active';
  }

  /** Whether the selector may send a new connection to this backend. */
  canAccept(backend: string): boolean {
    const s = this.state(backend);
    return s === 'active' || (s === 'draining' && this.options.acceptWhileDraining === true);
  }

  /** Open connections on a backend. */
  activeConnections(backend: string): number {
    return this.backends.get(backend)?.conns.size ?? 0;
  }

  /** Registers a new connection, unless the backend is draining or drained. */
  open(backend: string, connId: string): OpenResult {
    assert(!this.connBackend.has(connId), `DrainTracker: connection ${connId} opened twice`);
    const b = this.get(backend);
    if (!this.canAccept(backend)) return { ok: false, reason: b.state === 'drained' ? 'drained' : 'draining' };
    b.conns.add(connId);
    this.connBackend.set(connId, backend);
    return { ok: true };
  }

  /** A connection finished. May complete a drain. Unknown ids (already force-closed) are ignored. */
  close(connId: string, now: Nanos): DrainAction[] {
    const backend = this.connBackend.get(connId);
    if (backend === undefined) return [];
    this.connBackend.delete(connId);
    const b = this.get(backend);
    b.conns.delete(connId);
    if (b.state === 'draining' && b.conns.size === 0 && this.options.completeOnTimeoutOnly !== true) {
      b.state = 'drained';
      b.deadlineNs = Infinity;
      return [{ type: 'drain-complete', backend, forced: false, atNs: now }];
    }
    return [];
  }

  /** Starts draining a backend (no-op if already draining or drained); completes at once if idle. */
  startDrain(backend: string, now: Nanos, timeoutNs: Nanos = this.options.drainTimeoutNs): DrainAction[] {
    const b = this.get(backend);
    if (b.state !== 'active') return [];
    b.state = 'draining';
    b.deadlineNs = now + timeoutNs;
    if (b.conns.size === 0) {
      b.state = 'drained';
      b.deadlineNs = Infinity;
      return [{ type: 'drain-complete', backend, forced: false, atNs: now }];
    }
    return [];
  }

  /** Returns a drained (or draining) backend to service. */
  reactivate(backend: string): void {
    const b = this.get(backend);
    b.state = 'active';
    b.deadlineNs = Infinity;
  }

  /** The earliest drain deadline, or Infinity if no backend is draining. */
  nextWakeNs(): Nanos {
    let t = Infinity;
    for (const b of this.backends.values()) if (b.state === 'draining' && b.deadlineNs < t) t = b.deadlineNs;
    return t;
  }

  /** Force-closes what is left on backends whose drain deadline has passed. */
  tick(now: Nanos): DrainAction[] {
    const out: DrainAction[] = [];
    for (const [backend, b] of this.backends) {
      if (b.state !== 'draining' || now < b.deadlineNs) continue;
      const connIds = [...b.conns];
      for (const c of connIds) this.connBackend.delete(c);
      b.conns.clear();
      b.state = 'drained';
      const at = b.deadlineNs;
      b.deadlineNs = Infinity;
      out.push({ type: 'force-close', backend, connIds, atNs: at });
      out.push({ type: 'drain-complete', backend, forced: true, atNs: at });
    }
    return out;
  }
}
