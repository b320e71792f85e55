/**
 * The shapes shared by both seat-reservation designs (escrow and check-then-act): messages
 * between nodes, replies to clients, the Ready-style output of every step, and the snapshot the
 * invariant checkers read. Everything here is plain data so the kernel can deep-copy it.
 */
import type { Nanos } from '../../sim/time.ts';
import type { ReservationErrorCode, ReservationState } from './reservation.ts';

/** Tokens moving from `from` to `to`; identified by (from, to, seq), seq counting per link from 1. */
export interface TransferMsg {
  readonly type: 'transfer';
  readonly from: string;
  readonly to: string;
  readonly seq: number;
  readonly amount: number;
}

/** The receiver has durably credited transfer (to -> from, seq); `from` is the receiver. */
export interface TransferAckMsg {
  readonly type: 'transfer-ack';
  readonly from: string;
  readonly to: string;
  readonly seq: number;
}

/** Please send me `amount` tokens. `requestId` is unique per borrower. */
export interface BorrowRequestMsg {
  readonly type: 'borrow-request';
  readonly from: string;
  readonly to: string;
  readonly requestId: number;
  readonly amount: number;
}

/** The lender could not spare tokens; `availableTokens` is what it holds now. */
export interface BorrowRefusedMsg {
  readonly type: 'borrow-refused';
  readonly from: string;
  readonly to: string;
  readonly requestId: number;
  readonly availableTokens: number;
}

/** A child's periodic report to its coordinator (centralised rebalancing). */
export interface StatusReportMsg {
  readonly type: 'status-report';
  readonly from: string;
  readonly to: string;
  readonly tokens: number;
  /** Tokens its pending reservations and failed consumes are waiting for. */
  readonly wantedTokens: number;
  readonly refusalStreak: number;
}

/** Coordinator's order: send `amount` tokens to `giveTo`. */
export interface RebalanceOrderMsg {
  readonly type: 'rebalance-order';
  readonly from: string;
  readonly to: string;
  readonly giveTo: string;
  readonly amount: number;
}

/** Check-then-act gossip: the sender has admitted `sold` seats (held + confirmed), as of `version`. */
export interface SoldUpdateMsg {
  readonly type: 'sold-update';
  readonly from: string;
  readonly to: string;
  readonly version: number;
  readonly sold: number;
}

export type EscrowMsg =
  | TransferMsg
  | TransferAckMsg
  | BorrowRequestMsg
  | BorrowRefusedMsg
  | StatusReportMsg
  | RebalanceOrderMsg
  | SoldUpdateMsg;

/** The client operation a reply answers; 'notify' is an unsolicited state change (granted, expired). */
export type ClientOp = 'hold' | 'confirm' | 'cancel' | 'extend' | 'consume' | 'notify';

export type ClientReply =
  | { readonly op: ClientOp; readonly ok: true; readonly reservationId: string | null; readonly state: ReservationState | null; readonly count: number }
  | { readonly op: ClientOp; readonly ok: false; readonly reservationId: string | null; readonly code: ReservationErrorCode; readonly message: string };

/**
 * What one step produced, in the order the host must act (etcd raft's Ready): first write
 * `persist` (if not null) to durable storage and wait until it is durable; only then send
 * `messages` and deliver `replies`. If the node crashes before `persist` is durable, the host must
 * drop this step's messages and replies: they describe state that no longer exists.
 */
export interface NodeOutput<D> {
  readonly persist: D | null;
  readonly messages: EscrowMsg[];
  readonly replies: ClientReply[];
}

/** A reservation as the invariants see it. */
export interface ReservationView {
  readonly id: string;
  readonly count: number;
  readonly state: ReservationState;
}

/** An unacked outgoing transfer. */
export interface OutboxEntry {
  readonly to: string;
  readonly seq: number;
  readonly amount: number;
}

/** Which transfers from `from` this node has credited: every seq <= upTo, plus those in `above`. */
export interface CreditedFrom {
  readonly from: string;
  readonly upTo: number;
  readonly above: readonly number[];
}

/** Tokens of a node's reservations, summed by state (the states that hold or wait for seats). */
export interface ReservedTokens {
  readonly pending: number;
  readonly held: number;
  readonly confirmed: number;
}

/** One node's state as the invariant checkers see it. Plain data. */
export interface NodeSnapshot {
  readonly id: string;
  readonly kind: 'escrow' | 'check-then-act';
  /** Free local tokens (0 for check-then-act, which has none). */
  readonly tokens: number;
  /** Tokens consumed by `consume` (no reservation involved). */
  readonly consumedDirect: number;
  readonly reservations: readonly ReservationView[];
  /**
   * `reservations` summed by state, when the node keeps the sums as it goes: a check that needs
   * only totals then reads these instead of walking every reservation the node ever made (a long
   * run's history). Absent: sum the list. Present, they must equal the list's sums
   * (`reservedTokensDrift` says where they do not).
   */
  readonly reserved?: ReservedTokens;
  readonly outbox: readonly OutboxEntry[];
  readonly credited: readonly CreditedFrom[];
  /** Borrow requests refused in a row since the last tokens arrived. */
  readonly refusalStreak: number;
  /** Tokens pending reservations and failed consumes are waiting for. */
  readonly wantedTokens: number;
}

/** Every node plus the messages in flight, taken at one instant of simulated time. */
export interface GlobalSnapshot {
  /** The resource's total capacity C. */
  readonly capacity: number;
  readonly nodes: readonly NodeSnapshot[];
  /** Messages sent and not yet delivered or dropped (duplicates appear more than once). */
  readonly messages: readonly EscrowMsg[];
}

/** The request a client makes to hold seats. */
export interface HoldRequest {
  readonly reservationId: string;
  readonly count: number;
}

/**
 * A seat-reservation node. Both designs implement it, so a scenario can swap the escrow node for
 * the check-then-act one and watch never-oversell fail. Every method is a pure step: it changes
 * the node's memory and returns what to persist, send and reply; time is a parameter.
 */
export interface SeatNode<D = unknown> {
  readonly id: string;
  readonly kind: 'escrow' | 'check-then-act';
  hold(req: HoldRequest, nowNs: Nanos): NodeOutput<D>;
  confirm(reservationId: string, nowNs: Nanos): NodeOutput<D>;
  cancel(reservationId: string, nowNs: Nanos): NodeOutput<D>;
  extend(reservationId: string, nowNs: Nanos): NodeOutput<D>;
  /** Take `count` tokens at once, without a reservation. */
  consume(count: number, nowNs: Nanos): NodeOutput<D>;
  receive(msg: EscrowMsg, nowNs: Nanos): NodeOutput<D>;
  /** Timer work: reaper, retransmissions, refills, reports, rebalancing. Call every few ms. */
  tick(nowNs: Nanos): NodeOutput<D>;
  /** A deep copy of the durable state (what a crash keeps if every `persist` was written). */
  durable(): D;
  snapshot(): NodeSnapshot;
}
