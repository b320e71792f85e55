#!/usr/bin/env node
// detsim's command-line entry: registers the TypeScript loader and detsim's module hooks, then runs the CLI.
import './register.js';
// `detsim run ... | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
