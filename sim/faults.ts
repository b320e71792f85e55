/**
 * The one registry of fault kinds: every fault the node, disk, device, clock and network models
 * can inject. A nemesis that switches a kind on for a run says so with `w.enableFault(kind)`
 * (World.faults), which rejects a kind missing here; and sim/faults.test.ts checks that every
 * kind listed here is switched on in some seed of every system family's swarm, or is listed in
 * FAULTS_NOT_APPLICABLE with the reason. So a new fault kind cannot be forgotten by the sweeps.
 */

/** The model a fault kind belongs to. */
export type FaultModel = 'node' | 'disk' | 'device' | 'clock' | 'network';

/** One entry of {@link FAULT_KINDS}. */
export interface FaultKindInfo<K extends string = string> {
  /** The name `w.enableFault(kind)` takes. */
  kind: K;
  /** Which model injects it. */
  model: FaultModel;
  /** What the fault is, and the parameter(s) that switch it on. */
  doc: string;
}

/** The table itself, kept literal so that {@link FaultKind} is the union of its names. */
const FAULT_KIND_TABLE = [
  { kind: 'node-crash', model: 'node', doc: 'a node crashes and restarts later (crashMsMean, downMsMean)' },
  { kind: 'node-pause', model: 'node', doc: 'a node freezes (a GC stall) and resumes (pauseMsMean)' },
  { kind: 'disk-torn-write', model: 'disk', doc: 'a crash keeps a torn prefix of unsynced writes (tornWrites)' },
  { kind: 'disk-write-error', model: 'disk', doc: 'an fsync fails with EIO and its writes are lost (diskWriteErrorRate)' },
  { kind: 'disk-read-error', model: 'disk', doc: 'reading a file fails with EIO, transiently (diskReadErrorRate)' },
  { kind: 'disk-corruption', model: 'disk', doc: 'a durable record reads back corrupt, on a minority of nodes (diskCorruptionRate)' },
  { kind: 'disk-full', model: 'disk', doc: 'a disk is full for a while: fsyncs fail with ENOSPC (diskFullMsMean)' },
  { kind: 'disk-slow', model: 'disk', doc: 'a disk is slow for a while: fsyncs take longer (diskSlowMsMean, diskSlowFactorMax)' },
  { kind: 'device-crash', model: 'device', doc: 'a device (SmartNIC, SmartSSD controller, CXL pool domain) crashes and restarts (nicCrashMsMean, ssdFailMsMean, cxlFailMsMean)' },
  { kind: 'device-wedge', model: 'device', doc: 'a device accepts work and never finishes it until restarted (nicWedgeMsMean)' },
  { kind: 'device-slow', model: 'device', doc: 'a device runs slow for a while (ssdFailMsMean, ssdSlowFactorMax)' },
  { kind: 'device-wrong-result', model: 'device', doc: 'a device returns a wrong or partial result (ssdWrongResultRate, ssdPartialResultRate, nicCryptoCorruptRate)' },
  { kind: 'device-wear-out', model: 'device', doc: 'an SSD wears out: writes fail after a budget (ssdWearOut)' },
  { kind: 'device-poison', model: 'device', doc: 'a CXL memory line is poisoned (cxlPoisonMsMean)' },
  { kind: 'device-torn-write', model: 'device', doc: 'a multi-word CXL write silently tears (cxlTornWriteRate)' },
  { kind: 'clock-skew', model: 'clock', doc: 'nodes start with clocks set wrong (clockSkewMsMax)' },
  { kind: 'clock-drift', model: 'clock', doc: 'node clocks run at the wrong rate (clockDriftPpmMax)' },
  { kind: 'clock-jump', model: 'clock', doc: 'a node\'s wall clock (ctx.wallNow) steps forwards or backwards (clockJumpMsMean, clockJumpMsMax)' },
  { kind: 'clock-drift-change', model: 'clock', doc: 'a running clock changes its rate (clockDriftChangeMsMean)' },
  { kind: 'net-loss', model: 'network', doc: 'messages are lost (netLossRate)' },
  { kind: 'net-duplicate', model: 'network', doc: 'messages are delivered twice (netDuplicateRate)' },
  { kind: 'net-reorder', model: 'network', doc: 'messages skip FIFO order (netReorderRate)' },
  { kind: 'net-clog', model: 'network', doc: 'a node\'s links hold everything for a while, then release it (clogMsMean)' },
  { kind: 'net-isolate', model: 'network', doc: 'a node is cut from all others (partitionMsMean)' },
  { kind: 'net-split', model: 'network', doc: 'the cluster splits into two sides (partitionMsMean)' },
  { kind: 'net-one-way', model: 'network', doc: 'one direction of a link is cut (partitionMsMean)' },
  { kind: 'net-bridge', model: 'network', doc: 'two sides reach each other only through one bridge node (partitionMsMean, 3+ nodes)' },
  { kind: 'net-ring', model: 'network', doc: 'each node reaches only its two ring neighbours (partitionMsMean, 4+ nodes)' },
  { kind: 'net-multi-cut', model: 'network', doc: 'several independent cuts at once (multiCutProbability)' },
  { kind: 'net-crash-during-partition', model: 'network', doc: 'a node crashes while a partition is on (crashDuringPartitionProbability)' },
] as const satisfies readonly FaultKindInfo[];

/** The name of a fault kind in {@link FAULT_KINDS}. */
export type FaultKind = (typeof FAULT_KIND_TABLE)[number]['kind'];

/** Every fault kind the models can inject, with its model and the parameters that switch it on. */
export const FAULT_KINDS: readonly FaultKindInfo<FaultKind>[] = FAULT_KIND_TABLE;

export const FAULT_KIND_NAMES: ReadonlySet<string> = new Set(FAULT_KINDS.map((k) => k.kind));

/** System families: a scenario belongs to the family its name starts with. */
export const FAMILIES = ['raft', 'crdt', 'lb', 'escrow', 'hw', 'broadcast', 'platform'] as const;
export type Family = (typeof FAMILIES)[number];

export function familyOf(scenarioName: string): Family | null {
  for (const f of FAMILIES) if (scenarioName === f || scenarioName.startsWith(`${f}-`)) return f;
  return null;
}

const NO_DEVICE = 'its scenarios run on no simulated device (SmartNIC, SmartSSD, CXL): the hw family runs the same protocols on devices';
const DEVICE_KINDS = FAULT_KINDS.filter((k) => k.model === 'device').map((k) => k.kind);
const noDevices = (): Partial<Record<FaultKind, string>> => Object.fromEntries(DEVICE_KINDS.map((k) => [k, NO_DEVICE]));
/** Clock steps move the wall clock only (ctx.wallNow); timers, timeouts and leases run on the monotonic clock. */
const MONOTONIC_ONLY = 'it reads only the monotonic clock (ctx.now: timers, timeouts, leases), which a step of the wall clock does not move; drift and rate changes do reach it';

/**
 * The fault kinds a family's swarm deliberately never switches on, each with the reason. Keep
 * this short and honest: a kind belongs here only if the system does not claim to survive it
 * (and its doc says so) or it has nothing the fault could touch.
 */
export const FAULTS_NOT_APPLICABLE: Record<Family, Partial<Record<FaultKind, string>>> = {
  raft: {
    ...noDevices(),
    'clock-jump': MONOTONIC_ONLY,
    'disk-corruption': 'a corrupt record in the middle of a Raft log or hard state may be an acknowledged entry or a vote; like etcd (a WAL CRC mismatch stops the member for an operator), the host refuses to guess: see docs/raft.md, "Faults"',
  },
  crdt: {
    ...noDevices(),
    'net-ring': 'crdt scenarios run exactly three regions (REGIONS), and a ring of three is no partition at all',
    'disk-corruption': 'a region that lost a WAL record in the middle could reissue one of its own dots for a different op; it has no repair-from-peers path for its own history yet: see docs/crdt.md, "Faults"',
  },
  lb: {
    ...noDevices(),
    'clock-jump': MONOTONIC_ONLY,
    'disk-torn-write': 'the load balancer keeps no durable state (no disk writes)',
    'disk-write-error': 'the load balancer keeps no durable state (no disk writes)',
    'disk-read-error': 'the load balancer keeps no durable state (no disk reads)',
    'disk-corruption': 'the load balancer keeps no durable state (no disk records)',
    'disk-full': 'the load balancer keeps no durable state (no disk writes)',
    'disk-slow': 'the load balancer keeps no durable state (no disk writes)',
    'net-clog': 'the lb oracle judges a backend available from its links being up; a clog holds a FIFO link\'s traffic with the link up, which it does not model',
  },
  escrow: {
    ...noDevices(),
    'clock-jump': MONOTONIC_ONLY,
    'disk-corruption': 'an escrow replica\'s state (its share of the budget) cannot be rebuilt from peers: it stops at a corrupt record for an operator; see docs/escrow.md, "Faults"',
  },
  hw: {
    'clock-jump': MONOTONIC_ONLY,
    'disk-corruption': 'hwkv acceptors keep promises and accepts on NVDIMM or disk with no repair-from-peers path for a lost promise: see docs/hardware.md, "Faults"',
  },
  broadcast: {
    ...noDevices(),
    'clock-jump': 'gossip reads no clock at all, only timers (monotonic)',
  },
  platform: {
    // With `hardware`/`storeHardware` accelerated, servers run on SmartNICs that crash and wedge;
    // the platform has no SmartSSD, CXL pool or sealed traffic (docs/platform.md, Hardware).
    ...Object.fromEntries(DEVICE_KINDS.filter((k) => k !== 'device-crash' && k !== 'device-wedge').map((k) => [k, 'the platform puts servers only on SmartNICs (crash, wedge) and uses no SmartSSD, CXL pool or NIC crypto engine: see docs/platform.md, "Hardware"'])),
    'disk-corruption': 'the platform is made of a Raft config store, escrow replicas and CRDT regions, none of which rebuilds a corrupt record of its own from peers (each stops for an operator): see docs/platform.md, "Faults"',
  },
};
