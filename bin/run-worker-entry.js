// Entry point of the worker thread that runs one seed for `detsim run` / `replay` (cli/run-watched.ts):
// the TypeScript loader must be registered in each thread.
import { register } from 'tsx/esm/api';
register();
await import('../cli/run-worker.ts');
