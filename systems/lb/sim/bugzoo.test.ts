/**
 * The bug zoo: each known-broken variant must be caught by one of the user-facing invariants
 * within a few hundred seeds, and the correct system must pass the very same seeds. The seed that
 * catches each bug is printed (docs/lb.md lists them as seeds-to-catch).
 */
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../../../sim/scenario.ts';
import { runScenario } from '../../../sim/runner.ts';
import churn from '../../../scenarios/lb-churn.ts';
import crash from '../../../scenarios/lb-crash.ts';
import drain from '../../../scenarios/lb-drain.ts';

// Scenarios are invariant in their parameter types; the runner takes any of them.
const lbChurn = churn as unknown as Scenario;
const lbCrash = crash as unknown as Scenario;
const lbDrain = drain as unknown as Scenario;

interface Case {
  bug: string;
  scenario: Scenario;
  pins: Record<string, unknown>;
  /** Invariants allowed to catch it: each is a promise users rely on, not a check for the bug. */
  caughtBy: string[];
}

const CASES: Case[] = [
  // Race 1: a pick from the list read at arrival; visible when a drain lands in between (l7: every request is a pick).
  { bug: 'stale-backend-list', scenario: lbDrain, pins: { lbMode: 'l7' }, caughtBy: ['no-new-connection-to-draining-backend', 'no-new-connection-to-down-backend'] },
  // Race 2: lost updates of the active-request count that least-request reads.
  { bug: 'non-atomic-counter', scenario: lbCrash, pins: {}, caughtBy: ['active-gauge-matches-inflight'] },
  { bug: 'drain-accepts-new', scenario: lbDrain, pins: {}, caughtBy: ['no-new-connection-to-draining-backend', 'drained-backend-holds-no-connections'] },
  // l7: every request is a pick, so one lands in the extra interval the bug keeps a dead backend.
  { bug: 'health-threshold-off-by-one', scenario: lbCrash, pins: { lbMode: 'l7' }, caughtBy: ['no-new-connection-to-down-backend', 'available-backend-stays-in-rotation'] },
  { bug: 'maglev-non-prime', scenario: lbChurn, pins: {}, caughtBy: ['maglev-every-slot-owned', 'maglev-balance', 'maglev-disruption'] },
];

const CAP = 300;

describe('lb bug zoo: every bug caught by a user-facing invariant; the correct system passes the same seeds', () => {
  for (const c of CASES) {
    it(`${c.bug} (${c.scenario.name})`, () => {
      let caughtAt = 0;
      let invariant = '';
      for (let seed = 1; seed <= CAP && caughtAt === 0; seed++) {
        const r = runScenario(c.scenario, { seed, pins: { ...c.pins, bug: c.bug } });
        if (!r.ok) {
          caughtAt = seed;
          invariant = r.violations[0]?.invariant ?? r.outcome;
        }
      }
      console.log(`seeds-to-catch ${c.bug}: ${caughtAt} (${invariant})`);
      expect(caughtAt).toBeGreaterThan(0);
      expect(c.caughtBy).toContain(invariant);
      for (let seed = 1; seed <= caughtAt; seed++) {
        const r = runScenario(c.scenario, { seed, pins: { ...c.pins, bug: 'none' } });
        expect(r.violations, `correct system, seed ${seed}`).toEqual([]);
      }
    }, 120_000);
  }
});
