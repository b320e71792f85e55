/**
 * The dead-variant zoo: systems that do nothing, or nothing useful, keep every safety invariant
 * ("nothing bad happens" is true of a system that does nothing). Each variant here passed every
 * seed of its family's sweep before the liveness property named beside it existed (docs/performance.md,
 * "Tenth round: a dead system must not pass"); each must now fail on its seed by that property,
 * and the correct system must pass the same seed.
 */
import { describe, expect, it } from 'vitest';
import { findCatchingSeed } from '../sim/bug-zoo.ts';
import { runScenario } from '../sim/runner.ts';
import type { Scenario } from '../sim/scenario.ts';
import broadcast from './broadcast.ts';
import raftElection from './raft-election.ts';
import lbAlgorithms from './lb-algorithms.ts';
import lbCrash from './lb-crash.ts';
import escrowSeat from './escrow-seat-example.ts';
import escrowVsCoordinated from './escrow-vs-coordinated.ts';
import hwAccelerated from './hw-accelerated-kv.ts';
import hwTraditional from './hw-traditional-kv.ts';
import cxlEscrow from './hw-cxl-escrow.ts';
import platform from './platform-global-sale.ts';

interface Dead {
  /** What the variant is. */
  what: string;
  scn: Scenario;
  pins: Record<string, unknown>;
  /** A seed that catches it (the first from 1, except where said: the one that passed before). */
  seed: number;
  /** The liveness property that catches it. */
  property: string;
  /** Checks that catch it first, switched off to show the property catches it alone. */
  ignore?: string[];
}

const ZOO: Dead[] = [
  { what: 'a broadcast whose nodes ignore every client', scn: broadcast as unknown as Scenario, pins: { bug: 'never-accepts' }, seed: 1, property: 'every-node-accepts-broadcasts' },
  // With clients, client-ops-complete caught it already; with none, nothing waited on a commit.
  { what: 'a Raft leader that never commits, no clients', scn: raftElection as unknown as Scenario, pins: { bug: 'never-commit', clients: 0 }, seed: 1, property: 'leader-commits' },
  { what: 'balancers that forward every request and answer each with a 502', scn: lbCrash as unknown as Scenario, pins: { bug: 'error-after-forward' }, seed: 1, property: 'every-balancer-serves-after-recovery' },
  // Seed 13: every token was held at the heal, and the probe took "nothing idle" for sold out.
  { what: 'an escrow that never confirms a hold', scn: escrowSeat as unknown as Scenario, pins: { bug: 'never-confirms' }, seed: 13, property: 'idle-tokens-flow' },
  // The baseline the escrow figures are measured against: it sold nothing and passed (its flow
  // probe was off: a single leader lends nothing), so the comparison would have read "infinitely faster".
  { what: 'a coordinated baseline whose front ends never relay the leader\'s answer', scn: escrowVsCoordinated as unknown as Scenario, pins: { bug: 'front-ends-relay-nothing' }, seed: 1, property: 'c-every-region-sells' },
  { what: 'a store whose every scan fails', scn: hwTraditional as unknown as Scenario, pins: { bug: 'scans-fail' }, seed: 1, property: 'healed-cluster-serves' },
  { what: 'an accelerated store that always reads scans raw', scn: hwAccelerated as unknown as Scenario, pins: { bug: 'pushdown-always-falls-back' }, seed: 1, property: 'healed-cluster-serves' },
  { what: 'CXL escrow hosts that answer every sale "sold out"', scn: cxlEscrow as unknown as Scenario, pins: { bug: 'always-sold-out' }, seed: 1, property: 'every-host-answers' },
  // The escrow's reply checks judge the platform's servers' holds too: hold-served-locally sees the
  // first refusal (a hold that fit the local tokens), 2.8 s into seed 1. The probe must still catch it alone.
  { what: 'the platform with an escrow that refuses every hold', scn: platform as unknown as Scenario, pins: { bug: 'escrow-refuses-all' }, seed: 1, property: 'a-customer-can-buy-in-every-region', ignore: ['esc-hold-served-locally'] },
  { what: 'the platform with app servers that answer every checkout "sold out"', scn: platform as unknown as Scenario, pins: { bug: 'checkout-always-sold-out' }, seed: 1, property: 'a-customer-can-buy-in-every-region' },
  { what: 'the platform with a GeoDNS that answers no query', scn: platform as unknown as Scenario, pins: { bug: 'geodns-answers-nothing' }, seed: 1, property: 'a-customer-can-buy-in-every-region' },
];

describe('dead variants: a system that does nothing useful fails a liveness property', () => {
  for (const z of ZOO) {
    it(`${z.what} (${z.scn.name} ${JSON.stringify(z.pins)}) is caught at seed ${z.seed} by ${z.property}; the correct system passes that seed`, () => {
      const c = findCatchingSeed(z.scn, { pins: z.pins, from: z.seed, cap: 1, ...(z.ignore ? { ignore: z.ignore } : {}) });
      expect(c.seed).toBe(z.seed);
      expect(c.outcome).toBe('liveness');
      expect(c.result!.pending.map((p) => p.property)).toContain(z.property);
      const ok = runScenario(z.scn, { seed: z.seed, pins: { ...z.pins, bug: 'none' } });
      expect(ok.violations).toEqual([]);
      expect(ok.ok).toBe(true);
    }, 300_000);
  }
});

describe('an idle part, or a sale sold out, is not a dead system', () => {
  it("lb-algorithms with two balancers a pool (its load goes to each pool's first) passes: the second has nothing to serve", () => {
    const r = runScenario(lbAlgorithms as unknown as Scenario, { seed: 1, pins: { balancers: 2 } });
    expect(r.pending).toEqual([]);
    expect(r.ok).toBe(true);
  }, 300_000);

  it('the platform whose sale sold out (one seat) passes: its probe finds none left, and leaves no hold open', () => {
    const r = runScenario(platform as unknown as Scenario, { seed: 1, pins: { capacity: 1 } });
    expect(r.pending).toEqual([]);
    expect(r.ok).toBe(true);
  }, 300_000);
});
