/**
 * `detsim sweep`: many seeds over many scenarios, in parallel worker threads.
 *
 * - Jobs come lazily from a JobSource (cli/jobs.ts), so a sweep of 10^11 seeds starts at once and
 *   holds only the jobs in flight.
 * - Each worker takes the next job when it finishes one, so slow seeds do not hold up the rest.
 * - A worker that dies (out of memory under its heap limit, `process.exit` in the scenario, an
 *   endless loop past --seed-timeout) fails its seed with a message saying which, and is replaced.
 * - Every finished run is appended to the results stream (reports/results.ts) and each failure's
 *   repro file is written the moment it is found; the report is computed from that stream by the
 *   code `detsim merge` uses (reports/sweep-report.ts). SIGINT/SIGTERM stop the workers and still
 *   write an incomplete report.
 */
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { RunReport } from './execute.ts';
import { describeThrown, UserError } from './errors.ts';
import { formatShard, type JobSource, type Shard, type SweepJob } from './jobs.ts';
import type { ScenarioInfo } from './scenario-manifest.ts';
import type { EarlyWorker } from './early-worker.ts';
import { coreCount, defaultMaxMemoryMb, SWEEP_WORKER_ENTRY, sweepWorkerOptions, workerMemoryOf } from './sweep-prestart.ts';
import { displayPath, makeRepro, runCommand, writeRepro } from '../reports/repro.ts';
import { readResults, ResultsWriter, toResultLine, type ResultsHeader } from '../reports/results.ts';
import { RESULTS_HEADER_FORMAT } from '../reports/formats.ts';
import { reportExitCode, SweepAggregator, type SweepReport } from '../reports/sweep-report.ts';
import { junitFromReport, markdownSummary, terminalSummary } from '../reports/sweep-render.ts';
import { makeChalk } from '../reports/terminal.ts';

export type { SweepJob } from './jobs.ts';

export type WorkerReply = { id: number; result: RunReport; error?: undefined } | { id: number; error: string; result?: undefined };

const WORKER_ENTRY = SWEEP_WORKER_ENTRY;
/** Extra wall time a seed's watchdog allows while its worker boots and imports the scenario. */
const BOOT_GRACE_MS = 60_000;

export { coreCount, defaultMaxMemoryMb };

/** A result for a seed whose worker failed outside the simulation. */
export function workerFailure(job: SweepJob, message: string): RunReport {
  return {
    scenario: job.scenario,
    seed: job.seed,
    ok: false,
    outcome: 'crash',
    violations: [{ invariant: 'crash', atNs: 0, eventIndex: 0, message }],
    pending: [],
    traceHash: '',
    events: 0,
    simTimeNs: 0,
    faultPhaseNs: 0,
    recoveredAfterNs: null,
    buggify: { enabled: job.buggify, enabledSites: [], fired: {}, reached: {} },
    coverage: { probes: {}, declared: [], sometimes: {}, mustReach: [] },
    params: {},
    swarm: job.swarm,
    metrics: {},
    log: [],
    wallMs: 0,
  };
}

export interface PoolOptions {
  source: JobSource;
  jobs: number;
  /**
   * Wall-clock seconds one seed may take before its worker is stopped and the seed reported as
   * hung. The event limit catches livelocks in simulated time; this catches an endless loop inside
   * one event, which would otherwise hang the sweep. 0 = no limit.
   */
  seedTimeoutS?: number;
  /** Heap limit of each worker in MB (V8 old generation); a seed past it fails as "out of memory". */
  maxMemoryMb?: number;
  onResult: (r: RunReport, job: SweepJob) => void;
  /**
   * Workers started early (cli/sweep-prestart.ts), used before new ones are started; one that
   * failed while booting, or was started with another heap limit, is ended and replaced.
   */
  prestarted?: EarlyWorker[];
  /** Jobs a worker holds at once (DEFAULT_PREFETCH); 1 = a job is sent only when the last one's result is in. */
  prefetch?: number;
  /**
   * When workers beyond the first start (see RampUp): DEFAULT_RAMP_UP when absent; null starts
   * every worker at once (as does a sweep whose number of jobs is not known in advance).
   */
  rampUp?: RampUp | null;
  /** The cores the workers share (coreCount() when absent): see serialScavengeFor. */
  cores?: number;
}

/**
 * A second worker repays its own V8 warm-up (about 1.2 s of CPU compiling the same hot code again,
 * and slower seeds on both workers while it lasts) only when enough work is left: on a 2-core
 * machine `--jobs 2` was slower than `--jobs 1` for a 200-seed broadcast or a 100-seed raft-churn
 * sweep, and 1.5x faster for 500 raft-churn seeds. So the pool starts with one worker and starts
 * the others only once the work left, estimated from the pace of the last results, is at least
 * `minRemainingMs`. It decides after `minResults` results (the first seeds of a fresh worker are
 * several times slower than later ones, so an earlier pace would overestimate the work left) or
 * after `decideAfterMs` of wall time (slow seeds: the pace is known soon enough), and looks again
 * after each result until it starts them. The pace is the process's CPU time a result, which a
 * loaded machine does not inflate as it inflates wall time. Which worker runs a seed never
 * changes its result.
 */
export interface RampUp {
  /** Results before the first decision (unless `decideAfterMs` passes first). */
  minResults: number;
  /** Wall ms after which the pool decides whatever the number of results. */
  decideAfterMs: number;
  /** CPU ms of work left (at the latest pace) that repays another worker's warm-up. */
  minRemainingMs: number;
}

// 10 s of CPU: measured on an idle 2-core machine (raft-churn, 35 ms of wall time a seed), two
// workers from the start took 2.85 s more than half of one worker's time, and broke even at about
// 5.6 s of one worker's wall time (about 8 s of CPU); the margin keeps --jobs 2 from being slower.

export const DEFAULT_RAMP_UP: RampUp = { minResults: 20, decideAfterMs: 3000, minRemainingMs: 10_000 };

/** DETSIM_SWEEP_RAMP_UP=0 starts every worker of a sweep at once (to compare; the bench does). */
export function rampUpFromEnv(env: NodeJS.ProcessEnv = process.env): RampUp | null {
  return env.DETSIM_SWEEP_RAMP_UP === '0' ? null : DEFAULT_RAMP_UP;
}

/**
 * Whether the sweep's workers should scavenge (collect their young generation) on their own thread
 * only, without V8's helper threads: only when asked (DETSIM_SWEEP_SCAVENGE=serial), and then once
 * the workers running at once fill every core.
 *
 * Why it is a knob and not the default: a sweep worker allocates fast (a broadcast seed about
 * 2 MB) and spends about a fifth of its time scavenging. V8 runs each scavenge on the worker's
 * thread and up to 4 helper threads, and the worker waits for them. With one worker on 2 cores the
 * helpers use the idle core (which is why `--jobs 1` keeps about 1.45 cores busy); with a worker
 * on every core they have no core of their own. Serial scavenges measured 10% less CPU and shorter
 * `--jobs 2` sweeps in one paired series on the loaded 2-core VM and no difference in two others
 * (docs/performance.md): not shown to pay, so not on by default; `npm run bench` measures both
 * (`jobs2AtOnceSerialScavenge`) so an idle machine can decide.
 */
export function serialScavengeFor(workersAtOnce: number, cores: number, env: NodeJS.ProcessEnv = process.env): boolean {
  return env.DETSIM_SWEEP_SCAVENGE === 'serial' && workersAtOnce >= 2 && workersAtOnce >= cores;
}

let scavengesSerial = false;
/**
 * V8's flags are the process's, and V8 reads this one at each scavenge: set, it applies to every
 * worker from its next scavenge on (the sweep's process runs nothing else). Never set back: the
 * workers it concerns run until the sweep ends.
 */
function serialiseScavenges(): void {
  if (scavengesSerial) return;
  scavengesSerial = true;
  setFlagsFromString('--no-parallel-scavenge');
}

/** Results the ramp-up's pace is measured over (the latest ones). */
const PACE_WINDOW = 10;

export interface Pool {
  /** Resolves when every job is done, or when stop() has ended the workers. */
  finished: Promise<void>;
  /** Stops feeding jobs and terminates the workers (runs in flight are abandoned, not reported). */
  stop(): Promise<void>;
  /** Workers started so far (replacements of workers that died included). */
  workersStarted(): number;
  /** The most workers running at once so far (the ramp-up may never start the others). */
  workersAtOnce(): number;
  /** Whether this pool switched V8 to serial scavenges (see serialScavengeFor). */
  serialScavenges(): boolean;
}

/**
 * Jobs a worker holds at once by default: the one it runs and the next, so it starts the next seed
 * the moment it posts a result instead of waiting for the main thread to read that result and send
 * another job (a wait that grows with the machine's load).
 */
export const DEFAULT_PREFETCH = 2;

/**
 * The worker pool: takes jobs from the source until it is done; one result per job taken.
 *
 * Each worker holds up to `prefetch` jobs and runs them in the order given (cli/sweep-worker.ts
 * runs one at a time), so the first job it holds is the one running. When a worker dies or is
 * stopped (a crash, out of memory, a seed past its time limit), that running job is reported as
 * the failure; the jobs it held but had not started never ran, so they go to the next free worker
 * (a replacement is started) and each still gets exactly one result.
 */
export function startPool(opts: PoolOptions): Pool {
  const { source } = opts;
  const timeoutMs = (opts.seedTimeoutS ?? 0) * 1000;
  const prefetch = Math.max(1, opts.prefetch ?? DEFAULT_PREFETCH);
  const live = new Set<Worker>();
  const idle: (() => void)[] = [];
  /** Jobs taken from the source whose worker ended before starting them: handed out first. */
  const retry: SweepJob[] = [];
  let inFlight = 0;
  let stopping = false;
  let resolveAll!: () => void;
  const finished = new Promise<void>((r) => (resolveAll = r));
  const noMoreWork = (): boolean => retry.length === 0 && source.done();
  const checkDone = (): void => {
    if ((stopping || noMoreWork()) && inFlight === 0) {
      dropRamp();
      for (const w of live) void w.terminate();
      if (live.size === 0) resolveAll();
    }
  };
  const wakeIdle = (): void => {
    for (const f of idle.splice(0)) f();
  };
  const nextJob = (): SweepJob | null => retry.shift() ?? source.next();
  // Set below, once the ramp-up's state exists (see RampUp).
  let considerRampUp = (): void => {};
  let dropRamp = (): void => {};
  let noteResult = (): void => {};

  const prestarted = [...(opts.prestarted ?? [])];
  const newWorker = (): Worker => {
    for (let pre = prestarted.shift(); pre !== undefined; pre = prestarted.shift()) {
      if (workerMemoryOf(pre) !== (opts.maxMemoryMb ?? 0)) {
        void pre.discard();
        continue;
      }
      const w = pre.take();
      if (w === null) continue;
      if (pre.early === null) return w;
      // It died booting, before any job: nothing is lost; a fresh worker takes its place.
      w.on('error', () => {});
      void w.terminate();
    }
    return new Worker(WORKER_ENTRY, sweepWorkerOptions(opts.maxMemoryMb ?? 0));
  };
  let started = 0;
  let peak = 0;
  const cores = opts.cores ?? coreCount();
  let serial = false;
  const start = (): void => {
    started++;
    const w = newWorker();
    live.add(w);
    peak = Math.max(peak, live.size);
    if (!serial && serialScavengeFor(live.size, cores)) {
      serial = true;
      serialiseScavenges();
    }
    /** The jobs this worker holds, in the order it runs them: held[0] is running (or about to). */
    const held: SweepJob[] = [];
    let watchdog: NodeJS.Timeout | null = null;
    let retired = false;
    let idleWaiting = false;
    /** The thread's error: blamed at 'exit', once the replies it posted before it died are in. */
    let diedWith: (Error & { code?: string }) | null = null;
    const clearWatchdog = (): void => {
      if (watchdog) clearTimeout(watchdog);
      watchdog = null;
    };
    const finish = (job: SweepJob, r: RunReport): void => {
      inFlight--;
      if (!stopping) {
        opts.onResult(r, job);
        source.onResult?.(r);
        noteResult();
      }
    };
    /** The worker ended with jobs it had not started: they go to another worker. */
    const handBack = (): void => {
      if (held.length === 0) return;
      inFlight -= held.length; // counted again when sent to a worker
      retry.push(...held.splice(0));
      wakeIdle();
    };
    const retire = (): void => {
      retired = true;
      clearWatchdog();
      void w.terminate();
    };
    const feed = (): void => {
      idleWaiting = false;
      if (retired || diedWith !== null) return;
      if (stopping) {
        if (held.length === 0) retire();
        return;
      }
      while (held.length < prefetch) {
        const job = nextJob();
        if (!job) break;
        held.push(job);
        inFlight++;
        w.postMessage(job);
        // The limit counts from when the run starts: a worker's first job waits for the thread to
        // boot and import the scenario, which a loaded machine can make slow. Loading gets a grace.
        if (held.length === 1) arm(job, timeoutMs + BOOT_GRACE_MS);
      }
      if (held.length > 0) return;
      if (noMoreWork()) {
        retire();
        checkDone();
      } else if (!idleWaiting) {
        idleWaiting = true;
        idle.push(feed); // a guided source waits for results before it has more
      }
    };
    const arm = (job: SweepJob, ms: number): void => {
      clearWatchdog();
      if (timeoutMs <= 0) return;
      watchdog = setTimeout(() => { // wallclock-ok: the harness's watchdog, outside the simulation
        if (held[0] !== job) return;
        held.shift();
        handBack();
        retire();
        finish(job, workerFailure(job, `the seed ran for more than ${opts.seedTimeoutS}s of wall time and was stopped (an endless loop inside one event?); replay it with --trace to see where it stops`));
        if (!stopping) start();
        wakeIdle();
        checkDone();
      }, ms);
    };
    w.on('message', (reply: WorkerReply | { started: number }) => {
      const job = held[0];
      if ('started' in reply) {
        if (job && reply.started === job.id) arm(job, timeoutMs);
        return;
      }
      if (!job || reply.id !== job.id) return;
      clearWatchdog();
      held.shift();
      // The next held job is already running in the worker: its clock starts now.
      if (held[0] !== undefined) arm(held[0], timeoutMs + BOOT_GRACE_MS);
      finish(job, reply.result ?? workerFailure(job, `the worker failed to run this seed: ${reply.error}`));
      wakeIdle();
      feed();
      checkDone();
    });
    // The error of a thread (a leftover callback of its seed threw) can come before the reply it
    // posted for the seed before, still on its way: blamed at once, it failed that seed (which had
    // passed, its result lost) for the next one's throw. 'exit' comes after every reply is in.
    w.on('error', (err: Error & { code?: string }) => {
      clearWatchdog();
      diedWith ??= err;
    });
    w.on('exit', (code) => {
      live.delete(w);
      clearWatchdog();
      const job = held.shift();
      handBack();
      if (job && diedWith !== null) {
        // Scenario code may throw anything; a thread's error arrives as what was thrown (describeThrown).
        const msg =
          diedWith.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? `out of memory: the seed used more than the worker's ${opts.maxMemoryMb ?? '?'} MB heap limit (--max-memory) and was stopped; replay it alone to see what grows without bound`
            : `the worker running this seed died: ${diedWith instanceof Error ? diedWith.message : describeThrown(diedWith)}`;
        finish(job, workerFailure(job, msg));
      } else if (job && !retired) {
        // In a worker, process.exit ends the thread: the scenario (or something it called) exited.
        finish(job, workerFailure(job, `the worker running this seed exited with code ${code} before the run finished: the scenario called process.exit(${code}) or something like it; a run must end by returning from its events`));
      } else if (job) {
        // Retired with a job still held (stop()): it is abandoned, as stop() says.
      }
      if (!stopping && !noMoreWork() && (!retired || live.size === 0)) start();
      wakeIdle();
      checkDone();
    });
    feed();
  };

  const total = source.total();
  const n = Math.max(1, total === null ? opts.jobs : Math.min(opts.jobs, Math.max(total, 1)));
  const ramp = opts.rampUp === undefined ? DEFAULT_RAMP_UP : opts.rampUp;
  // Workers not started yet (the ramp-up decides when), and when the last results came in.
  let extra = ramp !== null && total !== null ? n - 1 : 0;
  const t0 = performance.now(); // wallclock-ok: the pool's pacing, outside the simulation
  // The pace is measured in the process's CPU time (all threads: the one worker, V8's helpers and
  // this thread), which outside load does not stretch as it stretches wall time; on a loaded
  // machine a second worker has no idle core to use anyway.
  const cpuMs = (): number => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  };
  const cpu0 = cpuMs();
  let results = 0;
  const recent: number[] = [];
  let rampTimer: NodeJS.Timeout | null = null;
  const startExtra = (): void => {
    if (rampTimer) clearTimeout(rampTimer);
    rampTimer = null;
    const k = extra;
    extra = 0;
    if (stopping || noMoreWork()) return;
    for (let i = 0; i < k; i++) start();
    // Started early for more workers than this sweep uses: not needed.
    for (const pre of prestarted.splice(0)) void pre.discard();
  };
  dropRamp = (): void => {
    extra = 0;
    if (rampTimer) clearTimeout(rampTimer);
    rampTimer = null;
    for (const pre of prestarted.splice(0)) void pre.discard();
  };
  /** After each result (and once on a timer): are the other workers worth starting now? (Estimated CPU ms of the work left ≥ minRemainingMs.) */
  considerRampUp = (): void => {
    if (extra === 0 || ramp === null || total === null) return;
    const now = performance.now(); // wallclock-ok
    if (results < ramp.minResults && now - t0 < ramp.decideAfterMs) return;
    // CPU time a seed at the latest pace (the first worker alone ran them).
    const pace = recent.length >= 2 ? (recent[recent.length - 1]! - recent[0]!) / (recent.length - 1) : (cpuMs() - cpu0) / Math.max(1, results);
    if ((total - results) * pace >= ramp.minRemainingMs) startExtra();
    else if (noMoreWork()) extra = 0;
  };
  noteResult = (): void => {
    results++;
    if (extra === 0) return;
    recent.push(cpuMs());
    if (recent.length > PACE_WINDOW + 1) recent.shift();
    considerRampUp();
  };
  if (total === 0 || source.done()) resolveAll();
  else {
    for (let i = 0; i < n - extra; i++) start();
    if (extra > 0) {
      // Slow seeds: no need to wait for minResults of them to know the work left is long.
      rampTimer = setTimeout(considerRampUp, ramp!.decideAfterMs); // wallclock-ok
      rampTimer.unref();
    }
  }
  // Started early for more workers than this sweep has jobs (or than start now): not needed, unless the ramp-up may still use them.
  if (extra === 0) for (const pre of prestarted.splice(0)) void pre.discard();
  return {
    finished,
    workersStarted: () => started,
    workersAtOnce: () => peak,
    serialScavenges: () => serial,
    stop: async () => {
      stopping = true;
      if (rampTimer) clearTimeout(rampTimer);
      wakeIdle();
      inFlight = 0;
      await Promise.all([...live].map((w) => w.terminate()));
      live.clear();
      resolveAll();
    },
  };
}

/** A run id: sortable, unique enough for two sweeps started in one second (4 random hex digits). */
export function newRunId(shard: Shard | null): string {
  const d = new Date(); // wallclock-ok: names files, outside the simulation
  const p = (x: number): string => String(x).padStart(2, '0');
  const rand = Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0'); // wallclock-ok: a file name, not simulation
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}-${rand}${shard ? `-s${shard.k}of${shard.n}` : ''}`;
}

/** Checks a file the sweep will write at the end, by writing it now (a placeholder). Bad: UserError, one line. */
export function claimOutputFile(file: string, flag: string, placeholder: string): void {
  const dir = path.dirname(path.resolve(file));
  if (!existsSync(dir)) throw new UserError(`${flag} ${file}: the folder ${dir} does not exist; create it or name another file`);
  if (existsSync(file) && statSync(file).isDirectory()) throw new UserError(`${flag} ${file} is a folder; name a file`);
  try {
    writeFileSync(file, placeholder);
  } catch (e) {
    throw new UserError(`${flag} ${file} cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); name a file you can write`);
  }
}

/** Makes sure --out is a folder the sweep can write; checked before the first seed runs. */
export function prepareOutDir(out: string): void {
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UserError(`--out ${out} is a file, not a folder: name a folder for the repro and results files`);
  try {
    mkdirSync(out, { recursive: true });
    const probe = path.join(out, `.detsim-write-check-${process.pid}`);
    closeSync(openSync(probe, 'w'));
    rmSync(probe, { force: true });
  } catch (e) {
    throw new UserError(`--out ${out} cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); name a folder you can write`);
  }
}

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

export interface PipelineOptions {
  source: JobSource;
  scenarios: ScenarioInfo[];
  header: Omit<ResultsHeader, 'format' | 'kind' | 'runId' | 'startedAt'>;
  runId: string;
  shard: Shard | null;
  out: string;
  jobs: number;
  seedTimeoutS: number;
  maxMemoryMb: number;
  junit?: string | undefined;
  markdown?: string | undefined;
  json: boolean;
  title: string;
  /** Wall clock (ms) for the summary's speed figures. */
  clock: () => number;
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** Progress lines on stderr (a bar on a terminal). */
  progress: boolean;
  /** Turns a run into its verdict (regress: a known bug caught as expected is a pass). */
  judge?: (r: RunReport) => RunReport;
  /** With json: add `perSeed`, one entry per run with its metrics (`sweep --json --per-seed`). */
  perSeed?: boolean;
  /** Workers started early (see PoolOptions). */
  prestarted?: EarlyWorker[];
}

export interface PipelineResult {
  code: number;
  report: SweepReport;
  resultsFile: string;
}

const PLACEHOLDER_JUNIT = (what: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="detsim" tests="1" failures="1">\n  <testsuite name="detsim-sweep" tests="1" failures="1">\n    <testcase classname="detsim-sweep" name="sweep completed"><failure type="incomplete" message="${what}"/></testcase>\n  </testsuite>\n</testsuites>\n`;

/** One run of `sweep --json --per-seed` (schemas/sweep.schema.json, perSeed), read back from the results file. */
export interface PerSeedRow {
  scenario: string;
  seed: number;
  ok: boolean;
  outcome: string;
  traceHash: string;
  events: number;
  simTimeNs: number;
  wallMs: number;
  params: Record<string, unknown>;
  metrics: Record<string, unknown>;
}

async function perSeedRows(resultsFile: string): Promise<PerSeedRow[]> {
  const rows: PerSeedRow[] = [];
  await readResults(
    resultsFile,
    () => {},
    (l) => rows.push({ scenario: l.scenario, seed: l.seed, ok: l.ok, outcome: l.outcome, traceHash: l.traceHash, events: l.events, simTimeNs: l.simTimeNs, wallMs: l.wallMs, params: l.params, metrics: l.metrics }),
  );
  return rows;
}

/**
 * The sweep as a whole: checks outputs, streams results, writes repro files as failures come,
 * handles SIGINT/SIGTERM, and writes the report (terminal, JSON, JUnit, Markdown).
 */
/**
 * Every output is checked (and claimed: a JUnit file saying "not finished", so a sweep killed
 * outright never leaves a green report) before the first seed runs. Bad: UserError, one line.
 */
export function checkOutputs(o: { out: string; junit?: string | undefined; markdown?: string | undefined; title: string }): void {
  const started = 'the sweep started but has not finished (or was killed): its results so far are in the results file';
  const reports: [string, string, string][] = [];
  if (o.junit) reports.push([o.junit, '--junit', PLACEHOLDER_JUNIT(started)]);
  if (o.markdown) reports.push([o.markdown, '--markdown', `## ${o.title}: ⚠️ INCOMPLETE\n\n${started}.\n`]);
  // A report inside --out (CI's `--out detsim-out --junit detsim-out/sweep.xml` on a fresh checkout)
  // is claimed once the sweep has made that folder; the others first, so a bad one leaves no folder.
  for (const [file, flag, placeholder] of reports) if (!insideOut(file, o.out)) claimOutputFile(file, flag, placeholder);
  prepareOutDir(o.out);
  for (const [file, flag, placeholder] of reports) if (insideOut(file, o.out)) claimOutputFile(file, flag, placeholder);
}

/** Whether a report file goes straight into the sweep's --out folder (which the sweep makes). */
export function insideOut(file: string, out: string): boolean {
  return path.dirname(path.resolve(file)) === path.resolve(out);
}

export async function runPipeline(o: PipelineOptions): Promise<PipelineResult> {
  checkOutputs(o);
  const resultsFile = path.join(o.out, `${o.runId}.results.jsonl`);
  const header: ResultsHeader = { format: RESULTS_HEADER_FORMAT, kind: 'header', runId: o.runId, startedAt: new Date().toISOString(), ...o.header }; // wallclock-ok
  let writer: ResultsWriter;
  try {
    writer = new ResultsWriter(resultsFile, header);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UserError(`run id ${o.runId} was already used in ${o.out} (${path.basename(resultsFile)} exists): give another --run-id or another --out`);
    throw new UserError(`cannot create the results file ${resultsFile} (${code ?? (e as Error).message})`);
  }
  const agg = new SweepAggregator({ findRepeats: false });
  agg.addHeader(header, resultsFile);
  const byName = new Map(o.scenarios.map((l) => [l.scenario.name, l]));
  const c = makeChalk(process.stderr);
  const total = o.source.total();
  const tty = o.progress && process.stderr.isTTY === true;
  const t0 = o.clock();
  let done = 0;
  let failed = 0;
  let lastPct = -1;
  let lastLine = t0;
  const shardText = formatShard(o.shard);

  const onResult = (raw: RunReport, job: SweepJob): void => {
    const r = o.judge ? o.judge(raw) : raw;
    const l = byName.get(r.scenario);
    const scenarioArg = l && !l.builtIn ? displayPath(l.file) : r.scenario;
    const run = runCommand(scenarioArg, r.seed, job.pins, job.swarm, job.buggify, job.linkStreams === false);
    let repro: string | undefined;
    let replay: string | undefined;
    // A run that checked nothing has no failure to replay: its run command shows the same.
    if (!r.ok && r.outcome !== 'unchecked') {
      // The repro file first, at once: a sweep killed a moment later still leaves it.
      const file = path.join(o.out, `${r.scenario}-seed${r.seed}-${o.runId}.json`);
      try {
        const rep = makeRepro(r, { buggify: job.buggify, file, pins: job.pins, ...(l && !l.builtIn ? { scenarioFile: l.file } : {}) });
        writeRepro(file, rep);
        repro = displayPath(file);
        replay = rep.replay;
      } catch (e) {
        o.stderr(c.yellow(`detsim: could not write the repro file ${file} (${(e as Error).message}); the failure is in ${resultsFile}, replay it with: ${run}`));
        replay = run;
        repro = '';
      }
    }
    const line = toResultLine(r, { runId: o.runId, shard: shardText, ...(repro !== undefined ? { repro } : {}), ...(replay !== undefined ? { replay } : {}), run, pins: job.pins });
    writer.write(line);
    agg.add(line, resultsFile);
    done++;
    if (!r.ok) failed++;
    if (!o.progress) return;
    const now = o.clock();
    const rate = done / Math.max((now - t0) / 1000, 1e-3);
    if (tty) {
      const width = 30;
      const frac = total ? done / total : 0;
      const fill = Math.round(frac * width);
      process.stderr.write(`\r[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${total ?? '?'} runs  ${failed ? c.red(`${failed} failed`) : c.green('0 failed')}  ${rate.toFixed(1)} seeds/s `);
    } else {
      // A line every 10% (and at most every 10 s for endless sweeps), so CI logs stay short.
      const pct = total ? Math.floor((done / total) * 10) : -1;
      if ((total && pct !== lastPct) || (!total && now - lastLine > 10_000) || (total && total > 1e6 && now - lastLine > 10_000)) {
        lastPct = pct;
        lastLine = now;
        o.stderr(`  ${done}/${total ?? '?'} runs, ${failed} failed, ${rate.toFixed(1)} seeds/s`);
      }
    }
  };

  const pool = startPool({ source: o.source, jobs: o.jobs, seedTimeoutS: o.seedTimeoutS, maxMemoryMb: o.maxMemoryMb, onResult, rampUp: rampUpFromEnv(), ...(o.prestarted ? { prestarted: o.prestarted } : {}) });
  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (interrupted) {
      // A second signal: the user insists. Every result so far is already in the results file.
      process.exit(sig === 'SIGINT' ? 130 : 143);
    }
    interrupted = sig;
    if (tty) process.stderr.write('\n');
    o.stderr(c.yellow(`detsim: ${sig}: stopping the workers and writing an incomplete report (every finished run is in ${displayPath(resultsFile)}); ${sig === 'SIGINT' ? 'Ctrl-C again' : 'the signal again'} to quit at once`));
    void pool.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await pool.finished;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    writer.close();
  }
  if (tty) process.stderr.write('\n');
  const wallS = (o.clock() - t0) / 1000;
  const report = agg.report({ wallSeconds: wallS, jobs: o.jobs, workersUsed: pool.workersAtOnce(), allShards: false, ...(interrupted ? { interrupted } : {}) });
  const outDir = displayPath(o.out);
  if (o.junit) writeFileSync(o.junit, junitFromReport(report, (s) => agg.passes(s)));
  if (o.markdown) writeFileSync(o.markdown, markdownSummary(report, o.title));
  if (o.json) {
    const perSeed = o.perSeed ? await perSeedRows(resultsFile) : undefined;
    o.stdout(JSON.stringify({ ...report, runId: o.runId, resultsFile: displayPath(resultsFile), ...(perSeed ? { perSeed } : {}) }, null, 2));
  }
  else {
    const co = makeChalk();
    for (const line of terminalSummary(report, co, { outDir, ...(o.junit ? { junit: o.junit } : {}), ...(o.markdown ? { markdown: o.markdown } : {}) })) o.stdout(line);
    o.stdout(co.dim(`results: ${displayPath(resultsFile)}${o.shard ? ` (combine the shards with: npx detsim merge <their --out folders>)` : ''}`));
  }
  const code = interrupted ? (interrupted === 'SIGINT' ? 130 : 143) : reportExitCode(report);
  return { code, report, resultsFile };
}

/**
 * Seeds per second of a sweep with `jobs` workers, for `npm run bench`. `clock` is a wall clock
 * passed in by the bench harness.
 */
export async function benchSweep(clock: () => number, jobs = 2, seeds = 40): Promise<{ seeds: number; jobs: number; wallMs: number; seedsPerSec: number }> {
  const { resolveScenario } = await import('./scenarios.ts');
  const { SeedRangeSource } = await import('./jobs.ts');
  const l = await resolveScenario('broadcast');
  const source = new SeedRangeSource([{ name: l.scenario.name, file: l.file, pins: {} }], { seeds, from: 1, shard: null, swarm: true, buggify: true, checkDeterminism: false });
  const t0 = clock();
  await startPool({ source, jobs, onResult: () => {}, rampUp: null }).finished;
  const wallMs = clock() - t0;
  return { seeds, jobs, wallMs: Math.round(wallMs), seedsPerSec: Math.round((seeds / wallMs) * 1000 * 10) / 10 };
}
