/**
 * Real timers in a scenario's code, seen by the thread that runs it (cli/run-worker-core.ts,
 * cli/sweep-worker.ts). A run is synchronous and never waits for real time, so a callback given
 * to `setTimeout(fn, 10)` or `setInterval` runs after the verdict, or never (the thread ends): what
 * it would do (a violation, a send) is not in the checked run, and the run passed without it. Such
 * a timer fails the run instead, naming the call; simulated time (`w.sim.schedule`) is the way.
 * Its callback is never called (the thread clears the timer when the run's verdict is taken): run
 * at a wall-clock moment, what it did would depend on the machine's speed (a violation added or
 * not, a throw in the next seed of a sweep).
 *
 * The rule is decided when a timer is made, never by whether it has fired by some wall-clock
 * moment, so the verdict does not depend on how fast the machine is:
 * - made during the run: a timer due at once (`setTimeout(fn)`, 0 or 1 ms) runs before the
 *   verdict (the worker waits for it, as for the rest of an async callback); a longer timeout or
 *   any interval not cleared by then fails the run;
 * - made after the run returned (by the rest of an async callback, after its await): fails the
 *   run whatever its delay, as a schedule on the closed kernel does.
 * `setImmediate` is a timer due at once. The promise timers of `node:timers/promises`
 * (`setTimeout`, `setImmediate`, `setInterval`, `scheduler.wait`, `scheduler.yield`) follow the same
 * rules; one that fails the run never settles (its `await` never resumes), as a failing timer's
 * callback is never called. `queueMicrotask` and `process.nextTick` cannot be left pending: a loop of
 * them never lets the thread go on, and the run's watchdog stops it as a hang.
 *
 * The thread's own waits use `realSetTimeout` and `realSetImmediate`. Outside a watched run the
 * wrappers only pass calls on.
 */
import { syncBuiltinESMExports } from 'node:module';
import timers from 'node:timers';
import timersPromises from 'node:timers/promises';
import type { RunResult } from '../sim/runner.ts';

type AnyFn = (...args: unknown[]) => unknown;

/** The thread's own timer, never counted against a scenario. */
export const realSetTimeout: typeof globalThis.setTimeout = globalThis.setTimeout;
/** The thread's own setImmediate, never counted against a scenario. */
export const realSetImmediate: typeof globalThis.setImmediate = globalThis.setImmediate;

interface Watch {
  /** False once the run returned: every timer made after that is a leftover. */
  running: boolean;
  /** Nothing waits for a timer due at once either (a run in a test's own process: see watchInProcess). */
  strict: boolean;
  /** Timers that fail the run unless cleared, with the call that made them. */
  failing: Map<unknown, string>;
  /** Timers due at once made during the run and not yet fired or cleared (the worker waits for them). */
  dueAtOnce: Set<unknown>;
}

let watch: Watch | null = null;
let installed = false;
/** The real clears, for the timers that fail a run (set by install). */
let clearReal: (t: unknown) => void = () => {};

/** Node's own reading of a delay: anything not in 1..2^31-1 ms is 1 ms. */
function delayMs(ms: unknown): number {
  const n = Number(ms);
  return n >= 1 && n <= 2 ** 31 - 1 ? n : 1;
}

function forget(t: unknown): void {
  if (watch === null || t === undefined || t === null) return;
  for (const set of [watch.failing, watch.dueAtOnce]) {
    if (set.delete(t)) continue;
    // clearTimeout also takes a timer's number (its Symbol.toPrimitive).
    if (typeof t === 'number' || typeof t === 'string') for (const k of set.keys()) if (Number(k) === Number(t)) set.delete(k);
  }
}

/** Replaces setTimeout, setInterval and their clears, global and in node:timers, once per thread. */
function install(): void {
  if (installed) return;
  installed = true;
  const st = globalThis.setTimeout;
  const si = globalThis.setInterval;
  const ct = globalThis.clearTimeout;
  const ci = globalThis.clearInterval;
  const sim = globalThis.setImmediate;
  const cim = globalThis.clearImmediate;
  const setTimeoutWatched = function (this: unknown, cb: unknown, ms?: unknown, ...args: unknown[]): unknown {
    const w = watch;
    if (w === null || typeof cb !== 'function') return Reflect.apply(st, this, [cb, ms, ...args]);
    const delay = delayMs(ms);
    if (!w.running || w.strict || delay > 1) {
      // Fails the run; its callback is never called (see the header).
      const t: unknown = Reflect.apply(st, this, [() => {}, ms]);
      w.failing.set(t, `setTimeout(fn, ${delay} ms)${w.running ? '' : ' after the run had ended'}`);
      return t;
    }
    let t: unknown;
    const fire = function (this: unknown, ...a: unknown[]): unknown {
      w.dueAtOnce.delete(t);
      return (cb as AnyFn).apply(this, a);
    };
    t = Reflect.apply(st, this, [fire, ms, ...args]);
    w.dueAtOnce.add(t);
    return t;
  };
  const setIntervalWatched = function (this: unknown, cb: unknown, ms?: unknown, ...args: unknown[]): unknown {
    if (watch === null || typeof cb !== 'function') return Reflect.apply(si, this, [cb, ms, ...args]);
    // An interval never ends by itself: it fails the run, and its callback is never called.
    const t: unknown = Reflect.apply(si, this, [() => {}, ms]);
    watch.failing.set(t, `setInterval(fn, ${delayMs(ms)} ms)${watch.running ? '' : ' after the run had ended'}`);
    return t;
  };
  const setImmediateWatched = function (this: unknown, cb: unknown, ...args: unknown[]): unknown {
    const w = watch;
    if (w === null || typeof cb !== 'function') return Reflect.apply(sim, this, [cb, ...args]);
    if (!w.running || w.strict) {
      // Made after the run returned (a loop of them would never end): fails the run, never called.
      const t: unknown = Reflect.apply(sim, this, [() => {}]);
      w.failing.set(t, `setImmediate(fn)${w.running ? '' : ' after the run had ended'}`);
      return t;
    }
    let t: unknown;
    const fire = function (this: unknown, ...a: unknown[]): unknown {
      w.dueAtOnce.delete(t);
      return (cb as AnyFn).apply(this, a);
    };
    t = Reflect.apply(sim, this, [fire, ...args]);
    w.dueAtOnce.add(t);
    return t;
  };
  const clearImmediateWatched = function (this: unknown, t?: unknown): void {
    forget(t);
    Reflect.apply(cim, this, [t]);
  };
  const clearTimeoutWatched = function (this: unknown, t?: unknown): void {
    forget(t);
    Reflect.apply(ct, this, [t]);
  };
  const clearIntervalWatched = function (this: unknown, t?: unknown): void {
    forget(t);
    Reflect.apply(ci, this, [t]);
  };
  // util.promisify(setTimeout) and friends read properties of the function itself (Node's getter
  // there reads node:timers/promises, whose timers are the watched ones).
  for (const [wrapped, real] of [
    [setTimeoutWatched, st],
    [setIntervalWatched, si],
  ] as const) {
    for (const key of Reflect.ownKeys(real)) if (!(key in wrapped)) Object.defineProperty(wrapped, key, Object.getOwnPropertyDescriptor(real, key)!);
  }
  for (const key of Reflect.ownKeys(sim)) if (!(key in setImmediateWatched)) Object.defineProperty(setImmediateWatched, key, Object.getOwnPropertyDescriptor(sim, key)!);
  clearReal = (t) => {
    Reflect.apply(ct, globalThis, [t]);
    Reflect.apply(ci, globalThis, [t]);
    Reflect.apply(cim, globalThis, [t]);
  };
  const replace = { setTimeout: setTimeoutWatched, setInterval: setIntervalWatched, setImmediate: setImmediateWatched, clearTimeout: clearTimeoutWatched, clearInterval: clearIntervalWatched, clearImmediate: clearImmediateWatched };
  Object.assign(globalThis, replace);
  Object.assign(timers, replace);
  installPromiseTimers();
  // `import { setTimeout } from 'node:timers'` reads these too.
  syncBuiltinESMExports();
}

/**
 * A promise timer of node:timers/promises, watched: `dueAtOnce` says whether the rules let it run
 * (then the run waits for it to settle); otherwise it fails the run under `what` and never settles.
 */
function watchPromise<T>(what: (w: Watch) => string | null, real: () => Promise<T>): Promise<T> {
  const w = watch;
  if (w === null) return real();
  const failing = what(w);
  if (failing !== null) {
    // A token stands for it (there is no timer to clear): its promise never settles.
    w.failing.set({}, failing);
    return new Promise<T>(() => {});
  }
  const token = {};
  w.dueAtOnce.add(token);
  const p = real();
  const done = (): void => void w.dueAtOnce.delete(token);
  p.then(done, done);
  return p;
}

/** Replaces the timers of node:timers/promises (and `scheduler`) with watched ones. */
function installPromiseTimers(): void {
  const tp = timersPromises as unknown as Record<string, AnyFn> & { scheduler: Record<string, AnyFn> };
  const pst = tp.setTimeout!;
  const psi = tp.setImmediate!;
  const pint = tp.setInterval!;
  const wait = tp.scheduler.wait!.bind(tp.scheduler);
  const yieldNow = tp.scheduler.yield!.bind(tp.scheduler);
  const after = (w: Watch): string => (w.running ? '' : ' after the run had ended');
  const sleep = (name: string, ms: unknown, real: () => Promise<unknown>): Promise<unknown> =>
    watchPromise((w) => (!w.running || w.strict || delayMs(ms) > 1 ? `${name}(${delayMs(ms)} ms)${after(w)}` : null), real);
  const soon = (name: string, real: () => Promise<unknown>): Promise<unknown> => watchPromise((w) => (w.running && !w.strict ? null : `${name}()${after(w)}`), real);
  tp.setTimeout = (ms?: unknown, ...rest: unknown[]) => sleep('timers/promises setTimeout', ms, () => pst(ms, ...rest) as Promise<unknown>);
  tp.setImmediate = (...rest: unknown[]) => soon('timers/promises setImmediate', () => psi(...rest) as Promise<unknown>);
  tp.setInterval = (ms?: unknown, ...rest: unknown[]): unknown => {
    const w = watch;
    if (w === null) return pint(ms, ...rest);
    // An interval never ends by itself: it fails the run, and its loop never gets a tick.
    w.failing.set({}, `timers/promises setInterval(${delayMs(ms)} ms)${after(w)}`);
    return (async function* () {
      await new Promise<never>(() => {});
    })();
  };
  tp.scheduler.wait = (ms?: unknown, ...rest: unknown[]) => sleep('scheduler.wait', ms, () => wait(ms, ...rest) as Promise<unknown>);
  tp.scheduler.yield = () => soon('scheduler.yield', () => yieldNow() as Promise<unknown>);
}

/** Starts watching the timers the scenario makes: call just before the run. */
export function watchRealTimers(strict = false): void {
  install();
  watch = { running: true, strict, failing: new Map(), dueAtOnce: new Set() };
}

/**
 * Runs `fn` (runs of a scenario in this thread, synchronous) watching the real timers they make,
 * and returns what it returned with the timers left pending (phrases as pendingRealTimers gives
 * them; cleared, their callbacks never called). Every timer counts, even one due at once: this is
 * for a process that also runs other code (a test runner), so the verdict is taken the moment the
 * runs return, with no wait in which that other code's timers would be taken for the scenario's.
 * Inside another watch it only calls `fn` (the outer watch judges).
 */
export function watchInProcess<T>(fn: () => T): { value: T; pending: string[] } {
  if (watch !== null) return { value: fn(), pending: [] };
  watchRealTimers(true);
  let pending: string[] = [];
  let value: T;
  try {
    value = fn();
  } finally {
    runReturned();
    pending = pendingRealTimers();
  }
  return { value, pending };
}

/** The run returned: timers made from now on are leftovers. */
export function runReturned(): void {
  if (watch !== null) watch.running = false;
}

/** True when a timer due at once, made during the run, has not run yet (the worker waits for it). */
export function timersDueAtOnce(): boolean {
  return watch !== null && watch.dueAtOnce.size > 0;
}

/**
 * Stops watching and clears the timers that fail the run; returns one phrase per kind, e.g.
 * "setTimeout(fn, 10 ms) x3", or an empty list.
 */
export function pendingRealTimers(): string[] {
  const w = watch;
  watch = null;
  if (w === null) return [];
  const counts = new Map<string, number>();
  for (const [t, what] of w.failing) {
    clearReal(t);
    counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  return [...counts].map(([what, n]) => (n === 1 ? what : `${what} x${n}`));
}

/**
 * Fails the run's report, in place, by the real timers it left pending (no change when there are
 * none). In place, not a spread: a spread would read `script`, built when first read.
 */
export function failOnRealTimers(r: RunResult, pending: string[]): void {
  if (pending.length === 0) return;
  const message = `the scenario set a real timer that had not run when the run ended (${pending.join(', ')}): a run never waits for real time, so its callback would run outside the checked run, and was not run; schedule it in simulated time with w.sim.schedule(delayNs, fn), or clear it before the run ends`;
  if (r.ok) r.outcome = 'crash';
  r.ok = false;
  r.violations = [...r.violations, { invariant: 'real-timer', atNs: r.simTimeNs, eventIndex: r.events, message }];
}
