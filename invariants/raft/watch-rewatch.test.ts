// watch-rewatch-budget (round 12): a watch client that takes a duplicated batch for a gap re-watches
// (a history replay) for every duplicate the network makes; every watch guarantee still holds, so
// only this budget sees it. Measured when written: caught at seed 1 of raft-watch-failover (12 of
// seeds 1-20); without the check seeds 1-20 pass.
import { describe, expect, it } from 'vitest';
import { failingSeeds, findCatchingSeed } from '../../sim/bug-zoo.ts';
import type { Scenario } from '../../sim/scenario.ts';
import watchFailover from '../../scenarios/raft-watch-failover.ts';

const scn = watchFailover as unknown as Scenario;

describe('watch-rewatch-budget', () => {
  it('a client that re-watches on a duplicate is caught, and by this check alone', () => {
    const c = findCatchingSeed(scn, { pins: { bug: 'rewatch-on-duplicate' }, cap: 5 });
    console.log(`bug-zoo rewatch-on-duplicate: caught at seed ${c.seed ?? 'none'} by ${c.invariant ?? '-'}`);
    expect(c.invariant).toBe('watch-rewatch-budget');
    expect(c.result!.violations[0]!.message).toMatch(/a duplicate or late copy of a batch it already had/);
    const without = findCatchingSeed(scn, { pins: { bug: 'rewatch-on-duplicate' }, cap: 20, ignore: ['watch-rewatch-budget'] });
    expect(without.seed, `older checks: ${without.invariant ?? ''} ${without.result?.violations[0]?.message ?? ''}`).toBeNull();
  }, 60_000);

  it('re-watches after real losses and reorderings are not charged (links losing, duplicating and reordering 5%)', () => {
    const pins = { bug: 'none', netLossRate: 0.05, netDuplicateRate: 0.05, netReorderRate: 0.05 };
    expect(failingSeeds(scn, pins, 1, 10)).toEqual([]);
  }, 60_000);
});
