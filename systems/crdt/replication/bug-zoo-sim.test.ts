// The CRDT bug zoo inside the simulator: each broken variant must be caught, by an invariant a
// user would recognise, within 300 seeds of its scenario; the correct system must pass the same
// seeds. The seeds-to-catch printed here are the figures quoted in docs/crdt.md.
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../sim/runner.ts';
import type { Scenario } from '../../../sim/scenario.ts';
import burst from '../../../scenarios/crdt-burst.ts';
import clockSkew from '../../../scenarios/crdt-clock-skew.ts';
import hotCounter from '../../../scenarios/crdt-hot-counter.ts';
import churn from '../../../scenarios/crdt-orset-churn.ts';
import longGc from '../../../scenarios/crdt-long-partition-gc.ts';
import type { CrdtBug } from './store.ts';

const SEED_CAP = 300;

interface Case {
  bug: CrdtBug;
  scenario: Scenario;
  /** Invariants that count as catching it (what the bug breaks, in user terms). */
  caughtBy: string[];
}

const CASES: Case[] = [
  { bug: 'non-idempotent-counter-merge', scenario: hotCounter as unknown as Scenario, caughtBy: ['counter-within-attempted', 'no-lost-increment', 'read-your-writes'] },
  { bug: 'or-set-remove-unseen', scenario: churn as unknown as Scenario, caughtBy: ['add-wins', 'no-resurrection'] },
  { bug: 'tombstone-gc-before-stability', scenario: churn as unknown as Scenario, caughtBy: ['gc-causally-stable', 'no-resurrection', 'add-wins'] },
  { bug: 'deltas-left-to-anti-entropy', scenario: churn as unknown as Scenario, caughtBy: ['delta-latency'] },
  { bug: 'lww-wall-clock', scenario: clockSkew as unknown as Scenario, caughtBy: ['lww-causal', 'read-your-writes'] },
  { bug: 'anti-entropy-skips-subtree', scenario: burst as unknown as Scenario, caughtBy: ['converged'] },
  { bug: 'resync-skipped', scenario: longGc as unknown as Scenario, caughtBy: ['add-wins', 'no-resurrection', 'converged'] },
  { bug: 'absorbed-never-pruned', scenario: longGc as unknown as Scenario, caughtBy: ['absorbed-records-bounded'] },
  { bug: 'snapshot-keys-not-dirty', scenario: longGc as unknown as Scenario, caughtBy: ['ae-repair-budget'] },
];

describe('crdt bug zoo in simulation', () => {
  for (const c of CASES) {
    it(`${c.bug} is caught on ${c.scenario.name} within ${SEED_CAP} seeds; the correct system passes those seeds`, () => {
      let caughtAt = 0;
      let invariant = '';
      for (let seed = 1; seed <= SEED_CAP && caughtAt === 0; seed++) {
        const r = runScenario(c.scenario, { seed, pins: { bug: c.bug } });
        if (!r.ok) {
          caughtAt = seed;
          invariant = r.violations[0]?.invariant ?? '';
        }
      }
      console.log(`bug-zoo ${c.bug}: caught at seed ${caughtAt} by ${invariant}`);
      expect(caughtAt).toBeGreaterThan(0);
      expect(c.caughtBy).toContain(invariant);
      for (let seed = 1; seed <= caughtAt; seed++) {
        const r = runScenario(c.scenario, { seed, pins: { bug: 'none' } });
        expect(r.violations, `correct system, seed ${seed}`).toEqual([]);
      }
    }, 240_000);
  }
});
