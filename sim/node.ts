/**
 * Nodes: the processes of the simulated cluster. A node runs a *program* built by a factory from
 * a `NodeContext`; the program's memory is its volatile state. On crash the program, its timers,
 * its processes and its pending calls are gone, and its disk loses what was not fsynced. On
 * restart the factory runs again with a fresh context and must recover from the disk alone.
 *
 * A pause (a long GC pause, a stalled VM) freezes the node: timers, processes and message
 * deliveries due during the pause run, in order, when it ends. The node's disk and clock go on.
 */
import { assert } from './assert.ts';
import { LocalClock, type ClockOptions } from './clock.ts';
import { DiskReadFailed, type Disk } from './disk/disk.ts';
import type { ScheduledEvent } from './event-queue.ts';
import type { Simulation } from './kernel.ts';
import type { Network, SendOptions } from './network/network.ts';
import type { ProbeTable } from './probes.ts';
import type { Rng } from './prng.ts';
import { Future, Process, type ProcessBody } from './process.ts';
import type { Nanos } from './time.ts';

/** A node's name, e.g. `'n1'`. */
export type NodeId = string;

/** How long a supervisor waits before starting a fail-stopped node again (50 ms). */
export const SUPERVISOR_RESTART_NS = 50_000_000;

/** A message as it travels: a copy of the sender's body plus addressing. */
export interface Envelope<B = unknown> {
  /** The sender. */
  from: NodeId;
  /** The receiver. */
  to: NodeId;
  /** The message: a deep copy of what the sender sent. */
  body: B;
  /** Set on a request sent with `ctx.call`; the reply carries it back as `replyTo`. */
  rpcId?: number;
  /** Set on a reply: the `rpcId` of the request it answers. */
  replyTo?: number;
  /** Size on the wire in bytes. */
  sizeBytes: number;
  /** Simulated time it was sent. */
  sentAtNs: Nanos;
}

/** What a node runs. Everything else about it lives in its closure or fields. */
export interface NodeProgram {
  /** A message arrived (replies to `ctx.call` are routed to the caller instead). */
  onMessage?(env: Envelope): void;
}

/** Makes a node's program: run at start and at every restart, with a new context. */
export type NodeFactory<P extends NodeProgram = NodeProgram> = (ctx: NodeContext) => P;

/** A node is up, down (crashed), or paused (a GC stall: alive, doing nothing). */
export type NodeState = 'up' | 'down' | 'paused';

/** The result of `ctx.call`: the reply's body, or why there was none. */
export type CallResult<R> =
  | {
      /** A reply arrived. */
      ok: true;
      /** The reply's body. */
      body: R;
      /** Who replied. */
      from: NodeId;
    }
  | {
      /** No reply in time. */
      ok: false;
      /** Why: the timeout passed. */
      reason: 'timeout';
    };

/** A node-local timer; `cancel()` stops it. */
export interface Timer {
  /** Stops the timer; a no-op once it fired. */
  cancel(): void;
}

/** A simulated node: its program, disk, clock and state (up, down, paused) across crashes and restarts. Scenarios get one from `w.addNode`. */
export class SimNode<P extends NodeProgram = NodeProgram> {
  private _state: NodeState = 'down';
  /** Bumped on every crash; events carry the epoch they were made in and die with it. */
  private _epoch = 0;
  private _incarnation = 0;
  private _program: P | null = null;
  private ctx: NodeContext | null = null;
  private deferred: (() => void)[] = [];
  private resumeEvent: ScheduledEvent | null = null;
  private pausedUntilNs = 0;
  /** When the node last went down (meaningful while it is down). */
  private downAtNs: Nanos = 0;
  /** Set by failStop until the crash lands: the incarnation does nothing more. */
  private stopping = false;
  /** RPC ids are unique across incarnations, so a reply to a dead incarnation's call matches nothing. */
  private rpcIds = 0;

  constructor(
    /** The simulation. */
    readonly sim: Simulation,
    /** The network it is on. */
    readonly net: Network,
    /** Its name. */
    readonly id: NodeId,
    /** Its position in the network (0-based). */
    readonly index: number,
    /** Servers are the nemesis's default targets; clients run workloads. */
    readonly kind: 'server' | 'client',
    private readonly factory: NodeFactory<P>,
    private _clock: LocalClock,
    /** Its disk (survives crashes; unsynced writes do not). */
    readonly disk: Disk,
  ) {}

  /** The node's local clock (skewed and drifting). */
  get clock(): LocalClock {
    return this._clock;
  }

  /** Sets the clock's skew and drift; only before the node first starts. */
  setClock(opts: ClockOptions): void {
    assert(this._incarnation === 0, `setClock ${this.id}: only before the node first starts`);
    this._clock = new LocalClock(opts, this.sim.now);
  }

  /**
   * Steps the wall clock by `deltaNs` (a fault: NTP stepping it, forwards or backwards):
   * `ctx.wallNow()` jumps; the monotonic clock (`ctx.now()`, timers) does not.
   */
  stepClock(deltaNs: number): void {
    this.sim.decisions.fault({ kind: 'clock-step', node: this.id, deltaNs }, () => {
      this._clock = this._clock.stepped(deltaNs);
      this.sim.log(this.id, 'clock-step', `${Math.round(deltaNs)}ns`);
    });
  }

  /** Changes the running clock's rate error to `driftPpm` from now on (no jump). */
  setDrift(driftPpm: number): void {
    this.sim.decisions.fault({ kind: 'clock-drift', node: this.id, ppm: driftPpm }, () => {
      this._clock = this._clock.withDrift(driftPpm, this.sim.now);
      this.sim.log(this.id, 'clock-drift', `${Math.round(driftPpm)}ppm`);
    });
  }

  /**
   * Fail-stop: the node's program gave up (a failed fsync it cannot trust its memory after, a
   * read error at recovery). It crashes after the current event, losing what was not durable,
   * and a supervisor (systemd, Kubernetes) starts it again `restartAfterNs` later, unless
   * something else (a nemesis) crashed or restarted it meanwhile.
   */
  failStop(reason: string, restartAfterNs: Nanos): void {
    if (this._state === 'down') return;
    const epoch = this._epoch;
    this.stopping = true;
    this.sim.log(this.id, 'fail-stop', reason);
    this.sim.schedule(0, () => {
      if (this._epoch !== epoch || this._state === 'down') return;
      this.crashNow('all');
      const crashedEpoch = this._epoch;
      this.sim.schedule(restartAfterNs, () => {
        if (this._epoch === crashedEpoch && this._state === 'down') this.startNow();
      });
    });
  }

  /** Up, down or paused. */
  get state(): NodeState {
    return this._state;
  }
  /** True when up (not down, not paused). */
  get up(): boolean {
    return this._state !== 'down';
  }
  /** True once the running incarnation has fail-stopped (it crashes after the current event). */
  get failing(): boolean {
    return this.stopping;
  }
  /** Bumped at every crash: work made in an earlier epoch never runs. */
  get epoch(): number {
    return this._epoch;
  }
  /** While the node is down: the instant it went down (a checker's "down for longer than X"); otherwise null. */
  get downSinceNs(): Nanos | null {
    return this._state === 'down' ? this.downAtNs : null;
  }
  /** How many times the node has started. */
  get incarnation(): number {
    return this._incarnation;
  }
  /** The running program (for invariants: a god's-eye view), or null while down. */
  get program(): P | null {
    return this._program;
  }

  /**
   * Starts the node (it must be down): builds a fresh program from durable state. During the
   * fault phase this is a recorded decision (the end of a crash: sim/decisions.ts).
   */
  start(): void {
    this.sim.decisions.end('crash', this.id, () => this.startNow());
  }

  /** @internal `start` as the machinery does it (the runner, a supervisor, the liveness heal): never a recorded fault. */
  startNow(): void {
    assert(this._state === 'down', `start ${this.id}: the node is ${this._state}`);
    this._state = 'up';
    this._incarnation++;
    this.ctx = new NodeContext(this, this._epoch);
    const epoch = this._epoch;
    this.disk.setCompletionGate((fn) => this.dispatch(epoch, fn));
    this.stopping = false;
    this.sim.log(this.id, 'start', `incarnation ${this._incarnation}`);
    try {
      this._program = this.factory(this.ctx);
    } catch (e) {
      // A file unreadable at recovery: the process dies at start-up and its supervisor retries.
      if (!(e instanceof DiskReadFailed)) throw e;
      this.failStop(e.message, SUPERVISOR_RESTART_NS);
    }
  }

  /**
   * Crashes the node: volatile state, timers, processes and pending calls are gone; the disk
   * loses unsynced writes (all of them, or a torn prefix).
   */
  crash(diskLoss: 'all' | 'torn' = 'all'): void {
    if (this._state === 'down') return;
    this.sim.decisions.fault({ kind: 'crash', node: this.id, mode: diskLoss, durNs: null }, () => this.crashNow(diskLoss));
  }

  /** @internal `crash` as a consequence (a fail-stop, a device taking its program down): never a recorded fault. */
  crashNow(diskLoss: 'all' | 'torn' = 'all'): void {
    if (this._state === 'down') return;
    this._state = 'down';
    this.downAtNs = this.sim.now;
    this._epoch++;
    this._program = null;
    this.ctx = null;
    this.deferred = [];
    this.resumeEvent?.cancel();
    this.resumeEvent = null;
    const lost = this.disk.crash(diskLoss);
    this.sim.log(this.id, 'crash', `disk lost ${lost} unsynced op(s) (${diskLoss})`);
  }

  /** Crash then start. */
  restart(): void {
    this.crash();
    this.start();
  }

  /** Freezes the node for `durationNs` of true time; a pause under way ends at the later end. */
  pause(durationNs: Nanos): void {
    if (this._state === 'down') return;
    const until = this.sim.now + durationNs;
    if (this._state === 'paused' && until <= this.pausedUntilNs) return;
    this.sim.decisions.fault({ kind: 'pause', node: this.id, durNs: durationNs }, () => this.pauseNow(durationNs));
  }

  private pauseNow(durationNs: Nanos): void {
    if (this._state === 'down') return;
    const until = this.sim.now + durationNs;
    if (this._state === 'paused' && until <= this.pausedUntilNs) return;
    this._state = 'paused';
    this.pausedUntilNs = until;
    this.resumeEvent?.cancel();
    this.resumeEvent = this.sim.schedule(durationNs, () => this.resume());
    this.sim.log(this.id, 'pause', `for ${durationNs}ns`);
  }

  /**
   * Ends a pause now: what was due during it runs at once, in the order it was due, before
   * anything that arrives later (so a message arriving at this instant cannot overtake it).
   */
  resume(): void {
    if (this._state !== 'paused') return;
    this._state = 'up';
    this.resumeEvent?.cancel();
    this.resumeEvent = null;
    const epoch = this._epoch;
    this.sim.log(this.id, 'resume', `${this.deferred.length} deferred event(s)`);
    while (this.deferred.length > 0 && this._state === 'up' && epoch === this._epoch) {
      this.deferred.shift()!();
    }
  }

  /** @internal The next RPC id (never reused, even across crashes). */
  nextRpcId(): number {
    return ++this.rpcIds;
  }

  /** Runs `fn` for this node if it is still in `epoch`: deferred while paused, dropped if crashed. */
  dispatch(epoch: number, fn: () => void): void {
    if (epoch !== this._epoch || this._state === 'down' || this.stopping) return;
    if (this._state === 'paused') {
      this.deferred.push(fn);
      return;
    }
    fn();
  }

  /** Called by the network when a message arrives (the node is up or paused). */
  deliver(env: Envelope): void {
    if (this.stopping) return;
    if (this._state === 'up') this.ctx!.receive(env);
    else if (this._state === 'paused') {
      const ctx = this.ctx!;
      this.deferred.push(() => ctx.receive(env));
    }
  }
}

/** Everything a node program may touch. Bound to one incarnation of the node. */
export class NodeContext {
  /** The node's name. */
  readonly id: NodeId;
  /** This incarnation's random stream (a restarted node draws afresh). */
  readonly rng: Rng;
  private pendingCalls = new Map<number, Future<CallResult<unknown>>>();
  /** Runs program code for this incarnation: deferred while paused, dropped once crashed. */
  private readonly gate: (fn: () => void) => void;

  constructor(
    private readonly node: SimNode<NodeProgram>,
    private readonly epoch: number,
  ) {
    this.id = node.id;
    this.rng = node.sim.rng(`node/${node.id}/${node.incarnation}`);
    this.gate = (fn) => node.dispatch(epoch, fn);
  }

  /**
   * The node's disk. Its fsync completions run through this incarnation's gate (deferred while
   * the node is paused, dropped after a crash): see SimNode.start.
   */
  get disk(): Disk {
    return this.node.disk;
  }

  /**
   * The node's monotonic clock reading (skewed and drifting, never stepped; not true time): for
   * timeouts, durations and leases.
   */
  now(): Nanos {
    return this.node.clock.localAt(this.node.sim.now);
  }

  /**
   * The node's wall clock: `now()` plus the steps NTP made (forwards or backwards). For
   * timestamps compared across nodes (LWW, hybrid logical clocks), which must survive a step back.
   */
  wallNow(): Nanos {
    return this.node.clock.wallAt(this.node.sim.now);
  }

  /** True while this incarnation is alive (false after a crash). */
  get alive(): boolean {
    return this.node.epoch === this.epoch && this.node.up && !this.node.failing;
  }

  /** Sends a copy of `body` to `to`; no reply is awaited (see `call`). */
  send(to: NodeId, body: unknown, opts?: SendOptions): void {
    if (!this.alive) return;
    this.node.net.sendFrom(this.node, to, body, opts);
  }

  /** Sends a request and resolves with its reply, or with a timeout after `timeoutNs` local ns. */
  call<R = unknown>(to: NodeId, body: unknown, timeoutNs: Nanos, opts?: SendOptions): Future<CallResult<R>> {
    const f = new Future<CallResult<R>>(this.node.sim, this.gate);
    if (!this.alive) return f;
    const rpcId = this.node.nextRpcId();
    this.pendingCalls.set(rpcId, f as Future<CallResult<unknown>>);
    this.node.net.sendFrom(this.node, to, body, { ...opts, rpcId });
    this.setTimer(timeoutNs, () => {
      if (this.pendingCalls.delete(rpcId)) f.resolve({ ok: false, reason: 'timeout' });
    });
    return f;
  }

  /** Replies to a request received with `onMessage`. */
  reply(request: Envelope, body: unknown, opts?: SendOptions): void {
    if (!this.alive) return;
    assert(request.rpcId !== undefined, `reply: the message from ${request.from} was not sent with call()`);
    this.node.net.sendFrom(this.node, request.from, body, { ...opts, replyTo: request.rpcId });
  }

  /** Runs `fn` after `delayNs` of this node's local time, unless cancelled or the node crashes. */
  setTimer(delayNs: Nanos, fn: () => void): Timer {
    const node = this.node;
    // The gate is this incarnation's dispatch, bound once: a timer allocates its event and nothing else.
    return node.sim.scheduleWith(node.clock.trueDelay(delayNs), this.gate, fn);
  }

  /**
   * Runs `fn` at the end of the event now executing (see Simulation.atEventEnd), through this
   * node's gate like a timer; outside an event it falls back to a zero-delay timer.
   */
  atEventEnd(fn: () => void): void {
    if (!this.node.sim.atEventEndWith(this.gate, fn)) this.setTimer(0, fn);
  }

  /**
   * A future resolved after `delayNs` of local time. Its waiters run through the node's gate
   * (deferred while paused, dropped after a crash); the timer itself is not gated, so a waiter
   * keeps its place among other work deferred by a pause.
   */
  sleep(delayNs: Nanos): Future<void> {
    const node = this.node;
    const f = new Future<void>(node.sim, this.gate);
    node.sim.scheduleWith(node.clock.trueDelay(delayNs), resolveVoid, f);
    return f;
  }

  /** Starts a process on this node; it dies with the node and freezes while it is paused. */
  spawn<R>(name: string, body: ProcessBody<R>): Process<R> {
    const node = this.node;
    const epoch = this.epoch;
    return new Process<R>(node.sim, `${this.id}/${name}`, body, this.gate);
  }

  /** True if the buggify site fires now. */
  buggify(site: string): boolean {
    return this.node.sim.buggify.fire(site, this.id);
  }

  /** Marks that the rare condition `name` happened on this node (see sim/probes.ts). */
  probe(name: string): void {
    this.node.sim.probes.hit(name, this.id);
  }

  /** Declares a system's probes for this run (idempotent; see World.declareProbes). */
  declareProbes(table: ProbeTable): void {
    this.node.sim.probes.declare(table);
  }

  /**
   * A protocol milestone (a role or term change, a vote granted, a commit advance, a compaction,
   * an anti-entropy round): a trace record of kind 'milestone' (timelines mark them) and a
   * notification to the world's subscribers (directed nemeses strike right after one). Frequent
   * protocol events, unlike probes (rare conditions). Kinds in use: see MILESTONE_KINDS.
   */
  milestone(kind: string, detail = ''): void {
    if (!this.alive) return;
    this.node.sim.milestone(this.id, kind, detail);
  }

  /**
   * Gives up and lets the supervisor restart this node from its disk after `restartAfterNs`
   * (default 50 ms): the answer to a failed fsync or an unreadable file (see SimNode.failStop).
   */
  failStop(reason: string, restartAfterNs: Nanos = SUPERVISOR_RESTART_NS): void {
    if (!this.alive) return;
    this.node.failStop(reason, restartAfterNs);
  }

  /** A line in the run's trace, attributed to this node. */
  log(kind: string, detail = ''): void {
    this.node.sim.log(this.id, kind, detail);
  }

  /** @internal Routes an arriving message: a reply to a pending call, or the program. */
  receive(env: Envelope): void {
    if (env.replyTo !== undefined) {
      const f = this.pendingCalls.get(env.replyTo);
      if (f !== undefined) {
        this.pendingCalls.delete(env.replyTo);
        f.resolve({ ok: true, body: env.body, from: env.from });
      }
      return; // a late reply to a call that timed out is dropped
    }
    this.node.program?.onMessage?.(env);
  }
}

/** A sleep's timer: resolves its future (shared, so a sleep allocates no closure). */
function resolveVoid(f: Future<void>): void {
  f.resolve(undefined);
}

export type { ClockOptions };

