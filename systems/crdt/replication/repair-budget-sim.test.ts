// ae-repair-budget (round 12): a Merkle tree that misses the keys a re-sync merged makes
// anti-entropy ship states the receiver already holds. Every other check passes it (the merge of an
// equal state changes nothing): the variant is caught at seed 7 of crdt-long-partition-gc by this
// check alone, and seeds 1-7 pass without it.
import { describe, expect, it } from 'vitest';
import { failingSeeds, findCatchingSeed } from '../../../sim/bug-zoo.ts';
import type { Scenario } from '../../../sim/scenario.ts';
import longGcScn from '../../../scenarios/crdt-long-partition-gc.ts';
import churnScn from '../../../scenarios/crdt-orset-churn.ts';

const longGc = longGcScn as unknown as Scenario;
const churn = churnScn as unknown as Scenario;

describe('ae-repair-budget', () => {
  it('a re-sync whose keys the Merkle tree never sees costs needless repairs, and only this check sees it', () => {
    const c = findCatchingSeed(longGc, { pins: { bug: 'snapshot-keys-not-dirty' }, cap: 10 });
    console.log(`bug-zoo snapshot-keys-not-dirty: caught at seed ${c.seed ?? 'none'} by ${c.invariant ?? '-'}`);
    expect(c.invariant).toBe('ae-repair-budget');
    expect(c.result!.violations[0]!.message).toMatch(/with a state \w+ already held, as both did when they compared digests/);
    const without = findCatchingSeed(longGc, { pins: { bug: 'snapshot-keys-not-dirty' }, cap: c.seed!, ignore: ['ae-repair-budget'] });
    expect(without.seed, `older checks: ${without.invariant ?? ''} ${without.result?.violations[0]?.message ?? ''}`).toBeNull();
    expect(failingSeeds(longGc, { bug: 'none' }, 1, c.seed!)).toEqual([]);
  }, 120_000);

  it('a repair answering a duplicated comparison is not needless (crdt-orset-churn seed 3: the initiator compared twice, 100 ms apart)', () => {
    // Judged against the later comparison alone, the final repair of us#1 shipped set:cart4, which
    // the deltas had made equal in between: a false failure of the correct system.
    expect(failingSeeds(churn, { bug: 'none' }, 3, 3)).toEqual([]);
  }, 60_000);
});
