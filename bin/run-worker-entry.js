// Entry point of the worker thread that runs one seed for `detsim run` / `replay` (cli/run-watched.ts):
// the TypeScript loader and detsim's module hooks must be registered in each thread.
import './register.js';
await import('../cli/run-worker.ts');
