/**
 * Every built-in scenario, run twice with one seed, must give one trace hash (FoundationDB's
 * determinism check). Runs are capped in events so this stays quick as scenarios are added; a
 * capped run is still a full check of determinism up to the cap.
 */
import { describe, expect, it } from 'vitest';
import { loadBuiltIns } from '../cli/scenarios.ts';
import { runScenario } from '../sim/runner.ts';

const scenarios = await loadBuiltIns();

describe('every scenario is deterministic', () => {
  it('there is at least one scenario', () => {
    expect(scenarios.length).toBeGreaterThan(0);
  });
  for (const { scenario } of scenarios) {
    it(`${scenario.name}: same seed, same trace hash; another seed, another hash`, () => {
      const a = runScenario(scenario, { seed: 11, maxEvents: 150_000 });
      const b = runScenario(scenario, { seed: 11, maxEvents: 150_000 });
      expect(b.traceHash).toBe(a.traceHash);
      expect(b.events).toBe(a.events);
      expect(b.violations).toEqual(a.violations);
      const c = runScenario(scenario, { seed: 12, maxEvents: 150_000 });
      expect(c.traceHash).not.toBe(a.traceHash);
    });
  }
});
