// Round 11's CRDT checks, each shown to catch a bug alone: the sweep catches the variant by the new
// check, and the same seeds run with that check switched off (RunOptions.ignoreInvariants) pass
// every older one. Measured when written: both caught at seed 1 of crdt-orset-churn; without the
// new check, deltas-left-to-anti-entropy passes seeds 1-10, and tombstone-gc-before-stability
// passes seed 1 (the older add-wins check needs a later remove and a concurrent add to meet);
// absorbed-never-pruned is caught at seed 1 of crdt-long-partition-gc, and passes seeds 1-5 without it.
import { describe, expect, it } from 'vitest';
import { failingSeeds, findCatchingSeed } from '../../../sim/bug-zoo.ts';
import type { Scenario } from '../../../sim/scenario.ts';
import churn from '../../../scenarios/crdt-orset-churn.ts';
import longGcScn from '../../../scenarios/crdt-long-partition-gc.ts';

const scn = churn as unknown as Scenario;
const longGc = longGcScn as unknown as Scenario;

describe('sharper crdt checks', () => {
  it('delta-latency: a region that never ships deltas converges by anti-entropy alone, and only this check sees it', () => {
    const c = findCatchingSeed(scn, { pins: { bug: 'deltas-left-to-anti-entropy' }, cap: 10 });
    console.log(`bug-zoo deltas-left-to-anti-entropy: caught at seed ${c.seed ?? 'none'} by ${c.invariant ?? '-'}`);
    expect(c.invariant).toBe('delta-latency');
    expect(c.result!.violations[0]!.message).toMatch(/in no delta batch/);
    const without = findCatchingSeed(scn, { pins: { bug: 'deltas-left-to-anti-entropy' }, cap: 10, ignore: ['delta-latency'] });
    expect(without.seed, `older checks: ${without.invariant ?? ''} ${without.result?.violations[0]?.message ?? ''}`).toBeNull();
  }, 120_000);

  it('gc-causally-stable: a GC collapse before every region saw the tag is named where it happens', () => {
    const c = findCatchingSeed(scn, { pins: { bug: 'tombstone-gc-before-stability' }, cap: 10 });
    console.log(`bug-zoo tombstone-gc-before-stability: caught at seed ${c.seed ?? 'none'} by ${c.invariant ?? '-'}`);
    expect(c.invariant).toBe('gc-causally-stable');
    expect(c.result!.violations[0]!.message).toMatch(/has never seen: GC before causal stability/);
    const without = findCatchingSeed(scn, { pins: { bug: 'tombstone-gc-before-stability' }, from: c.seed!, cap: 1, ignore: ['gc-causally-stable'] });
    expect(without.seed, `older checks on seed ${c.seed}`).toBeNull();
  }, 120_000);

  it('absorbed-records-bounded: records of collapsed tags that outlive the tags are a leak only this check sees', () => {
    const c = findCatchingSeed(longGc, { pins: { bug: 'absorbed-never-pruned' }, cap: 5 });
    console.log(`bug-zoo absorbed-never-pruned: caught at seed ${c.seed ?? 'none'} by ${c.invariant ?? '-'}`);
    expect(c.invariant).toBe('absorbed-records-bounded');
    const without = findCatchingSeed(longGc, { pins: { bug: 'absorbed-never-pruned' }, cap: 5, ignore: ['absorbed-records-bounded'] });
    expect(without.seed, `older checks: ${without.invariant ?? ''} ${without.result?.violations[0]?.message ?? ''}`).toBeNull();
    expect(failingSeeds(longGc, { bug: 'none' }, 1, Math.max(c.seed!, 5))).toEqual([]);
  }, 120_000);

  it('the correct system passes both on the same seeds, with and without a GC window', () => {
    expect(failingSeeds(scn, { bug: 'none' }, 1, 10)).toEqual([]);
    expect(failingSeeds(scn, { bug: 'none', gcWindowMs: 1500 }, 1, 10)).toEqual([]);
  }, 120_000);
});
