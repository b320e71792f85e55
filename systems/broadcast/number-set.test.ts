import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inPageSummary, inRanges, NumberSet, removeFromPageSummary, removeFromRanges } from './number-set.ts';

describe('NumberSet', () => {
  it('agrees with a Set on any sequence of numbers (integers, fractions, negatives, -0, huge)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: -50, max: 50 }), fc.double({ noNaN: true }), fc.constantFrom(0, -0, 2 ** 53, -(2 ** 40), 4294967296, 1e300))), (xs) => {
        const s = new NumberSet(1);
        const ref = new Set<number>();
        for (const x of xs) {
          // Set treats -0 as 0; NumberSet keeps them apart (Object.is): compare on the same footing.
          const k = Object.is(x, -0) ? 0 : x;
          expect(s.add(k)).toBe(!ref.has(k));
          ref.add(k);
          expect(s.size).toBe(ref.size);
        }
        for (const x of xs) expect(s.has(Object.is(x, -0) ? 0 : x)).toBe(true);
        expect(s.has(0.123456789)).toBe(ref.has(0.123456789));
      }),
      { numRuns: 300 },
    );
  });

  it('grows past its first capacity and keeps every member', () => {
    const s = new NumberSet();
    for (let i = 0; i < 100_000; i++) expect(s.add(1_000_000 + i * 7)).toBe(true);
    expect(s.size).toBe(100_000);
    for (let i = 0; i < 100_000; i++) expect(s.has(1_000_000 + i * 7)).toBe(true);
    expect(s.has(1_000_001)).toBe(false);
  });

  it('keeps dense runs of integers in about a bit each (the memory a long broadcast run holds)', () => {
    const s = new NumberSet();
    // Two clients' values, as broadcast makes them: 1,000,000 + k and 2,000,000 + k.
    for (let k = 0; k < 500_000; k++) {
      s.add(1_000_000 + k);
      s.add(2_000_000 + k);
    }
    expect(s.size).toBe(1_000_000);
    // 1,000,000 values in pages of 256: about 3,900 pages, 8 words each; the pool at most doubles.
    expect(s.pageCount).toBeLessThanOrEqual(Math.ceil(500_000 / 256) * 2 + 2);
    expect(s.poolWords).toBeLessThanOrEqual(2 * 8 * s.pageCount + 64);
    expect(s.has(1_499_999)).toBe(true);
    expect(s.has(1_500_000)).toBe(false);
    expect(s.has(-1_000_000)).toBe(false);
  });

  it('keeps 0 and -0 apart, NaN once, and integers past 2^53 exactly', () => {
    const s = new NumberSet();
    expect(s.add(0)).toBe(true);
    expect(s.has(-0)).toBe(false);
    expect(s.add(-0)).toBe(true);
    expect(s.add(-0)).toBe(false);
    expect(s.add(NaN)).toBe(true);
    expect(s.add(NaN)).toBe(false);
    expect(s.add(2 ** 60)).toBe(true);
    expect(s.has(2 ** 60 + 2 ** 9)).toBe(false);
    expect(s.add(-257)).toBe(true);
    expect(s.has(-256)).toBe(false);
    expect(s.has(-257)).toBe(true);
    expect(s.size).toBe(5);
  });

  it('lists its integers as sorted half-open runs, and inRanges / removeFromRanges agree with a Set', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -600, max: 600 })), fc.array(fc.integer({ min: -600, max: 600 }), { maxLength: 20 }), (xs, drop) => {
        const s = new NumberSet(1);
        const ref = new Set<number>();
        for (const x of xs) {
          s.add(x);
          ref.add(x);
        }
        s.add(0.5); // not an integer: never listed in a run
        const runs = s.ranges();
        for (let i = 0; i < runs.length; i += 2) {
          expect(runs[i]!).toBeLessThan(runs[i + 1]!);
          if (i > 0) expect(runs[i]!).toBeGreaterThan(runs[i - 1]!); // sorted, and adjacent runs merged
        }
        for (const d of drop) {
          removeFromRanges(runs, d);
          ref.delete(d);
        }
        for (let v = -602; v <= 602; v++) expect(inRanges(runs, v)).toBe(ref.has(v));
        expect(inRanges(runs, 0.5)).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it('a page summary lists exactly the integers held; missingFrom lists the values it does not, as a scan of every value against it does, and null past its limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -600, max: 600 })),
        fc.array(fc.integer({ min: -700, max: 700 })),
        fc.array(fc.constantFrom(0.5, -0, 2 ** 53 + 2), { maxLength: 3 }),
        fc.array(fc.integer({ min: -700, max: 700 }), { maxLength: 20 }),
        fc.integer({ min: 0, max: 1300 }),
        (xs, held, odd, drop, limit) => {
          const s = new NumberSet(1);
          for (const x of [...xs, ...odd]) s.add(x);
          // The peer's summary, less a few values (as values still being persisted are left out).
          const peer = new NumberSet(1);
          for (const x of [...held, ...odd]) peer.add(x);
          const summary = peer.pageSummary();
          for (const d of drop) removeFromPageSummary(summary, d);
          const listed = new Set(held.filter((v) => !drop.includes(v)));
          for (let v = -702; v <= 702; v++) expect(inPageSummary(summary, v)).toBe(listed.has(v));
          for (const v of odd) expect(inPageSummary(summary, v)).toBe(false); // integers only
          const want = [...new Set(xs)].sort((a, b) => a - b).filter((v) => !listed.has(v));
          want.push(...new Set(odd));
          expect(s.missingFrom(summary, want.length)).toEqual(want);
          expect(s.missingFrom(summary, limit)).toEqual(want.length <= limit ? want : null);
        },
      ),
      { numRuns: 200 },
    );
    // Whole pages listed, pages not listed at all, and an empty summary.
    const s = new NumberSet();
    for (let v = 0; v < 2000; v++) if (v !== 1500) s.add(v);
    const peer = new NumberSet();
    for (let v = 0; v < 1000; v++) peer.add(v);
    for (let v = 1001; v < 1500; v++) peer.add(v);
    expect(s.missingFrom(peer.pageSummary(), 10_000)).toEqual([1000, ...Array.from({ length: 499 }, (_, i) => 1501 + i)]);
    expect(s.missingFrom([], 10_000)).toHaveLength(1999);
    expect(s.missingFrom(s.pageSummary(), 0)).toEqual([]);
  });

  it('a dense million values is a handful of runs', () => {
    const s = new NumberSet();
    for (let i = 0; i < 1_000_000; i++) if (i !== 500_000) s.add(2_000_000 + i);
    expect(s.ranges()).toEqual([2_000_000, 2_500_000, 2_500_001, 3_000_000]);
  });

  it('comes back whole from its image (a checkpoint): same members, size and runs, and adds on from there as the original does', () => {
    const num = fc.oneof(fc.integer({ min: -3000, max: 3000 }), fc.integer(), fc.double(), fc.constantFrom(-0, 2 ** 53 + 2));
    fc.assert(
      fc.property(fc.array(num, { maxLength: 3000 }), fc.array(num, { maxLength: 300 }), (before, after) => {
        const s = new NumberSet();
        for (const x of before) s.add(x);
        const img = s.image();
        const r = NumberSet.fromImage({ ...img, pages: img.pages.slice(), words: img.words.slice(), other: [...img.other] });
        expect(r.size).toBe(s.size);
        expect(r.ranges()).toEqual(s.ranges());
        for (const x of after) expect(r.add(x)).toBe(s.add(x));
        expect(r.size).toBe(s.size);
        expect(r.ranges()).toEqual(s.ranges());
        for (const x of [...before, ...after]) expect(r.has(x)).toBe(true);
      }),
      { numRuns: 60 },
    );
    expect(NumberSet.fromImage(new NumberSet().image()).size).toBe(0);
  });
});
