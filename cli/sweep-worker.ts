/**
 * A sweep worker thread: receives (scenario file, seed) jobs, runs them, posts results back.
 * A thrown error is caught per job, so one bad seed never takes the sweep down.
 */
import { parentPort } from 'node:worker_threads';
import { executeRun } from './execute.ts';
import { loadScenarioFile } from './scenarios.ts';
import type { Scenario } from '../sim/scenario.ts';
import type { SweepJob, WorkerReply } from './sweep.ts';

const cache = new Map<string, Scenario>();

parentPort!.on('message', (job: SweepJob) => {
  void handle(job).then((reply) => parentPort!.postMessage(reply));
});

async function handle(job: SweepJob): Promise<WorkerReply> {
  try {
    let scn = cache.get(job.file);
    if (!scn) {
      scn = (await loadScenarioFile(job.file, true)).scenario;
      cache.set(job.file, scn);
    }
    const r = executeRun(scn, { seed: job.seed, pins: job.pins, swarm: job.swarm, buggify: job.buggify, checkDeterminism: job.checkDeterminism });
    return { id: job.id, result: r };
  } catch (err) {
    return { id: job.id, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}
