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
import type { Disk } from '../../sim/disk/disk.ts';
import { HS_FILE, isRaftMessage, recoverDurable, type DurableState, type RaftHost } from '../../systems/raft/host.ts';
import type { HardState } from '../../systems/raft/types.ts';
import { checkWireAcks } from '../wire-acks.ts';

/**
 * What recovery would read from `disk` now, kept per disk while its durable image is unchanged
 * (Disk.durableVersion): a node sends many messages per fsync, and re-reading the log for each
 * was a large share of a loaded run.
 */
const durableCache = new WeakMap<Disk, { version: number; state: DurableState }>();
function durableState(disk: Disk): DurableState {
  const c = durableCache.get(disk);
  if (c !== undefined && c.version === disk.durableVersion) return c.state;
  const state = recoverDurable({ read: (f) => disk.readDurable(f) });
  durableCache.set(disk, { version: disk.durableVersion, state });
  return state;
}

export function checkRaftAcksDurable(w: World<unknown>, hostOf: (n: SimNode) => RaftHost | undefined): { judged: number } {
  return checkWireAcks(w, 'ack-not-durable', (from, to, body) => {
    if (!isRaftMessage(body)) return null;
    const m = body;
    if (m.term === 0 || m.type === 'preVote' || m.type === 'preVoteResp') return null;
    const disk = from.disk;
    if ((m.type === 'appResp' && !m.reject && m.index > 0) || (m.type === 'voteResp' && !m.reject)) {
      const d = durableState(disk);
      if (m.type === 'voteResp') {
        // A later durable term keeps the promise too: the node can never vote in term m.term again.
        if (d.hardState.term < m.term || (d.hardState.term === m.term && d.hardState.vote !== to))
          return `${from.id} granted its vote to ${to} in term ${m.term}, but its disk durably holds term ${d.hardState.term}, vote ${d.hardState.vote ?? 'none'}: a crash now would let it vote again`;
        return null;
      }
      if (m.type !== 'appResp') return null;
      const last = d.snapshot.index + d.entries.length;
      if (m.index > last) return `${from.id} told ${to} it holds the log up to ${m.index} (term ${m.term}), but its disk durably holds it only up to ${last}`;
      if (m.index > d.snapshot.index) {
        const durableTerm = d.entries[m.index - d.snapshot.index - 1]!.term;
        const memTerm = hostOf(from)?.raft.log.term(m.index);
        if (memTerm !== undefined && memTerm !== durableTerm)
          return `${from.id} told ${to} it holds entry ${m.index} of term ${memTerm}, but its disk durably holds an entry of term ${durableTerm} there`;
      }
      if (d.hardState.term < m.term) return `${from.id} acknowledged an append in term ${m.term}, but its disk durably holds term ${d.hardState.term}`;
      return null;
    }
    const hs = disk.readDurable<HardState>(HS_FILE).records[0];
    const term = hs === null || hs === undefined ? 0 : hs.term;
    if (term < m.term) {
      // The log's last durable entry may carry the term (recovery takes the larger): read it all.
      const d = durableState(disk);
      if (d.hardState.term < m.term) return `${from.id} sent ${m.type} in term ${m.term} to ${to}, but its disk durably holds term ${d.hardState.term}: a crash now would forget the term it spoke in`;
    }
    return null;
  });
}
