/**
 * The hwkv scenario, for either platform (scenarios/hw-accelerated-kv.ts and
 * scenarios/hw-traditional-kv.ts are one line each around this). Three replicas, clients doing
 * puts, gets and scans, the standard nemesis on the replicas' nodes and, for the accelerated
 * store, the hardware nemesis on the NICs and SSDs.
 */
import { hardwareFaultParams, hardwareNemesis } from '../../sim/hardware/nemesis.ts';
import { faultParams, netLatencyMsMaxFor, standardNemesis } from '../../sim/nemesis.ts';
import { param } from '../../sim/params.ts';
import { defineScenario } from '../../sim/scenario.ts';
import { ms, sec, us, type Nanos } from '../../sim/time.ts';
import { buildCluster, type ClusterKind } from './cluster.ts';
import { addWorkload } from './workload.ts';

/** One attempt of a client's operation; past it the operation is retried on the next replica. */
const ATTEMPT_TIMEOUT_MS = 15;
const ATTEMPT_TIMEOUT_NS = ms(ATTEMPT_TIMEOUT_MS);

/** The standard fault parameters with timings scaled to these short runs (hundreds of ms). */
export function shortFaultParams() {
  return {
    // Runs of hundreds of ms: disk and clock episodes come every few tens of ms. Corruption is
    // off: an acceptor has no way to rebuild a lost promise from its peers (docs/hardware.md).
    ...faultParams({ off: ['diskCorruptionRate', 'clockJumpMsMean'], offReason: 'hwkv acceptors do not rebuild a corrupt promise or accept, and read only the monotonic clock (docs/hardware.md, Faults)', episodeMsScale: 0.02 }),
    // The shortest timeout a round trip must fit in: a kv attempt (15 ms; hw-cxl-escrow's sells take 20 ms).
    netLatencyMsMedian: param.float({ doc: 'median one-way link latency (ms)', default: 0.25, min: 0.001, max: netLatencyMsMaxFor(ATTEMPT_TIMEOUT_MS), swarm: [0.05, 1] }),
    crashMsMean: param.float({ doc: 'mean time between node crashes (ms); 0 = no crashes', default: 150, min: 0, max: 1e7, swarm: [30, 400], swarmOffProbability: 0.2 }),
    downMsMean: param.float({ doc: 'mean time a crashed node stays down (ms)', default: 20, min: 1, max: 1e7, swarm: [5, 60] }),
    partitionMsMean: param.float({ doc: 'mean time between partitions (ms); 0 = none', default: 200, min: 0, max: 1e7, swarm: [50, 500], swarmOffProbability: 0.2 }),
    partitionMsLength: param.float({ doc: 'mean length of a partition (ms)', default: 30, min: 1, max: 1e7, swarm: [5, 80] }),
    pauseMsMean: param.float({ doc: 'mean time between node pauses (ms); 0 = none', default: 0, min: 0, max: 1e7, swarm: [50, 500], swarmOffProbability: 0.5 }),
    clogMsMean: param.float({ doc: 'mean time between link clogs (ms); 0 = none', default: 0, min: 0, max: 1e7, swarm: [50, 500], swarmOffProbability: 0.5 }),
  };
}

/**
 * The liveness bound: 2 s for the healed cluster to elect a leader and serve, plus one attempt per
 * key for the auditor, which reads the keys one after another (each read answered within its
 * attempt once healed). A fixed 2 s failed a correct store at keys=1000: its audit alone takes
 * longer than that.
 */
export function kvLivenessBoundNs(keys: number): Nanos {
  return sec(2) + keys * ATTEMPT_TIMEOUT_NS;
}

export function kvScenario(kind: ClusterKind) {
  return defineScenario({
    name: `hw-${kind}-kv`,
    description:
      kind === 'accelerated'
        ? 'Hardware-accelerated KV (seed 004 §8.5.4): Paxos acceptors on SmartNICs with NVDIMM, rows on SmartSSDs, scans pushed down and checksummed; NIC/SSD faults'
        : 'Traditional KV beside it: the same Paxos on the host (50 µs stack, fsync to disk), rows in a host engine; node faults',
    params: {
      replicas: param.int({ doc: 'replicas', default: 3, min: 1, max: 7, swarm: [3, 5] }),
      clients: param.int({ doc: 'clients', default: 3, min: 1, max: 16 }),
      keys: param.int({ doc: 'distinct keys', default: 6, min: 1, max: 1000 }),
      opIntervalUs: param.float({ doc: "mean time between a client's operations (µs)", default: 1500, min: 1, max: 1e7 }),
      durationMs: param.float({ doc: 'length of the fault phase (ms)', default: 400, min: 1, max: 1e6 }),
      bug: param.enum(['none', 'trust-ssd-result', 'ack-before-nvdimm', 'skip-mac-check', 'retransmit-ack-from-memory', 'scans-fail', 'pushdown-always-falls-back', 'minority-quorum', 'redirect-to-self', 'replay-through-engine'] as const, { doc: 'bug-zoo variant: trust-ssd-result (no verification of pushed-down scans), ack-before-nvdimm (acknowledge accepts before they are durable), skip-mac-check (act on decrypted peer messages without verifying their MAC), retransmit-ack-from-memory (a retransmitted accept is acknowledged from the in-memory log, before its first copy is durable), scans-fail (every scan is refused as corrupt), pushdown-always-falls-back (the results the SmartSSD computes are never used: every scan is read raw), minority-quorum (half the replicas, rounded down, taken for a majority: a slot is chosen by too few acceptors), redirect-to-self (a replica that is not the leader names itself as the leader to ask), replay-through-engine (a restarted traditional replica refills its host engine by applying its whole log again through the device, not from the log at start)', default: 'none' }),
      ...shortFaultParams(),
      ...hardwareFaultParams(),
    },
    durationNs: (p) => ms(p.durationMs),
    livenessBoundNs: (p) => kvLivenessBoundNs(p.keys),
    setup(w, p) {
      const c = buildCluster(w, { kind, prefix: kind === 'accelerated' ? 'a' : 't', replicas: p.replicas, bug: p.bug, heartbeatNs: ms(2), electionNs: ms(12), electionStaggerNs: ms(8) });
      addWorkload(w, c, { clients: p.clients, keys: p.keys, opIntervalNs: us(p.opIntervalUs), attemptTimeoutNs: ATTEMPT_TIMEOUT_NS, opDeadlineNs: ms(120), scanFraction: 0.15 });
      standardNemesis(w, p, { targets: c.nodes.map((n) => n as never) });
      if (kind === 'accelerated') hardwareNemesis(w, p, { nics: c.nics, ssds: c.ssds });
      w.onHeal(() => {
        w.metrics.scanFallbacks = c.ssds.reduce((s, d) => s + d.ssdStats.wrongResults + d.ssdStats.partialResults, 0);
        w.metrics.nvdimmStalls = c.nics.reduce((s, n) => s + n.nicStats.stalls, 0);
        w.metrics.cryptoCorrupted = c.nics.reduce((s, n) => s + n.cryptoStats.corrupted, 0);
        w.metrics.macRejections = c.macRejections();
      });
    },
  });
}
