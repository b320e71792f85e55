/**
 * Test helpers for scenarios (`import { ... } from 'detsim/testing'`), made for vitest and usable
 * with any runner that fails a test on a thrown error.
 *
 * Each helper runs seeds of a scenario in the test's own process and throws a
 * {@link SimulationFailure} when a check fails; its message names the seed, the violated
 * invariant and the exact `npx detsim` command that replays the run, so a red test is one paste
 * away from the trace.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import { expectBugCaught, expectSeedsPass } from 'detsim/testing';
 * import scenario from './my-counter.ts';
 *
 * const file = new URL('./my-counter.ts', import.meta.url);
 *
 * describe('my-counter', () => {
 *   it('passes 20 seeds', () => {
 *     expectSeedsPass(scenario, { seeds: 20, file });
 *   });
 *   it('catches the lost-ack bug within 30 seeds, and the correct variant passes them', () => {
 *     expectBugCaught(scenario, { bug: 'lose-acks', within: 30, file });
 *   });
 * });
 * ```
 *
 * @packageDocumentation
 */
import { findCatchingSeed, type Catch } from '../sim/bug-zoo.ts';
import type { ParamDefs } from '../sim/params.ts';
import { runScenario, type RunOptions, type RunResult } from '../sim/runner.ts';
import type { Scenario } from '../sim/scenario.ts';
import { runCommand } from '../reports/commands.ts';
import { failOnRealTimers, watchInProcess } from '../cli/real-timers.ts';

/** A `file:` URL, such as `new URL('./my.ts', import.meta.url)` (anything with an `href`). */
export interface FileUrl {
  /** The URL, e.g. `file:///home/me/my.ts`. */
  href: string;
}

/** Which seeds to run, and how. Shared by every helper here. */
export interface SeedOptions {
  /** How many seeds (default 20). */
  seeds?: number;
  /** The first seed (default 1): seeds `from`, `from + 1`, ..., `from + seeds - 1` run. */
  from?: number;
  /** Parameter values to pin, e.g. `{ nodes: 5, netLossRate: 0 }`; the rest are drawn per seed (swarm) or defaulted. */
  pins?: Record<string, unknown>;
  /** Draw unpinned parameters per seed, as `detsim run` does (default true); false uses every default. */
  swarm?: boolean;
  /** BUGGIFY fault injection in protocol code (default true). */
  buggify?: boolean;
  /**
   * The scenario's file, so a failure's replay command runs as printed: a path (relative to where
   * you run the tests, or absolute) or a `file:` URL such as `new URL('./my.ts', import.meta.url)`.
   * Without it the command names the scenario, which runs only for detsim's built-in scenarios.
   */
  file?: string | FileUrl;
}

/** A failed check: a run that should have passed did not, or a bug was not caught. */
export class SimulationFailure extends Error {
  /** Always `'SimulationFailure'`. */
  override name = 'SimulationFailure';
  /** The run that failed the check, if there was one (absent when a bug went uncaught). */
  readonly result: RunResult | undefined;
  /** The command that replays that run, if there was one. */
  readonly replay: string | undefined;

  constructor(message: string, result?: RunResult, replay?: string) {
    super(message);
    this.result = result;
    this.replay = replay;
  }
}

/** The result of {@link runSeeds}: every run, and the failing ones. */
export interface SeedsReport {
  /** Every run, in seed order. */
  results: RunResult[];
  /** The runs that did not pass. */
  failures: RunResult[];
  /** The replay command of each seed, by seed. */
  replay(seed: number): string;
}

function scenarioArg(scenario: Scenario, file: string | FileUrl | undefined): string {
  if (file === undefined) return scenario.name;
  const s = typeof file === 'string' ? file : file.href;
  // A file: URL's path, decoded (no URL global: a test type-checked without Node's types can use this).
  return s.startsWith('file://') ? decodeURIComponent(s.slice('file://'.length).replace(/^\/([A-Za-z]:)/, '$1')) : s;
}

function seedRange(o: SeedOptions): { from: number; seeds: number } {
  const from = o.from ?? 1;
  const seeds = o.seeds ?? 20;
  if (!Number.isSafeInteger(from) || from < 0) throw new RangeError(`from must be a non-negative integer, got ${from}`);
  if (!Number.isSafeInteger(seeds) || seeds < 1) throw new RangeError(`seeds must be a positive integer, got ${seeds}`);
  return { from, seeds };
}

/** One line per failing run: seed, outcome, first violation (or pending property), replay command. */
function describeFailure(r: RunResult, replay: string): string {
  const v = r.violations[0];
  const why = v ? `${v.invariant}: ${v.message}` : r.pending[0] ? `${r.pending[0].property} still pending: ${r.pending[0].reason}` : r.outcome;
  return `${r.scenario} seed ${r.seed} failed (${r.outcome}) — ${why}\n  replay: ${replay}`;
}

/**
 * One run in the test's process, failed (invariant `real-timer`) if the scenario left a real timer:
 * its callback would run after the run's verdict, in the middle of another test, or never.
 */
function runWatched<P extends ParamDefs>(scenario: Scenario<P>, o: RunOptions): RunResult {
  // As the CLI judges it: a run that made no check is NOTHING CHECKED, never a pass.
  const { value: r, pending } = watchInProcess(() => runScenario(scenario, { ...o, requireChecks: true }));
  failOnRealTimers(r, pending);
  return r;
}

/** Runs seeds of a scenario and returns every result; it never throws for a failing run. */
export function runSeeds<P extends ParamDefs>(scenario: Scenario<P>, options: SeedOptions = {}): SeedsReport {
  const { from, seeds } = seedRange(options);
  const pins = options.pins ?? {};
  const swarm = options.swarm ?? true;
  const buggify = options.buggify ?? true;
  const results: RunResult[] = [];
  for (let seed = from; seed < from + seeds; seed++) results.push(runWatched(scenario, { seed, pins, swarm, buggify }));
  const arg = scenarioArg(scenario as Scenario, options.file);
  return { results, failures: results.filter((r) => !r.ok), replay: (seed) => runCommand(arg, seed, pins, swarm, buggify) };
}

/**
 * Runs seeds of a scenario and throws a {@link SimulationFailure} naming every failing seed (its
 * violation and replay command) if any fails. Returns the report when all pass.
 */
export function expectSeedsPass<P extends ParamDefs>(scenario: Scenario<P>, options: SeedOptions = {}): SeedsReport {
  const report = runSeeds(scenario, options);
  const first = report.failures[0];
  if (first) {
    const shown = report.failures.slice(0, 5).map((r) => describeFailure(r, report.replay(r.seed)));
    const more = report.failures.length > 5 ? `\n... and ${report.failures.length - 5} more failing seed(s)` : '';
    throw new SimulationFailure(`${report.failures.length} of ${report.results.length} seed(s) failed:\n${shown.join('\n')}${more}`, first, report.replay(first.seed));
  }
  return report;
}

/** Options of {@link expectBugCaught}. */
export interface BugCaughtOptions extends Omit<SeedOptions, 'seeds'> {
  /** The broken variant: the scenario's `bug` parameter value (pinned as `bug`). Or give `pins` alone. */
  bug?: string;
  /** The bug must be caught within this many seeds (from `from`). */
  within: number;
  /**
   * The pins of the correct variant, which must pass every seed the broken one was tried on
   * (default: `pins` with `bug: 'none'` when `bug` is given). `false` skips that half of the check.
   */
  correct?: Record<string, unknown> | false;
  /** Only a violation of this invariant counts as catching the bug (default: any failure). */
  invariant?: string;
}

/**
 * Asserts that a broken variant fails within `within` seeds and that the correct variant passes
 * the seeds it took (so the catch is the bug's doing, not the scenario's). Returns the catch: the
 * seed, how many seeds it took, the invariant.
 */
export function expectBugCaught<P extends ParamDefs>(scenario: Scenario<P>, options: BugCaughtOptions): Catch {
  const from = options.from ?? 1;
  if (!Number.isSafeInteger(options.within) || options.within < 1) throw new RangeError(`within must be a positive integer, got ${options.within}`);
  const brokenPins = { ...options.pins, ...(options.bug !== undefined ? { bug: options.bug } : {}) };
  const swarm = options.swarm ?? true;
  const buggify = options.buggify ?? true;
  const variant = Object.entries(brokenPins).map(([k, v]) => `${k}=${String(v)}`).join(' ') || 'the default variant';
  let caught: Catch | null = null;
  let start = from;
  // A failure of another invariant does not count when one is named: keep looking past it.
  while (start < from + options.within) {
    const { value: c, pending } = watchInProcess(() => findCatchingSeed(scenario, { pins: brokenPins, cap: from + options.within - start, from: start, swarm, buggify }));
    if (pending.length > 0) throw new SimulationFailure(`${scenario.name} with ${variant}: the scenario set a real timer in seeds ${start}..${c.seed ?? from + options.within - 1} (${pending.join(', ')}): a run never waits for real time, so its callback would run outside the checked run, and was not run; schedule it with w.sim.schedule(delayNs, fn)`);
    if (c.seed === null) break;
    if (options.invariant === undefined || c.result?.violations.some((v) => v.invariant === options.invariant)) {
      caught = { ...c, seedsRun: c.seed - from + 1 };
      break;
    }
    start = c.seed + 1;
  }
  if (!caught || caught.seed === null) {
    const what = options.invariant ? `a violation of ${options.invariant}` : 'a failure';
    throw new SimulationFailure(`${scenario.name} with ${variant}: no seed of ${from}..${from + options.within - 1} produced ${what}; the bug went uncaught (more seeds, or a sharper check?)`);
  }
  const correct = options.correct === undefined ? (options.bug !== undefined ? { ...options.pins, bug: 'none' } : false) : options.correct;
  if (correct !== false) {
    const report = runSeeds(scenario, { from, seeds: caught.seed - from + 1, pins: correct, swarm, buggify, ...(options.file !== undefined ? { file: options.file } : {}) });
    const bad = report.failures[0];
    if (bad) {
      throw new SimulationFailure(`${scenario.name}: the correct variant also fails, so the catch proves nothing about the bug:\n${describeFailure(bad, report.replay(bad.seed))}`, bad, report.replay(bad.seed));
    }
  }
  return caught;
}

export { at, bridge, buggifyFires, clientOp, clockDrift, clockStep, clog, clogNode, crash, cxlPoison, deviceDown, deviceSlow, deviceWearOut, cut, diskFull, diskSlow, delayMessage, deviceFault, diskCorrupt, diskError, diskTorn, dropMessage, duplicateMessage, expectVerdict, isolate, oneWay, partition, pause, reorderMessage, restart, ring, ruleDrop, runScript, split, uncut, type Fault, type Healed, type Lasting, type Placement, type ScriptRun, type Verdict } from './script.ts';
