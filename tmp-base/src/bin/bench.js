#!/usr/bin/env node
// `npm run bench`: runs bench/main.ts, compiled (dist/) when up to date, else through tsx, and
// prints one JSON object.
import { chooseCode, noteSourceFallback } from './code.js';

const code = chooseCode();
let main;
if (code.compiled) {
  ({ main } = await import('../dist/bench/main.js'));
} else {
  await import('./register.js');
  noteSourceFallback(code);
  ({ main } = await import('../bench/main.ts'));
}
await main(process.argv.slice(2));
