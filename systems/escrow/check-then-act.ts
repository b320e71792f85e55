/**
 * The BAD seat-reservation design of the seed's worked example (ch. 9.1.2): "check, then act".
 * Each node keeps a view of how many seats every other node has sold (gossiped), checks
 * `soldEverywhere + count <= capacity` against that view, then sells and tells the others.
 *
 * The invariant "sold <= capacity" is not i-confluent: two nodes that both see one seat left both
 * sell it, and merging their states breaks the bound. Under concurrency (two requests within one
 * gossip delay) or a partition (stale views for its whole length) this oversells. It exists so
 * scenarios can swap it in for `EscrowReplica` and show never-oversell failing; it is selected by
 * `EscrowBugs.checkThenAct`.
 */
import { assert } from '../../sim/assert.ts';
import type { Nanos } from '../../sim/time.ts';
import { ReservationTable, reservationError, type HoldPolicy, type ReservationError, type ReservationTableDurable, type Reservation } from './reservation.ts';
import type { ClientOp, ClientReply, EscrowMsg, HoldRequest, NodeOutput, NodeSnapshot, SeatNode } from './types.ts';

export interface CheckThenActConfig {
  readonly id: string;
  /** Seats in total, C. */
  readonly capacity: number;
  /** Every other node; each is told about every sale. */
  readonly peers: readonly string[];
  readonly hold: HoldPolicy;
  /** Anti-entropy: the node's own count is re-gossiped this often (it is also sent on every change). */
  readonly gossipIntervalNs: Nanos;
}

export interface CheckThenActDurable {
  readonly kind: 'check-then-act';
  readonly id: string;
  readonly consumedDirect: number;
  /** Version of this node's own sold count; grows with every change so peers keep the newest. */
  readonly version: number;
  readonly reservations: ReservationTableDurable;
}

export class CheckThenActNode implements SeatNode<CheckThenActDurable> {
  readonly kind = 'check-then-act' as const;
  readonly id: string;
  private readonly table: ReservationTable;
  private consumedDirect: number;
  private version: number;
  /** What this node believes every peer has sold. Volatile: relearned from gossip. */
  private readonly view = new Map<string, { version: number; sold: number }>();
  private nextGossipAtNs: Nanos = 0;
  private dirty = false;
  private messages: EscrowMsg[] = [];
  private replies: ClientReply[] = [];

  private constructor(readonly config: CheckThenActConfig, d: CheckThenActDurable) {
    assert(d.id === config.id, `durable state of ${d.id} given to node ${config.id}`);
    this.id = config.id;
    this.consumedDirect = d.consumedDirect;
    this.version = d.version;
    this.table = new ReservationTable(config.hold, {}, d.reservations);
  }

  static create(config: CheckThenActConfig): CheckThenActNode {
    return new CheckThenActNode(config, { kind: 'check-then-act', id: config.id, consumedDirect: 0, version: 0, reservations: { reservations: [], reapQueue: [] } });
  }

  static restore(config: CheckThenActConfig, durable: CheckThenActDurable): CheckThenActNode {
    return new CheckThenActNode(config, durable);
  }

  /** Seats this node has sold: held + confirmed + consumed. */
  private soldHere(): number {
    return this.table.heldTokens() + this.table.confirmedTokens() + this.consumedDirect;
  }

  /** The check: what this node believes is sold everywhere. Stale by up to a gossip delay, or a partition. */
  private soldEverywhere(): number {
    let n = this.soldHere();
    for (const p of this.config.peers) n += this.view.get(p)?.sold ?? 0;
    return n;
  }

  hold(req: HoldRequest, nowNs: Nanos): NodeOutput<CheckThenActDurable> {
    this.begin();
    if (this.soldEverywhere() + req.count > this.config.capacity) {
      this.replyError('hold', reservationError('sold-out', req.reservationId, `${this.soldEverywhere()} of ${this.config.capacity} seats sold`));
    } else {
      const res = this.table.createHeld(req.reservationId, req.count, nowNs);
      this.reply('hold', res);
      if (res.ok) this.changed();
    }
    return this.finish();
  }

  consume(count: number, _nowNs: Nanos): NodeOutput<CheckThenActDurable> {
    this.begin();
    if (!Number.isSafeInteger(count) || count <= 0) {
      this.replyError('consume', reservationError('invalid-count', '', `count must be a positive integer, got ${count}`));
    } else if (this.soldEverywhere() + count > this.config.capacity) {
      this.replyError('consume', reservationError('sold-out', '', `${this.soldEverywhere()} of ${this.config.capacity} seats sold`));
    } else {
      this.consumedDirect += count;
      this.replies.push({ op: 'consume', ok: true, reservationId: null, state: null, count });
      this.changed();
    }
    return this.finish();
  }

  confirm(reservationId: string, nowNs: Nanos): NodeOutput<CheckThenActDurable> {
    this.begin();
    const before = this.table.get(reservationId)?.state;
    const res = this.table.confirm(reservationId, nowNs);
    if (res.ok && before !== 'confirmed') this.dirty = true;
    this.reply('confirm', res);
    return this.finish();
  }

  cancel(reservationId: string, _nowNs: Nanos): NodeOutput<CheckThenActDurable> {
    this.begin();
    const res = this.table.cancel(reservationId);
    if (res.ok) {
      this.reply('cancel', res);
      this.changed();
    } else this.replyError('cancel', res);
    return this.finish();
  }

  extend(reservationId: string, nowNs: Nanos): NodeOutput<CheckThenActDurable> {
    this.begin();
    const res = this.table.extend(reservationId, nowNs);
    if (res.ok) this.dirty = true;
    this.reply('extend', res);
    return this.finish();
  }

  receive(msg: EscrowMsg, _nowNs: Nanos): NodeOutput<CheckThenActDurable> {
    this.begin();
    assert(msg.to === this.id, `node ${this.id} got a message for ${msg.to}`);
    if (msg.type === 'sold-update') {
      const known = this.view.get(msg.from);
      if (!known || msg.version > known.version) this.view.set(msg.from, { version: msg.version, sold: msg.sold });
    }
    return this.finish();
  }

  tick(nowNs: Nanos): NodeOutput<CheckThenActDurable> {
    this.begin();
    const reaped = this.table.reap(nowNs);
    if (reaped.changed) this.dirty = true;
    if (reaped.expired.length > 0) {
      for (const r of reaped.expired) this.replies.push({ op: 'notify', ok: true, reservationId: r.id, state: r.state, count: r.count });
      this.changed();
    } else if (nowNs >= this.nextGossipAtNs) {
      this.broadcast();
    }
    if (nowNs >= this.nextGossipAtNs) this.nextGossipAtNs = nowNs + this.config.gossipIntervalNs;
    return this.finish();
  }

  /** "Act": our count changed; persist it with a new version and tell everyone. */
  private changed(): void {
    this.version++;
    this.dirty = true;
    this.broadcast();
  }

  private broadcast(): void {
    for (const p of this.config.peers) this.messages.push({ type: 'sold-update', from: this.id, to: p, version: this.version, sold: this.soldHere() });
  }

  private begin(): void {
    this.dirty = false;
    this.messages = [];
    this.replies = [];
  }

  private finish(): NodeOutput<CheckThenActDurable> {
    const out = { persist: this.dirty ? this.durable() : null, messages: this.messages, replies: this.replies };
    this.begin();
    return out;
  }

  private reply(op: ClientOp, res: { ok: true; reservation: Reservation } | ReservationError): void {
    if (res.ok) this.replies.push({ op, ok: true, reservationId: res.reservation.id, state: res.reservation.state, count: res.reservation.count });
    else this.replyError(op, res);
  }

  private replyError(op: ClientOp, e: ReservationError): void {
    this.replies.push({ op, ok: false, reservationId: e.reservationId === '' ? null : e.reservationId, code: e.code, message: e.message });
  }

  durable(): CheckThenActDurable {
    return { kind: 'check-then-act', id: this.id, consumedDirect: this.consumedDirect, version: this.version, reservations: this.table.durable() };
  }

  snapshot(): NodeSnapshot {
    return {
      id: this.id,
      kind: 'check-then-act',
      tokens: 0,
      consumedDirect: this.consumedDirect,
      reservations: this.table.all().map((r) => ({ id: r.id, count: r.count, state: r.state })),
      reserved: this.table.reservedTokens(),
      outbox: [],
      credited: [],
      refusalStreak: 0,
      wantedTokens: 0,
    };
  }
}
