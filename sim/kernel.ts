/**
 * The simulation kernel: a virtual clock and an event queue, and nothing else of the world.
 * Like SimPy's Environment, it runs callbacks in (time, sequence) order; networks, disks, nodes
 * and processes are built on `schedule`.
 *
 * Time only moves when the next event is popped. Nothing here reads the real clock.
 */
import { AssertionError } from './assert.ts';
import { Buggify, DEFAULT_BUGGIFY, type BuggifyOptions } from './buggify.ts';
import { Decisions, type ScriptEntry } from './decisions.ts';
import { EventQueue, ScheduledEvent } from './event-queue.ts';
import { Probes } from './probes.ts';
import { RngRoot, type Rng } from './prng.ts';
import type { Nanos } from './time.ts';
import { Trace, type TraceSink } from './trace.ts';

/** How a simulation starts: its seed, BUGGIFY, where trace records go. */
export interface SimulationOptions {
  /** The seed every random stream derives from. */
  seed: number | string;
  /** BUGGIFY settings over {@link DEFAULT_BUGGIFY}. */
  buggify?: Partial<BuggifyOptions>;
  /** Receives every trace record as it is made (for `--trace file`). */
  traceSink?: TraceSink | null;
  /** How many recent trace records to keep for failure reports. */
  traceRingSize?: number;
  /** Drive the run's faults and workload from this script instead of the PRNG (sim/decisions.ts). */
  script?: readonly ScriptEntry[] | null;
  /**
   * One random stream per directed link (`network/n1>n2`) instead of one for the whole network:
   * a change on one link moves no other link's draws. On by default; false gives the old single
   * `network` stream (repro files made before it became the default replay that way).
   */
  linkStreams?: boolean;
}

/** A subscriber to protocol milestones (Simulation.onMilestone). */
export type MilestoneListener = (node: string, kind: string, detail: string) => void;

/** Why `run` returned. */
export type RunStop = 'idle' | 'until' | 'event-limit' | 'stopped';

/** The kernel: a virtual clock and an event queue. Everything in a run happens in its events, one at a time, in a order fixed by the seed. */
export class Simulation {
  /** The seed, as a string. */
  readonly seed: string;
  /** The root of the run's named random streams. */
  readonly rngRoot: RngRoot;
  /** The run's BUGGIFY. */
  readonly buggify: Buggify;
  /** The run's trace: every record is hashed into the trace hash. */
  readonly trace: Trace;
  /** The run's probe counters (see sim/probes.ts). */
  readonly probes: Probes;
  /** The run's faults and workload operations, recorded by meaning or taken from a script. */
  readonly decisions: Decisions;
  /** One random stream per directed link (SimulationOptions.linkStreams). */
  readonly linkStreams: boolean;
  private readonly queue = new EventQueue();
  private seq = 0;
  private _now: Nanos = 0;
  private _events = 0;
  private stopRequested = false;

  constructor(opts: SimulationOptions) {
    this.seed = String(opts.seed);
    this.rngRoot = new RngRoot(this.seed);
    this.linkStreams = opts.linkStreams ?? true;
    this.buggify = new Buggify(this.rngRoot, { ...DEFAULT_BUGGIFY, ...opts.buggify });
    this.buggify.onFire = (site, node) => this.log(node, 'buggify', site);
    this.decisions = new Decisions(() => this._now, opts.script ?? null, () => this.eventOfInstant, () => this.tailAt);
    const d = this.decisions;
    // The keyed entry is built only when it can differ from the draw (Decisions.keyed): most reaches do not fire.
    this.buggify.decide = (site, node, n, drawn) => (d.keyed(drawn) ? d.decide({ kind: 'buggify', site, n, node }, drawn) !== null : drawn);
    this.trace = new Trace(opts.traceRingSize ?? 400, opts.traceSink ?? null);
    // A probe's first hit is a trace line for people, unhashed: probes never change a run's hash.
    this.probes = new Probes((name, node) => this.trace.note(this._now, Math.max(0, this._events - 1), node, 'probe', name));
  }

  /** True simulated time in nanoseconds. */
  get now(): Nanos {
    return this._now;
  }

  /** How many events have executed. The current event's index is `events - 1`. */
  get events(): number {
    return this._events;
  }

  /** Events still queued (including lazily cancelled ones). */
  get pending(): number {
    return this.queue.size;
  }

  /** A named random stream derived from the run's seed. */
  rng(name: string): Rng {
    return this.rngRoot.stream(name);
  }

  /** Why the run is over (see close); null while it runs. */
  private closedBy: string | null = null;

  /**
   * Ends the kernel's life: every later schedule throws. The run's checks are done, so nothing
   * may happen in the simulation any more; the likeliest culprit is an async callback resuming
   * after its `await` (its rest runs only once the synchronous run has returned), whose sends and
   * timers would otherwise vanish silently while the run reports a verdict without them. The
   * throw rejects that callback's promise, which the CLI reports as the run's failure.
   */
  close(why: string): void {
    this.closedBy = why;
  }

  /** Runs `fn` after `delayNs` (an integer >= 0). Returns a handle whose `cancel()` stops it. */
  schedule(delayNs: Nanos, fn: () => void): ScheduledEvent {
    if (this.closedBy !== null) afterClose(this.closedBy);
    if (!(delayNs >= 0 && Number.isInteger(delayNs))) badDelay(delayNs);
    const ev = new ScheduledEvent(this._now + delayNs, this.seq++, fn);
    this.queue.push(ev);
    return ev;
  }

  /** Runs `fn` at the absolute instant `timeNs` (not in the past). */
  at(timeNs: Nanos, fn: () => void): ScheduledEvent {
    return this.schedule(timeNs - this._now, fn);
  }

  /**
   * Runs `fn` at the end of the event now executing, as part of it (no event of its own),
   * after every function queued before it this way (its "tail"); false (and nothing queued)
   * outside an event (world set-up), where the caller schedules an event instead. For work that
   * inputs of one event should share and that must not wait behind other events (a Raft host's
   * Ready loop). A script's hooks due before an event count as part of it: work they queue runs at
   * that event's end, as it did in the recorded run, where the fault was made inside the event.
   */
  atEventEnd(fn: () => void): boolean {
    return this.atEventEndWith(fn, undefined);
  }

  /** `atEventEnd` of `fn(arg)`: no closure per call (for hot paths). */
  atEventEndWith<A>(fn: (arg: A) => void, arg: A): boolean {
    if (!this.inEvent) return false;
    this.tail.push(fn as (arg: unknown) => void, arg);
    return true;
  }

  private inEvent = false;
  /** The current event's tail as (fn, arg) pairs: one array for the run, no object per entry. */
  private readonly tail: unknown[] = [];
  /** Which function of its event's tail is running (-1: the event's own callback, or no event). */
  private tailAt = -1;

  /**
   * Where in its instant the code now running is: the number of events of this instant that ran
   * before the current one, and which function of the current event's tail runs (-1: none, the
   * event's own callback). A fault recorded here replays at the same point (atEventOfInstant).
   */
  get eventOfInstant(): number {
    return this._events - 1 - this.instantFirst;
  }

  /** See eventOfInstant: the index of the tail function now running, or -1. */
  get tailOfEvent(): number {
    return this.tailAt;
  }

  /**
   * Runs `fn` at `timeNs` after every other event of that instant, whenever scheduled: a script's
   * fault lands after the events it followed in the recorded run (a directed strike right after a
   * milestone, say).
   */
  atLate(timeNs: Nanos, fn: () => void): ScheduledEvent {
    if (this.closedBy !== null) afterClose(this.closedBy);
    const delayNs = timeNs - this._now;
    if (!(delayNs >= 0 && Number.isInteger(delayNs))) badDelay(delayNs);
    const ev = new ScheduledEvent(timeNs, LATE_SEQ + this.lateSeq++, fn);
    this.queue.push(ev);
    return ev;
  }

  private lateSeq = 0;
  /** The index of the first event of the current instant (events before it ran at earlier times). */
  private instantFirst = 0;
  /** Hooks due at a given point of an instant (see atEventOfInstant), in (time, k, tail, prio) order. */
  private hooks: { time: Nanos; k: number; tail: number; prio: number; fn: () => void; fallback: ScheduledEvent }[] = [];
  private hookTime = Infinity;

  /**
   * Runs `fn` at `timeNs` just before the `k`-th event of that instant (0: before the first), or
   * after the instant's last event if it has fewer: a script's fault lands where it landed in the
   * recorded run, between the same two events (a partition made inside a node's handler, before
   * the messages of the next event leave). With `tail` >= 0 it runs inside the `k`-th event
   * instead, just before the `tail`-th function of its tail (atEventEnd; after the last if there
   * are fewer): a fault made by a Raft host's Ready loop, which runs at the end of the event that
   * made its work, lands before the same Ready on replay. Of hooks due at one point, lower `prio`
   * runs first (a fault's end, 0, before a fault's start, 1, as a heal precedes the next cut).
   */
  atEventOfInstant(timeNs: Nanos, k: number, fn: () => void, prio = 1, tail = -1): void {
    const h = { time: timeNs, k, tail, prio, fn, fallback: null as unknown as ScheduledEvent };
    h.fallback = this.atLate(timeNs, () => {
      this.hooks.splice(this.hooks.indexOf(h), 1);
      this.hookTime = this.hooks[0]?.time ?? Infinity;
      fn();
    });
    let i = this.hooks.length;
    const after = (o: typeof h): boolean =>
      o.time > timeNs || (o.time === timeNs && (o.k > k || (o.k === k && (o.tail > tail || (o.tail === tail && o.prio > prio)))));
    while (i > 0 && after(this.hooks[i - 1]!)) i--;
    this.hooks.splice(i, 0, h);
    this.hookTime = this.hooks[0]!.time;
  }

  /**
   * Runs the hooks due before the event about to run at `time` (the instant's
   * `this._events - instantFirst`-th): those of earlier events, and this one's that are not in
   * its tail.
   */
  private runHooks(time: Nanos): void {
    const cur = this._events - this.instantFirst;
    for (;;) {
      const h = this.hooks[0];
      if (h === undefined || h.time !== time || h.k > cur || (h.k === cur && h.tail >= 0)) break;
      this.runHook(h);
    }
  }

  /** Runs the hooks due in the current event's tail before its function `i` (all that are left once `i` is past its end). */
  private runTailHooks(time: Nanos, i: number): void {
    const cur = this._events - 1 - this.instantFirst;
    for (;;) {
      const h = this.hooks[0];
      if (h === undefined || h.time !== time || h.k !== cur || (h.tail > i && i < this.tail.length >> 1)) break;
      this.runHook(h);
    }
  }

  private runHook(h: (typeof this.hooks)[number]): void {
    this.hooks.shift();
    this.hookTime = this.hooks[0]?.time ?? Infinity;
    h.fallback.cancel();
    h.fn();
  }

  /** Runs `fn(arg)` after `delayNs`: no closure per event (for hot paths). */
  scheduleWith<A>(delayNs: Nanos, fn: (arg: A) => void, arg: A): ScheduledEvent {
    if (this.closedBy !== null) afterClose(this.closedBy);
    if (!(delayNs >= 0 && Number.isInteger(delayNs))) badDelay(delayNs);
    const ev = new ScheduledEvent(this._now + delayNs, this.seq++, fn, arg);
    this.queue.push(ev);
    return ev;
  }

  /** Runs `fn(arg)` at the absolute instant `timeNs` (not in the past). */
  atWith<A>(timeNs: Nanos, fn: (arg: A) => void, arg: A): ScheduledEvent {
    return this.scheduleWith(timeNs - this._now, fn, arg);
  }

  /** Records a line of the trace (and folds it into the trace hash). */
  log(node: string, kind: string, detail = ''): void {
    this.trace.add(this._now, Math.max(0, this._events - 1), node, kind, detail, null, undefined);
    if (this.logTap !== null) this.logTap(node, kind, detail);
  }

  /**
   * @internal Sees every `log` record (faults, milestones, node logs; not message deliveries):
   * the runner keeps the last faults here to explain a failure (sim/explain.ts).
   */
  logTap: ((node: string, kind: string, detail: string) => void) | null = null;

  /** `logLazy` with the node's and kind's hashes precomputed (`hashString`): the message path. */
  logPrehashed<A>(node: string, nodeHash: number, kind: string, kindHash: number, format: (arg: A) => string, arg: A): void {
    this.trace.addPrehashed(this._now, this._events - 1, node, nodeHash, kind, kindHash, null, format as (a: unknown) => string, arg);
  }

  /**
   * Records a line whose detail is formatted only if someone reads it: `format(arg)`. For hot
   * paths (every message delivery), where building a string per event would dominate.
   */
  logLazy<A>(node: string, kind: string, format: (arg: A) => string, arg: A): void {
    this.trace.add(this._now, Math.max(0, this._events - 1), node, kind, null, format as (a: unknown) => string, arg);
  }

  /**
   * A protocol milestone on `node` (see NodeContext.milestone): traced as kind 'milestone' with
   * detail "kind detail", then every subscriber runs, in subscription order, synchronously.
   */
  milestone(node: string, kind: string, detail = ''): void {
    this.log(node, 'milestone', detail === '' ? kind : `${kind} ${detail}`);
    for (const fn of this.milestoneSubscribers) fn(node, kind, detail);
  }

  /** Calls `fn(node, kind, detail)` at every milestone from now on. */
  onMilestone(fn: MilestoneListener): void {
    this.milestoneSubscribers.push(fn);
  }

  private readonly milestoneSubscribers: MilestoneListener[] = [];

  /** Shorthand for `buggify.fire(site)`. */
  buggifyFire(site: string): boolean {
    return this.buggify.fire(site);
  }

  /** Marks that the rare condition `name` happened (see sim/probes.ts). Draws no randomness. */
  probe(name: string): void {
    this.probes.hit(name);
  }

  /** Asks `run` to return after the current event. */
  stop(): void {
    this.stopRequested = true;
  }

  /** Executes the next live event. Returns false when the queue is empty. */
  step(): boolean {
    for (;;) {
      const ev = this.queue.pop();
      if (ev === undefined) return false;
      if (this.execute(ev)) return true;
    }
  }

  /** Runs a popped event unless it was cancelled; true if it ran. */
  private execute(ev: ScheduledEvent): boolean {
    const fn = ev.fn;
    if (fn === null) return false;
    if (ev.time !== this._now) this.instantFirst = this._events;
    const time = ev.time;
    this.inEvent = true;
    try {
      if (this.hookTime <= time) {
        this._now = time;
        this.runHooks(time);
        // A hook may have cancelled this very event (it was a hook's own fallback): what the
        // hooks queued for its end runs now.
        if (ev.fn === null) {
          this.runTail(time);
          return false;
        }
      }
      ev.fn = null;
      this._now = time;
      this._events++;
      this.trace.mixEvent(time);
      fn(ev.arg);
      this.runTail(time);
    } finally {
      this.inEvent = false;
      this.tailAt = -1;
      if (this.tail.length > 0) this.tail.length = 0;
    }
    return true;
  }

  /** Runs the current event's tail (atEventEnd), and the script's hooks due in it. */
  private runTail(time: Nanos): void {
    // By index: a function run here may queue more (they run in this same event).
    const tail = this.tail;
    for (let i = 0; ; i++) {
      // Set before the hooks: a fault a hook plays is recorded where it was played (a replay's script is its input's).
      this.tailAt = i;
      if (this.hookTime === time) this.runTailHooks(time, i);
      if (2 * i >= tail.length) break;
      (tail[2 * i] as (arg: unknown) => void)(tail[2 * i + 1]);
    }
    this.tailAt = -1;
  }

  /**
   * Runs events until the queue is empty, the next event is later than `untilNs` (time is then
   * advanced to `untilNs`), `maxEvents` have executed in total, or `stop()` is called.
   */
  run(opts: { untilNs?: Nanos; maxEvents?: number } = {}): RunStop {
    const until = opts.untilNs ?? Infinity;
    const maxEvents = opts.maxEvents ?? Infinity;
    this.stopRequested = false;
    const q = this.queue;
    for (;;) {
      if (this.stopRequested) return 'stopped';
      if (this._events >= maxEvents) return 'event-limit';
      const ev = q.peek();
      if (ev === undefined) return 'idle';
      if (ev.time > until) {
        if (until > this._now) this._now = until; // time never runs backwards
        return 'until';
      }
      q.pop();
      this.execute(ev);
    }
  }
}

/** Sequence numbers of late events start here: above any a run reaches (2^52 events). */
const LATE_SEQ = 2 ** 52;

/** Out of line, like badDelay. */
function afterClose(why: string): never {
  throw new AssertionError(`simulated code scheduled an event after ${why}: most likely an async callback resuming after an await, which runs only once the run is over (its sends and timers never happened in the run that was checked); simulated code must not await: use w.spawn processes or timers, which take simulated time`);
}

/** Out of line so the hot schedule path allocates no message closure. */
function badDelay(delayNs: number): never {
  throw new AssertionError(`schedule: delay must be a non-negative integer of ns, got ${delayNs}`);
}
