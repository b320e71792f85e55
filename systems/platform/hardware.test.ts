/**
 * The hardware parameter (seed 004): `hardware=accelerated` puts the escrow replicas' storage on
 * NVDIMM behind a SmartNIC (NVDIMM_ON_NIC_DISK, the figures of sim/hardware/figures.ts) instead of
 * NVMe. The same platform passes both ways, and an escrow request (hold, confirm: each waits for the
 * replica's durable write) is answered measurably sooner when accelerated.
 */
import { describe, expect, it } from 'vitest';
import { resolveParams } from '../../sim/params.ts';
import { RngRoot } from '../../sim/prng.ts';
import { runScenario } from '../../sim/runner.ts';
import scn from '../../scenarios/platform-global-sale.ts';
import { platformParams } from './kit.ts';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('platform hardware parameter', () => {
  it('the swarm draws both modes', () => {
    const drawn = new Set<string>();
    for (let s = 1; s <= 20; s++) drawn.add(resolveParams(platformParams(), {}, new RngRoot(String(s)).stream('swarm'), true).hardware);
    expect([...drawn].sort()).toEqual(['accelerated', 'traditional']);
  });

  it('traditional and accelerated both pass, and accelerated answers escrow holds and confirms sooner (seeds 1-4, faults at their defaults)', () => {
    const p50 = { traditional: { hold: [] as number[], confirm: [] as number[] }, accelerated: { hold: [] as number[], confirm: [] as number[] } };
    for (const hardware of ['traditional', 'accelerated'] as const)
      for (let seed = 1; seed <= 4; seed++) {
        const r = runScenario(scn, { seed, swarm: false, pins: { hardware } });
        expect(r.violations).toEqual([]);
        expect(r.ok).toBe(true);
        const m = r.metrics.platform as { hardware: string; escrowMs: Record<'hold' | 'confirm', { p50: number } | null> };
        expect(m.hardware).toBe(hardware);
        for (const k of ['hold', 'confirm'] as const) if (m.escrowMs[k] !== null) p50[hardware][k].push(m.escrowMs[k].p50);
      }
    for (const k of ['hold', 'confirm'] as const) {
      expect(p50.accelerated[k].length).toBe(4);
      // NVMe fsyncs take 100-500 µs, the NVDIMM path 2.3-3.3 µs: at least a tenth off the median answer.
      expect(median(p50.accelerated[k])).toBeLessThan(0.9 * median(p50.traditional[k]));
    }
  });
});
