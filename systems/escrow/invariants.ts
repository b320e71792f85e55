/**
 * Safety invariants of escrow and reservations, as pure functions over a global snapshot (every
 * node plus the messages in flight) that the simulator takes between events. Each returns a
 * violation message, or null if the invariant holds. A node that is down is represented by
 * `snapshotOfDurable(its durable state)`: that is what it will come back with.
 */
import { isReachable } from './reservation.ts';
import type { GlobalSnapshot, NodeSnapshot, ReservationView, ReservedTokens, TransferMsg } from './types.ts';

function creditedAt(node: NodeSnapshot, from: string, seq: number): boolean {
  const c = node.credited.find((x) => x.from === from);
  return c !== undefined && (seq <= c.upTo || c.above.includes(seq));
}

/** Reservations summed by state, from scratch: what a node's incremental `reserved` must equal. */
export function sumReservedTokens(reservations: readonly ReservationView[]): ReservedTokens {
  let pending = 0;
  let held = 0;
  let confirmed = 0;
  for (const r of reservations) {
    if (r.state === 'pending') pending += r.count;
    else if (r.state === 'held') held += r.count;
    else if (r.state === 'confirmed') confirmed += r.count;
  }
  return { pending, held, confirmed };
}

/** Sums of snapshots without `reserved`, already computed: never-oversell and conservation read the same snapshot. */
const summedOf = new WeakMap<NodeSnapshot, ReservedTokens>();

/** A node's reservations summed by state: its own sums if it keeps them, else the list's. */
export function reservedTokensOf(node: NodeSnapshot): ReservedTokens {
  if (node.reserved !== undefined) return node.reserved;
  let s = summedOf.get(node);
  if (s === undefined) {
    s = sumReservedTokens(node.reservations);
    summedOf.set(node, s);
  }
  return s;
}

/**
 * Null if the node's incremental sums (`reserved`) equal its list summed from scratch (or it keeps
 * none), else what differs. Linear in the node's history: for tests and sampled checks, not every poll.
 */
export function reservedTokensDrift(node: NodeSnapshot): string | null {
  if (node.reserved === undefined) return null;
  const want = sumReservedTokens(node.reservations);
  const got = node.reserved;
  if (got.pending === want.pending && got.held === want.held && got.confirmed === want.confirmed) return null;
  return `node ${node.id}'s reservation sums drifted from its reservations: pending/held/confirmed ${got.pending}/${got.held}/${got.confirmed} kept, ${want.pending}/${want.held}/${want.confirmed} in the list`;
}

/** Seats held, confirmed or consumed at a node. */
export function committedTokens(node: NodeSnapshot): number {
  const s = reservedTokensOf(node);
  return node.consumedDirect + s.held + s.confirmed;
}

/** Never oversell: held + confirmed + consumed, summed over all nodes, is at most C. */
export function checkNeverOversell(s: GlobalSnapshot): string | null {
  let total = 0;
  const parts: string[] = [];
  for (const n of s.nodes) {
    const c = committedTokens(n);
    total += c;
    parts.push(`${n.id}=${c}`);
  }
  if (total > s.capacity) return `oversold: ${total} seats held/confirmed/consumed > capacity ${s.capacity} (${parts.join(', ')})`;
  return null;
}

/** Tokens in flight: outbox entries their receiver has not credited yet. */
export function inFlightTokens(s: GlobalSnapshot): number {
  let n = 0;
  for (const node of s.nodes) {
    for (const e of node.outbox) {
      const to = s.nodes.find((x) => x.id === e.to);
      if (!to || !creditedAt(to, node.id, e.seq)) n += e.amount;
    }
  }
  return n;
}

/**
 * Conservation (escrow nodes only; null if there are none): free tokens + held + confirmed +
 * consumed + in flight = C exactly, no pool is negative, and every transfer message on the wire is
 * backed by its sender's outbox or already credited (otherwise its delivery would create tokens).
 */
export function checkConservation(s: GlobalSnapshot): string | null {
  const escrow = s.nodes.filter((n) => n.kind === 'escrow');
  if (escrow.length === 0) return null;
  for (const n of escrow) {
    if (!Number.isSafeInteger(n.tokens) || n.tokens < 0) return `node ${n.id} holds ${n.tokens} tokens`;
    for (const e of n.outbox) {
      if (!s.nodes.some((x) => x.id === e.to)) return `node ${n.id} has a transfer to unknown node ${e.to}`;
    }
  }
  let free = 0;
  let committed = 0;
  for (const n of escrow) {
    free += n.tokens;
    committed += committedTokens(n);
  }
  const inFlight = inFlightTokens(s);
  const total = free + committed + inFlight;
  if (total !== s.capacity) {
    return `conservation broken: free ${free} + held/confirmed/consumed ${committed} + in flight ${inFlight} = ${total}, capacity ${s.capacity}`;
  }
  for (const m of s.messages) {
    if (m.type !== 'transfer') continue;
    const t = m as TransferMsg;
    const sender = s.nodes.find((x) => x.id === t.from);
    const receiver = s.nodes.find((x) => x.id === t.to);
    const backed = sender?.outbox.some((e) => e.to === t.to && e.seq === t.seq && e.amount === t.amount) ?? false;
    const done = receiver !== undefined && creditedAt(receiver, t.from, t.seq);
    if (!backed && !done) return `phantom transfer ${t.from}->${t.to}#${t.seq} of ${t.amount}: not in the sender's outbox and not credited; delivering it creates tokens`;
  }
  return null;
}

/**
 * Reservation states move only along allowed transitions between two snapshots (several steps
 * may lie between them), counts never change, and no reservation disappears.
 */
export function checkTransitions(prev: GlobalSnapshot, next: GlobalSnapshot): string | null {
  for (const pn of prev.nodes) {
    const nn = next.nodes.find((x) => x.id === pn.id);
    if (!nn) return `node ${pn.id} disappeared from the snapshot`;
    const byId = new Map(nn.reservations.map((r) => [r.id, r]));
    for (const pr of pn.reservations) {
      const nr = byId.get(pr.id);
      if (!nr) return `reservation ${pr.id} at ${pn.id} disappeared (was ${pr.state})`;
      if (nr.count !== pr.count) return `reservation ${pr.id} at ${pn.id} changed count ${pr.count} -> ${nr.count}`;
      if (!isReachable(pr.state, nr.state)) return `illegal transition of reservation ${pr.id} at ${pn.id}: ${pr.state} -> ${nr.state}`;
    }
  }
  return null;
}

/** A reservation confirmed in `prev` is still there and confirmed in `next` (crashes included). */
export function checkConfirmedNeverLost(prev: GlobalSnapshot, next: GlobalSnapshot): string | null {
  for (const pn of prev.nodes) {
    const nn = next.nodes.find((x) => x.id === pn.id);
    for (const pr of pn.reservations) {
      if (pr.state !== 'confirmed') continue;
      const nr = nn?.reservations.find((r) => r.id === pr.id);
      if (!nr || nr.state !== 'confirmed') return `confirmed reservation ${pr.id} at ${pn.id} lost (now ${nr ? nr.state : 'missing'})`;
    }
  }
  return null;
}

/** A confirmation a client was told about (a successful confirm reply) is confirmed in `s`. */
export function checkAckedConfirmations(acked: readonly { readonly nodeId: string; readonly reservationId: string }[], s: GlobalSnapshot): string | null {
  for (const a of acked) {
    const r = s.nodes.find((n) => n.id === a.nodeId)?.reservations.find((x) => x.id === a.reservationId);
    if (!r || r.state !== 'confirmed') return `client was told ${a.reservationId} at ${a.nodeId} is confirmed, but it is ${r ? r.state : 'missing'}`;
  }
  return null;
}

/** All of the above; `prev` may be null for the first snapshot. The first violation, or null. */
export function checkEscrowInvariants(prev: GlobalSnapshot | null, next: GlobalSnapshot): string | null {
  return (
    checkNeverOversell(next) ??
    checkConservation(next) ??
    (prev ? checkTransitions(prev, next) ?? checkConfirmedNeverLost(prev, next) : null)
  );
}
