/**
 * Sweep workers started before the sweep is set up (cli/early-worker.ts): a worker thread takes
 * a few tenths of a second to boot and load the simulator, which the main thread would otherwise
 * wait for after its own set-up (loading the sweep's modules, finding the scenarios, checking
 * the outputs). Only what is needed to start them is here, so `sweep` can start them first thing.
 */
import { availableParallelism, totalmem } from 'node:os';
import path from 'node:path';
import { EarlyWorker } from './early-worker.ts';
import { CODE_EXT, CODE_ROOT, COMPILED, PACKAGE_ROOT } from './layout.ts';

// Compiled (dist/): the worker module itself, nothing to register (cli/user-modules.ts registers
// tsx when a user's .ts file comes). From source: bin/worker-entry.js registers tsx first.
export const SWEEP_WORKER_ENTRY = COMPILED ? path.join(CODE_ROOT, 'cli', `sweep-worker${CODE_EXT}`) : path.join(PACKAGE_ROOT, 'bin', 'worker-entry.js');

/** Default heap limit of one worker: half the machine's memory shared by the workers, at most 4 GiB. */
export function defaultMaxMemoryMb(jobs: number): number {
  return Math.max(256, Math.min(4096, Math.floor(totalmem() / 2 ** 20 / 2 / Math.max(1, jobs))));
}

/** The cores this machine offers (what --jobs is capped at). */
export function coreCount(): number {
  return Math.max(1, availableParallelism());
}

/** A sweep worker thread with this heap limit (MB; 0: Node's default). */
export function sweepWorkerOptions(maxMemoryMb: number): { resourceLimits?: { maxOldGenerationSizeMb: number } } {
  return maxMemoryMb ? { resourceLimits: { maxOldGenerationSizeMb: maxMemoryMb } } : {};
}

/** The heap limit a worker was started with (0: none). */
export function workerMemoryOf(w: EarlyWorker): number {
  return (w.options as { resourceLimits?: { maxOldGenerationSizeMb?: number } }).resourceLimits?.maxOldGenerationSizeMb ?? 0;
}

/**
 * Starts the workers a sweep with these (not yet validated) options will use, or none when an
 * option is not plainly valid: the sweep's own checks then report it, and a worker whose limits
 * differ from the pool's is never used (cli/sweep.ts startPool). Unused workers are discarded.
 */
export function prestartSweepWorkers(argv: Record<string, unknown>): EarlyWorker[] {
  const int = (v: unknown): number | null => (typeof v === 'string' && /^\d{1,7}$/.test(v) ? Number(v) : null);
  const jobsRaw = int(argv.jobs);
  const seeds = int(argv.seeds);
  if (jobsRaw === null || jobsRaw < 1 || seeds === null || seeds < 1) return [];
  const jobs = Math.min(jobsRaw, coreCount());
  const mem = argv['max-memory'] === undefined ? defaultMaxMemoryMb(jobs) : int(argv['max-memory']);
  if (mem === null || mem < 64 || mem > 1_048_576) return [];
  const out: EarlyWorker[] = [];
  // With the ramp-up (cli/sweep.ts RampUp) a sweep starts on one worker; the others start, if
  // the sweep is long enough, after its first results, when their boot no longer delays anything.
  const first = process.env.DETSIM_SWEEP_RAMP_UP === '0' ? Math.min(jobs, seeds) : 1;
  for (let i = 0; i < first; i++) out.push(new EarlyWorker(SWEEP_WORKER_ENTRY, sweepWorkerOptions(mem)));
  return out;
}
