/**
 * The worker thread of `detsim run` / `replay` for any scenario file (a user's .ts file, or a
 * built-in one without its bundle): imports the job's scenario and runs the seed
 * (cli/run-worker-core.ts). The main thread (cli/run-watched.ts) watches it, so an endless loop, a
 * memory blow-up or a process.exit in the scenario's code ends this thread, never the command, and
 * is reported as that seed's failure.
 */
import { serveRunJob } from './run-worker-core.ts';
import { loadScenarioFile } from './scenarios.ts';

serveRunJob(async (job) => (await loadScenarioFile(job.file, job.builtIn)).scenario);
