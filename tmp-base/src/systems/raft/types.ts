/**
 * Plain data types of the Raft state machine: log entries, durable state, messages and the Ready
 * batch. Everything here is plain data (objects, arrays, strings, numbers, null, Uint8Array) so the
 * simulator kernel can deep-copy messages at send time and a disk model can store records as-is.
 */

/** A node's identity, e.g. "n1". Fixed membership: the voter set never changes. */
export type NodeId = string;

/** The payload of a log entry or snapshot: opaque to Raft. `null` marks the leader's empty entry. */
export type EntryData = string | Uint8Array | null;

/** One replicated log entry (Raft paper §5.3). */
export interface Entry {
  /** Term of the leader that created the entry. */
  term: number;
  /** Position in the log, starting at 1. */
  index: number;
  /** Application command, or null for the empty entry a new leader appends (§8). */
  data: EntryData;
}

/** State that must be on stable storage before any message produced with it is sent (Figure 2). */
export interface HardState {
  /** Latest term this node has seen. Never decreases. */
  term: number;
  /** Candidate voted for in `term`, or null. */
  vote: NodeId | null;
  /** Highest index known committed. Persisting it is an optimisation (faster restart), not safety. */
  commit: number;
}

/**
 * A snapshot: the state machine at `index` (inclusive), plus the term of the entry at `index`,
 * which the consistency check of the next append needs.
 */
export interface Snapshot {
  index: number;
  term: number;
  /** The application's serialised state; null only for the empty initial snapshot (index 0). */
  data: EntryData;
}

/** A linearizable read confirmation: serve the read once the state machine applied `index`. */
export interface ReadState {
  index: number;
  /** The caller's request id passed to `readIndex(ctx)`. */
  context: string;
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state worth logging when it changes (role transitions for short logs and checkers). */
export interface SoftState {
  role: Role;
  term: number;
  leader: NodeId | null;
}

interface MessageBase {
  from: NodeId;
  to: NodeId;
  /** Sender's term (for `preVote` the term it would campaign in; 0 for a forwarded `readIndex`). */
  term: number;
}

/** AppendEntries (§5.3). `index`/`logTerm` name the entry just before `entries`. */
export interface AppendMessage extends MessageBase {
  type: 'app';
  index: number;
  logTerm: number;
  entries: Entry[];
  /** Leader's commit index. */
  commit: number;
}

/** AppendEntries reply. On success `index` is the follower's last matching index. */
export interface AppendResponseMessage extends MessageBase {
  type: 'appResp';
  /** Success: last index known to match the leader. Rejection: the `index` of the rejected append. */
  index: number;
  reject: boolean;
  /** Rejection only: the follower's guess of the highest index that might match (fast backtracking). */
  rejectHint: number;
  /** Rejection only: the term of the follower's entry at `rejectHint` (0 if unknown). */
  logTerm: number;
}

/** RequestVote (§5.2) or its PreVote dry run (§9.6 of Ongaro's thesis). */
export interface VoteMessage extends MessageBase {
  type: 'vote' | 'preVote';
  /** Candidate's last log index. */
  index: number;
  /** Candidate's last log term. */
  logTerm: number;
  /** The candidate's round-trip estimate in ticks (adaptive timeouts): voters wait at least as long. */
  rtt?: number;
}

export interface VoteResponseMessage extends MessageBase {
  type: 'voteResp' | 'preVoteResp';
  reject: boolean;
}

/** Leader heartbeat: keeps followers from campaigning, confirms reads, renews the lease. */
export interface HeartbeatMessage extends MessageBase {
  type: 'heartbeat';
  /** min(follower's match, leader's commit): never beyond what the follower is known to hold. */
  commit: number;
  /** The newest pending ReadIndex request id, echoed back, or null. */
  context: string | null;
  /** Heartbeat round number, echoed back; the leader uses it to date its lease. */
  round: number;
  /** The leader's round-trip estimate in ticks (adaptive timeouts): followers time out no sooner. */
  rtt?: number;
}

export interface HeartbeatResponseMessage extends MessageBase {
  type: 'heartbeatResp';
  context: string | null;
  round: number;
}

/** InstallSnapshot (§7). */
export interface SnapshotMessage extends MessageBase {
  type: 'snap';
  snapshot: Snapshot;
}

/** A follower forwards a `readIndex(ctx)` call to its leader. Sent with term 0 (not term-checked). */
export interface ReadIndexMessage extends MessageBase {
  type: 'readIndex';
  context: string;
}

/** The leader's answer to a forwarded read: the read is safe once `index` is applied. */
export interface ReadIndexResponseMessage extends MessageBase {
  type: 'readIndexResp';
  index: number;
  context: string;
}

/** Every message Raft nodes exchange. Discriminated by `type`. */
export type Message =
  | AppendMessage
  | AppendResponseMessage
  | VoteMessage
  | VoteResponseMessage
  | HeartbeatMessage
  | HeartbeatResponseMessage
  | SnapshotMessage
  | ReadIndexMessage
  | ReadIndexResponseMessage;

export type MessageType = Message['type'];

/**
 * One batch of work for the host, returned by `RaftNode.ready()`.
 *
 * THE CONTRACT (same as etcd raft's Ready), in this order:
 *  1. If `snapshot` is set: discard the whole persisted log and store the snapshot (restore the
 *     state machine from `snapshot.data`).
 *  2. If `truncateFrom` is set, or `entries` is non-empty: delete persisted entries with
 *     index >= `entries[0].index` (and >= `truncateFrom`), then append `entries`.
 *  3. If `hardState` is set, store it (see `hardStateForDisk` for the bugForgetVotedFor variant).
 *  4. fsync (when `mustSync`). ONLY THEN send `messages`: a vote or an append acknowledgement sent
 *     before the fsync can be forgotten by a crash, which breaks election safety or durability of
 *     committed entries. (`config.bugAckBeforeFsync` asks the host to break this on purpose.)
 *  5. Apply `committedEntries` in order, then serve `readStates` whose index is applied.
 *  6. Call `advance()`. `ready()` may not be called again before `advance()`; inputs (`step`,
 *     `tick`, `propose`, ...) may be given meanwhile and show up in the next Ready.
 */
export interface Ready {
  /** Non-null when changed since the last Ready. */
  softState: SoftState | null;
  /** Non-null when changed since the last Ready: persist before sending. */
  hardState: HardState | null;
  /** A snapshot received from the leader: persist it, replacing the whole log. */
  snapshot: Snapshot | null;
  /** Non-null when entries already handed out in an earlier Ready were overwritten from here on. */
  truncateFrom: number | null;
  /** Entries to append to stable storage (contiguous, ascending). */
  entries: Entry[];
  /** Send after the persist above completed. */
  messages: Message[];
  /** Apply in order (they are already durable once step 1-4 are done). */
  committedEntries: Entry[];
  /** Linearizable read confirmations. */
  readStates: ReadState[];
  /** True when step 4 needs an fsync (entries, snapshot, term or vote changed). */
  mustSync: boolean;
}

/** Result of `propose`. A non-leader refuses instead of forwarding, so the caller can redirect. */
export type ProposeResult =
  | { ok: true; index: number; term: number }
  | { ok: false; reason: 'not-leader'; leader: NodeId | null };

/** Result of `readIndex`. `ok: true` means a ReadState with this context will follow (unless lost). */
export type ReadIndexResult =
  | { ok: true }
  | { ok: false; reason: 'no-leader' }
  | { ok: false; reason: 'leader-not-ready' };
