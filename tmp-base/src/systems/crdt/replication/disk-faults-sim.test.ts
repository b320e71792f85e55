// Regions under full disks and fsync errors: no op is acknowledged with nothing on disk, so
// every run converges. Before the fix, a region rewrote its state after a failed fsync while an
// earlier-issued fsync could still succeed and acknowledge ops whose records the failure lost;
// after a crash the region had forgotten them and its clients' tokens waited forever.
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../sim/runner.ts';
import type { Scenario } from '../../../sim/scenario.ts';
import churn from '../../../scenarios/crdt-orset-churn.ts';

describe('crdt regions under disk faults', () => {
  it('fixed bug (found by full-disk episodes): a failed fsync fail-stops the region; every run converges', () => {
    const pins = { diskFullMsMean: 300, diskWriteErrorRate: 0.05, crashMsMean: 1500, downMsMean: 800 };
    const failed: string[] = [];
    for (let seed = 1; seed <= 12; seed++) {
      const r = runScenario(churn as unknown as Scenario, { seed, pins });
      if (!r.ok) failed.push(`seed ${seed}: ${r.violations[0]?.invariant}: ${r.violations[0]?.message}`);
    }
    expect(failed).toEqual([]);
  }, 120_000);
});
