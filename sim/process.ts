/**
 * Sequential code on the kernel without real async, in the style of SimPy: a process is a
 * generator that yields what it waits for, and the kernel resumes it when that happens.
 *
 *   function* client(ctx) {
 *     yield sleep(ctx, ms(10));                 // wait 10 ms of simulated time
 *     const reply = yield* wait(ctx.call('n1', { op: 'get' }, ms(500)));   // typed result
 *   }
 *
 * Everything a process can wait for is a `Future`. A process is itself a Future of its return
 * value, so "wait for that process" is "wait for that Future".
 */
import { AssertionError, assert } from './assert.ts';
import type { Simulation } from './kernel.ts';
import type { Nanos } from './time.ts';

/**
 * Thrown by a failed scripted check (`World.check`, `World.until` past its bound, `World.fail`)
 * after the violation is recorded: it ends the process that made the check (a process stops at
 * it quietly; the run stops after the event, failed by that violation).
 */
export class ScriptFailure extends Error {
  /** Always "ScriptFailure". */
  override name = 'ScriptFailure';
}

/** A waiter of a {@link Future}. */
export type Callback<T> = (value: T) => void;

/** A value that becomes available later, once. */
export class Future<T = unknown> {
  private _done = false;
  private _value: T | undefined;
  // Stored without T so that Future<T> is covariant (a Future<void> is a Future<unknown>).
  // The first waiter in a field of its own and the rest in an array made only for a second one:
  // most futures (a timer, a call) have one waiter, and a future per event is the hot path.
  private waiter: Callback<never> | null = null;
  private waiters: Callback<never>[] | null = null;

  /**
   * `gate`, when given, runs each waiter (a future made by a node runs its waiters through the
   * node, so they are deferred while it is paused and dropped once it has crashed).
   */
  constructor(
    private readonly sim: Simulation,
    private readonly gate: ((fn: () => void) => void) | null = null,
  ) {}

  /** True once resolved. */
  get done(): boolean {
    return this._done;
  }

  /** The value; only valid once done. */
  get value(): T {
    assert(this._done, 'Future.value read before the future resolved');
    return this._value as T;
  }

  /**
   * Resolves the future. Waiters are resumed in a new kernel event at the current time, never
   * synchronously, so resolving never re-enters the resolver's code. Resolving twice is ignored
   * (the first value wins), which makes "first of reply or timeout" races simple.
   */
  resolve(value: T): void {
    if (this._done) return;
    this._done = true;
    this._value = value;
    if (this.waiter !== null) this.sim.scheduleWith(0, runWaiters, this as Future<unknown>);
  }

  /** Calls `cb` with the value once resolved (in a later kernel event if already resolved). */
  then(cb: Callback<T>): void {
    if (!this._done) {
      if (this.waiter === null) this.waiter = cb as Callback<never>;
      else (this.waiters ??= []).push(cb as Callback<never>);
    } else {
      const v = this._value as T;
      this.sim.schedule(0, () => this.run(cb, v));
    }
  }

  /** @internal Runs the waiters registered before `resolve`, in order (the event `resolve` scheduled). */
  runWaiters(): void {
    const first = this.waiter as unknown as Callback<T>;
    const rest = this.waiters as unknown as Callback<T>[] | null;
    this.waiter = null;
    this.waiters = null;
    const v = this._value as T;
    this.run(first, v);
    if (rest !== null) for (const cb of rest) this.run(cb, v);
  }

  private run(cb: Callback<T>, v: T): void {
    if (this.gate === null) cb(v);
    else this.gate(() => cb(v));
  }
}

/** The event a future's `resolve` schedules: shared, so resolving allocates no closure. */
function runWaiters(f: Future<unknown>): void {
  f.runWaiters();
}

/** A future that resolves after `delayNs` of true simulated time. */
export function sleep(sim: Simulation, delayNs: Nanos): Future<void> {
  const f = new Future<void>(sim);
  sim.schedule(delayNs, () => f.resolve(undefined));
  return f;
}

/** The typed form of `yield f`: `const v = yield* wait(f)`. */
export function* wait<T>(f: Future<T>): Generator<Future<T>, T, unknown> {
  return (yield f) as T;
}

/** What {@link firstOf} resolves to: which future resolved first, and its value. */
export interface FirstOf<T> {
  /** The index of the first future to resolve. */
  index: number;
  /** Its value. */
  value: T;
}

/** Resolves with the index and value of the first of `futures` to resolve. */
export function firstOf<T>(sim: Simulation, futures: Future<T>[]): Future<FirstOf<T>> {
  const out = new Future<FirstOf<T>>(sim);
  futures.forEach((f, index) => f.then((value) => out.resolve({ index, value })));
  return out;
}

/** Resolves with all values, in order, once all have resolved. */
export function allOf<T>(sim: Simulation, futures: Future<T>[]): Future<T[]> {
  const out = new Future<T[]>(sim);
  const values = new Array<T>(futures.length);
  let left = futures.length;
  if (left === 0) out.resolve([]);
  futures.forEach((f, i) =>
    f.then((v) => {
      values[i] = v;
      if (--left === 0) out.resolve(values);
    }),
  );
  return out;
}

/** A process body: a generator yielding Futures; `yield f` evaluates to f's value (typed `any` by TS's generator rules: use `yield* wait(f)` for a typed result). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ProcessBody<R = unknown> = Generator<Future<unknown>, R, any>;

/**
 * A running generator. It is resumed by the kernel when the future it yielded resolves. `kill()`
 * stops it for good (a crashed node's processes are killed); its own future then never resolves.
 */
export class Process<R = unknown> extends Future<R> {
  private alive = true;
  /**
   * The awaited future's value, and the two callbacks that carry it to `resume`, made once per
   * process (not twice per step): a process awaits one future at a time, so one slot holds it.
   */
  private input: unknown = undefined;
  private readonly onSettled: (v: unknown) => void;
  private readonly resumeWithInput: () => void;

  constructor(
    sim: Simulation,
    /** The process's name (in traces and errors). */
    readonly name: string,
    private readonly body: ProcessBody<R>,
    /** Called to run each resumption, so an owner (a node) can gate or defer it. */
    private readonly stepGate: (resume: () => void) => void = (r) => r(),
  ) {
    super(sim);
    sim.schedule(0, () => this.stepGate(() => this.resume(undefined)));
    this.onSettled = (v: unknown) => {
      this.input = v;
      this.stepGate(this.resumeWithInput);
    };
    this.resumeWithInput = () => this.resume(this.input);
  }

  /** True while the process has not finished. */
  get running(): boolean {
    return this.alive && !this.done;
  }

  /** Stops the process: it never resumes, and (as a future) it never resolves. */
  kill(): void {
    this.alive = false;
  }

  private resume(input: unknown): void {
    if (!this.alive) return;
    let r: IteratorResult<Future<unknown>, R>;
    try {
      r = this.body.next(input);
    } catch (e) {
      // A failed scripted check: its violation is recorded and the run stops; this process ends.
      if (e instanceof ScriptFailure) {
        this.alive = false;
        return;
      }
      throw e;
    }
    if (r.done) {
      this.alive = false;
      this.resolve(r.value);
      return;
    }
    const awaited = r.value;
    if (!(awaited instanceof Future)) {
      throw new AssertionError(`process ${this.name} yielded ${String(awaited)}; a process may only yield a Future (use sleep(), wait(), ctx.call())`);
    }
    awaited.then(this.onSettled);
  }
}
