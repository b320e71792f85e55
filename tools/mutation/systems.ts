/**
 * What the mutation run mutates and how it judges a mutant, per system: the source files a
 * mutant may touch, the scenario family whose seed sweep is the "test", and the unit tests.
 *
 * Sources are the system's own code. Left out: tests, benchmarks, test-only helpers (clusters
 * and networks built for unit tests) and figure tables (printed, never checked by a sweep).
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export interface SystemSpec {
  name: string;
  /** Folders (repo-relative) whose .ts files are mutated, recursively. */
  sourceDirs: string[];
  /** Repo-relative files under sourceDirs that are never mutated (test helpers, figure tables). */
  exclude: string[];
  /** Scenario files (repo-relative) of the family, swept seed by seed in this order. */
  family: string[];
  /** Unit-test paths (files or folders, repo-relative) given to vitest. */
  unitTests: string[];
}

const SCENARIOS = 'scenarios';

function familyOf(prefix: string, skip: string[] = []): string[] {
  return readdirSync(SCENARIOS)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && (f === `${prefix}.ts` || f.startsWith(`${prefix}-`)) && !skip.includes(f))
    .sort()
    .map((f) => `${SCENARIOS}/${f}`);
}

/** The systems, built on demand (reads scenarios/ relative to the current directory: the repo root). */
export function systemSpecs(): SystemSpec[] {
  return [
    {
      name: 'broadcast',
      sourceDirs: ['systems/broadcast'],
      exclude: [],
      family: familyOf('broadcast'),
      // No unit tests of its own: the runner's tests run the broadcast scenario.
      unitTests: ['sim/runner.test.ts'],
    },
    {
      name: 'raft',
      sourceDirs: ['systems/raft', 'systems/kv'],
      exclude: ['systems/raft/test-network.ts', 'systems/raft/random-schedule.ts'],
      family: familyOf('raft'),
      unitTests: ['systems/raft', 'systems/kv'],
    },
    {
      name: 'crdt',
      sourceDirs: ['systems/crdt'],
      // Checkers, workload and scenario wiring are the test, not the system.
      exclude: ['systems/crdt/laws-harness.ts', 'systems/crdt/bug-zoo.ts', 'systems/crdt/replication/harness.ts', 'systems/crdt/replication/scenario-kit.ts'],
      family: familyOf('crdt'),
      unitTests: ['systems/crdt'],
    },
    {
      name: 'lb',
      sourceDirs: ['systems/lb'],
      exclude: ['systems/lb/maglev-figures.ts', 'systems/lb/sim/oracle.ts', 'systems/lb/sim/client.ts', 'systems/lb/sim/cluster.ts'],
      family: familyOf('lb'),
      unitTests: ['systems/lb'],
    },
    {
      name: 'escrow',
      sourceDirs: ['systems/escrow'],
      // The coordinated baseline is a comparison point, not the system under test. check-then-act.ts
      // is bug-zoo code (the bad design, run only with bug=check-then-act); monitor.ts, durable-acks.ts
      // and reply-checks.ts are checkers, like invariants.ts: a mutant there can fail no correct run.
      exclude: ['systems/escrow/test-cluster.ts', 'systems/escrow/baseline.ts', 'systems/escrow/fairness.ts', 'systems/escrow/invariants.ts',
        'systems/escrow/check-then-act.ts', 'systems/escrow/monitor.ts', 'systems/escrow/durable-acks.ts', 'systems/escrow/reply-checks.ts'],
      // Every escrow-* scenario, as the nightly sweep runs them: escrow-vs-coordinated runs the escrow
      // design beside the baseline, under the same checks, and the baseline now has a probe of its own.
      family: familyOf('escrow'),
      unitTests: ['systems/escrow'],
    },
    {
      name: 'hwkv',
      sourceDirs: ['systems/hwkv'],
      // The workload (clients, auditor, history checks), the checkers and the on-the-wire ack
      // check are the test: mutating them measured the test, not the store (r200: 5 of 8
      // mutants landed in the workload and checkers, then all in cluster.ts). cluster.ts keeps
      // only how a deployment is assembled (platforms, devices, key), which is system code.
      exclude: ['systems/hwkv/latency-table.ts', 'systems/hwkv/kv-scenario.ts', 'systems/hwkv/workload.ts', 'systems/hwkv/checkers.ts', 'systems/hwkv/durable-acks.ts'],
      // hw-latency-table reproduces figures; it checks no invariant of hwkv.
      family: familyOf('hw', ['hw-latency-table.ts']),
      unitTests: ['systems/hwkv'],
    },
  ];
}

export function systemSpec(name: string): SystemSpec | undefined {
  return systemSpecs().find((s) => s.name === name);
}

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    const p = path.posix.join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
}

/** The files a mutant of `spec` may touch, sorted (repo-relative, posix). */
export function sourceFiles(spec: SystemSpec): string[] {
  const out: string[] = [];
  for (const d of spec.sourceDirs) walk(d, out);
  return out
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.bench.ts') && !spec.exclude.includes(f))
    .sort();
}
