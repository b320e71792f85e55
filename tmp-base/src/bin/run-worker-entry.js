// Entry point of the worker thread that runs one seed for `detsim run` / `replay` (cli/run-watched.ts)
// when detsim runs from the TypeScript sources: the TypeScript loader and detsim's module hooks
// must be registered in each thread. (Running compiled, dist/cli/run-worker.js is started directly.)
import './register.js';
await import('../cli/run-worker.ts');
