import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { allocate, apportion } from './allocation.ts';
import { AssertionError } from '../../sim/assert.ts';

const sum = (xs: Iterable<number>): number => [...xs].reduce((a, b) => a + b, 0);

describe('allocation', () => {
  it('equal split hands the remainder to the lowest indices', () => {
    expect([...allocate(10, ['a', 'b', 'c'], { kind: 'equal' }).values()]).toEqual([4, 3, 3]);
    expect([...allocate(2, ['a', 'b', 'c'], { kind: 'equal' }).values()]).toEqual([1, 1, 0]);
  });

  it('proportional split uses largest remainders', () => {
    // 100 * [1,2,3]/6 = 16.67, 33.33, 50 -> floors 16, 33, 50 (99), the largest remainder (a: .67) gets the last.
    expect(apportion(100, [1, 2, 3])).toEqual([17, 33, 50]);
    expect(apportion(7, [0, 0])).toEqual([4, 3]);
    expect(apportion(10, [0.5, 0.25, 0.25])).toEqual([5, 3, 2]);
  });

  it('demand split is max-min fair, with floors, and gives surplus away equally', () => {
    expect([...allocate(10, ['a', 'b', 'c'], { kind: 'demand', demands: [1, 100, 100] }).values()]).toEqual([1, 5, 4]);
    expect([...allocate(10, ['a', 'b'], { kind: 'demand', demands: [2, 3] }).values()]).toEqual([5, 5]);
    expect([...allocate(10, ['a', 'b', 'c'], { kind: 'demand', demands: [0, 0, 100], minTokens: 2 }).values()]).toEqual([2, 2, 6]);
  });

  it('rejects bad input with an assertion', () => {
    expect(() => allocate(-1, ['a'], { kind: 'equal' })).toThrow(AssertionError);
    expect(() => allocate(3, ['a', 'a'], { kind: 'equal' })).toThrow(AssertionError);
    expect(() => apportion(3, [1, -1])).toThrow(AssertionError);
  });

  it('every policy sums to capacity exactly and never goes negative', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 100 }),
        (cap, ws, minTokens) => {
          const ids = ws.map((_, i) => `r${i}`);
          for (const policy of [
            { kind: 'equal' } as const,
            { kind: 'proportional', weights: ws } as const,
            { kind: 'demand', demands: ws, minTokens } as const,
          ]) {
            const parts = [...allocate(cap, ids, policy).values()];
            expect(sum(parts)).toBe(cap);
            expect(parts.every((p) => Number.isInteger(p) && p >= 0)).toBe(true);
          }
          // Demand-based never gives anyone more than their demand while someone else is short.
          const d = [...allocate(cap, ids, { kind: 'demand', demands: ws }).values()];
          const someoneShort = d.some((x, i) => x < (ws[i] as number));
          if (someoneShort) expect(d.every((x, i) => x <= (ws[i] as number))).toBe(true);
        },
      ),
    );
  });

  it('proportional parts are within one token of the exact quota', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 10 }), (cap, ws) => {
        const parts = apportion(cap, ws);
        const total = sum(ws);
        parts.forEach((p, i) => expect(Math.abs(p - (cap * (ws[i] as number)) / total)).toBeLessThan(1));
      }),
    );
  });
});
