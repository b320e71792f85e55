/**
 * ack-not-durable (Raft): every Raft message a server sends is judged against its disk's durable
 * state at the moment it leaves (invariants/wire-acks.ts), as recovery would read it
 * (`recoverDurable`):
 *
 *  - a successful append response for index i: the durable log holds entry i, of the term the
 *    node's log has there (or a durable snapshot covers i);
 *  - a granted vote in term t: the durable hard state is term t with the vote for that candidate,
 *    or a later term (the node can never vote in term t again);
 *  - any message of term t (PreVote traffic excepted: it speaks of a future term): the durable
 *    term is at least t (a node must never speak in a term it could forget).
 *
 * The older acknowledged-append-lost check needs a crash inside the unsynced window to see an
 * ack-before-fsync; this one sees every early ack, on any run.
 */
import type { SimNode } from '../../sim/node.ts';
import type { World } from '../../sim/scenario.ts';
import { isRaftMessage, type RaftHost } from '../../systems/raft/host.ts';
import { checkWireAcks } from '../wire-acks.ts';
import { durableRaftView } from './durable-view.ts';

/**
 * What recovery would read from a node's disk now comes from its DurableRaftView (durable-view.ts):
 * the same answers as `recoverDurable` on the durable image, followed incrementally as the log
 * grows instead of re-read after every fsync (a node sends many messages per fsync, and a fsync
 * per Ready: re-reading the whole log each time was a large share of a loaded run).
 */
export function checkRaftAcksDurable(w: World<unknown>, hostOf: (n: SimNode) => RaftHost | undefined): { judged: number } {
  return checkWireAcks(w, 'ack-not-durable', (from, to, body) => {
    if (!isRaftMessage(body)) return null;
    const m = body;
    if (m.term === 0 || m.type === 'preVote' || m.type === 'preVoteResp') return null;
    const disk = from.disk;
    if ((m.type === 'appResp' && !m.reject && m.index > 0) || (m.type === 'voteResp' && !m.reject)) {
      const d = durableRaftView(disk);
      if (m.type === 'voteResp') {
        // A later durable term keeps the promise too: the node can never vote in term m.term again.
        if (d.hardTerm < m.term || (d.hardTerm === m.term && d.hardVote !== to))
          return `${from.id} granted its vote to ${to} in term ${m.term}, but its disk durably holds term ${d.hardTerm}, vote ${d.hardVote ?? 'none'}: a crash now would let it vote again`;
        return null;
      }
      if (m.type !== 'appResp') return null;
      const last = d.last;
      if (m.index > last) return `${from.id} told ${to} it holds the log up to ${m.index} (term ${m.term}), but its disk durably holds it only up to ${last}`;
      if (m.index > d.snapshotIndex) {
        const durableTerm = d.termAt(m.index);
        const memTerm = hostOf(from)?.raft.log.term(m.index);
        if (memTerm !== undefined && memTerm !== durableTerm)
          return `${from.id} told ${to} it holds entry ${m.index} of term ${memTerm}, but its disk durably holds an entry of term ${durableTerm} there`;
      }
      if (d.hardTerm < m.term) return `${from.id} acknowledged an append in term ${m.term}, but its disk durably holds term ${d.hardTerm}`;
      return null;
    }
    // Any other message: the durable term (the hard state's, or the last durable entry's if larger,
    // as recovery takes it) must have reached the message's term.
    const d = durableRaftView(disk);
    if (d.hardTerm < m.term) return `${from.id} sent ${m.type} in term ${m.term} to ${to}, but its disk durably holds term ${d.hardTerm}: a crash now would forget the term it spoke in`;
    return null;
  });
}
