/**
 * Scripted runs by meaning, for tests a person reads and edits (what `detsim export` writes):
 * a list of faults and client operations at simulated times, played into a scenario instead of
 * its nemesis's own random faults (sim/decisions.ts). Delete a line, move a crash, shorten a
 * partition, and run the test again.
 *
 * @example
 * ```ts
 * import { it } from 'vitest';
 * import { sec, ms } from 'detsim';
 * import { at, crash, isolate, expectVerdict, runScript } from 'detsim/testing';
 *
 * it('the stale leader serves no read after it is cut off', async () => {
 *   const r = await runScript({
 *     scenario: 'raft-leader-isolated', seed: 3, params: { bug: 'none' },
 *     script: [at(sec(1.2), isolate('n1', { for: ms(800) })), at(sec(2.5), crash('n2', { for: ms(300) }))],
 *   });
 *   expectVerdict(r, { verdict: 'hold' });
 * });
 * ```
 */
import type { CrashMode, ScriptEntry, TimedFault, KeyedFault, WorkloadOp } from '../sim/decisions.ts';
import type { ParamDefs } from '../sim/params.ts';
import { runScenario, type RunResult } from '../sim/runner.ts';
import { failOnRealTimers, watchInProcess } from '../cli/real-timers.ts';
import type { Scenario } from '../sim/scenario.ts';
import type { Nanos } from '../sim/time.ts';

/** What a script entry does: a timed fault, a keyed fault (a message or a BUGGIFY fire) or a workload operation. */
export type Fault = TimedFault | KeyedFault | WorkloadOp;
/** How long a fault lasts: `{ for: ms(300) }`; without it, until the faults stop. */
export interface Lasting {
  /** How long it lasts (ns). */
  for?: Nanos;
}

/**
 * Where in its instant a fault lands, as recorded (several events can share one nanosecond):
 * `event` events of that instant run before it, `endEvent` before its end. Absent: before the first.
 * `tail` (`endTail`): the fault was made in that event's tail, the work it left for its end (a Raft
 * host's Ready loop), by its `tail`-th function: it lands inside the event, just before that function.
 */
export interface Placement {
  /** Events of the fault's instant that run before it. */
  event?: number;
  /** Events of the end's instant that run before its end. */
  endEvent?: number;
  /** The function of the event's tail it lands before (absent: before the event). */
  tail?: number;
  /** The function of the event's tail its end lands before (absent: before the event). */
  endTail?: number;
}

/** A script entry: `fault` at simulated time `t` (ns; write `sec(1.204)` or `ms(300)`). */
export function at(t: Nanos, fault: Fault, place: Placement = {}): ScriptEntry {
  return { atNs: t, ...fault, ...place } as ScriptEntry;
}

/** Crash `node` (losing its unsynced writes, or keeping a torn prefix with `torn: true`) and restart it after `for`. */
export function crash(node: string, o: Lasting & { torn?: boolean } = {}): TimedFault {
  const mode: CrashMode = o.torn === true ? 'torn' : 'all';
  return { kind: 'crash', node, mode, durNs: o.for ?? null };
}
/** Start a node that is down (one a fail-stop left down, say). */
export function restart(node: string): TimedFault {
  return { kind: 'start', node };
}
/** Freeze `node` (a GC stall) for `durNs`. */
export function pause(node: string, durNs: Nanos): TimedFault {
  return { kind: 'pause', node, durNs };
}
/** Split the nodes into `groups` that cannot reach each other (nodes in no group form one more). */
export function partition(groups: string[][], o: Lasting = {}): TimedFault {
  return { kind: 'partition', shape: 'partition', groups, durNs: o.for ?? null };
}
/** Split only the nodes named in `groups` from each other; others (clients) reach every side. */
export function split(groups: string[][], o: Lasting = {}): TimedFault {
  return { kind: 'partition', shape: 'split', groups, durNs: o.for ?? null };
}
/** Cut `node` off from every other node. */
export function isolate(node: string, o: Lasting = {}): TimedFault {
  return { kind: 'partition', shape: 'isolate', node, durNs: o.for ?? null };
}
/** Cut both directions between `a` and `b`. */
export function cut(a: string, b: string, o: Lasting = {}): TimedFault {
  return { kind: 'partition', shape: 'cut', a, b, durNs: o.for ?? null };
}
/** Cut the direction `from` → `to` only. */
export function oneWay(from: string, to: string, o: Lasting = {}): TimedFault {
  return { kind: 'partition', shape: 'one-way', from, to, durNs: o.for ?? null };
}
/** Two sides that reach each other only through `bridgeNode`. */
export function bridge(sideA: string[], sideB: string[], bridgeNode: string, o: Lasting = {}): TimedFault {
  return { kind: 'partition', shape: 'bridge', sideA, sideB, bridge: bridgeNode, durNs: o.for ?? null };
}
/** Each node reaches only its neighbours in `order`. */
export function ring(order: string[], o: Lasting = {}): TimedFault {
  return { kind: 'partition', shape: 'ring', order, durNs: o.for ?? null };
}
/** Restore the direction `from` → `to`, leaving other cuts. */
export function uncut(from: string, to: string): TimedFault {
  return { kind: 'uncut', from, to };
}
/**
 * Until a heal clears a clog: `{ healedAfter: ms(40) }` (as a recorded heal did), what is sent from
 * then leaves at once, and what the clog already holds still leaves at its planned end.
 */
export interface Healed {
  /** How long after the clog began a heal cleared it (ns). */
  healedAfter?: Nanos;
}

/** Hold everything sent `from` → `to` for `durNs`, then release it. */
export function clog(from: string, to: string, durNs: Nanos, o: Healed = {}): TimedFault {
  return o.healedAfter === undefined ? { kind: 'clog', from, to, durNs } : { kind: 'clog', from, to, durNs, healNs: o.healedAfter };
}
/** Clog every link into and out of `node` for `durNs`. */
export function clogNode(node: string, durNs: Nanos, o: Healed = {}): TimedFault {
  return o.healedAfter === undefined ? { kind: 'clog-node', node, durNs } : { kind: 'clog-node', node, durNs, healNs: o.healedAfter };
}
/** Step `node`'s wall clock by `deltaNs` (forwards or backwards). */
export function clockStep(node: string, deltaNs: Nanos): TimedFault {
  return { kind: 'clock-step', node, deltaNs };
}
/** Set `node`'s clock rate error to `ppm`. */
export function clockDrift(node: string, ppm: number): TimedFault {
  return { kind: 'clock-drift', node, ppm };
}
/** `node`'s disk is full (fsyncs fail with ENOSPC). */
export function diskFull(node: string, o: Lasting = {}): TimedFault {
  return { kind: 'disk-full', node, durNs: o.for ?? null };
}
/** `node`'s fsyncs take `factor` times longer. */
export function diskSlow(node: string, factor: number, o: Lasting = {}): TimedFault {
  return { kind: 'disk-slow', node, factor, durNs: o.for ?? null };
}
/** Lose the `n`-th message sent `from` → `to` (counted from 1, over the whole run). */
export function dropMessage(from: string, to: string, n: number): KeyedFault {
  return { kind: 'drop', from, to, n };
}
/** Deliver the `n`-th message `from` → `to` twice. */
export function duplicateMessage(from: string, to: string, n: number): KeyedFault {
  return { kind: 'duplicate', from, to, n };
}
/** Let the `n`-th message `from` → `to` (its `copy`: 0, or 1 for a duplicate) skip FIFO order, `extraNs` late. */
export function reorderMessage(from: string, to: string, n: number, extraNs: Nanos, copy = 0): KeyedFault {
  return { kind: 'reorder', from, to, n, copy, extraNs };
}
/** BUGGIFY site `site` fires at its `n`-th reach (on `node`, for the reader). */
export function buggifyFires(site: string, n: number, node = '-'): KeyedFault {
  return { kind: 'buggify', site, n, node };
}
/** Device `device` (its label: "nic/a1", "ssd/a1", "cxl/pool") crashes, wedges (`how`), or fails with its whole failure domain ('domain'), restarting after `for`. */
export function deviceDown(device: string, how: 'crash' | 'wedge' | 'domain', o: Lasting = {}): TimedFault {
  return { kind: 'device-down', device, how, durNs: o.for ?? null };
}
/** Device `device` works `factor` times slower. */
export function deviceSlow(device: string, factor: number, o: Lasting = {}): TimedFault {
  return { kind: 'device-slow', device, factor, durNs: o.for ?? null };
}
/** SmartSSD `device` wears out: its writes fail after `budget` more. */
export function deviceWearOut(device: string, budget: number): TimedFault {
  return { kind: 'device-wear-out', device, budget };
}
/** CXL pool `device` poisons the line holding word `addr`. */
export function cxlPoison(device: string, addr: number): TimedFault {
  return { kind: 'cxl-poison', device, addr };
}
/** A message rule drops the `n`-th message `from` → `to`. */
export function ruleDrop(from: string, to: string, n: number): KeyedFault {
  return { kind: 'rule-drop', from, to, n };
}
/** A message rule delays the `n`-th message `from` → `to` (its `copy`: 0, or 1 for a duplicate): delivered `latencyNs` after it left. */
export function delayMessage(from: string, to: string, n: number, latencyNs: Nanos, copy = 0): KeyedFault {
  return { kind: 'delay', from, to, n, copy, latencyNs };
}
/** `node`'s disk fails its `n`-th read, or its `n`-th fsync, with EIO. */
export function diskError(node: string, op: 'read' | 'fsync', n: number): KeyedFault {
  return { kind: 'disk-error', node, op, n };
}
/** The `n`-th write issued to `node`'s disk is stored corrupt (reads back as a bad checksum). */
export function diskCorrupt(node: string, n: number): KeyedFault {
  return { kind: 'disk-corrupt', node, n };
}
/** `node`'s `n`-th torn crash keeps its first `keep` unsynced writes, the last of them torn if `torn` (unnamed: it keeps none). */
export function diskTorn(node: string, n: number, keep: number, torn = false): KeyedFault {
  return { kind: 'disk-torn', node, n, keep, torn };
}
/** Device `device`'s fault `fault` (cxl-torn, cxl-poison, ssd-wrong, ssd-partial, nic-corrupt) fires at its `n`-th chance (`arg`: its detail, e.g. the words a torn write lands). */
export function deviceFault(device: string, fault: string, n: number, arg?: number): KeyedFault {
  return { kind: 'device', device, fault, n, ...(arg !== undefined ? { arg } : {}) };
}
/** Client `client`'s `n`-th operation is `op` (scripts without it skip that operation). */
export function clientOp(client: string, n: number, op: Record<string, unknown>): WorkloadOp {
  return { kind: 'op', client, n, op };
}

/**
 * What a scripted run needs: the scenario (a built-in's name, or the object), seed, parameters,
 * script. Generic in the scenario's parameters, so a test can pass a scenario file's own default
 * export (what `detsim export` writes for one) and type-check.
 */
export interface ScriptRun<P extends ParamDefs = ParamDefs> {
  /** A built-in scenario's name, a scenario file's path, or the scenario itself. */
  scenario: string | Scenario<P>;
  /** The seed of everything the script does not name (latencies, timeouts, the workload's timing). */
  seed: number;
  /** Parameter values (unnamed ones take their defaults). */
  params?: Record<string, unknown>;
  /** BUGGIFY on (default false: a script names the fires it wants). */
  buggify?: boolean;
  /** The faults and operations, by meaning (see {@link at}). */
  script: readonly ScriptEntry[];
}

/** Runs a scenario driven by a script (see the file's doc). A built-in scenario is loaded by name. */
export async function runScript<P extends ParamDefs>(o: ScriptRun<P>): Promise<RunResult> {
  const options = { seed: o.seed, pins: o.params ?? {}, swarm: false, buggify: o.buggify ?? false, script: o.script, requireChecks: true };
  const scenario = (typeof o.scenario !== 'string' ? o.scenario : (await (await import('../cli/scenarios.ts')).resolveScenario(o.scenario)).scenario) as Scenario<ParamDefs>;
  // A real timer the scenario left fails the run (its callback would run after the verdict).
  const { value: r, pending } = watchInProcess(() => runScenario(scenario, options));
  failOnRealTimers(r, pending);
  return r;
}

/** What a scripted test expects: the invariant fails (the bug), or every invariant holds (fixed). */
export type Verdict =
  | {
      /** The run must fail ... */
      verdict: 'fail';
      /** ... and this invariant must be its first violation. */
      invariant: string;
    }
  | {
      /** Every invariant must hold. */
      verdict: 'hold';
    };

/** Throws, with what happened instead, unless the run ended as expected. */
export function expectVerdict(r: RunResult, expected: Verdict): void {
  const first = r.violations[0];
  const what = first ? `${first.invariant} failed at ${(first.atNs / 1e9).toFixed(3)} s: ${first.message}` : 'every invariant held';
  if (expected.verdict === 'hold') {
    if (!r.ok) throw new Error(`${r.scenario} seed ${r.seed}: expected every invariant to hold, but ${what}`);
    return;
  }
  if (!r.violations.some((v) => v.invariant === expected.invariant)) throw new Error(`${r.scenario} seed ${r.seed}: expected ${expected.invariant} to fail, but ${what}`);
}
