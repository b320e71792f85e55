/**
 * One Raft node as a pure state machine, modelled on etcd's raft library: inputs are `step(msg)`,
 * `tick()`, `propose(data)`, `readIndex(ctx)`, `compact(index, data)`; output is a `Ready` batch
 * (state to persist, messages to send after the persist, entries to apply, read confirmations)
 * acknowledged with `advance()`. No I/O, no clocks, randomness only from the injected Rng.
 *
 * Section numbers refer to the Raft paper (Ongaro & Ousterhout, 2014); "thesis" to Ongaro's PhD
 * thesis (PreVote §9.6, CheckQuorum §6.2, ReadIndex and leases §6.4).
 */
import { assert } from '../../sim/assert.ts';
import type { Rng } from '../../sim/prng.ts';
import { ADAPTIVE_RTT_FACTOR, leaseTicks, resolveConfig, RaftConfigError, RTT_SAMPLES_KEPT, type RaftConfig } from './config.ts';
import { EMPTY_SNAPSHOT, RaftLog } from './log.ts';
import { Progress } from './progress.ts';
import { ReadOnlyQueue } from './read-only.ts';
import type {
  AppendMessage,
  AppendResponseMessage,
  Entry,
  EntryData,
  HardState,
  HeartbeatMessage,
  HeartbeatResponseMessage,
  Message,
  NodeId,
  ProposeResult,
  ReadIndexResult,
  ReadState,
  Ready,
  Role,
  Snapshot,
  SnapshotMessage,
  SoftState,
  VoteMessage,
  VoteResponseMessage,
} from './types.ts';

/** What a (re)starting node is built from. */
export interface RaftNodeOptions {
  id: NodeId;
  /** Every voter of the cluster, this node included. Fixed for the cluster's life. */
  peers: readonly NodeId[];
  /** Durable hard state; absent for a brand-new node. */
  hardState?: HardState;
  /** Durable snapshot; absent if the log was never compacted. */
  snapshot?: Snapshot;
  /** Durable log entries, contiguous after the snapshot (entries it covers are ignored). */
  entries?: readonly Entry[];
  config?: Partial<RaftConfig>;
  /** Draws the randomised election timeouts. Give each node its own stream. */
  rng: Rng;
}

type PollResult = 'won' | 'lost' | 'pending';

/** Heartbeat rounds remembered for dating the lease; older acknowledgements are ignored. */
const LEASE_ROUNDS_KEPT = 64;

export class RaftNode {
  readonly id: NodeId;
  readonly peers: readonly NodeId[];
  readonly config: RaftConfig;
  readonly log: RaftLog;
  private readonly rng: Rng;
  private readonly quorum: number;
  private readonly leaseLengthTicks: number;

  private term_ = 0;
  private vote_: NodeId | null = null;
  private role_: Role = 'follower';
  private lead: NodeId | null = null;

  private readonly prs = new Map<NodeId, Progress>();
  /** The same Progress records in `peers` order (rebuilt with `prs`): quorum sums without look-ups. */
  private prsList: Progress[] = [];
  /** Scratch for `quorumValue` (no array per commit check or lease query). */
  private readonly quorumScratch: number[] = [];
  private votes = new Map<NodeId, boolean>();
  private readonly readOnly = new ReadOnlyQueue();

  /** Ticks since the last valid leader contact (follower) or CheckQuorum round (leader). */
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  /** Ticks since this node was (re)started: its local monotonic clock. */
  private nowTick = 0;
  /** Lease mode: a restarted node grants no vote before this tick (it may have acked a lease). */
  private readonly quietUntilTick: number;
  private hbRound = 0;
  private readonly roundTicks = new Map<number, number>();
  /** Recent round-trip samples in ticks (adaptive timeouts), newest last. */
  private readonly rttSamples: number[] = [];
  /** The round-trip estimate of the current leader (its heartbeats) or of a candidate we voted for. */
  private sharedRtt = 0;
  /** The largest of sharedRtt and rttSamples (refreshRtt). */
  private rttMax = 0;
  /** Tick each campaign round was first sent, by "type:term" (round trips of vote replies). */
  private readonly campaignTicks = new Map<string, number>();

  private msgs: Message[] = [];
  private readStates: ReadState[] = [];
  private prevHardState: HardState;
  private prevSoftState: SoftState;
  /** Set between ready() and advance(): the applied index the host reaches by then. */
  /** A Ready is out (taken, not yet advanced): what it applies up to and persists up to (-1: nothing). */
  private outstanding = false;
  private outstandingAppliedTo = 0;
  private outstandingPersistedTo = -1;

  constructor(opts: RaftNodeOptions) {
    this.config = resolveConfig(opts.config);
    this.id = opts.id;
    this.peers = opts.peers.slice();
    this.rng = opts.rng;
    if (!this.peers.includes(this.id) || new Set(this.peers).size !== this.peers.length) {
      throw new RaftConfigError('bad-membership', `peers must list every voter once, including this node ${this.id}; got [${this.peers.join(', ')}]`);
    }
    this.quorum = Math.floor(this.peers.length / 2) + 1;
    this.leaseLengthTicks = leaseTicks(this.config);

    const snapshot = opts.snapshot ?? EMPTY_SNAPSHOT;
    const hs = opts.hardState ?? { term: 0, vote: null, commit: snapshot.index };
    // Entries the snapshot covers may still be on disk (a crash between writing a snapshot and
    // trimming the log): they are redundant, drop them.
    const entries = (opts.entries ?? []).filter((e) => e.index > snapshot.index);
    const last = snapshot.index + entries.length;
    if (entries.some((e, i) => e.index !== snapshot.index + 1 + i) || hs.commit > last || (entries.length > 0 && (entries[entries.length - 1] as Entry).term > hs.term)) {
      throw new RaftConfigError('bad-durable-state', `durable state of ${this.id} is inconsistent: entries must follow snapshot ${snapshot.index} contiguously, commit ${hs.commit} <= last index ${last}, entry terms <= term ${hs.term}`);
    }
    this.log = new RaftLog(snapshot, entries, Math.max(hs.commit, snapshot.index));
    this.term_ = hs.term;
    this.vote_ = hs.vote;
    this.prevHardState = this.hardState();
    this.quietUntilTick = this.config.readOnlyOption === 'lease' ? this.config.electionTicksMin : 0;
    this.becomeFollower(this.term_, null);
    this.prevSoftState = this.softState();
  }

  // ---------------------------------------------------------------- public getters

  get term(): number {
    return this.term_;
  }
  get vote(): NodeId | null {
    return this.vote_;
  }
  get role(): Role {
    return this.role_;
  }
  /** The leader this node currently follows (itself if leader), or null. */
  get leader(): NodeId | null {
    return this.lead;
  }
  get commitIndex(): number {
    return this.log.committed;
  }
  /** The term of the entry at the commit index (0 before anything is committed). */
  get commitTerm(): number {
    return this.log.term(this.log.committed) ?? 0;
  }
  get appliedIndex(): number {
    return this.log.applied;
  }
  get lastIndex(): number {
    return this.log.lastIndex();
  }
  /** Ticks since start: the node's local logical clock. */
  get ticks(): number {
    return this.nowTick;
  }
  /**
   * The round trip this node's timeouts allow for, in ticks: the largest of its recent samples,
   * or the estimate its leader (or a candidate it voted for) sent, whichever is larger. A node
   * that never waited for a reply has no samples of its own: without the shared estimate it
   * would time out while a candidate it voted for still waits for its votes, and disrupt it.
   */
  get rttTicks(): number {
    return this.rttMax;
  }

  /** Recomputes `rttTicks` (kept, not recomputed at each read: it is read at every input and tick). */
  private refreshRtt(): void {
    let m = this.sharedRtt;
    for (const x of this.rttSamples) if (x > m) m = x;
    this.rttMax = m;
  }
  /**
   * The lower end of this node's election timeout (and a leader's CheckQuorum period), in ticks:
   * electionTicksMin, stretched to ADAPTIVE_RTT_FACTOR round trips when the network is slower.
   */
  get electionTimeoutFloor(): number {
    const min = this.config.electionTicksMin;
    if (!this.config.adaptiveTimeouts) return min;
    return Math.min(this.config.adaptiveMaxTicks, Math.max(min, Math.ceil(ADAPTIVE_RTT_FACTOR * this.rttTicks)));
  }

  hardState(): HardState {
    return { term: this.term_, vote: this.vote_, commit: this.log.committed };
  }

  softState(): SoftState {
    return { role: this.role_, term: this.term_, leader: this.lead };
  }

  /** Leader's view of a follower (tests and status pages); undefined on non-leaders. */
  progress(peer: NodeId): Readonly<Progress> | undefined {
    return this.role_ === 'leader' ? this.prs.get(peer) : undefined;
  }

  // ---------------------------------------------------------------- inputs

  /** Advances the logical clock by one tick (the host calls it every `config.tickNs`). */
  tick(): void {
    this.nowTick++;
    if (this.role_ === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  /**
   * How many `tick()` calls from now the first one that acts is (an election timeout, a
   * heartbeat, a CheckQuorum round): the ticks before it only advance counters. A host may give
   * those ticks late, all at once, just before the node's next input or the due tick itself
   * (RaftHost does: an idle node costs one timer event per deadline, not one per tick). Any input
   * may move the deadline (a message resets the election clock, a new role or round-trip sample
   * changes it): ask again after each. Always >= 1.
   */
  ticksUntilDue(): number {
    const floor = this.electionTimeoutFloor;
    if (this.role_ !== 'leader') return Math.max(1, Math.max(this.randomizedElectionTimeout, floor) - this.electionElapsed);
    return Math.max(1, Math.min(floor - this.electionElapsed, this.config.heartbeatTicks - this.heartbeatElapsed));
  }

  /** Starts an election now, as if the election timeout fired (PreVote first if enabled). */
  campaign(): void {
    if (this.role_ === 'leader') return;
    this.electionElapsed = 0;
    this.startCampaign(this.config.preVote ? 'preElection' : 'election');
  }

  /** Appends `data` to the log if this node is the leader; otherwise says who is. */
  propose(data: EntryData): ProposeResult {
    if (this.role_ !== 'leader') return { ok: false, reason: 'not-leader', leader: this.lead };
    const index = this.appendEntry(data);
    this.bcastAppend();
    return { ok: true, index, term: this.term_ };
  }

  /**
   * Asks for a linearizable read point. On success a ReadState with `context` appears in a later
   * Ready (on the leader after a quorum heartbeat round or at once under a valid lease; on a
   * follower after forwarding to the leader). It may never appear if leadership changes: the host
   * times the request out and retries. `context` must be unique among pending reads.
   */
  readIndex(context: string): ReadIndexResult {
    if (this.config.bugStaleReads) {
      // BUG (bugStaleReads): local commit index, no leadership confirmation.
      this.readStates.push({ index: this.log.committed, context });
      return { ok: true };
    }
    if (this.role_ === 'leader') return this.leaderReadIndex(this.id, context);
    if (this.lead === null) return { ok: false, reason: 'no-leader' };
    this.msgs.push({ type: 'readIndex', from: this.id, to: this.lead, term: 0, context });
    return { ok: true };
  }

  /**
   * Records that the host's state machine, at applied index `index`, has been serialised into
   * `data`, and drops the log prefix up to `index`. Call it between Readys (after `advance()`),
   * with `index <= appliedIndex`; anything else is a host bug and fails an assertion. Returns the snapshot, which the HOST persists
   * (then it may delete persisted entries <= index). Followers that need the prefix get the
   * snapshot by InstallSnapshot.
   */
  compact(index: number, data: EntryData): Snapshot {
    return this.log.compact(index, data);
  }

  /** Handles a message from another node. Messages addressed elsewhere are a host bug. */
  step(m: Message): void {
    // A failed check's message is built only then: a closure per message was a share of the run's allocations.
    if (m.to !== this.id) assert(false, `raft ${this.id}: message for ${m.to}`);
    if (!this.prs.has(m.from) || m.from === this.id) return; // not a member: ignore
    if ((m.type === 'voteResp' || m.type === 'preVoteResp') && !m.reject) {
      const sent = this.campaignTicks.get(`${m.type === 'voteResp' ? 'vote' : 'preVote'}:${m.term}`);
      if (sent !== undefined) this.sampleRtt(this.nowTick - sent);
    }
    if (m.term === 0) {
      assert(m.type === 'readIndex', () => `raft ${this.id}: ${m.type} with term 0`);
    } else if (m.term > this.term_) {
      if ((m.type === 'vote' || m.type === 'preVote') && this.inLease()) {
        this.config.probe('raft:vote-ignored-in-lease');
        return; // thesis §4.2.3
      }
      if (m.type === 'preVote') {
        // A PreVote never changes our term.
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // The future term of our own pre-election: we adopt it only if we win.
      } else {
        const leader = m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap' ? m.from : null;
        this.becomeFollower(m.term, leader);
      }
    } else if (m.term < this.term_) {
      this.stepStale(m);
      return;
    }
    if (m.type === 'vote' || m.type === 'preVote') {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.role_) {
      case 'leader':
        this.stepLeader(m);
        break;
      case 'candidate':
      case 'preCandidate':
        this.stepCandidate(m);
        break;
      case 'follower':
        this.stepFollower(m);
        break;
    }
  }

  // ---------------------------------------------------------------- Ready / advance

  /** True if `ready()` has work for the host (and no Ready is awaiting `advance()`). */
  hasReady(): boolean {
    if (this.outstanding) return false;
    return (
      this.msgs.length > 0 ||
      this.readStates.length > 0 ||
      this.log.hasUnstable() ||
      this.log.committed > this.log.applied ||
      // Field by field (no objects: the host asks this on every input).
      this.term_ !== this.prevHardState.term ||
      this.vote_ !== this.prevHardState.vote ||
      this.log.committed !== this.prevHardState.commit ||
      this.role_ !== this.prevSoftState.role ||
      this.term_ !== this.prevSoftState.term ||
      this.lead !== this.prevSoftState.leader
    );
  }

  /** Takes the next batch of work. See `Ready` for the persist-then-send contract. */
  ready(): Ready {
    if (this.outstanding) assert(false, `raft ${this.id}: ready() called before advance()`);
    // Unchanged states keep their previous objects (most Readies change neither): no allocation.
    const ph = this.prevHardState;
    const hs = this.term_ === ph.term && this.vote_ === ph.vote && this.log.committed === ph.commit ? ph : this.hardState();
    const ps = this.prevSoftState;
    const ss = this.role_ === ps.role && this.term_ === ps.term && this.lead === ps.leader ? ps : this.softState();
    // Each check's message is built only when it fails (no closure per Ready).
    if (hs.term < this.prevHardState.term) assert(false, `raft ${this.id}: term decreased ${this.prevHardState.term} -> ${hs.term}`);
    if (hs.commit < this.prevHardState.commit) assert(false, `raft ${this.id}: commit decreased ${this.prevHardState.commit} -> ${hs.commit}`);
    if (hs.term === this.prevHardState.term && this.prevHardState.vote !== null && hs.vote !== this.prevHardState.vote) {
      assert(false, `raft ${this.id}: vote changed within term ${hs.term} (${this.prevHardState.vote} -> ${hs.vote})`);
    }
    const hardChanged = hs !== ph;
    const snapshot = this.log.pendingSnapshot;
    const truncateFrom = this.log.truncatedFrom;
    const entries = this.log.takeUnstable();
    const committedEntries = this.log.nextCommitted();
    const rd: Ready = {
      softState: ss === ps ? null : ss,
      hardState: hardChanged ? hs : null,
      snapshot,
      truncateFrom,
      entries,
      messages: this.msgs,
      committedEntries,
      readStates: this.readStates,
      // BUG (bugSyncOnlyEntries): a new term or vote alone is not synced before messages leave.
      mustSync: entries.length > 0 || snapshot !== null || (!this.config.bugSyncOnlyEntries && (hs.term !== this.prevHardState.term || hs.vote !== this.prevHardState.vote)),
    };
    this.log.pendingSnapshot = null;
    this.log.truncatedFrom = null;
    this.msgs = [];
    this.readStates = [];
    this.prevHardState = hs;
    this.prevSoftState = ss;
    const lastApplied = committedEntries.length > 0 ? (committedEntries[committedEntries.length - 1] as Entry).index : this.log.applied;
    this.outstanding = true;
    this.outstandingAppliedTo = lastApplied;
    this.outstandingPersistedTo = entries.length > 0 ? entries[entries.length - 1]!.index : -1;
    return rd;
  }

  /** The host finished the last Ready: persisted, sent, applied. */
  advance(): void {
    if (!this.outstanding) assert(false, `raft ${this.id}: advance() without ready()`);
    this.log.applied = Math.max(this.log.applied, this.outstandingAppliedTo);
    const persisted = this.outstandingPersistedTo;
    this.outstanding = false;
    // The leader counts its own copy once it is durable (thesis §10.2.1), never at append: in a
    // one-member cluster, counting it at append committed entries a failed fsync then lost.
    if (persisted !== -1 && this.role_ === 'leader') {
      (this.prs.get(this.id) as Progress).maybeUpdate(persisted);
      this.maybeCommit();
    }
  }

  // ---------------------------------------------------------------- leases

  /** Tick (on this node's clock) at which the leader lease ends; -Infinity when not leader. */
  leaseExpiresTick(): number {
    if (this.role_ !== 'leader') return Number.NEGATIVE_INFINITY;
    const dates = this.quorumScratch;
    for (let i = 0; i < this.peers.length; i++) dates[i] = this.peers[i] === this.id ? this.nowTick : this.prsList[i]!.ackedRoundTick;
    return this.quorumValue() + this.leaseLengthTicks;
  }

  /**
   * True if this node is the leader and no other leader can exist now, assuming clock rates differ
   * by at most `config.maxDriftRatio` (see `leaseTicks`). Requires checkQuorum (enforced for
   * 'lease' mode); in 'safe' mode it is informational.
   */
  leaseValid(): boolean {
    return this.config.checkQuorum && this.nowTick < this.leaseExpiresTick();
  }

  // ---------------------------------------------------------------- role transitions

  private reset(term: number): void {
    assert(term >= this.term_, () => `raft ${this.id}: term would decrease ${this.term_} -> ${term}`);
    if (term !== this.term_) {
      this.term_ = term;
      this.vote_ = null;
    }
    this.lead = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.votes = new Map();
    this.readOnly.clear();
    this.prs.clear();
    this.prsList = [];
    const last = this.log.lastIndex();
    for (const p of this.peers) {
      const pr = new Progress(last + 1);
      if (p === this.id) pr.match = last;
      this.prs.set(p, pr);
      this.prsList.push(pr);
    }
  }

  private resetRandomizedElectionTimeout(): void {
    const { electionTicksMin, electionTicksMax } = this.config;
    // Adaptive: the same spread above a floor of ADAPTIVE_RTT_FACTOR round trips (on a LAN the
    // floor is electionTicksMin and the draw is the classic one). The spread widens by one round
    // trip so two candidates rarely start within a round trip of each other.
    const lo = this.electionTimeoutFloor;
    const hi = lo === electionTicksMin ? electionTicksMax : Math.min(this.config.adaptiveMaxTicks, lo + (electionTicksMax - electionTicksMin) + this.rttTicks);
    this.randomizedElectionTimeout = this.config.buggify('raft.short_election_timeout') ? lo : this.rng.int(lo, Math.max(lo, hi));
  }

  /** One round-trip sample, in ticks (adaptive timeouts). */
  private sampleRtt(ticks: number): void {
    if (!this.config.adaptiveTimeouts || ticks < 0) return;
    this.rttSamples.push(ticks);
    if (this.rttSamples.length > RTT_SAMPLES_KEPT) this.rttSamples.shift();
    this.refreshRtt();
  }

  private becomeFollower(term: number, lead: NodeId | null): void {
    if (this.role_ === 'leader' && this.log.lastIndex() > this.log.committed) this.config.probe('raft:leader-deposed-uncommitted');
    this.reset(term);
    this.role_ = 'follower';
    this.lead = lead;
  }

  private becomePreCandidate(): void {
    assert(this.role_ !== 'leader', `raft ${this.id}: leader cannot become pre-candidate`);
    // Unlike becomeCandidate, neither the term nor the vote changes: a PreVote is a dry run.
    this.role_ = 'preCandidate';
    this.votes = new Map();
    this.lead = null;
  }

  private becomeCandidate(): void {
    assert(this.role_ !== 'leader', `raft ${this.id}: leader cannot become candidate`);
    this.reset(this.term_ + 1);
    this.vote_ = this.id;
    this.role_ = 'candidate';
  }

  private becomeLeader(): void {
    assert(this.role_ === 'candidate', `raft ${this.id}: only a candidate becomes leader`);
    this.reset(this.term_);
    this.role_ = 'leader';
    this.lead = this.id;
    (this.prs.get(this.id) as Progress).becomeReplicate();
    // §8: an empty entry of the new term lets the leader commit earlier-term entries (Figure 8).
    this.appendEntry(null);
  }

  private startCampaign(kind: 'preElection' | 'election'): void {
    let voteTerm: number;
    let type: 'vote' | 'preVote';
    if (kind === 'preElection') {
      this.becomePreCandidate();
      type = 'preVote';
      voteTerm = this.term_ + 1;
    } else {
      this.becomeCandidate();
      type = 'vote';
      voteTerm = this.term_;
    }
    if (this.poll(this.id, true) === 'won') {
      // Single-node cluster: no one else to ask.
      if (kind === 'preElection') this.startCampaign('election');
      else this.becomeLeader();
      return;
    }
    const index = this.log.lastIndex();
    const logTerm = this.log.lastTerm();
    // A repeated pre-election asks for the same term: date the replies from the latest round. A
    // late reply to an earlier round then looks fast (the estimate is a maximum over several
    // samples, so one low sample does not matter), whereas dating from the first round would
    // turn a partition's length into a round trip and stretch every later timeout.
    const key = `${type}:${voteTerm}`;
    this.campaignTicks.delete(key);
    this.campaignTicks.set(key, this.nowTick);
    if (this.campaignTicks.size > 8) this.campaignTicks.delete(this.campaignTicks.keys().next().value as string);
    for (const p of this.peers) {
      if (p === this.id) continue;
      const m: VoteMessage = { type, from: this.id, to: p, term: voteTerm, index, logTerm };
      if (this.config.adaptiveTimeouts) m.rtt = this.rttTicks;
      this.msgs.push(m);
    }
  }

  private poll(from: NodeId, granted: boolean): PollResult {
    if (!this.votes.has(from)) this.votes.set(from, granted);
    let yes = 0;
    let no = 0;
    for (const v of this.votes.values()) {
      if (v) yes++;
      else no++;
    }
    if (yes >= this.quorum) return 'won';
    if (no >= this.quorum) return 'lost';
    return 'pending';
  }

  /** CheckQuorum/PreVote: a follower that heard from a live leader recently ignores elections. */
  private inLease(): boolean {
    if (!this.config.checkQuorum) return false;
    if (this.nowTick < this.quietUntilTick) return true;
    // A leader's electionElapsed restarts at every CheckQuorum round, which comes every
    // electionTimeoutFloor ticks: so a live leader always ignores a disruptive (pre-)vote, as in
    // etcd. (With adaptive timeouts the round is longer than electionTicksMin; comparing with
    // electionTicksMin there let a leader grant a pre-vote and be deposed by it.)
    const window = this.role_ === 'leader' ? this.electionTimeoutFloor : this.config.electionTicksMin;
    return this.lead !== null && this.electionElapsed < window;
  }

  // ---------------------------------------------------------------- ticks

  private tickElection(): void {
    this.electionElapsed++;
    // The floor may have risen since the timeout was drawn (a leader's heartbeat shared a longer
    // round trip): never time out below it.
    // BUG (bugCampaignOnHeartbeatSilence): the heartbeat period taken for the election timeout.
    const due = this.config.bugCampaignOnHeartbeatSilence
      ? this.electionElapsed >= this.config.heartbeatTicks
      : this.electionElapsed >= this.randomizedElectionTimeout && this.electionElapsed >= this.electionTimeoutFloor;
    if (due) {
      this.electionElapsed = 0;
      this.startCampaign(this.config.preVote ? 'preElection' : 'election');
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    // CheckQuorum waits as long as an election timeout would: on a slow network, replies to a new
    // leader's first heartbeats may take longer than electionTicksMin to arrive.
    if (this.electionElapsed >= this.electionTimeoutFloor) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum && !this.quorumActive()) {
        this.config.probe('raft:check-quorum-step-down');
        this.becomeFollower(this.term_, null);
        return;
      }
      // At most once an election timeout (not every tick: an enabled site firing on a quarter of
      // the ticks kept a cluster leaderless nearly all the run, an outage rather than a rare event).
      if (this.config.buggify('raft.leader_step_down')) {
        this.becomeFollower(this.term_, null);
        return;
      }
    }
    if (this.heartbeatElapsed >= this.config.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat(this.readOnly.lastContext());
    }
  }

  /** CheckQuorum (thesis §6.2): did a quorum talk to us since the last check? Resets the marks. */
  private quorumActive(): boolean {
    let active = 0;
    for (const [id, pr] of this.prs) {
      if (id === this.id || pr.recentActive) active++;
      if (id !== this.id) pr.recentActive = false;
    }
    return active >= this.quorum;
  }

  // ---------------------------------------------------------------- message handling

  /** A message from an older term: tell stale leaders and pre-candidates about our term. */
  private stepStale(m: Message): void {
    if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') this.config.probe('raft:stale-leader-message');
    if ((this.config.checkQuorum || this.config.preVote) && (m.type === 'app' || m.type === 'heartbeat')) {
      // Without this a leader cut off by CheckQuorum/PreVote peers would never learn it is stale.
      this.msgs.push({ type: 'appResp', from: this.id, to: m.from, term: this.term_, index: 0, reject: false, rejectHint: 0, logTerm: 0 });
    } else if (m.type === 'preVote') {
      this.msgs.push({ type: 'preVoteResp', from: this.id, to: m.from, term: this.term_, reject: true });
    }
  }

  private handleVoteRequest(m: VoteMessage): void {
    const respType = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
    const canVote =
      this.vote_ === m.from ||
      (this.vote_ === null && this.lead === null) ||
      (m.type === 'preVote' && m.term > this.term_);
    // BUG (bugNoUpToDateCheck): skips §5.4.1's election restriction.
    const upToDate = this.config.bugNoUpToDateCheck || this.log.isUpToDate(m.index, m.logTerm);
    if (canVote && upToDate) {
      this.msgs.push({ type: respType, from: this.id, to: m.from, term: m.term, reject: false } satisfies VoteResponseMessage);
      if (this.config.adaptiveTimeouts && m.rtt !== undefined && m.rtt > this.sharedRtt) {
        this.sharedRtt = m.rtt;
        this.refreshRtt();
      }
      if (m.type === 'vote') {
        assert(m.term === this.term_, `raft ${this.id}: granting a vote for term ${m.term} at term ${this.term_}`);
        assert(this.vote_ === null || this.vote_ === m.from, () => `raft ${this.id}: second vote in term ${this.term_} (${this.vote_} then ${m.from})`);
        this.electionElapsed = 0;
        this.vote_ = m.from;
      }
    } else {
      this.msgs.push({ type: respType, from: this.id, to: m.from, term: this.term_, reject: true } satisfies VoteResponseMessage);
    }
  }

  private stepLeader(m: Message): void {
    const pr = this.prs.get(m.from) as Progress;
    switch (m.type) {
      case 'appResp':
        pr.recentActive = true;
        this.handleAppendResponse(m, pr);
        break;
      case 'heartbeatResp':
        pr.recentActive = true;
        this.handleHeartbeatResponse(m, pr);
        break;
      case 'readIndex':
        this.leaderReadIndex(m.from, m.context);
        break;
      case 'app':
      case 'heartbeat':
      case 'snap':
        assert(false, () => `raft ${this.id}: two leaders in term ${this.term_} (${this.id} and ${m.from})`);
        break;
      default:
        break; // late vote responses and the like
    }
  }

  private stepCandidate(m: Message): void {
    const myResp = this.role_ === 'preCandidate' ? 'preVoteResp' : 'voteResp';
    switch (m.type) {
      case 'app':
      case 'heartbeat':
      case 'snap':
        // A leader exists in our term (or, as pre-candidate, in the term we are in): follow it.
        this.becomeFollower(m.term, m.from);
        this.stepFollower(m);
        return;
      case 'preVoteResp':
      case 'voteResp': {
        if (m.type !== myResp) return;
        const r = this.poll(m.from, !m.reject);
        if (r === 'won') {
          if (this.role_ === 'preCandidate') this.startCampaign('election');
          else {
            this.becomeLeader();
            this.bcastAppend();
          }
        } else if (r === 'lost') {
          this.config.probe('raft:election-lost');
          this.becomeFollower(this.term_, null);
        }
        return;
      }
      default:
        return;
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'app':
      case 'heartbeat':
      case 'snap':
        if (this.lead !== null && this.lead !== m.from) assert(false, `raft ${this.id}: two leaders in term ${this.term_} (${this.lead} and ${m.from})`);
        this.electionElapsed = 0;
        this.lead = m.from;
        if (m.type === 'app') this.handleAppend(m);
        else if (m.type === 'heartbeat') this.handleHeartbeat(m);
        else this.handleSnapshot(m);
        return;
      case 'readIndexResp':
        this.readStates.push({ index: m.index, context: m.context });
        return;
      default:
        return;
    }
  }

  /** §5.3 consistency check, truncate-and-append, commit; then the acknowledgement. */
  private handleAppend(m: AppendMessage): void {
    if (this.role_ === 'leader') assert(false, `raft ${this.id}: leader would overwrite its own log`);
    if (m.index < this.log.committed) {
      this.replyAppend(m, this.log.committed, false, 0, 0);
      return;
    }
    if (this.log.matchTerm(m.index, m.logTerm)) {
      const lastNew = m.index + m.entries.length;
      // BUG (bugTruncateOnAppend): rewrites from the first entry even where the log already matches.
      const ci = this.config.bugTruncateOnAppend && m.entries.length > 0 ? m.index + 1 : this.log.findConflict(m.entries);
      if (ci !== 0) {
        assert(ci > this.log.committed, () => `raft ${this.id}: conflict at committed index ${ci}`);
        if (ci <= this.log.lastIndex()) this.config.probe('raft:follower-truncates-suffix');
        this.log.append(m.entries.slice(ci - (m.index + 1)));
      }
      this.log.commitTo(Math.min(m.commit, lastNew));
      this.replyAppend(m, lastNew, false, 0, 0);
      return;
    }
    // Fast backtracking: point the leader at our last entry whose term could match.
    this.config.probe('raft:append-rejected-backtrack');
    const [hintIndex, hintTerm] = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.replyAppend(m, m.index, true, hintIndex, hintTerm);
  }

  private replyAppend(m: AppendMessage, index: number, reject: boolean, rejectHint: number, logTerm: number): void {
    this.msgs.push({ type: 'appResp', from: this.id, to: m.from, term: this.term_, index, reject, rejectHint, logTerm } satisfies AppendResponseMessage);
  }

  private handleHeartbeat(m: HeartbeatMessage): void {
    if (this.config.adaptiveTimeouts && m.rtt !== undefined) {
      this.sharedRtt = m.rtt;
      this.refreshRtt();
    }
    this.log.commitTo(m.commit);
    this.msgs.push({ type: 'heartbeatResp', from: this.id, to: m.from, term: this.term_, context: m.context, round: m.round } satisfies HeartbeatResponseMessage);
  }

  private handleSnapshot(m: SnapshotMessage): void {
    const s = m.snapshot;
    let index = this.log.committed;
    if (s.index > this.log.committed) {
      if (this.log.matchTerm(s.index, s.term)) {
        this.config.probe('raft:snapshot-fast-forward');
        this.log.commitTo(s.index); // we already hold the prefix: fast-forward only
      } else {
        this.config.probe('raft:snapshot-installed');
        this.log.restore(s);
        index = this.log.lastIndex();
      }
    }
    index = Math.max(index, this.log.committed);
    this.msgs.push({ type: 'appResp', from: this.id, to: m.from, term: this.term_, index, reject: false, rejectHint: 0, logTerm: 0 });
  }

  private handleAppendResponse(m: AppendResponseMessage, pr: Progress): void {
    if (m.reject) {
      const nextProbe = m.logTerm > 0 ? this.log.findConflictByTerm(m.rejectHint, m.logTerm)[0] : m.rejectHint;
      if (pr.maybeDecrTo(m.index, nextProbe)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    // Leader completeness (§5.4): a follower in our term cannot hold more than we do.
    if (m.index > this.log.lastIndex()) assert(false, `raft ${this.id}: ${m.from} acknowledged index ${m.index} beyond the leader's last ${this.log.lastIndex()}: it holds committed entries this leader lacks (leader completeness)`);
    if (this.config.bugAcceptStaleAck && m.index < pr.match) {
      // BUG (bugAcceptStaleAck): a stale acknowledgement resets the follower's progress.
      pr.match = m.index;
      pr.next = m.index + 1;
      pr.becomeProbe();
      this.sendAppend(m.from);
      return;
    }
    if (!pr.maybeUpdate(m.index)) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot' && pr.match + 1 >= this.log.firstIndex()) {
      // The follower can now be served from the log (it restored the snapshot, or already had
      // its prefix): resume pipelining right after its match.
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') {
      pr.freeInflightsTo(m.index);
      if (this.config.buggify('raft.force_probe')) pr.becomeProbe();
    }
    // A commit advance is not broadcast: followers learn the commit index from the next append
    // (every append carries it) or heartbeat (min(match, commit)), as etcd's commit rides on
    // MsgApp and MsgHeartbeat. An empty append per follower per advance cost two request
    // messages per entry on three servers. Likewise a follower whose window reopened gets
    // only entries it lacks, below; it is never sent an empty append.
    this.maybeCommit();
    // Pipelining: keep sending while the follower's window has room.
    while (this.maybeSendAppend(m.from, false)) {
      // loop body intentionally empty
    }
  }

  private handleHeartbeatResponse(m: HeartbeatResponseMessage, pr: Progress): void {
    pr.probeSent = false;
    const sentTick = this.roundTicks.get(m.round);
    if (sentTick !== undefined) {
      pr.ackedRoundTick = Math.max(pr.ackedRoundTick, sentTick);
      this.sampleRtt(this.nowTick - sentTick);
    }
    const last = this.log.lastIndex();

    // Our network loses messages silently: a pipeline that made no progress over a whole
    // heartbeat period, or is full, probably lost an append. Probe again from the match point.
    if (pr.state === 'replicate' && pr.match < last && (pr.match === pr.matchAtLastHeartbeat || pr.isPaused(this.config.maxInflightMsgs))) {
      this.config.probe('raft:pipeline-stall-probe');
      pr.becomeProbe();
    }
    pr.matchAtLastHeartbeat = pr.match;
    if (pr.state === 'snapshot' && this.nowTick - pr.snapshotSentTick >= this.config.snapshotRetryTicks) {
      this.config.probe('raft:snapshot-resent');
      pr.becomeProbe(); // the snapshot was probably lost: the next append resends it
    }
    // A lagging follower gets what it lacks: a probe (or the resent snapshot) when probing; in
    // pipelined mode only entries not yet in flight (everything in flight is on its way, and a
    // stalled pipeline was turned into a probe above). An empty append would only repeat the
    // commit index, which this heartbeat already carried.
    if (this.config.bugResendOnHeartbeat) {
      // BUG (bugResendOnHeartbeat): back to probing from match + 1 on every heartbeat reply.
      pr.becomeProbe();
      this.sendAppend(m.from);
    } else if (pr.match < last) {
      if (pr.state === 'replicate') this.maybeSendAppend(m.from, false);
      else this.sendAppend(m.from);
    }
    if (m.context !== null) {
      for (const r of this.readOnly.ack(m.context, m.from, this.quorum)) this.answerRead(r.from, r.index, r.context);
    }
  }

  // ---------------------------------------------------------------- leader: replication

  /** Appends one entry of the current term to the leader's log; returns its index. */
  private appendEntry(data: EntryData): number {
    if (this.role_ !== 'leader') assert(false, `raft ${this.id}: only the leader appends new entries`);
    const index = this.log.lastIndex() + 1;
    // Frozen: with string or null data an entry is deeply immutable, so the network and the
    // disks share it instead of copying it for every follower and every write (sim/clone.ts).
    this.log.append([Object.freeze({ term: this.term_, index, data })]);
    // The leader's own progress moves when the entry is durable (advance()), not now.
    return index;
  }

  /**
   * Advances the commit index to the highest index a quorum holds, if its entry is of the current
   * term (§5.4.2, Figure 8). Returns true if it advanced.
   */
  private maybeCommit(): boolean {
    const matches = this.quorumScratch;
    for (let i = 0; i < this.peers.length; i++) matches[i] = this.prsList[i]!.match;
    const mci = this.quorumValue();
    // BUG (bugNeverCommit): a useless leader: it replicates, and never commits.
    if (mci <= this.log.committed || this.config.bugNeverCommit) return false;
    // BUG (bugCommitPrevTermByCounting): commits an earlier-term entry by counting replicas.
    if (this.log.term(mci) !== this.term_ && !this.config.bugCommitPrevTermByCounting) {
      this.config.probe('raft:prev-term-commit-deferred');
      return false;
    }
    return this.log.commitTo(mci);
  }

  /**
   * The `quorum`-th largest of the first `peers.length` values of `quorumScratch` (sorted there,
   * descending, by insertion: a handful of voters, and no array or comparator per call).
   */
  private quorumValue(): number {
    const a = this.quorumScratch;
    const n = this.peers.length;
    for (let i = 1; i < n; i++) {
      const x = a[i]!;
      let j = i - 1;
      while (j >= 0 && a[j]! < x) {
        a[j + 1] = a[j]!;
        j--;
      }
      a[j + 1] = x;
    }
    return a[this.quorum - 1]!;
  }

  private sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * Sends `to` the entries from its `next` index (or the snapshot, if they were compacted), unless
   * its progress is paused or, with `sendIfEmpty` false, there is nothing new. Says if it sent.
   */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.prs.get(to) as Progress;
    if (pr.isPaused(this.config.maxInflightMsgs)) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    const maxEntries = this.config.buggify('raft.tiny_batch') ? 1 : this.config.maxEntriesPerMsg;
    const entries = this.log.slice(pr.next, this.log.lastIndex() + 1, maxEntries, this.config.maxBytesPerMsg);
    if (prevTerm === undefined || entries === undefined) {
      this.sendSnapshot(to, pr);
      return true;
    }
    if (entries.length === 0 && !sendIfEmpty) return false;
    const m: AppendMessage = { type: 'app', from: this.id, to, term: this.term_, index: prevIndex, logTerm: prevTerm, entries, commit: this.log.committed };
    this.msgs.push(m);
    if (this.config.buggify('raft.duplicate_append')) this.msgs.push({ ...m, entries: entries.slice() });
    if (entries.length > 0) {
      const last = (entries[entries.length - 1] as Entry).index;
      if (pr.state === 'replicate') {
        pr.optimisticUpdate(last);
        pr.inflights.push(last);
      } else {
        pr.probeSent = true;
      }
    }
    return true;
  }

  private sendSnapshot(to: NodeId, pr: Progress): void {
    const s = this.log.snapshot;
    assert(s.index > 0, `raft ${this.id}: no snapshot to send to ${to}`);
    this.config.probe('raft:snapshot-sent');
    pr.becomeSnapshot(s.index, this.nowTick);
    this.msgs.push({ type: 'snap', from: this.id, to, term: this.term_, snapshot: s });
  }

  private bcastAppend(): void {
    for (const p of this.peers) if (p !== this.id) this.sendAppend(p);
  }

  private bcastHeartbeat(context: string | null): void {
    const round = ++this.hbRound;
    this.roundTicks.set(round, this.nowTick);
    this.roundTicks.delete(round - LEASE_ROUNDS_KEPT);
    for (const p of this.peers) {
      if (p === this.id) continue;
      if (this.config.buggify('raft.drop_heartbeat')) continue;
      const pr = this.prs.get(p) as Progress;
      // Never tell a follower to commit past what it is known to hold.
      const commit = Math.min(pr.match, this.log.committed);
      const m: HeartbeatMessage = { type: 'heartbeat', from: this.id, to: p, term: this.term_, commit, context, round };
      if (this.config.adaptiveTimeouts) m.rtt = this.rttTicks;
      this.msgs.push(m);
    }
  }

  // ---------------------------------------------------------------- leader: reads

  private leaderReadIndex(from: NodeId, context: string): ReadIndexResult {
    // Thesis §6.4 step 1: until an entry of this term commits, our commit index may be stale.
    // This holds for a one-member cluster too, so the check comes before its shortcut: the commit
    // index in the hard state may lag the log (it is written in the Ready after the commit, which
    // a failed fsync loses), so a leader elected after a restart can start below an index it
    // committed and acknowledged before, and it commits its own entries only once durable (in
    // advance()). Answering at once there served a read at 98 after a write at 99 was
    // acknowledged (raft-churn seed 8: one member, fsync EIO, restart, re-election).
    // BUG (bugReadBeforeTermCommit): skips this step.
    if (this.log.term(this.log.committed) !== this.term_ && !this.config.bugReadBeforeTermCommit) {
      this.config.probe('raft:read-index-not-ready');
      return { ok: false, reason: 'leader-not-ready' };
    }
    // Alone, the leader is the quorum: nothing to confirm, and no other leader can exist.
    if (this.quorum === 1) {
      this.answerRead(from, this.log.committed, context);
      return { ok: true };
    }
    if (this.config.readOnlyOption === 'lease' && this.leaseValid()) {
      this.answerRead(from, this.log.committed, context);
      return { ok: true };
    }
    if (this.readOnly.add(context, this.log.committed, from, this.id)) this.bcastHeartbeat(context);
    return { ok: true };
  }

  private answerRead(from: NodeId, index: number, context: string): void {
    if (from === this.id) this.readStates.push({ index, context });
    else this.msgs.push({ type: 'readIndexResp', from: this.id, to: from, term: this.term_, index, context });
  }
}
