/**
 * The trials of `detsim shrink`, each run in a sweep worker thread (cli/sweep-worker.ts, through
 * the pool of cli/sweep.ts) instead of the command's own thread. A shrink runs the scenario's code
 * under other fault mixes than the recorded run, and so may meet code the recorded run never
 * reached: an endless loop, a memory blow-up, a process.exit, a real timer or a promise rejected
 * after the run. In the command's thread these hung the shrink, killed it with a V8 stack, ended
 * it with exit 0 and no file, or printed a stack after it. In a worker each is that trial's crash
 * (not the invariant kept, so not kept) and the shrink goes on with a fresh worker.
 */
import type { RunResult } from '../sim/runner.ts';
import type { ParamDefs } from '../sim/params.ts';
import type { JobSource, SweepJob } from './jobs.ts';
import { stoppedFromOutside } from './run-watched.ts';
import { shrinkTrials, type ShrinkInput, type ShrinkResult, type ShrinkStep, type TrialRequest } from './shrink.ts';
import { startPool } from './sweep.ts';

export interface ShrinkWorkerOptions {
  /** The scenario module's absolute path (what the worker imports). */
  file: string;
  /** Wall-clock seconds one trial may take before it is stopped (0: no limit). */
  timeoutS: number;
  /** Heap limit of the worker, MB (0: Node's default). */
  maxMemoryMb: number;
  /** Called for each kept simplification. */
  onStep?: (s: ShrinkStep, r: RunResult) => void;
  /** Called for each trial stopped from outside (hung, out of memory, exited, died) or that left a real timer, with why. */
  onStopped?: (trial: number, why: string) => void;
}

/**
 * Shrinks with every trial in a watched worker. The pool asks its source for the next job as soon
 * as a result is in, so the search is stepped inside the result's callback: the next trial is ready
 * when the pool asks for it (stepped later, the worker would wait for a job nobody hands it).
 */
export async function shrinkInWorker<P extends ParamDefs>(input: ShrinkInput<P>, o: ShrinkWorkerOptions): Promise<ShrinkResult> {
  const search = shrinkTrials(input, o.onStep);
  let request: TrialRequest | null = null;
  let result: ShrinkResult | null = null;
  let failure: { err: unknown } | null = null;
  let id = 0;
  const step = (r?: RunResult): void => {
    try {
      const s = r === undefined ? search.next() : search.next(r);
      if (s.done) result = s.value;
      else request = s.value;
    } catch (err) {
      failure = { err };
    }
  };
  const over = (): boolean => result !== null || failure !== null;
  const source: JobSource = {
    next: (): SweepJob | null => {
      if (request === null) return null;
      const q = request;
      request = null;
      return {
        id: ++id,
        file: o.file,
        scenario: input.scenario.name,
        seed: input.seed,
        pins: q.params,
        swarm: false,
        buggify: q.buggify,
        checkDeterminism: false,
        linkStreams: input.linkStreams ?? true,
        ...(q.script !== null ? { script: [...q.script] } : {}),
      };
    },
    done: over,
    total: () => null,
  };
  step();
  if (!over()) {
    const pool = startPool({
      source,
      jobs: 1,
      prefetch: 1,
      rampUp: null,
      seedTimeoutS: o.timeoutS,
      maxMemoryMb: o.maxMemoryMb,
      onResult: (r, job) => {
        if (stoppedFromOutside(r.violations[0])) o.onStopped?.(job.id, r.violations[0]!.message);
        step(r);
      },
    });
    await pool.finished;
    await pool.stop();
  }
  if (failure !== null) throw (failure as { err: unknown }).err;
  return result!;
}
