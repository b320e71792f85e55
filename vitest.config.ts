import { existsSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

const root = path.dirname(new URL(import.meta.url).pathname);

/**
 * Test files named on the command line that exist inside the checkout, as `include` globs.
 * `detsim export` writes a test where it is told (the README's tour: `--out broadcast-bug.test.ts`
 * at the top; `shrink` suggests one beside its repro in detsim-out/) and says "run it: npx vitest
 * run <file>"; vitest filters what it names by `include`, so such a file was "No test files
 * found". A file named outright runs; `npm test` (no names) still runs only the folders below.
 */
function namedTestFiles(argv: string[]): string[] {
  return argv
    .filter((a) => /\.(test|spec)\.m?ts$/.test(a) && existsSync(a))
    .map((a) => path.relative(root, path.resolve(a)).split(path.sep).join('/'))
    .filter((rel) => !rel.startsWith('../') && !path.isAbsolute(rel))
    .map((rel) => rel.replace(/[*?{}()[\]!+@]/g, '\\$&'));
}

export default defineConfig({
  test: {
    include: ['{sim,systems,scenarios,invariants,reports,cli,bench,testing,schemas,tools,kits}/**/*.test.ts', ...namedTestFiles(process.argv.slice(2))],
    // Simulation tests are CPU-bound; two forks match CI's two cores.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
  },
});
