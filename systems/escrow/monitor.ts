/**
 * The escrow service's invariant monitor: never-oversell, conservation, durable transitions and
 * acknowledged confirmations, checked on a global snapshot of a running cluster (split from
 * host.ts, which keeps the node glue).
 */
import { assert } from '../../sim/assert.ts';
import type { Disk } from '../../sim/disk/disk.ts';
import type { SimNode } from '../../sim/node.ts';
import { ms, type Nanos } from '../../sim/time.ts';
import { checkConservation, checkNeverOversell, reservedTokensDrift } from './invariants.ts';
import { CLOSED_STATES, durableReservations, isReachable, reservationAt, sharedClosedCount, type DurableReservations, type Reservation, type ReservationState } from './reservation.ts';
import { snapshotOfDurable, type SeatDurable } from './seat.ts';
import type { GlobalSnapshot, NodeSnapshot, ReservationView } from './types.ts';
import { durableOnDisk, TransferWire, type EscrowHost } from './host.ts';

// ---- invariants over a running cluster ---------------------------------------------------------

/** The node handle a monitor reads (a SimNode running `escrowHost`). */
export interface HostedNode {
  readonly id: string;
  readonly up: boolean;
  readonly state: 'up' | 'down' | 'paused';
  readonly clock: { localAt(trueNs: Nanos): Nanos };
  readonly epoch: number;
  readonly disk: Disk;
  readonly program: EscrowHost | null;
}

interface KnownReservations {
  /** The durable state these were read from (identity), or the epoch of a down node. */
  source: SeatDurable | number | null;
  reservations: DurableReservations;
}

const NO_RESERVATIONS: DurableReservations = { closed: [], closedCount: 0, open: [], length: 0 };

/**
 * The safety invariants of the issue, checked on a global snapshot at every poll:
 *  - never-oversell: held + confirmed + consumed <= C, on every node's in-memory state (a down
 *    node counts with what it will restart from);
 *  - conservation: free + committed + in flight = C, no phantom transfer on the wire;
 *  - transitions: between polls, every reservation of every node's DURABLE state moves only along
 *    allowed transitions, never changes count, never disappears (a crash may undo what was never
 *    durable, which nobody was told about, but never what was); confirmed stays confirmed, so a
 *    confirmation once durable is never lost;
 *  - acknowledged confirmations: when a client is told "confirmed", the node's durable state
 *    says so (`ackConfirmed`).
 */
export class EscrowMonitor {
  private readonly known = new Map<string, KnownReservations>();
  private cacheAt = -1;
  private cache: GlobalSnapshot | null = null;
  private readonly down = new Map<string, { epoch: number; durable: SeatDurable | null; snapshot: NodeSnapshot | null }>();
  private readonly upSince = new Map<string, { epoch: number; sinceNs: Nanos }>();
  /**
   * Per node and incarnation, a position below which every reservation of the written state is
   * closed: those are never late (closed ones never reopen within an incarnation: the table
   * asserts its transitions), so the reaper check scans only from there.
   */
  private readonly reaperFrom = new Map<string, { epoch: number; from: number }>();
  /** Per node, reservation id -> position, from the durable tables seen (checked on each use). */
  private readonly positions = new Map<string, { ids: Map<string, number>; scanned: number }>();
  /** never-oversell polls so far, and the poll at which the nodes' sums are next verified. */
  private oversellPolls = 0;
  private nextSumsCheck = 1;
  /** Debug: verify every node's incremental reservation sums at every never-oversell poll (linear in the history). */
  verifySumsEveryPoll = false;
  /** Set by `verifySumsNextPoll`: the next never-oversell poll verifies the sums whatever its number. */
  private verifySumsOnce = false;
  /** The grace period of holds (for the reaper check). */
  graceNs = 0;
  readonly acked: { nodeId: string; reservationId: string }[] = [];

  constructor(
    readonly capacity: number,
    readonly nodes: readonly HostedNode[],
    readonly wire: TransferWire,
    private readonly clock: { readonly now: Nanos; readonly events: number },
    /** Each node's state at a fresh start (its initial tokens): a crash before its first fsync returns to it. */
    private readonly fresh: ReadonlyMap<string, NodeSnapshot> = new Map(),
  ) {}

  /** Every node's state now: in memory if up, else what its disk will restore. */
  snapshot(): GlobalSnapshot {
    if (this.cacheAt === this.clock.events && this.cache) return this.cache;
    const nodes = this.nodes.map((n) => {
      if (n.up && n.program) return n.program.seat.snapshot();
      this.downDurable(n);
      // Nothing on disk (crashed before its first fsync completed, say in a full-disk episode):
      // it restarts as it first started, with its initial tokens.
      const snap = this.down.get(n.id)!.snapshot ?? this.fresh.get(n.id) ?? null;
      assert(snap !== null, `node ${n.id} is down with nothing on disk, and its fresh state is unknown`);
      return snap;
    });
    this.cache = { capacity: this.capacity, nodes, messages: this.wire.inFlight(this.clock.now) };
    this.cacheAt = this.clock.events;
    return this.cache;
  }

  checkOversell(): string | null {
    const s = this.snapshot();
    // The check reads each node's incremental sums; now and then (polls 1, 2, 4, 8, ...: a
    // logarithmic share of a long run) they are checked against the list summed from scratch, and
    // at every poll under `verifySumsEveryPoll`. A drift stays until the node restarts.
    if (++this.oversellPolls >= this.nextSumsCheck || this.verifySumsEveryPoll || this.verifySumsOnce) {
      if (this.oversellPolls >= this.nextSumsCheck) this.nextSumsCheck *= 2;
      this.verifySumsOnce = false;
      for (const n of s.nodes) {
        const drift = reservedTokensDrift(n);
        if (drift !== null) return drift;
      }
    }
    return checkNeverOversell(s);
  }

  /**
   * Verifies the kept sums at the next poll, off the 1, 2, 4, ... schedule: the kit calls it when
   * the faults stop, so a drift that began late in the fault phase (after the last power of two)
   * is still seen before the run ends.
   */
  verifySumsNextPoll(): void {
    this.verifySumsOnce = true;
  }

  checkConservation(): string | null {
    return checkConservation(this.snapshot());
  }

  private durableOf(n: HostedNode): SeatDurable | number | null {
    if (n.up && n.program) return n.program.synced;
    return n.epoch;
  }

  /** Transitions on durable state since the previous poll (see the class comment). */
  checkTransitions(): string | null {
    for (const n of this.nodes) {
      const source = this.durableOf(n);
      const k = this.known.get(n.id);
      if (k && k.source === source) continue;
      const d = typeof source === 'number' ? this.downDurable(n) : source;
      // Tables only grow, in creation order: compare position by position.
      const now = d ? durableReservations(d.reservations) : NO_RESERVATIONS;
      if (k) {
        const was = k.reservations;
        // Positions both lists share by construction (the same table's closed prefix) need no look.
        for (let i = sharedClosedCount(was, now); i < was.length; i++) {
          const a = reservationAt(was, i);
          const b = i < now.length ? reservationAt(now, i) : undefined;
          // The same object: a closed reservation shared by both states (frozen: it cannot differ).
          if (a === b) continue;
          if (!b || b.id !== a.id) return `durable reservation ${a.id} at ${n.id} disappeared (was ${a.state})`;
          if (b.count !== a.count) return `reservation ${a.id} at ${n.id} changed count ${a.count} -> ${b.count}`;
          if (a.state !== b.state && !isReachable(a.state, b.state)) {
            return a.state === 'confirmed'
              ? `confirmed reservation ${a.id} at ${n.id} lost: now ${b.state}`
              : `illegal transition of reservation ${a.id} at ${n.id}: ${a.state} -> ${b.state}`;
          }
        }
      }
      // Durable states are never mutated once made (each write is a fresh copy): keep the array.
      this.known.set(n.id, { source, reservations: now });
    }
    return null;
  }

  /** A down node's durable state, read once per outage (its disk does not change while down). */
  private downDurable(n: HostedNode): SeatDurable | null {
    const c = this.down.get(n.id);
    if (c && c.epoch === n.epoch) return c.durable;
    // A down node's disk holds no unsynced write (its crash dropped them), so its durable records
    // are what a read would return: read in place, not copied record by record (the monitor only
    // reads them). `peek` if a write is pending all the same (a paused node).
    const durable = durableOnDisk({ read: (f) => (n.disk.unsyncedCount === 0 ? n.disk.readDurable(f) : n.disk.peek(f)) }, n.id);
    this.down.set(n.id, { epoch: n.epoch, durable, snapshot: durable ? snapshotOfDurable(durable) : null });
    return durable;
  }

  /**
   * The reaper keeps time: on a node running without interruption for a while, no hold is still
   * held past expiresAt + grace, and no pending reservation past its deadline, by more than
   * `slackNs` of the node's local time. (A down or paused node reaps as soon as it runs again.)
   */
  checkReaper(slackNs: Nanos): string | null {
    const now = this.clock.now;
    for (const n of this.nodes) {
      const u = this.upSince.get(n.id);
      if (n.state !== 'up' || !n.program || !u || u.epoch !== n.epoch) {
        this.upSince.set(n.id, { epoch: n.epoch, sinceNs: n.state === 'up' && u && u.epoch === n.epoch ? u.sinceNs : now });
        continue;
      }
      if (now - u.sinceNs < 2 * slackNs) continue;
      const local = n.clock.localAt(now);
      const grace = this.graceNs;
      const all = durableReservations(n.program.written.reservations);
      let f = this.reaperFrom.get(n.id);
      if (!f || f.epoch !== n.epoch || f.from > all.length) {
        f = { epoch: n.epoch, from: 0 };
        this.reaperFrom.set(n.id, f);
      }
      while (f.from < all.length && CLOSED_STATES.has(reservationAt(all, f.from).state)) f.from++;
      for (let i = f.from; i < all.length; i++) {
        const r = reservationAt(all, i);
        const late = r.state === 'held' ? local - (r.expiresAtNs + grace) : r.state === 'pending' ? local - r.expiresAtNs : 0;
        if (late > slackNs) return `${r.state} reservation ${r.id} at ${n.id} outlived its deadline by ${(late / 1e6).toFixed(1)} ms: the reaper is late`;
      }
    }
    return null;
  }

  /** A client was told `reservationId` at `nodeId` is confirmed: it must be, durably. */
  ackConfirmed(nodeId: string, reservationId: string): string | null {
    this.acked.push({ nodeId, reservationId });
    const n = this.nodes.find((x) => x.id === nodeId);
    assert(n !== undefined, `unknown node ${nodeId}`);
    const d = n.up && n.program ? n.program.synced : this.downDurable(n);
    const r = d ? this.findReservation(nodeId, durableReservations(d.reservations), reservationId) : undefined;
    if (!r || r.state !== 'confirmed') return `client was told ${reservationId} at ${nodeId} is confirmed, but its durable state says ${r ? r.state : 'missing'}`;
    return null;
  }

  /**
   * `reply-durable`: a client was told `reservationId` at `nodeId` is now `state` (a hold granted
   * or waiting, a cancellation). A reply may only describe state a crash cannot undo (the host's
   * contract: write first, then answer), so the node's durable state must hold the reservation in
   * that state or one reachable from it (it may have moved on since the reply left).
   */
  ackDurable(nodeId: string, reservationId: string, state: ReservationState): string | null {
    const n = this.nodes.find((x) => x.id === nodeId);
    assert(n !== undefined, `unknown node ${nodeId}`);
    const d = n.up && n.program ? n.program.synced : this.downDurable(n);
    const r = d ? this.findReservation(nodeId, durableReservations(d.reservations), reservationId) : undefined;
    if (r !== undefined && (r.state === state || isReachable(state, r.state))) return null;
    return `client was told ${reservationId} at ${nodeId} is ${state}, but its durable state says ${r ? r.state : 'missing'}: a crash now would undo what the client was told`;
  }

  /**
   * `list.find((r) => r.id === id)`, through a position index: tables grow in creation order, so a
   * position once seen usually still holds the same id. A crash can undo reservations and reuse
   * their positions, so a hit is checked, and a miss or a stale hit falls back to the full scan.
   */
  private findReservation(nodeId: string, list: DurableReservations, id: string): Reservation | undefined {
    let p = this.positions.get(nodeId);
    if (!p) {
      p = { ids: new Map(), scanned: 0 };
      this.positions.set(nodeId, p);
    }
    if (p.scanned > list.length) {
      p.ids.clear();
      p.scanned = 0;
    }
    for (; p.scanned < list.length; p.scanned++) p.ids.set(reservationAt(list, p.scanned).id, p.scanned);
    const i = p.ids.get(id);
    const hit = i === undefined ? undefined : reservationAt(list, i);
    if (hit !== undefined && hit.id === id) return hit;
    p.ids.clear();
    p.scanned = 0;
    for (let j = 0; j < list.length; j++) if (reservationAt(list, j).id === id) return reservationAt(list, j);
    return undefined;
  }

  /** Liveness: no reservation is pending or held anywhere (every node up). */
  holdsResolved(): true | string {
    for (const n of this.nodes) {
      if (!n.up || !n.program) return `${n.id} is down`;
      const open = n.program.seat.snapshot().reservations.filter((r) => r.state === 'pending' || r.state === 'held');
      if (open.length > 0) return `${n.id} has ${open.length} open reservation(s), e.g. ${open[0]!.id} ${open[0]!.state}`;
    }
    return true;
  }

  /** Liveness: every transfer credited and acknowledged (all outboxes empty). */
  transfersSettled(): true | string {
    for (const n of this.nodes) {
      if (!n.up || !n.program) return `${n.id} is down`;
      const ob = n.program.seat.snapshot().outbox;
      if (ob.length > 0) return `${n.id} has ${ob.length} unacknowledged transfer(s), e.g. to ${ob[0]!.to}#${ob[0]!.seq}`;
    }
    return true;
  }
}

