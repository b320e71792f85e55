#!/usr/bin/env node
// `npm run mutation`: registers the TypeScript loader, then runs tools/mutation/main.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../tools/mutation/main.ts');
process.exitCode = await main(process.argv.slice(2));
