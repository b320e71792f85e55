// Entry point of a sweep worker thread: the TypeScript loader must be registered in each thread.
import './register.js';
await import('../cli/sweep-worker.ts');
