/**
 * Done-when test of issue 10: every fault kind of the node, disk, device, clock and network
 * models is switched on in some seed of a 100-seed sweep of every system family's scenarios, or
 * is listed as not applicable to that family with a reason. "Switched on" is what the nemeses
 * report at setup (`w.enableFault`), so only setup runs here, for every seed and scenario.
 */
import { describe, expect, it } from 'vitest';
import { loadBuiltIns } from '../cli/scenarios.ts';
import { FAMILIES, FAULT_KINDS, FAULTS_NOT_APPLICABLE, familyOf, type Family, type FaultKind } from './faults.ts';
import { Simulation } from './kernel.ts';
import { resolveParams } from './params.ts';
import { World } from './scenario.ts';

const SEEDS = 100;
const builtIns = await loadBuiltIns();

/** Fault kinds switched on in at least one seed of the family's scenarios, with a seed each. */
function reached(family: Family): Map<FaultKind, string> {
  const out = new Map<FaultKind, string>();
  for (const { scenario } of builtIns) {
    if (familyOf(scenario.name) !== family) continue;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const sim = new Simulation({ seed });
      const params = resolveParams(scenario.params, {}, sim.rng('swarm'), true);
      const w = new World(sim, params);
      scenario.setup(w, params as never);
      for (const k of w.faults) if (!out.has(k)) out.set(k, `${scenario.name} seed ${seed}`);
    }
  }
  return out;
}

describe('every fault kind is reachable from every family\'s swarm', () => {
  it('every built-in scenario belongs to a family', () => {
    expect(builtIns.filter(({ scenario }) => familyOf(scenario.name) === null).map(({ scenario }) => scenario.name)).toEqual([]);
  });

  it('the not-applicable lists name known kinds, each with a reason', () => {
    const kinds = new Set<string>(FAULT_KINDS.map((k) => k.kind));
    for (const f of FAMILIES)
      for (const [k, why] of Object.entries(FAULTS_NOT_APPLICABLE[f])) {
        expect(kinds.has(k), `${f}: ${k}`).toBe(true);
        expect(why!.length).toBeGreaterThan(20);
      }
  });

  for (const family of FAMILIES) {
    it(`${family}: each fault kind is on in some seed of ${SEEDS}, or documented as not applicable`, () => {
      const got = reached(family);
      const na = FAULTS_NOT_APPLICABLE[family];
      const missing = FAULT_KINDS.map((k) => k.kind).filter((k) => !got.has(k) && na[k] === undefined);
      expect(missing, `fault kinds no ${family} scenario switches on in ${SEEDS} seeds`).toEqual([]);
      // Not applicable must mean never on: a stale entry hides nothing, but says something false.
      const onAnyway = Object.keys(na).filter((k) => got.has(k as FaultKind)).map((k) => `${k} (${got.get(k as FaultKind)})`);
      expect(onAnyway, `fault kinds listed as not applicable to ${family} but switched on`).toEqual([]);
    });
  }
});
