/**
 * The coordinated baseline the escrow design is measured against (seed ch. 9: "coordination
 * avoidance: 10-100x throughput"). Every sale goes through one leader: a region's front end
 * forwards each client operation to the leader and waits for its answer (a synchronous round trip
 * per operation, across the WAN for every region but the leader's own), and the leader makes the
 * operation durable before answering. The leader is an escrow host holding all C tokens that never
 * borrows or lends, so it cannot oversell and the same invariants and metrics apply to both designs.
 *
 * A front end keeps no state: if the leader does not answer in time the client gets no answer
 * either and retries, exactly as it would with a lost reply.
 */
import type { CallResult, NodeContext, NodeProgram } from '../../sim/node.ts';
import type { Nanos } from '../../sim/time.ts';
import type { ClusterCounters } from './host.ts';
import type { HoldPolicy } from './reservation.ts';
import type { EscrowBugs, EscrowReplicaConfig } from './replica.ts';
import type { ClientReply } from './types.ts';

export interface FrontEndOptions {
  readonly leader: string;
  /** How long to wait for the leader before giving up on a request (local ns). */
  readonly leaderTimeoutNs: Nanos;
  readonly counters?: ClusterCounters;
  /** Bug zoo: `frontEndsRelayNothing` (a dead baseline). */
  readonly bugs?: EscrowBugs;
}

export interface FrontEndProgram extends NodeProgram {
  /** Requests forwarded by this incarnation. */
  readonly forwarded: number;
}

/** A region's stateless front end: forwards every client request to the leader, relays the answer. */
export function coordinatedFrontEnd(ctx: NodeContext, opts: FrontEndOptions): FrontEndProgram {
  let forwarded = 0;
  return {
    get forwarded() {
      return forwarded;
    },
    onMessage(env) {
      if (env.rpcId === undefined) return; // only client requests come here
      forwarded++;
      ctx.spawn('forward', (function* () {
        if (opts.counters) opts.counters.serverMessages++;
        const r: CallResult<ClientReply> = yield ctx.call<ClientReply>(opts.leader, env.body, opts.leaderTimeoutNs);
        // BUG (bug zoo) when frontEndsRelayNothing: the leader's answer is dropped.
        if (!r.ok || opts.bugs?.frontEndsRelayNothing === true) return;
        if (opts.counters) opts.counters.serverMessages++;
        ctx.reply(env, r.body);
      })());
    },
  };
}

/** The leader's replica config: all tokens, no refill, no peers, no parent. */
export function coordinatedLeaderConfig(id: string, capacity: number, hold: HoldPolicy, retransmitNs: Nanos, bugs: EscrowBugs = {}): EscrowReplicaConfig {
  return {
    id, capacity, parent: null, peers: [], refill: { kind: 'none' }, coordinator: null, lendFloorTokens: 0,
    retransmitNs, borrowTimeoutNs: retransmitNs, hold, bugs,
  };
}
