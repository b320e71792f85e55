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
 *    leader counted that acknowledgement towards a commit;
 *  - legal truncation: a node cuts its log only where the entry it receives conflicts with the
 *    one it held (a different term: §5.3 "if an existing entry conflicts"), never cutting an
 *    entry committed anywhere, and restores a snapshot only over entries nobody committed. So
 *    "acknowledged-append-lost" lowering its mark at a cut is judged, not trusted;
 *  - read index covers commits: a linearizable read is served at an index at least the highest
 *    commit index any node knew when the read arrived (ReadIndex and lease reads alike);
 *  - efficiency, monotonic progress: within one leader's term, its match index for a follower
 *    never moves backwards, and it never sends a follower entries that follower already
 *    acknowledged to it (judged against the match it held one Ready earlier, before the
 *    messages were made). A bug that only wastes messages breaks this, and nothing else.
 *
 * Each violation is reported once through `report`, which a scenario wires to `w.violation`
 * (the run stops there). The checks run inside the event that produced the state, before any
 * message it produced is sent, so they fire before a downstream protocol assertion would.
 */
import type { NodeId } from '../../sim/node.ts';
import { SNAP_FILE, type RaftHost, type RaftHostHooks } from '../../systems/raft/host.ts';
import type { Entry, Message, Ready, SoftState } from '../../systems/raft/types.ts';

export type RaftInvariant =
  | 'election-safety'
  | 'leader-append-only'
  | 'log-matching'
  | 'leader-completeness'
  | 'state-machine-safety'
  | 'acknowledged-write-lost'
  | 'acknowledged-append-lost'
  | 'illegal-truncation'
  | 'stale-read-index'
  | 'progress-monotonic'
  | 'no-resend-of-acknowledged';

export class RaftSafetyChecker implements RaftHostHooks {
  /** The leader of each term seen so far. */
  readonly leaders = new Map<number, NodeId>();
  /** Chain hash of every (index, term) any node persisted: index -> term -> chain. */
  private readonly chains = new Map<number, Map<number, number>>();
  /** Chain hash of each committed index (as the first node to commit it held it). */
  readonly committed = new Map<number, number>();
  maxCommitted = 0;
  /**
   * What the checker remembers of each node, in one record per node (first seen first): every
   * Ready reads and writes several of these, and one look-up per hook replaced about ten.
   */
  private readonly nodes = new Map<NodeId, NodeMemory>();
  /** Index -> the acknowledged write applied there. */
  private readonly acked = new Map<number, { client: string; seq: number; chain: number }>();
  violations = 0;
  /** Elections seen (for metrics). */
  elections = 0;
  readonly stats = { truncations: 0, reads: 0, resendChecks: 0, prunes: 0, prunedQueries: 0 };
  /**
   * Everything below this index has been forgotten (see `prune`): no node can hold, commit, apply
   * or compare an entry there any more, because every node's snapshot, in memory and on its disk,
   * is past it.
   */
  prunedBelow = 0;
  private readysSincePrune = 0;

  constructor(private readonly report: (invariant: RaftInvariant, message: string) => void) {}

  private fail(inv: RaftInvariant, msg: string): void {
    this.violations++;
    this.report(inv, msg);
  }

  /** The record of `h`'s node, made at its first hook; `host` is its current host (a restart makes a new one). */
  private memoryOf(h: RaftHost): NodeMemory {
    let m = this.nodes.get(h.id);
    if (m === undefined) this.nodes.set(h.id, (m = { host: h, soft: undefined, lastPersisted: 0, ackedTo: 0, commitSeen: 0, held: new Map(), progress: undefined }));
    else m.host = h;
    return m;
  }

  onRecover(h: RaftHost): void {
    const m = this.memoryOf(h);
    const acked = m.ackedTo;
    if (h.chainLast < acked) {
      this.fail('acknowledged-append-lost', `${h.id} acknowledged holding the log up to index ${acked}, but recovered only up to ${h.chainLast} from its disk after a restart`);
    }
    m.ackedTo = Math.min(acked, h.chainLast);
    const held = new Map<number, number>();
    for (let i = h.snapshotIndex; i <= h.chainLast; i++) held.set(i, h.chainAt(i)!);
    m.held = held;
    m.progress = undefined;
    m.soft = undefined;
    m.lastPersisted = h.chainLast;
    m.commitSeen = h.snapshotIndex;
    this.recordCommits(h, m, h.raft.commitIndex);
  }

  onReady(h: RaftHost, rd: Ready): void {
    const m = this.memoryOf(h);
    const prev = m.soft;
    const ss = rd.softState ?? prev;
    const prevLast = m.lastPersisted;
    if (prev !== undefined && ss !== undefined && prev.role === 'leader' && ss.role === 'leader' && prev.term === ss.term) {
      const overwrote = rd.truncateFrom !== null || rd.snapshot !== null || (rd.entries.length > 0 && rd.entries[0]!.index <= prevLast);
      if (overwrote) this.fail('leader-append-only', `leader ${h.id} of term ${ss.term} overwrote its own log (truncate from ${rd.truncateFrom ?? rd.entries[0]?.index}, had up to ${prevLast})`);
    }
    this.checkTruncation(h, m.held, rd, prevLast);
    for (const e of rd.entries) this.checkMatching(h, e);
    let acked = m.ackedTo;
    if (rd.snapshot !== null) acked = Math.min(acked, rd.snapshot.index);
    const cut = Math.min(rd.truncateFrom ?? Infinity, rd.entries[0]?.index ?? Infinity);
    if (cut <= prevLast) acked = Math.min(acked, cut - 1);
    m.ackedTo = acked;
    if (rd.softState !== null) {
      m.soft = rd.softState;
      if (rd.softState.role === 'leader') this.onElected(h, rd.softState.term);
    }
    m.lastPersisted = h.chainLast;
    this.recordCommits(h, m, h.raft.commitIndex);
    this.checkProgress(h, m, rd);
    if (++this.readysSincePrune >= PRUNE_EVERY_READYS) this.prune();
  }

  /**
   * Forgets the per-index memory (committed chains, acknowledged writes, persisted chains, what
   * each node held) below the lowest snapshot index of every node seen, in memory and on its disk
   * (a crash recovers the disk's snapshot, which may be older). Entries there are compacted
   * everywhere: no node can hold them again (a node's log, commits and applies start past its
   * snapshot; a snapshot on disk never moves back; one that reads back corrupt counts as index 0
   * and stops pruning), so no check can ask about them, and the checks keep their strength while
   * the checker's memory stays bounded by the span of the nodes' logs instead of growing with
   * the run. `stats.prunedQueries` counts any check that still asked (none should).
   */
  prune(): void {
    this.readysSincePrune = 0;
    let floor = Infinity;
    for (const { host: h } of this.nodes.values()) {
      floor = Math.min(floor, h.snapshotIndex, durableSnapshotIndex(h));
      if (floor <= this.prunedBelow) return;
    }
    if (!Number.isFinite(floor) || floor <= this.prunedBelow) return;
    this.stats.prunes++;
    for (let i = this.prunedBelow; i < floor; i++) {
      this.committed.delete(i);
      this.acked.delete(i);
      this.chains.delete(i);
      for (const m of this.nodes.values()) m.held.delete(i);
    }
    this.prunedBelow = floor;
  }

  /** How many per-index records the checker holds now (for tests: its memory stays bounded). */
  retained(): { committed: number; acked: number; chains: number; held: number } {
    let held = 0;
    for (const m of this.nodes.values()) held += m.held.size;
    let chains = 0;
    for (const m of this.chains.values()) chains += m.size;
    return { committed: this.committed.size, acked: this.acked.size, chains, held };
  }

  /**
   * Judges the Ready's cut of the node's log (before the Ready: entries up to `prevLast`). A cut
   * at c is legal only if the Ready writes an entry at c that differs from the one held there
   * (a conflict: same prefix, so a different chain means a different entry) and no entry from c
   * on that the node held was committed anywhere. A snapshot restore drops the whole log: legal
   * only if no dropped entry past the snapshot was committed as the node held it.
   */
  private checkTruncation(h: RaftHost, held: Map<number, number>, rd: Ready, prevLast: number): void {
    if (rd.snapshot !== null) {
      this.stats.truncations++;
      if (this.droppedCommitted(h, held, prevLast, rd.snapshot.index + 1, 'restoring the snapshot at', rd.snapshot.index)) return;
      held.clear();
      held.set(rd.snapshot.index, h.chainAt(rd.snapshot.index)!);
    }
    const cut = Math.min(rd.truncateFrom ?? Infinity, rd.entries[0]?.index ?? Infinity);
    if (rd.snapshot === null && cut <= prevLast) {
      this.stats.truncations++;
      const replaced = rd.entries.find((e) => e.index === cut);
      const before = held.get(cut);
      if (replaced === undefined) {
        this.fail('illegal-truncation', `${h.id} cut its log at ${cut} (it ran to ${prevLast}) without receiving an entry there to replace it`);
        return;
      }
      if (before !== undefined && before === h.chainAt(cut)) {
        this.fail('illegal-truncation', `${h.id} cut its log at ${cut} (it ran to ${prevLast}) though the entry it received there (term ${replaced.term}) is the one it held: only a conflicting suffix may be cut`);
        return;
      }
      if (this.droppedCommitted(h, held, prevLast, cut, 'cutting its log at', cut)) return;
      for (let i = cut; i <= prevLast; i++) held.delete(i);
    }
    for (const e of rd.entries) {
      const c = h.chainAt(e.index);
      if (c !== undefined) held.set(e.index, c);
    }
  }

  /** Reports (and returns true) if an entry from `from` to `prevLast` that `h` held was committed as it held it. (A method, not a closure per Ready: this runs on every Ready.) */
  private droppedCommitted(h: RaftHost, held: Map<number, number>, prevLast: number, from: number, what: string, at: number): boolean {
    for (let i = from; i <= prevLast; i++) {
      const c = held.get(i);
      if (c !== undefined && this.committed.get(i) === c) {
        this.fail('illegal-truncation', `${h.id} ${what} ${at} dropped entry ${i}, which it held as committed (its log ran to ${prevLast})`);
        return true;
      }
    }
    return false;
  }

  /** A linearizable read arrived at `h`: its index must cover the commit index known anywhere now. */
  onRead(h: RaftHost): (index: number) => void {
    let known = this.maxCommitted;
    let where = 'the checker';
    for (const [id, { host: o }] of this.nodes) {
      if (o.raft.commitIndex > known) {
        known = o.raft.commitIndex;
        where = id;
      }
    }
    const arrivedNs = h.ctx.now();
    return (index) => {
      this.stats.reads++;
      if (index < known)
        this.fail('stale-read-index', `a read arriving at ${h.id} (its local time ${arrivedNs} ns) was served at index ${index}, but ${where === 'the checker' ? 'a node' : where} already knew index ${known} committed when it arrived`);
    };
  }

  /** Monotonic leader progress; no acknowledged entry sent again (see the file comment). */
  private checkProgress(h: RaftHost, mem: NodeMemory, rd: Ready): void {
    const r = h.raft;
    if (r.role !== 'leader') {
      mem.progress = undefined;
      return;
    }
    let seen = mem.progress;
    if (seen === undefined || seen.term !== r.term) mem.progress = seen = { term: r.term, match: new Map() };
    for (const m of rd.messages) {
      if (m.type !== 'app' || m.entries.length === 0) continue;
      this.stats.resendChecks++;
      const acked = seen.match.get(m.to) ?? 0;
      if (m.entries[0]!.index <= acked)
        return this.fail('no-resend-of-acknowledged', `leader ${h.id} of term ${r.term} sent ${m.to} entries from ${m.entries[0]!.index}, but ${m.to} had already acknowledged holding up to ${acked} in this term`);
    }
    for (const p of h.opts.peers) {
      if (p === h.id) continue;
      const pr = r.progress(p);
      if (pr === undefined) continue;
      const before = seen.match.get(p) ?? 0;
      if (pr.match < before) return this.fail('progress-monotonic', `leader ${h.id} of term ${r.term} moved ${p}'s match index back from ${before} to ${pr.match}`);
      seen.match.set(p, pr.match);
    }
  }

  /** Acknowledgements count once they leave the node. */
  onSend(h: RaftHost, msgs: readonly Message[]): void {
    const mem = this.memoryOf(h);
    let acked = mem.ackedTo;
    for (const m of msgs) if (m.type === 'appResp' && !m.reject && m.index > acked) acked = m.index;
    mem.ackedTo = acked;
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
    if (e.index < this.prunedBelow) this.stats.prunedQueries++;
    let terms = this.chains.get(e.index);
    if (terms === undefined) this.chains.set(e.index, (terms = new Map()));
    const seen = terms.get(e.term);
    if (seen === undefined) terms.set(e.term, c);
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

  private recordCommits(h: RaftHost, m: NodeMemory, commit: number): void {
    const from = Math.max(m.commitSeen, h.snapshotIndex);
    for (let i = from + 1; i <= commit; i++) {
      const c = h.chainAt(i);
      if (c === undefined) break;
      this.checkCommitted(h, i, c, 'commits');
    }
    if (commit > m.commitSeen) m.commitSeen = commit;
  }

  private checkCommitted(h: RaftHost, index: number, chain: number, verb: string): void {
    if (index < this.prunedBelow) this.stats.prunedQueries++;
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

/** What RaftSafetyChecker remembers of one node. */
interface NodeMemory {
  /** The node's current host (for the commit index known anywhere, and pruning). */
  host: RaftHost;
  /** Its soft state as of its last Ready (none since its last recovery: undefined). */
  soft: SoftState | undefined;
  /** The last index it had persisted after its previous Ready. */
  lastPersisted: number;
  /** Highest index it acknowledged holding (lowered when its log is legitimately cut). */
  ackedTo: number;
  /** Highest commit index whose entries were checked on it. */
  commitSeen: number;
  /** Chain hash of each index its log held after its last Ready (the truncation judge's memory). */
  held: Map<number, number>;
  /** As leader, its progress as of its previous Ready: term and follower -> match. */
  progress: { term: number; match: Map<NodeId, number> } | undefined;
}

/** How often (in Readies, over all nodes) the checker looks for memory to forget. */
const PRUNE_EVERY_READYS = 256;

/** The snapshot index `h` would recover from its disk now (0 if none, or if it reads back corrupt). */
function durableSnapshotIndex(h: RaftHost): number {
  const r = h.ctx.disk.readDurable<{ index: number }>(SNAP_FILE);
  const s = r.records[0];
  return r.records.length === 1 && s !== null && s !== undefined && typeof s.index === 'number' ? s.index : 0;
}
