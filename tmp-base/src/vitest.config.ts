import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{sim,systems,scenarios,invariants,reports,cli,bench,testing,schemas,tools}/**/*.test.ts'],
    // Simulation tests are CPU-bound; two forks match CI's two cores.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
  },
});
