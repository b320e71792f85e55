/**
 * The shared set-up of the raft-* scenarios: a cluster of config-store servers (Raft + KvStore),
 * a workload of client sessions recording a history, the safety checkers wired to
 * `w.violation`, and the liveness properties that must hold once the faults stop:
 *
 *  - leader: a leader whose term no live node exceeds, followed by every server;
 *  - client-ops-complete: every operation a client started has an answer;
 *  - logs-converge: every server is up and has applied the same log (same index, chain, revision);
 *  - linearizable: the recorded history passes the linearizability checker (run once, when the
 *    other properties hold; a 'not' verdict is a violation naming the operations that cannot be
 *    ordered).
 *
 * Each scenario file adds its own fault schedule (directed nemeses below, or standardNemesis).
 */
import { netLatencyMsMaxFor, type FaultParamOptions } from '../../sim/nemesis.ts';
import type { NodeId, SimNode } from '../../sim/node.ts';
import { param, type ParamValues } from '../../sim/params.ts';
import { sleep } from '../../sim/process.ts';
import type { World } from '../../sim/scenario.ts';
import { ms, sec, type Nanos } from '../../sim/time.ts';
import type { RaftConfig } from '../raft/config.ts';
import type { RaftHost, RaftHostHooks } from '../raft/host.ts';
import type { Ready } from '../raft/types.ts';
import { KvClient } from './client.ts';
import { kvNode, type KvHooks, type KvProgram } from './server.ts';
import type { KvOp, KvReadOp, KvResult, KvWriteOp } from './types.ts';
import { KvHistory, toModelInput, toModelOutput } from '../../invariants/raft/history.ts';
import { RaftSafetyChecker } from '../../invariants/raft/safety.ts';
import { checkRaftAcksDurable } from '../../invariants/raft/durable-acks.ts';
import { AppendBudgetChecker } from '../../invariants/raft/append-budget.ts';
import { leaderStability } from '../../invariants/raft/leader-stability.ts';
import { raftRunFigures } from '../raft/message-cost.ts';
import { RAFT_MESSAGE_SUMMARIES } from '../raft/message-summary.ts';
import { KV_MESSAGE_SUMMARIES } from './message-summary.ts';

export const RAFT_BUGS = ['none', 'commit-prev-term-by-counting', 'forget-voted-for', 'no-up-to-date-check', 'stale-reads', 'ack-before-fsync', 'truncate-on-append', 'sync-only-entries', 'read-before-term-commit', 'accept-stale-ack', 'resend-on-heartbeat', 'never-commit', 'campaign-on-heartbeat-silence'] as const;
export type RaftBug = (typeof RAFT_BUGS)[number];

/** The RaftConfig flags of a bug-zoo variant. */
export function bugConfig(bug: RaftBug): Partial<RaftConfig> {
  switch (bug) {
    case 'none':
      return {};
    case 'commit-prev-term-by-counting':
      return { bugCommitPrevTermByCounting: true };
    case 'forget-voted-for':
      return { bugForgetVotedFor: true };
    case 'no-up-to-date-check':
      return { bugNoUpToDateCheck: true };
    case 'stale-reads':
      return { bugStaleReads: true };
    case 'ack-before-fsync':
      return { bugAckBeforeFsync: true };
    case 'truncate-on-append':
      return { bugTruncateOnAppend: true };
    case 'sync-only-entries':
      return { bugSyncOnlyEntries: true };
    case 'read-before-term-commit':
      return { bugReadBeforeTermCommit: true };
    case 'accept-stale-ack':
      return { bugAcceptStaleAck: true };
    case 'resend-on-heartbeat':
      return { bugResendOnHeartbeat: true };
    case 'never-commit':
      return { bugNeverCommit: true };
    case 'campaign-on-heartbeat-silence':
      return { bugCampaignOnHeartbeatSilence: true };
  }
}

/** Parameters every raft-* scenario has; `over` changes defaults per scenario. */
/**
 * The standard faults a Raft cluster is swept under: all but disk corruption. A corrupt record in
 * the middle of the log or the hard state may be an acknowledged entry or a vote; like etcd (a
 * WAL CRC mismatch stops the member for an operator), the host does not guess (docs/raft.md).
 * Clock steps move only the wall clock, which neither Raft nor the store reads.
 */
export const RAFT_FAULT_OPTIONS = {
  off: ['diskCorruptionRate', 'clockJumpMsMean'],
  offReason: 'Raft does not rebuild a corrupt log record or vote, and reads only its monotonic clock (docs/raft.md, Faults)',
  // The shortest election timeout (15 ticks of 10 ms) must outlast a round trip.
  netLatencyMsMax: netLatencyMsMaxFor(150),
} satisfies FaultParamOptions;

export function raftParams(over: { nodes?: number; nodesSwarm?: [number, number]; durationS?: number; opMsMean?: number; snapshotEntries?: number; maxOps?: number } = {}) {
  return {
    nodes: param.int({ doc: 'number of Raft servers', default: over.nodes ?? 5, min: 1, max: 9, swarm: over.nodesSwarm ?? [3, 5] }),
    clients: param.int({ doc: 'number of client sessions', default: 3, min: 0, max: 16 }),
    keys: param.int({ doc: 'number of keys the workload touches', default: 3, min: 1, max: 64, swarm: [1, 5] }),
    opMsMean: param.float({ doc: 'mean time between a client\'s operations (ms)', default: over.opMsMean ?? 60, min: 0.1, max: 1e6 }),
    maxOps: param.int({ doc: 'the workload stops after this many operations (keeps histories quick to check)', default: over.maxOps ?? 300, min: 0, max: 100_000 }),
    snapshotEntries: param.int({ doc: 'compact the log after this many applied entries (0: never)', default: over.snapshotEntries ?? 64, min: 0, max: 100_000, swarm: [8, 128] }),
    readMode: param.enum(['safe', 'lease'] as const, { doc: 'ReadIndex confirmation: a heartbeat round (safe) or the leader lease', default: 'safe', swarm: ['safe', 'lease'] }),
    durationS: param.float({ doc: 'length of the fault phase (s)', default: over.durationS ?? 10, min: 0.001, max: 86400 }),
    bug: param.enum(RAFT_BUGS, { doc: 'bug-zoo variant of the Raft servers', default: 'none' }),
  };
}

export type RaftParams = ParamValues<ReturnType<typeof raftParams>>;

export interface RaftCluster {
  ids: NodeId[];
  servers: SimNode<KvProgram>[];
  safety: RaftSafetyChecker;
  history: KvHistory;
  /** The live leader with the highest term, if any. */
  leader(): SimNode<KvProgram> | undefined;
  /** Extra store hooks a scenario adds (watch and lease checkers). */
  kvHooks: KvHooks[];
  /** Called after the safety checker on every Ready (directed nemeses strike from here). */
  readyListeners: ((h: RaftHost, rd: Ready) => void)[];
  /** Failure domain (e.g. region) of each server, when the kit was given `domainOf`. */
  domains: ReadonlyMap<NodeId, string>;
}

/** The kit's name as other kits spell it: adds a config store to a world. */
export const addConfigStore = setupRaftCluster;

export interface ClusterOptions {
  /** Extra Raft config (timings). */
  config?: Partial<RaftConfig>;
  /** Run the register workload (default true). */
  workload?: boolean;
  /** Watch history kept by each server's store, in revisions (default DEFAULT_HISTORY_REVS). */
  historyRevs?: number;
  /** BUGGIFY only in the fault phase (default: throughout; a liveness property may need quiet). */
  quietBuggifyAfterHeal?: boolean;
  /** Bug-zoo flag of the store servers (KvNodeOptions.bugUnconfirmedKeepAlive). */
  bugUnconfirmedKeepAlive?: boolean;
  /** Bug-zoo flag of the store servers (KvNodeOptions.bugLeaseAttachOnCreate). */
  bugLeaseAttachOnCreate?: boolean;
  /** Node-id prefix of the servers (default 'n': n1, n2, ...) and of the workload's clients ('c'). */
  prefix?: string;
  /** Failure domain of each server (index -> label), e.g. its region; recorded in `domainOf`. */
  domainOf?: (index: number) => string;
  /** Register the cluster-level liveness properties (default true). */
  liveness?: boolean;
  /** Keys every server's store is deployed with (before the first log entry; `KvStore.seeded`). */
  initial?: Readonly<Record<string, string>>;
}

/**
 * The Raft config the kit's servers run with, for a scenario's parameters and options: one source
 * for the servers and for what a scenario derives from their timings (a bound, a refusal).
 */
export function clusterRaftConfig(p: Pick<RaftParams, 'readMode' | 'bug'>, o: Pick<ClusterOptions, 'config'> = {}): Partial<RaftConfig> {
  return { readOnlyOption: p.readMode, ...bugConfig(p.bug), ...o.config };
}

/**
 * The config store's kit (one door a system): adds `p.nodes` Raft + KV servers to the world with
 * their safety checker wired to `w.violation`, optionally a register workload, and the liveness
 * properties; returns the handle (ids, servers, leader(), history, hook lists).
 */
export function setupRaftCluster(w: World<unknown>, p: RaftParams, o: ClusterOptions = {}): RaftCluster {
  const prefix = o.prefix ?? 'n';
  w.net.describeMessages(RAFT_MESSAGE_SUMMARIES);
  w.net.describeMessages(KV_MESSAGE_SUMMARIES);
  const ids = Array.from({ length: p.nodes }, (_, i) => `${prefix}${i + 1}`);
  const domains = new Map<NodeId, string>();
  if (o.domainOf) ids.forEach((id, i) => domains.set(id, o.domainOf!(i)));
  const safety = new RaftSafetyChecker((inv, msg) => w.violation(inv, msg));
  const budget = new AppendBudgetChecker((inv, msg) => w.violation(inv, msg));
  const history = new KvHistory();
  const kvHooks: KvHooks[] = [];
  const readyListeners: ((h: RaftHost, rd: Ready) => void)[] = [];
  const hooks: RaftHostHooks = {
    onRecover: (h) => safety.onRecover(h),
    onApply: (h, e, chain) => safety.onApply(h, e, chain),
    onSend: (h, msgs) => safety.onSend(h, msgs),
    onRead: (h) => safety.onRead(h),
    onReady: (h, rd) => {
      safety.onReady(h, rd);
      budget.onReady(h, rd);
      for (const l of readyListeners) l(h, rd);
    },
  };
  const config = clusterRaftConfig(p, o);
  const servers = ids.map((id) =>
    w.addNode(id, (ctx) =>
      kvNode(ctx, {
        peers: ids,
        config,
        snapshotEntries: p.snapshotEntries,
        ...(o.historyRevs !== undefined ? { historyRevs: o.historyRevs } : {}),
        ...(o.quietBuggifyAfterHeal === true ? { buggifyWhile: () => w.phase === 'fault' } : {}),
        ...(o.bugUnconfirmedKeepAlive === true ? { bugUnconfirmedKeepAlive: true } : {}),
        ...(o.bugLeaseAttachOnCreate === true ? { bugLeaseAttachOnCreate: true } : {}),
        ...(o.initial !== undefined ? { initial: o.initial } : {}),
        hooks,
        kvHooks: {
          onAck: (node, index, client, seq) => {
            safety.onAck(node, index, client, seq);
            for (const h of kvHooks) h.onAck?.(node, index, client, seq);
          },
          onApply: (node, index, cmd, result, events) => {
            for (const h of kvHooks) h.onApply?.(node, index, cmd, result, events);
          },
        },
      }),
    ),
  );
  const leader = (): SimNode<KvProgram> | undefined => {
    let best: SimNode<KvProgram> | undefined;
    for (const s of servers) {
      const r = s.program?.host.raft;
      if (r && r.role === 'leader' && (!best || r.term > best.program!.host.raft.term)) best = s;
    }
    return best;
  };
  const cluster: RaftCluster = { ids, servers, safety, history, leader, kvHooks, readyListeners, domains };
  // The deployed keys are in the history as puts completed at time 0, before anything else.
  for (const [key, value] of Object.entries(o.initial ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) history.ok(history.invoke(0, { op: 'put', key, value }, 0), { version: 1 }, 0);

  checkRaftAcksDurable(w, (n) => (n as SimNode<KvProgram>).program?.host);
  if (o.workload !== false) for (let c = 0; c < p.clients; c++) addRegisterClient(w, cluster, p, c, prefix === 'n' ? 'c' : `${prefix}c`);
  if (o.liveness !== false) addLiveness(w, cluster, config);
  // Raft's message figures over the whole run (read when the runner takes the metrics, at the end;
  // a platform with several clusters on one network reports them for all of them together).
  Object.defineProperty(w.metrics, 'raftMessages', {
    enumerable: true,
    configurable: true,
    get: () => ({
      ...raftRunFigures(w.net, safety.maxCommitted, safety.elections, w.now),
      wastedAppends: budget.stats.wastedAppends,
      entriesSentPerEntry: safety.maxCommitted > 0 ? Math.round((budget.stats.entriesSent / safety.maxCommitted) * 100) / 100 : null,
    }),
  });
  w.onHeal(() => {
    w.metrics.elections = safety.elections;
    w.metrics.terms = safety.leaders.size;
    w.metrics.committed = safety.maxCommitted;
  });
  return cluster;
}

/** A client session issuing get/put/cas/delete on a few keys, recorded in the history. */
function addRegisterClient(w: World<unknown>, c: RaftCluster, p: RaftParams, clientNo: number, clientPrefix: string): void {
  const name = `${clientPrefix}${clientNo + 1}`;
  w.addClient(name, function* (ctx) {
    const kc = new KvClient(ctx, { servers: c.ids, clientId: name });
    const seen = new Map<string, { value: string | null; version: number }>();
    let n = 0;
    for (;;) {
      yield ctx.sleep(Math.max(1, Math.round(ctx.rng.exponential(ms(p.opMsMean)))));
      if (w.phase !== 'fault' || c.history.size >= p.maxOps) return;
      const key = `k${ctx.rng.int(0, p.keys - 1)}`;
      const value = `${clientNo + 1}.${++n}`;
      const last = seen.get(key);
      const roll = ctx.rng.next();
      let op: KvOp;
      if (roll < 0.4) op = { op: 'get', key };
      else if (roll < 0.65) op = { op: 'put', key, value };
      else if (roll < 0.75) op = { op: 'cas', key, value, expectedValue: last?.value ?? null };
      else if (roll < 0.9) op = { op: 'cas', key, value, expectedVersion: last?.version ?? 0 };
      else op = { op: 'delete', key };
      // A recorded decision (sim/decisions.ts): a script may drop this operation or name another.
      const chosen = w.sim.decisions.operation(name, n, op as KvOp & Record<string, unknown>);
      if (chosen === null) continue;
      op = chosen;
      const id = c.history.invoke(clientNo + 1, toModelInput(op)!, w.now);
      const r = op.op === 'get' || op.op === 'range' ? yield* kc.read(op as KvReadOp) : yield* kc.write(op as KvWriteOp);
      if (!r.ok) {
        c.history.unknown(id);
        continue;
      }
      c.history.ok(id, toModelOutput(r.value), w.now);
      w.clientOp();
      remember(seen, 'key' in op ? op.key : key, op, r.value);
    }
  });
}

function remember(seen: Map<string, { value: string | null; version: number }>, key: string, op: KvOp, r: KvResult): void {
  if (r.op === 'get') seen.set(key, { value: r.value, version: r.version });
  else if (r.op === 'put' && op.op === 'put') seen.set(key, { value: op.value, version: r.version });
  else if (r.op === 'cas' && r.ok && op.op === 'cas') seen.set(key, { value: op.value, version: r.version });
  else if (r.op === 'delete') seen.set(key, { value: null, version: 0 });
}

function addLiveness(w: World<unknown>, c: RaftCluster, config: Partial<RaftConfig>): void {
  w.liveness('leader', () => {
    const l = c.leader();
    if (!l) return 'no leader';
    const term = l.program!.host.raft.term;
    for (const s of c.servers) {
      const r = s.program?.host.raft;
      if (!r) return `${s.id} is down`;
      if (r.term > term || r.leader !== l.id) return `${s.id} follows ${r.leader ?? 'nobody'} in term ${r.term}; leader ${l.id} is in term ${term}`;
    }
    return true;
  });
  // A leader that never commits is safe and useless, and with no client operations (clients 0, or
  // a scenario with its own workload) nothing else waits on a commit: the empty entry every leader
  // appends when elected (§8) must commit, whatever the workload.
  // Asked on its own at the deadline too (every property is, to name each one pending), when
  // there may be no leader at all.
  w.liveness('leader-commits', () => {
    const l = c.leader();
    if (!l) return 'no leader';
    const r = l.program!.host.raft;
    return r.commitTerm === r.term ? true : `leader ${l.id} has committed nothing of its term ${r.term} (commit index ${r.commitIndex}, of term ${r.commitTerm}; last index ${r.lastIndex})`;
  });
  w.liveness('client-ops-complete', () => (c.history.pending === 0 ? true : `${c.history.pending} client operation(s) still waiting for an answer`));
  w.liveness('logs-converge', () => {
    const l = c.leader();
    if (!l) return 'no leader';
    const lh = l.program!.host;
    const target = lh.raft.commitIndex;
    for (const s of c.servers) {
      const h = s.program?.host;
      if (!h) return `${s.id} is down`;
      if (h.raft.appliedIndex !== target) return `${s.id} applied ${h.raft.appliedIndex}, the leader committed ${target}`;
      if (h.chainAt(target) !== lh.chainAt(target)) return `${s.id} applied a different log than the leader up to ${target}`;
      if (s.program!.store.rev !== l.program!.store.rev) return `${s.id} is at revision ${s.program!.store.rev}, the leader at ${l.program!.store.rev}`;
    }
    return true;
  });
  // Election churn breaks no safety property and leaves a leader at almost every instant: a
  // healthy cluster must also keep its leader, unchallenged, for two election timeouts.
  const stability = leaderStability(w, c.ids, () => c.servers.map((s) => s.program?.host), config);
  w.liveness('leader-stable', stability.check);
  w.liveness('linearizable', () => {
    if (c.history.pending > 0) return 'waiting for every operation to complete';
    const res = c.history.check();
    w.metrics.history = { ...c.history.counts(), verdict: res.result, steps: res.steps, partitions: res.partitions };
    if (res.result === 'not') w.violation('linearizability', c.history.explain(res), { history: c.history.view(res) });
    return true;
  });
}

// ------------------------------------------------------------------ directed nemeses

/** Waits until some server is leader (polling every 10 ms), up to `maxNs`. */
export function* awaitLeader(w: World<unknown>, c: RaftCluster, maxNs: Nanos = sec(5)): Generator<ReturnType<typeof sleep>, SimNode<KvProgram> | undefined, unknown> {
  for (let t = 0; t < maxNs; t += ms(10)) {
    const l = c.leader();
    if (l) return l;
    yield sleep(w.sim, ms(10));
  }
  return undefined;
}

/**
 * Waits (up to `maxNs`) until the leader's commit index advances, polling every `stepNs`. The
 * Figure 8 schedule strikes right then.
 */
export function* awaitCommitAdvance(w: World<unknown>, l: SimNode<KvProgram>, maxNs: Nanos, stepNs: Nanos = ms(1)): Generator<ReturnType<typeof sleep>, boolean, unknown> {
  const start = l.program?.host.raft.commitIndex ?? 0;
  for (let t = 0; t < maxNs; t += stepNs) {
    yield sleep(w.sim, stepNs);
    const r = l.program?.host.raft;
    if (!r || r.role !== 'leader') return false;
    if (r.commitIndex > start) return true;
  }
  return false;
}
