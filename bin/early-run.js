// The thread of a `detsim run`, started by bin/detsim.js before anything else happens: before the
// check that dist/ is current, before detsim's modules load, before the arguments are parsed. A
// worker thread costs about as much to start as node itself (a V8 isolate and node's bootstrap), so
// started first it boots on the second core while the main thread does all of that, and a short
// run ends that much sooner (docs/performance.md, "Tenth round: a short run's start-up").
//
// The thread imports nothing until the main thread names its module (cli/run-watched.ts
// prestartRun, through `load`): which one (a built-in scenario's bundle, the module-by-module
// worker, the TypeScript sources' entry) is known only once the build has been checked and the
// scenario found, and a bundle is never loaded unless the manifest it was built from is trusted.
// A thread nobody takes (bad input, another command after all, another heap limit) is ended
// unused: it never ran detsim's code.
//
// Plain JavaScript on purpose: it runs before any TypeScript loader is registered.
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

/**
 * The run's heap limit when `--max-memory` is not given, MB: cli/main.ts DEFAULT_MAX_MEMORY_MB
 * (a test checks they agree; were they to differ, the early thread would never be used).
 */
export const EARLY_RUN_MAX_MEMORY_MB = 4096;

// What the thread runs first: it waits for the module to import. A module file, not `eval` code
// (which boots a few milliseconds sooner): a worker started on a file runs node's --import
// preloads and module hooks, as the thread started on the run's module did.
const BOOT = new URL('./run-thread.js', import.meta.url);

/**
 * @typedef {{ error: Error & { code?: string } } | { exit: number }} EarlyEvent
 * @typedef {{
 *   worker: Worker,
 *   options: import('node:worker_threads').WorkerOptions,
 *   early: EarlyEvent | null,
 *   load: (entry: string) => void,
 *   discard: () => Promise<void>,
 * }} BootThread
 */

/**
 * Starts the run's thread when `args` (the command line, without node and the script) is a
 * `detsim run` or `detsim replay` that will want one with the default heap limit; else null. What the thread does
 * before it is given its module (it failed to boot?) is kept in `early`.
 * @param {readonly string[]} args
 * @returns {BootThread | null}
 */
export function startEarlyRun(args) {
  // --help and --version print and end; another heap limit needs another thread (a limit is set
  // when a thread starts). Anything else odd is the main thread's to judge: an unused thread is ended.
  // `replay` runs one seed in the same kind of thread (a repro file's run, or `replay <scenario> --seed N`).
  if ((args[0] !== 'run' && args[0] !== 'replay') || args.some((a) => a === '--help' || a === '-h' || a === '--version' || a.startsWith('--max-memory'))) return null;
  // cli/run-watched.ts runWorkerOptions(DEFAULT_MAX_MEMORY_MB): compared before the thread is used.
  const options = { resourceLimits: { maxOldGenerationSizeMb: EARLY_RUN_MAX_MEMORY_MB }, stdout: false, stderr: false };
  const worker = new Worker(BOOT, options);
  // Until it is taken it must not keep the process alive (bad input ends the command at once).
  worker.unref();
  /** @type {BootThread} */
  const thread = {
    worker,
    options,
    early: null,
    load(entry) {
      stopWatching();
      worker.postMessage({ entry: pathToFileURL(entry).href });
    },
    async discard() {
      stopWatching();
      worker.on('error', () => {});
      await worker.terminate();
    },
  };
  const onError = (error) => {
    thread.early ??= { error };
  };
  const onExit = (code) => {
    thread.early ??= { exit: code };
  };
  worker.on('error', onError);
  worker.on('exit', onExit);
  function stopWatching() {
    worker.off('error', onError);
    worker.off('exit', onExit);
  }
  return thread;
}
