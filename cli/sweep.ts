/**
 * `detsim sweep`: many seeds over many scenarios, in parallel worker threads. Each worker takes
 * the next job when it finishes one, so slow seeds do not hold up the rest. A worker that dies
 * (out of memory, say) fails its seed and is replaced; the sweep goes on.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RunReport } from './execute.ts';
import type { LoadedScenario } from './scenarios.ts';
import { PACKAGE_ROOT } from './scenarios.ts';

export interface SweepJob {
  id: number;
  file: string;
  scenario: string;
  seed: number;
  pins: Record<string, unknown>;
  swarm: boolean;
  buggify: boolean;
  checkDeterminism: boolean;
}

export type WorkerReply = { id: number; result: RunReport; error?: undefined } | { id: number; error: string; result?: undefined };

export interface SweepOptions {
  scenarios: LoadedScenario[];
  /** Pins per scenario name (already validated). */
  pins: Map<string, Record<string, unknown>>;
  seeds: number;
  from: number;
  jobs: number;
  swarm: boolean;
  buggify: boolean;
  checkDeterminism: boolean;
  /**
   * Wall-clock seconds one seed may take before its worker is stopped and the seed reported as
   * hung. The event limit catches livelocks in simulated time; this catches an endless loop inside
   * one event, which would otherwise hang the sweep. 0 = no limit.
   */
  seedTimeoutS?: number;
  onResult?: (r: RunReport, done: number, total: number) => void;
}

const WORKER_ENTRY = path.join(PACKAGE_ROOT, 'bin', 'worker-entry.js');

/** A result for a seed whose worker failed outside the simulation. */
function workerFailure(job: SweepJob, message: string): RunReport {
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

export async function sweep(opts: SweepOptions): Promise<RunReport[]> {
  const jobs: SweepJob[] = [];
  let id = 0;
  for (const l of opts.scenarios)
    for (let s = 0; s < opts.seeds; s++)
      jobs.push({
        id: id++,
        file: l.file,
        scenario: l.scenario.name,
        seed: opts.from + s,
        pins: opts.pins.get(l.scenario.name) ?? {},
        swarm: opts.swarm,
        buggify: opts.buggify,
        checkDeterminism: opts.checkDeterminism,
      });
  const results: RunReport[] = new Array(jobs.length);
  let next = 0;
  let done = 0;
  const nWorkers = Math.max(1, Math.min(opts.jobs, jobs.length));

  await new Promise<void>((resolveAll) => {
    if (jobs.length === 0) return resolveAll();
    const timeoutMs = (opts.seedTimeoutS ?? 0) * 1000;
    const start = (): void => {
      const w = new Worker(WORKER_ENTRY);
      let current: SweepJob | null = null;
      let watchdog: NodeJS.Timeout | null = null;
      const feed = (): void => {
        if (watchdog) clearTimeout(watchdog);
        watchdog = null;
        if (next >= jobs.length) {
          current = null;
          void w.terminate();
          return;
        }
        current = jobs[next++]!;
        w.postMessage(current);
        if (timeoutMs > 0) {
          const job = current;
          watchdog = setTimeout(() => { // wallclock-ok: the harness's watchdog, outside the simulation
            if (current !== job) return;
            current = null;
            finish(job, workerFailure(job, `the seed ran for more than ${opts.seedTimeoutS}s of wall time and was stopped (an endless loop inside one event?); replay it with --trace to see where it stops`));
            void w.terminate();
            if (next < jobs.length) start();
          }, timeoutMs);
        }
      };
      const finish = (job: SweepJob, r: RunReport): void => {
        results[job.id] = r;
        done++;
        opts.onResult?.(r, done, jobs.length);
        if (done === jobs.length) resolveAll();
      };
      w.on('message', (reply: WorkerReply) => {
        const job = jobs[reply.id]!;
        finish(job, reply.result ?? workerFailure(job, `the worker failed to run this seed: ${reply.error}`));
        feed();
      });
      w.on('error', (err) => {
        // The worker died (e.g. out of memory): fail its seed, replace it.
        if (watchdog) clearTimeout(watchdog);
        if (current) {
          const job = current;
          current = null;
          finish(job, workerFailure(job, `the worker running this seed died: ${err.message}`));
        }
        if (next < jobs.length) start();
      });
      feed();
    };
    for (let i = 0; i < nWorkers; i++) start();
  });
  return results;
}

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

/**
 * Seeds per second of a sweep with `jobs` workers, for `npm run bench`. `clock` is a wall clock
 * passed in by the bench harness.
 */
export async function benchSweep(clock: () => number, jobs = 2, seeds = 40): Promise<{ seeds: number; jobs: number; wallMs: number; seedsPerSec: number }> {
  const { resolveScenario } = await import('./scenarios.ts');
  const l = await resolveScenario('broadcast');
  const t0 = clock();
  await sweep({ scenarios: [l], pins: new Map(), seeds, from: 1, jobs, swarm: true, buggify: true, checkDeterminism: false });
  const wallMs = clock() - t0;
  return { seeds, jobs, wallMs: Math.round(wallMs), seedsPerSec: Math.round((seeds / wallMs) * 1000 * 10) / 10 };
}
