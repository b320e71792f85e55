/**
 * Each kit brings its system's checks: a scenario made of one kit and nothing else is judged by
 * them, so the CLI (requireChecks) reports it as checked, never NOTHING CHECKED. A kit whose
 * checks only speak when they fail (an oracle on a hook, a send tap) declares them.
 */
import { describe, expect, it } from 'vitest';
import { faultParams } from '../sim/nemesis.ts';
import { runScenario } from '../sim/runner.ts';
import { defineScenario, type Scenario, type World } from '../sim/scenario.ts';
import { sec } from '../sim/time.ts';
import { addConfigStore, addCrdtRegions, addEscrow } from './index.ts';

function alone(name: string, add: (w: World<unknown>) => void): Scenario {
  return defineScenario({
    name,
    description: `the ${name} kit alone`,
    params: { ...faultParams() },
    durationNs: sec(2),
    livenessBoundNs: sec(30),
    setup: (w) => add(w),
  }) as unknown as Scenario;
}

describe('a kit alone is a checked run', () => {
  const kits: [string, (w: World<unknown>) => void][] = [
    ['config-store', (w) => void addConfigStore(w, { prefix: 'cfg', nodes: 3 })],
    ['escrow', (w) => void addEscrow(w, { prefix: 'esc-', regions: 2, capacity: 20, durationS: 2 })],
    ['crdt-regions', (w) => void addCrdtRegions(w, { ids: ['crdt-a', 'crdt-b'] })],
  ];
  for (const [name, add] of kits)
    it(`${name}: passes under requireChecks, with its checks counted`, () => {
      const r = runScenario(alone(name, add), { seed: 1, requireChecks: true, swarm: false });
      expect({ name, outcome: r.outcome, violations: r.violations.map((v) => v.invariant) }).toEqual({ name, outcome: 'pass', violations: [] });
    });
});
