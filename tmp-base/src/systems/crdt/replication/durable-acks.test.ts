/**
 * ack-not-durable (CRDT regions) alone: `deltas-ack-past-durable` is the region's shipped code
 * before this check found it: a `deltas-ack` sent from an fsync callback carried the applied
 * vector as it was when the fsync returned, covering merges logged meanwhile and not yet durable.
 * The origin then stops re-sending ops a crash of the receiver would lose (anti-entropy repairs
 * them later, so no convergence or client-facing check ever failed). Measured when written:
 * caught at seed 1 of crdt-crash; with the check off, seeds 1-20 pass.
 */
import { describe, expect, it } from 'vitest';
import { findCatchingSeed } from '../../../sim/bug-zoo.ts';
import { runScenario } from '../../../sim/runner.ts';
import type { Scenario } from '../../../sim/scenario.ts';
import crash from '../../../scenarios/crdt-crash.ts';

const scn = crash as unknown as Scenario;

describe('ack-not-durable (crdt)', () => {
  it('catches deltas-ack-past-durable; the other invariants pass the same seeds; the fixed region passes', () => {
    const c = findCatchingSeed(scn, { pins: { bug: 'deltas-ack-past-durable' }, cap: 10 });
    console.log(`bug-zoo deltas-ack-past-durable: caught on ${scn.name} at seed ${c.seed ?? 'none'} by ${c.invariant ?? '-'}`);
    expect(c.invariant).toBe('ack-not-durable');
    const last = Math.max(c.seed!, 4);
    const without = findCatchingSeed(scn, { pins: { bug: 'deltas-ack-past-durable' }, cap: last, ignore: ['ack-not-durable'] });
    expect(without.seed, `${without.invariant}: ${without.result?.violations[0]?.message}`).toBeNull();
    for (let seed = 1; seed <= last; seed++) expect(runScenario(scn, { seed, pins: { bug: 'none' } }).ok, `correct system, seed ${seed}`).toBe(true);
  }, 120_000);
});
