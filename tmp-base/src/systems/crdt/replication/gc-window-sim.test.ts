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

describe('GC window across restarts', () => {
  // Seed 2: directed crashes restart the live regions every few seconds while ap is cut off. The
  // membership used to start every silence from zero at each restart, so no region ever went a
  // whole window without a restart and ap was never evicted (awayEpoch 0, GC blocked throughout).
  it('live regions that restart more often than the window still evict the cut-off region (seed 2)', () => {
    const events: { atNs: number; node: string; kind: string }[] = [];
    const r = runScenario(longGc as unknown as Scenario, {
      seed: 2,
      pins: { bug: 'none', gcWindowS: 60, diskWriteErrorRate: 0, diskFullMsMean: 0 },
      traceSink: (rec) => {
        if (rec.kind === 'recover' || rec.kind === 'gc-evict' || (rec.kind === 'partition' && rec.detail.includes('cut off'))) events.push({ atNs: rec.atNs, node: rec.node, kind: rec.kind });
      },
    });
    expect(r.violations).toEqual([]);
    const cutAt = events.find((e) => e.kind === 'partition')!.atNs;
    const firstEvict = events.find((e) => e.kind === 'gc-evict');
    expect(firstEvict, 'a live region evicted the cut-off one').toBeDefined();
    // The evicting region restarted within the window before it evicted (what used to reset it).
    const restarts = events.filter((e) => e.kind === 'recover' && e.node === firstEvict!.node && e.atNs > cutAt && e.atNs < firstEvict!.atNs);
    expect(restarts.length).toBeGreaterThan(0);
    expect(firstEvict!.atNs - restarts[restarts.length - 1]!.atNs).toBeLessThan(60e9);
    expect((r.metrics as Record<string, number>).awayEpoch).toBeGreaterThanOrEqual(1);
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
