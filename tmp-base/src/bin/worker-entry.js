// Entry point of a sweep worker thread when detsim runs from the TypeScript sources: the
// TypeScript loader must be registered in each thread. (Running compiled, cli/sweep.ts starts
// dist/cli/sweep-worker.js directly.)
import './register.js';
await import('../cli/sweep-worker.ts');
