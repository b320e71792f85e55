/**
 * What Raft costs in messages (issue 17, "messages per operation"): request messages and bytes
 * per agreed entry, per election and per idle second, measured on the simulated network's
 * per-type counts (sim/network/network.ts messageMetrics) of a config-store cluster (systems/kv).
 *
 * "Request messages" are the ones a node starts: append, heartbeat, (pre-)vote, snapshot and a
 * forwarded read index; replies ride on them (an RPC counts once, as in the Raft test suites that
 * bound RPCs per agreement). Bytes are the network's deterministic estimate of each copied body.
 *
 * Used by the run metrics of every raft-* scenario (`metrics.raftMessages`); the controlled
 * measurement (one election, N agreed entries, an idle cluster) is systems/kv/message-cost.ts.
 */
import type { MessageMetrics, Network } from '../../sim/network/network.ts';
import type { Nanos } from '../../sim/time.ts';

/** The Raft message types a node starts (each answered by one reply type). */
export const RAFT_REQUEST_TYPES = ['app', 'heartbeat', 'vote', 'preVote', 'snap', 'readIndex'] as const;
/** The message types of an election (requests and their replies). */
export const RAFT_ELECTION_TYPES = ['vote', 'voteResp', 'preVote', 'preVoteResp'] as const;

/** Messages and bytes of some types so far. */
export function countTypes(net: Network, types: readonly string[]): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const t of types) {
    const c = net.messagesOfType(t);
    count += c.count;
    bytes += c.bytes;
  }
  return { count, bytes };
}

/** The same from a run's `metrics.messages`. */
export function countTypesIn(m: Pick<MessageMetrics, 'byType'>, types: readonly string[]): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const t of types) {
    const c = m.byType[t];
    if (c) {
      count += c.count;
      bytes += c.bytes;
    }
  }
  return { count, bytes };
}

/**
 * A run's Raft message figures (`metrics.raftMessages`): all-in ratios over the whole run, faults
 * and elections included, so they are upper bounds of the steady-state cost the bench measures.
 */
export function raftRunFigures(net: Network, committed: number, elections: number, simNs: Nanos): Record<string, number | null> {
  const req = countTypes(net, RAFT_REQUEST_TYPES);
  const app = countTypes(net, ['app']);
  const el = countTypes(net, RAFT_ELECTION_TYPES);
  const hb = countTypes(net, ['heartbeat']);
  const per = (x: number, n: number): number | null => (n > 0 ? Math.round((x / n) * 100) / 100 : null);
  return {
    requests: req.count,
    requestBytes: req.bytes,
    requestsPerEntry: per(req.count, committed),
    requestBytesPerEntry: per(req.bytes, committed),
    appendsPerEntry: per(app.count, committed),
    electionMessagesPerElection: per(el.count, elections),
    heartbeatsPerSecond: per(hb.count, simNs / 1e9),
  };
}
