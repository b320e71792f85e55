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

/**
 * The standard fault parameters (network faults, crashes, partitions, pauses, clogs, torn writes,
 * clock skew and drift), with defaults and swarm ranges: spread them into a scenario's params and
 * call {@link standardNemesis} in its setup.
 */
export function faultParams() {
  return {
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
  };
}

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
}

/**
 * Applies the network and clock parameters and starts the standard nemesis. Call at the end of
 * setup, after the nodes are added.
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
  const clocks = w.rng('clocks');
  for (const n of w.nodes) {
    n.setClock({ offsetNs: Math.round(clocks.uniform(-1, 1) * ms(p.clockSkewMsMax)), driftPpm: Math.round(clocks.uniform(-1, 1) * p.clockDriftPpmMax) });
  }
  const targets = opts.targets ?? w.servers;
  if (targets.length === 0) return;
  const maxDown = opts.maxDown ?? Math.floor((targets.length - 1) / 2);
  const rng = w.rng('nemesis');
  const out = new Set<SimNode>();
  const mean = (x: number): Nanos => Math.max(1, Math.round(rng.exponential(ms(x))));

  if (p.crashMsMean > 0 && maxDown > 0)
    w.nemesis('crash', (function* () {
      for (;;) {
        yield sleep(w.sim, mean(p.crashMsMean));
        const candidates = targets.filter((n) => n.state === 'up' && !out.has(n));
        if (candidates.length === 0 || out.size >= maxDown) continue;
        const victim = rng.pick(candidates);
        out.add(victim);
        victim.crash(p.tornWrites ? 'torn' : 'all');
        w.sim.schedule(mean(p.downMsMean), () => {
          out.delete(victim);
          if (w.phase === 'fault' && victim.state === 'down') victim.start();
        });
      }
    })());

  if (p.pauseMsMean > 0 && maxDown > 0)
    w.nemesis('pause', (function* () {
      for (;;) {
        yield sleep(w.sim, mean(p.pauseMsMean));
        const candidates = targets.filter((n) => n.state === 'up' && !out.has(n));
        if (candidates.length === 0 || out.size >= maxDown) continue;
        const victim = rng.pick(candidates);
        out.add(victim);
        const len = mean(p.downMsMean);
        victim.pause(len);
        w.sim.schedule(len, () => out.delete(victim));
      }
    })());

  if (p.partitionMsMean > 0 && targets.length > 1)
    w.nemesis('partition', (function* () {
      const ids = targets.map((n) => n.id);
      for (;;) {
        yield sleep(w.sim, mean(p.partitionMsMean));
        const shape = rng.int(0, 3);
        const shuffled = rng.shuffle(ids);
        const keep = opts.others === 'keep';
        if (shape === 0) {
          const victim = rng.pick(ids);
          if (keep) w.net.split([[victim], ids.filter((x) => x !== victim)]);
          else w.net.isolate(victim);
        } else if (shape === 1) {
          const halves = [shuffled.slice(0, Math.floor(ids.length / 2)), shuffled.slice(Math.floor(ids.length / 2))];
          if (keep) w.net.split(halves);
          else w.net.partition(halves);
        }
        else if (shape === 2) w.net.blockOneWay(shuffled[0]!, shuffled[1]!);
        else if (ids.length >= 3) w.net.bridge(shuffled.slice(1, 1 + Math.floor((ids.length - 1) / 2)), shuffled.slice(1 + Math.floor((ids.length - 1) / 2)), shuffled[0]!);
        yield sleep(w.sim, mean(p.partitionMsLength));
        w.net.heal();
      }
    })());

  if (p.clogMsMean > 0 && targets.length > 1)
    w.nemesis('clog', (function* () {
      const ids = targets.map((n) => n.id);
      for (;;) {
        yield sleep(w.sim, mean(p.clogMsMean));
        w.net.clogNode(rng.pick(ids), Math.min(sec(5), mean(p.downMsMean)));
      }
    })());
}
