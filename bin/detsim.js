#!/usr/bin/env node
// detsim's command-line entry. Runs the JavaScript compiled into dist/ when it is up to date
// (bin/code.js); otherwise registers the TypeScript loader and detsim's module hooks and runs the
// sources, saying why on a terminal.
import { startEarlyRun } from './early-run.js';
// First of all, a `detsim run`'s thread starts booting on the other core (bin/early-run.js).
const boot = startEarlyRun(process.argv.slice(2));
// `detsim run ... | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}
// Imported after the thread has started: nothing delays it.
const { chooseCode, noteSourceFallback } = await import('./code.js');
const code = chooseCode();
let main;
if (code.compiled) {
  ({ main } = await import('../dist/cli/main.js'));
} else {
  await import('./register.js');
  noteSourceFallback(code);
  ({ main } = await import('../cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2), undefined, boot ?? undefined);
