import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NumberChecksum, NumberList } from './number-list.ts';

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
  });

  it('keeps the checksum of its values: equal for any order of the same values, different when one differs', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-0, 0, 2 ** 53)), { minLength: 1, maxLength: 300 }), fc.integer(), fc.oneof(fc.integer(), fc.double()), (xs, at, other) => {
        const l = NumberList.of(xs);
        const shuffled = new NumberChecksum();
        const rot = ((at % xs.length) + xs.length) % xs.length;
        for (const x of [...xs.slice(rot), ...xs.slice(0, rot)].reverse()) shuffled.add(x);
        expect(l.checksum.equals(shuffled)).toBe(true);
        const changed = new NumberChecksum();
        const i = rot;
        xs.forEach((x, j) => changed.add(j === i ? other : x));
        expect(changed.equals(l.checksum)).toBe(Object.is(other, xs[i]));
        const copy = l.checksum.copy();
        l.push(1);
        expect(copy.equals(l.checksum)).toBe(false);
        expect(copy.count).toBe(xs.length);
      }),
      { numRuns: 200 },
    );
  });

  it('an image keeps full chunks of integers as strings, the same ones on every later image, so a disk shares them instead of copying', () => {
    const l = new NumberList();
    for (let i = 0; i < 10_000; i++) l.push(i % 7 === 0 ? -(2 ** 31) + i : 1_000_000 + i * 65_537);
    const img = l.image();
    expect(img.chunks.map((c) => typeof c)).toEqual(['string', 'string', 'object']);
    for (let i = 0; i < 5_000; i++) l.push(i);
    const again = l.image();
    expect(again.chunks[0]).toBe(img.chunks[0]);
    expect(again.chunks[1]).toBe(img.chunks[1]);
    expect(typeof again.chunks[2]).toBe('string'); // filled since: sealed now
    // Read back from the strings, the restored list and the sealed original hold the same values.
    const r = NumberList.fromImage(again);
    for (let i = 0; i < 10_000; i++) {
      const want = i % 7 === 0 ? -(2 ** 31) + i : (1_000_000 + i * 65_537) | 0;
      expect(r.get(i)).toBe(want);
      expect(l.get(i)).toBe(want);
    }
    expect(r.slice(10_000)).toEqual(Array.from({ length: 5_000 }, (_, i) => i));
  });

  it('comes back whole from its image (a checkpoint), and grows, widens and checksums on from there as the original does', () => {
    const num = fc.oneof(fc.integer(), fc.integer({ min: 0, max: 5000 }), fc.double(), fc.constantFrom(-0, 2 ** 53));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5000, max: 5000 }), { maxLength: 9000 }), fc.boolean(), fc.array(num, { maxLength: 300 }), (before, widen, after) => {
        const l = new NumberList();
        for (const x of before) l.push(x);
        if (widen) l.push(0.5);
        const img = l.image();
        // As a disk read hands it back: a copy of the bytes.
        const r = NumberList.fromImage({ ...img, chunks: img.chunks.map((c) => c.slice()) });
        for (const x of after) {
          l.push(x);
          r.push(x);
        }
        expect(r.length).toBe(l.length);
        for (let i = 0; i < l.length; i++) expect(Object.is(r.get(i), l.get(i))).toBe(true);
        expect(r.checksum.equals(l.checksum)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});
