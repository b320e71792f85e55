/**
 * The two parameters that reach the platform's rarest paths (docs/platform.md, Probes): a small
 * watch history makes balancers start over after a compacted watch; an impatient shopper leaves a
 * checkout's outcome unknown. Each path is reached, and every end-to-end check holds through it.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../sim/runner.ts';
import scn from '../../scenarios/platform-global-sale.ts';

describe('platform rare paths reached by configHistoryRevs and checkoutTimeoutMs', () => {
  it('a one-revision watch history: a balancer\'s watch is compacted and it starts over with a linearizable read; the run passes', () => {
    const r = runScenario(scn, { seed: 1, pins: { configHistoryRevs: 1 } });
    expect(r.violations).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.coverage.probes['platform:lb-watch-compacted'] ?? 0).toBeGreaterThan(0);
    expect(r.coverage.probes['platform:lb-config-resync'] ?? 0).toBeGreaterThan(0);
    // At the default (200 revisions) the same seed never compacts a watch.
    const d = runScenario(scn, { seed: 1, pins: { configHistoryRevs: 200 } });
    expect(d.coverage.probes['platform:lb-watch-compacted'] ?? 0).toBe(0);
  }, 120_000);

  it('a shopper waiting 1 s for a checkout gives up on some: outcomes unknown, and every order check still holds', () => {
    for (const seed of [1, 3]) {
      const r = runScenario(scn, { seed, pins: { checkoutTimeoutMs: 1000 } });
      expect(r.violations, `seed ${seed}`).toEqual([]);
      expect(r.coverage.probes['platform:checkout-unknown-outcome'] ?? 0, `seed ${seed}`).toBeGreaterThan(0);
    }
    const d = runScenario(scn, { seed: 1, pins: { checkoutTimeoutMs: 3000 } });
    expect(d.coverage.probes['platform:checkout-unknown-outcome'] ?? 0).toBe(0);
  }, 120_000);
});
