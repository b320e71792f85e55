/**
 * A sweep worker thread: receives (scenario file, seed) jobs, runs them, posts results back.
 * A thrown error is caught per job, so one bad seed never takes the sweep down.
 *
 * `process.exit` in a worker would end the thread silently (the run neither passes nor fails):
 * here it throws instead, so the run stops where the scenario called it and is reported as that
 * seed's crash, with its trace hash, replayable like any other failure. A scenario that catches
 * the throw still fails: the call is remembered. (The pool also treats a worker that exits in any
 * other way as a crash of the seed it was running.)
 */
import path from 'node:path';
import { parentPort, resourceLimits } from 'node:worker_threads';
import { compareRuns, executeRun, type RunReport } from './execute.ts';
import { failOnRealTimers, pendingRealTimers, realSetImmediate, realSetTimeout, runReturned, timersDueAtOnce, watchRealTimers } from './real-timers.ts';
import { prestartRun, runWatched } from './run-watched.ts';
import { unsentReport } from './errors.ts';
import { readManifest } from './scenario-manifest.ts';
import { SCENARIOS_DIR, loadScenarioFile } from './scenarios.ts';
import type { Scenario } from '../sim/scenario.ts';
import type { SweepJob, WorkerReply } from './sweep.ts';
import { scenarioPrintsDelivered, scenarioPrintsToStderr } from './worker-stdout.ts';

scenarioPrintsToStderr();

const cache = new Map<string, Scenario>();

class ScenarioExit extends Error {
  override name = 'ProcessExit';
}

let exitCalled: string | null = null;
/** True while a job's scenario loads or runs: the only time an exit is the scenario's own call. */
let inJob = false;
const realExit = process.exit.bind(process);
process.exit = ((code?: number | string | null) => {
  // Node ends a thread whose leftover callback threw by calling process.exit: a throw here would
  // print its own stack. The thread ends, and the pool fails the seed it was running.
  if (!inJob) return realExit(code as number);
  const c = code === undefined || code === null ? '' : String(code);
  exitCalled ??= c;
  throw new ScenarioExit(`the scenario called process.exit(${c})`);
}) as typeof process.exit;

// The pool sends the next job before this one's result is in (cli/sweep.ts, prefetch): jobs run
// one at a time, in the order sent, so the pool knows which one is running.
let queue: Promise<void> = Promise.resolve();
parentPort!.on('message', (job: SweepJob) => {
  // The reply waits for the run's prints (worker-stdout.ts): the pool may end this thread on it.
  queue = queue
    .then(() => handle(job))
    .then(async (reply) => {
      await scenarioPrintsDelivered();
      try {
        parentPort!.postMessage(reply);
      } catch (e) {
        // A result holding a value that cannot be cloned (cli/run-worker-core.ts postReport): the
        // seed fails saying why, instead of the worker dying with an empty error.
        parentPort!.postMessage({ id: reply.id, error: unsentReport(e) } satisfies WorkerReply);
      }
    });
});

function exitCrash(r: RunReport, call: string): RunReport {
  const message = `the scenario called process.exit(${call}): a run must end by returning from its events; the run was stopped there and counts as a failure`;
  const others = r.violations.filter((v) => !(v.invariant === 'crash' && v.message.startsWith('ProcessExit')));
  const at = r.violations.find((v) => v.invariant === 'crash');
  return { ...r, ok: false, outcome: 'crash', violations: [{ invariant: 'crash', atNs: at?.atNs ?? r.simTimeNs, eventIndex: at?.eventIndex ?? r.events, message }, ...others] };
}

async function handle(job: SweepJob): Promise<WorkerReply> {
  exitCalled = null;
  inJob = true;
  try {
    let scn = cache.get(job.file);
    if (!scn) {
      scn = (await loadScenarioFile(job.file, true)).scenario;
      cache.set(job.file, scn);
    }
    parentPort!.postMessage({ started: job.id });
    watchRealTimers();
    // --check-determinism runs the seed again in a fresh thread (below), not in this one: this
    // thread has run other seeds and scenarios, and a second run here would read what they left at
    // module level just as the first did, where a replay in a new process reads nothing.
    let r = executeRun(scn, { seed: job.seed, pins: job.pins, swarm: job.swarm, buggify: job.buggify, checkDeterminism: false, linkStreams: job.linkStreams ?? true, script: job.script ?? null });
    runReturned();
    inJob = false;
    // A promise the run left rejected with no handler (an async callback that threw after its
    // await) fails the thread once the microtasks drain: let that happen while this seed is the one
    // running, so the crash is blamed on it and not on the next seed. (setImmediate, not a timer:
    // no wait per seed.) A real timer due at once that the run made is waited for, as `run` waits
    // for it; a longer one fails the run (cli/real-timers.ts), the verdict `run` gives.
    await new Promise((resolve) => realSetImmediate(resolve));
    if (timersDueAtOnce()) await new Promise((resolve) => realSetTimeout(resolve, 0)); // wallclock-ok: times nothing
    failOnRealTimers(r, pendingRealTimers());
    if (exitCalled !== null) r = exitCrash(r, exitCalled);
    else if (job.checkDeterminism) await runAgainFresh(job, scn, r);
    // A passing run's script is read by nobody: keep the reply small.
    if (r.ok) delete r.script;
    return { id: job.id, result: r };
  } catch (err) {
    inJob = false;
    if (exitCalled !== null) return { id: job.id, error: `the scenario called process.exit(${exitCalled}) while loading` };
    return { id: job.id, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

/**
 * The --check-determinism run of a seed: again, in a new thread that has loaded the scenario and
 * the simulator afresh, as `detsim run` and `replay` do in a new process (a built-in scenario from
 * its bundle, as they do: one module to load, not sixty), with this thread's heap limit; the
 * sweep's --seed-timeout covers both runs. Records the outcome on `r` (execute.ts, compareRuns).
 * A run the new thread could not finish (out of memory, say) is a difference too.
 */
async function runAgainFresh(job: SweepJob, scn: Scenario, r: RunReport): Promise<void> {
  const maxMemoryMb = resourceLimits.maxOldGenerationSizeMb ?? 0;
  // Only the compiled built-in file itself may run from the bundle: a user's file may share its name.
  const builtIn = readManifest()?.scenarios.some((e) => e.name === scn.name && path.join(SCENARIOS_DIR, e.file) === path.resolve(job.file)) === true;
  const again = await runWatched({
    file: job.file,
    builtIn,
    ...(builtIn ? { prestarted: prestartRun(maxMemoryMb, scn.name) } : {}),
    scenario: scn.name,
    seed: job.seed,
    pins: job.pins,
    params: r.params,
    swarm: job.swarm,
    buggify: job.buggify,
    checkDeterminism: false,
    logLines: 0,
    timeoutS: 0,
    maxMemoryMb,
    ...(job.script !== undefined ? { script: job.script } : {}),
    linkStreams: job.linkStreams ?? true,
  });
  const stopped = again.stopped !== undefined ? ` (stopped: ${again.report.violations[0]?.message ?? again.stopped})` : '';
  compareRuns(r, again.report, `in a fresh thread${stopped}`);
}
