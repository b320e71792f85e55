/**
 * Load-balancer kit (one door a system): `addLoadBalancers(w, p, o)` adds a working load-balanced
 * service to a World under a node-id prefix and a failure domain: backends, balancer instances
 * sharing health views, an operator (the control plane), keep-alive clients, the lb invariants
 * (systems/lb/sim/oracle.ts, health-oracle.ts), the lb nemesis and the run's figures. It returns
 * a handle: node ids, a client API (`request`), the operator's drain, and the names of its checks.
 *
 * Every lb-* scenario is this kit plus its own fault schedule. The machinery behind it lives in
 * systems/lb/sim/ (cluster.ts builds the nodes and the oracle; lbNemesis the faults).
 */
import type { NodeContext, NodeId, SimNode } from '../../sim/node.ts';
import type { Future } from '../../sim/process.ts';
import type { World } from '../../sim/scenario.ts';
import { ms, type Nanos } from '../../sim/time.ts';
import type { AdaptiveOptions, AlgorithmName } from './index.ts';
import { buildLbCluster, lbFigures, lbNemesis, type LbCluster, type LbParams } from './sim/cluster.ts';
import type { ClientRequest, ClientResponse } from './sim/messages.ts';

export { lbParams, withDefaults, boundsOf, checkLbParams, standardLbLinks, type LbLinks, lbLivenessBoundNs, newStreamsNs, LB_LIVENESS_BOUND_MAX_NS, LB_BUGS, ALGORITHMS, type LbParams, type LbBug, type LbCluster } from './sim/cluster.ts';

/**
 * The invariants the kit checks (docs/lb.md states each bound). Safety: the first eleven;
 * liveness: `every-backend-receives-traffic-after-recovery`.
 */
export const LB_CHECKS = [
  'no-new-connection-to-down-backend',
  'no-new-connection-to-draining-backend',
  'drained-backend-holds-no-connections',
  'drain-complete-means-no-connections',
  'drain-completes-when-idle',
  'connection-stays-on-its-backend',
  'request-keeps-its-config',
  'no-silent-request-loss',
  'active-gauge-matches-inflight',
  'available-backend-stays-in-rotation',
  'health-threshold-exact',
  'adaptive-dwell-exact',
  'idle-connections-expire',
  'removed-backend-not-probed',
  'maglev-every-slot-owned',
  'maglev-balance',
  'maglev-disruption',
  'every-backend-receives-traffic-after-recovery',
] as const;

export interface LoadBalancersOptions {
  /** Prefix of every node id (balancers `<prefix>lb1..`, backends `<prefix>10.a.b.k:80`, `<prefix>operator`, clients `<prefix>c1..`). Default ''. */
  prefix?: string;
  /** Failure domain (e.g. a region or rack) of every node of the cluster, recorded in the handle's `domains`. */
  domain?: string;
  /** Add the keep-alive clients (`p.clients` of them; default true). */
  clients?: boolean;
  /** Pin the selection algorithm (default `p.algorithm`). */
  algorithm?: AlgorithmName;
  /** Adaptive algorithm options (default: the core's, a 1 s dwell). */
  adaptive?: AdaptiveOptions;
  /** Extra backends created idle (not in the first config), for membership churn. */
  spareBackends?: number;
  /** Slowness of each backend (index -> factor); default drawn from `p.backendSpeedSpread`. */
  speeds?: number[];
  /** The readmission check applies during the fault phase too (scenarios without loss). */
  readmissionAlways?: boolean;
  /**
   * Add the lb nemesis (backend crashes and pauses, balancer-backend cuts, balancer crashes, the
   * standard network weather on its nodes) now. Default true; false to add it later with
   * `handle.addFaults()`, after a scenario's own fault schedule, or to leave the faults to another.
   */
  faults?: boolean;
  /**
   * Report the figures now (a last liveness property, so they are read when every other one
   * holds). Default true; false to add them later with `handle.addFigures(extra)`, last in setup.
   */
  figures?: boolean;
  /** Where the figures go: `w.metrics[metricsKey]`; default: the top level of `w.metrics`. */
  metricsKey?: string;
}

/** What a client sees for one request sent with `handle.request`. */
export interface LbReply {
  /** A 2xx answer from a backend. */
  ok: boolean;
  /** HTTP-like status (200, 5xx from the backend, 502/503/504 from the balancer), or null on the client's timeout. */
  status: number | null;
  /** The backend that served it, if any. */
  backend: NodeId | null;
  /** The balancer it went through. */
  balancer: NodeId;
  /** Latency on the client's clock (ns). */
  latencyNs: Nanos;
}

export interface LoadBalancersHandle {
  /** The node-id prefix. */
  prefix: string;
  /** Balancer ids, in order. */
  balancers: NodeId[];
  /** Backend ids in the first config (then the spares, in `allBackends`). */
  backends: NodeId[];
  /** Every backend id, spares included. */
  allBackends: NodeId[];
  /** The operator (control plane) id. */
  operator: NodeId;
  /** Client ids (empty with `clients: false`). */
  clients: NodeId[];
  /** Failure domain of each node, when `domain` was given. */
  domains: ReadonlyMap<NodeId, string>;
  /** Balancers and backends: targets for a nemesis. */
  servers: SimNode[];
  /** Names of the invariants the kit checks. */
  checks: readonly string[];
  /**
   * Sends one request from a client node through a balancer (`o.balancer`, or one drawn with the
   * node's rng) as its own connection, and returns what the client saw. The kit's invariants
   * cover it (it is answered, routed to a live, undrained backend) and its figures count it.
   */
  request(ctx: NodeContext, o?: { balancer?: NodeId; work?: number; timeoutNs?: Nanos }): Generator<Future<unknown>, LbReply, unknown>;
  /** The operator drains these backends (and only these: `[]` returns every drained one to service). */
  drain(backends: readonly NodeId[]): void;
  /** Every balancer reported the backend's drain complete (connections finished or reset). */
  drainComplete(backend: NodeId): boolean;
  /** The operator publishes a new backend set (ids from `allBackends`). */
  setBackends(backends: readonly NodeId[]): void;
  /** The backends in the operator's current config. */
  currentBackends(): NodeId[];
  /**
   * Tells the kit's checks that a node or link of the cluster changed state outside the kit's own
   * nemesis (another nemesis crashed a backend, cut a link): they re-read the ground truth. Pass it
   * as a nemesis's `afterChange` when another schedule strikes this cluster's nodes.
   */
  faultsChanged(): void;
  /**
   * Degrades a backend without failing it: service time multiplied, a share of requests failing
   * with 500, the health endpoint answering 503 (fields not given stay). The heal restores every
   * backend to normal.
   */
  degrade(backend: NodeId, mode: { slowFactor?: number; errorRate?: number; healthFails?: boolean }): void;
  /** Requests each backend has served so far (for figures such as a backend's share). */
  servedBy(): ReadonlyMap<NodeId, number>;
  /** Adds the lb nemesis (when created with `faults: false`). */
  addFaults(): void;
  /** Reports the figures, with `extra` ones (when created with `figures: false`); call it last in setup. */
  addFigures(extra?: () => Record<string, unknown>): void;
  /** The run's figures so far: requests, latency percentiles, error rate, per-backend load. */
  figures(): Record<string, unknown>;
  /** The machinery (nodes, oracle, operator) for the lb-* scenarios' own fault schedules. */
  cluster: LbCluster;
}

/**
 * Adds a load-balanced service (systems/lb: Maglev and four other selection algorithms, active
 * health checks shared by majority, circuit breakers, outlier ejection, draining) with its checks.
 * `p` are the lb parameters (`lbParams()`, spread into a scenario's `params`).
 */
export function addLoadBalancers(w: World<unknown>, p: LbParams, o: LoadBalancersOptions = {}): LoadBalancersHandle {
  const prefix = o.prefix ?? '';
  const c = buildLbCluster(w, p, {
    prefix,
    ...(o.clients !== undefined ? { clients: o.clients } : {}),
    ...(o.algorithm !== undefined ? { algorithm: o.algorithm } : {}),
    ...(o.adaptive !== undefined ? { adaptive: o.adaptive } : {}),
    ...(o.spareBackends !== undefined ? { spareBackends: o.spareBackends } : {}),
    ...(o.speeds !== undefined ? { speeds: o.speeds } : {}),
    ...(o.readmissionAlways !== undefined ? { readmissionAlways: o.readmissionAlways } : {}),
  });
  const clients = Array.from({ length: o.clients === false ? 0 : p.clients }, (_, i) => `${prefix}c${i + 1}`);
  const domains = new Map<NodeId, string>();
  if (o.domain !== undefined) for (const id of [...c.balancers.map((b) => b.id), ...c.backends.map((b) => b.id), c.operator.id, ...clients]) domains.set(id, o.domain);
  let faultsAdded = false;
  let figuresAdded = false;
  let requests = 0;
  const op = () => c.operator.program!;

  const h: LoadBalancersHandle = {
    prefix,
    balancers: c.balancers.map((b) => b.id),
    backends: [...c.initialBackends],
    allBackends: c.backends.map((b) => b.id),
    operator: c.operator.id,
    clients,
    domains,
    servers: [...c.balancers, ...c.backends],
    checks: LB_CHECKS,
    *request(ctx, ro = {}) {
      const lb = ro.balancer ?? ctx.rng.pick(h.balancers);
      // Request ids are `<client>-k<n>`: unique in the run (one counter a kit), never a keep-alive client's `<client>-<n>`.
      const reqId = `${ctx.id}-k${requests++}`;
      const flow = `${ctx.id}:${reqId}`;
      const t0 = ctx.now();
      c.oracle.issued();
      const req: ClientRequest = { type: 'req', reqId, flow, seq: 0, work: ro.work ?? 1 };
      const r = (yield ctx.call<ClientResponse>(lb, req, ro.timeoutNs ?? ms(p.clientTimeoutMs))) as { ok: true; body: ClientResponse } | { ok: false };
      const latencyNs = ctx.now() - t0;
      c.oracle.outcome(ctx.id, reqId, r.ok ? { kind: 'response', resp: r.body } : { kind: 'timeout' }, latencyNs);
      // One request a connection: close it, so a tracked (l4) flow does not wait for its idle timeout.
      if (r.ok && !r.body.closeConn) ctx.send(lb, { type: 'fin', flow });
      return r.ok ? { ok: r.body.ok, status: r.body.status, backend: r.body.backend, balancer: lb, latencyNs } : { ok: false, status: null, backend: null, balancer: lb, latencyNs };
    },
    drain(backends) {
      op().publish({ draining: [...backends] });
    },
    drainComplete: (backend) => c.oracle.drainComplete(backend),
    setBackends(backends) {
      op().publish({ backends: backends.map((id) => c.specs.get(id) ?? fail(`${id} is not a backend of this cluster (${prefix || 'no prefix'}); its backends: ${h.allBackends.join(', ')}`)) });
    },
    currentBackends: () => op().current().backends.map((b) => b.id),
    faultsChanged: () => c.oracle.touch(),
    degrade(backend, mode) {
      const m = c.modes.get(backend) ?? fail(`${backend} is not a backend of this cluster (${prefix || 'no prefix'}); its backends: ${h.allBackends.join(', ')}`);
      Object.assign(m, Object.fromEntries(Object.entries(mode).filter(([, v]) => v !== undefined)));
    },
    servedBy: () => c.oracle.servedBy,
    addFaults() {
      if (faultsAdded) return;
      faultsAdded = true;
      lbNemesis(w, c, p);
    },
    addFigures(extra = () => ({})) {
      if (figuresAdded) return;
      figuresAdded = true;
      if (o.metricsKey === undefined) lbFigures(w, c, extra);
      else {
        const key = o.metricsKey;
        w.liveness(`figures:${key}`, () => {
          w.metrics[key] = { ...c.oracle.figures(), ...extra() };
          return true;
        });
      }
    },
    figures: () => c.oracle.figures(),
    cluster: c,
  };
  if (o.faults !== false) h.addFaults();
  if (o.figures !== false) h.addFigures();
  return h;
}

function fail(msg: string): never {
  throw new Error(msg);
}
