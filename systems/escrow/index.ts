/**
 * detsim's escrow and reservation service: the pure core (seed ch. 9: i-confluence, escrow,
 * multi-level escrow, reservations). No I/O, no timers, time is a parameter.
 *
 * How a host (the simulator) drives a node:
 *  - Build it with `createSeatNode(config, initialTokens)` (tokens from `allocate`), write
 *    `node.durable()` to disk once, then call `hold/confirm/cancel/extend/consume` for client
 *    requests, `receive(msg)` for every message addressed to it, and `tick(now)` every few ms.
 *  - Every call returns a `NodeOutput`: write `persist` (if non-null) durably FIRST, then send
 *    `messages` (each names its `to`) and deliver `replies`. If the node crashes before the write
 *    is durable, drop that output.
 *  - After a crash, `restoreSeatNode(config, durableFromDisk)`.
 *  - Between events, build a `GlobalSnapshot` (up nodes: `node.snapshot()`; down nodes:
 *    `snapshotOfDurable(disk)`; plus the messages in flight) and call `checkEscrowInvariants`.
 *  - The network may drop, duplicate, delay and reorder messages: the protocol survives all four.
 */

// Allocation of the capacity C across regions / nodes.
export { allocate, apportion, type AllocationPolicy } from './allocation.ts';

// Reservations: the state machine and the per-node table (used inside both seat designs).
export {
  ALLOWED_TRANSITIONS,
  CLOSED_STATES,
  isAllowedTransition,
  isReachable,
  ReservationTable,
  reservationAt,
  reservationError,
  durableReservations,
  sharedClosedCount,
  type DurableReservations,
  type HoldPolicy,
  type Reservation,
  type ReservationBugs,
  type ReservationError,
  type ReservationErrorCode,
  type ReservationResult,
  type ReservationState,
  type ReservationTableDurable,
  type ReapResult,
} from './reservation.ts';

// The escrow replica (good design) and its configuration, refill policies and bug switches.
export {
  EscrowReplica,
  type CoordinatorPolicy,
  type EscrowBugs,
  type EscrowDurable,
  type EscrowReplicaConfig,
  type LenderChoice,
  type RefillPolicy,
} from './replica.ts';

// The check-then-act seat node (bad design of the worked example), same SeatNode interface.
export { CheckThenActNode, type CheckThenActConfig, type CheckThenActDurable } from './check-then-act.ts';

// One door for scenarios: pick the design from config.bugs.checkThenAct.
export { createSeatNode, restoreSeatNode, snapshotOfDurable, type SeatDurable } from './seat.ts';

// Messages, replies, step output, snapshots, the SeatNode interface.
export type {
  BorrowRefusedMsg,
  BorrowRequestMsg,
  ClientOp,
  ClientReply,
  CreditedFrom,
  EscrowMsg,
  GlobalSnapshot,
  HoldRequest,
  NodeOutput,
  NodeSnapshot,
  OutboxEntry,
  ReservedTokens,
  RebalanceOrderMsg,
  ReservationView,
  SeatNode,
  SoldUpdateMsg,
  StatusReportMsg,
  TransferAckMsg,
  TransferMsg,
} from './types.ts';

// Invariants over a global snapshot: each returns a violation message or null.
export {
  checkAckedConfirmations,
  checkConfirmedNeverLost,
  checkConservation,
  checkEscrowInvariants,
  checkNeverOversell,
  checkTransitions,
  committedTokens,
  inFlightTokens,
  reservedTokensDrift,
  reservedTokensOf,
  sumReservedTokens,
} from './invariants.ts';

// Fairness and starvation.
export { detectStarvation, jainIndex, regionLoadOf, type RegionLoad, type StarvationOptions, type StarvationReport } from './fairness.ts';
