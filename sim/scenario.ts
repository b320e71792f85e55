/**
 * The scenario API. A scenario is one TypeScript file that default-exports `defineScenario({...})`:
 * its nodes and their system, a workload (client processes), a fault schedule (a nemesis), safety
 * invariants checked as the run goes, liveness properties checked once the faults stop, a
 * duration, and typed parameters with defaults. See scenarios/broadcast.ts for a complete one.
 */
import type { HistoryView } from './history-view.ts';
import { assert } from './assert.ts';
import { PERFECT_CLOCK, LocalClock, type ClockOptions } from './clock.ts';
import { Device, FailureDomains, type DeviceOptions } from './device.ts';
import { Disk } from './disk/disk.ts';
import { DISK_PROFILES, type DiskProfile } from './disk/profiles.ts';
import type { Simulation } from './kernel.ts';
import { Network, LAN, type LinkConfig } from './network/network.ts';
import { SimNode, type NodeContext, type NodeFactory, type NodeId, type NodeProgram } from './node.ts';
import type { ParamDefs, ParamValues } from './params.ts';
import type { ProbeTable } from './probes.ts';
import type { Rng } from './prng.ts';
import { Process, ScriptFailure, sleep, type Future, type ProcessBody } from './process.ts';
import { formatNs, ms, type Nanos } from './time.ts';
import { FAULT_KIND_NAMES, type FaultKind } from './faults.ts';

/** A scenario: its parameters, how long its phases last, and the setup that builds the world. Made with {@link defineScenario}. */
export interface Scenario<P extends ParamDefs = ParamDefs> {
  /** Kebab-case, unique: what `detsim run <name>` takes. Prefix with the system (raft-, crdt-). */
  name: string;
  /** One line for `detsim list`. */
  description: string;
  /** Typed parameters (see {@link param}); spread `...faultParams()` in for the standard faults. */
  params: P;
  /**
   * Why these values cannot run together by design (a one-line message naming the parameters and
   * what is allowed), or nothing. Asked before setup: a run whose values it refuses is not run, and
   * the CLI reports the message as a user error (exit 2), as it does a value outside its range. The
   * swarm ranges must never draw a refused combination: only pinned values may make one.
   */
  checkParams?(p: ParamValues<P>): string | null | undefined;
  /** Length of the fault phase in simulated ns. */
  durationNs: Nanos | ((p: ParamValues<P>) => Nanos);
  /** After the faults stop, how long the liveness properties have to hold. Default 30 s. */
  livenessBoundNs?: Nanos | ((p: ParamValues<P>) => Nanos);
  /** How often safety checks and liveness properties are polled. Default 10 ms. */
  checkIntervalNs?: Nanos;
  /** Events after which the run is declared stuck ("no progress"). Default 20 million. */
  maxEvents?: number;
  /**
   * Probes or sometimes-assertions this scenario exists to reach: a sweep in which no seed reaches
   * one of them fails with a message naming it (a green sweep that never got there proves little).
   */
  mustReach?: readonly string[];
  /**
   * Why this scenario checks nothing on purpose (a demo, a measurement). Without it, a run that
   * made no check (no safety check, liveness property, script, `w.check`, `w.until` or check
   * declared with `w.declareCheck`) ends NOTHING CHECKED (outcome `unchecked`, a failure), never
   * a pass: a run that only did not crash proves nothing.
   */
  checksNothing?: string;
  /** Builds the world: nodes, clients, nemesis, invariants. Runs once, at time 0. */
  setup(w: World<ParamValues<P>>, p: ParamValues<P>): void;
}

/** Declares a scenario; the identity function, there for type inference. */
export function defineScenario<P extends ParamDefs>(s: Scenario<P>): Scenario<P> {
  return s;
}

/** Options of `w.addNode`. */
export interface NodeOptions {
  /** 'client' nodes run workloads; the liveness phase restarts only crashed 'server' nodes. */
  kind?: 'server' | 'client';
  /** The node's clock error (default: perfect; `standardNemesis` skews clocks by the clock parameters). */
  clock?: ClockOptions;
  /** The node's disk profile (default NVMe). */
  disk?: DiskProfile;
}

/** A safety check: return a message when the invariant is violated, else nothing. */
export type SafetyCheck = () => string | null | undefined | void;
/** A liveness check: return `true` once the property holds, else why not yet. */
export type LivenessCheck = () => true | string;

/** An invariant that did not hold: which, when, and what was wrong. */
export interface Violation {
  /** The invariant's name. */
  invariant: string;
  /** Simulated time of the violation. */
  atNs: Nanos;
  /** Index of the event during which it was found. */
  eventIndex: number;
  /** What was wrong. */
  message: string;
  /** For a linearizability failure: the history as a picture (the timeline draws it). */
  history?: HistoryView;
}

/** Options of {@link World.until}: the bound, and what is awaited (for the failure message). */
export interface UntilOptions {
  /** Simulated time the condition has, from the call: past it the run fails. */
  within: Nanos;
  /** What is awaited, for people: "a leader", "n3 caught up". The failure reads "<what>: not within <bound> ...". */
  what: string;
  /** How often the condition is evaluated (default 1 ms of simulated time). */
  everyNs?: Nanos;
  /** Describes the state when the bound passes (appended to the failure message), e.g. who leads which term. */
  state?: () => string;
  /** The violation's name (default `script`). */
  invariant?: string;
}

/** How a run's fault phase ended early: `World.finish()`, or every script returned. */
export interface ScriptFinish {
  /** When (true simulated time): the fault phase ended here. */
  atNs: Nanos;
  /** Who ended it, e.g. 'script "failover" returned'. */
  by: string;
}

/** A run's phase: setup, the fault phase (workload and nemesis), then the liveness phase (faults stopped). */
export type Phase = 'setup' | 'fault' | 'liveness';

/** What a scenario's setup builds the run from. */
export class World<PV = Record<string, unknown>> {
  /** The network every node is on. */
  readonly net: Network;
  /** Failure domains of the devices. */
  readonly domains = new FailureDomains();
  /** Every node, servers and clients, in the order added. */
  readonly nodes: SimNode[] = [];
  /** Every device added with `addDevice`. */
  readonly devices: Device[] = [];
  /** Set by the runner. */
  phase: Phase = 'setup';
  /** @internal */ readonly safetyChecks: { name: string; check: SafetyCheck }[] = [];
  /** @internal */ readonly livenessChecks: { name: string; check: LivenessCheck }[] = [];
  /** @internal */ readonly sometimesChecks: { name: string; check: () => boolean }[] = [];
  /** @internal */ readonly healHooks: (() => void)[] = [];
  /** @internal */ readonly violations: Violation[] = [];
  /** @internal */ readonly nemeses: Process[] = [];
  /** @internal */ readonly scripts: { name: string; process: Process; done: boolean }[] = [];
  /** @internal Invariants declared with `declareCheck`: checked by the scenario's own `violation` calls. */
  readonly declaredChecks = new Set<string>();
  /** @internal Calls of `check` and `until`: checks made outside the registered ones. */
  checksMade = 0;
  /** @internal What running `until`s wait for (for the message when the fault phase ends first). */
  readonly awaiting = new Map<number, string>();
  private untilIds = 0;
  /** Set when the fault phase ended early (`finish()`, or every script returned); read by the runner. */
  finished: ScriptFinish | null = null;
  /**
   * Figures the scenario reports in the run's JSON (`metrics`). A metric whose value is an array
   * of strings is printed line by line in the terminal report (a table, say).
   */
  readonly metrics: Record<string, unknown> = {};
  /**
   * Client operations finished so far (a system's workload calls `clientOp()` once per operation
   * answered): the runner reports `metrics.messages.perClientOp`, the network's messages divided by it.
   */
  clientOps = 0;

  /** Counts one finished client operation (see `clientOps`). */
  clientOp(n = 1): void {
    this.clientOps += n;
  }

  constructor(
    /** The simulation (clock, scheduler, BUGGIFY, trace). */
    readonly sim: Simulation,
    /** The run's parameter values. */
    readonly params: PV,
    linkDefaults: LinkConfig = LAN,
  ) {
    this.net = new Network(sim, linkDefaults);
  }

  /** True simulated time. For invariants and reports; node programs use ctx.now(). */
  get now(): Nanos {
    return this.sim.now;
  }

  /** A named random stream of this run (for workloads and nemeses). */
  rng(name: string): Rng {
    return this.sim.rng(name);
  }

  /** Adds a node; it starts when setup returns (at time 0). */
  addNode<P extends NodeProgram>(id: NodeId, factory: NodeFactory<P>, opts: NodeOptions = {}): SimNode<P> {
    assert(/^[A-Za-z0-9_.:-]+$/.test(id), `node id "${id}" must be letters, digits, _ . : -`);
    const disk = new Disk(this.sim, id, this.sim.rng(`disk/${id}`), opts.disk ?? DISK_PROFILES.nvme);
    const node = new SimNode<P>(this.sim, this.net, id, this.nodes.length, opts.kind ?? 'server', factory, new LocalClock(opts.clock ?? PERFECT_CLOCK), disk);
    this.net.attach(node as unknown as SimNode);
    this.nodes.push(node as unknown as SimNode);
    return node;
  }

  /** Adds a client node running one process (the workload). */
  addClient(id: NodeId, body: (ctx: NodeContext) => ProcessBody, opts: Omit<NodeOptions, 'kind'> = {}): SimNode {
    return this.addNode(id, (ctx) => {
      ctx.spawn('main', body(ctx));
      return {};
    }, { ...opts, kind: 'client' });
  }

  /** The node named `id`. */
  node(id: NodeId): SimNode {
    return this.net.node(id);
  }

  /** The server nodes, in creation order. */
  get servers(): SimNode[] {
    return this.nodes.filter((n) => n.kind === 'server');
  }

  /** Adds a device (its failure domain is registered too). */
  addDevice<D extends Device>(make: (sim: Simulation) => D): D {
    const d = make(this.sim);
    this.devices.push(d);
    this.domains.register(d);
    return d;
  }

  /** Builds a plain Device; hardware models subclass Device instead. */
  plainDevice(opts: DeviceOptions): Device {
    return this.addDevice((sim) => new Device(sim, opts));
  }

  /**
   * Starts a fault-schedule process. It runs during the fault phase only: the runner kills it
   * when the liveness phase begins.
   */
  nemesis(name: string, body: ProcessBody | (() => ProcessBody)): void {
    this.nemeses.push(new Process(this.sim, `nemesis/${name}`, typeof body === 'function' ? body() : body));
  }

  /**
   * Starts a scripted test: a deterministic sequence of steps (crash the leader, wait for a new
   * one within a bound, check a figure) instead of, or beside, a random nemesis. The script is a
   * generator, as every process here is (the kernel runs synchronously, so `await` cannot run in
   * simulated time: `yield*` takes its place):
   *
   * ```ts
   * w.script('failover', function* () {
   *   const first = yield* w.until(() => cluster.leader(), { within: sec(5), what: 'a leader' });
   *   first.crash();
   *   yield* w.until(() => cluster.leader() !== first && cluster.leader(), { within: sec(3), what: 'a new leader' });
   *   w.check(cluster.leader()!.program!.host.raft.term > 1, 'the new leader is in a later term');
   * });
   * ```
   *
   * When every script has returned (or one calls `finish()`), the fault phase ends there: the run
   * goes on to its liveness phase (if it declares liveness properties: they must hold within the
   * bound as always) and its report shows the real end, not the declared `durationNs`, which is
   * the script's time limit: a script still running when it passes fails the run (its remaining
   * checks never ran).
   */
  script(name: string, body: ProcessBody | (() => ProcessBody)): Process {
    assert(this.phase === 'setup', `w.script("${name}") must be called in setup`);
    const entry = { name, process: null as unknown as Process, done: false };
    const gen = typeof body === 'function' ? body() : body;
    const self = this;
    entry.process = new Process(this.sim, `script/${name}`, (function* () {
      const r: unknown = yield* gen;
      entry.done = true;
      self.sim.log('-', 'script', `"${name}" returned`);
      if (self.scripts.every((s) => s.done)) self.finish(`script "${name}" returned`);
      return r;
    })());
    this.scripts.push(entry);
    return entry.process;
  }

  /**
   * Waits (`yield*`) until `cond()` returns a value other than `undefined`, `null` or `false`,
   * and returns that value; `cond` is evaluated now and every `everyNs` (1 ms). If `within`
   * passes first, the run fails with the violation `script` (or `opts.invariant`):
   * "<what>: not within <bound> (waited from <t0> to <t1>)", plus `opts.state()`, and the
   * process that waited stops. Usable in any process: a script, a client, a nemesis.
   */
  *until<T>(cond: () => T | undefined | null | false, opts: UntilOptions): Generator<Future<void>, T, unknown> {
    assert(Number.isInteger(opts.within) && opts.within >= 0, `until(${opts.what}): within must be a whole number of ns >= 0, got ${opts.within}`);
    const every = opts.everyNs ?? ms(1);
    assert(Number.isInteger(every) && every > 0, `until(${opts.what}): everyNs must be a whole number of ns > 0, got ${every}`);
    const start = this.sim.now;
    const deadline = start + opts.within;
    this.checksMade++;
    const id = this.untilIds++;
    this.awaiting.set(id, opts.what);
    try {
      for (;;) {
        const v = cond();
        if (v !== undefined && v !== null && v !== false) return v;
        if (this.sim.now >= deadline) {
          const state = opts.state ? `; ${opts.state()}` : '';
          this.fail(`${opts.what}: not within ${formatNs(opts.within)} (waited from ${formatNs(start)} to ${formatNs(this.sim.now)})${state}`, opts.invariant);
        }
        yield sleep(this.sim, Math.min(every, deadline - this.sim.now));
      }
    } finally {
      this.awaiting.delete(id);
    }
  }

  /**
   * A mid-run check of a script: if `ok` is false the run fails now with the violation `script`
   * (or `invariant`) and `message`, and the process that checked stops.
   */
  check(ok: boolean, message: string | (() => string), invariant = 'script'): void {
    this.checksMade++;
    if (!ok) this.fail(typeof message === 'function' ? message() : message, invariant);
  }

  /** Fails the run now with the violation `script` (or `invariant`) and `message`; the calling process stops. */
  fail(message: string, invariant = 'script'): never {
    this.violation(invariant, message);
    throw new ScriptFailure(`${invariant}: ${message}`);
  }

  /**
   * Ends the fault phase after the current event: the run goes on to the liveness phase (if it
   * has liveness properties) and its report shows this as the end of the fault phase. For
   * scripts; returning from every script does the same. Called in the liveness phase, it does nothing.
   */
  finish(by = 'w.finish()'): void {
    if (this.phase !== 'fault' || this.finished !== null) return;
    this.finished = { atNs: this.sim.now, by };
    this.sim.log('-', 'finish', by);
    this.sim.stop();
  }

  /** Starts a free-standing process (not on any node, never crashed). */
  spawn<R>(name: string, body: ProcessBody<R>): Process<R> {
    return new Process<R>(this.sim, name, body);
  }

  /**
   * A safety invariant polled every check interval (the scenario's `checkIntervalNs`, default
   * 10 ms): return a message (any string) when it is violated, null/undefined when it holds. A
   * violation shorter than the interval can slip between polls: report such things the moment
   * they happen with `violation()` instead.
   */
  safety(name: string, check: SafetyCheck): void {
    this.safetyChecks.push({ name, check });
  }

  /**
   * Marks that the rare or interesting condition `name` happened (`system:kebab-name`; see
   * sim/probes.ts). Counted in the run's `coverage.probes`; draws no randomness, never changes
   * the trace hash.
   */
  probe(name: string): void {
    this.sim.probes.hit(name);
  }

  /**
   * Declares probes (a `defineProbes` table) so the run's coverage lists the ones never hit.
   * Systems' kits call this when they set up their cluster; scenarios may declare their own.
   */
  declareProbes(table: ProbeTable): void {
    this.sim.probes.declare(table);
  }

  /**
   * A sometimes-assertion: `cond` must be true in at least one run of a sweep (the counterpart
   * of a safety invariant, which must hold always). A function is polled with the safety checks
   * (every check interval, both phases, and once at the end); a boolean records the condition's
   * value now (call it where the condition can change: the event-driven form). Either way the
   * run's `coverage.sometimes[name]` is true once the condition has held.
   */
  sometimes(name: string, cond: boolean | (() => boolean)): void {
    if (typeof cond === 'function') {
      this.sim.probes.registerSometimes(name);
      this.sometimesChecks.push({ name, check: cond });
    } else this.sim.probes.observeSometimes(name, cond);
  }

  /** @internal Polls the function-form sometimes-assertions not yet true. */
  pollSometimes(): void {
    const p = this.sim.probes;
    for (const s of this.sometimesChecks) if (!p.sometimesHeld(s.name)) p.observeSometimes(s.name, s.check() === true);
  }

  /**
   * Invariants whose violations are logged but do not fail the run (RunOptions.ignoreInvariants).
   * For bug-zoo tests that show what one checker alone catches: the same seeds with it switched off.
   */
  readonly ignoredInvariants = new Set<string>();

  /**
   * Reports a safety violation found by an event-driven check. The run stops after this event.
   * `extra.history` attaches the offending client history, drawn by the timeline.
   */
  violation(invariant: string, message: string, extra: { history?: HistoryView | null } = {}): void {
    // Untyped scenario code may hand anything: the report must stay plain data (a promise or a
    // function in it could not be sent from the run's thread, and the command died with a stack).
    if (typeof invariant !== 'string') invariant = String(invariant as unknown as string | symbol);
    if (typeof message !== 'string') message = `(the violation's message is not a string: ${String(message as unknown)})`;
    if (this.ignoredInvariants.has(invariant)) {
      this.sim.log('-', 'violation-ignored', `${invariant}: ${message}`);
      return;
    }
    this.violations.push({ invariant, atNs: this.sim.now, eventIndex: this.sim.events - 1, message, ...(extra.history ? { history: extra.history } : {}) });
    this.sim.log('-', 'VIOLATION', `${invariant}: ${message}`);
    this.sim.stop();
  }

  /**
   * Declares an invariant this scenario checks itself by calling `violation(name, ...)` from its
   * own hooks (an oracle watching messages, a milestone hook). Such checks are invisible until one
   * fails, so a run with no other check counts as checked only when it declares them; else it
   * ends NOTHING CHECKED (see Scenario.checksNothing).
   */
  declareCheck(name: string): void {
    this.declaredChecks.add(name);
  }

  /** @internal How many checks the run registered, declared or made so far. */
  checkCount(): number {
    return this.safetyChecks.length + this.livenessChecks.length + this.scripts.length + this.declaredChecks.size + this.checksMade;
  }

  /**
   * A liveness property: after the faults stop it must return true within the liveness bound.
   * While it does not, it returns why (shown in the report if the bound passes).
   */
  liveness(name: string, check: LivenessCheck): void {
    this.livenessChecks.push({ name, check });
  }

  /**
   * Runs `fn` when the liveness phase begins, after the standard healing. A scenario without
   * liveness properties has no liveness phase (it ends with its fault phase), so its hooks never run.
   */
  onHeal(fn: () => void): void {
    this.healHooks.push(fn);
  }

  /**
   * Calls `fn(node, kind, detail)` right after every protocol milestone a node reports
   * (`ctx.milestone`), synchronously, inside the node's event: to strike at that moment, schedule
   * the fault (`w.sim.schedule(0, ...)`) so it lands after the event, as directed nemeses do.
   */
  onMilestone(fn: (node: NodeId, kind: string, detail: string) => void): void {
    this.sim.onMilestone(fn);
  }

  /**
   * Called after every fault a script's player applies (sim/script-player.ts), as a nemesis's
   * `afterChange` is after its own: an oracle tracking ground truth re-reads it.
   */
  readonly faultListeners: (() => void)[] = [];

  /** Fault kinds this run's nemeses switched on (see sim/faults.ts), in the order enabled. */
  readonly faults = new Set<FaultKind>();

  /** Records that a nemesis switched fault kind `kind` on for this run (for coverage reports). */
  enableFault(kind: FaultKind): void {
    assert(FAULT_KIND_NAMES.has(kind), `unknown fault kind "${kind}": add it to FAULT_KINDS in sim/faults.ts`);
    if (!this.faults.has(kind)) {
      this.faults.add(kind);
      this.sim.log('-', 'fault-enabled', kind);
    }
  }

  /** A line in the trace from the scenario itself. */
  log(kind: string, detail = ''): void {
    this.sim.log('-', kind, detail);
  }

  /**
   * @internal The standard healing at the start of the liveness phase: nemeses stop, BUGGIFY
   * stops firing, partitions and clogs heal, network and disk faults stop, paused nodes resume,
   * crashed servers and devices restart; then the scenario's own hooks run.
   */
  heal(): void {
    for (const n of this.nemeses) n.kill();
    for (const s of this.scripts) s.process.kill();
    this.sim.buggify.quiesce();
    this.net.heal();
    this.net.clearFaults();
    // Devices first: a node that starts may need its NIC or SSD already up.
    for (const d of this.devices) {
      d.slowFactor = 1;
      if (d.state !== 'up') d.restart();
    }
    for (const n of this.nodes) {
      n.disk.heal();
      if (n.state === 'paused') n.resume();
      else if (n.state === 'down' && n.kind === 'server') n.start();
    }
    for (const h of this.healHooks) h();
  }
}
