/**
 * The escrow service's kit (one door a system): clusters (peers, multi-level, coordinated), WAN
 * links, buyers, flow probe and metrics. `addEscrowCluster(w, p, { prefix, regions })` adds a
 * working cluster with its own node-id prefix and returns its handle (`SaleCluster`: hosts,
 * monitor, capacity). Shared by every scenarios/escrow-*.ts file and by the platform.
 */
import type { DiskProfile } from '../../sim/disk/profiles.ts';
import { assert } from '../../sim/assert.ts';
import { netLatencyMsMaxFor, standardNemesis, type FaultParamOptions, type FaultParams } from '../../sim/nemesis.ts';
import type { CallResult, SimNode } from '../../sim/node.ts';
import { param, type ParamValues } from '../../sim/params.ts';
import { Future, sleep } from '../../sim/process.ts';
import type { World } from '../../sim/scenario.ts';
import { ms, sec, type Nanos } from '../../sim/time.ts';
import { allocate, apportion } from './allocation.ts';
import { coordinatedFrontEnd, coordinatedLeaderConfig } from './baseline.ts';
import { detectStarvation, jainIndex, regionLoadOf } from './fairness.ts';
import { checkConservation, reservedTokensOf } from './invariants.ts';
import type { EscrowBugs, EscrowReplicaConfig } from './replica.ts';
import { type HoldPolicy } from './reservation.ts';
import type { ClientReply, NodeSnapshot } from './types.ts';
import { escrowHost, STATE_FILE, TransferWire, type ClusterCounters, type ClientRequest, type EscrowHost } from './host.ts';
import { EscrowMonitor } from './monitor.ts';
import { checkEscrowAcksDurable } from './durable-acks.ts';
import { createSeatNode } from './seat.ts';
import { ESCROW_MESSAGE_SUMMARIES } from './message-summary.ts';
import { HoldArrivals, replyMismatch, spareTokens } from './reply-checks.ts';

// ---- the scenario kit: clusters, WAN, buyers, probes, metrics ----------------------------------
// Shared by every scenarios/escrow-*.ts file (a scenario file must default-export one scenario, so
// the shared parts live here, beside the glue they drive).

/**
 * The standard faults an escrow service is swept under: all but disk corruption. A replica's
 * state (its share of the budget, its open holds) cannot be rebuilt from peers, so a corrupt
 * record stops the node for an operator (docs/escrow.md, Faults). Clock steps move only the
 * wall clock, which escrow does not read (holds expire on the monotonic clock).
 */
export const ESCROW_FAULT_OPTIONS = {
  off: ['diskCorruptionRate', 'clockJumpMsMean'],
  offReason: 'an escrow replica\'s share cannot be rebuilt from peers; it reads only its monotonic clock (docs/escrow.md, Faults)',
  // A buyer's call allows a round trip in its region 300 ms beyond the WAN's (clientLoop's callTimeoutNs).
  netLatencyMsMax: netLatencyMsMaxFor(300),
} satisfies FaultParamOptions;

/** The bug zoo, as the scenarios' `bug` parameter. */
export const ESCROW_BUGS = ['none', 'check-then-act', 'credit-before-debit-durable', 'reaper-returns-confirmed', 'rebalance-double-counts-in-flight', 'reack-before-credit-durable', 'never-confirms', 'holds-wait-for-tick', 'front-ends-relay-nothing', 'cancel-not-persisted'] as const;
export type EscrowBugName = (typeof ESCROW_BUGS)[number];

/** The core's switches for one bug-zoo entry. */
export function bugFlags(bug: EscrowBugName): EscrowBugs {
  switch (bug) {
    case 'none':
      return {};
    case 'check-then-act':
      return { checkThenAct: true };
    case 'credit-before-debit-durable':
      return { creditBeforeDebitDurable: true };
    case 'reaper-returns-confirmed':
      return { reaperReturnsConfirmed: true };
    case 'rebalance-double-counts-in-flight':
      return { rebalanceDoubleCountsInFlight: true };
    case 'reack-before-credit-durable':
      return { reackBeforeCreditDurable: true };
    case 'never-confirms':
      return { neverConfirms: true };
    case 'holds-wait-for-tick':
      return { holdsWaitForTick: true };
    case 'front-ends-relay-nothing':
      return { frontEndsRelayNothing: true };
    case 'cancel-not-persisted':
      return { cancelNotPersisted: true };
  }
}

/** Defaults a scenario may change; every figure has its unit last. */
export interface SaleDefaults {
  regions: number;
  capacity: number;
  clients: number;
  hotRegionShare: number;
  thinkMsMean: number;
  seatsMax: number;
  confirmDelayMsMean: number;
  abandonRate: number;
  cancelRate: number;
  holdMs: number;
  graceMs: number;
  wanMsMedian: number;
  tickMs: number;
  durationS: number;
}

export const SALE_DEFAULTS: SaleDefaults = {
  regions: 3, capacity: 150, clients: 9, hotRegionShare: 0.6, thinkMsMean: 40, seatsMax: 4, confirmDelayMsMean: 20,
  abandonRate: 0.1, cancelRate: 0.05, holdMs: 1000, graceMs: 200, wanMsMedian: 40, tickMs: 5, durationS: 6,
};

/** The sale's typed parameters (spread `...faultParams()` and a `bug` next to them). */
export function saleParams(d: Partial<SaleDefaults> = {}) {
  const v = { ...SALE_DEFAULTS, ...d };
  return {
    regions: param.int({ doc: 'regions, one escrow node each', default: v.regions, min: 2, max: 8, swarm: [Math.max(2, v.regions - 1), v.regions + 1] }),
    capacity: param.int({ doc: 'seats in the venue (C)', default: v.capacity, min: 1, max: 1_000_000 }),
    clients: param.int({ doc: 'concurrent buyers (closed loop)', default: v.clients, min: 1, max: 256 }),
    hotRegionShare: param.float({ doc: 'share of the buyers in region r1 (the skew)', default: v.hotRegionShare, min: 0, max: 1, swarm: [0.4, 0.9] }),
    thinkMsMean: param.float({ doc: 'mean pause between a buyer\'s attempts (ms)', default: v.thinkMsMean, min: 0.01, max: 1e6 }),
    seatsMax: param.int({ doc: 'largest number of seats in one reservation', default: v.seatsMax, min: 1, max: 100 }),
    confirmDelayMsMean: param.float({ doc: 'mean time a buyer takes to pay after the hold (ms)', default: v.confirmDelayMsMean, min: 0, max: 1e6 }),
    abandonRate: param.float({ doc: 'probability a buyer walks away from a hold (the reaper frees it)', default: v.abandonRate, min: 0, max: 1 }),
    cancelRate: param.float({ doc: 'probability a buyer cancels a hold', default: v.cancelRate, min: 0, max: 1 }),
    holdMs: param.float({ doc: 'hold time-to-live (ms)', default: v.holdMs, min: 1, max: 1e7 }),
    graceMs: param.float({ doc: 'grace after a hold expires before the reaper takes it (ms)', default: v.graceMs, min: 0, max: 1e7 }),
    wanMsMedian: param.float({ doc: 'median one-way latency between regions (ms)', default: v.wanMsMedian, min: 0.01, max: 10_000, swarm: [Math.max(1, v.wanMsMedian / 4), v.wanMsMedian * 2] }),
    tickMs: param.float({ doc: 'node timer period: reaper, retransmits, refills (ms)', default: v.tickMs, min: 0.1, max: 1e5 }),
    durationS: param.float({ doc: 'length of the sale (the fault phase) (s)', default: v.durationS, min: 0.01, max: 86400 }),
  };
}

export type SaleValues = ParamValues<ReturnType<typeof saleParams>>;

/** The hold policy of a sale: extensions add half a hold, once. */
export function holdPolicyOf(p: SaleValues): HoldPolicy {
  return {
    holdNs: ms(p.holdMs), graceNs: ms(p.graceMs), extendNs: ms(p.holdMs / 2), maxExtensions: 1,
    // Long enough for a borrow across the WAN and a coordinator's planning round, with retries,
    // and for the ticks that drive them (requests, retransmits and refills go once a tick): at
    // tickMs=100000 every pending hold timed out before the tick that would have filled it.
    pendingTimeoutNs: Math.max(ms(p.holdMs), ms(8 * p.wanMsMedian + 400 + 3 * p.tickMs)),
  };
}

/**
 * How long, after the faults stop, every hold has to be resolved and every transfer settled: the
 * longest a hold can live, then 10 s, or twenty node ticks when those are longer (the reaper,
 * retransmits and refills run once a tick: at tickMs=100000 a fixed 10 s failed a correct sale).
 */
export function livenessBoundOf(p: SaleValues): Nanos {
  const h = holdPolicyOf(p);
  return h.holdNs + h.maxExtensions * h.extendNs + h.graceNs + h.pendingTimeoutNs + Math.max(sec(10), ms(20 * p.tickMs));
}

export function regionNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `r${i + 1}`);
}

/** A group of nodes serving one sale, and what the workload and checks need to know of it. */
export interface SaleCluster {
  readonly label: string;
  readonly regions: readonly string[];
  /** Nodes holding seat state (what the monitor checks). */
  readonly hosts: readonly SimNode<EscrowHost>[];
  /** Where a buyer of a region sends its requests. */
  readonly entryOf: ReadonlyMap<string, string>;
  /** Which host owns the reservations made through an entry node. */
  readonly ownerOf: ReadonlyMap<string, string>;
  /** Region of every node of the cluster ('*' = near everyone). */
  readonly regionOf: Map<string, string>;
  readonly monitor: EscrowMonitor;
  readonly wire: TransferWire;
  readonly counters: ClusterCounters;
  /** Tokens a node would give away now (0 for a node that never lends). */
  readonly lendable: (s: NodeSnapshot) => number;
  /** Hosts that serve buyers (where demand shows up). */
  readonly regional: readonly string[];
  readonly capacity: number;
  /** The hold requests the hosts received, with the spare tokens each found (reply-checks.ts). */
  readonly holds: HoldArrivals;
}

export type Topology = 'peers' | 'multi-level';

export interface EscrowClusterOptions {
  readonly prefix: string;
  readonly topology: Topology;
  readonly bugs: EscrowBugs;
  /** Tokens a lender keeps. */
  readonly lendFloorTokens?: number;
  /** Share of C the global node keeps in reserve (multi-level). */
  readonly globalReserveShare?: number;
  /** The replicas' storage latency profile (default NVMe; the platform's `hardware=accelerated` gives NVDIMM on a SmartNIC). */
  readonly disk?: DiskProfile;
  /** How the regions' seats are first split (default 'equal'; see `splitSeats`). */
  readonly split?: SeatSplit;
}

/**
 * How a sale's seats are first split across the regions: 'equal' shares, or 'demand': by each
 * region's expected demand (its share of the buyers), every region first getting a floor of one
 * largest hold so none starts unable to sell; when the floors alone do not fit (the last few
 * seats), an equal split (allocation.ts).
 */
export type SeatSplit = 'equal' | 'demand';

export function splitSeats(capacity: number, ids: readonly string[], p: SaleValues, split: SeatSplit): number[] {
  if (split === 'equal') return [...allocate(capacity, ids, { kind: 'equal' }).values()];
  const demands = apportion(capacity, buyersPerRegion(p));
  return [...allocate(capacity, ids, { kind: 'demand', demands, minTokens: p.seatsMax }).values()];
}

/** Each escrow node's state at a fresh start, by world: what a node restarts as with nothing on disk. */
const FRESH = new WeakMap<World<unknown>, Map<string, NodeSnapshot>>();
function freshStart(w: World<unknown>, id: string, s: NodeSnapshot): true {
  const m = FRESH.get(w) ?? new Map<string, NodeSnapshot>();
  FRESH.set(w, m);
  m.set(id, s);
  return true;
}

function newCluster(w: World<unknown>, label: string, capacity: number, hosts: SimNode<EscrowHost>[], extra: Omit<SaleCluster, 'label' | 'hosts' | 'monitor' | 'capacity'>): SaleCluster {
  checkEscrowAcksDurable(w, hosts.map((h) => h.id), STATE_FILE);
  w.net.describeMessages(ESCROW_MESSAGE_SUMMARIES);
  const monitor = new EscrowMonitor(capacity, hosts, extra.wire, w.sim, FRESH.get(w) ?? new Map());
  return { label, hosts, monitor, capacity, ...extra };
}

/**
 * The escrow design: one replica per region. 'peers': replicas borrow from each other on demand.
 * 'multi-level': a global replica (in r1) keeps a reserve and rebalances the regions centrally
 * from their reports (global -> regional escrow, seed ch. 9.3.2).
 */
export function addEscrowCluster(w: World<unknown>, p: SaleValues, o: EscrowClusterOptions): SaleCluster {
  const regions = regionNames(p.regions);
  const hold = holdPolicyOf(p);
  const wire = new TransferWire(sec(10));
  const counters: ClusterCounters = { serverMessages: 0, transfers: 0 };
  const rtt = ms(2 * p.wanMsMedian);
  const retransmitNs = Math.max(ms(50), 3 * rtt);
  const floor = o.lendFloorTokens ?? 1;
  const batch = Math.max(2, Math.round(p.capacity / (p.regions * 8)));
  const ids = regions.map((r) => `${o.prefix}${r}`);
  const regionOf = new Map<string, string>(ids.map((id, i) => [id, regions[i]!]));
  const base = { capacity: p.capacity, retransmitNs, borrowTimeoutNs: retransmitNs, hold, lendFloorTokens: floor, bugs: o.bugs };
  const configs: EscrowReplicaConfig[] = [];
  let initial: number[];
  const globalId = `${o.prefix}g`;
  const lowWater = batch;
  if (o.topology === 'peers') {
    for (const id of ids) configs.push({ ...base, id, parent: null, peers: ids.filter((x) => x !== id), refill: { kind: 'demand', lowWaterTokens: 0, batchTokens: batch, source: 'peers' }, coordinator: null });
    initial = splitSeats(p.capacity, ids, p, o.split ?? 'equal');
  } else {
    const reserve = Math.round(p.capacity * (o.globalReserveShare ?? 0.2));
    const split = splitSeats(p.capacity - reserve, ids, p, o.split ?? 'equal');
    for (const id of ids) configs.push({ ...base, id, parent: globalId, peers: [], refill: { kind: 'coordinator', reportIntervalNs: ms(Math.max(20, p.wanMsMedian)) }, coordinator: null });
    configs.push({ ...base, id: globalId, parent: null, peers: [], refill: { kind: 'none' }, coordinator: { children: ids, intervalNs: ms(Math.max(20, p.wanMsMedian)), lowWaterTokens: lowWater } });
    regionOf.set(globalId, regions[0]!);
    initial = [...split, reserve];
  }
  const holds = new HoldArrivals();
  const hosts = configs.map((config, i) =>
    freshStart(w, config.id, createSeatNode(config, initial[i]!).snapshot()) && w.addNode(config.id, (ctx) => watchHolds(holds, config.id, escrowHost(ctx, { config, initialTokens: initial[i]!, tickNs: ms(p.tickMs), wire, counters })), o.disk !== undefined ? { disk: o.disk } : {}),
  );
  const lendable = (s: NodeSnapshot): number => {
    const { pending } = reservedTokensOf(s);
    if (o.topology === 'multi-level' && s.id !== globalId) return Math.max(0, s.tokens - 2 * lowWater);
    return Math.max(0, s.tokens - floor - pending);
  };
  const entryOf = new Map(regions.map((r, i) => [r, ids[i]!]));
  return newCluster(w, o.prefix, p.capacity, hosts, { regions, entryOf, ownerOf: new Map(ids.map((id) => [id, id])), regionOf, wire, counters, lendable, regional: ids, holds });
}

/** A host whose hold requests `holds` records as they arrive (the seat's state before it handles them). */
function watchHolds(holds: HoldArrivals, id: string, host: EscrowHost): EscrowHost {
  return holds.watch(id, host, () => host.seat.snapshot());
}

/** The coordinated baseline: a leader in `leaderRegion` with all C seats, a front end per region. */
export function addCoordinatedCluster(w: World<unknown>, p: SaleValues, o: { prefix: string; leaderRegion: string; bugs: EscrowBugs }): SaleCluster {
  const regions = regionNames(p.regions);
  const wire = new TransferWire(sec(10));
  const counters: ClusterCounters = { serverMessages: 0, transfers: 0 };
  const leaderId = `${o.prefix}leader`;
  const config = coordinatedLeaderConfig(leaderId, p.capacity, holdPolicyOf(p), ms(50), o.bugs);
  freshStart(w, leaderId, createSeatNode(config, p.capacity).snapshot());
  const holds = new HoldArrivals();
  const leader = w.addNode(leaderId, (ctx) => watchHolds(holds, leaderId, escrowHost(ctx, { config, initialTokens: p.capacity, tickNs: ms(p.tickMs), wire, counters })));
  const regionOf = new Map<string, string>([[leaderId, o.leaderRegion]]);
  const entryOf = new Map<string, string>();
  const ownerOf = new Map<string, string>();
  // A front end must wait longer than a WAN round trip plus the leader's fsync.
  const leaderTimeoutNs = ms(8 * p.wanMsMedian + 200);
  for (const r of regions) {
    const id = `${o.prefix}fe-${r}`;
    w.addNode(id, (ctx) => coordinatedFrontEnd(ctx, { leader: leaderId, leaderTimeoutNs, counters, bugs: o.bugs }));
    regionOf.set(id, r);
    entryOf.set(r, id);
    ownerOf.set(id, leaderId);
  }
  return newCluster(w, o.prefix, p.capacity, [leader], { regions, entryOf, ownerOf, regionOf, wire, counters, lendable: () => 0, regional: [leaderId], holds });
}

/**
 * WAN latency between regions: every link between two nodes of different regions gets a
 * long-tailed latency around `medianNs` (seed ch. 8.2: tens of ms between regions), on top of
 * whatever loss and reordering the fault parameters set. Call after `standardNemesis`.
 */
export function applyWan(w: World<unknown>, regionOf: ReadonlyMap<string, string>, medianNs: Nanos): void {
  const latency = { kind: 'lognormal' as const, minNs: Math.round(medianNs * 0.7), medianNs, p99Ns: medianNs * 3 };
  const nodes = [...regionOf.keys()];
  for (let i = 0; i < nodes.length; i++)
    for (let j = i + 1; j < nodes.length; j++) {
      const a = regionOf.get(nodes[i]!)!;
      const b = regionOf.get(nodes[j]!)!;
      if (a !== b && a !== '*' && b !== '*') w.net.setLinkBoth(nodes[i]!, nodes[j]!, { latency });
    }
}

/** Per-region figures of a sale. */
export interface RegionSales {
  requestedSeats: number;
  soldSeats: number;
  sales: number;
  rejected: number;
  expired: number;
  abandoned: number;
  cancelled: number;
}

/** What the buyers saw, for metrics. All times are true simulated time. */
export class SaleStats {
  readonly regions = new Map<string, RegionSales>();
  readonly saleLatencyNs: number[] = [];
  /** Sale latencies by region. */
  readonly regionLatencyNs = new Map<string, number[]>();
  readonly holdLatencyNs: number[] = [];
  clientMessages = 0;
  lastSaleNs = 0;

  constructor(regions: readonly string[]) {
    for (const r of regions) {
      this.regions.set(r, { requestedSeats: 0, soldSeats: 0, sales: 0, rejected: 0, expired: 0, abandoned: 0, cancelled: 0 });
      this.regionLatencyNs.set(r, []);
    }
  }

  region(r: string): RegionSales {
    const s = this.regions.get(r);
    assert(s !== undefined, `unknown region ${r}`);
    return s;
  }

  get soldSeats(): number {
    let n = 0;
    for (const s of this.regions.values()) n += s.soldSeats;
    return n;
  }

  get sales(): number {
    let n = 0;
    for (const s of this.regions.values()) n += s.sales;
    return n;
  }

  /** Jain's index over the regions' served fraction (sold / requested seats), regions with demand only. */
  jain(): number {
    const xs: number[] = [];
    for (const s of this.regions.values()) if (s.requestedSeats > 0) xs.push(s.soldSeats / s.requestedSeats);
    return xs.length === 0 ? 1 : jainIndex(xs);
  }

  summary(c: SaleCluster): Record<string, unknown> {
    const sales = this.sales;
    const perRegion: Record<string, unknown> = {};
    for (const [r, s] of this.regions) {
      const lat = this.regionLatencyNs.get(r)!;
      perRegion[r] = {
        ...s, servedFraction: s.requestedSeats > 0 ? round3(s.soldSeats / s.requestedSeats) : null,
        saleLatencyMsP50: round3(percentile(lat, 0.5) / 1e6), saleLatencyMsP99: round3(percentile(lat, 0.99) / 1e6),
      };
    }
    return {
      soldSeats: this.soldSeats,
      capacity: c.capacity,
      sales,
      throughputSalesPerSec: this.lastSaleNs > 0 ? round3(sales / (this.lastSaleNs / 1e9)) : 0,
      saleLatencyMsP50: round3(percentile(this.saleLatencyNs, 0.5) / 1e6),
      saleLatencyMsP99: round3(percentile(this.saleLatencyNs, 0.99) / 1e6),
      holdLatencyMsP50: round3(percentile(this.holdLatencyNs, 0.5) / 1e6),
      holdLatencyMsP99: round3(percentile(this.holdLatencyNs, 0.99) / 1e6),
      serverMessagesPerSale: sales > 0 ? round3(c.counters.serverMessages / sales) : null,
      messagesPerSale: sales > 0 ? round3((c.counters.serverMessages + this.clientMessages) / sales) : null,
      transfers: c.counters.transfers,
      jainServedFraction: round3(this.jain()),
      perRegion,
    };
  }
}

export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Buyers per region: `hotRegionShare` of them in r1, the rest spread evenly. */
export function buyersPerRegion(p: SaleValues): number[] {
  const rest = (1 - p.hotRegionShare) / (p.regions - 1);
  return apportion(p.clients, regionNames(p.regions).map((_, i) => (i === 0 ? p.hotRegionShare : rest)));
}

type Reply = CallResult<ClientReply>;

/**
 * What a client is told by a cluster's entry node, judged against the answering node's state
 * (reply-checks.ts): declares `reply-answers-request`, `hold-served-locally` and `reply-durable`
 * and returns the judge of one answered call. The escrow buyers use it, and so must every system
 * that sells through an escrow cluster (the platform's application servers): a check installed
 * only in the escrow scenarios never sees the platform's sales.
 */
export function replyJudge(w: World<unknown>, c: SaleCluster): (client: string, entry: string, req: ClientRequest, reply: ClientReply) => void {
  c.holds.enable();
  w.declareCheck(`${c.label}reply-answers-request`);
  w.declareCheck(`${c.label}hold-served-locally`);
  w.declareCheck(`${c.label}reply-durable`);
  return (client, entry, req, reply) => {
    const owner = c.ownerOf.get(entry)!;
    const wrong = replyMismatch(req, reply);
    if (wrong !== null) w.violation(`${c.label}reply-answers-request`, `${entry} told ${client}: ${wrong}`);
    if (req.type === 'hold') {
      const idle = c.holds.judgeHold(owner, req.reservationId, req.count, reply);
      if (idle !== null) w.violation(`${c.label}hold-served-locally`, idle);
    }
    // A granted hold and a cancellation must be durable when told (confirmations: confirmed-never-lost).
    if ((req.type === 'hold' || req.type === 'cancel') && reply.ok && reply.state !== null) {
      const lost = c.monitor.ackDurable(owner, req.reservationId, reply.state);
      if (lost !== null) w.violation(`${c.label}reply-durable`, lost);
    }
  };
}

/** A confirm refused only because the reservation still waits for tokens. */
function stillPending(r: ClientReply): boolean {
  return !r.ok && r.code === 'illegal-transition' && r.message.includes('pending');
}

/** What a buyer does with a seat hold it got: pay for it, cancel it, or walk away (the reaper frees it). */
export type BuyerThen = 'pay' | 'cancel' | 'walk-away';

/**
 * Closed-loop buyers: each waits a think time, holds 1..seatsMax seats at its region's entry
 * node, then pays (confirms) after a delay, cancels, or walks away. A hold that is pending
 * (tokens being borrowed) is polled with confirm until it is held or expires. A timed-out call is
 * retried with the same reservation id (a duplicate means the first attempt got through).
 * A confirmation the buyer is told about is checked against durable state at once.
 * Each purchase is two recorded decisions (sim/decisions.ts): the hold (`b-r1-1`'s n-th:
 * `{ op: 'hold', seats }`) and what follows it (`b-r1-1:then`'s n-th: `{ op: 'pay' }`, 'cancel'
 * or 'walk-away'); a script that skips the hold skips the purchase, one that skips the follow-up
 * walks away.
 */
export function addBuyers(w: World<unknown>, c: SaleCluster, p: SaleValues, stats: SaleStats, prefix = c.label): void {
  const hold = holdPolicyOf(p);
  const perRegion = buyersPerRegion(p);
  const callTimeoutNs = ms(8 * p.wanMsMedian + 300);
  const judge = replyJudge(w, c);
  c.regions.forEach((region, ri) => {
    for (let k = 0; k < perRegion[ri]!; k++) {
      const id = `${prefix}b-${region}-${k + 1}`;
      const entry = c.entryOf.get(region)!;
      const owner = c.ownerOf.get(entry)!;
      c.regionOf.set(id, region);
      const rs = stats.region(region);
      w.addClient(id, (ctx) => (function* () {
        let n = 0;
        const call = function* (req: ClientRequest) {
          stats.clientMessages++;
          const r: Reply = yield ctx.call<ClientReply>(entry, req, callTimeoutNs);
          if (r.ok) {
            stats.clientMessages++;
            w.clientOp();
            judge(id, entry, req, r.body);
          }
          return r;
        };
        for (;;) {
          yield ctx.sleep(Math.max(1, Math.round(ctx.rng.exponential(ms(p.thinkMsMean)))));
          if (w.phase !== 'fault') return;
          const drawnCount = ctx.rng.int(1, p.seatsMax);
          const reservationId = `${id}-${++n}`;
          // Recorded decisions (sim/decisions.ts): "b-r1-1's 3rd purchase: hold 2 seats", then
          // (below) "... pay". A script may skip the purchase or name other seats.
          const hd = w.sim.decisions.operation(id, n, { op: 'hold', seats: drawnCount });
          if (hd === null) continue;
          const count = hd.seats;
          rs.requestedSeats += count;
          const t0 = w.now;
          let got: 'yes' | 'maybe' | 'no' = 'no';
          for (let attempt = 0; attempt < 3 && got === 'no'; attempt++) {
            const r: Reply = yield* call({ type: 'hold', reservationId, count });
            if (!r.ok) continue;
            if (r.body.ok) got = 'yes';
            else if (r.body.code === 'duplicate-reservation') got = 'maybe';
            else break;
          }
          if (got === 'no') {
            rs.rejected++;
            yield ctx.sleep(ms(4 * p.thinkMsMean));
            continue;
          }
          const holdLatency = w.now - t0;
          stats.holdLatencyNs.push(holdLatency);
          const u = ctx.rng.next();
          const drawnThen: BuyerThen = u < p.abandonRate ? 'walk-away' : u < p.abandonRate + p.cancelRate ? 'cancel' : 'pay';
          const then = w.sim.decisions.operation(`${id}:then`, n, { op: drawnThen })?.op ?? 'walk-away';
          if (then === 'walk-away') {
            rs.abandoned++;
            continue;
          }
          if (then === 'cancel') {
            const r: Reply = yield* call({ type: 'cancel', reservationId });
            if (r.ok && r.body.ok) rs.cancelled++;
            continue;
          }
          yield ctx.sleep(Math.round(ctx.rng.exponential(ms(p.confirmDelayMsMean))));
          const t1 = w.now;
          const deadline = t1 + hold.holdNs + hold.graceNs + hold.pendingTimeoutNs;
          while (w.now < deadline) {
            const r: Reply = yield* call({ type: 'confirm', reservationId });
            if (!r.ok) continue;
            if (r.body.ok) {
              rs.sales++;
              rs.soldSeats += count;
              stats.saleLatencyNs.push(holdLatency + (w.now - t1));
              stats.regionLatencyNs.get(region)!.push(holdLatency + (w.now - t1));
              stats.lastSaleNs = w.now;
              const v = c.monitor.ackConfirmed(owner, reservationId);
              if (v) w.violation(`${c.label}confirmed-never-lost`, v);
              break;
            }
            if (stillPending(r.body)) {
              yield ctx.sleep(ms(Math.max(5, p.wanMsMedian / 2)));
              continue;
            }
            rs.expired++;
            break;
          }
        }
      })());
    }
  });
}

/**
 * Liveness "idle tokens flow to regions with demand": when the faults stop, a probe buyer asks
 * the regional node with the fewest free tokens for more seats than it holds. If other nodes can
 * lend, the hold must be granted (and is bought) within the bound; the time it took is reported.
 * If nobody can lend (sold out), the property holds trivially and says so.
 */
export function addFlowProbe(w: World<unknown>, c: SaleCluster, p: SaleValues): void {
  const start = new Future<void>(w.sim);
  const id = `${c.label}probe`;
  c.regionOf.set(id, '*');
  let state: true | string = 'the probe has not run';
  w.onHeal(() => start.resolve(undefined));
  w.liveness(`${c.label}idle-tokens-flow`, () => state);
  w.addClient(id, (ctx) => (function* () {
    yield start;
    const t0 = w.now;
    for (let attempt = 1; ; attempt++) {
      const snap = c.monitor.snapshot();
      const regional = snap.nodes.filter((n) => c.regional.includes(n.id));
      const target = [...regional].sort((a, b) => c.lendable(a) - c.lendable(b) || a.tokens - b.tokens || (a.id < b.id ? -1 : 1))[0]!;
      const elsewhere = snap.nodes.reduce((a, n) => a + (n.id === target.id ? 0 : c.lendable(n)), 0);
      if (elsewhere < 1) {
        // Nothing idle may mean sold out, or only held: holds still pending may yet be confirmed
        // or come back. Only once every hold is resolved does it mean sold out (a system that
        // confirms nothing holds every token at the heal, and would pass here).
        const holds = c.monitor.holdsResolved();
        if (holds !== true) {
          state = `nothing idle elsewhere yet: ${holds}`;
          yield ctx.sleep(ms(100));
          continue;
        }
        state = true;
        w.metrics[`${c.label}probe`] = { result: 'nothing idle elsewhere', attempts: attempt };
        return;
      }
      const count = target.tokens + 1;
      const rid = `${id}-${attempt}`;
      const r: Reply = yield ctx.call<ClientReply>(target.id, { type: 'hold', reservationId: rid, count } satisfies ClientRequest, sec(1));
      if (!r.ok || !r.body.ok) {
        state = `probe hold at ${target.id} failed: ${r.ok && !r.body.ok ? r.body.message : 'timeout'}`;
        yield ctx.sleep(ms(100));
        continue;
      }
      for (;;) {
        const cr: Reply = yield ctx.call<ClientReply>(target.id, { type: 'confirm', reservationId: rid } satisfies ClientRequest, sec(1));
        if (cr.ok && cr.body.ok) {
          state = true;
          w.metrics[`${c.label}probe`] = { result: 'granted', target: target.id, seats: count, idleElsewhere: elsewhere, flowMs: round3((w.now - t0) / 1e6), attempts: attempt };
          return;
        }
        if (cr.ok && !stillPending(cr.body)) break;
        state = `${target.id} still waits for ${count} seat(s) (${elsewhere} idle elsewhere)`;
        yield ctx.sleep(ms(20));
      }
    }
  })());
}

/**
 * Liveness "every region can buy" for a cluster whose seats sit with one holder behind per-region
 * front ends (the coordinated baseline: it lends nothing, so the flow probe has nothing to ask,
 * and a baseline whose front ends answered nobody would pass every other check). When the faults
 * stop, a probe buyer buys one seat through each region's entry in turn, each within the bound.
 * A region counts as served when its seat is confirmed, or when the holder has no spare seat and
 * every hold is resolved (sold out).
 */
export function addEntryProbe(w: World<unknown>, c: SaleCluster, p: SaleValues): void {
  const start = new Future<void>(w.sim);
  const id = `${c.label}probe`;
  c.regionOf.set(id, '*');
  let state: true | string = 'the probe has not run';
  w.onHeal(() => start.resolve(undefined));
  w.liveness(`${c.label}every-region-sells`, () => state);
  // As long as a buyer waits: a WAN round trip to the holder and its fsync, with room for the tail.
  const callTimeoutNs = ms(8 * p.wanMsMedian + 300);
  w.addClient(id, (ctx) => (function* () {
    yield start;
    const t0 = w.now;
    let attempt = 0;
    let rid: string | null = null;
    for (const region of c.regions) {
      const entry = c.entryOf.get(region)!;
      const owner = c.ownerOf.get(entry)!;
      for (;;) {
        const holder = c.monitor.snapshot().nodes.find((n) => n.id === owner)!;
        if (spareTokens(holder) < 1) {
          const holds = c.monitor.holdsResolved();
          if (holds === true) break; // sold out: nothing to sell in any region
          state = `${region}: no spare seat at ${owner} yet: ${holds}`;
          yield ctx.sleep(ms(100));
          continue;
        }
        // A hold that got no answer is retried under the same id, as a buyer would: the probe
        // leaves at most one hold of its own open, which the reaper frees if it is never bought.
        if (rid === null) rid = `${id}-${++attempt}`;
        const r: Reply = yield ctx.call<ClientReply>(entry, { type: 'hold', reservationId: rid, count: 1 } satisfies ClientRequest, callTimeoutNs);
        if (!r.ok || (!r.body.ok && r.body.code !== 'duplicate-reservation')) {
          state = `${region}: probe hold at ${entry} failed: ${r.ok && !r.body.ok ? r.body.message : 'no answer'}`;
          if (r.ok) rid = null;
          yield ctx.sleep(ms(100));
          continue;
        }
        let bought = false;
        for (;;) {
          const cr: Reply = yield ctx.call<ClientReply>(entry, { type: 'confirm', reservationId: rid } satisfies ClientRequest, callTimeoutNs);
          if (cr.ok && cr.body.ok) bought = true;
          if (bought || (cr.ok && !stillPending(cr.body))) break;
          state = `${region}: ${entry} has not confirmed ${rid} (${cr.ok ? 'pending' : 'no answer'})`;
          yield ctx.sleep(ms(20));
        }
        rid = null;
        if (bought) break;
      }
    }
    state = true;
    w.metrics[`${c.label}probe`] = { result: 'every region sold', regions: c.regions.length, ms: round3((w.now - t0) / 1e6), attempts: attempt };
  })());
}

/**
 * Registers the invariants and liveness properties of a cluster, and starvation sampling:
 * every 50 ms the regional nodes' refusal streaks and idle tokens go to `detectStarvation`.
 */
export function watchCluster(w: World<unknown>, c: SaleCluster, p: SaleValues): { starvedSamples: () => number; starvedRegions: () => string[]; maxRefusalStreak: () => number } {
  const m = c.monitor;
  m.graceNs = holdPolicyOf(p).graceNs;
  // Twenty ticks: BUGGIFY may skip a tick (escrow.host.skip_tick, p = 0.25), never twenty in a row.
  const reaperSlackNs = ms(20 * p.tickMs + 10);
  w.safety(`${c.label}never-oversell`, () => m.checkOversell());
  // The kept sums are verified at polls 1, 2, 4, ...: once more when the faults stop, so a drift
  // that began late in a long fault phase does not go unseen (monitor.ts, verifySumsNextPoll).
  w.onHeal(() => m.verifySumsNextPoll());
  w.safety(`${c.label}conservation`, () => m.checkConservation());
  w.safety(`${c.label}durable-transitions`, () => m.checkTransitions());
  w.safety(`${c.label}reaper-timely`, () => m.checkReaper(reaperSlackNs));
  w.liveness(`${c.label}holds-resolved`, () => m.holdsResolved());
  w.liveness(`${c.label}transfers-settled`, () => m.transfersSettled());
  let samples = 0;
  let maxStreak = 0;
  const starved = new Set<string>();
  w.spawn(`${c.label}starvation`, (function* () {
    for (;;) {
      yield sleep(w.sim, ms(50));
      if (w.phase !== 'fault') return;
      const snap = m.snapshot();
      const loads = snap.nodes.filter((n) => c.regional.includes(n.id)).map(regionLoadOf);
      for (const l of loads) maxStreak = Math.max(maxStreak, l.refusalStreak);
      const report = detectStarvation(loads, { refusalStreakMin: 3, idleTokensMin: 1 });
      if (report.length > 0) samples++;
      for (const r of report) starved.add(r.id);
    }
  })());
  return { starvedSamples: () => samples, starvedRegions: () => [...starved].sort(), maxRefusalStreak: () => maxStreak };
}

/** One sale, set up the standard way: cluster, buyers, checks, probe, WAN, metrics at heal. */
export function standardSale(w: World<unknown>, p: SaleValues & FaultParams, c: SaleCluster, opts: { probe?: boolean; nemesis?: boolean; metricsKey?: string } = {}): SaleStats {
  const stats = new SaleStats(c.regions);
  addBuyers(w, c, p, stats);
  const starvation = watchCluster(w, c, p);
  // One holder (the coordinated baseline) lends nothing: it is asked to sell in every region instead.
  if (opts.probe ?? true) (c.regional.length > 1 ? addFlowProbe : addEntryProbe)(w, c, p);
  if (opts.nemesis ?? true) standardNemesis(w, p);
  applyWan(w, c.regionOf, ms(p.wanMsMedian));
  w.onHeal(() => {
    w.metrics[opts.metricsKey ?? 'escrow'] = {
      ...stats.summary(c),
      starvationSamples: starvation.starvedSamples(),
      starvedRegions: starvation.starvedRegions(),
      maxRefusalStreak: starvation.maxRefusalStreak(),
    };
  });
  return stats;
}
