#!/usr/bin/env node
// `npm run bench`: runs bench/main.ts (TypeScript, through tsx) and prints one JSON object.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../bench/main.ts');
await main(process.argv.slice(2));
