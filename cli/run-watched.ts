/**
 * One seed of `detsim run` / `replay`, run in a worker thread that the main thread watches. The
 * scenario's code is the user's: it may loop forever inside one event, allocate without bound or
 * call process.exit. None of these may hang the command, kill it with a V8 stack, or end it
 * without a verdict; each is reported as a failure of the seed (outcome `crash`), with the last
 * trace lines, and the `--trace` file ends at the last record before the stop.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { EarlyWorker, type BootThread } from './early-worker.ts';
import { describeThrown, UserError } from './errors.ts';
import { boundHeapGrowth } from './heap-growth.ts';
import type { RunReport } from './execute.ts';
import type { ScriptEntry } from '../sim/decisions.ts';
import { CODE_EXT, CODE_ROOT, COMPILED, PACKAGE_ROOT } from './layout.ts';
import { readManifest } from './scenario-manifest.ts';
import { flushTraceTail, lastTraced, readRecentLines, recentLinesBuffer, traceBuffer } from './trace-tail.ts';

/** What the worker is given (structured-cloned; the buffers are shared). */
export interface WatchedJob {
  /** The scenario's name (a bundled thread checks it runs the scenario it holds). */
  scenario: string;
  file: string;
  builtIn: boolean;
  seed: number;
  pins: Record<string, unknown>;
  swarm: boolean;
  buggify: boolean;
  checkDeterminism: boolean;
  logLines: number;
  traceFile?: string;
  traceShared?: SharedArrayBuffer;
  recent: SharedArrayBuffer;
  timeline?: string;
  /** The timeline's title when the run's trace hash is not this one (a repro replayed on another build). */
  timelineOtherBuild?: { traceHash: string; title: string };
  /** Drive the run from this script (a shrunk repro's) instead of the seed's own decisions. */
  script?: ScriptEntry[];
  linkStreams?: boolean;
  /** Send a failing run's recorded script back (for --repro); a passing run's never is. */
  wantScript: boolean;
  /** Send a failing run's script's length back (`RunReport.scriptEntries`, for --json). */
  countScript: boolean;
}

/** `unsent`: the report could not be sent from the thread (it held a value that is not plain data); `error` says so. */
/** `started` comes first, once the scenario is loaded (the wall-clock limit counts from then). */
/** `output`: the error was the system's, writing a file the user asked for (--trace, --timeline on a full disk): not the run's failure. */
export type WatchedReply = { started: true; report?: undefined; error?: undefined } | { report: RunReport; error?: undefined; started?: undefined } | { error: string; output?: boolean; params?: boolean; unsent?: boolean; report?: undefined; started?: undefined };

/** Wall-clock seconds the run's thread may take to load the scenario before it is given up on. */
const STARTUP_LIMIT_S = 120;

export interface WatchOptions {
  file: string;
  builtIn: boolean;
  scenario: string;
  seed: number;
  pins: Record<string, unknown>;
  /** The run's parameters as drawn by the main thread (for a report of a run that never finished). */
  params: Record<string, unknown>;
  swarm: boolean;
  buggify: boolean;
  checkDeterminism: boolean;
  logLines: number;
  traceFile?: string;
  timeline?: string;
  /** The timeline's title when the run's trace hash is not `traceHash` (see WatchedJob). */
  timelineOtherBuild?: { traceHash: string; title: string };
  /** Wall-clock seconds before the run is stopped and reported as hung; 0 = no limit. */
  timeoutS: number;
  /** Heap limit of the run's thread, MB; 0 = Node's default. */
  maxMemoryMb: number;
  /** Drive the run from this script (sim/decisions.ts). */
  script?: ScriptEntry[];
  linkStreams?: boolean;
  /** A failing run's report carries its recorded script (`RunResult.script`: for --repro); default false. */
  wantScript?: boolean;
  /** A failing run's report carries its script's length (`RunReport.scriptEntries`: for --json); default false. */
  countScript?: boolean;
  /** The thread started early by prestartRun (with the same maxMemoryMb); else one is started now. */
  prestarted?: PrestartedRun;
}

/**
 * A run's worker thread started before the run is known (cli/early-worker.ts), with the heap
 * limit the run will have.
 */
export class PrestartedRun extends EarlyWorker {
  /**
   * @param bundled the built-in scenario whose bundle the thread runs (it can run only that one),
   *   or null: the thread imports whatever scenario file its job names.
   * @param boot a thread already booting with runWorkerOptions(maxMemoryMb) (bin/early-run.js): it
   *   is given the module instead of a new thread being started.
   */
  constructor(
    readonly maxMemoryMb: number,
    readonly bundled: string | null = null,
    boot?: BootThread,
  ) {
    super(bundled === null ? WORKER_ENTRY : bundledRunEntry(bundled)!, runWorkerOptions(maxMemoryMb), boot);
  }

  /**
   * The thread for runWatched (once); null when taken already, started with another heap limit, or
   * holding the bundle of another scenario than the run's (the caller then discards it).
   */
  takeFor(maxMemoryMb: number, scenario: { name: string; builtIn: boolean }): Worker | null {
    // The bundle was built from dist/scenarios as the manifest lists them: trusted only while the
    // manifest is (dist/scenarios unchanged since the build).
    if (this.bundled !== null && !(scenario.builtIn && scenario.name === this.bundled && readManifest() !== null)) return null;
    return maxMemoryMb === this.maxMemoryMb ? this.take() : null;
  }
}

/**
 * The bundle of the built-in scenario named `name` (dist/bundles/run-<name>.js, written by the
 * build: the run's thread code, the simulator and that scenario in one module, quicker to load
 * than the sixty-odd modules they are made of), or null: not compiled, no such bundle, or a name
 * that is not a plain scenario name (a path, say).
 */
export function bundledRunEntry(name: string): string | null {
  if (!COMPILED || !/^[a-z0-9][a-z0-9-]{0,80}$/.test(name)) return null;
  const file = path.join(CODE_ROOT, 'bundles', `run-${name}.js`);
  return existsSync(file) ? file : null;
}

/**
 * Starts a run's thread now, for the run runWatched will be given (see PrestartedRun). `scenario`
 * is what the user typed: when it names a built-in scenario that has a bundle, the thread loads
 * that; if the run turns out to be another scenario's, runWatched starts a plain thread instead.
 * `boot`, a thread bin/detsim.js started before anything else (bin/early-run.js), is used when it
 * has the options this run's thread needs and booted cleanly; else it is ended unused.
 */
export function prestartRun(maxMemoryMb: number, scenario?: string, boot?: BootThread | null): PrestartedRun {
  // The manifest is checked before the thread loads anything (the main thread reads it anyway,
  // cached): a bundle built from a dist/scenarios that has changed since is never even loaded.
  const bundled = scenario !== undefined && bundledRunEntry(scenario) !== null && readManifest() !== null ? scenario : null;
  // A boot thread that failed or ended before it ran any of detsim's code is no run's failure.
  if (boot != null && boot.early === null && isDeepStrictEqual(boot.options, runWorkerOptions(maxMemoryMb))) return new PrestartedRun(maxMemoryMb, bundled, boot);
  void boot?.discard();
  return new PrestartedRun(maxMemoryMb, bundled);
}

function runWorkerOptions(maxMemoryMb: number): WorkerOptions {
  // Every run's thread is started with these options: the heap's growth is bounded first.
  boundHeapGrowth();
  return {
    ...(maxMemoryMb > 0 ? { resourceLimits: { maxOldGenerationSizeMb: maxMemoryMb } } : {}),
    // The scenario's console output reaches the terminal as it would in the main thread.
    stdout: false,
    stderr: false,
  };
}

/** Why a run ended without a verdict of its own; each is a violation name in the report. */
export type StopKind = 'hang' | 'out-of-memory' | 'process-exit' | 'worker-error';

/**
 * Whether a recorded failure is a run the harness stopped from outside (`run`'s StopKind, or a
 * sweep worker that hung, ran out of memory or died: invariant `crash` with the pool's message),
 * or a real timer left pending. Running such a seed again in this process would hang or end it,
 * and no simpler fault mix changes it: shrink refuses it, and a sweep's report draws no timeline.
 */
export function stoppedFromOutside(v: { invariant: string; message?: unknown } | undefined): boolean {
  if (v === undefined) return false;
  if (v.invariant === 'real-timer' || (['hang', 'out-of-memory', 'process-exit', 'worker-error'] as string[]).includes(v.invariant)) return true;
  // The pool's own messages (cli/sweep.ts, cli/sweep-worker.ts); a crash of the scenario's code
  // starts with its error's name ("Error: the worker w1 lost its lease" is the system's failure).
  return v.invariant === 'crash' && /^(the seed ran for more than|the worker |out of memory: |the scenario called process\.exit)/.test(String(v.message ?? ''));
}

export interface WatchedResult {
  report: RunReport;
  /** Set when the run never finished (the report is the harness's, not the simulation's). */
  stopped?: StopKind;
  /** Set when SIGINT/SIGTERM ended the run: the command exits 130/143, no verdict. */
  interrupted?: 'SIGINT' | 'SIGTERM';
}

// Compiled (dist/): the worker module itself; from source: bin/run-worker-entry.js registers tsx first.
const WORKER_ENTRY = COMPILED ? path.join(CODE_ROOT, 'cli', `run-worker${CODE_EXT}`) : path.join(PACKAGE_ROOT, 'bin', 'run-worker-entry.js');

export async function runWatched(o: WatchOptions): Promise<WatchedResult> {
  const recent = recentLinesBuffer();
  const traceShared = o.traceFile !== undefined ? traceBuffer() : undefined;
  const job: WatchedJob = {
    scenario: o.scenario,
    file: o.file,
    builtIn: o.builtIn,
    seed: o.seed,
    pins: o.pins,
    swarm: o.swarm,
    buggify: o.buggify,
    checkDeterminism: o.checkDeterminism,
    logLines: o.logLines,
    wantScript: o.wantScript ?? false,
    countScript: o.countScript ?? false,
    recent,
    ...(o.traceFile !== undefined ? { traceFile: o.traceFile, traceShared } : {}),
    ...(o.timeline !== undefined ? { timeline: o.timeline } : {}),
    ...(o.timelineOtherBuild !== undefined ? { timelineOtherBuild: o.timelineOtherBuild } : {}),
    ...(o.script !== undefined ? { script: o.script } : {}),
    ...(o.linkStreams !== undefined ? { linkStreams: o.linkStreams } : {}),
  };
  const taken = o.prestarted?.takeFor(o.maxMemoryMb, { name: o.scenario, builtIn: o.builtIn }) ?? null;
  if (taken === null) void o.prestarted?.discard();
  // What the early thread did before it was taken (it failed to boot?) is handled below as if seen now.
  const early = taken !== null ? (o.prestarted?.early ?? null) : null;
  const worker = taken ?? new Worker(WORKER_ENTRY, runWorkerOptions(o.maxMemoryMb));
  // The job is the thread's first message (a thread started early waits for it).
  worker.postMessage(job);

  // A stopped run's report is built once the thread is gone (see below): its last lines are read
  // from shared memory the thread no longer writes. Its wall time is the stop's.
  // `message` may depend on whether the run traced anything before it stopped (known only then).
  const failed = (kind: StopKind, message: string | ((traced: boolean) => string)): (() => WatchedResult) => {
    const wallMs = Math.round(performance.now() - t0); // wallclock-ok: the harness's watchdog, outside the simulation
    return () => {
      const last = lastTraced(recent);
      const report: RunReport = {
        scenario: o.scenario,
        seed: o.seed,
        ok: false,
        outcome: 'crash',
        violations: [{ invariant: kind, atNs: last.atNs, eventIndex: last.eventIndex, message: typeof message === 'string' ? message : message(last.lines > 0) }],
        coverage: { probes: {}, declared: [], sometimes: {}, mustReach: [] },
        pending: [],
        traceHash: '',
        events: last.lines > 0 ? last.eventIndex + 1 : 0,
        simTimeNs: last.atNs,
        faultPhaseNs: 0,
        recoveredAfterNs: null,
        buggify: { enabled: o.buggify, enabledSites: [], fired: {}, reached: {} },
        params: o.params,
        swarm: o.swarm,
        metrics: {},
        log: readRecentLines(recent, o.logLines),
        wallMs,
      };
      return { report, stopped: kind };
    };
  };

  const t0 = performance.now(); // wallclock-ok
  let settled = false;
  let timer: NodeJS.Timeout | null = null;
  const onSignal: Record<'SIGINT' | 'SIGTERM', () => void> = { SIGINT: () => {}, SIGTERM: () => {} };
  const outcome = await new Promise<() => WatchedResult>((resolve) => {
    const settle = (r: () => WatchedResult): void => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    const onHang = (): void =>
      settle(
        failed(
          'hang',
          (traced) =>
            `the run took more than ${o.timeoutS}s of wall time and was stopped (an endless loop inside one event?); ${traced ? 'the last trace lines show where it was' : 'it traced nothing before it stopped, so it hung before its first traced event (in setup, or in an event that traces nothing)'}${o.traceFile ? `, and ${o.traceFile} ends at the last record before the stop` : traced ? '; replay it with --trace FILE to keep the whole trace' : ''}; raise the limit with --timeout S (0: none)`,
        ),
      );
    const arm = (seconds: number, onTimeout: () => void): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(onTimeout, seconds * 1000); // wallclock-ok: the harness's watchdog, outside the simulation
    };
    // Loading the scenario in the thread can take seconds on a loaded machine: not the run's time.
    arm(STARTUP_LIMIT_S, () => settle(failed('worker-error', `the run's thread did not load the scenario within ${STARTUP_LIMIT_S}s of wall time (a very loaded machine?)`)));
    worker.on('message', (reply: WatchedReply) => {
      if (reply.started) {
        if (timer) clearTimeout(timer);
        if (o.timeoutS > 0) arm(o.timeoutS, onHang);
        return;
      }
      if (reply.report) settle(() => ({ report: reply.report }));
      else if (reply.params) {
        const msg = reply.error;
        settle(() => {
          throw new UserError(msg);
        });
      } else if (reply.output) {
        const msg = `an output file could not be written (${reply.error}), so the run was stopped without a verdict; ${outputAdvice(reply.error ?? '')}`;
        settle(() => {
          throw new UserError(msg);
        });
      } else settle(failed('worker-error', reply.unsent ? reply.error : `the run could not start: ${reply.error}`));
    });
    const onError = (err: Error & { code?: string }): void => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        settle(failed('out-of-memory', `out of memory: the run used more than its ${o.maxMemoryMb} MB heap limit and was stopped (unbounded allocation in the scenario or the system under test?); raise the limit with --max-memory MB`));
      } else {
        // Scenario code may throw anything (a string, a plain object), and a thread's error arrives as what was thrown.
        settle(failed('worker-error', `the run's thread failed outside the simulation: ${describeThrown(err)}`));
      }
    };
    const onExit = (code: number): void => {
      // An exit before any reply: the scenario's code called process.exit (in a worker thread it
      // ends the thread, not detsim).
      settle(failed('process-exit', `the scenario called process.exit(${code}): the run stopped before its checks finished, so this seed failed. Scenario code must not exit the process; throw an Error to report a problem`));
    };
    worker.on('error', onError);
    worker.on('exit', onExit);
    if (early !== null) {
      if ('error' in early) onError(early.error);
      else onExit(early.exit);
    }
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      onSignal[sig] = () => {
        const stopped = failed('worker-error', `interrupted by ${sig}`);
        settle(() => ({ ...stopped(), interrupted: sig }));
      };
      process.once(sig, onSignal[sig]);
    }
  });
  if (timer) clearTimeout(timer);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.off(sig, onSignal[sig]);
  // An endless loop may still be tracing: the thread is stopped before its last lines are read.
  await worker.terminate();
  const result = outcome();
  // The worker is gone: what it traced but had not written goes to the file now.
  if (o.traceFile !== undefined && traceShared !== undefined && (result.stopped || result.interrupted)) {
    try {
      flushTraceTail(o.traceFile, traceShared);
    } catch {
      // The worker never opened the file (it failed before the run): nothing to flush.
    }
  }
  return result;
}

/** What to do about an output file the run could not write, by the error's code. */
export function outputAdvice(error: string): string {
  // The reader of a pipe left (`--trace /dev/stdout | head`): the trace was cut where it stopped reading.
  if (/\bEPIPE\b/.test(error)) return 'the program reading the output stopped reading (e.g. `| head`); write the trace to a file (--trace FILE) and read that';
  if (/\b(ENOSPC|EDQUOT)\b/.test(error)) return 'free some disk space or name a file on another disk';
  if (/\b(EACCES|EPERM|EROFS)\b/.test(error)) return 'name a file in a folder you can write to';
  return 'name another file';
}
