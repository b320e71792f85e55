/**
 * Connection tracking (Maglev paper, section 3.3): a flow -> backend table consulted before the
 * consistent hash, so an established flow stays on its backend when the Maglev table changes
 * (a backend added, or a different backend's weight changed). Entries leave on close, on idle
 * expiry, or when their backend is removed or force-drained. Like Maglev's per-machine table it
 * has a capacity; when full, new flows are routed by the hash alone and are not tracked (the
 * paper's reason for consistent hashing as the fallback).
 */
import type { Nanos } from '../../sim/time.ts';
import { assert } from '../../sim/assert.ts';

/** A transport 5-tuple. */
export interface FiveTuple {
  readonly srcIp: string;
  readonly srcPort: number;
  readonly dstIp: string;
  readonly dstPort: number;
  readonly protocol: 'tcp' | 'udp';
}

/** The canonical flow id of a 5-tuple: what the table is keyed by and what Maglev hashes. */
export function flowId(t: FiveTuple): string {
  return `${t.protocol}:${t.srcIp}:${t.srcPort}->${t.dstIp}:${t.dstPort}`;
}

/** Options for a connection table. */
export interface ConnTrackOptions {
  /** Most flows tracked at once; new flows beyond it are not tracked. Default unbounded. */
  readonly capacity?: number;
  /** A flow idle for this long is forgotten by `expireIdle`, in ns. Default never. */
  readonly idleTimeoutNs?: Nanos;
}

/** How `route` chose a backend. */
export type RouteSource = 'tracked' | 'new' | 'untracked-full' | 'none';

/** The result of routing one packet or request of a flow. */
export interface RouteResult {
  /** The backend, or undefined if none is available. */
  readonly backend: string | undefined;
  /** 'tracked': an existing entry; 'new': picked and inserted; 'untracked-full': picked, table full. */
  readonly source: RouteSource;
}

interface Entry {
  backend: string;
  lastSeenNs: Nanos;
}

/**
 * The flow table. Mutable, deterministic (Maps iterate in insertion order) and free of I/O: the
 * caller passes time in and acts on the flows returned by the removal methods.
 */
export class ConnTrack {
  private readonly flows = new Map<string, Entry>();
  private readonly byBackend = new Map<string, Set<string>>();
  private readonly capacity: number;
  private readonly idleTimeoutNs: Nanos;

  constructor(options: ConnTrackOptions = {}) {
    this.capacity = options.capacity ?? Infinity;
    this.idleTimeoutNs = options.idleTimeoutNs ?? Infinity;
    assert(this.capacity >= 0, `ConnTrack: capacity ${this.capacity} < 0`);
  }

  /** Number of tracked flows. */
  get size(): number {
    return this.flows.size;
  }

  /** The tracked backend of a flow, if any. */
  lookup(flow: string): string | undefined {
    return this.flows.get(flow)?.backend;
  }

  /** Tracked flows on one backend, in insertion order. */
  flowsOf(backend: string): string[] {
    return [...(this.byBackend.get(backend) ?? [])];
  }

  /**
   * Routes a flow: its tracked backend if it has one and `usable(backend)` holds; otherwise
   * `pick()` (e.g. a Maglev lookup on the flow hash), inserted if there is room. A tracked entry
   * whose backend is no longer usable is replaced, as Maglev does when a backend turns unhealthy.
   */
  route(flow: string, now: Nanos, pick: () => string | undefined, usable: (backend: string) => boolean = () => true): RouteResult {
    const e = this.flows.get(flow);
    if (e !== undefined) {
      if (usable(e.backend)) {
        e.lastSeenNs = now;
        return { backend: e.backend, source: 'tracked' };
      }
      this.close(flow);
    }
    const backend = pick();
    if (backend === undefined) return { backend: undefined, source: 'none' };
    if (this.flows.size >= this.capacity) return { backend, source: 'untracked-full' };
    this.insert(flow, backend, now);
    return { backend, source: 'new' };
  }

  /** Tracks (or re-points) a flow. */
  insert(flow: string, backend: string, now: Nanos): void {
    this.close(flow);
    this.flows.set(flow, { backend, lastSeenNs: now });
    let set = this.byBackend.get(backend);
    if (set === undefined) {
      set = new Set();
      this.byBackend.set(backend, set);
    }
    set.add(flow);
  }

  /** Forgets a flow (FIN/RST seen, or the request finished). True if it was tracked. */
  close(flow: string): boolean {
    const e = this.flows.get(flow);
    if (e === undefined) return false;
    this.flows.delete(flow);
    const set = this.byBackend.get(e.backend);
    assert(set !== undefined && set.delete(flow), `ConnTrack: flow ${flow} missing from backend index ${e.backend}`);
    if (set.size === 0) this.byBackend.delete(e.backend);
    return true;
  }

  /** Forgets every flow of a backend (removed, or drain forced); returns them for the caller to reset. */
  removeBackend(backend: string): string[] {
    const flows = this.flowsOf(backend);
    for (const f of flows) this.close(f);
    return flows;
  }

  /** Forgets flows idle for at least `idleTimeoutNs` at `now`; returns them. */
  expireIdle(now: Nanos): string[] {
    if (this.idleTimeoutNs === Infinity) return [];
    const expired: string[] = [];
    for (const [flow, e] of this.flows) if (now - e.lastSeenNs >= this.idleTimeoutNs) expired.push(flow);
    for (const f of expired) this.close(f);
    return expired;
  }
}
