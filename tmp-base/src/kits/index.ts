/**
 * detsim's system kits (`import { ... } from 'detsim/kits'`): one door a system. Each kit adds a
 * working cluster of one of detsim's systems to a {@link World}, under its own node-id prefix,
 * with that system's own safety and liveness checks wired in, and returns a small handle (node
 * ids, failure domains, the leader): enough to aim a nemesis, compose several kits in one world
 * and talk to the nodes with `ctx.call`.
 *
 * A separate entry point, not `detsim` itself: a kit brings a whole system (Raft, the escrow
 * service, CRDT replication, GeoDNS, the load balancer, the platform), and a scenario that only needs the kernel
 * should not load them all each time it starts.
 *
 * @example
 * ```ts
 * import { defineScenario, faultParams, sec, standardNemesis } from 'detsim';
 * import { addConfigStore, addEscrow } from 'detsim/kits';
 *
 * export default defineScenario({
 *   name: 'store-and-seats',
 *   description: 'a Raft config store and an escrow sale in one world',
 *   params: { ...faultParams() },
 *   durationNs: sec(5),
 *   livenessBoundNs: sec(30),
 *   setup(w, p) {
 *     const store = addConfigStore(w, { prefix: 'cfg', nodes: 3, workload: true });
 *     const seats = addEscrow(w, { prefix: 'esc-', regions: 3, capacity: 60, durationS: 5, sale: true });
 *     standardNemesis(w, p, { targets: [...store.servers, ...seats.servers], maxDown: 1 });
 *   },
 * });
 * ```
 *
 * @packageDocumentation
 */
import { faultParams } from '../sim/nemesis.ts';
import type { NodeId, SimNode } from '../sim/node.ts';
import type { World } from '../sim/scenario.ts';
import { ms } from '../sim/time.ts';
import { addCrdtRegions as addCrdtRegionsKit } from '../systems/crdt/replication/harness.ts';
import { addEscrowCluster, saleParams, standardSale, watchCluster } from '../systems/escrow/kit.ts';
import { addGeoDns as addGeoDnsKit } from '../systems/geodns/kit.ts';
import { addConfigStore as addConfigStoreKit, raftParams } from '../systems/kv/kit.ts';
import type { ParamDefs, ParamValues } from '../sim/params.ts';
import type { NodeContext } from '../sim/node.ts';
import type { Future } from '../sim/process.ts';
import type { Nanos } from '../sim/time.ts';
import { addLoadBalancers as addLoadBalancersKit, lbParams as lbParamsKit, type LbParams, type LbReply } from '../systems/lb/kit.ts';
import type { AlgorithmName } from '../systems/lb/index.ts';
import { addPlatform as addPlatformKit, defaultsOf, platformParams as platformParamsKit, type PlatformIds, type PlatformParams } from '../systems/platform/kit.ts';

// ------------------------------------------------------------------ config store (Raft + KV)

/** Options of {@link addConfigStore}. */
export interface ConfigStoreOptions {
  /** Node-id prefix: servers are `<prefix>1`, `<prefix>2`, ... (default 'cfg'). */
  prefix?: string;
  /** Number of Raft servers (default 3). */
  nodes?: number;
  /** Failure domain (e.g. region) of server `i` (0-based), recorded in the handle's `domains`. */
  domainOf?: (index: number) => string;
  /** Run the kit's own register workload, checked for linearizability (default false). */
  workload?: boolean;
  /** Keys every server's store is deployed with (the state before the first log entry). */
  initial?: Readonly<Record<string, string>>;
}

/** What {@link addConfigStore} returns. */
export interface ConfigStoreHandle {
  /** Server ids, in order. */
  ids: NodeId[];
  /** The server nodes (targets for a nemesis). */
  servers: SimNode[];
  /** Failure domain of each server, when `domainOf` was given. */
  domains: ReadonlyMap<NodeId, string>;
  /** The live leader with the highest term, if any. */
  leader(): NodeId | undefined;
}

/**
 * Adds a Raft + etcd-like key-value store (systems/kv: revisions, watches, leases, a lock with
 * fencing tokens). Its checks: Raft safety (election safety, log matching, leader completeness,
 * state machine safety, durable acknowledgements) and, after the heal, a leader, converged logs
 * and (with the workload) a linearizable history. Clients talk to it with `kvWrite`/`kvRead`/
 * `watch` requests (systems/kv/protocol.ts) or the `KvClient` of systems/kv/client.ts.
 */
export function addConfigStore(w: World<unknown>, o: ConfigStoreOptions = {}): ConfigStoreHandle {
  const c = addConfigStoreKit(w, { ...defaultsOf(raftParams()), nodes: o.nodes ?? 3, bug: 'none' }, {
    prefix: o.prefix ?? 'cfg',
    workload: o.workload ?? false,
    ...(o.domainOf !== undefined ? { domainOf: o.domainOf } : {}),
    ...(o.initial !== undefined ? { initial: o.initial } : {}),
  });
  return { ids: c.ids, servers: c.servers, domains: c.domains, leader: () => c.leader()?.id };
}

// ------------------------------------------------------------------ escrow

/** Options of {@link addEscrow}. */
export interface EscrowOptions {
  /** Node-id prefix: replicas are `<prefix>r1`, `<prefix>r2`, ... (default 'esc-'). */
  prefix?: string;
  /** Regions, one escrow replica each (default 3). */
  regions?: number;
  /** Seats for sale across all regions (default 100). */
  capacity?: number;
  /** Length of the sale, for its hold policy (s; default 10). */
  durationS?: number;
  /** Add the kit's own buyers (a flash sale) and report `metrics[prefix]` (default false). */
  sale?: boolean;
}

/** What {@link addEscrow} returns. */
export interface EscrowHandle {
  /** Region names (`r1`, `r2`, ...), in order. */
  regions: readonly string[];
  /** The escrow replicas (targets for a nemesis). */
  servers: SimNode[];
  /** The replica that serves a region's clients. */
  entryOf(region: string): NodeId;
}

/**
 * Adds the escrow/reservation service (systems/escrow, seed 004): one replica a region holding
 * its share of the seats as tokens, borrowing from peers, holds with a reaper. Its checks: never
 * oversell, token conservation, durable transitions, every hold resolved after the heal.
 * Clients send `hold`/`confirm`/`release` requests (systems/escrow/host.ts) to `entryOf(region)`.
 */
export function addEscrow(w: World<unknown>, o: EscrowOptions = {}): EscrowHandle {
  const p = { ...defaultsOf(saleParams()), ...defaultsOf(faultParams()), regions: o.regions ?? 3, capacity: o.capacity ?? 100, durationS: o.durationS ?? 10 };
  const prefix = o.prefix ?? 'esc-';
  const c = addEscrowCluster(w, p, { prefix, topology: 'peers', bugs: {} });
  if (o.sale === true) standardSale(w, p, c, { metricsKey: prefix, nemesis: false });
  else watchCluster(w, c, p);
  return { regions: c.regions, servers: [...c.hosts], entryOf: (r) => c.entryOf.get(r)! };
}

// ------------------------------------------------------------------ CRDT regions

/** Options of {@link addCrdtRegions}. */
export interface CrdtRegionsOptions {
  /** One replica a region, by node id (e.g. `['crdt-us', 'crdt-eu']`). */
  ids: readonly string[];
  /** Median one-way WAN latency between two replicas is drawn in [wanMsMin, wanMsMax] (default 30-150 ms). */
  wanMsMin?: number;
  /** Upper end of the WAN latency range (ms). */
  wanMsMax?: number;
}

/** What {@link addCrdtRegions} returns. */
export interface CrdtRegionsHandle {
  /** Replica ids, in order. */
  ids: string[];
  /** The replicas (targets for a nemesis). */
  servers: SimNode[];
}

/**
 * Adds active-active CRDT replication (systems/crdt, seeds 000/002): one replica a region, every
 * pair joined by a WAN link; delta propagation and anti-entropy; its checks: acknowledged
 * operations durable, LWW clocks cover what they merged. Clients send `op`/`read` requests
 * (systems/crdt/replication/region.ts) with causal tokens.
 */
export function addCrdtRegions(w: World<unknown>, o: CrdtRegionsOptions): CrdtRegionsHandle {
  const c = addCrdtRegionsKit(w, { ids: o.ids, bug: 'none', ...(o.wanMsMin !== undefined ? { wanMsMin: o.wanMsMin } : {}), ...(o.wanMsMax !== undefined ? { wanMsMax: o.wanMsMax } : {}) });
  return { ids: c.ids, servers: c.nodes };
}

// ------------------------------------------------------------------ GeoDNS

/** Options of {@link addGeoDns}. */
export interface GeoDnsOptions {
  /** Node id of the authoritative server (default 'dns'). */
  id?: string;
  /** Regions, nearest first for a client of the first region (answers go to the nearest healthy one). */
  regions: readonly string[];
  /** The node a region's health is probed at (it answers `{ type: 'health' }` with `{ ok }`). */
  entryOf: (region: string) => NodeId;
  /** Answer TTL (ms; default 1000). */
  ttlMs?: number;
}

/** What {@link addGeoDns} returns. */
export interface GeoDnsHandle {
  /** Node id of the authoritative server (clients send it `{ type: 'dns-query', home }`). */
  id: NodeId;
  /** Regions GeoDNS answers now (null while its server is down). */
  eligible(): string[] | null;
}

/**
 * Adds a GeoDNS server with health monitors (seed 000): a client's query is answered with the
 * nearest healthy region and a TTL; a region failing its probes (fall 2, rise 2, 200 ms probes)
 * leaves the answers until it passes again.
 */
export function addGeoDns(w: World<unknown>, o: GeoDnsOptions): GeoDnsHandle {
  const h = addGeoDnsKit(w, { id: o.id ?? 'dns', regions: o.regions, entryOf: o.entryOf, ttlNs: ms(o.ttlMs ?? 1000), fallThreshold: 2, riseThreshold: 2, probeNs: ms(200), probeTimeoutNs: ms(150) });
  return { id: h.id, eligible: () => h.state()?.eligible() ?? null };
}

// ------------------------------------------------------------------ load balancers

/**
 * The load balancer's parameters (pool size, balancers, clients, algorithm, health checks, drain,
 * the lb nemesis's rates, `bug`; docs/lb.md), with the standard fault parameters the lb uses:
 * spread into a scenario's `params` for {@link addLoadBalancers}. Spread it after
 * `faultParams()`: it turns the standard nemesis's node crashes and pauses off (the lb nemesis
 * crashes backends and balancers itself and tells its checks).
 */
export function lbParams(): ParamDefs {
  return lbParamsKit();
}

/** The values of {@link lbParams} a scenario's setup receives (`detsim list lb-crash --params` lists them). */
export type LbValues = ParamValues<ParamDefs>;

export type { LbReply, AlgorithmName };

/** Options of {@link addLoadBalancers}. */
export interface LoadBalancersOptions {
  /** Node-id prefix: balancers `<prefix>lb1..`, backends `<prefix>10.a.b.k:80`, `<prefix>operator`, clients `<prefix>c1..` (default 'web-'). */
  prefix?: string;
  /** Failure domain (e.g. a region) of every node of the cluster, recorded in the handle's `domains`. */
  domain?: string;
  /** Add the kit's own keep-alive clients, `clients` of them (default true). */
  clients?: boolean;
  /** Pin the selection algorithm (default the `algorithm` parameter). */
  algorithm?: AlgorithmName;
  /** Add the lb nemesis over the cluster's nodes (default true). */
  faults?: boolean;
}

/** What {@link addLoadBalancers} returns. */
export interface LoadBalancersHandle {
  /** Balancer ids, in order (clients send to these). */
  balancers: NodeId[];
  /** Backend ids. */
  backends: NodeId[];
  /** The operator (control plane) id. */
  operator: NodeId;
  /** The kit's client ids (empty with `clients: false`). */
  clients: NodeId[];
  /** Failure domain of each node, when `domain` was given. */
  domains: ReadonlyMap<NodeId, string>;
  /** Balancers and backends (targets for a nemesis; pass `faultsChanged` as its `afterChange`). */
  servers: SimNode[];
  /** Names of the invariants the kit checks. */
  checks: readonly string[];
  /** Sends one request from a client node through a balancer; the kit's checks cover it. `yield*` it. */
  request(ctx: NodeContext, o?: { balancer?: NodeId; work?: number; timeoutNs?: Nanos }): Generator<Future<unknown>, LbReply, unknown>;
  /** The operator drains these backends (`[]` returns them all to service). */
  drain(backends: readonly NodeId[]): void;
  /** Tells the kit's checks that another nemesis changed a node or link of this cluster. */
  faultsChanged(): void;
}

/**
 * Adds a load-balanced service (systems/lb, seed 003): backends, balancer instances sharing health
 * views (Maglev or four other algorithms, health checks, circuit breakers, outlier ejection,
 * draining), an operator, keep-alive clients and, by default, the lb nemesis. Its checks: no new
 * connection to a down (past the detection bound) or draining backend, established connections
 * stay put, every accepted request answered, Maglev tables complete and balanced, exact health
 * thresholds; after the heal every backend serves again. Figures go to `metrics[prefix]`.
 */
export function addLoadBalancers(w: World<unknown>, p: LbValues, o: LoadBalancersOptions = {}): LoadBalancersHandle {
  const prefix = o.prefix ?? 'web-';
  const h = addLoadBalancersKit(w, p as LbParams, {
    prefix,
    metricsKey: prefix,
    ...(o.domain !== undefined ? { domain: o.domain } : {}),
    ...(o.clients !== undefined ? { clients: o.clients } : {}),
    ...(o.algorithm !== undefined ? { algorithm: o.algorithm } : {}),
    ...(o.faults !== undefined ? { faults: o.faults } : {}),
  });
  return {
    balancers: h.balancers,
    backends: h.backends,
    operator: h.operator,
    clients: h.clients,
    domains: h.domains,
    servers: h.servers,
    checks: h.checks,
    request: (ctx, ro) => h.request(ctx, ro),
    drain: (b) => h.drain(b),
    faultsChanged: () => h.faultsChanged(),
  };
}

// ------------------------------------------------------------------ the platform

/**
 * The platform's parameters (docs/platform.md), with the standard fault parameters: spread into
 * a scenario's `params` for {@link addPlatform}.
 */
export function platformParams(): ParamDefs {
  return platformParamsKit();
}

/** The values of {@link platformParams} a scenario's setup receives (`detsim list platform-global-sale --params` lists them). */
export type PlatformValues = ParamValues<ParamDefs>;

export type { PlatformIds as PlatformHandle } from '../systems/platform/kit.ts';

/**
 * Adds the whole platform (the platform-* scenarios): GeoDNS, regional Maglev balancers that
 * follow the config store by watch, application servers, the Raft config store, escrow seats,
 * CRDT carts and order views, operators and shoppers, every system's checks and the end-to-end
 * invariants, the standard nemesis and the platform's directed faults. Call it alone in setup.
 */
export function addPlatform(w: World<unknown>, p: PlatformValues): PlatformIds {
  return addPlatformKit(w, p as PlatformParams);
}
