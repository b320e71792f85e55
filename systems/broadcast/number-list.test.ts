import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NumberList } from './number-list.ts';

describe('NumberList', () => {
  it('holds any sequence of numbers in order, as an array would (integers, -0, fractions, huge)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-0, 2 ** 31, -(2 ** 31), 2 ** 53)), { maxLength: 9000 }), (xs) => {
        const l = new NumberList();
        for (const x of xs) l.push(x);
        expect(l.length).toBe(xs.length);
        for (let i = 0; i < xs.length; i++) expect(Object.is(l.get(i), xs[i])).toBe(true);
        expect(l.slice(0)).toEqual(xs);
        expect(l.slice(3, 7)).toEqual(xs.slice(3, 7));
      }),
      { numRuns: 30 },
    );
  });

  it('widens to doubles mid-way without losing what it held', () => {
    const l = new NumberList();
    for (let i = 0; i < 10_000; i++) l.push(1_000_000 + i);
    l.push(0.5);
    l.push(-0);
    expect(l.get(9_999)).toBe(1_009_999);
    expect(l.get(10_000)).toBe(0.5);
    expect(Object.is(l.get(10_001), -0)).toBe(true);
    expect(NumberList.of([1, 2, 3]).slice(1)).toEqual([2, 3]);
    expect(NumberList.of([1, null, 3, null]).slice(0)).toEqual([1, 3]); // nulls (corrupt records) left out
    expect(NumberList.of([0.5, null, -0]).slice(0)).toEqual([0.5, -0]);
  });

  it('of() holds what pushing each value would, and keeps growing after (whole chunks of integers, or doubles)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer(), fc.constantFrom(-0, 0.5, 2 ** 31)), { maxLength: 9000 }), fc.array(fc.integer(), { maxLength: 50 }), (xs, more) => {
        const l = NumberList.of(xs);
        for (const x of more) l.push(x);
        const all = [...xs, ...more];
        expect(l.length).toBe(all.length);
        for (let i = 0; i < all.length; i++) expect(Object.is(l.get(i), all[i])).toBe(true);
      }),
      { numRuns: 30 },
    );
  });
});
