/**
 * A load balancer instance as a detsim node program: the glue between the kernel (messages,
 * timers) and the pure parts in systems/lb (health checkers, status board, selector, algorithms,
 * Maglev, connection tracking, drain tracker, circuit breakers, outlier detection, config store).
 *
 * Modes. 'l4': a client connection (flow) is routed once, when its first request arrives, and is
 * tracked (ConnTrack) so every later request of the flow goes to the same backend; a flow is never
 * re-routed: if its backend fails or its drain times out the flow is reset and the client
 * reconnects. 'l7': every request is routed on its own over a pooled backend connection.
 * Either way a *stream* (an l4 flow, or an l7 request) is the unit that gets a backend.
 *
 * A request's path: arrival -> `ConfigStore.acquire` (the request keeps that config version to
 * its end, seed 003 race 3) -> `Selector.begin` (the status snapshot at arrival) -> after a
 * connection-setup delay `Selector.finish` (the pick: correct code reads the current snapshot; the
 * bug-zoo `staleSnapshot` uses the one from arrival, race 1) -> circuit breaker -> forward with an
 * upstream timeout -> answer the client (a response or an error, never silence) -> release.
 *
 * Health. Every balancer probes every backend itself (`HealthChecker`, initially unhealthy) and
 * shares its own view with its peers; a backend is eligible at a balancer when its own checker
 * says healthy AND fewer than a quorum of fresh peer views say unhealthy (`VantageAggregator`).
 * Its own checker alone bounds how long it can route to a dead backend; the shared views can only
 * remove a backend sooner, and the quorum keeps one balancer's partition from removing a backend
 * for all (seed 003: "use multiple check sources").
 */
import { LB_PROBES } from './probes.ts';
import { MaglevTableMemo } from './table-memo.ts';
import type { Envelope, NodeContext, NodeProgram, Timer } from '../../../sim/node.ts';
import type { Nanos } from '../../../sim/time.ts';
import { assert } from '../../../sim/assert.ts';
import {
  ActiveRequestCounter,
  AdaptiveBalancer,
  BackendStats,
  CircuitBreaker,
  ConfigStore,
  ConnTrack,
  DrainTracker,
  HealthChecker,
  LatencyWeighted,
  LeastRequest,
  OutlierDetector,
  RoundRobin,
  Selector,
  StatusBoard,
  VantageAggregator,
  buildMaglevTable,
  memoizedHash,
  xxHash64,
  type AdaptiveMode,
  type AdaptiveOptions,
  type AlgorithmName,
  type Candidate,
  type CircuitBreakerConfig,
  type DrainAction,
  type HealthAction,
  type HealthCheckConfig,
  type HealthStatus,
  type LbConfig,
  type MaglevTable,
  type OutlierConfig,
  type PendingWrite,
  type StatusSnapshot,
} from '../index.ts';
import type { BackendResponse, ClientRequest, ClientResponse, ConfigAck, ConfigPush, HealthView, ProbeReply } from './messages.ts';

/** The bug-zoo switches a balancer honours (all false = the correct system). */
export interface LbBugs {
  /** Race 1: the pick uses the status snapshot read at request arrival. */
  staleSnapshot: boolean;
  /** Race 2: the active-request counter's increments are a read and a later write. */
  nonAtomicCounter: boolean;
  /** A draining backend still accepts new connections. */
  acceptWhileDraining: boolean;
  /** Health transitions need one more consecutive result than configured. */
  thresholdOffByOne: boolean;
  /** A success does not reset the health check's failure count. */
  failuresNotReset: boolean;
  /** Maglev tables of a non-prime size (slots may stay unowned). */
  maglevNonPrime: boolean;
  /** Useless variant: requests are forwarded, but the client always gets a 502. */
  errorAfterForward: boolean;
  /** The adaptive selector's dwell counts from its last switch, not from when the new mode was first called for. */
  adaptiveDwellFromLastSwitch: boolean;
  /** A drain that times out is reported complete without resetting the connections it still has. */
  forcedDrainKeepsConnections: boolean;
  /** A drain completes only at its timeout, never when its last connection closes. */
  drainWaitsForTimeout: boolean;
  /** Config versions stay pinned after their last request ends (a zero count is kept), so they are never pruned. */
  configPinsNeverReleased: boolean;
}

export const NO_BUGS: LbBugs = { staleSnapshot: false, nonAtomicCounter: false, acceptWhileDraining: false, thresholdOffByOne: false, failuresNotReset: false, maglevNonPrime: false, errorAfterForward: false, adaptiveDwellFromLastSwitch: false, forcedDrainKeepsConnections: false, drainWaitsForTimeout: false, configPinsNeverReleased: false };

/** What the scenario's invariants observe (a god's-eye tap; it never changes the balancer). */
export interface LbObserver {
  /** A client request reached the balancer (after de-duplication). */
  accepted(lb: string, reqId: string): void;
  /** The balancer answered it. */
  answered(lb: string, resp: ClientResponse): void;
  /** A stream got a backend: a new connection (l4) or a new request (l7) goes to `backend`. */
  assigned(lb: string, a: { flow: string; backend: string; config: LbConfig }): void;
  /** A request is sent to `backend` on stream `flow` (new or established). */
  dispatched(lb: string, flow: string, backend: string, newStream: boolean): void;
  /** A Maglev table was swapped in for a config version (`prev`: the one it replaced, if any). */
  tableSwapped(lb: string, table: MaglevTable, prev: MaglevTable | null): void;
  /** A Maglev lookup was answered by `table`. */
  lookedUp(lb: string, table: MaglevTable): void;
  /** Health probes, raw (health-oracle.ts judges the thresholds from these). Local times. */
  probeStarted?(lb: string, backend: string, probeId: number, startNs: Nanos, deadlineNs: Nanos): void;
  probeReply?(lb: string, backend: string, probeId: number, status: number, atNs: Nanos): void;
  healthTransition?(lb: string, backend: string, to: HealthStatus, atNs: Nanos): void;
  /** An adaptive pick: the mode the statistics called for and the mode used, on the balancer's clock. */
  adaptivePicked?(lb: string, desired: AdaptiveMode, used: AdaptiveMode, atNs: Nanos): void;
}

export interface BalancerOptions {
  /** The other balancers, for shared health views. */
  peers: string[];
  operator: string;
  mode: 'l4' | 'l7';
  health: HealthCheckConfig;
  /** How views combine: 'majority' of balancers, 'any' one of them, or 'off' (own view only). */
  healthSharing: 'majority' | 'any' | 'off';
  /** Period of the own-view broadcast, in ns; views older than 3 periods are ignored. */
  viewPeriodNs: Nanos;
  /** Longest gap between a request's arrival and its backend choice (connection set-up), in ns. */
  selectDelayNsMax: Nanos;
  /** Longest read-to-write gap of the non-atomic counter (bug zoo only), in ns. */
  commitDelayNsMax: Nanos;
  upstreamTimeoutNs: Nanos;
  drainTimeoutNs: Nanos;
  maglevTableSize: number;
  breaker: CircuitBreakerConfig | null;
  outlier: OutlierConfig | null;
  /** Options of the adaptive algorithm (its dwell time, thresholds). */
  adaptive?: AdaptiveOptions;
  bugs: LbBugs;
  observer: LbObserver;
}

export interface BalancerProgram extends NodeProgram {
  /** True once the balancer has a config (a restarted balancer fetches one first). */
  readonly ready: () => boolean;
  /** Eligible backends now (healthy and not draining). */
  readonly eligibleNow: () => string[];
  /** The same as a set, built once per status snapshot (the invariants poll it every check interval). */
  readonly eligibleSet: () => ReadonlySet<string>;
  /** The active-request gauge for a backend (what least-request reads). */
  readonly activeGauge: (backend: string) => number;
  /** Requests actually in flight to a backend from this balancer. */
  readonly inflight: (backend: string) => number;
  /** Client connections (l4 flows) this balancer holds open to a backend. */
  readonly openStreams: (backend: string) => number;
  /** Backends this balancer is draining and has not yet reported drained. */
  readonly drainingNow: () => string[];
  /** Non-atomic counter writes not yet committed (bug zoo); 0 in the correct system. */
  readonly pendingWrites: () => number;
  readonly appliedVersion: () => number;
  /** Health transitions seen so far (for flap damping figures). */
  transitions: number;
}

/** One shared memo of Maglev (offset, skip) per key and size: the slow bigint part of a build. */
const MAGLEV_HASH = memoizedHash();

/**
 * Built tables, shared by every balancer and every run (table-memo.ts says why it is safe and why
 * it is this size): 16 MiB of owners hold 255 tables at M = 65537 (one byte a slot below 255
 * backends), every non-empty candidate set of lb-churn's 8 backends, in the memory the 64
 * four-byte tables of the memo before took.
 */
const TABLE_MEMO = new MaglevTableMemo(16 * 1024 * 1024);

interface Stream {
  flow: string;
  backend: string;
  conn: string;
  open: boolean;
  inflight: Set<string>;
}

interface Pending {
  env: Envelope;
  req: ClientRequest;
  config: LbConfig;
  done: boolean;
}

interface CheckerSlot {
  checker: HealthChecker;
  timer: Timer | null;
}

export function balancerNode(ctx: NodeContext, o: BalancerOptions): BalancerProgram {
  ctx.declareProbes(LB_PROBES);
  const self = ctx.id;
  const obs = o.observer;
  const healthCfg: HealthCheckConfig = { ...o.health, initiallyHealthy: false, thresholdOffByOne: o.bugs.thresholdOffByOne, failuresNotReset: o.bugs.failuresNotReset };
  const counter = new ActiveRequestCounter({ nonAtomic: o.bugs.nonAtomicCounter });
  const stats = new BackendStats({ counter });
  const drain = new DrainTracker({ drainTimeoutNs: o.drainTimeoutNs, acceptWhileDraining: o.bugs.acceptWhileDraining, completeOnTimeoutOnly: o.bugs.drainWaitsForTimeout });
  const conntrack = new ConnTrack();
  const selector = new Selector({ staleSnapshot: o.bugs.staleSnapshot });
  const rr = new RoundRobin();
  const lr = new LeastRequest(ctx.rng.fork('least-request'));
  const lw = new LatencyWeighted(ctx.rng.fork('latency-weighted'));
  const adaptive = new AdaptiveBalancer(ctx.rng.fork('adaptive'), { ...o.adaptive, dwellFromLastSwitch: o.bugs.adaptiveDwellFromLastSwitch });
  const vantages = [self, ...o.peers].sort();
  const aggregator = new VantageAggregator({
    vantages,
    quorum: o.healthSharing === 'any' ? 1 : Math.floor(vantages.length / 2) + 1,
    maxAgeNs: 3 * o.viewPeriodNs,
  });
  const checkers = new Map<string, CheckerSlot>();
  const breakers = new Map<string, CircuitBreaker>();
  const outlier = o.outlier ? new OutlierDetector(o.outlier, []) : null;
  const streams = new Map<string, Stream>();
  const pending = new Map<string, Pending>();
  const seen = new Set<string>();
  const inflight = new Map<string, number>();
  const drained = new Set<string>();
  const tables = new Map<number, { key: string; table: MaglevTable }>();
  let store: ConfigStore | null = null;
  let board: StatusBoard | null = null;
  let applied = 0;
  let draining = new Set<string>();
  let pendingWrites = 0;
  let drainTimer: Timer | null = null;

  const now = (): Nanos => ctx.now();

  // ---- answering ----

  const answer = (p: Pending, status: number, backend: string | null, closeConn: boolean, reason: string): void => {
    if (p.done) return;
    p.done = true;
    pending.delete(p.req.reqId);
    store?.release(p.config);
    const resp: ClientResponse = { type: 'resp', reqId: p.req.reqId, ok: status < 500, status, backend, closeConn, reason };
    obs.answered(self, resp);
    ctx.reply(p.env, resp);
  };

  // ---- counters (race 2) ----

  const applyWrite = (w: PendingWrite | null): void => {
    if (w === null) return;
    pendingWrites++;
    ctx.setTimer(ctx.rng.int(1, Math.max(1, o.commitDelayNsMax)), () => {
      counter.commit(w);
      pendingWrites--;
    });
  };

  // ---- membership, health, eligibility ----

  /** Backends of every retained config version: a request pinned to an old version may use them. */
  const members = (): string[] => {
    if (store === null) return [];
    const all = new Set<string>();
    for (const v of store.retainedVersions()) for (const b of store.get(v).backends) all.add(b.id);
    return [...all].sort();
  };

  const armChecker = (b: string, slot: CheckerSlot): void => {
    slot.timer?.cancel();
    slot.timer = ctx.setTimer(Math.max(0, slot.checker.nextWakeNs() - now()), () => {
      if (checkers.get(b) !== slot) return;
      handleHealth(slot.checker.tick(now()));
      armChecker(b, slot);
    });
  };

  const handleHealth = (actions: HealthAction[]): void => {
    for (const a of actions) {
      if (a.type === 'probe') {
        const slot = checkers.get(a.backend);
        o.observer?.probeStarted?.(self, a.backend, a.probeId, now(), a.deadlineNs);
        ctx.call<ProbeReply>(a.backend, { type: 'probe' }, o.health.timeoutNs).then((r) => {
          if (!r.ok || checkers.get(a.backend) !== slot || slot === undefined) return;
          o.observer?.probeReply?.(self, a.backend, a.probeId, r.body.status, now());
          handleHealth(slot.checker.onProbeResult(a.probeId, { type: 'http', status: r.body.status }, now()));
          armChecker(a.backend, slot);
        });
      } else {
        program.transitions++;
        o.observer?.healthTransition?.(self, a.backend, a.to, now());
        ctx.log('health', `${a.backend} ${a.from} -> ${a.to}: ${a.reason}`);
        if (a.to === 'unhealthy') ctx.probe('lb:backend-marked-unhealthy');
        else if (a.to === 'healthy' && a.from === 'unhealthy') ctx.probe('lb:backend-back-healthy');
        // Back in rotation: start its latency history afresh (see BackendStats.reset).
        if (a.to === 'healthy') stats.reset(a.backend);
        aggregator.report(self, a.backend, a.to, now());
        broadcastView();
        refreshBoard();
      }
    }
  };

  const syncMembership = (): void => {
    if (store === null || board === null) return;
    const ms = members();
    const keep = new Set(ms);
    for (const [b, slot] of [...checkers]) {
      if (!keep.has(b)) {
        slot.timer?.cancel();
        checkers.delete(b);
      }
    }
    for (const b of ms) {
      if (!checkers.has(b)) {
        const slot: CheckerSlot = { checker: new HealthChecker(b, healthCfg, ctx.rng.fork(`health/${b}`), now()), timer: null };
        checkers.set(b, slot);
        armChecker(b, slot);
      }
      if (!breakers.has(b) && o.breaker) breakers.set(b, new CircuitBreaker(o.breaker));
    }
    outlier?.setBackends(ms);
    const weights = new Map<string, number>();
    for (const v of store.retainedVersions()) for (const b of store.get(v).backends) weights.set(b.id, b.weight);
    if (board.current().backends.map((b) => b.id).join(',') !== ms.join(',')) {
      board.setBackends(ms.map((id) => ({ id, weight: weights.get(id) ?? 1 })));
    }
  };

  const healthyHere = (b: string): boolean => {
    const slot = checkers.get(b);
    if (slot === undefined || slot.checker.status !== 'healthy') return false;
    return o.healthSharing === 'off' || aggregator.verdict(b, now()) === 'healthy';
  };

  const refreshBoard = (): void => {
    if (board === null) return;
    for (const s of board.current().backends) {
      const healthy = healthyHere(s.id);
      const isDraining = !drain.canAccept(s.id);
      if (s.healthy !== healthy || s.draining !== isDraining) board.update(s.id, { healthy, draining: isDraining });
    }
  };

  const broadcastView = (): void => {
    if (o.healthSharing === 'off') return;
    const statuses: [string, boolean][] = [...checkers].map(([b, s]) => [b, s.checker.status === 'healthy']);
    for (const p of o.peers) ctx.send(p, { type: 'view', statuses } satisfies HealthView);
  };

  // Latency-weighted selection learns only from the backends it picks: a backend whose last
  // samples were bad (a pause, timeouts) would keep a near-zero weight for good. Samples older than
  // this are forgotten, so such a backend gets the mean weight again and is measured afresh.
  const lastSample = new Map<string, Nanos>();
  const sampleTtlNs = 10 * o.viewPeriodNs;

  const viewTick = (): void => {
    const t = now();
    for (const [b, at] of [...lastSample]) {
      if (t - at > sampleTtlNs) {
        stats.reset(b);
        lastSample.delete(b);
      }
    }
    for (const [b, s] of checkers) aggregator.report(self, b, s.checker.status, now());
    broadcastView();
    if (store !== null) syncMembership();
    refreshBoard();
    ctx.setTimer(o.viewPeriodNs, viewTick);
  };
  ctx.setTimer(ctx.rng.int(1, o.viewPeriodNs), viewTick);

  // ---- draining ----

  const onDrainActions = (actions: DrainAction[]): void => {
    for (const a of actions) {
      if (a.type === 'drain-complete') {
        drained.add(a.backend);
        ctx.log('drain', `${a.backend} drained${a.forced ? ' (forced)' : ''}`);
        if (a.forced) ctx.probe('lb:drain-forced');
        ctx.milestone('role-change', `${a.backend} drained`);
        if (o.mode === 'l7') ctx.send(a.backend, { type: 'close', conn: `${self}/pool` });
      } else {
        if (o.bugs.forcedDrainKeepsConnections) continue; // BUG (forcedDrainKeepsConnections)
        for (const id of a.connIds) resetStream(o.mode === 'l4' ? id : null, o.mode === 'l7' ? id : null, 'drain timeout');
      }
    }
    armDrain();
  };

  const armDrain = (): void => {
    drainTimer?.cancel();
    drainTimer = null;
    const t = drain.nextWakeNs();
    if (t !== Infinity) drainTimer = ctx.setTimer(Math.max(0, t - now()), () => onDrainActions(drain.tick(now())));
  };

  /** Force-closes an l4 flow (its in-flight requests are answered with a reset) or one l7 request. */
  const resetStream = (flow: string | null, reqId: string | null, why: string): void => {
    if (flow !== null) {
      const s = streams.get(flow);
      if (s === undefined) return;
      closeStream(s, false);
      for (const r of [...s.inflight]) {
        const p = pending.get(r);
        if (p) answer(p, 502, s.backend, true, `connection reset: ${why}`);
      }
    } else if (reqId !== null) {
      const p = pending.get(reqId);
      if (p) answer(p, 502, null, false, `request reset: ${why}`);
    }
  };

  const closeStream = (s: Stream, closeInDrain: boolean): void => {
    if (!s.open) return;
    s.open = false;
    streams.delete(s.flow);
    conntrack.close(s.flow);
    if (closeInDrain) onDrainActions(drain.close(s.flow, now()));
    ctx.send(s.backend, { type: 'close', conn: s.conn });
  };

  // ---- config ----

  const applyConfig = (m: ConfigPush): void => {
    if (m.version < applied) ctx.probe('lb:stale-config-push-ignored');
    if (m.version <= applied) return;
    applied = m.version;
    ctx.milestone('sync-round', `config v${m.version}`);
    const settings = { backends: m.backends, algorithm: m.algorithm, maglevTableSize: o.maglevTableSize };
    if (store === null) {
      store = new ConfigStore(settings, { zeroPinsKept: o.bugs.configPinsNeverReleased });
      board = new StatusBoard([]);
    } else store.publish(settings);
    syncMembership();
    draining = new Set(m.draining);
    const acts: DrainAction[] = [];
    for (const b of members()) {
      if (draining.has(b) && drain.state(b) === 'active') acts.push(...drain.startDrain(b, now()));
      if (!draining.has(b) && drain.state(b) !== 'active') {
        if (!drained.has(b)) ctx.probe('lb:drain-cancelled');
        drain.reactivate(b);
        drained.delete(b);
      }
    }
    onDrainActions(acts);
    refreshBoard();
  };

  const ack = (): ConfigAck => ({ type: 'config-ack', version: applied, drained: [...draining].filter((b) => drained.has(b)).sort() });

  // A restarted balancer asks the operator for the config before it serves anything; pushes that
  // arrive before the answer are ignored, so a delayed old push can never roll it back.
  let fetched = false;
  const fetch = (): void => {
    ctx.call<ConfigPush>(o.operator, { type: 'fetch' }, o.viewPeriodNs).then((r) => {
      if (fetched) return;
      if (!r.ok) return fetch();
      fetched = true;
      applyConfig(r.body);
    });
  };
  fetch();

  // ---- selection ----

  const maglevTable = (config: LbConfig, candidates: readonly Candidate[]): MaglevTable => {
    const ids = candidates.map((c) => c.id).sort();
    const key = ids.join(',');
    const cached = tables.get(config.version);
    if (cached && cached.key === key) return cached.table;
    const size = o.bugs.maglevNonPrime ? config.maglevTableSize + 1 : config.maglevTableSize;
    const weight = new Map(candidates.map((c) => [c.id, c.weight]));
    const specs = ids.map((id) => ({ key: id, weight: weight.get(id) ?? 1 }));
    const table = TABLE_MEMO.get(`${size}|${o.bugs.maglevNonPrime}|${specs.map((b) => `${b.key}*${b.weight}`).join(',')}`, () =>
      buildMaglevTable(specs, { tableSize: size, allowNonPrime: o.bugs.maglevNonPrime, hash: MAGLEV_HASH }),
    );
    // One reference swap: a lookup sees the old table or the new one, never a partial one.
    if (tables.size > 0 && [...draining].some((b) => !drained.has(b))) ctx.probe('lb:maglev-rebuild-during-drain');
    tables.set(config.version, { key, table });
    for (const v of [...tables.keys()]) if (!store!.retainedVersions().includes(v)) tables.delete(v);
    obs.tableSwapped(self, table, cached?.table ?? null);
    return table;
  };

  const configSets = new WeakMap<LbConfig, Set<string>>();
  const pickFrom = (config: LbConfig, flow: string, algorithm: AlgorithmName) => (all: readonly Candidate[]): string | undefined => {
    let inConfig = configSets.get(config);
    if (inConfig === undefined) configSets.set(config, (inConfig = new Set(config.backends.map((b) => b.id))));
    const t = now();
    const cands = all.filter(
      (c) => inConfig.has(c.id) && (breakers.get(c.id)?.state(t) ?? 'closed') !== 'open' && !(outlier?.isEjected(c.id, t) ?? false),
    );
    if (cands.length === 0) return undefined;
    switch (algorithm) {
      case 'round-robin':
        return rr.pick(cands);
      case 'least-request':
        return lr.pick(cands, stats);
      case 'latency-weighted':
        return lw.pick(cands, stats);
      case 'adaptive': {
        const id = adaptive.pick(cands, stats, t);
        obs.adaptivePicked?.(self, adaptive.desired, adaptive.mode, t);
        return id;
      }
      case 'maglev': {
        const table = maglevTable(config, cands);
        obs.lookedUp(self, table);
        return table.lookup(xxHash64(flow, 0n));
      }
    }
  };

  // ---- requests ----

  const forward = (p: Pending, backend: string, conn: string, stream: Stream | null, newStream: boolean): void => {
    const t0 = now();
    const breaker = breakers.get(backend);
    if (breaker && !breaker.tryAcquire(t0).allowed) {
      if (stream && newStream) closeStream(stream, true);
      if (o.mode === 'l7') onDrainActions(drain.close(p.req.reqId, t0));
      ctx.probe('lb:circuit-open-rejected');
      answer(p, 503, backend, newStream && o.mode === 'l4', 'circuit open');
      return;
    }
    const flow = stream ? stream.flow : p.req.reqId;
    if (newStream) obs.assigned(self, { flow, backend, config: p.config });
    obs.dispatched(self, flow, backend, newStream);
    applyWrite(stats.onStart(backend));
    inflight.set(backend, (inflight.get(backend) ?? 0) + 1);
    stream?.inflight.add(p.req.reqId);
    ctx.call<BackendResponse>(backend, { type: 'breq', reqId: p.req.reqId, conn, work: p.req.work }, o.upstreamTimeoutNs).then((r) => {
      const t1 = now();
      inflight.set(backend, (inflight.get(backend) ?? 0) - 1);
      stream?.inflight.delete(p.req.reqId);
      const ok = r.ok && r.body.status < 500;
      applyWrite(stats.onFinish(backend, t1 - t0, ok));
      lastSample.set(backend, t1);
      if (breaker) {
        if (ok) breaker.onSuccess(t1);
        else if (breaker.onFailure(t1)?.to === 'open') ctx.probe('lb:circuit-opened');
      }
      outlier?.onResult(backend, ok, t1);
      if (o.mode === 'l7') onDrainActions(drain.close(p.req.reqId, t1));
      if (!r.ok) {
        ctx.probe('lb:upstream-timeout');
        if (stream) closeStream(stream, true);
        answer(p, 504, backend, o.mode === 'l4', 'upstream timeout');
        return;
      }
      if (o.bugs.errorAfterForward) return answer(p, 502, backend, false, 'bad gateway'); // BUG (errorAfterForward)
      answer(p, r.body.status, backend, false, r.body.status < 500 ? 'ok' : 'backend error');
    });
  };

  const newStream = (p: Pending): void => {
    assert(board !== null && store !== null, 'newStream before the first config');
    const ticket = selector.begin(board);
    ctx.setTimer(ctx.rng.int(0, o.selectDelayNsMax), () => {
      if (p.done) return;
      const { backend } = selector.finish(ticket, board!, pickFrom(p.config, p.req.flow, p.config.algorithm));
      if (p.config.version < store!.current().version) ctx.probe('lb:request-on-old-config');
      if (backend === undefined) {
        ctx.probe('lb:no-healthy-upstream');
        answer(p, 503, null, o.mode === 'l4', 'no healthy upstream');
        return;
      }
      if (o.mode === 'l4') {
        const s: Stream = { flow: p.req.flow, backend, conn: `${self}/${p.req.flow}`, open: true, inflight: new Set() };
        streams.set(s.flow, s);
        conntrack.insert(s.flow, backend, now());
        drain.open(backend, s.flow); // the dispatcher trusts the selection; the drain tracker only counts
        forward(p, backend, s.conn, s, true);
      } else {
        drain.open(backend, p.req.reqId);
        forward(p, backend, `${self}/pool`, null, true);
      }
    });
  };

  const onRequest = (env: Envelope, req: ClientRequest): void => {
    if (seen.has(req.reqId)) {
      ctx.probe('lb:duplicate-packet');
      return; // a duplicated packet
    }
    seen.add(req.reqId);
    obs.accepted(self, req.reqId);
    if (store === null) {
      const p: Pending = { env, req, config: null as unknown as LbConfig, done: false };
      p.done = true;
      ctx.probe('lb:request-while-starting');
      const resp: ClientResponse = { type: 'resp', reqId: req.reqId, ok: false, status: 503, backend: null, closeConn: true, reason: 'balancer starting' };
      obs.answered(self, resp);
      ctx.reply(env, resp);
      return;
    }
    const p: Pending = { env, req, config: store.acquire(), done: false };
    pending.set(req.reqId, p);
    if (o.mode === 'l7') return newStream(p);
    const s = streams.get(req.flow);
    if (s !== undefined) {
      assert(conntrack.lookup(req.flow) === s.backend, `conntrack and stream table disagree on ${req.flow}`);
      return forward(p, s.backend, s.conn, s, false);
    }
    if (req.seq > 0) {
      ctx.probe('lb:unknown-connection-reset');
      return answer(p, 502, null, true, 'unknown connection (reset)');
    }
    newStream(p);
  };

  const eligibleNow = (): string[] => (board === null ? [] : board.current().backends.filter((b) => b.healthy && !b.draining).map((b) => b.id));
  // Snapshots are copy-on-write, so one that is still current has the eligible set it had.
  let eligibleOf: { snap: StatusSnapshot | null; ids: ReadonlySet<string> } = { snap: null, ids: new Set() };

  const program: BalancerProgram = {
    ready: () => store !== null,
    eligibleNow,
    eligibleSet: () => {
      const snap = board === null ? null : board.current();
      if (snap !== eligibleOf.snap) eligibleOf = { snap, ids: new Set(eligibleNow()) };
      return eligibleOf.ids;
    },
    activeGauge: (b) => stats.active(b),
    inflight: (b) => inflight.get(b) ?? 0,
    drainingNow: () => [...draining].filter((b) => drain.state(b) === 'draining'),
    openStreams: (b) => {
      let n = 0;
      for (const s of streams.values()) if (s.backend === b) n++;
      return n;
    },
    pendingWrites: () => pendingWrites,
    appliedVersion: () => applied,
    transitions: 0,
    onMessage(env) {
      const m = env.body as { type: string };
      switch (m.type) {
        case 'req':
          return onRequest(env, env.body as ClientRequest);
        case 'fin': {
          const s = streams.get((env.body as { flow: string }).flow);
          if (s) closeStream(s, true);
          return;
        }
        case 'view': {
          if (o.healthSharing === 'off' || !vantages.includes(env.from)) return;
          for (const [b, healthy] of (env.body as HealthView).statuses) aggregator.report(env.from, b, healthy ? 'healthy' : 'unhealthy', now());
          refreshBoard();
          return;
        }
        case 'config':
          if (!fetched) return;
          applyConfig(env.body as ConfigPush);
          ctx.reply(env, ack());
          return;
      }
    },
  };
  return program;
}
