// The GC window in simulation (scenarios/crdt-long-partition-gc.ts): with a window, the live
// regions keep collecting tags while one region is away for minutes; without one, that absence
// blocks GC. The evicted region re-syncs from a snapshot at the heal and the run converges.
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../sim/runner.ts';
import type { Scenario } from '../../../sim/scenario.ts';
import longGc from '../../../scenarios/crdt-long-partition-gc.ts';

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

function run(gcWindowS: number): Record<string, number>[] {
  return SEEDS.map((seed) => {
    // No fsync failures here: each fail-stops its region, whose restart zeroes the GC counters
    // this test compares (the window's effect, not fault tolerance, is under test).
    const r = runScenario(longGc as unknown as Scenario, { seed, pins: { bug: 'none', gcWindowS, diskWriteErrorRate: 0, diskFullMsMean: 0 } });
    expect(r.violations, `seed ${seed}, window ${gcWindowS}`).toEqual([]);
    return r.metrics as Record<string, number>;
  });
}

const sum = (ms: Record<string, number>[], k: string): number => ms.reduce((a, m) => a + (m[k] ?? 0), 0);

describe('GC window in simulation', () => {
  it('a region away longer than the window no longer blocks GC; it re-syncs from a snapshot', () => {
    const withWindow = run(60);
    const without = run(0);
    const tw = sum(withWindow, 'liveTagsBeforeHeal') / sum(withWindow, 'liveElementsBeforeHeal');
    const t0 = sum(without, 'liveTagsBeforeHeal') / sum(without, 'liveElementsBeforeHeal');
    console.log(`tags per element at the live regions before the heal: window 60 s ${tw.toFixed(2)}, no window ${t0.toFixed(2)}; ` +
      `metadata bytes ${sum(withWindow, 'liveMetadataBytesBeforeHeal') / SEEDS.length} vs ${sum(without, 'liveMetadataBytesBeforeHeal') / SEEDS.length}; ` +
      `snapshot bytes per run ${sum(withWindow, 'resyncSnapshotBytes') / SEEDS.length}`);
    expect(tw).toBeLessThan(t0);
    expect(sum(withWindow, 'gcDotsDroppedWindowed')).toBeGreaterThan(0);
    expect(sum(without, 'gcDotsDroppedWindowed')).toBe(0);
    // Every run with a window ends with the away region at a later epoch (it re-synced).
    for (const m of withWindow) expect(m.awayEpoch).toBeGreaterThanOrEqual(1);
    for (const m of without) expect(m.awayEpoch).toBe(0);
  }, 60_000);
});

describe('GC window under churn and short partitions', () => {
  it('crdt-orset-churn with a 1.5 s window: regions get evicted and re-synced, every invariant holds', async () => {
    const churn = (await import('../../../scenarios/crdt-orset-churn.ts')).default as unknown as Scenario;
    let resyncs = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const r = runScenario(churn, { seed, pins: { bug: 'none', gcWindowMs: 1500 } });
      expect(r.violations, `seed ${seed}`).toEqual([]);
      resyncs += (r.metrics as Record<string, number>).resyncs ?? 0;
    }
    expect(resyncs).toBeGreaterThan(0);
  }, 60_000);
});
