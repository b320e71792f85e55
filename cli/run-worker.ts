/**
 * The worker thread of `detsim run` / `replay`: runs one seed and posts its report. The main
 * thread (cli/run-watched.ts) watches it, so an endless loop, a memory blow-up or a process.exit
 * in the scenario's code ends this thread, never the command, and is reported as that seed's failure.
 */
import { writeFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { timelineHtml } from '../reports/timeline-html.ts';
import type { TraceRecord } from '../sim/trace.ts';
import { executeRun } from './execute.ts';
import type { WatchedJob, WatchedReply } from './run-watched.ts';
import { loadScenarioFile } from './scenarios.ts';
import { RecentLines, TraceFileWriter } from './trace-tail.ts';

/** Trace records a timeline shows at most (the last ones: what led to the end of the run). */
const TIMELINE_MAX = 20_000;

async function main(job: WatchedJob): Promise<WatchedReply> {
  const { scenario } = await loadScenarioFile(job.file, job.builtIn);
  parentPort!.postMessage({ started: true } satisfies WatchedReply);
  const recent = new RecentLines(job.recent);
  const trace = job.traceFile !== undefined && job.traceShared !== undefined ? new TraceFileWriter(job.traceFile, job.traceShared) : null;
  const timeline: TraceRecord[] | null = job.timeline ? [] : null;
  const sink = (rec: TraceRecord): void => {
    recent.sink(rec);
    trace?.sink(rec);
    if (timeline !== null) {
      // Keep the last TIMELINE_MAX records (bounded memory on long runs).
      timeline.push(rec);
      if (timeline.length > 2 * TIMELINE_MAX) timeline.splice(0, TIMELINE_MAX);
    }
  };
  let report;
  try {
    report = executeRun(scenario, { seed: job.seed, pins: job.pins, swarm: job.swarm, buggify: job.buggify, checkDeterminism: job.checkDeterminism, logLines: job.logLines, extraSink: sink });
  } finally {
    trace?.close();
  }
  if (job.timeline && timeline !== null) {
    const v = report.violations[0];
    writeFileSync(job.timeline, timelineHtml({ title: `${scenario.name} seed ${job.seed}: ${report.outcome}`, records: timeline.slice(-TIMELINE_MAX), violationAtNs: v?.atNs ?? null, ...(v ? { violationText: `${v.invariant}: ${v.message}` } : {}) }));
  }
  return { report };
}

main(workerData as WatchedJob).then(
  (reply) => parentPort!.postMessage(reply),
  (err: unknown) => parentPort!.postMessage({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) } satisfies WatchedReply),
);
