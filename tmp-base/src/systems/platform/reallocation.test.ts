/**
 * Escrow re-allocation by the operator, fenced: the allocation policy is written to the config store
 * with the lock's fencing token, and only a policy the store committed is carried out (escrow's own
 * rebalance order and transfer protocol moves the tokens, so conservation and never-oversell, checked
 * by the escrow kit, still hold). `reallocation-fenced` checks every order against the committed policies.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../sim/runner.ts';
import type { World } from '../../sim/scenario.ts';
import { ms } from '../../sim/time.ts';
import scn from '../../scenarios/platform-global-sale.ts';
import { PlatformChecks } from './invariants.ts';

describe('reallocation-fenced (unit)', () => {
  it('accepts an order the store committed, and refuses one it never committed or committed otherwise', () => {
    const violations: string[] = [];
    const w = { now: ms(10), violation: (name: string) => violations.push(name) };
    const checks = new PlatformChecks(w as unknown as World<unknown>, { drainBoundNs: ms(1000), healthBoundNs: ms(1000), capacity: 10 });
    const a = { token: 9, seq: 1, from: 'us', to: 'eu', amount: 4 };
    checks.onReallocate('op1', a); // not committed (yet): a stale operator's, or one sent before the store answered
    expect(violations).toEqual(['reallocation-fenced']);
    const put = { type: 'put', key: 'platform/escrow/allocation', value: JSON.stringify({ seq: 1, from: 'us', to: 'eu', amount: 4, token: 9 }), rev: 12 };
    checks.onApply('cfg1', () => ({ store: { get: () => ({ createRev: 9, value: 'op1' }) } }) as never, { kind: 'noop' } as never, { op: 'put' } as never, [put] as never);
    checks.onReallocate('op1', a);
    expect(violations.length).toBe(1);
    checks.onReallocate('op2', { ...a, token: 8 }); // same number, another operator's (refused) write
    checks.onReallocate('op1', { ...a, amount: 5 });
    expect(violations.length).toBe(3);
  });
});

describe('re-allocation in the platform', () => {
  it('moves tokens between regions through escrow, and every run passes its escrow and end-to-end checks (seeds 1-6)', () => {
    let orders = 0;
    let transfers = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const r = runScenario(scn, { seed });
      expect(r.violations).toEqual([]);
      expect(r.ok).toBe(true);
      orders += (r.metrics.platform as { operator: { reallocations: number } }).operator.reallocations;
      transfers += JSON.stringify(r.coverage).match(/"escrow:rebalance-transfer":(\d+)/)?.[1] !== undefined ? 1 : 0;
    }
    expect(orders).toBeGreaterThan(0);
    expect(transfers).toBeGreaterThan(0); // an ordered re-allocation became an escrow transfer
  });
});

// A re-allocation is a recorded decision like the operators' other actions (sim/decisions.ts):
// "op1's 3rd action: reallocate 4 tokens us -> eu". A shrink can drop it; export shows it.
describe('re-allocation as a recorded decision', () => {
  it('is in the recorded script and the export; a script without it replays without it', async () => {
    type Op = { kind: string; client?: string; n?: number; op?: Record<string, unknown> };
    const isRealloc = (e: Op): boolean => e.kind === 'op' && e.op?.action === 'reallocate';
    const orders = (r: { metrics: Record<string, unknown> }): number => (r.metrics.platform as { operator: { reallocations: number } }).operator.reallocations;
    // The first seed whose fault phase re-allocates (one run in a few does).
    let found: { seed: number; r: ReturnType<typeof runScenario> } | null = null;
    for (let seed = 1; seed <= 12 && found === null; seed++) {
      const r = runScenario(scn, { seed, pins: { bug: 'none' } });
      if ((r.script ?? []).some((e) => isRealloc(e as Op))) found = { seed, r };
    }
    expect(found, 'a seed of 1-12 re-allocates in its fault phase').not.toBeNull();
    const { seed, r } = found!;
    const script = r.script!;
    const reallocs = script.filter((e) => isRealloc(e as Op)) as Op[];
    for (const e of reallocs) {
      expect(e.client).toMatch(/^op[12]$/);
      expect(e.op).toMatchObject({ action: 'reallocate', from: expect.any(String), to: expect.any(String), amount: expect.any(Number) });
    }
    // Driven by its own script, the run orders every re-allocation it recorded.
    const full = runScenario(scn, { seed, pins: r.params, swarm: false, script });
    expect(full.violations).toEqual([]);
    expect(orders(full)).toBeGreaterThanOrEqual(reallocs.length);
    // Without them: none of them is ordered (the operator skips that turn), the rest plays on.
    const without = runScenario(scn, { seed, pins: r.params, swarm: false, script: script.filter((e) => !isRealloc(e as Op)) });
    expect(without.violations).toEqual([]);
    expect(orders(without)).toBe(orders(full) - reallocs.length);
    expect((without.script ?? []).some((e) => isRealloc(e as Op))).toBe(false);
    // A script may name a re-allocation the seed did not draw there: it is carried out.
    const other = script.find((e) => e.kind === 'op' && (e as Op).client === reallocs[0]!.client && !isRealloc(e as Op) && (e as Op).op?.action !== undefined) as Op | undefined;
    expect(other, 'another action of the same operator').toBeDefined();
    if (other !== undefined) {
      const swapped = script.map((e) => (e === (other as unknown) ? { ...other, op: reallocs[0]!.op } : e));
      const op = reallocs[0]!.op!;
      const want = `"from":"${String(op.from)}","to":"${String(op.to)}","amount":${String(op.amount)}`;
      const writes: number[] = [];
      const skips: string[] = [];
      const s = runScenario(scn, {
        seed,
        pins: r.params,
        swarm: false,
        script: swapped as typeof script,
        traceSink: (rec) => {
          if (rec.kind === 'recv' && rec.detail.includes(`from ${String(other.client)}: kvWrite`) && rec.detail.includes('fencedPut platform/escrow/allocation=') && rec.detail.includes(want)) writes.push(rec.atNs);
          if (rec.kind === 'script-skip') skips.push(rec.detail);
        },
      });
      expect(s.violations).toEqual([]);
      expect(skips.filter((d) => d.startsWith('reallocate'))).toEqual([]);
      // Its policy is written (fenced) after the decision's time.
      expect(writes.some((t) => t >= (other as unknown as { atNs: number }).atNs)).toBe(true);
    }
    // The export names it as a step.
    const { exportTest } = await import('../../cli/export.ts');
    const { makeRepro } = await import('../../reports/repro.ts');
    const text = exportTest(makeRepro(r, { buggify: true, pins: {}, file: 'test.json' }), { source: 'test.json' });
    expect(text).toMatch(/clientOp\('op[12]', \d+, \{ action: 'reallocate', from: '[a-z]+', to: '[a-z]+', amount: \d+ \}\)/);
  }, 120_000);
});
