/**
 * Raft configuration: timings in logical ticks (the host calls `tick()` every `tickNs` of its
 * local clock), flow-control limits, read mode, fault hooks and the bug zoo.
 *
 * Default timings follow the design notes (seed 001): election timeout drawn uniformly from
 * 150-300 ms, heartbeat every 50 ms (a third of the minimum election timeout, so two heartbeats
 * can be lost before a follower campaigns).
 */
import { defineProbes } from '../../sim/probes.ts';
import { ms, type Nanos } from '../../sim/time.ts';

/** How `readIndex` confirms leadership. */
export type ReadOnlyOption =
  /** A heartbeat round acknowledged by a quorum after the read arrived (etcd ReadOnlySafe). */
  | 'safe'
  /** Answer at once while the leader lease holds; fall back to 'safe' when it does not. */
  | 'lease';

export interface RaftConfig {
  /** Host's tick period in nanoseconds of local time (documentation for timings; Raft counts ticks). */
  tickNs: Nanos;
  /** Minimum randomised election timeout, in ticks. Also the leader's CheckQuorum period. */
  electionTicksMin: number;
  /** Maximum randomised election timeout, in ticks (inclusive). */
  electionTicksMax: number;
  /** Leader heartbeat period, in ticks. Must be below electionTicksMin. */
  heartbeatTicks: number;
  /** Run a PreVote round before bumping the term, so a rejoining partitioned node cannot disrupt. */
  preVote: boolean;
  /** Leader steps down after an election timeout without hearing from a quorum; followers that
   *  heard from a leader within electionTicksMin ignore vote requests. Required by 'lease' reads. */
  checkQuorum: boolean;
  /** Read mode, see ReadOnlyOption. */
  readOnlyOption: ReadOnlyOption;
  /** Largest relative clock-rate error between any two nodes the lease tolerates (0.05 = 5 %). */
  maxDriftRatio: number;
  /** Most entries in one append message. */
  maxEntriesPerMsg: number;
  /** Most payload bytes in one append message (the first entry is always sent). */
  maxBytesPerMsg: number;
  /** Most append messages in flight to one follower in pipelined (replicate) state. */
  maxInflightMsgs: number;
  /** Ticks after which an unacknowledged InstallSnapshot is presumed lost and resent. */
  snapshotRetryTicks: number;
  /**
   * Election timeouts (and the leader's CheckQuorum period) stretch to the round trips this node
   * observed: at least ADAPTIVE_RTT_FACTOR times the largest of its recent round-trip samples
   * (vote and pre-vote replies, heartbeat replies), never below the configured range and never
   * above adaptiveMaxTicks. On a LAN the samples are far below electionTicksMin and nothing
   * changes; on a slow network (replies taking 200-2,200 ms) a candidate waits long enough to
   * hear its votes, so a healed cluster elects promptly instead of timing out round after round.
   * See docs/raft.md, "Timeouts on slow networks".
   */
  adaptiveTimeouts: boolean;
  /** Upper bound of an adapted election timeout, in ticks (a clog's huge sample must not stall elections). */
  adaptiveMaxTicks: number;
  /** Fault-injection hook (FoundationDB BUGGIFY), called with a site name; see BUGGIFY_SITES. */
  buggify: (site: string) => boolean;
  /** Coverage hook (sim/probes.ts), called with a RAFT_PROBES name when a rare condition happens. */
  probe: (name: string) => void;

  // ---- Bug zoo: known-broken variants the simulator must catch. All default to false. ----

  /** Commit entries of earlier terms by counting replicas (the Figure 8 bug, Raft paper §5.4.2). */
  bugCommitPrevTermByCounting: boolean;
  /** The host must NOT persist `vote` (use `hardStateForDisk`): after a crash the node may vote
   *  twice in one term, electing two leaders. */
  bugForgetVotedFor: boolean;
  /** Grant votes without the "candidate's log is at least as up-to-date" check (§5.4.1): a node
   *  missing committed entries can win and overwrite them. */
  bugNoUpToDateCheck: boolean;
  /** `readIndex` answers at once with the local commit index on any node (even a follower or a
   *  deposed leader): reads can be stale, i.e. not linearizable. */
  bugStaleReads: boolean;
  /** The host releases a Ready's messages BEFORE persisting its entries and hard state: a crash can
   *  lose entries a quorum acknowledged, so a committed entry can be lost. */
  bugAckBeforeFsync: boolean;
  /** A follower appends every entry of an append, truncating its log from the first one, instead
   *  of keeping the entries that already match (§5.3 "if an existing entry conflicts"): a stale or
   *  reordered short append cuts entries the follower acknowledged, perhaps committed ones. */
  bugTruncateOnAppend: boolean;
  /** Only new entries or a snapshot make a Ready `mustSync`: a changed term or vote is sent on
   *  (vote granted, term adopted) before the hard state recording it is durable. */
  bugSyncOnlyEntries: boolean;
  /** The leader answers ReadIndex before an entry of its own term has committed (skips thesis
   *  §6.4 step 1): a new leader's commit index may lag what an earlier leader committed. */
  bugReadBeforeTermCommit: boolean;
  /** The leader takes every acknowledgement as the follower's match, stale ones too, and resumes
   *  sending right after it: progress moves backwards and acknowledged entries are sent again. */
  bugAcceptStaleAck: boolean;
  /** On every heartbeat reply the leader falls back to probing and resends from the follower's
   *  match + 1, even when the follower holds the whole log: an append per follower per heartbeat
   *  that carries nothing, and in-flight entries sent twice. Only messages are wasted. */
  bugResendOnHeartbeat: boolean;
  /** Dead variant: the leader never advances its commit index (safe, and useless). */
  bugNeverCommit: boolean;
  /** A follower's election timer is compared with the heartbeat period instead of its election
   *  timeout: it campaigns whenever a heartbeat is a little late. PreVote and the followers'
   *  lease keep the term and the leader (safety holds); only pre-votes are wasted, all the time. */
  bugCampaignOnHeartbeatSilence: boolean;
}

/** Protocol-level BUGGIFY sites. Each injects behaviour that is legal, only unlikely. */
export const BUGGIFY_SITES = [
  /** Leader skips one heartbeat to one follower (as if the network lost it). */
  'raft.drop_heartbeat',
  /** An election timeout is drawn at the bottom of its range (more simultaneous candidates). */
  'raft.short_election_timeout',
  /** An append carries a single entry (more round trips, more pipelining edge cases). */
  'raft.tiny_batch',
  /** Leader falls back from pipelining to probing a follower after a successful append. */
  'raft.force_probe',
  /** Leader sends the same append twice (as a duplicating network would). */
  'raft.duplicate_append',
  /** Leader steps down voluntarily at the end of an election timeout (any leader may; the cluster re-elects). */
  'raft.leader_step_down',
] as const;

export type BuggifySite = (typeof BUGGIFY_SITES)[number];

/** Rare conditions worth reaching (sim/probes.ts): a sweep that never hits one did not test it. */
export const RAFT_PROBES = defineProbes('raft', {
  'leader-deposed-uncommitted': 'a leader steps down holding entries it never committed: they must be overwritten or committed by a successor, never lost once acknowledged',
  'follower-truncates-suffix': 'a follower overwrites a conflicting uncommitted suffix of its log (Figure 7): the log-matching repair path',
  'snapshot-installed': 'a follower replaces its log with the leader\'s snapshot (InstallSnapshot), then must resume from the log',
  'snapshot-fast-forward': 'a snapshot arrives for a prefix the follower already holds: commit advances without a restore',
  'snapshot-sent': 'a leader must send a snapshot because a follower lags behind the compacted log',
  'snapshot-resent': 'an InstallSnapshot was presumed lost and is resent after the retry period',
  'check-quorum-step-down': 'a leader cut off from a quorum steps down by CheckQuorum (no stale leader serving reads)',
  'vote-ignored-in-lease': 'a higher-term vote request is ignored because this node heard from a live leader (disruptive-server protection)',
  'election-lost': 'a candidate is rejected by a quorum (split vote or a less up-to-date log) and steps back',
  'prev-term-commit-deferred': 'a quorum holds an earlier-term entry the leader may not commit by counting (Figure 8): it waits for a current-term entry',
  'stale-leader-message': 'a message from a deposed leader\'s old term arrives and is answered with the newer term',
  'read-index-not-ready': 'a new leader refuses a ReadIndex until an entry of its term commits (its commit index may be stale)',
  'append-rejected-backtrack': 'a follower rejects an append whose previous entry does not match: the leader backtracks by term',
  'pipeline-stall-probe': 'a pipelined follower made no progress over a heartbeat (an append was lost): the leader falls back to probing',
  'recovered-torn-log': 'a restarted node dropped log records a crash tore or left unsynced, and recovers from what remains',
});

export const DEFAULT_TICK_NS: Nanos = ms(10);

/** Defaults: 10 ms ticks, election 15-30 ticks (150-300 ms), heartbeat 5 ticks (50 ms). */
export const DEFAULT_RAFT_CONFIG: Readonly<RaftConfig> = Object.freeze({
  tickNs: DEFAULT_TICK_NS,
  electionTicksMin: 15,
  electionTicksMax: 30,
  heartbeatTicks: 5,
  preVote: true,
  checkQuorum: true,
  readOnlyOption: 'safe',
  maxDriftRatio: 0.05,
  maxEntriesPerMsg: 64,
  maxBytesPerMsg: 1 << 20,
  maxInflightMsgs: 32,
  snapshotRetryTicks: 30,
  adaptiveTimeouts: true,
  adaptiveMaxTicks: 600,
  buggify: () => false,
  probe: () => {},
  bugCommitPrevTermByCounting: false,
  bugForgetVotedFor: false,
  bugNoUpToDateCheck: false,
  bugStaleReads: false,
  bugAckBeforeFsync: false,
  bugTruncateOnAppend: false,
  bugSyncOnlyEntries: false,
  bugReadBeforeTermCommit: false,
  bugAcceptStaleAck: false,
  bugResendOnHeartbeat: false,
  bugNeverCommit: false,
  bugCampaignOnHeartbeatSilence: false,
} satisfies RaftConfig);

/** An adapted election timeout is at least this many times the largest recent round trip. */
export const ADAPTIVE_RTT_FACTOR = 1.5;
/** Round-trip samples remembered (the estimate is their maximum). */
export const RTT_SAMPLES_KEPT = 16;

/** A configuration the caller got wrong: a typed error that says what to change. */
export class RaftConfigError extends Error {
  override name = 'RaftConfigError';
  constructor(
    readonly code: 'bad-timing' | 'bad-limit' | 'lease-needs-check-quorum' | 'bad-drift' | 'bad-membership' | 'bad-durable-state',
    message: string,
  ) {
    super(message);
  }
}

/** Fills defaults and validates. Throws RaftConfigError on a bad combination. */
export function resolveConfig(partial: Partial<RaftConfig> = {}): RaftConfig {
  const c: RaftConfig = { ...DEFAULT_RAFT_CONFIG, ...partial };
  const intPos = (x: number): boolean => Number.isInteger(x) && x > 0;
  if (!intPos(c.electionTicksMin) || !intPos(c.electionTicksMax) || c.electionTicksMax < c.electionTicksMin) {
    throw new RaftConfigError('bad-timing', `electionTicksMin/Max must be positive integers with min <= max, got ${c.electionTicksMin}/${c.electionTicksMax}`);
  }
  if (!intPos(c.heartbeatTicks) || c.heartbeatTicks >= c.electionTicksMin) {
    throw new RaftConfigError('bad-timing', `heartbeatTicks must be a positive integer below electionTicksMin (${c.electionTicksMin}), got ${c.heartbeatTicks}`);
  }
  if (!intPos(c.maxEntriesPerMsg) || !intPos(c.maxBytesPerMsg) || !intPos(c.maxInflightMsgs) || !intPos(c.snapshotRetryTicks)) {
    throw new RaftConfigError('bad-limit', 'maxEntriesPerMsg, maxBytesPerMsg, maxInflightMsgs and snapshotRetryTicks must be positive integers');
  }
  if (!intPos(c.adaptiveMaxTicks) || c.adaptiveMaxTicks < c.electionTicksMax) {
    throw new RaftConfigError('bad-timing', `adaptiveMaxTicks must be an integer >= electionTicksMax (${c.electionTicksMax}), got ${c.adaptiveMaxTicks}`);
  }
  if (!(c.maxDriftRatio >= 0 && c.maxDriftRatio < 1)) {
    throw new RaftConfigError('bad-drift', `maxDriftRatio must be in [0, 1), got ${c.maxDriftRatio}`);
  }
  if (c.readOnlyOption === 'lease' && !c.checkQuorum) {
    throw new RaftConfigError('lease-needs-check-quorum', "readOnlyOption 'lease' is only safe with checkQuorum: set checkQuorum: true");
  }
  return c;
}

/**
 * Length of the leader lease in ticks, dated from the SEND time of a heartbeat round a quorum
 * acknowledged.
 *
 * Why it is safe: a follower that received a heartbeat at local time r neither campaigns nor
 * grants a (pre-)vote before its tick counter advanced electionTicksMin times, which takes at
 * least (electionTicksMin - 1) tick periods after r (the first tick may come at once). Any new
 * leader needs a vote from a quorum, which overlaps the quorum that acknowledged, so no new leader
 * exists before s + (electionTicksMin - 1) * tickNs * (1 - ρ) in real time, where s <= r is the
 * send time and ρ = maxDriftRatio bounds each clock's rate error. The leader measures its lease on
 * its own clock, so L ticks may last up to L * tickNs * (1 + ρ) real time. Hence
 *   L = floor((electionTicksMin - 1) * (1 - ρ) / (1 + ρ)),
 * which is roughly the brief's electionTimeoutMin * (1 - 2ρ), minus one tick for quantisation.
 * Defaults (15 ticks, ρ = 0.05): 12 ticks = 120 ms. Message delay does not shorten the lease
 * further because it is dated from the send. The bound fails if a clock runs more than ρ off,
 * or a paused process (GC, VM stall) resumes believing its lease is current: that is the
 * documented risk of lease reads.
 */
export function leaseTicks(c: Pick<RaftConfig, 'electionTicksMin' | 'maxDriftRatio'>): number {
  return Math.max(0, Math.floor(((c.electionTicksMin - 1) * (1 - c.maxDriftRatio)) / (1 + c.maxDriftRatio)));
}

/**
 * The hard state the host should write to disk. Equal to `hs`, except under bugForgetVotedFor,
 * where the vote is dropped, as a host with that bug would.
 */
export function hardStateForDisk(
  hs: { term: number; vote: string | null; commit: number },
  c: Pick<RaftConfig, 'bugForgetVotedFor'>,
): { term: number; vote: string | null; commit: number } {
  return c.bugForgetVotedFor ? { term: hs.term, vote: null, commit: hs.commit } : { ...hs };
}
