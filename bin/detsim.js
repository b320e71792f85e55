#!/usr/bin/env node
// detsim's command-line entry: registers the TypeScript loader, then runs the CLI.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
