/**
 * The bug zoo: each known-broken Raft variant must be caught by a user-meaningful invariant (not a
 * protocol assertion crash) within a few hundred seeds of the scenario best suited to it, and the
 * correct system must pass the same seeds. Seeds-to-catch are printed for the docs.
 */
import { describe, expect, it } from 'vitest';
import { failingSeeds, findCatchingSeed } from '../../sim/bug-zoo.ts';
import type { Scenario } from '../../sim/scenario.ts';
import figure8 from '../../scenarios/raft-figure8.ts';
import election from '../../scenarios/raft-election.ts';
import crashRestart from '../../scenarios/raft-crash-restart.ts';
import leaderIsolated from '../../scenarios/raft-leader-isolated.ts';
import type { RaftBug } from '../../systems/kv/kit.ts';

const MEANINGFUL = ['ack-not-durable', 'illegal-truncation', 'stale-read-index', 'progress-monotonic', 'no-resend-of-acknowledged', 'election-safety', 'leader-append-only', 'log-matching', 'leader-completeness', 'state-machine-safety', 'acknowledged-write-lost', 'acknowledged-append-lost', 'linearizability'];
const CAP = 300;

const zoo: [RaftBug, Scenario, string[]][] = [
  ['commit-prev-term-by-counting', figure8 as unknown as Scenario, ['leader-completeness', 'state-machine-safety', 'acknowledged-write-lost']],
  // The vote leaves before a durable record of it: ack-not-durable sees it on the wire at once.
  ['forget-voted-for', election as unknown as Scenario, ['ack-not-durable', 'election-safety']],
  ['no-up-to-date-check', crashRestart as unknown as Scenario, ['leader-completeness', 'state-machine-safety', 'acknowledged-write-lost']],
  ['stale-reads', leaderIsolated as unknown as Scenario, ['stale-read-index', 'linearizability']],
  ['ack-before-fsync', crashRestart as unknown as Scenario, ['ack-not-durable', 'acknowledged-append-lost', 'leader-completeness', 'state-machine-safety', 'acknowledged-write-lost']],
];

describe('raft bug zoo', () => {
  for (const [bug, scn, expected] of zoo) {
    it(`${bug} is caught on ${scn.name}, and the correct system passes the same seeds`, () => {
      const c = findCatchingSeed(scn, { pins: { bug }, cap: CAP });
      expect(c.outcome).toBe('safety');
      const caughtAt = c.seed ?? 0;
      const invariant = c.invariant ?? '';
      console.log(`bug-zoo ${bug}: caught on ${scn.name} at seed ${caughtAt} by ${invariant}`);
      expect(caughtAt).toBeGreaterThan(0);
      expect(MEANINGFUL).toContain(invariant);
      expect(expected).toContain(invariant);
      expect(failingSeeds(scn, { bug: 'none' }, 1, caughtAt), `correct system, ${scn.name}`).toEqual([]);
    }, 120_000);
  }
});
