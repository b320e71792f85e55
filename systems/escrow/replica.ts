/**
 * An escrow replica (seed ch. 9.3): a node holding a share of a bounded resource as local tokens.
 * Spending a local token needs no coordination, because no replica can spend tokens it does not
 * hold: the global bound "consumed + held <= C" is split into local bounds that are i-confluent.
 * Only exhaustion needs other nodes, and then tokens move by *transfer*.
 *
 * A transfer is exactly-once and conserves tokens across crashes, drops and duplicates:
 *   1. the sender debits its tokens, assigns the next sequence number of the link (from -> to),
 *      and records {to, seq, amount} in its outbox; all three are persisted BEFORE the transfer
 *      message leaves (NodeOutput: persist first, then send);
 *   2. the receiver credits it only if (from, seq) is new, records it as credited, persists both,
 *      and only then acks; a duplicate is acked again without a second credit;
 *   3. the sender retransmits unacked outbox entries every `retransmitNs` and drops the entry on ack.
 * So at every instant each token is in exactly one place: a replica's pool, a reservation, consumed,
 * or an outbox entry not yet credited by its receiver ("in flight").
 *
 * Durable state (EscrowDurable) = tokens, consumedDirect, per-link next sequence numbers, outbox,
 * credited set, and the reservation table. Everything else (retransmit timers, outstanding borrow,
 * coordinator reports, refusal streak) is volatile and rebuilt after a crash.
 *
 * Refill: 'demand' borrows when short (from the parent for multi-level escrow, or round-robin from
 * peers); 'time' tops up to a target every interval; 'coordinator' reports to the parent, which
 * rebalances its children centrally (grants from its own pool, orders rich children to give).
 * Multi-level escrow (global -> regional -> local) is the same replica at each level: a region's
 * parent is the global replica, a local node's parent is its region.
 */
import { assert } from '../../sim/assert.ts';
import type { Nanos } from '../../sim/time.ts';
import { CLOSED_STATES, ReservationTable, reservationError, type HoldPolicy, type Reservation, type ReservationBugs, type ReservationError, type ReservationTableDurable } from './reservation.ts';
import type { ClientOp, ClientReply, CreditedFrom, EscrowMsg, HoldRequest, NodeOutput, NodeSnapshot, OutboxEntry, ReservationView, SeatNode, StatusReportMsg } from './types.ts';

/** Where a replica asks for tokens: its parent (multi-level escrow) or its peers in turn (peer-to-peer). */
export type LenderChoice = 'parent' | 'peers';

export type RefillPolicy =
  /** Never asks for tokens: a hold that does not fit is refused. */
  | { readonly kind: 'none' }
  /** Borrow `max(batchTokens, shortfall)` whenever short, or when free tokens fall below `lowWaterTokens`. */
  | { readonly kind: 'demand'; readonly lowWaterTokens: number; readonly batchTokens: number; readonly source: LenderChoice }
  /** Every `intervalNs`, ask for enough to get back to `targetTokens` free tokens (plus what pending holds wait for). */
  | { readonly kind: 'time'; readonly intervalNs: Nanos; readonly targetTokens: number; readonly source: LenderChoice }
  /** Report to the parent every `reportIntervalNs`; the parent (a coordinator) decides who gets what. */
  | { readonly kind: 'coordinator'; readonly reportIntervalNs: Nanos };

/** Set on a replica that rebalances its children centrally. */
export interface CoordinatorPolicy {
  /** The children that report to this replica, in a fixed order (planning iterates in it). */
  readonly children: readonly string[];
  /** How often a rebalancing plan is made from the latest reports. */
  readonly intervalNs: Nanos;
  /** A child below this many free tokens is topped up; one above twice this gives its surplus. */
  readonly lowWaterTokens: number;
}

/** Bug-zoo switches, all off by default. Each is a real mistake the invariants must catch. */
export interface EscrowBugs extends ReservationBugs {
  /**
   * BUG: use the check-then-act seat node instead of escrow (read by `createSeatNode`): each node
   * checks its possibly stale view of global sales, then sells. Oversells under concurrency or a
   * partition. Caught by never-oversell.
   */
  readonly checkThenAct?: boolean;
  /**
   * BUG: a transfer's debit (and the link's sequence number) is not in the step's `persist`; it is
   * flushed lazily with the next write. The transfer message leaves at once, so the receiver can
   * credit tokens whose debit a crash then undoes: tokens are created (and a reused sequence number
   * is deduplicated away, destroying tokens). Caught by conservation.
   */
  readonly creditBeforeDebitDurable?: boolean;
  /** Dead variant (read by the host): every hold is refused as sold out. */
  readonly refuseAllHolds?: boolean;
  /** Dead variant (read by the host): a confirm is always answered "still pending". */
  readonly neverConfirms?: boolean;
  /**
   * BUG: when lending (borrow request or rebalance order) the replica counts its unacked in-flight
   * transfers as still its own ("they bounce back if lost"), and funds the loan by recalling them:
   * it re-credits itself and forgets the outbox entry, while the original transfer is still
   * delivered and credited by its receiver. The in-flight tokens are counted twice. Caught by
   * conservation (and the phantom-transfer check), then by never-oversell.
   */
  readonly rebalanceDoubleCountsInFlight?: boolean;
  /**
   * BUG (read by the host): a step that persists nothing sends its messages at once instead of
   * after the writes before it. A duplicate transfer's re-ack then overtakes the fsync of the
   * first credit: the sender forgets the transfer, and a crash before that fsync destroys the
   * tokens. Caught by ack-not-durable on the wire (conservation only with a crash in the window).
   */
  readonly reackBeforeCreditDurable?: boolean;
  /**
   * BUG: a hold never sells from the local tokens at once: it is always parked pending, and the
   * next tick's pass over the waiting holds grants it. Nothing oversells and every hold is
   * granted a few ms later, but each sale waits for a timer and a confirm poll, and the buyer is
   * told "pending" while the seats sit idle. Caught by hold-served-locally (reply-checks.ts).
   */
  readonly holdsWaitForTick?: boolean;
  /**
   * BUG: a cancel marks nothing to write ("the reaper would free it anyway"): the cancellation
   * rides the next write, and the buyer is told "cancelled" before it is durable. A crash in
   * between brings the hold back until it expires. Caught by reply-durable.
   */
  readonly cancelNotPersisted?: boolean;
  /**
   * Dead variant (read by the coordinated baseline's front ends): every request is forwarded to
   * the leader, and its answer is never relayed. The baseline sells nothing and keeps every
   * safety invariant. Caught by every-region-sells.
   */
  readonly frontEndsRelayNothing?: boolean;
}

export interface EscrowReplicaConfig {
  readonly id: string;
  /** The capacity C of the whole resource (for assertions only). */
  readonly capacity: number;
  /** The replica one level up (multi-level escrow), or null at the top. */
  readonly parent: string | null;
  /** Same-level replicas, for peer-to-peer borrowing. */
  readonly peers: readonly string[];
  readonly refill: RefillPolicy;
  /** Non-null if this replica rebalances children. */
  readonly coordinator: CoordinatorPolicy | null;
  /** Tokens a lender keeps for itself when lending. */
  readonly lendFloorTokens: number;
  /** Unacked transfers are resent after this long. */
  readonly retransmitNs: Nanos;
  /** A borrow request with no answer is given up after this long; a refused one is retried after it. */
  readonly borrowTimeoutNs: Nanos;
  readonly hold: HoldPolicy;
  readonly bugs?: EscrowBugs;
  /** Coverage hook (sim/probes.ts), called with an ESCROW_PROBES name; the host wires it to ctx.probe. */
  readonly probe?: (name: string) => void;
}

/** Everything an escrow replica persists. Restoring from it alone must lose no token. Plain data. */
export interface EscrowDurable {
  readonly kind: 'escrow';
  readonly id: string;
  readonly tokens: number;
  readonly consumedDirect: number;
  /** Next sequence number to use on each outgoing link, sorted by `to`. */
  readonly nextSeq: readonly { readonly to: string; readonly seq: number }[];
  readonly outbox: readonly OutboxEntry[];
  readonly credited: readonly CreditedFrom[];
  readonly reservations: ReservationTableDurable;
}

interface Credited {
  upTo: number;
  above: Set<number>;
}

interface OutstandingBorrow {
  readonly requestId: number;
  readonly lender: string;
  readonly deadlineNs: Nanos;
}

const linkKey = (to: string, seq: number): string => `${to}#${seq}`;

export class EscrowReplica implements SeatNode<EscrowDurable> {
  readonly kind = 'escrow' as const;
  readonly id: string;
  private readonly bugs: EscrowBugs;
  private readonly table: ReservationTable;

  // Durable state.
  private tokens: number;
  private consumedDirect: number;
  private readonly nextSeq = new Map<string, number>();
  private outbox: OutboxEntry[];
  private readonly credited = new Map<string, Credited>();

  // Volatile state, rebuilt after a crash.
  private readonly lastSentNs = new Map<string, Nanos>();
  private outstanding: OutstandingBorrow | null = null;
  private nextBorrowAtNs: Nanos = Number.NEGATIVE_INFINITY;
  private nextBorrowId = 1;
  private peerCursor = 0;
  private refusalStreak = 0;
  private unmetConsumeTokens = 0;
  // Due at the first tick, whatever the local clock reads: a node's clock may start far below
  // zero (clockSkewMsMax=10^6 gave -1000 s, and with 0 here a node asked for no token for 1000 s).
  private nextRefillAtNs: Nanos = Number.NEGATIVE_INFINITY;
  private nextReportAtNs: Nanos = Number.NEGATIVE_INFINITY;
  private nextPlanAtNs: Nanos = Number.NEGATIVE_INFINITY;
  private readonly reports = new Map<string, StatusReportMsg>();
  /**
   * Snapshot views of the reservations, by position: a view is replaced (never changed) when its
   * reservation's state changes, so earlier snapshots keep theirs. Positions below `closedViews`
   * are closed, so their views are final and a snapshot copies them without looking.
   */
  private readonly views: ReservationView[] = [];
  private closedViews = 0;
  /** The list the last snapshot carried (shared by snapshots until a view changes). */
  private viewList: readonly ReservationView[] | null = null;

  // The step under way.
  private dirty = false;
  private messages: EscrowMsg[] = [];
  private replies: ClientReply[] = [];

  private constructor(readonly config: EscrowReplicaConfig, d: EscrowDurable) {
    assert(d.id === config.id, `durable state of ${d.id} given to replica ${config.id}`);
    assert(Number.isSafeInteger(d.tokens) && d.tokens >= 0, `replica ${d.id}: tokens must be a non-negative integer`);
    this.id = config.id;
    this.bugs = config.bugs ?? {};
    this.tokens = d.tokens;
    this.consumedDirect = d.consumedDirect;
    for (const { to, seq } of d.nextSeq) this.nextSeq.set(to, seq);
    this.outbox = d.outbox.map((e) => ({ ...e }));
    for (const c of d.credited) this.credited.set(c.from, { upTo: c.upTo, above: new Set(c.above) });
    this.table = new ReservationTable(config.hold, this.bugs, d.reservations);
  }

  /** A fresh replica holding `initialTokens`. The host should persist `durable()` before using it. */
  static create(config: EscrowReplicaConfig, initialTokens: number): EscrowReplica {
    return new EscrowReplica(config, {
      kind: 'escrow', id: config.id, tokens: initialTokens, consumedDirect: 0, nextSeq: [], outbox: [], credited: [],
      reservations: { reservations: [], reapQueue: [] },
    });
  }

  /** The replica after a crash: rebuilt from its durable state alone. */
  static restore(config: EscrowReplicaConfig, durable: EscrowDurable): EscrowReplica {
    return new EscrowReplica(config, durable);
  }

  // ---- client operations -------------------------------------------------------------------

  hold(req: HoldRequest, nowNs: Nanos): NodeOutput<EscrowDurable> {
    this.begin();
    // BUG (bug zoo) when holdsWaitForTick: see EscrowBugs.holdsWaitForTick.
    if (this.tokens >= req.count && !this.bugs.holdsWaitForTick) {
      const res = this.table.createHeld(req.reservationId, req.count, nowNs);
      if (res.ok) {
        this.tokens -= req.count;
        this.dirty = true;
      }
      this.replyResult('hold', res);
    } else if (this.config.refill.kind === 'none') {
      this.replyError('hold', reservationError('insufficient-tokens', req.reservationId, `replica ${this.id} holds ${this.tokens} tokens and does not borrow`));
    } else {
      const res = this.table.createPending(req.reservationId, req.count, nowNs);
      if (res.ok) this.dirty = true;
      if (res.ok) this.config.probe?.('escrow:hold-waits-for-tokens');
      this.replyResult('hold', res);
      if (res.ok && this.config.refill.kind === 'demand') this.maybeBorrow(nowNs);
    }
    return this.finish();
  }

  confirm(reservationId: string, nowNs: Nanos): NodeOutput<EscrowDurable> {
    this.begin();
    const before = this.table.get(reservationId)?.state;
    const res = this.table.confirm(reservationId, nowNs);
    if (res.ok && before !== 'confirmed') this.dirty = true;
    this.replyResult('confirm', res);
    return this.finish();
  }

  cancel(reservationId: string, nowNs: Nanos): NodeOutput<EscrowDurable> {
    this.begin();
    const res = this.table.cancel(reservationId);
    if (res.ok) {
      this.tokens += res.tokensReleased;
      // BUG (bug zoo) when cancelNotPersisted: see EscrowBugs.cancelNotPersisted.
      if (!this.bugs.cancelNotPersisted) this.dirty = true;
      this.replyResult('cancel', res);
      this.servePending(nowNs);
    } else {
      this.replyError('cancel', res);
    }
    return this.finish();
  }

  extend(reservationId: string, nowNs: Nanos): NodeOutput<EscrowDurable> {
    this.begin();
    const res = this.table.extend(reservationId, nowNs);
    if (res.ok) this.dirty = true;
    this.replyResult('extend', res);
    return this.finish();
  }

  consume(count: number, nowNs: Nanos): NodeOutput<EscrowDurable> {
    this.begin();
    if (!Number.isSafeInteger(count) || count <= 0) {
      this.replyError('consume', reservationError('invalid-count', '', `count must be a positive integer, got ${count}`));
    } else if (this.tokens >= count) {
      this.tokens -= count;
      this.consumedDirect += count;
      this.unmetConsumeTokens = 0;
      this.dirty = true;
      this.replies.push({ op: 'consume', ok: true, reservationId: null, state: null, count });
    } else {
      this.unmetConsumeTokens = count;
      this.config.probe?.('escrow:consume-short');
      this.replyError('consume', reservationError('insufficient-tokens', '', `replica ${this.id} holds ${this.tokens} tokens, wanted ${count}`));
      if (this.config.refill.kind === 'demand') this.maybeBorrow(nowNs);
    }
    return this.finish();
  }

  // ---- messages ----------------------------------------------------------------------------

  receive(msg: EscrowMsg, nowNs: Nanos): NodeOutput<EscrowDurable> {
    this.begin();
    assert(msg.to === this.id, `replica ${this.id} got a message for ${msg.to}`);
    switch (msg.type) {
      case 'transfer':
        this.onTransfer(msg.from, msg.seq, msg.amount, nowNs);
        break;
      case 'transfer-ack': {
        const n = this.outbox.length;
        this.outbox = this.outbox.filter((e) => !(e.to === msg.from && e.seq === msg.seq));
        if (this.outbox.length !== n) {
          this.lastSentNs.delete(linkKey(msg.from, msg.seq));
          this.dirty = true;
        }
        break;
      }
      case 'borrow-request':
        this.lend(msg.from, msg.amount, msg.requestId, nowNs);
        break;
      case 'borrow-refused':
        if (this.outstanding?.requestId === msg.requestId && this.outstanding.lender === msg.from) {
          this.config.probe?.('escrow:borrow-refused');
          this.outstanding = null;
          this.refusalStreak++;
          this.nextBorrowAtNs = nowNs + this.config.borrowTimeoutNs;
        }
        break;
      case 'status-report':
        if (this.config.coordinator?.children.includes(msg.from)) this.reports.set(msg.from, msg);
        break;
      case 'rebalance-order': {
        const give = this.spendableForLending(msg.amount);
        if (give > 0) this.config.probe?.('escrow:rebalance-transfer');
        if (give > 0) this.sendTransfer(msg.giveTo, give, nowNs);
        break;
      }
      case 'sold-update':
        break; // Check-then-act gossip: meaningless to an escrow replica.
    }
    return this.finish();
  }

  private onTransfer(from: string, seq: number, amount: number, nowNs: Nanos): void {
    assert(Number.isSafeInteger(amount) && amount > 0, `transfer ${from}->${this.id}#${seq} has bad amount ${amount}`);
    if (!this.hasCredited(from, seq)) {
      this.tokens += amount;
      this.markCredited(from, seq);
      this.dirty = true;
      this.refusalStreak = 0;
      this.outstanding = null;
      this.nextBorrowAtNs = nowNs;
      this.servePending(nowNs);
    } else this.config.probe?.('escrow:duplicate-transfer');
    // Acked after the credit is persisted (NodeOutput order); a duplicate is acked again.
    this.messages.push({ type: 'transfer-ack', from: this.id, to: from, seq });
  }

  private lend(borrower: string, amount: number, requestId: number, nowNs: Nanos): void {
    const give = this.spendableForLending(amount);
    if (give > 0) {
      this.sendTransfer(borrower, give, nowNs);
      return;
    }
    this.messages.push({ type: 'borrow-refused', from: this.id, to: borrower, requestId, availableTokens: this.tokens });
    // A region that cannot serve a local node asks its own parent: demand travels up the levels.
    if (this.config.refill.kind === 'demand' && this.config.refill.source === 'parent') {
      if (this.config.parent !== null) this.config.probe?.('escrow:borrow-cascades-up');
      this.maybeBorrow(nowNs, amount);
    }
  }

  /** How much of `amount` this replica can give away now (0 if nothing). */
  private spendableForLending(amount: number): number {
    const floor = this.config.lendFloorTokens + this.table.pendingTokens();
    if (this.bugs.rebalanceDoubleCountsInFlight) {
      // BUG (bug zoo): see EscrowBugs.rebalanceDoubleCountsInFlight.
      const inFlight = this.outbox.reduce((a, e) => a + e.amount, 0);
      const give = Math.min(amount, Math.max(0, this.tokens + inFlight - floor));
      while (this.tokens < give && this.outbox.length > 0) {
        const e = this.outbox.shift() as OutboxEntry;
        this.lastSentNs.delete(linkKey(e.to, e.seq));
        this.tokens += e.amount;
        this.dirty = true;
      }
      return Math.min(give, this.tokens);
    }
    return Math.min(amount, Math.max(0, this.tokens - floor));
  }

  /** Debit, record in the outbox, send. The debit is durable before the message leaves (unless bugged). */
  private sendTransfer(to: string, amount: number, nowNs: Nanos): void {
    assert(to !== this.id, `replica ${this.id} transferring to itself`);
    assert(Number.isSafeInteger(amount) && amount > 0 && amount <= this.tokens, `replica ${this.id}: bad transfer of ${amount} with ${this.tokens} tokens`);
    const seq = this.nextSeq.get(to) ?? 1;
    this.nextSeq.set(to, seq + 1);
    this.tokens -= amount;
    this.outbox.push({ to, seq, amount });
    this.lastSentNs.set(linkKey(to, seq), nowNs);
    this.messages.push({ type: 'transfer', from: this.id, to, seq, amount });
    // BUG (bug zoo) when creditBeforeDebitDurable: the debit waits for some later write.
    if (!this.bugs.creditBeforeDebitDurable) this.dirty = true;
  }

  // ---- timers ------------------------------------------------------------------------------

  tick(nowNs: Nanos): NodeOutput<EscrowDurable> {
    this.begin();
    const reaped = this.table.reap(nowNs);
    if (reaped.changed) {
      this.tokens += reaped.tokensReleased;
      this.dirty = true;
      if (reaped.expired.length > 0) this.config.probe?.('escrow:hold-expired-reaped');
      for (const r of reaped.expired) this.replies.push({ op: 'notify', ok: true, reservationId: r.id, state: r.state, count: r.count });
    }
    this.servePending(nowNs);
    for (const e of this.outbox) {
      const last = this.lastSentNs.get(linkKey(e.to, e.seq));
      if (last === undefined || nowNs - last >= this.config.retransmitNs) {
        this.config.probe?.('escrow:transfer-retransmitted');
        this.lastSentNs.set(linkKey(e.to, e.seq), nowNs);
        this.messages.push({ type: 'transfer', from: this.id, to: e.to, seq: e.seq, amount: e.amount });
      }
    }
    this.tickRefill(nowNs);
    if (this.config.coordinator && nowNs >= this.nextPlanAtNs) {
      this.nextPlanAtNs = nowNs + this.config.coordinator.intervalNs;
      this.planRebalance(this.config.coordinator, nowNs);
    }
    return this.finish();
  }

  private tickRefill(nowNs: Nanos): void {
    const refill = this.config.refill;
    switch (refill.kind) {
      case 'none':
        return;
      case 'demand':
        this.maybeBorrow(nowNs);
        return;
      case 'time':
        if (nowNs >= this.nextRefillAtNs) {
          this.nextRefillAtNs = nowNs + refill.intervalNs;
          // Short of the target by this much, counting what pending holds and a failed consume wait for.
          const short = refill.targetTokens + this.table.pendingTokens() + this.unmetConsumeTokens - this.tokens;
          if (short > 0) this.requestTokens(short, nowNs);
        }
        return;
      case 'coordinator':
        if (this.config.parent !== null && nowNs >= this.nextReportAtNs) {
          this.nextReportAtNs = nowNs + refill.reportIntervalNs;
          this.messages.push({
            type: 'status-report', from: this.id, to: this.config.parent, tokens: this.tokens,
            wantedTokens: this.wantedTokens(), refusalStreak: this.refusalStreak,
          });
        }
        return;
    }
  }

  /** Tokens pending reservations and the last failed consume wait for, beyond what is held. */
  private wantedTokens(): number {
    return Math.max(0, this.table.pendingTokens() + this.unmetConsumeTokens - this.tokens);
  }

  /** Demand refill: borrow if short or below the low-water mark, unless a request is outstanding. */
  private maybeBorrow(nowNs: Nanos, forOthers = 0): void {
    const refill = this.config.refill;
    if (refill.kind !== 'demand') return;
    const short = this.wantedTokens() + forOthers;
    const free = this.tokens - this.table.pendingTokens();
    if (short === 0 && free >= refill.lowWaterTokens) return;
    this.requestTokens(Math.max(short, refill.batchTokens), nowNs);
  }

  private requestTokens(amount: number, nowNs: Nanos): void {
    const refill = this.config.refill;
    assert(refill.kind === 'demand' || refill.kind === 'time', 'requestTokens needs a borrowing refill policy');
    if (this.outstanding !== null && nowNs < this.outstanding.deadlineNs) return;
    if (this.outstanding !== null) this.config.probe?.('escrow:borrow-timed-out');
    if (nowNs < this.nextBorrowAtNs && this.outstanding === null && this.refusalStreak > 0) return;
    let lender: string | null = null;
    if (refill.source === 'parent') lender = this.config.parent;
    else if (this.config.peers.length > 0) {
      lender = this.config.peers[this.peerCursor % this.config.peers.length] as string;
      this.peerCursor++;
    }
    if (lender === null) return;
    const requestId = this.nextBorrowId++;
    this.outstanding = { requestId, lender, deadlineNs: nowNs + this.config.borrowTimeoutNs };
    this.messages.push({ type: 'borrow-request', from: this.id, to: lender, requestId, amount });
  }

  /**
   * Centralised rebalancing from the latest report of each child, each report used once so a
   * stale report cannot trigger a second grant for the same need: first grant from this
   * replica's own pool, then order children with a surplus to give directly to the needy.
   */
  private planRebalance(policy: CoordinatorPolicy, nowNs: Nanos): void {
    const needs: { id: string; need: number }[] = [];
    const surpluses: { id: string; surplus: number }[] = [];
    for (const child of policy.children) {
      const r = this.reports.get(child);
      if (!r) continue;
      if (r.wantedTokens > 0) needs.push({ id: child, need: r.wantedTokens + policy.lowWaterTokens });
      else if (r.tokens < policy.lowWaterTokens) needs.push({ id: child, need: policy.lowWaterTokens - r.tokens });
      else if (r.tokens > 2 * policy.lowWaterTokens) surpluses.push({ id: child, surplus: r.tokens - 2 * policy.lowWaterTokens });
    }
    this.reports.clear();
    needs.sort((a, b) => b.need - a.need || (a.id < b.id ? -1 : 1));
    surpluses.sort((a, b) => b.surplus - a.surplus || (a.id < b.id ? -1 : 1));
    for (const n of needs) {
      const own = Math.min(n.need, Math.max(0, this.tokens - this.config.lendFloorTokens - this.table.pendingTokens()));
      if (own > 0) {
        this.sendTransfer(n.id, own, nowNs);
        n.need -= own;
      }
      for (const s of surpluses) {
        if (n.need === 0) break;
        const amount = Math.min(n.need, s.surplus);
        if (amount === 0) continue;
        this.messages.push({ type: 'rebalance-order', from: this.id, to: s.id, giveTo: n.id, amount });
        s.surplus -= amount;
        n.need -= amount;
      }
    }
  }

  /** Hand free tokens to pending reservations, oldest first; stop at the first that does not fit. */
  private servePending(nowNs: Nanos): void {
    for (const r of this.table.pendingOldestFirst()) {
      if (r.count > this.tokens) break;
      const res = this.table.grant(r.id, nowNs);
      assert(res.ok, `granting pending ${r.id} failed`);
      this.config.probe?.('escrow:pending-hold-granted');
      this.tokens -= r.count;
      this.dirty = true;
      this.replies.push({ op: 'notify', ok: true, reservationId: r.id, state: 'held', count: r.count });
    }
  }

  // ---- dedup -------------------------------------------------------------------------------

  /** True if transfer (from -> this, seq) has been credited here. */
  hasCredited(from: string, seq: number): boolean {
    const c = this.credited.get(from);
    return c !== undefined && (seq <= c.upTo || c.above.has(seq));
  }

  private markCredited(from: string, seq: number): void {
    let c = this.credited.get(from);
    if (!c) {
      c = { upTo: 0, above: new Set() };
      this.credited.set(from, c);
    }
    c.above.add(seq);
    // Compact: the contiguous prefix becomes a watermark, so the set stays small.
    while (c.above.has(c.upTo + 1)) {
      c.above.delete(c.upTo + 1);
      c.upTo++;
    }
  }

  // ---- output ------------------------------------------------------------------------------

  private begin(): void {
    this.dirty = false;
    this.messages = [];
    this.replies = [];
  }

  private finish(): NodeOutput<EscrowDurable> {
    assert(this.tokens >= 0 && Number.isSafeInteger(this.tokens), `replica ${this.id}: tokens went to ${this.tokens}`);
    assert(this.tokens <= this.config.capacity || this.bugs.creditBeforeDebitDurable || this.bugs.rebalanceDoubleCountsInFlight || this.bugs.reaperReturnsConfirmed,
      `replica ${this.id} holds ${this.tokens} tokens, more than capacity ${this.config.capacity}`);
    const out: NodeOutput<EscrowDurable> = { persist: this.dirty ? this.durable() : null, messages: this.messages, replies: this.replies };
    this.messages = [];
    this.replies = [];
    this.dirty = false;
    return out;
  }

  private replyResult(op: ClientOp, res: { ok: true; reservation: Reservation } | ReservationError): void {
    if (res.ok) this.replies.push({ op, ok: true, reservationId: res.reservation.id, state: res.reservation.state, count: res.reservation.count });
    else this.replyError(op, res);
  }

  private replyError(op: ClientOp, e: ReservationError): void {
    this.replies.push({ op, ok: false, reservationId: e.reservationId === '' ? null : e.reservationId, code: e.code, message: e.message });
  }

  durable(): EscrowDurable {
    return {
      kind: 'escrow',
      id: this.id,
      tokens: this.tokens,
      consumedDirect: this.consumedDirect,
      nextSeq: [...this.nextSeq].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([to, seq]) => ({ to, seq })),
      outbox: this.outbox.map((e) => ({ ...e })),
      credited: this.creditedList(),
      reservations: this.table.durable(),
    };
  }

  private creditedList(): CreditedFrom[] {
    return [...this.credited]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([from, c]) => ({ from, upTo: c.upTo, above: [...c.above].sort((x, y) => x - y) }));
  }

  /**
   * The reservation views as of now. Most polls find no reservation changed since the last
   * snapshot (a view holds id, count and state only), so they share the last list instead of
   * copying the node's whole history: a list, once handed out, is never changed.
   */
  private reservationViews(): readonly ReservationView[] {
    const all = this.table.all();
    let changed = this.viewList === null || all.length !== this.views.length;
    for (let i = this.closedViews; i < all.length; i++) {
      const r = all[i]!;
      const v = this.views[i];
      if (v === undefined || v.state !== r.state) {
        this.views[i] = { id: r.id, count: r.count, state: r.state };
        changed = true;
      }
      if (i === this.closedViews && CLOSED_STATES.has(r.state)) this.closedViews++;
    }
    if (changed) this.viewList = this.views.slice();
    return this.viewList!;
  }

  snapshot(): NodeSnapshot {
    return {
      id: this.id,
      kind: 'escrow',
      tokens: this.tokens,
      consumedDirect: this.consumedDirect,
      reservations: this.reservationViews(),
      reserved: this.table.reservedTokens(),
      outbox: this.outbox.map((e) => ({ ...e })),
      credited: this.creditedList(),
      refusalStreak: this.refusalStreak,
      wantedTokens: this.wantedTokens(),
    };
  }
}
