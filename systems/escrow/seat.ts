/**
 * One door for scenarios: build or restore a seat node of either design from one config, so a
 * scenario swaps escrow for check-then-act by flipping `bugs.checkThenAct`.
 */
import { CheckThenActNode, type CheckThenActDurable } from './check-then-act.ts';
import { sumReservedTokens } from './invariants.ts';
import { EscrowReplica, type EscrowDurable, type EscrowReplicaConfig } from './replica.ts';
import type { NodeSnapshot, SeatNode } from './types.ts';

/** The durable state of either design; `kind` says which. */
export type SeatDurable = EscrowDurable | CheckThenActDurable;

function checkThenActConfig(config: EscrowReplicaConfig) {
  // Check-then-act has no parent: every node is a peer that must hear about every sale.
  const peers = config.parent !== null && !config.peers.includes(config.parent) ? [...config.peers, config.parent] : [...config.peers];
  return { id: config.id, capacity: config.capacity, peers, hold: config.hold, gossipIntervalNs: config.retransmitNs };
}

/**
 * A fresh seat node. With `config.bugs.checkThenAct` it is the bad check-then-act design (which
 * ignores `initialTokens`: it has no escrow); otherwise an escrow replica holding `initialTokens`.
 */
export function createSeatNode(config: EscrowReplicaConfig, initialTokens: number): SeatNode<SeatDurable> {
  if (config.bugs?.checkThenAct) return CheckThenActNode.create(checkThenActConfig(config));
  return EscrowReplica.create(config, initialTokens);
}

/** A seat node rebuilt from durable state alone (after a crash). */
export function restoreSeatNode(config: EscrowReplicaConfig, durable: SeatDurable): SeatNode<SeatDurable> {
  if (durable.kind === 'check-then-act') return CheckThenActNode.restore(checkThenActConfig(config), durable);
  return EscrowReplica.restore(config, durable);
}

/** The snapshot of a node that is down, read from its durable state (what a restart would see). */
export function snapshotOfDurable(durable: SeatDurable): NodeSnapshot {
  const reservations = durable.reservations.reservations.map((r) => ({ id: r.id, count: r.count, state: r.state }));
  // Summed here, once per outage, so every poll reads the sums.
  const reserved = sumReservedTokens(reservations);
  if (durable.kind === 'check-then-act') {
    return { id: durable.id, kind: 'check-then-act', tokens: 0, consumedDirect: durable.consumedDirect, reservations, reserved, outbox: [], credited: [], refusalStreak: 0, wantedTokens: 0 };
  }
  const pending = reserved.pending;
  return {
    id: durable.id, kind: 'escrow', tokens: durable.tokens, consumedDirect: durable.consumedDirect, reservations, reserved,
    outbox: durable.outbox.map((e) => ({ ...e })), credited: durable.credited.map((c) => ({ from: c.from, upTo: c.upTo, above: [...c.above] })),
    refusalStreak: 0, wantedTokens: Math.max(0, pending - durable.tokens),
  };
}
