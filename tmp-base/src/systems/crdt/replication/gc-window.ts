/**
 * The GC window: which regions causal-stability GC waits for, and what a region evicted from it
 * must do before it may replicate again. Pure: time is a parameter, no I/O; the region persists
 * `toRecord()` whenever a method says the state changed.
 *
 * Without a window, GC of OR-Set tags waits for every region, so one region away for an hour
 * blocks GC for an hour. With `windowNs > 0`:
 *
 *  - Eviction by silence, with a quorum. A region evicts a peer it has not heard from for longer
 *    than the window, but only while it hears (within half the window) from a majority of the
 *    regions counting itself. So in a symmetric partition only the majority side evicts; a region cut off
 *    from everyone evicts nobody and keeps waiting for everyone (its own GC stays conservative).
 *  - Silence survives a restart. The record keeps how long each peer had been silent, measured on
 *    this region's monotonic clock while it was up (`silentNs`), and a restart resumes counting
 *    from there: a region that restarts more often than the window still evicts a peer cut off
 *    for good (before, every restart reset all silences to zero and it never did). Durations, not
 *    timestamps: a monotonic clock starts again at a reboot and the wall clock can step, and the
 *    time the region itself was down is not counted, since it heard nothing then through no
 *    fault of the peer's (a region back from a long outage must not evict the healthy peers it
 *    simply was not listening to). The record is rewritten when a silence crosses a new eighth of
 *    the window and when a silent peer is heard again, so a restart undercounts a silence by at
 *    most an eighth of the window plus the writes lost with the crash. Counting a silence short
 *    only delays an eviction; counting it long evicts early, which costs the peer a re-sync but
 *    is still safe: GC without a region waits for `covers`, and an evicted region's messages are
 *    refused until it re-syncs, whenever the eviction happened.
 *  - Epochs. Every region has a re-sync epoch (0 at first), carried by every replication message.
 *    An eviction names the peer's epoch: `evicted[p] = e` refuses p's messages of epoch <= e.
 *    Evictions are gossiped (every message carries the sender's evictions) and adopted, so the
 *    live regions converge on the same evicted set; a region that reads its own name with an epoch
 *    >= its own must re-sync, and comes back with epoch e + 1, which lifts the eviction wherever it
 *    is heard. Messages older than the newest epoch heard from a peer are dropped.
 *  - GC excluding evicted regions is safe only once no evicted region's op can still enter the
 *    live regions' states: the region computes stability for a key over the live peers' recorded
 *    states only when each record was taken from a peer that had itself already evicted every
 *    region this region excludes (`covers`). Until then, evicted regions are still waited for.
 */
import { assert } from '../../../sim/assert.ts';
import { CausalContext, type CausalContextData } from '../causal-context.ts';
import { type Dot, dotKey } from '../dot.ts';
import type { ORSetData } from '../or-set.ts';
import type { Nanos } from '../../../sim/time.ts';

/** Durable form of the membership (WAL). */
export interface GcMembershipRecord {
  epoch: number;
  evicted: [string, number][];
  peerEpoch: [string, number][];
  /**
   * peer -> how long it had been silent when the record was written (ns of this region's uptime).
   * Absent in records written before silences were kept, and with no window: then a restart
   * counts every silence from zero.
   */
  silentNs?: [string, number][];
}

/** What to do with a replication message from a peer. */
export type Admission = 'ok' | 'evicted' | 'old';

function sorted(m: ReadonlyMap<string, number>): [string, number][] {
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export class GcMembership {
  /** This region's re-sync epoch. */
  epoch = 0;
  /** peer -> the epoch of it that is evicted (its messages of that epoch or older are refused). */
  readonly evicted = new Map<string, number>();
  /** peer -> newest epoch heard from it. */
  readonly peerEpoch = new Map<string, number>();
  /** peer -> when it was last heard, on this region's monotonic clock (this process's run). */
  private readonly lastHeard = new Map<string, Nanos>();
  /** peer -> the silence the durable record holds, in eighths of the window (see silenceAdvanced). */
  private readonly recordedEighths = new Map<string, number>();

  constructor(
    readonly me: string,
    readonly peers: readonly string[],
    /** 0 = no window: nobody is ever evicted by silence. */
    readonly windowNs: Nanos,
    nowNs: Nanos,
  ) {
    assert(windowNs >= 0, 'GcMembership: negative window');
    for (const p of peers) this.lastHeard.set(p, nowNs);
  }

  /** Restores a durable record at recovery (`nowNs`: this run's clock); the silences go on from where they were. */
  restore(r: GcMembershipRecord, nowNs: Nanos): void {
    this.epoch = Math.max(this.epoch, r.epoch);
    this.evicted.clear();
    for (const [p, e] of r.evicted) this.evicted.set(p, e);
    for (const [p, e] of r.peerEpoch) this.peerEpoch.set(p, Math.max(this.peerEpoch.get(p) ?? 0, e));
    if (this.windowNs === 0) return;
    for (const [p, s] of r.silentNs ?? []) {
      if (!this.peers.includes(p)) continue;
      assert(s >= 0, 'GcMembership.restore: negative silence');
      // Records are replayed in the order written: the last one holds the latest silences.
      this.lastHeard.set(p, nowNs - s);
      this.recordedEighths.set(p, this.eighths(s));
    }
  }

  toRecord(nowNs: Nanos): GcMembershipRecord {
    const r: GcMembershipRecord = { epoch: this.epoch, evicted: sorted(this.evicted), peerEpoch: sorted(this.peerEpoch) };
    if (this.windowNs === 0) return r;
    r.silentNs = this.peers.map((p): [string, number] => [p, this.silence(p, nowNs)]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [p, s] of r.silentNs) this.recordedEighths.set(p, this.eighths(s));
    return r;
  }

  /** How long `peer` has been silent, counting only this region's uptime. */
  silence(peer: string, nowNs: Nanos): Nanos {
    return Math.max(0, nowNs - (this.lastHeard.get(peer) ?? nowNs));
  }

  private eighths(silenceNs: Nanos): number {
    return this.windowNs === 0 ? 0 : Math.floor((8 * silenceNs) / this.windowNs);
  }

  /**
   * True when the durable record lags: a peer GC waits for has been silent a new eighth of the
   * window longer than the record says. The region then rewrites the record, so a restart
   * resumes the silence at most an eighth of the window short.
   */
  silenceAdvanced(nowNs: Nanos): boolean {
    if (this.windowNs === 0) return false;
    for (const p of this.peers) {
      if (this.evicted.has(p)) continue; // its silence no longer matters until it re-syncs
      if (this.eighths(this.silence(p, nowNs)) > (this.recordedEighths.get(p) ?? 0)) return true;
    }
    return false;
  }

  /** Sender-side fields of every replication message. */
  evictionList(): [string, number][] {
    return sorted(this.evicted);
  }

  /**
   * Classifies a message of `epoch` from `peer`. A newer epoch than the eviction lifts it (the peer
   * has re-synced); returns whether the state changed in `changed`.
   */
  admit(peer: string, epoch: number, nowNs: Nanos): { admission: Admission; changed: boolean } {
    let changed = false;
    if (epoch < (this.peerEpoch.get(peer) ?? 0)) return { admission: 'old', changed };
    if (epoch > (this.peerEpoch.get(peer) ?? 0)) {
      this.peerEpoch.set(peer, epoch);
      changed = true;
    }
    const ev = this.evicted.get(peer);
    if (ev !== undefined) {
      if (epoch <= ev) return { admission: 'evicted', changed };
      this.evicted.delete(peer);
      changed = true;
    }
    this.lastHeard.set(peer, nowNs);
    // The record says this peer was silent: rewrite it, or a restart would resume that silence.
    if ((this.recordedEighths.get(peer) ?? 0) > 0) changed = true;
    return { admission: 'ok', changed };
  }

  /**
   * Adopts a peer's gossiped evictions. Returns the epoch at which this region itself is evicted
   * (it must re-sync) or null, and whether the state changed.
   */
  adopt(list: readonly [string, number][]): { selfEvictedAt: number | null; changed: boolean } {
    let selfEvictedAt: number | null = null;
    let changed = false;
    for (const [r, e] of list) {
      if (r === this.me) {
        if (e >= this.epoch) selfEvictedAt = Math.max(selfEvictedAt ?? e, e);
        continue;
      }
      if (!this.peers.includes(r)) continue;
      if (e < (this.peerEpoch.get(r) ?? 0)) continue; // that epoch has already re-synced
      if ((this.evicted.get(r) ?? -1) >= e) continue;
      this.evicted.set(r, e);
      changed = true;
    }
    return { selfEvictedAt, changed };
  }

  /** Evicts the peers silent for longer than the window, if a quorum is heard. Returns them. */
  tick(nowNs: Nanos): string[] {
    if (this.windowNs === 0) return [];
    // The quorum counts only peers heard within half the window: peers cut off together fall
    // silent together, and one heard a moment later than the other must not vouch for this
    // region's side while the other's silence crosses the window.
    const quorum = this.peers.filter((p) => !this.evicted.has(p) && nowNs - (this.lastHeard.get(p) ?? nowNs) <= this.windowNs / 2);
    const total = this.peers.length + 1;
    if (2 * (quorum.length + 1) <= total) return [];
    const out: string[] = [];
    for (const p of this.peers) {
      if (this.evicted.has(p) || nowNs - (this.lastHeard.get(p) ?? nowNs) <= this.windowNs) continue;
      this.evicted.set(p, this.peerEpoch.get(p) ?? 0);
      out.push(p);
    }
    return out;
  }

  /** Peers GC must wait for. */
  live(): string[] {
    return this.peers.filter((p) => !this.evicted.has(p));
  }

  /** True when a peer's eviction list (recorded with its state) covers everything this region excludes. */
  covers(peerList: ReadonlyMap<string, number>): boolean {
    for (const [r, e] of this.evicted) if ((peerList.get(r) ?? -1) < e) return false;
    return true;
  }

  /** Re-sync done: the new epoch, past the one the others evicted. */
  resynced(evictedAt: number): void {
    assert(evictedAt >= this.epoch, 'GcMembership.resynced: epoch going back');
    this.epoch = evictedAt + 1;
  }
}

/** Every dot named by a causal context (vector prefixes and cloud). */
export function contextDots(c: CausalContextData): Dot[] {
  const out: Dot[] = [];
  for (const [replica, n] of c.vv) for (let counter = 1; counter <= n; counter++) out.push({ replica, counter });
  for (const d of c.cloud) out.push(d);
  return out;
}

/**
 * Re-sync replay of one of the evicted region's own unacknowledged OR-Set deltas onto the
 * snapshot. The delta's context names the dots its op removed (or replaced). While the region
 * was evicted, GC may have collapsed an element's tags into one it had seen, dropping tags of
 * concurrent adds it never saw (`absorbed`: kept dot key -> the dots dropped into it). Removing
 * that kept dot would delete those concurrent adds too, against add-wins; so the replay keeps the
 * kept dot when it stands for any dot the region had not seen (`seenBefore`: its context before
 * the re-sync). Every other named dot is removed as the op intended.
 */
export function replayDelta(d: ORSetData<string>, present: ReadonlySet<string>, absorbed: ReadonlyMap<string, Dot[]>, seenBefore: CausalContext): ORSetData<string> {
  const own = new Set(d.entries.map((e) => dotKey(e.dot)));
  const ctx = new CausalContext();
  for (const dot of contextDots(d.context)) {
    const k = dotKey(dot);
    if (!own.has(k) && present.has(k) && (absorbed.get(k) ?? []).some((x) => !seenBefore.contains(x))) continue;
    ctx.add(dot);
  }
  return { entries: d.entries, context: ctx.toData() };
}
