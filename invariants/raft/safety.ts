/**
 * Raft's safety properties (Figure 3 of the paper), checked as the run goes from god's-eye hooks
 * in every node's host, plus the store's "no acknowledged write is lost":
 *
 *  - election safety: at most one leader per term;
 *  - leader append-only: a leader never overwrites or deletes entries of its own log;
 *  - log matching: two logs with an entry of the same index and term hold the same prefix up to
 *    it (compared by chain hash, so a whole prefix costs O(1));
 *  - leader completeness: a new leader's log holds every entry committed before its election;
 *  - state machine safety: no two nodes commit or apply different entries at one index;
 *  - no acknowledged write lost: the entry a client's write was acknowledged at is never
 *    replaced;
 *  - no acknowledged append lost: a node that told a leader it holds its log up to index i
 *    still holds it after a crash (unless a later leader legitimately overwrote it), since the
 *    leader counted that acknowledgement towards a commit.
 *
 * Each violation is reported once through `report`, which a scenario wires to `w.violation`
 * (the run stops there). The checks run inside the event that produced the state, before any
 * message it produced is sent, so they fire before a downstream protocol assertion would.
 */
import type { NodeId } from '../../sim/node.ts';
import type { RaftHost, RaftHostHooks } from '../../systems/raft/host.ts';
import type { Entry, Message, Ready, SoftState } from '../../systems/raft/types.ts';

export type RaftInvariant =
  | 'election-safety'
  | 'leader-append-only'
  | 'log-matching'
  | 'leader-completeness'
  | 'state-machine-safety'
  | 'acknowledged-write-lost'
  | 'acknowledged-append-lost';

export class RaftSafetyChecker implements RaftHostHooks {
  /** The leader of each term seen so far. */
  readonly leaders = new Map<number, NodeId>();
  /** Chain hash of every (index, term) any node persisted. */
  private readonly chains = new Map<string, number>();
  /** Chain hash of each committed index (as the first node to commit it held it). */
  readonly committed = new Map<number, number>();
  maxCommitted = 0;
  private readonly commitSeen = new Map<NodeId, number>();
  private readonly soft = new Map<NodeId, SoftState>();
  private readonly lastPersisted = new Map<NodeId, number>();
  /** Highest index each node acknowledged holding (lowered when its log is legitimately cut). */
  private readonly ackedTo = new Map<NodeId, number>();
  /** Index -> the acknowledged write applied there. */
  private readonly acked = new Map<number, { client: string; seq: number; chain: number }>();
  violations = 0;
  /** Elections seen (for metrics). */
  elections = 0;

  constructor(private readonly report: (invariant: RaftInvariant, message: string) => void) {}

  private fail(inv: RaftInvariant, msg: string): void {
    this.violations++;
    this.report(inv, msg);
  }

  onRecover(h: RaftHost): void {
    const acked = this.ackedTo.get(h.id) ?? 0;
    if (h.chainLast < acked) {
      this.fail('acknowledged-append-lost', `${h.id} acknowledged holding the log up to index ${acked}, but recovered only up to ${h.chainLast} from its disk after a restart`);
    }
    this.ackedTo.set(h.id, Math.min(acked, h.chainLast));
    this.soft.delete(h.id);
    this.lastPersisted.set(h.id, h.chainLast);
    this.commitSeen.set(h.id, h.snapshotIndex);
    this.recordCommits(h, h.raft.commitIndex);
  }

  onReady(h: RaftHost, rd: Ready): void {
    const prev = this.soft.get(h.id);
    const ss = rd.softState ?? prev;
    const prevLast = this.lastPersisted.get(h.id) ?? 0;
    if (prev !== undefined && ss !== undefined && prev.role === 'leader' && ss.role === 'leader' && prev.term === ss.term) {
      const overwrote = rd.truncateFrom !== null || rd.snapshot !== null || (rd.entries.length > 0 && rd.entries[0]!.index <= prevLast);
      if (overwrote) this.fail('leader-append-only', `leader ${h.id} of term ${ss.term} overwrote its own log (truncate from ${rd.truncateFrom ?? rd.entries[0]?.index}, had up to ${prevLast})`);
    }
    for (const e of rd.entries) this.checkMatching(h, e);
    let acked = this.ackedTo.get(h.id) ?? 0;
    if (rd.snapshot !== null) acked = Math.min(acked, rd.snapshot.index);
    const cut = Math.min(rd.truncateFrom ?? Infinity, rd.entries[0]?.index ?? Infinity);
    if (cut <= prevLast) acked = Math.min(acked, cut - 1);
    this.ackedTo.set(h.id, acked);
    if (rd.softState !== null) {
      this.soft.set(h.id, rd.softState);
      if (rd.softState.role === 'leader') this.onElected(h, rd.softState.term);
    }
    this.lastPersisted.set(h.id, h.chainLast);
    this.recordCommits(h, h.raft.commitIndex);
  }

  /** Acknowledgements count once they leave the node. */
  onSend(h: RaftHost, msgs: readonly Message[]): void {
    let acked = this.ackedTo.get(h.id) ?? 0;
    for (const m of msgs) if (m.type === 'appResp' && !m.reject && m.index > acked) acked = m.index;
    this.ackedTo.set(h.id, acked);
  }

  onApply(h: RaftHost, e: Entry, chain: number): void {
    this.checkCommitted(h, e.index, chain, 'applies');
  }

  /** A store hook: the write (client, seq) was acknowledged after applying at `index`. */
  onAck(node: NodeId, index: number, client: string, seq: number): void {
    const chain = this.committed.get(index);
    if (chain !== undefined) this.acked.set(index, { client, seq, chain });
    void node;
  }

  private checkMatching(h: RaftHost, e: Entry): void {
    const c = h.chainAt(e.index);
    if (c === undefined) return;
    const k = `${e.index}:${e.term}`;
    const seen = this.chains.get(k);
    if (seen === undefined) this.chains.set(k, c);
    else if (seen !== c) this.fail('log-matching', `${h.id} holds entry ${e.index} of term ${e.term} after a log prefix that differs from another node's with the same entry`);
  }

  private onElected(h: RaftHost, term: number): void {
    this.elections++;
    const other = this.leaders.get(term);
    if (other !== undefined && other !== h.id) {
      this.fail('election-safety', `two leaders in term ${term}: ${other} and ${h.id}`);
      return;
    }
    this.leaders.set(term, h.id);
    const c = this.maxCommitted;
    if (c === 0) return;
    if (c > h.chainLast) {
      this.fail('leader-completeness', `${h.id} became leader of term ${term} with a log ending at ${h.chainLast}, without entry ${c}, which was committed before`);
      return;
    }
    const at = Math.max(c, h.snapshotIndex);
    const want = this.committed.get(at);
    const have = h.chainAt(at);
    if (want !== undefined && have !== want) {
      this.fail('leader-completeness', `${h.id} became leader of term ${term} with a different entry at committed index ${at} than the one committed before`);
    }
  }

  private recordCommits(h: RaftHost, commit: number): void {
    const from = Math.max(this.commitSeen.get(h.id) ?? 0, h.snapshotIndex);
    for (let i = from + 1; i <= commit; i++) {
      const c = h.chainAt(i);
      if (c === undefined) break;
      this.checkCommitted(h, i, c, 'commits');
    }
    if (commit > (this.commitSeen.get(h.id) ?? 0)) this.commitSeen.set(h.id, commit);
  }

  private checkCommitted(h: RaftHost, index: number, chain: number, verb: string): void {
    const ack = this.acked.get(index);
    if (ack !== undefined && ack.chain !== chain) {
      this.fail('acknowledged-write-lost', `${h.id} ${verb} a different entry at index ${index}, where the write ${ack.client}#${ack.seq} was applied and acknowledged`);
      return;
    }
    const seen = this.committed.get(index);
    if (seen === undefined) {
      this.committed.set(index, chain);
      if (index > this.maxCommitted) this.maxCommitted = index;
    } else if (seen !== chain) {
      this.fail('state-machine-safety', `${h.id} ${verb} a different entry (or log prefix) at index ${index} than another node committed there`);
    }
  }
}
