/**
 * The store's bug zoo (watches, leases, fencing): each broken variant is caught by the invariant
 * that names its flaw within a few seeds of its scenario, and the correct system passes the same
 * seeds. Seeds-to-catch are printed for docs/raft.md.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../sim/runner.ts';
import type { Scenario } from '../../sim/scenario.ts';
import leaseLock from '../../scenarios/raft-lease-lock.ts';
import watchFailover from '../../scenarios/raft-watch-failover.ts';

const CAP = 60;

const zoo: [string, Scenario, string[]][] = [
  ['no-fencing', leaseLock as unknown as Scenario, ['fencing']],
  ['unconfirmed-keepalive', leaseLock as unknown as Scenario, ['lease-expired-early']],
  ['resume-at-last-seen', watchFailover as unknown as Scenario, ['watch-no-duplicates']],
  ['no-chain-check', watchFailover as unknown as Scenario, ['watch-no-gaps', 'watch-no-duplicates', 'watch-fifo']],
  ['rewatch-on-duplicate', watchFailover as unknown as Scenario, ['watch-rewatch-budget']],
];

describe('store bug zoo', () => {
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
      expect(expected).toContain(invariant);
      for (let seed = 1; seed <= caughtAt; seed++) {
        const r = runScenario(scn, { seed, pins: { bug: 'none' } });
        expect(r.violations, `correct system, ${scn.name} seed ${seed}`).toEqual([]);
        expect(r.ok).toBe(true);
      }
    }, 60_000);
  }
});
