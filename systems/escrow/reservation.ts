/**
 * Time-bounded reservations (seed ch. 9.3.3): the user-visible state machine
 *
 *   pending --grant--> held --confirm--> confirmed
 *      |                 |  \--extend--> held
 *      |                 |--cancel--> cancelled
 *      |                 \--expire (reaper, after expiresAt + grace)--> expired
 *      |--cancel--> cancelled
 *      \--expire (reaper, after the pending deadline)--> expired
 *
 * `pending` means "accepted, waiting for tokens" (the local escrow was short and a borrow is under
 * way); `held` means tokens are set aside for the user until `expiresAt`. A grace period after
 * `expiresAt` still accepts confirm and extend, so a user who clicks at the deadline is not
 * punished by clock skew or a slow reaper. Confirmed, expired and cancelled are terminal.
 *
 * Expected refusals (confirming an expired hold, extending too often) are returned as
 * `ReservationError` values; an illegal transition attempted by our own code is an assertion.
 */
import { assert } from '../../sim/assert.ts';
import type { Nanos } from '../../sim/time.ts';

export type ReservationState = 'pending' | 'held' | 'confirmed' | 'expired' | 'cancelled';

/** States nothing leaves: a reservation in one of them never changes again. */
export const CLOSED_STATES: ReadonlySet<ReservationState> = new Set<ReservationState>(['confirmed', 'expired', 'cancelled']);

/** Allowed transitions; `held -> held` is an extension. */
export const ALLOWED_TRANSITIONS: Readonly<Record<ReservationState, readonly ReservationState[]>> = {
  pending: ['held', 'expired', 'cancelled'],
  held: ['held', 'confirmed', 'expired', 'cancelled'],
  confirmed: [],
  expired: [],
  cancelled: [],
};

/** True if a reservation may go from `from` to `to` in one step (staying put is always allowed). */
export function isAllowedTransition(from: ReservationState, to: ReservationState): boolean {
  return from === to || ALLOWED_TRANSITIONS[from].includes(to);
}

/**
 * True if `to` can be reached from `from` in zero or more allowed transitions: the check to use
 * between two snapshots taken several steps apart (pending -> confirmed is fine, confirmed -> held
 * is not).
 */
export function isReachable(from: ReservationState, to: ReservationState): boolean {
  if (from === to) return true;
  const seen = new Set<ReservationState>([from]);
  const todo: ReservationState[] = [from];
  while (todo.length > 0) {
    const s = todo.pop() as ReservationState;
    for (const n of ALLOWED_TRANSITIONS[s]) {
      if (n === to) return true;
      if (!seen.has(n)) {
        seen.add(n);
        todo.push(n);
      }
    }
  }
  return false;
}

/** One reservation, as persisted. Plain data. */
export interface Reservation {
  readonly id: string;
  /** Number of tokens (seats) the reservation is for. */
  readonly count: number;
  state: ReservationState;
  readonly createdAtNs: Nanos;
  /** Pending: the deadline for getting tokens. Held: the hold's end (grace comes after it). */
  expiresAtNs: Nanos;
  extensions: number;
}

/** Timing of holds; all durations in nanoseconds. */
export interface HoldPolicy {
  /** How long a granted hold lasts before it may expire. */
  readonly holdNs: Nanos;
  /** After `expiresAt`, confirm and extend are still accepted for this long; the reaper waits it out. */
  readonly graceNs: Nanos;
  /** How long a pending reservation may wait for tokens. */
  readonly pendingTimeoutNs: Nanos;
  /** How much one extension adds to the hold (counted from max(now, expiresAt)). */
  readonly extendNs: Nanos;
  /** Extensions allowed per reservation. */
  readonly maxExtensions: number;
}

export type ReservationErrorCode =
  | 'unknown-reservation'
  | 'duplicate-reservation'
  | 'invalid-count'
  | 'illegal-transition'
  | 'hold-expired'
  | 'extension-limit'
  | 'insufficient-tokens'
  | 'sold-out';

/** An expected refusal, returned (never thrown). */
export interface ReservationError {
  readonly ok: false;
  readonly code: ReservationErrorCode;
  readonly reservationId: string;
  readonly message: string;
}

export type ReservationResult = { readonly ok: true; readonly reservation: Reservation } | ReservationError;

export function reservationError(code: ReservationErrorCode, reservationId: string, message: string): ReservationError {
  return { ok: false, code, reservationId, message };
}

/** A due-date entry of the reaper's queue. */
interface ReapEntry {
  readonly reservationId: string;
  /** The reaper may act strictly after this instant. */
  readonly reapAfterNs: Nanos;
}

/** What the reservation table persists. Plain data. */
export interface ReservationTableDurable {
  readonly reservations: Reservation[];
  readonly reapQueue: ReapEntry[];
}

export interface ReapResult {
  /** Reservations the reaper moved to `expired`, in queue order. */
  readonly expired: Reservation[];
  /** Tokens the reaper handed back to the local pool. */
  readonly tokensReleased: number;
  /** True if anything durable changed (including dropping stale queue entries): persist. */
  readonly changed: boolean;
}

export interface ReservationBugs {
  /**
   * BUG (default off): the reaper pops due entries without checking whether the hold was confirmed
   * in the meantime and returns a confirmed hold's tokens to the pool, while the reservation stays
   * confirmed: the seat is both sold and free, so it will be sold twice. Caught by conservation and
   * by never-oversell once the returned tokens are resold.
   */
  readonly reaperReturnsConfirmed?: boolean;
}

/**
 * A durable reservation list read in place: position i is `closed[i]` below `closedCount`, else
 * `open[i - closedCount]`. For a state made by `ReservationTable.durable()`, `closed` is the
 * table's own creation-order array: its first `closedCount` entries are frozen and never move
 * (the table only appends), so every later state of that table shares them. Read it, never
 * change it, and never read `closed` at or past `closedCount` (later reservations live there).
 */
export interface DurableReservations {
  readonly closed: readonly Reservation[];
  readonly closedCount: number;
  readonly open: readonly Reservation[];
  /** closedCount + open.length. */
  readonly length: number;
}

const partsOf = new WeakMap<ReservationTableDurable, DurableReservations>();

/**
 * The reservations of `d` without building its list: a write's state names the table's closed
 * prefix instead of copying it (that copy, once per write, grew with the run: 10% of a 3,000 s
 * flash sale). A state that no table made (read from a disk, written by a test) reads as one
 * closed block of its list.
 */
export function durableReservations(d: ReservationTableDurable): DurableReservations {
  const p = partsOf.get(d);
  if (p !== undefined) return p;
  const list = d.reservations;
  return { closed: list, closedCount: list.length, open: [], length: list.length };
}

/** Position `i` of `p` (below `p.length`). */
export function reservationAt(p: DurableReservations, i: number): Reservation {
  return i < p.closedCount ? p.closed[i]! : p.open[i - p.closedCount]!;
}

/**
 * How many leading positions of two durable states of one node hold the very same (frozen,
 * closed) objects, known without looking: both made by `durable()` of one table. 0 when unknown.
 */
export function sharedClosedCount(a: DurableReservations, b: DurableReservations): number {
  if (a.closed !== b.closed || !partsMade.has(a) || !partsMade.has(b)) return 0;
  return Math.min(a.closedCount, b.closedCount);
}

/** Parts made by a table (not the fallback view of a plain list, whose `closed` may be any array). */
const partsMade = new WeakSet<DurableReservations>();

/**
 * The reservations of one node, in creation order, with the reaper's due-date queue. The table
 * does not own tokens: it tells its caller how many to take or give back.
 */
export class ReservationTable {
  private readonly byId = new Map<string, Reservation>();
  private readonly order: Reservation[] = [];
  private reapQueue: ReapEntry[] = [];
  /**
   * Pending reservations in creation order, plus some that have since left pending (dropped at the
   * next `pendingOldestFirst`): serving pending holds looks at these, not at every reservation ever.
   */
  private pending: Reservation[] = [];
  /**
   * Positions below this hold closed reservations only. Those are frozen (see `setState`), so
   * `durable()` shares them across writes instead of copying the whole history on every write.
   */
  private closedPrefix = 0;
  /** Tokens per state, kept up to date by insert and setState (every step reads them, often). */
  private readonly sums: Record<ReservationState, number> = { pending: 0, held: 0, confirmed: 0, expired: 0, cancelled: 0 };

  constructor(
    readonly policy: HoldPolicy,
    private readonly bugs: ReservationBugs = {},
    durable?: ReservationTableDurable,
  ) {
    assert(policy.holdNs > 0 && policy.graceNs >= 0 && policy.pendingTimeoutNs > 0, 'HoldPolicy: durations must be positive');
    if (durable) {
      // A closed reservation is frozen (see setState): the restored table shares it instead of
      // copying the history on every restart.
      const p = durableReservations(durable);
      for (let i = 0; i < p.length; i++) {
        const r = reservationAt(p, i);
        this.insert(CLOSED_STATES.has(r.state) && Object.isFrozen(r) ? r : { ...r });
      }
      this.reapQueue = durable.reapQueue.map((e) => ({ ...e }));
    }
  }

  private insert(r: Reservation): void {
    // The message is built only on failure: a restart inserts the node's whole history.
    assert(!this.byId.has(r.id), () => `reservation ${r.id} inserted twice`);
    this.byId.set(r.id, r);
    this.order.push(r);
    if (r.state === 'pending') this.pending.push(r);
    this.sums[r.state] += r.count;
    if (CLOSED_STATES.has(r.state) && !Object.isFrozen(r)) Object.freeze(r);
  }

  /** Moves `r` to `to`, asserting the transition is allowed: our code never breaks the state machine. */
  private setState(r: Reservation, to: ReservationState): void {
    assert(isAllowedTransition(r.state, to), `illegal reservation transition ${r.id}: ${r.state} -> ${to}`);
    this.sums[r.state] -= r.count;
    this.sums[to] += r.count;
    r.state = to;
    // Nothing leaves a closed state, so the reservation never changes again: frozen, it can be
    // shared by every later durable state, and a stray write to it throws instead of going unseen.
    if (CLOSED_STATES.has(to)) Object.freeze(r);
  }

  private validateNew(id: string, count: number): ReservationError | null {
    if (this.byId.has(id)) return reservationError('duplicate-reservation', id, `reservation ${id} already exists`);
    if (!Number.isSafeInteger(count) || count <= 0) return reservationError('invalid-count', id, `count must be a positive integer, got ${count}`);
    return null;
  }

  /** Creates a reservation whose tokens the caller has already taken: state `held`. */
  createHeld(id: string, count: number, nowNs: Nanos): ReservationResult {
    const err = this.validateNew(id, count);
    if (err) return err;
    const r: Reservation = { id, count, state: 'held', createdAtNs: nowNs, expiresAtNs: nowNs + this.policy.holdNs, extensions: 0 };
    this.insert(r);
    this.reapQueue.push({ reservationId: id, reapAfterNs: r.expiresAtNs + this.policy.graceNs });
    return { ok: true, reservation: r };
  }

  /** Creates a reservation that waits for tokens: state `pending`. */
  createPending(id: string, count: number, nowNs: Nanos): ReservationResult {
    const err = this.validateNew(id, count);
    if (err) return err;
    const r: Reservation = { id, count, state: 'pending', createdAtNs: nowNs, expiresAtNs: nowNs + this.policy.pendingTimeoutNs, extensions: 0 };
    this.insert(r);
    this.reapQueue.push({ reservationId: id, reapAfterNs: r.expiresAtNs });
    return { ok: true, reservation: r };
  }

  /** pending -> held: the caller has just taken `count` tokens for it. */
  grant(id: string, nowNs: Nanos): ReservationResult {
    const r = this.byId.get(id);
    if (!r) return reservationError('unknown-reservation', id, `no reservation ${id}`);
    if (r.state !== 'pending') return reservationError('illegal-transition', id, `cannot grant a ${r.state} reservation`);
    this.setState(r, 'held');
    r.expiresAtNs = nowNs + this.policy.holdNs;
    this.reapQueue.push({ reservationId: id, reapAfterNs: r.expiresAtNs + this.policy.graceNs });
    return { ok: true, reservation: r };
  }

  /** held -> confirmed, accepted until expiresAt + grace. The tokens stay consumed. */
  confirm(id: string, nowNs: Nanos): ReservationResult {
    const r = this.byId.get(id);
    if (!r) return reservationError('unknown-reservation', id, `no reservation ${id}`);
    if (r.state === 'confirmed') return { ok: true, reservation: r }; // idempotent: a retried confirm succeeds
    if (r.state !== 'held') return reservationError('illegal-transition', id, `cannot confirm a ${r.state} reservation`);
    if (nowNs > r.expiresAtNs + this.policy.graceNs) return reservationError('hold-expired', id, `hold ${id} ended; the reaper will release it`);
    this.setState(r, 'confirmed');
    return { ok: true, reservation: r };
  }

  /** pending|held -> cancelled. Returns the tokens to give back (count if it was held, else 0). */
  cancel(id: string): { ok: true; reservation: Reservation; tokensReleased: number } | ReservationError {
    const r = this.byId.get(id);
    if (!r) return reservationError('unknown-reservation', id, `no reservation ${id}`);
    if (r.state !== 'pending' && r.state !== 'held') return reservationError('illegal-transition', id, `cannot cancel a ${r.state} reservation`);
    const tokensReleased = r.state === 'held' ? r.count : 0;
    this.setState(r, 'cancelled');
    return { ok: true, reservation: r, tokensReleased };
  }

  /** held -> held with a later end, while within expiresAt + grace and under the extension limit. */
  extend(id: string, nowNs: Nanos): ReservationResult {
    const r = this.byId.get(id);
    if (!r) return reservationError('unknown-reservation', id, `no reservation ${id}`);
    if (r.state !== 'held') return reservationError('illegal-transition', id, `cannot extend a ${r.state} reservation`);
    if (nowNs > r.expiresAtNs + this.policy.graceNs) return reservationError('hold-expired', id, `hold ${id} ended`);
    if (r.extensions >= this.policy.maxExtensions) return reservationError('extension-limit', id, `hold ${id} already extended ${r.extensions} times`);
    this.setState(r, 'held');
    r.expiresAtNs = Math.max(nowNs, r.expiresAtNs) + this.policy.extendNs;
    r.extensions++;
    this.reapQueue.push({ reservationId: id, reapAfterNs: r.expiresAtNs + this.policy.graceNs });
    return { ok: true, reservation: r };
  }

  /**
   * The reaper: expires pending reservations past their deadline and holds past expiresAt + grace,
   * and reports the tokens to return to the pool. Entries made stale by an extension are skipped.
   */
  reap(nowNs: Nanos): ReapResult {
    const expired: Reservation[] = [];
    let tokensReleased = 0;
    const keep: ReapEntry[] = [];
    for (const e of this.reapQueue) {
      if (e.reapAfterNs >= nowNs) {
        keep.push(e);
        continue;
      }
      const r = this.byId.get(e.reservationId);
      assert(r !== undefined, `reap queue names unknown reservation ${e.reservationId}`);
      if (this.bugs.reaperReturnsConfirmed && r.state === 'confirmed') {
        // BUG (bug zoo): see ReservationBugs.reaperReturnsConfirmed.
        tokensReleased += r.count;
        continue;
      }
      if (r.state === 'pending' && nowNs > r.expiresAtNs) {
        this.setState(r, 'expired');
        expired.push(r);
      } else if (r.state === 'held' && nowNs > r.expiresAtNs + this.policy.graceNs) {
        this.setState(r, 'expired');
        expired.push(r);
        tokensReleased += r.count;
      }
      // Otherwise the entry is stale (granted, extended, confirmed, cancelled): drop it.
    }
    const changed = keep.length !== this.reapQueue.length;
    this.reapQueue = keep;
    return { expired, tokensReleased, changed };
  }

  get(id: string): Reservation | undefined {
    return this.byId.get(id);
  }

  /** All reservations in creation order (live objects: do not mutate). */
  all(): readonly Reservation[] {
    return this.order;
  }

  /** Pending reservations, oldest first: the order in which arriving tokens are handed out. */
  pendingOldestFirst(): Reservation[] {
    if (this.sums.pending === 0) {
      this.pending = [];
      return [];
    }
    this.pending = this.pending.filter((r) => r.state === 'pending');
    return [...this.pending];
  }

  /** Tokens set aside by held reservations. */
  heldTokens(): number {
    return this.sumIn('held');
  }

  /** Tokens consumed by confirmed reservations. */
  confirmedTokens(): number {
    return this.sumIn('confirmed');
  }

  /** Tokens waited for by pending reservations. */
  pendingTokens(): number {
    return this.sumIn('pending');
  }

  /** Tokens of pending, held and confirmed reservations (kept as they change, not summed here). */
  reservedTokens(): { pending: number; held: number; confirmed: number } {
    return { pending: this.sums.pending, held: this.sums.held, confirmed: this.sums.confirmed };
  }

  private sumIn(state: ReservationState): number {
    return this.sums[state];
  }

  /**
   * A copy of what must be persisted: open reservations copied, closed (frozen) ones shared. The
   * list is built only when read (`reservations`); the host and the monitor read the state in
   * place (`durableReservations`), so a write costs its open reservations, not the history.
   */
  durable(): ReservationTableDurable {
    const n = this.order.length;
    while (this.closedPrefix < n && CLOSED_STATES.has(this.order[this.closedPrefix]!.state)) this.closedPrefix++;
    const closedCount = this.closedPrefix;
    const closed = this.order;
    const open: Reservation[] = [];
    for (let i = closedCount; i < n; i++) {
      const r = this.order[i]!;
      open.push(Object.isFrozen(r) ? r : { ...r });
    }
    let list: Reservation[] | null = null;
    const d: ReservationTableDurable = {
      // Built once, on first read, from the shared prefix and this state's copies: the same list
      // as a copy made now (the prefix never changes).
      get reservations(): Reservation[] {
        if (list === null) {
          list = closed.slice(0, closedCount);
          for (const r of open) list.push(r);
        }
        return list;
      },
      reapQueue: this.reapQueue.map((e) => ({ ...e })),
    };
    const parts: DurableReservations = { closed, closedCount, open, length: n };
    partsMade.add(parts);
    partsOf.set(d, parts);
    return d;
  }
}
