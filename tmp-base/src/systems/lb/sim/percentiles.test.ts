import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { percentile, summarize } from './percentiles.ts';

describe('percentiles', () => {
  it('nearest rank: p50 of 1..100 is 50, p99 is 99, p100 is 100', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 0.5)).toBe(50);
    expect(percentile(xs, 0.99)).toBe(99);
    expect(percentile(xs, 1)).toBe(100);
    expect(percentile([], 0.5)).toBeNaN();
  });
  it('summary is in microseconds and ordered p50 <= p99 <= max (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1e9 }), { minLength: 1, maxLength: 200 }), (xs) => {
        const s = summarize(xs);
        expect(s.count).toBe(xs.length);
        expect(s.p50Us).toBeLessThanOrEqual(s.p99Us);
        expect(s.p99Us).toBeLessThanOrEqual(s.maxUs);
        expect(s.maxUs).toBeCloseTo(Math.max(...xs) / 1000, 0);
      }),
    );
  });
});
