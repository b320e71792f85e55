/**
 * What each sharper Raft checker catches alone. For every bug-zoo variant below: the sweep catches
 * it by the new checker, and the same seeds run with that checker switched off
 * (RunOptions.ignoreInvariants) pass every older checker (election safety, log matching, leader
 * completeness, state machine safety, acknowledged writes/appends, linearizability, liveness).
 * Measured when written, with the new checker off, none of these bugs failed seeds 1-60 of its
 * scenario; with it on they fail at the seed printed (docs/raft.md, bug zoo).
 */
import { describe, expect, it } from 'vitest';
import { failingSeeds, findCatchingSeed } from '../../sim/bug-zoo.ts';
import type { Scenario } from '../../sim/scenario.ts';
import churn from '../../scenarios/raft-churn.ts';
import crashRestart from '../../scenarios/raft-crash-restart.ts';
import election from '../../scenarios/raft-election.ts';
import leaseLock from '../../scenarios/raft-lease-lock.ts';
import lossy from '../../scenarios/raft-lossy-network.ts';

const zoo: { bug: string; scn: Scenario; checkers: string[]; cap: number }[] = [
  // A follower rewrites from the first entry of every append: stale short appends cut acked entries.
  { bug: 'truncate-on-append', scn: crashRestart as unknown as Scenario, checkers: ['illegal-truncation'], cap: 20 },
  // A new term or vote goes out before it is durable (only entries are synced).
  { bug: 'sync-only-entries', scn: crashRestart as unknown as Scenario, checkers: ['ack-not-durable'], cap: 20 },
  // A new leader serves ReadIndex before an entry of its term commits (its commit index lags).
  { bug: 'read-before-term-commit', scn: churn as unknown as Scenario, checkers: ['stale-read-index'], cap: 60 },
  // Stale acks reset the leader's progress; acked entries are sent again (only messages wasted).
  { bug: 'accept-stale-ack', scn: lossy as unknown as Scenario, checkers: ['progress-monotonic', 'no-resend-of-acknowledged'], cap: 20 },
  // Back to probing on every heartbeat reply: an empty append per follower per heartbeat (only messages wasted).
  { bug: 'resend-on-heartbeat', scn: election as unknown as Scenario, checkers: ['append-budget'], cap: 3 },
  // The store: a lease put on an existing key never owns it; revoking the lease leaves the key.
  { bug: 'lease-attach-on-create', scn: leaseLock as unknown as Scenario, checkers: ['lease-owns-keys'], cap: 20 },
];

describe('sharper raft checkers: each catches a bug the older checkers pass', () => {
  for (const { bug, scn, checkers, cap } of zoo) {
    it(`${bug}: caught on ${scn.name} by ${checkers.join(' / ')}; the same seeds pass without it`, () => {
      const c = findCatchingSeed(scn, { pins: { bug }, cap });
      console.log(`bug-zoo ${bug}: caught on ${scn.name} at seed ${c.seed ?? 'none'} by ${c.invariant ?? '-'}`);
      expect(c.outcome).toBe('safety');
      expect(checkers).toContain(c.invariant);
      const seed = c.seed!;
      const without = findCatchingSeed(scn, { pins: { bug }, cap: seed, ignore: checkers });
      expect(without.seed, `older checkers on seeds 1-${seed}: ${without.invariant ?? ''} ${without.result?.violations[0]?.message ?? ''}`).toBeNull();
      expect(failingSeeds(scn, { bug: 'none' }, 1, seed), `correct system, ${scn.name}`).toEqual([]);
    }, 180_000);
  }
});
