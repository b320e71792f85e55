/**
 * The load balancer's invariants, checked against ground truth the balancers cannot see: which
 * backends are really down or cut off, what the operator asked for and what each balancer
 * acknowledged, every request id a client issued. The balancers report what they do through the
 * `LbObserver` tap; the nemesis reports what it does to backends and links. Every invariant is a
 * promise a user of a load balancer relies on, with its bound stated here and in docs/lb.md.
 */
import type { SimNode } from '../../../sim/node.ts';
import type { World } from '../../../sim/scenario.ts';
import type { Nanos } from '../../../sim/time.ts';
import { maglevDisruption, type LbConfig, type MaglevDisruption, type MaglevTable } from '../index.ts';
import type { BackendProgram } from './backend.ts';
import type { BalancerProgram, LbObserver } from './balancer.ts';
import type { ClientRecorder, Outcome } from './client.ts';
import type { ClientResponse, ConfigAck, ConfigPush } from './messages.ts';
import type { OperatorObserver } from './operator.ts';

export interface OracleBounds {
  /** Longest a balancer may keep opening connections to an unavailable backend, in true ns. */
  detectionNs: Nanos;
  /** Longest an available backend may stay out of a balancer's rotation, in true ns. */
  readmissionNs: Nanos;
  /** Longest a live balancer may hold a request without answering it, in true ns. */
  answerNs: Nanos;
  /** After every balancer reported a drain complete, the backend must hold no connection after this, in ns. */
  drainedConnsNs: Nanos;
  /** Longest a running backend may keep a connection that has seen no request, in its local ns. */
  idleConnNs: Nanos;
  /** Longest a balancer may go on probing a backend after acknowledging a config without it, in true ns. */
  removedProbeNs: Nanos;
  /** Largest mean fraction of slots moved between surviving backends per single membership change. */
  maglevSurvivorMovedMeanMax: number;
  /** Single membership changes needed before the disruption mean is checked. */
  maglevDisruptionMinSamples: number;
}

interface PendingAnswer {
  lb: string;
  incarnation: number;
  atNs: Nanos;
}

/** Ground truth, invariants and figures of one run. */
export class LbOracle implements LbObserver, OperatorObserver, ClientRecorder {
  /** Cut balancer-backend pairs ("lb|backend"), either direction. */
  /** (lb|backend) -> since when the backend has been unavailable to the balancer (true ns). */
  private readonly unavailableSince = new Map<string, Nanos>();
  /** (lb|backend) -> since when it has been available. */
  private readonly availableSince = new Map<string, Nanos>();
  /** backend -> since when the node has been running (not down, not paused). */
  private readonly runningSince = new Map<string, Nanos>();
  /** (lb|backend) -> since when the backend has been out of the balancer's rotation (polled). */
  private readonly outSince = new Map<string, Nanos>();
  private readonly flows = new Map<string, string>();
  private readonly pendingAnswers = new Map<string, PendingAnswer>();
  private drainVersion = new Map<string, number>();
  private readonly drainAckedAt = new Map<string, Nanos>();
  private readonly drainDoneAt = new Map<string, Nanos>();
  private readonly allDrainedAt = new Map<string, Nanos>();
  private readonly lastAck = new Map<string, number>();
  private desired: ConfigPush | null = null;
  /** When the no-loss readmission check applies: always, or only after the faults stop. */
  readmissionAlways = false;
  /** Keep-alive connections are routed once (l4): check they never move. Off for l7 (no such promise). */
  trackFlows = true;
  private healAtNs: Nanos | null = null;
  private readonly lbStartedAt = new Map<string, { incarnation: number; atNs: Nanos }>();

  // Figures.
  readonly latenciesNs: number[] = [];
  readonly outcomes = { ok: 0, error: 0, timeout: 0 };
  readonly errorsByStatus = new Map<number, number>();
  readonly servedBy = new Map<string, number>();
  readonly newStreamsBy = new Map<string, number>();
  readonly newStreamsAfterHeal = new Map<string, number>();
  issuedCount = 0;
  readonly survivorMoved: number[] = [];
  readonly moved: number[] = [];
  tableSwaps = 0;

  constructor(
    private readonly w: World<unknown>,
    private readonly balancers: SimNode<BalancerProgram>[],
    private readonly backends: SimNode<BackendProgram>[],
    readonly bounds: OracleBounds,
  ) {
    this.pairKeys = balancers.map((lb) => backends.map((b) => `${lb.id}|${b.id}`));
    w.safety('no-silent-request-loss', () => this.checkAnswers());
    w.safety('active-gauge-matches-inflight', () => this.checkGauges());
    w.safety('drained-backend-holds-no-connections', () => this.checkDrainedConns());
    w.safety('idle-connections-expire', () => this.checkIdleConns());
    w.safety('drain-completes-when-idle', () => this.checkIdleDrains());
    const mine = new Set(balancers.map((b) => b.id));
    // Judged on the wire: a drain report that leaves the balancer is a promise whether or not it
    // arrives, and whichever code path built it.
    w.net.sendTaps.push((from, to, body) => {
      if (!mine.has(from.id)) return;
      const type = (body as { type?: string }).type;
      if (type === 'config-ack') this.checkDrainReport(from as SimNode<BalancerProgram>, body as ConfigAck);
      else if (type === 'probe') this.checkProbe(from.id, to);
    });
    w.safety('available-backend-stays-in-rotation', () => this.checkReadmission());
    w.onHeal(() => {
      this.healAtNs = w.now;
      this.touch();
    });
    w.liveness('every-backend-receives-traffic-after-recovery', () => this.checkTrafficAfterHeal());
    w.liveness('every-balancer-serves-after-recovery', () => this.checkServedAfterHeal());
  }

  private get now(): Nanos {
    return this.w.now;
  }

  private node(id: string): SimNode {
    return this.w.node(id);
  }

  // ---- ground truth from the nemesis ----

  cut(lb: string, backend: string): void {
    this.w.net.cut(lb, backend);
    this.touch();
  }

  /** Heals every cut (the lb nemesis owns all partitions in lb scenarios). */
  healCuts(): void {
    this.w.net.heal();
    this.touch();
  }

  /** Re-reads node states and cuts; call after every nemesis action and when a pause ends. */
  touch(): void {
    const t = this.now;
    this.touchLinks(t);
    // Since when a majority of balancers are up and reach each backend (partitions of any shape).
    for (const b of this.backends) {
      const reach = this.balancers.filter((lb) => lb.up && this.available(lb.id, b.id)).length;
      if (reach * 2 <= this.balancers.length) this.majorityReachesSince.delete(b.id);
      else if (!this.majorityReachesSince.has(b.id)) this.majorityReachesSince.set(b.id, t);
    }
  }

  private readonly majorityReachesSince = new Map<string, Nanos>();

  private touchLinks(t: Nanos): void {
    for (const lb of this.balancers) {
      if (lb.up) {
        const s = this.lbStartedAt.get(lb.id);
        if (s === undefined || s.incarnation !== lb.incarnation) this.lbStartedAt.set(lb.id, { incarnation: lb.incarnation, atNs: t });
      }
      for (const b of this.backends) {
        if (b.state !== 'up') this.runningSince.delete(b.id);
        else if (!this.runningSince.has(b.id)) this.runningSince.set(b.id, t);
        const k = `${lb.id}|${b.id}`;
        // The links as they are, not as the lb nemesis left them: the standard nemesis's
        // partitions cut and heal the same links (World.net.heal heals every cut).
        const avail = b.state === 'up' && !this.w.net.isBlocked(lb.id, b.id) && !this.w.net.isBlocked(b.id, lb.id);
        if (avail) {
          this.unavailableSince.delete(k);
          if (!this.availableSince.has(k)) this.availableSince.set(k, t);
        } else {
          this.availableSince.delete(k);
          if (!this.unavailableSince.has(k)) this.unavailableSince.set(k, t);
        }
      }
    }
  }

  private available(lb: string, backend: string): boolean {
    return !this.unavailableSince.has(`${lb}|${backend}`);
  }

  // ---- LbObserver ----

  accepted(lb: string, reqId: string): void {
    const n = this.node(lb);
    this.pendingAnswers.set(reqId, { lb, incarnation: n.incarnation, atNs: this.now });
    if (this.healAtNs !== null) this.askedAfterHeal.add(lb);
  }

  answered(lb: string, resp: ClientResponse): void {
    this.pendingAnswers.delete(resp.reqId);
    if (this.healAtNs !== null && resp.ok) this.servedAfterHeal.add(lb);
  }

  /** Balancers that answered a request with a success since the faults stopped. */
  private readonly servedAfterHeal = new Set<string>();
  /** Balancers that took a request since the faults stopped (the only ones that can serve one). */
  private readonly askedAfterHeal = new Set<string>();

  assigned(lb: string, a: { flow: string; backend: string; config: LbConfig }): void {
    const t = this.now;
    if (!a.config.backends.some((b) => b.id === a.backend)) {
      this.w.violation('request-keeps-its-config', `${lb} sent ${a.flow} to ${a.backend}, which is not in the config version ${a.config.version} the request started with`);
    }
    const ackedAt = this.drainAckedAt.get(`${lb}|${a.backend}`);
    if (ackedAt !== undefined) {
      this.w.violation('no-new-connection-to-draining-backend', `${lb} opened ${a.flow} to ${a.backend} at ${t}ns although it acknowledged draining ${a.backend} at ${ackedAt}ns`);
    }
    const since = this.unavailableSince.get(`${lb}|${a.backend}`);
    if (since !== undefined && t - since > this.bounds.detectionNs) {
      this.w.violation(
        'no-new-connection-to-down-backend',
        `${lb} opened ${a.flow} to ${a.backend}, unavailable to it for ${t - since}ns, longer than the detection bound ${this.bounds.detectionNs}ns`,
      );
    }
    this.newStreamsBy.set(a.backend, (this.newStreamsBy.get(a.backend) ?? 0) + 1);
    if (this.healAtNs !== null) this.newStreamsAfterHeal.set(a.backend, (this.newStreamsAfterHeal.get(a.backend) ?? 0) + 1);
  }

  dispatched(lb: string, flow: string, backend: string, newStream: boolean): void {
    this.servedBy.set(backend, (this.servedBy.get(backend) ?? 0) + 1);
    if (!this.trackFlows) return;
    const k = `${lb}|${flow}`;
    const prev = this.flows.get(k);
    if (prev !== undefined && prev !== backend && this.available(lb, prev)) {
      this.w.violation('connection-stays-on-its-backend', `${lb} moved established connection ${flow} from ${prev} (still up) to ${backend}`);
    }
    if (newStream && prev !== undefined) {
      this.w.violation('connection-stays-on-its-backend', `${lb} routed connection ${flow} a second time (was on ${prev})`);
    }
    if (newStream) this.flows.set(k, backend);
  }

  tableSwapped(lb: string, table: MaglevTable, prev: MaglevTable | null): void {
    this.tableSwaps++;
    this.checkTable(lb, table);
    if (prev === null || prev.tableSize !== table.tableSize) return;
    const a = new Set(prev.backends);
    const b = new Set(table.backends);
    const removed = prev.backends.filter((x) => !b.has(x)).length;
    const added = table.backends.filter((x) => !a.has(x)).length;
    if (removed + added !== 1) return;
    // A removal compares old to new; an addition new to old, so that in both cases the slots the
    // joining or leaving backend takes or gives up are expected and only moves between surviving
    // backends count as disruption.
    const d = removed === 1 ? this.disruption(prev, table) : this.disruption(table, prev);
    this.survivorMoved.push(d.survivorMovedFraction);
    this.moved.push(d.movedFraction);
    if (this.survivorMoved.length >= this.bounds.maglevDisruptionMinSamples) {
      const mean = this.survivorMoved.reduce((x, y) => x + y, 0) / this.survivorMoved.length;
      if (mean > this.bounds.maglevSurvivorMovedMeanMax) {
        this.w.violation('maglev-disruption', `mean fraction of slots moved between surviving backends ${mean.toFixed(4)} over ${this.survivorMoved.length} membership changes exceeds ${this.bounds.maglevSurvivorMovedMeanMax}`);
      }
    }
  }

  /**
   * Tables are immutable and shared (one memo for every balancer), so the balancers swapping the
   * same pair in turn (each change reaches all of them) are compared slot by slot once.
   */
  private readonly disruptions = new WeakMap<MaglevTable, WeakMap<MaglevTable, MaglevDisruption>>();

  private disruption(before: MaglevTable, after: MaglevTable): MaglevDisruption {
    let byAfter = this.disruptions.get(before);
    if (byAfter === undefined) this.disruptions.set(before, (byAfter = new WeakMap()));
    let d = byAfter.get(after);
    if (d === undefined) byAfter.set(after, (d = maglevDisruption(before, after)));
    return d;
  }

  lookedUp(lb: string, table: MaglevTable): void {
    this.checkTable(lb, table);
  }

  private checkTable(lb: string, table: MaglevTable): void {
    if (table.emptySlots > 0) {
      this.w.violation('maglev-every-slot-owned', `${lb} looked up a Maglev table of size ${table.tableSize} with ${table.emptySlots} unowned slot(s)`);
      return;
    }
    if (table.backends.length === 0) return;
    const counts = [...table.slotCounts().values()];
    const spread = Math.max(...counts) - Math.min(...counts);
    // Equal weights: turn-taking gives every backend floor(M/N) or ceil(M/N) slots.
    if (spread > 1) this.w.violation('maglev-balance', `${lb}'s Maglev table (M=${table.tableSize}, N=${table.backends.length}) has slot counts from ${Math.min(...counts)} to ${Math.max(...counts)}`);
  }

  // ---- OperatorObserver ----

  published(c: ConfigPush): void {
    const members = new Set(c.backends.map((b) => b.id));
    for (const b of this.desired?.backends ?? []) if (!members.has(b.id) && !this.leftAtVersion.has(b.id)) this.leftAtVersion.set(b.id, c.version);
    for (const b of members) {
      if (!this.leftAtVersion.delete(b)) continue;
      for (const lb of this.balancers) this.removedAckedAt.delete(`${lb.id}|${b}`);
    }
    const before = new Set(this.desired?.draining ?? []);
    const after = new Set(c.draining);
    for (const b of after) if (!before.has(b)) this.drainVersion.set(b, c.version);
    for (const b of before) {
      if (after.has(b)) continue;
      // Undrained: from now on balancers may use it again, so the promise ends before any sees it.
      this.drainVersion.delete(b);
      this.allDrainedAt.delete(b);
      for (const lb of this.balancers) {
        this.drainAckedAt.delete(`${lb.id}|${b}`);
        this.drainDoneAt.delete(`${lb.id}|${b}`);
      }
    }
    this.desired = c;
  }

  acked(lb: string, ack: ConfigAck): void {
    if ((this.lastAck.get(lb) ?? 0) > ack.version) return;
    this.lastAck.set(lb, ack.version);
    for (const [b, v] of this.leftAtVersion) {
      const k = `${lb}|${b}`;
      if (ack.version >= v && !this.removedAckedAt.has(k)) this.removedAckedAt.set(k, this.now);
    }
    for (const [b, v] of this.drainVersion) {
      if (ack.version < v) continue;
      const k = `${lb}|${b}`;
      if (!this.drainAckedAt.has(k)) this.drainAckedAt.set(k, this.now);
      if (ack.drained.includes(b) && !this.drainDoneAt.has(k)) this.drainDoneAt.set(k, this.now);
      if (!this.allDrainedAt.has(b) && this.balancers.every((n) => this.drainDoneAt.has(`${n.id}|${b}`))) this.allDrainedAt.set(b, this.now);
    }
  }

  /** backend -> the config version it left the pool in (until a later version has it again). */
  private readonly leftAtVersion = new Map<string, number>();
  /** (lb|backend) -> when the operator received lb's acknowledgement of a config without the backend. */
  private readonly removedAckedAt = new Map<string, Nanos>();

  /**
   * A backend taken out of the pool is health-checked only while a request pinned to a config
   * that has it may still use it: such a request is answered within the answer bound, its config
   * is then released, and the balancer's next membership pass (one view period) stops the checker.
   * Probes after that are traffic to a machine the operator removed (decommissioned, or handed to
   * another service) and a sign that old configs are never released.
   */
  private checkProbe(lb: string, backend: string): void {
    const at = this.removedAckedAt.get(`${lb}|${backend}`);
    if (at === undefined || this.now - at <= this.bounds.removedProbeNs) return;
    this.w.violation('removed-backend-not-probed', `${lb} probed ${backend} ${this.now - at}ns after acknowledging a config without it (bound ${this.bounds.removedProbeNs}ns)`);
  }

  /** True when every balancer reported the drain of `backend` complete. */
  drainComplete(backend: string): boolean {
    return this.allDrainedAt.has(backend);
  }

  // ---- ClientRecorder ----

  issued(): void {
    this.issuedCount++;
  }

  outcome(_client: string, _reqId: string, o: Outcome, latencyNs: Nanos): void {
    if (o.kind === 'timeout') this.outcomes.timeout++;
    else if (o.resp.ok) {
      this.outcomes.ok++;
      this.latenciesNs.push(latencyNs);
    } else {
      this.outcomes.error++;
      this.errorsByStatus.set(o.resp.status, (this.errorsByStatus.get(o.resp.status) ?? 0) + 1);
    }
  }

  // ---- polled checks ----

  private checkAnswers(): string | null {
    const t = this.now;
    for (const [reqId, p] of this.pendingAnswers) {
      const n = this.node(p.lb);
      if (n.incarnation !== p.incarnation || !n.up) {
        this.pendingAnswers.delete(reqId); // the balancer crashed: the client's timeout tells it
        continue;
      }
      if (t - p.atNs > this.bounds.answerNs) return `${p.lb} accepted request ${reqId} at ${p.atNs}ns and has not answered it ${t - p.atNs}ns later (bound ${this.bounds.answerNs}ns)`;
    }
    return null;
  }

  private checkGauges(): string | null {
    for (const lb of this.balancers) {
      const p = lb.program;
      if (p === null || p.pendingWrites() > 0) continue;
      for (const b of this.backends) {
        const g = p.activeGauge(b.id);
        const f = p.inflight(b.id);
        if (g !== f) return `${lb.id}'s active-request count for ${b.id} is ${g} but ${f} request(s) are in flight`;
      }
    }
    return null;
  }

  private checkDrainedConns(): string | null {
    const t = this.now;
    for (const [b, drainedAt] of this.allDrainedAt) {
      // A paused backend processes the closes (and the late requests) only when it resumes.
      const at = Math.max(drainedAt, this.runningSince.get(b) ?? t);
      if (t - at <= this.bounds.drainedConnsNs) continue;
      const conns = this.node(b).up ? (this.node(b) as SimNode<BackendProgram>).program?.conns : undefined;
      if (conns && conns.size > 0) {
        return `${b} still holds ${conns.size} connection(s) (e.g. ${[...conns.keys()][0]}) ${t - at}ns after every balancer reported its drain complete`;
      }
    }
    return null;
  }

  /**
   * A drain is the operator's go-ahead to stop or replace a backend: a balancer that reports one
   * complete must hold no client connection to it, because the operator's next step (stopping the
   * backend) breaks every such connection. A forced drain resets its connections first, so this
   * holds for it too. Only l4 flows are connections the balancer holds (an l7 request is answered
   * or reset by the drain, and the pooled connection is closed).
   */
  private checkDrainReport(lb: SimNode<BalancerProgram>, ack: ConfigAck): void {
    const p = lb.program;
    if (p === null) return;
    for (const b of ack.drained) {
      const n = p.openStreams(b);
      if (n > 0) this.w.violation('drain-complete-means-no-connections', `${lb.id} reported ${b} drained (config v${ack.version}) while it held ${n} client connection(s) open to it`);
    }
  }

  /**
   * A drain waits for the connections and requests it has on a backend, no longer: once nothing
   * is open or in flight to the backend it is complete (the drain timeout is for connections that
   * do not finish). A drain that outlives its last request holds a rolling restart for the whole
   * timeout, on every backend. Completion is synchronous with the last close, so this is exact.
   */
  private checkIdleDrains(): string | null {
    for (const lb of this.balancers) {
      const p = lb.program;
      if (p === null || !lb.up) continue;
      for (const b of p.drainingNow()) {
        if (p.openStreams(b) === 0 && p.inflight(b) === 0) return `${lb.id} is still draining ${b} with no connection open and no request in flight to it`;
      }
    }
    return null;
  }

  /**
   * Keep-alive state is a resource (a socket, a worker's memory): a connection whose close was
   * lost, or whose balancer crashed, must still be dropped once idle for the keep-alive timeout.
   * Judged on the backend's own clock, where its timestamps and timers live. A paused backend runs
   * no sweep (what was due runs when it resumes), so only running backends are judged; a crashed
   * one holds nothing.
   */
  private checkIdleConns(): string | null {
    const t = this.now;
    for (const b of this.backends) {
      const conns = b.state === 'up' ? b.program?.conns : undefined;
      if (conns === undefined || conns.size === 0) continue;
      const local = b.clock.localAt(t);
      for (const [c, last] of conns) {
        if (local - last > this.bounds.idleConnNs) return `${b.id} still holds connection ${c}, idle for ${local - last}ns (its own clock), past the keep-alive bound ${this.bounds.idleConnNs}ns`;
      }
    }
    return null;
  }

  /**
   * An available backend must not stay out of a balancer's rotation for longer than the
   * readmission bound, unless a majority of balancers cannot reach it (then a quorum may remove it)
   * or it is draining or not in the config. Applies when the network loses nothing: always in
   * scenarios without loss, else once the faults stop.
   */
  private checkReadmission(): string | null {
    const t = this.now;
    const applies = this.readmissionAlways || this.w.phase === 'liveness';
    const desired = this.desired;
    if (desired === null) return null;
    if (this.desiredSets.of !== desired) this.desiredSets = { of: desired, inConfig: new Set(desired.backends.map((b) => b.id)), draining: new Set(desired.draining) };
    const { inConfig, draining } = this.desiredSets;
    for (let i = 0; i < this.balancers.length; i++) {
      const lb = this.balancers[i]!;
      const keys = this.pairKeys[i]!;
      const p = lb.program;
      if (p === null || !p.ready()) {
        for (const k of keys) this.outSince.delete(k);
        continue;
      }
      const eligible = p.eligibleSet();
      for (let j = 0; j < this.backends.length; j++) {
        const b = this.backends[j]!;
        const k = keys[j]!;
        if (eligible.has(b.id) || !inConfig.has(b.id) || draining.has(b.id)) {
          this.outSince.delete(k);
          continue;
        }
        if (!this.outSince.has(k)) this.outSince.set(k, t);
        if (!applies) continue;
        const avail = this.availableSince.get(k);
        if (avail === undefined || b.program === null) continue;
        if (this.unableCount(b.id, t) * 2 > this.balancers.length) continue;
        const started = this.lbStartedAt.get(lb.id)?.atNs ?? 0;
        // The majority's views turn healthy only once a majority reaches the backend again.
        const majority = this.majorityReachesSince.get(b.id) ?? t;
        const from = Math.max(avail, this.outSince.get(k)!, started, majority, this.readmissionAlways ? 0 : this.healAtNs ?? t);
        if (t - from > this.bounds.readmissionNs) {
          return `${b.id} has been available to ${lb.id} but out of its rotation for ${t - from}ns (bound ${this.bounds.readmissionNs}ns)`;
        }
      }
    }
    return null;
  }

  /** The desired config's backends and drains as sets, made once per config (the check polls every interval). */
  private desiredSets: { of: ConfigPush | null; inConfig: ReadonlySet<string>; draining: ReadonlySet<string> } = { of: null, inConfig: new Set(), draining: new Set() };
  /** "lb|backend" for every pair, by balancer then backend index: built once, not every poll. */
  private readonly pairKeys: string[][];

  /** Balancers that cannot vouch for a backend: down, freshly (re)started, or cut off from it. */
  private unableCount(backend: string, t: Nanos): number {
    let n = 0;
    for (const lb of this.balancers) {
      const started = this.lbStartedAt.get(lb.id);
      const fresh = started === undefined || started.incarnation !== lb.incarnation || t - started.atNs <= this.bounds.readmissionNs;
      if (!lb.up || fresh || !this.available(lb.id, backend)) n++;
    }
    return n;
  }

  private checkTrafficAfterHeal(): true | string {
    const desired = this.desired;
    if (desired === null) return 'no config yet';
    for (const b of desired.backends) {
      if (desired.draining.includes(b.id)) continue;
      if ((this.newStreamsAfterHeal.get(b.id) ?? 0) === 0) return `${b.id} has received no new connection since the faults stopped`;
    }
    return true;
  }

  /**
   * Traffic reaching every backend is not service: a balancer that forwards every request and
   * answers each with an error, or refuses them all, keeps every safety property (every request is
   * answered) while serving nobody, and its clients count errors as answers. Once healed, every
   * balancer that takes requests must answer some with a success. One that no client sends to
   * (lb-algorithms' load goes to each pool's first balancer; a user's clients may pick a few)
   * has nothing to serve: demanding it failed a healthy run.
   */
  private checkServedAfterHeal(): true | string {
    for (const lb of this.balancers) {
      if (this.askedAfterHeal.has(lb.id) && !this.servedAfterHeal.has(lb.id)) return `${lb.id} has taken requests since the faults stopped and answered none with a success`;
    }
    return true;
  }

  /** The run's figures for `w.metrics`. */
  figures(): Record<string, unknown> {
    const s = Float64Array.from(this.latenciesNs).sort();
    const pick = (q: number): number => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!);
    const total = this.outcomes.ok + this.outcomes.error + this.outcomes.timeout;
    const us = (x: number): number => Math.round(x / 100) / 10;
    const mean = s.length === 0 ? NaN : s.reduce((a, b) => a + b, 0) / s.length;
    const out: Record<string, unknown> = {
      requests: this.issuedCount,
      answered: total,
      latencyUsP50: us(pick(0.5)),
      latencyUsP99: us(pick(0.99)),
      latencyUsMean: us(mean),
      errorRate: total === 0 ? 0 : Math.round(((this.outcomes.error + this.outcomes.timeout) / total) * 1e4) / 1e4,
      timeouts: this.outcomes.timeout,
      errorsByStatus: Object.fromEntries([...this.errorsByStatus].sort((a, b) => a[0] - b[0])),
      requestsPerBackend: Object.fromEntries([...this.servedBy].sort((a, b) => (a[0] < b[0] ? -1 : 1))),
      transitions: this.balancers.reduce((a, n) => a + (n.program?.transitions ?? 0), 0),
    };
    if (this.tableSwaps > 0) {
      out.maglevTableSwaps = this.tableSwaps;
      out.maglevMembershipChanges = this.survivorMoved.length;
      if (this.survivorMoved.length > 0) {
        out.maglevSurvivorMovedMean = Math.round((this.survivorMoved.reduce((a, b) => a + b, 0) / this.survivorMoved.length) * 1e5) / 1e5;
        out.maglevSurvivorMovedMax = Math.round(Math.max(...this.survivorMoved) * 1e5) / 1e5;
        out.maglevMovedMean = Math.round((this.moved.reduce((a, b) => a + b, 0) / this.moved.length) * 1e5) / 1e5;
      }
    }
    return out;
  }
}
