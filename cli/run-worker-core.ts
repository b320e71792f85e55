/**
 * What the worker thread of `detsim run` / `replay` does with its job: runs one seed and posts its
 * report. The thread's entry decides how the scenario is found: cli/run-worker.ts imports the
 * job's scenario file; a built-in scenario's bundle (dist/bundles/run-<name>.js, written by
 * `npm run build`: this module, the simulator and that one scenario in a single file, so the
 * thread loads one module instead of about sixty) has it already.
 */
import { writeFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { ParamError } from '../sim/params.ts';
import type { Scenario } from '../sim/scenario.ts';
import { sinkWithoutMessages, type TraceRecord, type TraceSink } from '../sim/trace.ts';
import { executeRun } from './execute.ts';
import { failOnRealTimers, pendingRealTimers, realSetTimeout, runReturned, watchRealTimers } from './real-timers.ts';
import type { WatchedJob, WatchedReply } from './run-watched.ts';
import { unsentReport } from './errors.ts';
import { RecentLines, TraceFileWriter } from './trace-tail.ts';
import { scenarioPrintsDelivered, scenarioPrintsToStderr } from './worker-stdout.ts';

scenarioPrintsToStderr();

async function runJob(job: WatchedJob, load: (job: WatchedJob) => Promise<Scenario>): Promise<WatchedReply> {
  const scenario = await load(job);
  parentPort!.postMessage({ started: true } satisfies WatchedReply);
  const recent = new RecentLines(job.recent);
  const trace = job.traceFile !== undefined && job.traceShared !== undefined ? new TraceFileWriter(job.traceFile, job.traceShared) : null;
  // The timeline keeps the last records of the run (bounded memory on long runs); its module is
  // loaded only when a timeline is asked for.
  const tl = job.timeline ? await import('../reports/timeline-html.ts') : null;
  const timeline = tl ? new tl.TimelineCollector() : null;
  const each = (rec: TraceRecord): void => {
    recent.sink(rec);
    trace?.sink(rec);
    timeline?.sink(rec);
  };
  // Only the timeline draws messages: without one, no record carries its message (its body as
  // JSON, made for every delivery, was a third of a long run's time on this thread).
  const sink: TraceSink = timeline !== null ? each : sinkWithoutMessages(each);
  let report;
  watchRealTimers();
  try {
    report = executeRun(scenario, { seed: job.seed, pins: job.pins, swarm: job.swarm, buggify: job.buggify, checkDeterminism: job.checkDeterminism, logLines: job.logLines, extraSink: sink, script: job.script ?? null, ...(job.linkStreams !== undefined ? { linkStreams: job.linkStreams } : {}) });
  } finally {
    runReturned();
    trace?.close();
  }
  // What the scenario left running outside the simulation (the rest of an async callback after its
  // await, a promise rejected with no handler, a real timer due at once) runs here, before the
  // verdict is posted: if it throws, the thread fails and so does the run. Posted first, the
  // verdict was a pass and the throw came too late to count.
  // A real timer longer than that, or made by those leftovers, fails the run (cli/real-timers.ts).
  await new Promise((resolve) => realSetTimeout(resolve, 0)); // wallclock-ok: lets pending callbacks run, times nothing
  failOnRealTimers(report, pendingRealTimers());
  if (job.timeline && tl !== null && timeline !== null) {
    const other = job.timelineOtherBuild;
    const title = other !== undefined && other.traceHash !== report.traceHash ? other.title : `${scenario.name} seed ${job.seed}`;
    writeFileSync(job.timeline, tl.timelineHtml(tl.timelineInputForRun(title, report, timeline)));
  }
  // The recorded script (every fault, BUGGIFY firing and client operation the run decided: about
  // 600,000 entries in a 10-million-event raft-churn run) crosses to the main thread only when it
  // is used there: a failure's --repro file. Built and cloned for a run nobody asked it of, it was
  // most of what the command held at its peak. --json says how long it is.
  if (!report.ok && (job.wantScript || job.countScript)) report.scriptEntries = report.script?.length ?? 0;
  if (report.ok || !job.wantScript) delete report.script;
  return { report };
}

/**
 * Runs the thread's one job, which comes as its first message: the thread may be started before
 * the run is known (cli/run-watched.ts PrestartedRun), so its imports load while the main thread
 * prepares the job.
 */
export function serveRunJob(load: (job: WatchedJob) => Promise<Scenario>): void {
  parentPort!.once('message', (job: WatchedJob) => {
    // The reply waits for the run's prints (worker-stdout.ts): the command ends the thread on it.
    runJob(job, load).then(
      async (reply) => {
        await scenarioPrintsDelivered();
        postReport(reply);
      },
      (err: unknown) => {
        const sys = err as NodeJS.ErrnoException;
        // Writing the trace or the timeline failed (a full disk): the system's error, not the run's.
        const output = err instanceof Error && typeof sys.code === 'string' && (sys.syscall === 'write' || sys.syscall === 'open');
        // Values the scenario refuses (Scenario.checkParams): the user's error, reported as one line.
        if (err instanceof ParamError) {
          parentPort!.postMessage({ error: err.message, params: true } satisfies WatchedReply);
          return;
        }
        parentPort!.postMessage({ error: output ? err.message : err instanceof Error ? `${err.name}: ${err.message}` : String(err), ...(output ? { output } : {}) } satisfies WatchedReply);
      },
    );
  });
}

/**
 * Posts the run's reply. A report holding a value that cannot be cloned (a promise, a function:
 * untyped scenario code put it in a metric or a check's answer) made postMessage throw, the
 * thread die with an error that arrived empty, and the command crash with a stack trace: the run
 * fails instead, saying why.
 */
function postReport(reply: WatchedReply): void {
  try {
    parentPort!.postMessage(reply);
  } catch (e) {
    parentPort!.postMessage({ error: unsentReport(e), unsent: true } satisfies WatchedReply);
  }
}
