/**
 * `detsim shrink` deletes workload operations of every system, not only the Raft register
 * clients': on one bug-zoo entry per system (its first catching seed, swarm and BUGGIFY on, as a
 * sweep finds it), the run driven by the recorded script keeps the failure, the shrink removes
 * operations, and the shrunk script, played again, still fails the same invariant.
 */
import { describe, expect, it } from 'vitest';
import { findCatchingSeed } from '../sim/bug-zoo.ts';
import type { ParamDefs } from '../sim/params.ts';
import { runScenario } from '../sim/runner.ts';
import type { Scenario } from '../sim/scenario.ts';
import { resolveScenario } from './scenarios.ts';
import { shrink } from './shrink.ts';

const ENTRIES = [
  { system: 'crdt', scenario: 'crdt-hot-counter', bug: 'non-idempotent-counter-merge' },
  { system: 'lb', scenario: 'lb-crash', bug: 'non-atomic-counter' },
  { system: 'escrow', scenario: 'escrow-seat-example', bug: 'check-then-act' },
  { system: 'hw', scenario: 'hw-accelerated-kv', bug: 'trust-ssd-result' },
  // The platform's GeoDNS bug: its scripted run used to pass (the check was told of outages by
  // the nemesis, which a script silences); it now judges the balancers' own state.
  { system: 'platform', scenario: 'platform-global-sale', bug: 'geodns-ignores-health' },
  { system: 'broadcast', scenario: 'broadcast', bug: 'drop-gossip' },
];

describe('shrink removes workload operations of every system', () => {
  for (const z of ENTRIES) {
    it(`${z.system}: ${z.bug} on ${z.scenario}`, async () => {
      const scn = (await resolveScenario(z.scenario)).scenario as Scenario<ParamDefs>;
      const c = findCatchingSeed(scn, { pins: { bug: z.bug }, cap: 30 });
      expect(c.seed, 'caught within 30 seeds').not.toBeNull();
      const r = shrink({ scenario: scn, seed: c.seed!, params: c.result!.params, buggify: true, invariant: c.invariant!, maxRuns: 40 });
      expect(r.scriptReproduced).toBe(true);
      expect(r.before.operations).toBeGreaterThan(0);
      expect(r.after.operations).toBeLessThan(r.before.operations);
      expect(r.shrunk.violations.map((v) => v.invariant)).toContain(c.invariant);
      // The shrunk script holds its failure when played again (a repro file's replay).
      const again = runScenario(scn, { seed: c.seed!, pins: r.params, swarm: false, buggify: r.buggify, script: r.script! });
      expect(again.violations[0]?.invariant).toBe(r.shrunk.violations[0]?.invariant);
      expect(again.traceHash).toBe(r.shrunk.traceHash);
    }, 300_000);
  }
});
