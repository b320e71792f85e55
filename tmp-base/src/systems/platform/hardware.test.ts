/**
 * The hardware parameters (seed 004): `hardware=accelerated` runs the escrow replicas on SmartNICs
 * and `storeHardware=accelerated` the config store's Raft servers (sim/hardware/smart-nic.ts
 * `runOnNic`: the NIC carries the server, its disk is the NIC's NVDIMM), and the hardware nemesis
 * draws the NICs' faults (crash, wedge; BUGGIFY's NVDIMM stall). The same platform passes both
 * ways, device faults are drawn and survived, the durable writes (and so escrow holds and
 * confirms) are measurably faster, and a cross-system bug is still caught on accelerated hardware.
 */
import { describe, expect, it } from 'vitest';
import { findCatchingSeed } from '../../sim/bug-zoo.ts';
import { resolveParams } from '../../sim/params.ts';
import { RngRoot } from '../../sim/prng.ts';
import { runScenario } from '../../sim/runner.ts';
import scn from '../../scenarios/platform-global-sale.ts';
import { platformParams } from './kit.ts';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ACCELERATED = { hardware: 'accelerated', storeHardware: 'accelerated' } as const;

interface HwMetrics {
  hardware: string;
  storeHardware: string;
  nics: Record<'escrow' | 'store', { crashes: number; nvdimmStalls: number; persisted: number } | null>;
  fsyncUs: Record<'escrow' | 'store', number | null>;
  escrowMs: Record<'hold' | 'confirm', { p50: number } | null>;
}

describe('platform hardware parameters', () => {
  it('the swarm draws both modes of each', () => {
    const drawn = { hardware: new Set<string>(), storeHardware: new Set<string>() };
    for (let s = 1; s <= 20; s++) {
      const p = resolveParams(platformParams(), {}, new RngRoot(String(s)).stream('swarm'), true);
      drawn.hardware.add(p.hardware);
      drawn.storeHardware.add(p.storeHardware);
    }
    expect([...drawn.hardware].sort()).toEqual(['accelerated', 'traditional']);
    expect([...drawn.storeHardware].sort()).toEqual(['accelerated', 'traditional']);
  });

  it('both modes pass (seeds 1-4, faults at their defaults); accelerated writes durably and answers escrow holds and confirms sooner; NIC faults are drawn and survived', () => {
    const fig = { traditional: { hold: [] as number[], confirm: [] as number[], escrow: [] as number[], store: [] as number[] }, accelerated: { hold: [] as number[], confirm: [] as number[], escrow: [] as number[], store: [] as number[] } };
    let deviceFaults = 0;
    for (const mode of ['traditional', 'accelerated'] as const)
      for (let seed = 1; seed <= 4; seed++) {
        const r = runScenario(scn, { seed, swarm: false, pins: { hardware: mode, storeHardware: mode } });
        expect(r.violations).toEqual([]);
        expect(r.ok).toBe(true);
        const m = r.metrics.platform as HwMetrics;
        expect([m.hardware, m.storeHardware]).toEqual([mode, mode]);
        for (const k of ['hold', 'confirm'] as const) if (m.escrowMs[k] !== null) fig[mode][k].push(m.escrowMs[k].p50);
        for (const k of ['escrow', 'store'] as const) fig[mode][k].push(m.fsyncUs[k]!);
        const nicFaults = (r.script ?? []).filter((e) => JSON.stringify(e).includes('"kind":"device-down"')).length;
        if (mode === 'traditional') {
          expect(m.nics).toEqual({ escrow: null, store: null });
          expect(nicFaults).toBe(0);
        } else {
          expect(m.nics.escrow!.persisted).toBeGreaterThan(0);
          expect(m.nics.store!.persisted).toBeGreaterThan(0);
          deviceFaults += nicFaults;
        }
      }
    // Device faults were drawn (recorded decisions: NIC crashes and wedges) and every run passed.
    expect(deviceFaults).toBeGreaterThan(0);
    // An NVMe fsync takes 100-500 µs; NIC processing and an NVDIMM write 2.3-3.3 µs (stalls: 1-5 ms).
    for (const k of ['escrow', 'store'] as const) expect(median(fig.accelerated[k])).toBeLessThan(0.25 * median(fig.traditional[k]));
    for (const k of ['hold', 'confirm'] as const) {
      expect(fig.accelerated[k].length).toBe(4);
      expect(median(fig.accelerated[k])).toBeLessThan(0.9 * median(fig.traditional[k]));
    }
  });

  it('a cross-system bug is still caught with both systems on SmartNICs (order-before-escrow-confirm, from seed 1)', () => {
    const c = findCatchingSeed(scn, { pins: { bug: 'order-before-escrow-confirm', ...ACCELERATED }, cap: 10 });
    expect(c.invariant).toBe('order-backed-by-escrow');
    const ok = runScenario(scn, { seed: c.seed!, pins: { bug: 'none', ...ACCELERATED } });
    expect(ok.violations).toEqual([]);
    expect(ok.ok).toBe(true);
  });
});
