/**
 * The platform's own kits (one door each), for a scenario to compose with the systems' kits:
 *  - `platformParams()`: the platform's parameters (with the standard fault parameters);
 *  - `addRegionalTier(w, ...)`: per region, a load balancer and its application servers;
 *  - `addOperators(w, ...)`: the two operator processes (lock, fenced config writes, deploys);
 *  - `addShoppers(w, ...)`: the workload (GeoDNS, carts, checkouts);
 *  - `checkPlatform(w, ...)`: the end-to-end invariants wired as safety and liveness properties;
 *  - `regionOutages(w, ...)`: a directed nemesis taking a region's entry point down;
 *  - `operatorPauses(w, ...)`: a directed nemesis pausing the lock holder past its lease;
 *  - `placeOnHardware(w, ...)`: escrow replicas and config servers on SmartNICs, and their faults.
 */
import { hardwareFaultParams, hardwareNemesis } from '../../sim/hardware/nemesis.ts';
import { runOnNic, SmartNic } from '../../sim/hardware/smart-nic.ts';
import { faultParams, netLatencyMsMaxFor, standardNemesis, type FaultParamOptions } from '../../sim/nemesis.ts';
import type { CallResult, Envelope, NodeId, SimNode } from '../../sim/node.ts';
import { param, type ParamDefs, type ParamValues } from '../../sim/params.ts';
import { Future, sleep } from '../../sim/process.ts';
import type { World } from '../../sim/scenario.ts';
import { ms, type Nanos } from '../../sim/time.ts';
import { addCrdtRegions, type CrdtRegions } from '../crdt/replication/harness.ts';
import type { EscrowBugs } from '../escrow/replica.ts';
import { spareTokens } from '../escrow/reply-checks.ts';
import { addEscrowCluster, applyWan, holdPolicyOf, livenessBoundOf, replyJudge, saleParams, watchCluster, type SaleCluster } from '../escrow/kit.ts';
import { addGeoDns, resolve, type GeoDnsHandle } from '../geodns/kit.ts';
import { KvClient } from '../kv/client.ts';
import { addConfigStore, raftParams, type RaftCluster } from '../kv/kit.ts';
import type { WatchMessage } from '../kv/protocol.ts';
import type { KvReadOp, KvResult, KvWriteOp } from '../kv/types.ts';
import { toModelInput, toModelOutput } from '../../invariants/raft/history.ts';
import { RewatchJudge } from '../../invariants/raft/watch-rewatch.ts';
import { appServer, type AppServerProgram } from './app.ts';
import { balancerNode, type BalancerProgram } from './balancer.ts';
import { PlatformChecks } from './invariants.ts';
import { PLATFORM_PROBES } from './probes.ts';
import { operatorProcess, type OperatorOptions } from './operator.ts';
import { shopperProcess, type ShopperOptions } from './shopper.ts';
import { KEYS, PLATFORM_BUGS, REGION_NAMES, versionFlagKey, type AppReply, type AppRequest, type BackendsConfig, type PlatformBug, type RegionsConfig, type VersionFlag } from './types.ts';

/**
 * Disk corruption is off: the config store (Raft), the escrow replicas and the CRDT regions each
 * stop at a corrupt record rather than guess (docs/raft.md, docs/escrow.md, docs/crdt.md, Faults),
 * so the platform built from them does not claim to survive it either. Clock steps stay on: the
 * CRDT carts read the wall clock (HLC); Raft, escrow, balancers and GeoDNS read only the monotonic one.
 */
export const PLATFORM_FAULT_OPTIONS = {
  off: ['diskCorruptionRate'],
  offReason: 'Raft, escrow and CRDT replicas cannot rebuild a corrupt record from peers (docs/platform.md, Faults)',
  // The config store's shortest Raft election timeout (150 ms) must outlast a round trip.
  netLatencyMsMax: netLatencyMsMaxFor(150),
} satisfies FaultParamOptions;

/**
 * The platform's hardware (seed 004 §8.5.3-8.5.4), two parameters drawn by the swarm both ways:
 *  - `hardware` (the escrow replicas) and `storeHardware` (the config store's Raft servers):
 *    `traditional` runs the server on its host and persists to an NVMe drive (100-500 µs an
 *    fsync); `accelerated` runs it on a SmartNIC (sim/hardware/smart-nic.ts `runOnNic`: the
 *    consensus/replication role seed 004 gives the NIC) and persists to the NIC's NVDIMM (2-3 µs
 *    of NIC processing then a 300 ns NVDIMM write). The protocols and their checks are the same.
 *  - On accelerated hardware the hardware nemesis draws the NICs' own faults in the fault phase,
 *    as recorded decisions: NIC crash (the server on it goes down; the NVDIMM keeps completed
 *    writes), NIC wedge (it takes work and never finishes it: the server's fsync hangs until the
 *    NIC is restarted, which reboots the server), and BUGGIFY's NVDIMM stall (1-5 ms writes).
 * These are the NIC fault parameters the platform takes from the hardware nemesis, at its own time
 * scale (a 7 s fault phase); `placeOnHardware` puts the servers on the NICs.
 */
function nicFaultParams() {
  const h = hardwareFaultParams({ nicCrashMsMean: 2500, nicWedgeMsMean: 4000, hwDownMsMean: 300 });
  return {
    nicCrashMsMean: { ...h.nicCrashMsMean, swarm: [1000, 8000] as [number, number] },
    nicWedgeMsMean: { ...h.nicWedgeMsMean, swarm: [1500, 10000] as [number, number] },
    hwDownMsMean: { ...h.hwDownMsMean, swarm: [50, 1000] as [number, number] },
  };
}

/** Largest `wanMsMedian`: half the config store's shortest election timeout (15 ticks of 10 ms). */
export const PLATFORM_WAN_MS_MAX = 150 / 2;
/** Largest `paymentMsMean`: the time-to-live of the checkout's escrow hold (the sale's holdMs). */
export const PLATFORM_PAYMENT_MS_MAX = saleParams().holdMs.default;

export function platformParams() {
  const f = faultParams(PLATFORM_FAULT_OPTIONS);
  return {
    bug: param.enum(PLATFORM_BUGS, { doc: 'cross-system bug-zoo variant (none = the correct platform)', default: 'none' }),
    regions: param.int({ doc: 'regions (each: config server, escrow replica, CRDT replica, balancer, app servers)', default: 3, min: 2, max: 4 }),
    appsPerRegion: param.int({ doc: 'application servers behind each balancer', default: 2, min: 1, max: 6 }),
    shoppersPerRegion: param.int({ doc: 'shoppers living in each region', default: 8, min: 1, max: 16 }),
    stickyShare: param.float({ doc: 'share of shoppers that keep a DNS answer past its TTL (seed 000)', default: 0.25, min: 0, max: 1, swarm: [0, 0.5] }),
    roamRate: param.float({ doc: 'probability a request goes to a random region (roaming client)', default: 0.1, min: 0, max: 1, swarm: [0, 0.3] }),
    thinkMs: param.float({ doc: 'mean pause between a shopper\'s requests (ms)', default: 60, min: 1, max: 1e6 }),
    capacity: param.int({ doc: 'seats (items) for sale across all regions', default: 150, min: 1, max: 1e6 }),
    ttlMs: param.float({ doc: 'GeoDNS answer TTL (ms)', default: 1000, min: 1, max: 1e6, swarm: [300, 3000] }),
    // At most half the config store's shortest Raft election timeout (150 ms): a median round trip
    // between its regions must fit in it, or the store campaigns again and again (at 1000 ms a
    // correct platform failed leader-stable and geodns-answers-all-regions; 75 passes).
    wanMsMedian: param.float({ doc: 'median one-way latency between regions (ms), at most half the config store\'s shortest election timeout', default: 30, min: 0.1, max: PLATFORM_WAN_MS_MAX, swarm: [10, 60] }),
    opIntervalMs: param.float({ doc: 'mean pause between two operator turns at the lock (ms)', default: 400, min: 1, max: 1e6 }),
    leaseTtlMs: param.float({ doc: 'TTL of the operator lock\'s lease (ms)', default: 2000, min: 100, max: 1e6 }),
    opPauseMsMean: param.float({ doc: 'mean time between GC pauses of the lock holder (ms); 0 = none', default: 5000, min: 0, max: 1e7, swarm: [2500, 10000], swarmOffProbability: 0.2 }),
    // At most the hold's time-to-live: a payment that outlasts the hold loses it and the checkout
    // is refused (at 10^6 ms no checkout ever succeeded: a-customer-can-buy-in-every-region pending).
    paymentMsMean: param.float({ doc: 'mean time a checkout waits for the payment before confirming the escrow hold (ms), at most the hold\'s time-to-live', default: 400, min: 0, max: PLATFORM_PAYMENT_MS_MAX, swarm: [200, 800] }),
    cfgIsolateMsMean: param.float({ doc: 'mean time between cutting one config replica from the others (WAN link loss; balancers still reach it) (ms); 0 = none', default: 2000, min: 0, max: 1e7, swarm: [1000, 4000], swarmOffProbability: 0.2 }),
    regionOutageMsMean: param.float({ doc: 'mean time between region outages (a balancer down) (ms); 0 = none', default: 5000, min: 0, max: 1e7, swarm: [2000, 10000], swarmOffProbability: 0.2 }),
    warmupMs: param.float({ doc: 'shoppers start after this (the platform boots: config, balancers, GeoDNS) (ms)', default: 1500, min: 0, max: 1e6 }),
    durationS: param.float({ doc: 'length of the fault phase (s)', default: 7, min: 0.1, max: 86400 }),
    ...f,
    crashMsMean: param.float({ ...f.crashMsMean, default: 3000, swarm: [1500, 10000] }),
    partitionMsMean: param.float({ ...f.partitionMsMean, default: 4000, swarm: [1500, 10000] }),
    partitionMsLength: param.float({ ...f.partitionMsLength, default: 1500, swarm: [300, 3000] }),
    hardware: param.enum(['traditional', 'accelerated'] as const, { doc: 'where the escrow replicas run: traditional (host, NVMe fsync) or accelerated (on a SmartNIC, persisting to its NVDIMM; NIC faults drawn; seed 004)', default: 'traditional', swarm: ['traditional', 'accelerated'] }),
    storeHardware: param.enum(['traditional', 'accelerated'] as const, { doc: 'where the config store\'s Raft servers run: traditional (host, NVMe fsync of the log) or accelerated (on a SmartNIC, the log on its NVDIMM; NIC faults drawn; seed 004)', default: 'traditional', swarm: ['traditional', 'accelerated'] }),
    ...nicFaultParams(),
    // Last, so that adding them left every other parameter's swarm draw where it was (a run with
    // them at their defaults is the run of the build before).
    configHistoryRevs: param.int({ doc: 'watch history each config server keeps, in revisions (as etcd compacts): a balancer whose watch falls further behind must start over with a linearizable read. Drawn small (1-4) by the swarm: a watch here falls only a revision or two behind, so 200 is never reached', default: 200, min: 1, max: 100000, swarm: [1, 4] }),
    checkoutTimeoutMs: param.float({ doc: 'how long a shopper waits for a checkout attempt\'s answer (ms); after 3 attempts its outcome is unknown. Drawn below the 2.5 s a balancer takes to answer for a slow app server, so some checkouts end unknown', default: 3000, min: 100, max: 1e6, swarm: [800, 3000] }),
  };
}

export type PlatformParams = ParamValues<ReturnType<typeof platformParams>>;

/** The platform's region names for `p.regions`. */
export function platformRegions(p: { regions: number }): string[] {
  return REGION_NAMES.slice(0, p.regions);
}

/** Defaults of a parameter set (to hand another kit the parameters it expects). */
export function defaultsOf<D extends ParamDefs>(defs: D): ParamValues<D> {
  return Object.fromEntries(Object.entries(defs).map(([k, d]) => [k, d.default])) as ParamValues<D>;
}

/** The platform's timing bounds, derived from the parameters (stated in docs/platform.md). */
export function platformBounds(p: PlatformParams) {
  const refreshNs = ms(150);
  // A linearizable read crosses the WAN about four times (follower -> leader, the leader's
  // heartbeat round, back): a few hundred ms at the WAN tail.
  const readTimeoutNs = ms(Math.max(400, 16 * p.wanMsMedian));
  const staleBoundNs = readTimeoutNs + refreshNs + ms(400);
  const probeNs = ms(200);
  return {
    refreshNs,
    readTimeoutNs,
    staleBoundNs,
    /** A drain takes effect at every balancer within this (stale bound + clock-rate slack). */
    drainBoundNs: staleBoundNs + ms(50),
    /** The operator waits this long after a drain before restarting the server (in-flight requests finish). */
    drainWaitNs: 2 * staleBoundNs,
    probeNs,
    probeTimeoutNs: ms(150),
    fall: 2,
    rise: 2,
    /** GeoDNS takes a dead region out within (fall + 1) probe rounds of probe + timeout, plus slack. */
    healthBoundNs: 3 * (probeNs + ms(150)) + ms(300),
  };
}

/** p50, p99 and max of a sample (for metrics), or null when empty. */
export function quantiles(xs: readonly number[]): { n: number; p50: number; p99: number; max: number } | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { n: s.length, p50: at(0.5), p99: at(0.99), max: s[s.length - 1]! };
}

// ------------------------------------------------------------------ deployed config

/** The platform's config as deployed (every server active at version 1, no region evacuated). */
export interface DeployedConfig {
  /** The config store's keys at deploy time (`addConfigStore`'s `initial`). */
  keys: Record<string, string>;
  /** The store's revision at deploy time (the balancers watch from the next one). */
  rev: number;
  /** The revision of the backends key. */
  backendsRev: number;
  backends: BackendsConfig;
  /** Each server's version flag as deployed: version 1 at its key's revision. */
  flagRevOf: Map<NodeId, number>;
}

/** The config the platform is deployed with, for `appsPerRegion` servers `app-<region>-<k>` a region. */
export function deployedConfig(regions: readonly string[], appsPerRegion: number): DeployedConfig {
  const backends: BackendsConfig = { token: 0, backends: {} };
  for (const region of regions) for (let k = 1; k <= appsPerRegion; k++) backends.backends[appTierId(region, k)] = { region, state: 'active', version: 1 };
  const regionsCfg: RegionsConfig = { token: 0, evacuated: [] };
  const keys: Record<string, string> = { [KEYS.backends]: JSON.stringify(backends), [KEYS.regions]: JSON.stringify(regionsCfg) };
  for (const id of Object.keys(backends.backends)) keys[versionFlagKey(id)] = JSON.stringify({ token: 0, version: 1 } satisfies VersionFlag);
  // The store applies the initial keys in key order, one revision each (systems/kv/kit.ts).
  const order = Object.keys(keys).sort();
  const revOf = (k: string): number => order.indexOf(k) + 1;
  return { keys, rev: order.length, backendsRev: revOf(KEYS.backends), backends, flagRevOf: new Map(Object.keys(backends.backends).map((id) => [id, revOf(versionFlagKey(id))])) };
}

/** Id of application server `k` of a region. */
export const appTierId = (region: string, k: number): NodeId => `app-${region}-${k}`;

// ------------------------------------------------------------------ regional tier

export interface RegionalTier {
  regions: string[];
  lbOf: (region: string) => NodeId;
  balancers: SimNode<BalancerProgram>[];
  servers: { id: NodeId; region: string; node: SimNode<AppServerProgram> }[];
  /** The version the orchestrator was last asked to deploy on each server (the store's flag decides what runs). */
  versions: Map<NodeId, number>;
  /** Restarts a server (the orchestrator; it boots into its version flag); false if it is down. */
  deploy(id: NodeId, version: number): boolean;
}

export interface TierOptions {
  regions: string[];
  appsPerRegion: number;
  config: RaftCluster;
  escrow: SaleCluster;
  crdt: CrdtRegions;
  checks: PlatformChecks;
  history: ConfigHistory;
  bug: PlatformBug;
  bounds: ReturnType<typeof platformBounds>;
  confirmDeadlineNs: Nanos;
  paymentMeanNs: Nanos;
  /** The config the store was deployed with: each balancer's first incarnation starts with it. */
  deployed?: DeployedConfig;
  /** Each escrow request's answer time at the application servers, by kind (hold, confirm). */
  escrowNs?: Record<'hold' | 'confirm', number[]>;
}

/**
 * A balancer whose config-watch batches are shown to `judge` as they are delivered, before the
 * balancer sees them, and after it handled them: whether handling one made its watch give up
 * the stream (watch-rewatch-budget). The balancer is not changed: its handler runs as it would.
 */
function judgedRewatches(judge: RewatchJudge, id: NodeId, lb: BalancerProgram): BalancerProgram {
  const handle = lb.onMessage!;
  lb.onMessage = (env: Envelope): void => {
    const m = env.body as WatchMessage;
    if (env.rpcId !== undefined || (m.type !== 'watchBatch' && m.type !== 'watchCompacted')) return handle(env);
    judge.deliver(id, m, () => lb.rewatchDue, () => handle(env));
  };
  return lb;
}

/** Per region: a balancer `lb-<region>` in front of `app-<region>-<k>` servers. */
export function addRegionalTier(w: World<unknown>, o: TierOptions): RegionalTier {
  w.declareProbes(PLATFORM_PROBES);
  const versions = new Map<NodeId, number>();
  const servers: RegionalTier['servers'] = [];
  const balancers: SimNode<BalancerProgram>[] = [];
  const started = new Set<string>();
  if (o.deployed !== undefined) o.checks.deployed(o.deployed.backendsRev, o.deployed.backends);
  for (const [id, rev] of o.deployed?.flagRevOf ?? []) o.checks.deployedFlag(id, rev, 1);
  const booted = new Set<NodeId>();
  // What the escrow tells the servers is judged as it judges what it tells its own buyers.
  const judgeEscrow = replyJudge(w, o.escrow);
  // The balancers follow the config store with the KV watch client: a re-watch caused by a batch
  // that arrived in order, or by a duplicate, is judged as in raft-watch-failover.
  const rewatch = new RewatchJudge(w);
  o.regions.forEach((region, ri) => {
    for (let k = 1; k <= o.appsPerRegion; k++) {
      const id = appTierId(region, k);
      versions.set(id, 1);
      const node = w.addNode(id, (ctx) =>
        appServer(ctx, {
          region, crdt: o.crdt.ids[ri]!, escrow: o.escrow.entryOf.get(o.escrow.regions[ri]!)!, configServers: o.config.ids,
          // The first incarnation starts with the deployed flag (like the balancers' first config); later ones read it.
          deployedVersion: () => (o.deployed !== undefined && !booted.has(id) ? (booted.add(id), { version: 1, rev: o.deployed.flagRevOf.get(id)! }) : null),
          orchestratorVersion: () => versions.get(id)!,
          onVersion: (v, rev, askedAt) => o.checks.onVersion(id, v, rev, askedAt),
          onEscrow: (kind, ns) => o.escrowNs?.[kind].push(ns),
          onEscrowReply: (req, reply) => judgeEscrow(id, o.escrow.entryOf.get(o.escrow.regions[ri]!)!, req, reply),
          confirmDeadlineNs: o.confirmDeadlineNs, paymentMeanNs: o.paymentMeanNs, bug: o.bug,
        }),
      );
      servers.push({ id, region, node });
    }
    const localConfig = [...o.config.domains.entries()].find(([, r]) => r === region)?.[0] ?? o.config.ids[0]!;
    balancers.push(
      w.addNode(`lb-${region}`, (ctx) =>
        judgedRewatches(rewatch, `lb-${region}`, balancerNode(ctx, {
          region, configServers: o.config.ids, localConfig, refreshNs: o.bounds.refreshNs, readTimeoutNs: o.bounds.readTimeoutNs, staleBoundNs: o.bounds.staleBoundNs,
          healthNs: ms(100), fall: o.bounds.fall, rise: o.bounds.rise, bug: o.bug,
          onRead: o.history.hook(`lb-${region}`, { op: 'get', key: KEYS.backends }),
          onForward: (lb, b, rev) => o.checks.onForward(lb, b, rev),
          onConfig: (lb, rev) => o.checks.onConfigTaken(lb, rev),
          deployed: o.deployed !== undefined && !started.has(region) ? (started.add(region), { rev: o.deployed.rev, modRev: o.deployed.backendsRev, value: o.deployed.keys[KEYS.backends]! }) : null,
        })),
      ),
    );
  });
  return {
    regions: o.regions, lbOf: (r) => `lb-${r}`, balancers, servers, versions,
    deploy(id, version) {
      versions.set(id, version);
      const n = w.node(id);
      if (n.state !== 'up') return false;
      // The operator's own restart, part of its recorded action (sim/decisions.ts), not a fault
      // a nemesis decides: a script replays it with the deploy, never on its own.
      n.crashNow();
      n.startNow();
      return true;
    },
  };
}

// ------------------------------------------------------------------ config history

/**
 * Records the platform's config reads and writes in the config store kit's history, so the kit's
 * `linearizable` property checks them with our linearizability checker. An operation is recorded
 * when it completes (with its true invocation time), so one cut short by a crash is simply left
 * out (sound for reads; the platform records only reads and fenced writes this way).
 */
export class ConfigHistory {
  private readonly ids = new Map<string, number>();
  constructor(private readonly w: World<unknown>, private readonly c: RaftCluster) {}

  private clientNo(who: string): number {
    let n = this.ids.get(who);
    if (n === undefined) this.ids.set(who, (n = 1000 + this.ids.size));
    return n;
  }

  /** For a fixed operation (a balancer's read). */
  hook(who: string, op: KvReadOp): () => (r: KvResult | null) => void {
    return () => this.start(who, op);
  }

  start(who: string, op: KvReadOp | KvWriteOp): (r: KvResult | null) => void {
    const t0 = this.w.now;
    const input = toModelInput(op.op === 'fencedPut' ? { op: 'put', key: op.key, value: op.value } : op);
    if (input === null) return () => undefined;
    const h = this.c.history;
    // A write is in the history from its invocation (its effect may be seen before it returns);
    // a read only once answered (one cut short by a crash is left out, which is sound for reads).
    const wid = op.op === 'get' ? -1 : h.invoke(this.clientNo(who), input, t0);
    return (r) => {
      if (r === null) {
        if (wid >= 0) h.unknown(wid);
        return;
      }
      if (r.op === 'fencedPut' && !r.ok) return h.fail(wid, this.w.now); // refused by the store: certainly no effect
      const out = r.op === 'fencedPut' ? toModelOutput({ op: 'put', rev: r.rev, version: r.version, ok: true }) : toModelOutput(r);
      h.ok(wid >= 0 ? wid : h.invoke(this.clientNo(who), input, t0), out, this.w.now);
    };
  }
}

// ------------------------------------------------------------------ operators and shoppers

export function addOperators(w: World<unknown>, o: Omit<OperatorOptions, 'faultPhase' | 'onOp' | 'counts' | 'onReallocate' | 'decide'> & { history: ConfigHistory; regionOf: Map<string, string>; checks: PlatformChecks }): OperatorOptions['counts'] {
  w.declareProbes(PLATFORM_PROBES);
  const counts = { deploys: 0, finished: 0, reallocations: 0, removes: 0, adds: 0, evacuations: 0, returns: 0, rollbacks: 0, lockTurns: 0, aborted: 0 };
  ['op1', 'op2'].forEach((id, i) => {
    o.regionOf.set(id, o.regions[i % o.regions.length]!);
    w.addClient(id, (ctx) => operatorProcess(ctx, { ...o, counts, faultPhase: () => w.phase === 'fault', onOp: (op) => o.history.start(id, op), onReallocate: (a) => o.checks.onReallocate(id, a), decide: (who, n, a) => w.sim.decisions.operation(who, n, a) }));
  });
  return counts;
}

export function addShoppers(w: World<unknown>, o: Omit<ShopperOptions, 'home' | 'sticky' | 'running' | 'stats' | 'decide'> & { perRegion: number; stickyShare: number; regionOf: Map<string, string> }): ShopperOptions['stats'] {
  w.declareProbes(PLATFORM_PROBES);
  const stats = { requests: 0, refused: 0, timeouts: 0, checkouts: 0, confirmed: 0, soldOut: 0, refusedBy: {} as Record<string, number>, busyMsBy: {} as Record<string, number> };
  const rng = w.rng('shoppers');
  for (const home of o.regions)
    for (let k = 1; k <= o.perRegion; k++) {
      const id = `shop-${home}-${k}`;
      o.regionOf.set(id, home);
      const sticky = rng.next() < o.stickyShare;
      w.addClient(id, (ctx) => shopperProcess(ctx, { ...o, home, sticky, stats, running: () => w.phase === 'fault', onAnswered: () => w.clientOp(), decide: (user, n, op) => w.sim.decisions.operation(user, n, op) }));
    }
  return stats;
}

/**
 * The end-to-end probe: once the faults stop, a customer in each region resolves the service with
 * GeoDNS, adds an item to a cart and checks out through the region GeoDNS answered; the order must
 * be confirmed, or refused as sold out when the sale truly is (every hold resolved, no token free
 * anywhere). Every other platform property holds of a platform that sells nothing (an escrow that
 * refuses every hold, app servers that answer every checkout "sold out", a GeoDNS that answers no
 * query: the shoppers count those as answers or as timeouts), so this is what catches them.
 */
export function addBuyerProbe(w: World<unknown>, o: { regions: readonly string[]; dns: GeoDnsHandle; lbOf: (region: string) => NodeId; escrow: SaleCluster; checks: PlatformChecks; regionOf: Map<string, string> }): void {
  const healed = new Future<void>(w.sim);
  w.onHeal(() => healed.resolve(undefined));
  const bought = new Set<string>();
  const state = new Map<string, string>(o.regions.map((r) => [r, 'the probe has not run']));
  // No token free anywhere, none on its way between replicas: a hold could only wait for one.
  const noneLeft = (): boolean => o.escrow.monitor.snapshot().nodes.every((n) => n.tokens === 0 && n.outbox.length === 0);
  const soldOut = (): boolean => o.escrow.monitor.holdsResolved() === true && noneLeft();
  // No token a buyer of `home` can get: its region's replica has none to spare, the others none
  // they may lend (each keeps a floor for its own buyers, so the last seats of a sale can stay
  // there for good: platform-global-sale seeds 33 and 70 ended with one seat at a floor and the
  // probe holding out for it until the deadline), and none is on its way between replicas.
  const noneFor = (home: string): boolean => {
    const entry = o.escrow.entryOf.get(o.escrow.regions[o.regions.indexOf(home)]!)!;
    const nodes = o.escrow.monitor.snapshot().nodes;
    return nodes.every((n) => n.outbox.length === 0 && (n.id === entry ? spareTokens(n) < 1 : o.escrow.lendable(n) < 1));
  };
  for (const home of o.regions) {
    const user = `probe-${home}`;
    o.regionOf.set(user, home);
    w.addClient(user, (ctx) => (function* () {
      yield healed; // nothing in the fault phase: the runs before the heal are the ones they were
      for (let attempt = 1; ; attempt++) {
        if (attempt > 1) yield ctx.sleep(ms(200));
        // A sale that sold out (a long run, a small capacity) has nothing to buy: a checkout's hold
        // would wait for a token that never comes, be answered "unavailable", and keep holds open
        // (esc-holds-resolved) as long as the probe retried. Once every hold is resolved with no
        // token left, sold out is the answer.
        if (noneFor(home)) {
          const holds = o.escrow.monitor.holdsResolved();
          if (holds === true) {
            bought.add(home);
            return;
          }
          state.set(home, `no token is left that ${home} can get; ${user} waits for the open holds to resolve: ${holds}`);
          continue;
        }
        const a = yield* resolve(ctx, o.dns, home);
        if (a === null) {
          state.set(home, `GeoDNS gave ${user} no answer`);
          continue;
        }
        const add = (yield ctx.call<AppReply>(o.lbOf(a.region), { type: 'cart', user, op: 'add', item: 'pen', token: [], seq: attempt } satisfies AppRequest, ms(1000))) as CallResult<AppReply>;
        if (!add.ok || add.body.type !== 'cart-ok') {
          state.set(home, `${user}'s cart add at ${a.region}: ${add.ok ? JSON.stringify(add.body) : 'no answer'}`);
          continue;
        }
        const orderId = `${user}-o${attempt}`;
        const co = (yield ctx.call<AppReply>(o.lbOf(a.region), { type: 'checkout', user, orderId, token: add.body.token } satisfies AppRequest, ms(3000))) as CallResult<AppReply>;
        if (co.ok && co.body.type === 'confirmed') {
          o.checks.onConfirmed(user, orderId, co.body.items, new Set());
          bought.add(home);
          return;
        }
        if (co.ok && co.body.type === 'refused' && co.body.reason === 'sold-out' && soldOut()) {
          bought.add(home);
          return;
        }
        state.set(home, `${user}'s checkout at ${a.region}: ${co.ok ? JSON.stringify(co.body) : 'no answer'}${co.ok && co.body.type === 'refused' && co.body.reason === 'sold-out' ? ' while the escrow still has free tokens or open holds' : ''}`);
      }
    })());
  }
  w.liveness('a-customer-can-buy-in-every-region', () => {
    for (const r of o.regions) if (!bought.has(r)) return state.get(r)!;
    return true;
  });
}

// ------------------------------------------------------------------ directed nemeses

/** Takes a region's balancer down (GeoDNS must fail the region over) and brings it back. */
export function regionOutages(w: World<unknown>, tier: RegionalTier, checks: PlatformChecks, meanMs: number, failover: Nanos[], dns: GeoDnsHandle): void {
  // geodns-health judges the balancers' own state (down since when), however they went down.
  checks.watchEntries((r) => w.node(tier.lbOf(r)));
  if (meanMs <= 0) return;
  const rng = w.rng('region-outage');
  w.nemesis('region-outage', (function* () {
    for (;;) {
      yield sleep(w.sim, Math.max(1, Math.round(rng.exponential(ms(meanMs)))));
      const r = rng.pick(tier.regions);
      const lb = w.node(tier.lbOf(r));
      if (lb.state !== 'up') continue;
      lb.crash();
      const t0 = w.now;
      const seen = dns.history.length;
      yield sleep(w.sim, Math.round(rng.uniform(ms(1000), ms(3000))));
      const out = dns.history.slice(seen).find((h) => h.region === r && !h.healthy);
      if (out) failover.push(out.atNs - t0);
      if (w.phase === 'fault' && (lb.state as string) === 'down') lb.start();
    }
  })());
}

/** Pauses whichever operator holds the lock for longer than its lease (a long GC pause). */
export function operatorPauses(w: World<unknown>, config: RaftCluster, meanMs: number, leaseTtlMs: number): void {
  if (meanMs <= 0) return;
  const rng = w.rng('operator-pause');
  w.nemesis('operator-pause', (function* () {
    for (;;) {
      yield sleep(w.sim, Math.max(1, Math.round(rng.exponential(ms(meanMs)))));
      const holder = config.leader()?.program?.store.get(KEYS.lock)?.value;
      if (holder === undefined) continue;
      w.node(holder).pause(Math.round(rng.uniform(ms(leaseTtlMs * 1.2), ms(leaseTtlMs * 2))));
    }
  })());
}

/** Cuts one config replica off from the other replicas (not from clients) for 1-4 s at a time. */
export function configIsolations(w: World<unknown>, config: RaftCluster, meanMs: number): void {
  if (meanMs <= 0) return;
  const rng = w.rng('cfg-isolate');
  w.nemesis('cfg-isolate', (function* () {
    for (;;) {
      yield sleep(w.sim, Math.max(1, Math.round(rng.exponential(ms(meanMs)))));
      const victim = rng.pick(config.ids);
      const others = config.ids.filter((x) => x !== victim);
      for (const o of others) w.net.cut(victim, o);
      yield sleep(w.sim, Math.round(rng.uniform(ms(1000), ms(4000))));
      for (const o of others) w.net.uncut(victim, o);
    }
  })());
}

// ------------------------------------------------------------------ hardware

/**
 * Puts the escrow replicas (`hardware`) and the config servers (`storeHardware`) that the
 * parameters make accelerated on SmartNICs of their own (`nic/<node>`, a failure domain apart from
 * the host's), and starts the hardware nemesis on those NICs: at most one NIC crashed or wedged at
 * a time, next to the standard nemesis's one crashed server. Returns the NICs, by system.
 */
export function placeOnHardware(w: World<unknown>, p: PlatformParams, config: RaftCluster, escrow: SaleCluster): { escrow: SmartNic[]; store: SmartNic[] } {
  const onNics = (nodes: readonly SimNode[]): SmartNic[] =>
    nodes.map((node) => {
      const nic = w.addDevice((sim) => new SmartNic(sim, { name: node.id }));
      runOnNic(nic, node);
      return nic;
    });
  const nics = { escrow: p.hardware === 'accelerated' ? onNics(escrow.hosts) : [], store: p.storeHardware === 'accelerated' ? onNics(config.servers) : [] };
  const all = [...nics.escrow, ...nics.store];
  if (all.length > 0)
    hardwareNemesis(w, { ...defaultsOf(hardwareFaultParams()), nicCrashMsMean: p.nicCrashMsMean, nicWedgeMsMean: p.nicWedgeMsMean, hwDownMsMean: p.hwDownMsMean, nicCryptoCorruptRate: 0, ssdFailMsMean: 0, ssdWrongResultRate: 0, ssdPartialResultRate: 0, ssdWearOut: false, cxlFailMsMean: 0, cxlPoisonMsMean: 0, cxlTornWriteRate: 0 }, { nics: all, maxNicsDown: 1 });
  return nics;
}

/** What the NICs went through (metrics): crashes (a wedge ends in one), NVDIMM stalls, fsyncs persisted. */
function nicCounts(n: { escrow: SmartNic[]; store: SmartNic[] }) {
  const of = (xs: SmartNic[]) => (xs.length === 0 ? null : { crashes: xs.reduce((a, x) => a + x.stats.crashes, 0), nvdimmStalls: xs.reduce((a, x) => a + x.nicStats.stalls, 0), persisted: xs.reduce((a, x) => a + x.nicStats.persisted, 0) });
  return { escrow: of(n.escrow), store: of(n.store) };
}

/** Mean time from an fsync's issue to its completion over `nodes`' disks (µs), or null if none completed. */
function meanFsyncUs(nodes: readonly SimNode[]): number | null {
  let n = 0;
  let ns = 0;
  for (const x of nodes) {
    n += x.disk.stats.syncsTimed;
    ns += x.disk.stats.syncNsTotal;
  }
  return n === 0 ? null : Math.round(ns / n / 10) / 100;
}

// ------------------------------------------------------------------ end-to-end checks

export interface PlatformHandles {
  config: RaftCluster;
  escrow: SaleCluster;
  crdt: CrdtRegions;
  dns: GeoDnsHandle;
  tier: RegionalTier;
}

/** Registers the end-to-end safety and liveness properties (see invariants.ts). */
export function checkPlatform(w: World<unknown>, checks: PlatformChecks, h: PlatformHandles): void {
  h.config.kvHooks.push({ onApply: (node, _i, cmd, result, events) => checks.onApply(node, () => (w.node(node).program as never) ?? null, cmd, result, events) });
  w.safety('order-exactly-once', () => checks.ordersOnce(h.crdt.nodes));
  w.liveness('every-region-serving', () => {
    for (const b of h.tier.balancers) if (!b.program?.serving()) return `${b.id} is not serving: ${b.program ? b.program.describe() : 'down'}`;
    return true;
  });
  w.liveness('geodns-answers-all-regions', () => {
    const s = h.dns.state();
    if (!s) return 'GeoDNS is down';
    const el = s.eligible();
    return el.length === h.tier.regions.length ? true : `GeoDNS answers only ${el.join(', ') || 'nothing'}`;
  });
  w.liveness('drains-completed', () => {
    const st = h.config.leader()?.program?.store;
    const v = st?.get(KEYS.backends)?.value;
    if (!st || v === undefined) return 'no leader or no config yet';
    const bad = Object.entries((JSON.parse(v) as { backends: Record<string, { state: string }> }).backends).filter(([, e]) => e.state !== 'active');
    if (bad.length > 0) return `${bad.map(([id, e]) => `${id} ${e.state}`).join(', ')}`;
    const ev = st.get(KEYS.regions)?.value;
    if (ev !== undefined && (JSON.parse(ev) as { evacuated: string[] }).evacuated.length > 0) return `regions still evacuated: ${ev}`;
    return true;
  });
  w.liveness('servers-run-flagged-version', () => {
    const st = h.config.leader()?.program?.store;
    return checks.serversRunFlaggedVersion(h.tier.servers.map((s) => s.node), (id) => st?.get(versionFlagKey(id))?.value);
  });
  w.liveness('carts-and-orders-converged', () => checks.viewsConverged(h.crdt.nodes));
  w.liveness('orders-backed-by-escrow', () => {
    const holds = h.escrow.monitor.holdsResolved();
    if (holds !== true) return `waiting for escrow holds: ${holds}`;
    const conv = checks.viewsConverged(h.crdt.nodes);
    if (conv !== true) return `waiting for the views: ${conv}`;
    const msg = checks.ordersBackedByEscrow(h.crdt.nodes, h.escrow);
    if (msg !== null) w.violation('order-backed-by-escrow', msg);
    return true;
  });
}

// ------------------------------------------------------------------ the whole platform

/** Node ids of a platform added by {@link addPlatform}, by system. */
export interface PlatformIds {
  /** Region names. */
  regions: string[];
  /** Config store servers. */
  config: NodeId[];
  /** Escrow replicas. */
  escrow: NodeId[];
  /** CRDT replicas. */
  crdt: NodeId[];
  /** Regional load balancers. */
  balancers: NodeId[];
  /** Application servers. */
  servers: NodeId[];
  /** The GeoDNS server. */
  dns: NodeId;
}

/**
 * The whole platform in one world (the platform-* scenarios' setup): the config store, escrow,
 * CRDT regions, the regional tier, GeoDNS, operators and shoppers, each system's own checks and
 * the end-to-end ones, the standard nemesis and the platform's directed ones, and the WAN.
 * `o.escrowBugs`: an escrow bug-zoo variant inside the platform (tests: the escrow's checks must
 * see it through the platform's servers too).
 */
export function addPlatform(w: World<unknown>, p: PlatformParams, o: { escrowBugs?: EscrowBugs } = {}): PlatformIds {
  const regions = platformRegions(p);
  const bounds = platformBounds(p);
  const regionOf = new Map<string, string>();
  const deployed = deployedConfig(regions, p.appsPerRegion);
  const sale = { ...defaultsOf(saleParams()), regions: p.regions, capacity: p.capacity, wanMsMedian: p.wanMsMedian, durationS: p.durationS };

  // The systems, each through its kit, each with its own node-id prefix and failure domain.
  const config = addConfigStore(w, { ...defaultsOf(raftParams()), nodes: Math.max(3, p.regions), bug: 'none' }, { prefix: 'cfg', workload: false, historyRevs: p.configHistoryRevs, domainOf: (i) => regions[i % regions.length]!, initial: deployed.keys });
  const escrow = addEscrowCluster(w, sale, { prefix: 'esc-', topology: 'peers', bugs: { ...(p.bug === 'escrow-refuses-all' ? { refuseAllHolds: true } : {}), ...o.escrowBugs } });
  const crdt = addCrdtRegions(w, { ids: regions.map((r) => `crdt-${r}`), bug: 'none', wanMsMin: p.wanMsMedian * 0.7, wanMsMax: p.wanMsMedian * 1.5 });
  const checks = new PlatformChecks(w, { drainBoundNs: bounds.drainBoundNs, healthBoundNs: bounds.healthBoundNs, capacity: p.capacity });
  w.onHeal(() => checks.healed());
  const history = new ConfigHistory(w, config);
  const escrowNs = { hold: [] as number[], confirm: [] as number[] };
  const tier = addRegionalTier(w, { escrowNs, regions, appsPerRegion: p.appsPerRegion, config, escrow, crdt, checks, history, bug: p.bug, bounds, confirmDeadlineNs: holdPolicyOf(sale).holdNs, paymentMeanNs: ms(p.paymentMsMean), deployed });
  const dns = addGeoDns(w, {
    id: 'dns', regions, ttlNs: ms(p.ttlMs), fallThreshold: bounds.fall, riseThreshold: bounds.rise, bugIgnoreHealth: p.bug === 'geodns-ignores-health', bugAnswerNothing: p.bug === 'geodns-answers-nothing',
    entryOf: tier.lbOf, probeNs: bounds.probeNs, probeTimeoutNs: bounds.probeTimeoutNs, onAnswer: (home, a) => checks.onDnsAnswer(home, a.region, !a.eligible.includes(a.region)),
    *evacuated(ctx) {
      const r = yield* new KvClient(ctx, { servers: config.ids, clientId: 'dns', maxAttempts: 1, attemptTimeoutNs: ms(150) }).read({ op: 'get', key: KEYS.regions });
      return r.ok && r.value.op === 'get' && r.value.value !== null ? (JSON.parse(r.value.value) as RegionsConfig).evacuated : null;
    },
  });

  // Operations and shoppers: the workload.
  const servers = tier.servers.map((s) => ({ id: s.id, region: s.region }));
  const ops = addOperators(w, { configServers: config.ids, regions, servers, leaseTtlMs: p.leaseTtlMs, intervalNs: ms(p.opIntervalMs), drainWaitNs: bounds.drainWaitNs, deploy: (id, v) => tier.deploy(id, v), escrowOf: (r) => escrow.entryOf.get(escrow.regions[regions.indexOf(r)]!)!, checks, bug: p.bug, history, regionOf });
  const shop = addShoppers(w, { regions, dns, lbOf: tier.lbOf, roamRate: p.roamRate, thinkNs: ms(p.thinkMs), warmupNs: ms(p.warmupMs), checkoutTimeoutNs: ms(p.checkoutTimeoutMs), checks, perRegion: p.shoppersPerRegion, stickyShare: p.stickyShare, regionOf });

  // Checks: each system's own, and the end-to-end ones.
  watchCluster(w, escrow, sale);
  checkPlatform(w, checks, { config, escrow, crdt, dns, tier });
  addBuyerProbe(w, { regions, dns, lbOf: tier.lbOf, escrow, checks, regionOf });

  // Faults and the WAN.
  standardNemesis(w, p, { targets: [...config.servers, ...escrow.hosts, ...crdt.nodes, ...tier.servers.map((s) => s.node)], maxDown: 1, others: 'keep' });
  const failover: number[] = [];
  regionOutages(w, tier, checks, p.regionOutageMsMean, failover, dns);
  operatorPauses(w, config, p.opPauseMsMean, p.leaseTtlMs);
  configIsolations(w, config, p.cfgIsolateMsMean);
  for (const [id, r] of config.domains) regionOf.set(id, r);
  for (const [id, r] of escrow.regionOf) regionOf.set(id, regions[Number(r.slice(1)) - 1]!);
  tier.servers.forEach((s) => regionOf.set(s.id, s.region));
  regions.forEach((r) => regionOf.set(tier.lbOf(r), r));
  applyWan(w, regionOf, ms(p.wanMsMedian));
  const nics = placeOnHardware(w, p, config, escrow);

  w.onHeal(() => {
    w.metrics.platform = { ...shop, ...checks.counts, configChanges: checks.configs.length - 1, watchPropagationMs: quantiles(checks.propagationMs), flagToServerMs: quantiles(checks.flagToServerMs), hardware: p.hardware, storeHardware: p.storeHardware, nics: nicCounts(nics), fsyncUs: { escrow: meanFsyncUs(escrow.hosts), store: meanFsyncUs(config.servers) }, escrowMs: { hold: quantiles(escrowNs.hold.map((x) => x / 1e6)), confirm: quantiles(escrowNs.confirm.map((x) => x / 1e6)) }, operator: ops, dnsFailoverMs: failover.map((x) => Math.round(x / 1e6)), messages: w.net.stats.sent, livenessBoundMs: livenessBoundOf(sale) / 1e6 };
  });
  return { regions, config: config.ids, escrow: escrow.hosts.map((h) => h.id), crdt: crdt.ids, balancers: regions.map(tier.lbOf), servers: tier.servers.map((s) => s.id), dns: dns.id };
}
