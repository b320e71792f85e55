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
