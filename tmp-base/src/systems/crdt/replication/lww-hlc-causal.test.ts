/**
 * lww-hlc-causal alone: `lww-merge-no-clock-feed` (store.merge no longer feeds the region's HLC
 * with the merged register timestamp) is caught by the new event-driven check at the merge. With
 * that check switched off, no invariant catches it on the same seeds: the run either passes or
 * dies on LwwRegister.set's defensive assertion (a crash, not a named property). Measured when
 * written: caught at seed 1 by lww-hlc-causal; without it, the first failure is the assertion
 * crash at seed 3.
 */
import { describe, expect, it } from 'vitest';
import { findCatchingSeed } from '../../../sim/bug-zoo.ts';
import { runScenario } from '../../../sim/runner.ts';
import type { Scenario } from '../../../sim/scenario.ts';
import clockSkew from '../../../scenarios/crdt-clock-skew.ts';

const scn = clockSkew as unknown as Scenario;

describe('lww-hlc-causal', () => {
  it('catches lww-merge-no-clock-feed; without it only a defensive assertion does', () => {
    const c = findCatchingSeed(scn, { pins: { bug: 'lww-merge-no-clock-feed' }, cap: 10 });
    console.log(`bug-zoo lww-merge-no-clock-feed: caught on ${scn.name} at seed ${c.seed ?? 'none'} by ${c.invariant ?? '-'}`);
    expect(c.invariant).toBe('lww-hlc-causal');
    const last = Math.max(c.seed!, 5);
    for (let seed = 1; seed <= last; seed++) {
      const r = runScenario(scn, { seed, pins: { bug: 'lww-merge-no-clock-feed' }, ignoreInvariants: ['lww-hlc-causal'] });
      if (r.ok) continue;
      expect(r.outcome, `seed ${seed}: ${r.violations[0]?.invariant}`).toBe('crash');
      expect(r.violations[0]!.message).toContain('LwwRegister.set');
    }
    for (let seed = 1; seed <= last; seed++) expect(runScenario(scn, { seed, pins: { bug: 'none' } }).ok, `correct system, seed ${seed}`).toBe(true);
  }, 120_000);
});
