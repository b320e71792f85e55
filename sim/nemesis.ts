/**
 * The standard fault schedule (nemesis) and the fault parameters that drive it. Scenarios spread
 * `faultParams()` into their params and call `standardNemesis(w, p)` in setup; each seed then
 * draws its own fault mix (swarm testing), and `--param` pins any of it.
 *
 * Every fault here is one the systems should survive (TigerBeetle chooses faults the same way):
 * crashes restart, partitions heal, pauses end. At most `maxDown` servers are down or paused at
 * once, so a majority can always make progress between faults.
 */
import type { ParamValues } from './params.ts';
import { param, ParamError } from './params.ts';
import { sleep } from './process.ts';
import type { World } from './scenario.ts';
import { ms, sec, type Nanos } from './time.ts';
import type { SimNode } from './node.ts';
import type { Rng } from './prng.ts';

/**
 * The milestone kinds systems report (`ctx.milestone`), a vocabulary shared by every system so
 * one directed nemesis serves them all. Systems may report others (they are traced); only these
 * trigger directed faults.
 */
export const MILESTONE_KINDS = {
  /** A node's role changed (Raft follower/candidate/leader, an lb drain start or end, an hwkv acceptor's leader). */
  roleChange: 'role-change',
  /** A node moved to a new term or ballot. */
  termChange: 'term-change',
  /** A node granted its vote. */
  voteGranted: 'vote-granted',
  /** A node's commit point advanced (Raft commit index, an escrow borrow or refill applied). */
  commitAdvance: 'commit-advance',
  /** A node compacted: a Raft snapshot, a CRDT GC or eviction, a watch-history trim. */
  compaction: 'compaction',
  /** A node finished a synchronisation round: CRDT anti-entropy, an lb table rebuild, a gossip round. */
  syncRound: 'sync-round',
} as const;

/**
 * The standard fault parameters. `opts.defaults` changes a default for one scenario; `opts.off`
 * lists faults a system does not claim to survive: they are pinned to 0 (no swarm range, max 0)
 * and their doc says so, so `--param` cannot switch them on by accident.
 */
export function faultParams(opts: FaultParamOptions = {}) {
  const all = {
    /** Probability that a message is lost. */
    netLossRate: param.float({ doc: 'probability that a message is lost', default: 0.01, min: 0, max: 1, swarm: [0, 0.1], swarmOffProbability: 0.3 }),
    /** Probability that a message is delivered twice. */
    netDuplicateRate: param.float({ doc: 'probability that a message is delivered twice', default: 0.01, min: 0, max: 1, swarm: [0, 0.05], swarmOffProbability: 0.3 }),
    /** Probability that a message skips FIFO order. */
    netReorderRate: param.float({ doc: 'probability that a message skips FIFO order', default: 0.01, min: 0, max: 1, swarm: [0, 0.1], swarmOffProbability: 0.3 }),
    /** Median one-way link latency (ms). */
    netLatencyMsMedian: param.float({ doc: 'median one-way link latency (ms)', default: 0.5, min: 0.001, max: 1000, swarm: [0.1, 5] }),
    /** Mean time between node crashes (ms); 0: none. */
    crashMsMean: param.float({ doc: 'mean time between node crashes (ms); 0 = no crashes', default: 3000, min: 0, max: 1e7, swarm: [500, 10000], swarmOffProbability: 0.2, shrink: 'up' }),
    /** Mean time a crashed node stays down (ms). */
    downMsMean: param.float({ doc: 'mean time a crashed node stays down (ms)', default: 1000, min: 1, max: 1e7, swarm: [100, 5000] }),
    /** Mean time between partitions (ms); 0: none. */
    partitionMsMean: param.float({ doc: 'mean time between partitions (ms); 0 = none', default: 4000, min: 0, max: 1e7, swarm: [500, 10000], swarmOffProbability: 0.2, shrink: 'up' }),
    /** Mean length of a partition (ms). */
    partitionMsLength: param.float({ doc: 'mean length of a partition (ms)', default: 2000, min: 1, max: 1e7, swarm: [100, 10000] }),
    /** Mean time between node pauses (ms); 0: none. */
    pauseMsMean: param.float({ doc: 'mean time between node pauses (GC stalls) (ms); 0 = none', default: 0, min: 0, max: 1e7, swarm: [1000, 20000], swarmOffProbability: 0.5, shrink: 'up' }),
    /** Mean time between link clogs (ms); 0: none. */
    clogMsMean: param.float({ doc: 'mean time between link clogs (ms); 0 = none', default: 0, min: 0, max: 1e7, swarm: [1000, 20000], swarmOffProbability: 0.5, shrink: 'up' }),
    /** Whether a crash keeps a torn prefix of unsynced writes. */
    tornWrites: param.bool({ doc: 'a crash keeps a torn prefix of unsynced writes (else loses all)', default: false, swarm: 0.5 }),
    /** Largest initial clock offset of a node (ms). */
    clockSkewMsMax: param.float({ doc: 'largest initial clock offset of a node (ms)', default: 0, min: 0, max: 1e6, swarm: [0, 200] }),
    /** Largest clock rate error of a node (ppm). */
    clockDriftPpmMax: param.float({ doc: 'largest clock rate error of a node (ppm)', default: 0, min: 0, max: 1e5, swarm: [0, 200] }),
    // Added with issue 10: every fault the models have. New parameters go last, so the swarm
    // draws of the older ones stay where they were.
    /** Probability that a partition comes with more independent cuts (correlated faults: several nodes cut at once). */
    multiCutProbability: param.float({ doc: 'probability that a partition comes with more independent cuts (correlated faults: several nodes cut at once)', default: 0.2, min: 0, max: 1, swarm: [0, 0.6], swarmOffProbability: 0.3 }),
    /** Probability that a node crashes as a partition begins (within the down budget). */
    crashDuringPartitionProbability: param.float({ doc: 'probability that a node crashes as a partition begins (within the down budget)', default: 0.2, min: 0, max: 1, swarm: [0, 0.6], swarmOffProbability: 0.3 }),
    /** Probability that an fsync fails with EIO, its writes lost (the system must fail-stop or rewrite). */
    diskWriteErrorRate: param.float({ doc: 'probability that an fsync fails with EIO, its writes lost (the system must fail-stop or rewrite)', default: 0.002, min: 0, max: 1, swarm: [0, 0.02], swarmOffProbability: 0.4 }),
    /** Probability that reading a file at recovery fails with EIO (transient). */
    diskReadErrorRate: param.float({ doc: 'probability that reading a file at recovery fails with EIO (transient)', default: 0.05, min: 0, max: 1, swarm: [0, 0.3], swarmOffProbability: 0.4 }),
    /** Probability that a durable record later reads back corrupt (on a minority of nodes only). */
    diskCorruptionRate: param.float({ doc: 'probability that a durable record later reads back corrupt (on a minority of nodes only)', default: 0.001, min: 0, max: 1, swarm: [0, 0.01], swarmOffProbability: 0.4 }),
    /** Mean time between full-disk episodes on a node (fsyncs fail with ENOSPC) (ms); 0 = none. */
    diskFullMsMean: param.float({ doc: 'mean time between full-disk episodes on a node (fsyncs fail with ENOSPC) (ms); 0 = none', default: 8000, min: 0, max: 1e7, swarm: [1000, 20000], swarmOffProbability: 0.4, shrink: 'up' }),
    /** Mean time between slow-disk episodes on a node (ms); 0 = none. */
    diskSlowMsMean: param.float({ doc: 'mean time between slow-disk episodes on a node (ms); 0 = none', default: 5000, min: 0, max: 1e7, swarm: [1000, 20000], swarmOffProbability: 0.4, shrink: 'up' }),
    /** Largest fsync latency multiplier of a slow-disk episode. */
    diskSlowFactorMax: param.float({ doc: 'largest fsync latency multiplier of a slow-disk episode', default: 20, min: 1, max: 1e4, swarm: [2, 100] }),
    /** Mean time between clock steps on a node (ms); 0 = none. */
    clockJumpMsMean: param.float({ doc: 'mean time between clock steps on a node (ms); 0 = none', default: 5000, min: 0, max: 1e7, swarm: [1000, 20000], swarmOffProbability: 0.4, shrink: 'up' }),
    /** Largest clock step, forwards or backwards (ms). */
    clockJumpMsMax: param.float({ doc: 'largest clock step, forwards or backwards (ms)', default: 50, min: 0, max: 1e6, swarm: [1, 500] }),
    /** Mean time between clock rate changes on a node, within clockDriftPpmMax (ms); 0 = none. */
    clockDriftChangeMsMean: param.float({ doc: 'mean time between clock rate changes on a node, within clockDriftPpmMax (ms); 0 = none', default: 5000, min: 0, max: 1e7, swarm: [1000, 20000], swarmOffProbability: 0.4, shrink: 'up' }),
    /** Probability that a node is crashed right after it moves to a new term or ballot (directed). */
    directedCrashAfterTermChangeProbability: param.float({ doc: 'probability that a node is crashed right after it moves to a new term or ballot (directed)', default: 0.05, min: 0, max: 1, swarm: [0, 0.3], swarmOffProbability: 0.4 }),
    /** Probability that a node is crashed right after it grants a vote (directed). */
    directedCrashAfterVoteProbability: param.float({ doc: 'probability that a node is crashed right after it grants a vote (directed)', default: 0.05, min: 0, max: 1, swarm: [0, 0.3], swarmOffProbability: 0.4 }),
    /** Probability that a node is cut off right after its role changes (directed). */
    directedIsolateAfterRoleChangeProbability: param.float({ doc: 'probability that a node is cut off right after its role changes (directed)', default: 0.05, min: 0, max: 1, swarm: [0, 0.3], swarmOffProbability: 0.4 }),
    /** Probability that a node is cut off right after its commit point advances (directed). */
    directedPartitionAfterCommitProbability: param.float({ doc: 'probability that a node is cut off right after its commit point advances (directed)', default: 0.002, min: 0, max: 1, swarm: [0, 0.02], swarmOffProbability: 0.4 }),
    /** Probability that a node is crashed right after it compacts (directed). */
    directedCrashAfterCompactionProbability: param.float({ doc: 'probability that a node is crashed right after it compacts (directed)', default: 0.05, min: 0, max: 1, swarm: [0, 0.3], swarmOffProbability: 0.4 }),
    /** Probability that a node is crashed right after a sync round (anti-entropy, table rebuild) (directed). */
    directedCrashAfterSyncProbability: param.float({ doc: 'probability that a node is crashed right after a sync round (anti-entropy, table rebuild) (directed)', default: 0.02, min: 0, max: 1, swarm: [0, 0.1], swarmOffProbability: 0.4 }),
  };
  if (opts.netLatencyMsMax !== undefined) Object.assign(all.netLatencyMsMedian, { max: opts.netLatencyMsMax });
  if (opts.diskSlowFactorMax !== undefined) Object.assign(all.diskSlowFactorMax, { max: opts.diskSlowFactorMax });
  const scale = opts.episodeMsScale ?? 1;
  if (scale !== 1)
    for (const k of ['diskFullMsMean', 'diskSlowMsMean', 'clockJumpMsMean', 'clockDriftChangeMsMean'] as const) {
      const d = all[k];
      Object.assign(d, { default: d.default * scale, swarm: [d.swarm![0] * scale, d.swarm![1] * scale] });
    }
  for (const [k, v] of Object.entries(opts.defaults ?? {})) {
    const d = all[k as FaultParamName] as { default: number | boolean };
    d.default = v as never;
  }
  for (const k of opts.off ?? []) {
    const d = all[k];
    const why = opts.offReason ?? 'not survived by this system (see its doc)';
    if (d.type === 'bool') Object.assign(d, { default: false, swarm: undefined, doc: `${d.doc}: off, ${why}` });
    else Object.assign(d, { default: 0, min: 0, max: 0, swarm: undefined, swarmOffProbability: undefined, doc: `${d.doc}: off, ${why}` });
  }
  return all;
}

/**
 * A round trip's p99 over the standard nemesis's links, in link-latency medians: links are
 * lognormal with a p99 of four medians each way (standardNemesis), so eight.
 */
export const ROUND_TRIP_P99_MEDIANS = 8;

/**
 * The largest `netLatencyMsMedian` a timeout of `timeoutMs` allows: a round trip's p99
 * ({@link ROUND_TRIP_P99_MEDIANS} medians) must fit in the timeout. Above it every call can time
 * out before its answer arrives, and a correct system fails its liveness properties (broadcast's
 * 500 ms calls at netLatencyMsMedian=300).
 */
export function netLatencyMsMaxFor(timeoutMs: number): number {
  return timeoutMs / ROUND_TRIP_P99_MEDIANS;
}

/** How a scenario adapts the standard fault parameters (see {@link faultParams}). */
export interface FaultParamOptions {
  /** New defaults for this scenario. */
  defaults?: Partial<Record<FaultParamName, number | boolean>>;
  /** Faults the system does not claim to survive: pinned off (see `offReason`). */
  off?: readonly FaultParamName[];
  /** Why they are off, for `detsim list` (e.g. "a corrupt Raft record may be a vote: docs/raft.md"). */
  offReason?: string;
  /**
   * The largest median one-way latency the system's timeouts are made for (default 1000 ms):
   * use {@link netLatencyMsMaxFor} of its shortest timeout that must cover a round trip.
   */
  netLatencyMsMax?: number;
  /**
   * The largest `diskSlowFactorMax` the system's liveness bound covers (default 10⁴). A slow
   * episode's factor applies to every fsync issued during it, and the heal does not shorten those
   * already queued: they complete one after another after it (`Disk.fsync` serialises them), so a
   * system that queues many in an episode needs their sum after the heal.
   */
  diskSlowFactorMax?: number;
  /**
   * Multiplies the mean times between disk and clock episodes (full and slow disks, clock steps
   * and rate changes): below 1 for runs of hundreds of ms, above 1 for runs of hours.
   */
  episodeMsScale?: number;
}

/** The name of one standard fault parameter. */
export type FaultParamName =
  | 'netLossRate' | 'netDuplicateRate' | 'netReorderRate' | 'netLatencyMsMedian' | 'crashMsMean' | 'downMsMean' | 'partitionMsMean' | 'partitionMsLength'
  | 'pauseMsMean' | 'clogMsMean' | 'tornWrites' | 'clockSkewMsMax' | 'clockDriftPpmMax' | 'multiCutProbability' | 'crashDuringPartitionProbability'
  | 'diskWriteErrorRate' | 'diskReadErrorRate' | 'diskCorruptionRate' | 'diskFullMsMean' | 'diskSlowMsMean' | 'diskSlowFactorMax'
  | 'clockJumpMsMean' | 'clockJumpMsMax' | 'clockDriftChangeMsMean'
  | 'directedCrashAfterTermChangeProbability' | 'directedCrashAfterVoteProbability' | 'directedIsolateAfterRoleChangeProbability'
  | 'directedPartitionAfterCommitProbability' | 'directedCrashAfterCompactionProbability' | 'directedCrashAfterSyncProbability';

/** The values of {@link faultParams} a scenario's setup receives. */
export type FaultParams = ParamValues<ReturnType<typeof faultParams>>;

/** Options of {@link standardNemesis}. */
export interface NemesisOptions {
  /** Nodes the nemesis may crash, pause and partition (default: all servers). */
  targets?: SimNode[];
  /** At most this many targets down or paused at once (default: a minority). */
  maxDown?: number;
  /**
   * What partitions do to nodes that are not targets (clients): 'cut' (default) puts them on a
   * side of their own, as `Network.partition` does; 'keep' leaves them reaching every side, so
   * a workload can see both halves of a split brain (a stale read from a minority leader).
   */
  others?: 'cut' | 'keep';
  /**
   * Called after every change the nemesis makes to nodes or links (a crash, a restart, a pause,
   * a partition or its heal), so an oracle tracking ground truth can re-read it.
   */
  afterChange?: () => void;
}

/**
 * Applies the network, disk and clock parameters and starts the standard nemesis: crashes,
 * pauses, partitions of every shape (several at once, a crash as one begins), clogs, disk
 * episodes (full, slow), clock steps and rate changes, and the directed nemesis (faults right
 * after protocol milestones). Call at the end of setup, after the nodes are added.
 */
export function standardNemesis(w: World<unknown>, p: FaultParams, opts: NemesisOptions = {}): void {
  const missing = Object.keys(faultParams()).filter((k) => typeof (p as Record<string, unknown>)[k] !== (k === 'tornWrites' ? 'boolean' : 'number'));
  if (missing.length > 0) throw new ParamError(`standardNemesis needs the parameters of faultParams() (spread \`...faultParams()\` into the scenario's params); missing or mistyped: ${missing.join(', ')}`);
  const median = ms(p.netLatencyMsMedian);
  w.net.setDefaults({
    latency: { kind: 'lognormal', minNs: Math.max(1, Math.round(median / 5)), medianNs: Math.max(1, median), p99Ns: Math.max(1, median * 4) },
    lossRate: p.netLossRate,
    duplicateRate: p.netDuplicateRate,
    reorderRate: p.netReorderRate,
    reorderDelayNsMax: median * 10,
  });
  if (p.netLossRate > 0) w.enableFault('net-loss');
  if (p.netDuplicateRate > 0) w.enableFault('net-duplicate');
  if (p.netReorderRate > 0) w.enableFault('net-reorder');
  const clocks = w.rng('clocks');
  for (const n of w.nodes) {
    n.setClock({ offsetNs: Math.round(clocks.uniform(-1, 1) * ms(p.clockSkewMsMax)), driftPpm: Math.round(clocks.uniform(-1, 1) * p.clockDriftPpmMax) });
  }
  if (p.clockSkewMsMax > 0 && w.nodes.length > 0) w.enableFault('clock-skew');
  if (p.clockDriftPpmMax > 0 && w.nodes.length > 0) w.enableFault('clock-drift');
  const targets = opts.targets ?? w.servers;
  if (targets.length === 0) return;
  const maxDown = opts.maxDown ?? Math.floor((targets.length - 1) / 2);
  const rng = w.rng('nemesis');
  const out = new Set<SimNode>();
  const mean = (x: number): Nanos => Math.max(1, Math.round(rng.exponential(ms(x))));
  const changed = opts.afterChange ?? ((): void => {});
  if (opts.afterChange !== undefined) w.faultListeners.push(opts.afterChange);
  /** Targets down or paused, by this nemesis or on their own (a fail-stop). */
  const downCount = (): number => targets.filter((n) => out.has(n) || n.state !== 'up').length;
  /** Crashes a target for a while if the down budget allows; true if it did. */
  const crashOne = (victim: SimNode | null = null, downFor: (x: number) => Nanos = mean): boolean => {
    const candidates = targets.filter((n) => n.state === 'up' && !out.has(n));
    if (candidates.length === 0 || downCount() >= maxDown) return false;
    const v = victim !== null && candidates.includes(victim) ? victim : victim === null ? rng.pick(candidates) : null;
    if (v === null) return false;
    out.add(v);
    v.crash(p.tornWrites ? 'torn' : 'all');
    changed();
    w.sim.schedule(downFor(p.downMsMean), () => {
      out.delete(v);
      if (w.phase === 'fault' && v.state === 'down') v.start();
      changed();
    });
    return true;
  };

  if (p.crashMsMean > 0 && maxDown > 0) {
    w.enableFault('node-crash');
    if (p.tornWrites) w.enableFault('disk-torn-write');
    w.nemesis('crash', (function* () {
      for (;;) {
        yield sleep(w.sim, mean(p.crashMsMean));
        crashOne();
      }
    })());
  }

  if (p.pauseMsMean > 0 && maxDown > 0) {
    w.enableFault('node-pause');
    w.nemesis('pause', (function* () {
      for (;;) {
        yield sleep(w.sim, mean(p.pauseMsMean));
        const candidates = targets.filter((n) => n.state === 'up' && !out.has(n));
        if (candidates.length === 0 || downCount() >= maxDown) continue;
        const victim = rng.pick(candidates);
        out.add(victim);
        const len = mean(p.downMsMean);
        victim.pause(len);
        changed();
        w.sim.schedule(len, () => {
          out.delete(victim);
          changed();
        });
      }
    })());
  }

  const ids = targets.map((n) => n.id);
  const keep = opts.others === 'keep';
  /** Cuts `victim` from the other targets (and from everyone else unless others are kept). */
  const isolate = (victim: string): void => {
    if (keep) w.net.split([[victim], ids.filter((x) => x !== victim)]);
    else w.net.isolate(victim);
  };
  if (p.partitionMsMean > 0 && targets.length > 1) {
    w.enableFault('net-isolate');
    w.enableFault('net-split');
    w.enableFault('net-one-way');
    if (ids.length >= 3) w.enableFault('net-bridge');
    if (ids.length >= 4) w.enableFault('net-ring');
    if (p.multiCutProbability > 0 && ids.length >= 3) w.enableFault('net-multi-cut');
    if (p.crashDuringPartitionProbability > 0 && maxDown > 0) w.enableFault('net-crash-during-partition');
    w.nemesis('partition', (function* () {
      for (;;) {
        yield sleep(w.sim, mean(p.partitionMsMean));
        const shape = rng.int(0, 4);
        const shuffled = rng.shuffle(ids);
        if (shape === 0) isolate(rng.pick(ids));
        else if (shape === 1) {
          const halves = [shuffled.slice(0, Math.floor(ids.length / 2)), shuffled.slice(Math.floor(ids.length / 2))];
          if (keep) w.net.split(halves);
          else w.net.partition(halves);
        }
        else if (shape === 2) w.net.blockOneWay(shuffled[0]!, shuffled[1]!);
        else if (shape === 3 && ids.length >= 3) w.net.bridge(shuffled.slice(1, 1 + Math.floor((ids.length - 1) / 2)), shuffled.slice(1 + Math.floor((ids.length - 1) / 2)), shuffled[0]!);
        else if (shape === 4 && ids.length >= 4) w.net.ring(shuffled);
        else isolate(rng.pick(ids));
        // Correlated faults: more cuts at once (each isolates one more node, so an even-sized
        // cluster can lose exactly half), and a crash as the partition begins.
        if (ids.length >= 3 && rng.chance(p.multiCutProbability)) {
          const extra = rng.int(1, Math.max(1, Math.floor(ids.length / 2) - 1));
          for (const v of rng.shuffle(ids).slice(0, extra)) for (const o of ids) if (o !== v) w.net.cut(v, o);
        }
        changed();
        if (rng.chance(p.crashDuringPartitionProbability)) crashOne();
        yield sleep(w.sim, mean(p.partitionMsLength));
        w.net.heal();
        changed();
      }
    })());
  }

  if (p.clogMsMean > 0 && targets.length > 1) {
    w.enableFault('net-clog');
    w.nemesis('clog', (function* () {
      for (;;) {
        yield sleep(w.sim, mean(p.clogMsMean));
        w.net.clogNode(rng.pick(ids), Math.min(sec(5), mean(p.downMsMean)));
        changed();
      }
    })());
  }

  diskFaults(w, p, targets, maxDown, rng, mean);
  clockFaults(w, p, targets, rng, mean);
  // The directed nemesis draws from a stream of its own: its draws happen at milestones, and
  // must not shift the timed nemeses' draws.
  const directedRng = w.rng('nemesis/directed');
  directedNemesis(w, p, targets, { crashOne, isolate, changed, mean: (x) => Math.max(1, Math.round(directedRng.exponential(ms(x)))), rng: directedRng });
}

/**
 * Disk faults: fsync errors (EIO) and read errors on every target (a system survives them alone,
 * by failing stop and recovering from its disk); corruption on a minority only, so a good copy
 * of every record always exists elsewhere (TigerBeetle's fault atlas); full-disk and slow-disk
 * episodes on one node at a time. The liveness phase heals disks (World.heal).
 */
function diskFaults(w: World<unknown>, p: FaultParams, targets: SimNode[], maxDown: number, rng: Rng, mean: (x: number) => Nanos): void {
  const corruptible = new Set(rng.shuffle(targets).slice(0, maxDown));
  for (const n of targets) {
    n.disk.faults = {
      ...n.disk.faults,
      writeErrorRate: p.diskWriteErrorRate,
      readErrorRate: p.diskReadErrorRate,
      corruptionRate: corruptible.has(n) ? p.diskCorruptionRate : 0,
    };
  }
  if (p.diskWriteErrorRate > 0) w.enableFault('disk-write-error');
  if (p.diskReadErrorRate > 0) w.enableFault('disk-read-error');
  if (p.diskCorruptionRate > 0 && corruptible.size > 0) w.enableFault('disk-corruption');
  const episode = (name: string, meanMs: number, begin: (n: SimNode) => void, end: (n: SimNode) => void): void => {
    w.nemesis(name, (function* () {
      for (;;) {
        yield sleep(w.sim, mean(meanMs));
        const victim = rng.pick(targets);
        begin(victim);
        yield sleep(w.sim, mean(p.downMsMean));
        if (w.phase === 'fault') end(victim);
      }
    })());
  };
  const d = w.sim.decisions;
  if (p.diskFullMsMean > 0) {
    w.enableFault('disk-full');
    episode('disk-full', p.diskFullMsMean, (n) => d.fault({ kind: 'disk-full', node: n.id, durNs: null }, () => diskFull(w, n)), (n) => d.end('disk-full', n.id, () => diskFullEnd(n)));
  }
  if (p.diskSlowMsMean > 0 && p.diskSlowFactorMax > 1) {
    w.enableFault('disk-slow');
    episode('disk-slow', p.diskSlowMsMean, (n) => {
      const f = rng.uniform(1, p.diskSlowFactorMax);
      d.fault({ kind: 'disk-slow', node: n.id, factor: f, durNs: null }, () => diskSlow(w, n, f));
    }, (n) => d.end('disk-slow', n.id, () => diskSlowEnd(n)));
  }
}

/** A disk is full from now: what is on it stays, nothing more fits until the episode ends. */
export function diskFull(w: World<unknown>, n: SimNode): void {
  n.disk.faults = { ...n.disk.faults, capacityBytes: n.disk.usedBytes };
  w.sim.log(n.id, 'disk-full', `${n.disk.usedBytes} bytes`);
}

/** The end of a full-disk episode. */
export function diskFullEnd(n: SimNode): void {
  n.disk.faults = { ...n.disk.faults, capacityBytes: Infinity };
}

/** A disk's fsyncs take `factor` times longer from now. */
export function diskSlow(w: World<unknown>, n: SimNode, factor: number): void {
  n.disk.faults = { ...n.disk.faults, slowFactor: factor };
  w.sim.log(n.id, 'disk-slow', `x${factor.toFixed(1)}`);
}

/** The end of a slow-disk episode. */
export function diskSlowEnd(n: SimNode): void {
  n.disk.faults = { ...n.disk.faults, slowFactor: 1 };
}

/** Clock steps (forwards or backwards, up to clockJumpMsMax) and rate changes on running nodes. */
function clockFaults(w: World<unknown>, p: FaultParams, targets: SimNode[], rng: Rng, mean: (x: number) => Nanos): void {
  if (p.clockJumpMsMean > 0 && p.clockJumpMsMax > 0) {
    w.enableFault('clock-jump');
    w.nemesis('clock-jump', (function* () {
      for (;;) {
        yield sleep(w.sim, mean(p.clockJumpMsMean));
        rng.pick(targets).stepClock(Math.round(rng.uniform(-1, 1) * ms(p.clockJumpMsMax)));
      }
    })());
  }
  if (p.clockDriftChangeMsMean > 0 && p.clockDriftPpmMax > 0) {
    w.enableFault('clock-drift-change');
    w.nemesis('clock-drift', (function* () {
      for (;;) {
        yield sleep(w.sim, mean(p.clockDriftChangeMsMean));
        rng.pick(targets).setDrift(Math.round(rng.uniform(-1, 1) * p.clockDriftPpmMax));
      }
    })());
  }
}

interface Strikes {
  crashOne(victim: SimNode, downFor: (x: number) => Nanos): boolean;
  isolate(id: string): void;
  changed(): void;
  mean(x: number): Nanos;
  rng: Rng;
}

/**
 * The directed nemesis (FoundationDB's targeted workloads): faults right after protocol
 * milestones, the narrow windows random faults almost never hit: a crash right after a term
 * change or a granted vote (is the new term or the vote durable?), a node cut off right after
 * its role changed or its commit point advanced, a crash right after a compaction or a sync
 * round. Each strike lands after the milestone's event (never inside the node's handler), draws
 * from the nemesis stream only when a milestone happens, and respects the down budget; a cut
 * heals after about partitionMsLength. One cut at a time.
 */
function directedNemesis(w: World<unknown>, p: FaultParams, targets: SimNode[], s: Strikes): void {
  const byId = new Map(targets.map((n) => [n.id, n] as const));
  const K = MILESTONE_KINDS;
  const rules = ([
    { kind: K.termChange, probability: p.directedCrashAfterTermChangeProbability, act: 'crash' },
    { kind: K.voteGranted, probability: p.directedCrashAfterVoteProbability, act: 'crash' },
    { kind: K.roleChange, probability: p.directedIsolateAfterRoleChangeProbability, act: 'isolate' },
    { kind: K.commitAdvance, probability: p.directedPartitionAfterCommitProbability, act: 'isolate' },
    { kind: K.compaction, probability: p.directedCrashAfterCompactionProbability, act: 'crash' },
    { kind: K.syncRound, probability: p.directedCrashAfterSyncProbability, act: 'crash' },
  ] satisfies { kind: string; probability: number; act: 'crash' | 'isolate' }[]).filter((r) => r.probability > 0);
  if (rules.length === 0 || targets.length === 0) return;
  let cutUntilNs = -1;
  w.onMilestone((node, kind) => {
    if (w.phase !== 'fault') return;
    const victim = byId.get(node);
    if (victim === undefined) return;
    for (const r of rules) {
      if (r.kind !== kind || !s.rng.chance(r.probability)) continue;
      if (r.act === 'crash') {
        w.sim.schedule(0, () => {
          if (w.phase === 'fault' && s.crashOne(victim, s.mean)) w.sim.log(node, 'directed', `crash right after ${kind}`);
        });
      } else if (targets.length > 1 && w.now >= cutUntilNs) {
        const len = s.mean(p.partitionMsLength);
        cutUntilNs = w.now + len;
        w.sim.schedule(0, () => {
          if (w.phase !== 'fault') return;
          w.sim.log(node, 'directed', `cut off right after ${kind}`);
          s.isolate(node);
          s.changed();
          w.sim.schedule(len, () => {
            if (w.phase !== 'fault') return;
            w.net.heal();
            s.changed();
          });
        });
      }
      return;
    }
  });
}
