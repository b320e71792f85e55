/**
 * The lb scenarios end to end: each passes on a seed and reports its figures; the algorithm
 * comparison reproduces seed 004's ordering; the partition scenario catches "any balancer's
 * verdict removes a backend everywhere"; a slow backend gets less than its fair share under
 * latency-weighted selection.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../sim/runner.ts';
import type { Scenario } from '../../../sim/scenario.ts';
import algorithms from '../../../scenarios/lb-algorithms.ts';
import churn from '../../../scenarios/lb-churn.ts';
import crash from '../../../scenarios/lb-crash.ts';
import drain from '../../../scenarios/lb-drain.ts';
import flap from '../../../scenarios/lb-flap.ts';
import partition from '../../../scenarios/lb-partition.ts';
import slow from '../../../scenarios/lb-slow.ts';

const all = [crash, flap, slow, drain, partition, churn, algorithms] as unknown as Scenario[];

describe('lb scenarios', () => {
  for (const s of all) {
    it(`${s.name} passes seed 3 and reports latency, errors and per-backend load`, () => {
      const r = runScenario(s, { seed: 3 });
      expect(r.violations).toEqual([]);
      expect(r.ok).toBe(true);
      const m = r.metrics as Record<string, unknown>;
      if (s.name === 'lb-algorithms') expect(Object.keys(m.byAlgorithm as object)).toEqual(['round-robin', 'least-request', 'latency-weighted', 'adaptive']);
      else {
        expect(m.latencyUsP50 as number).toBeGreaterThan(0);
        expect(m.latencyUsP99 as number).toBeGreaterThanOrEqual(m.latencyUsP50 as number);
        expect(m.errorRate as number).toBeGreaterThanOrEqual(0);
        expect(Object.keys(m.requestsPerBackend as object).length).toBeGreaterThan(0);
      }
    }, 30_000);
  }

  it('lb-algorithms: round robin is slower than least-request, which is slower than latency-weighted (seed 004)', () => {
    for (const seed of [1, 2]) {
      const r = runScenario(algorithms as unknown as Scenario, { seed });
      const by = (r.metrics as { byAlgorithm: Record<string, { meanUs: number }> }).byAlgorithm;
      expect(by['round-robin']!.meanUs).toBeGreaterThan(by['least-request']!.meanUs);
      expect(by['least-request']!.meanUs).toBeGreaterThan(by['latency-weighted']!.meanUs);
      // Adaptive switches to latency-weighted on this pool: within 10% of it.
      expect(Math.abs(by.adaptive!.meanUs - by['latency-weighted']!.meanUs)).toBeLessThan(0.1 * by['latency-weighted']!.meanUs);
    }
  }, 30_000);

  it('lb-partition: with any-one-balancer health verdicts a partition removes a backend everywhere (caught); majority passes', () => {
    let caught = 0;
    for (let seed = 1; seed <= 20 && caught === 0; seed++) {
      const r = runScenario(partition as unknown as Scenario, { seed, pins: { healthSharing: 'any' } });
      if (!r.ok) {
        caught = seed;
        expect(r.violations[0]!.invariant).toBe('available-backend-stays-in-rotation');
      }
    }
    expect(caught).toBeGreaterThan(0);
    for (let seed = 1; seed <= caught; seed++) expect(runScenario(partition as unknown as Scenario, { seed }).violations).toEqual([]);
  }, 60_000);

  it('lb-slow: a 50x slower backend gets well under its fair share under latency-weighted selection', () => {
    const r = runScenario(slow as unknown as Scenario, { seed: 1, swarm: false, pins: { slowFactor: 50 } });
    expect(r.ok).toBe(true);
    const m = r.metrics as { fairShare: number; slowShareWhileSlow: number; slowShareBefore: number };
    expect(m.slowShareBefore).toBeGreaterThan(0.5 * m.fairShare);
    expect(m.slowShareWhileSlow).toBeLessThan(0.5 * m.fairShare);
  }, 30_000);

  it('lb-slow: a health endpoint answering 503 takes the backend out under l7-http checks and not under l4-connect ones; health-threshold-exact judges both', () => {
    // Not slow at all (factor 1, no errors): only its health endpoint says it is degraded. Before
    // the twelfth round no lb run made a health endpoint answer anything but 200, nor checked with
    // l4-connect (docs/mutation.md: lb-001, lb-009).
    const share = (healthCheck: string): number => {
      const r = runScenario(slow as unknown as Scenario, { seed: 1, swarm: false, pins: { slowFactor: 1, slowHealthFails: true, healthCheck } });
      expect({ healthCheck, violations: r.violations }).toEqual({ healthCheck, violations: [] });
      const m = r.metrics as { fairShare: number; slowShareWhileSlow: number };
      return m.slowShareWhileSlow / m.fairShare;
    };
    expect(share('l7-http')).toBeLessThan(0.2);
    expect(share('l4-connect')).toBeGreaterThan(0.7);
  }, 30_000);
});
