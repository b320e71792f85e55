/**
 * The worker thread of `detsim run` / `replay`: runs one seed and posts its report. The main
 * thread (cli/run-watched.ts) watches it, so an endless loop, a memory blow-up or a process.exit
 * in the scenario's code ends this thread, never the command, and is reported as that seed's failure.
 */
import { writeFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { TraceRecord } from '../sim/trace.ts';
import { executeRun } from './execute.ts';
import type { WatchedJob, WatchedReply } from './run-watched.ts';
import { loadScenarioFile } from './scenarios.ts';
import { RecentLines, TraceFileWriter } from './trace-tail.ts';

async function main(job: WatchedJob): Promise<WatchedReply> {
  const { scenario } = await loadScenarioFile(job.file, job.builtIn);
  parentPort!.postMessage({ started: true } satisfies WatchedReply);
  const recent = new RecentLines(job.recent);
  const trace = job.traceFile !== undefined && job.traceShared !== undefined ? new TraceFileWriter(job.traceFile, job.traceShared) : null;
  // The timeline keeps the last records of the run (bounded memory on long runs); its module is
  // loaded only when a timeline is asked for.
  const tl = job.timeline ? await import('../reports/timeline-html.ts') : null;
  const timeline = tl ? new tl.TimelineCollector() : null;
  const sink = (rec: TraceRecord): void => {
    recent.sink(rec);
    trace?.sink(rec);
    timeline?.sink(rec);
  };
  let report;
  try {
    report = executeRun(scenario, { seed: job.seed, pins: job.pins, swarm: job.swarm, buggify: job.buggify, checkDeterminism: job.checkDeterminism, logLines: job.logLines, extraSink: sink, script: job.script ?? null, ...(job.linkStreams !== undefined ? { linkStreams: job.linkStreams } : {}) });
  } finally {
    trace?.close();
  }
  if (job.timeline && tl !== null && timeline !== null) writeFileSync(job.timeline, tl.timelineHtml(tl.timelineInputForRun(`${scenario.name} seed ${job.seed}`, report, timeline)));
  return { report };
}

// The job comes as the first message: the thread may be started before the run is known
// (cli/run-watched.ts PrestartedRun), so the imports above load while the main thread prepares it.
parentPort!.once('message', (job: WatchedJob) => {
  main(job).then(
    (reply) => parentPort!.postMessage(reply),
    (err: unknown) => parentPort!.postMessage({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) } satisfies WatchedReply),
  );
});
