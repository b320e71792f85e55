/**
 * Raft consensus as a pure state machine (etcd-raft style). The public door of systems/raft.
 *
 * Host loop, per node:
 *   node.tick() every config.tickNs of local time; node.step(msg) for each delivered message;
 *   node.propose(data) / node.readIndex(ctx) for client requests;
 *   while (node.hasReady()) { const rd = node.ready(); persist(rd); send(rd.messages);
 *                             apply(rd.committedEntries); serveReads(rd.readStates); node.advance(); }
 * where persist() must complete (fsync) BEFORE send() — see `Ready` for the exact contract.
 * Restart: new RaftNode({ id, peers, hardState, snapshot, entries, config, rng }) from disk.
 */
export { RaftNode, type RaftNodeOptions } from './raft.ts';
export { EMPTY_SNAPSHOT, type RaftLog } from './log.ts';
export type { Progress, ProgressState } from './progress.ts';
export {
  BUGGIFY_SITES,
  DEFAULT_RAFT_CONFIG,
  DEFAULT_TICK_NS,
  RaftConfigError,
  hardStateForDisk,
  leaseTicks,
  resolveConfig,
  type BuggifySite,
  type RaftConfig,
  type ReadOnlyOption,
} from './config.ts';
export type {
  AppendMessage,
  AppendResponseMessage,
  Entry,
  EntryData,
  HardState,
  HeartbeatMessage,
  HeartbeatResponseMessage,
  Message,
  MessageType,
  NodeId,
  ProposeResult,
  ReadIndexMessage,
  ReadIndexResponseMessage,
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
