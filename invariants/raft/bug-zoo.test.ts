/**
 * The bug zoo: each known-broken Raft variant must be caught by a user-meaningful invariant (not a
 * protocol assertion crash) within a few hundred seeds of the scenario best suited to it, and the
 * correct system must pass the same seeds. Seeds-to-catch are printed for the docs.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../sim/runner.ts';
import type { Scenario } from '../../sim/scenario.ts';
import figure8 from '../../scenarios/raft-figure8.ts';
import election from '../../scenarios/raft-election.ts';
import crashRestart from '../../scenarios/raft-crash-restart.ts';
import leaderIsolated from '../../scenarios/raft-leader-isolated.ts';
import type { RaftBug } from './cluster.ts';

const MEANINGFUL = ['election-safety', 'leader-append-only', 'log-matching', 'leader-completeness', 'state-machine-safety', 'acknowledged-write-lost', 'acknowledged-append-lost', 'linearizability'];
const CAP = 300;

const zoo: [RaftBug, Scenario, string[]][] = [
  ['commit-prev-term-by-counting', figure8 as unknown as Scenario, ['leader-completeness', 'state-machine-safety', 'acknowledged-write-lost']],
  ['forget-voted-for', election as unknown as Scenario, ['election-safety']],
  ['no-up-to-date-check', crashRestart as unknown as Scenario, ['leader-completeness', 'state-machine-safety', 'acknowledged-write-lost']],
  ['stale-reads', leaderIsolated as unknown as Scenario, ['linearizability']],
  ['ack-before-fsync', crashRestart as unknown as Scenario, ['acknowledged-append-lost', 'leader-completeness', 'state-machine-safety', 'acknowledged-write-lost']],
];

describe('raft bug zoo', () => {
  for (const [bug, scn, expected] of zoo) {
    it(`${bug} is caught on ${scn.name}, and the correct system passes the same seeds`, () => {
      let caughtAt = 0;
      let invariant = '';
      for (let seed = 1; seed <= CAP && caughtAt === 0; seed++) {
        const r = runScenario(scn, { seed, pins: { bug } });
        if (!r.ok) {
          expect(r.outcome).toBe('safety');
          invariant = r.violations[0]!.invariant;
          caughtAt = seed;
        }
      }
      console.log(`bug-zoo ${bug}: caught on ${scn.name} at seed ${caughtAt} by ${invariant}`);
      expect(caughtAt).toBeGreaterThan(0);
      expect(MEANINGFUL).toContain(invariant);
      expect(expected).toContain(invariant);
      for (let seed = 1; seed <= caughtAt; seed++) {
        const r = runScenario(scn, { seed, pins: { bug: 'none' } });
        expect(r.violations, `correct system, ${scn.name} seed ${seed}`).toEqual([]);
      }
    }, 120_000);
  }
});
