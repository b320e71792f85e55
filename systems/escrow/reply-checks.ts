/**
 * What a buyer is told, judged against the state of the node that answered as it was when the
 * request arrived (never against what the reply itself claims):
 *
 *  - `hold-served-locally`: escrow's whole point (seed ch. 9.1.2 step 4, 9.3.1): a replica sells
 *    from its own tokens without asking anyone. So a hold that fits the free tokens of the node it
 *    reaches, beyond what that node's waiting (pending) holds need, is granted at once: the reply
 *    says `held`. Parked `pending` (waiting for a borrow or a timer) or refused while such tokens
 *    sit there is a defect: the buyer waits, polls or leaves while seats are idle, and nothing
 *    oversells, so no safety invariant sees it. The bound leaves the design free to serve waiting
 *    holds first (first come, first served) or not: the tokens it counts are spare either way.
 *  - `reply-answers-request`: a reply answers the operation and the reservation it was asked
 *    about; a granted hold says how many seats it holds, a confirmation says confirmed, a
 *    cancellation cancelled.
 *
 * The free tokens are read at every arrival of the request (the network may duplicate it, a buyer
 * retries after a timeout, a crash may undo the first attempt), and a refusal or a wait is judged
 * only if EVERY arrival found enough: a correct node may have answered any of them.
 */
import type { Envelope, NodeProgram } from '../../sim/node.ts';
import type { ClientRequest } from './host.ts';
import type { ClientReply, NodeSnapshot } from './types.ts';

/** The free tokens a hold may take at once: the node's pool, less what its waiting holds need. */
export function spareTokens(s: NodeSnapshot): number {
  return s.tokens - (s.reserved?.pending ?? s.reservations.reduce((a, r) => a + (r.state === 'pending' ? r.count : 0), 0));
}

interface Arrival {
  readonly count: number;
  /** The fewest spare tokens any arrival of this hold found. */
  minSpare: number;
}

/**
 * The hold requests that reached a cluster's seat nodes, with the spare tokens each found. Off
 * until a workload asks for judgements (`enable`): a cluster nobody judges keeps nothing.
 */
export class HoldArrivals {
  private readonly byKey = new Map<string, Arrival>();
  private on = false;

  enable(): void {
    this.on = true;
  }

  /**
   * Wraps a seat node's program so every hold request it receives is recorded before the node
   * handles it. `seat` reads the node's state (escrow replicas only: a check-then-act node has
   * no tokens to spare, so its holds are not recorded).
   */
  watch<P extends NodeProgram>(nodeId: string, program: P, seat: () => NodeSnapshot): P {
    const inner = program.onMessage?.bind(program);
    if (inner === undefined) return program;
    program.onMessage = (env: Envelope) => {
      if (this.on) this.arrive(nodeId, env, seat);
      inner(env);
    };
    return program;
  }

  private arrive(nodeId: string, env: Envelope, seat: () => NodeSnapshot): void {
    const req = env.body as Partial<ClientRequest & { type: 'hold' }> | null;
    if (env.rpcId === undefined || req === null || typeof req !== 'object' || req.type !== 'hold' || typeof req.count !== 'number') return;
    const s = seat();
    if (s.kind !== 'escrow') return;
    const key = `${nodeId}\u0000${req.reservationId}`;
    const spare = spareTokens(s);
    const a = this.byKey.get(key);
    if (a === undefined) this.byKey.set(key, { count: req.count, minSpare: spare });
    else a.minSpare = Math.min(a.minSpare, spare);
  }

  /**
   * Judges the reply a buyer got to `hold(reservationId, count)` at `owner` (the node holding the
   * seats: the entry node itself, or the leader behind a front end). Null if it is fine.
   */
  judgeHold(owner: string, reservationId: string, count: number, reply: ClientReply): string | null {
    const key = `${owner}\u0000${reservationId}`;
    const a = this.byKey.get(key);
    this.byKey.delete(key);
    if (a === undefined || a.count !== count || a.minSpare < count) return null;
    if (reply.ok && reply.state === 'held') return null;
    // The first arrival made it; this reply answers a copy that came later.
    if (!reply.ok && reply.code === 'duplicate-reservation') return null;
    const said = reply.ok ? `${reply.state ?? 'no state'}` : `refused (${reply.code}: ${reply.message})`;
    return `hold ${reservationId} of ${count} seat(s) at ${owner} was answered ${said}, but ${owner} had ${a.minSpare} spare token(s) when it arrived: a hold that fits the local tokens must sell from them at once`;
  }
}

/**
 * `reply-answers-request`: null if `reply` answers `req` (same operation, same reservation; a
 * granted hold holds `req.count` seats, a confirmation says confirmed, a cancellation cancelled).
 */
export function replyMismatch(req: ClientRequest, reply: ClientReply): string | null {
  if (req.type === 'consume') return reply.op === 'consume' ? null : `a consume was answered as a ${reply.op}`;
  const what = `${req.type} ${req.reservationId}`;
  if (reply.op !== req.type) return `${what} was answered as a ${reply.op}`;
  if (reply.reservationId !== req.reservationId) return `${what} was answered about reservation ${String(reply.reservationId)}`;
  if (!reply.ok) return null;
  if (req.type === 'hold') {
    if (reply.count !== req.count) return `${what} of ${req.count} seat(s) was granted ${reply.count}`;
    if (reply.state !== 'held' && reply.state !== 'pending') return `${what} was granted in state ${String(reply.state)}`;
  }
  if (req.type === 'confirm' && reply.state !== 'confirmed') return `${what} succeeded in state ${String(reply.state)}`;
  if (req.type === 'cancel' && reply.state !== 'cancelled') return `${what} succeeded in state ${String(reply.state)}`;
  return null;
}
