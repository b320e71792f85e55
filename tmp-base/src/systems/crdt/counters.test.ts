import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GCounter } from './g-counter.ts';
import { GSet } from './g-set.ts';
import { PNCounter } from './pn-counter.ts';

describe('GCounter / PNCounter', () => {
  it('counts past 2^64 without overflow (bigint)', () => {
    const a = new GCounter('a');
    const b = new GCounter('b');
    const big = (1n << 64n) - 1n;
    a.increment(big);
    b.increment(big);
    a.merge(b.toData());
    expect(a.value()).toBe(2n * big);
    expect(a.value() > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
  });

  it('the value after full exchange is the sum of every increment (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.bigInt(-(1n << 70n), 1n << 70n)), { maxLength: 30 }), (ops) => {
        const rs = ['a', 'b', 'c'].map((id) => new PNCounter(id));
        let sum = 0n;
        for (const [i, by] of ops) {
          rs[i]?.add(by);
          sum += by;
        }
        for (const x of rs) for (const y of rs) y.merge(x.toData());
        return rs.every((r) => r.value() === sum);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects a negative G-Counter increment (an assertion, not a silent decrement)', () => {
    expect(() => new GCounter('a').increment(-1n)).toThrow(/negative/);
  });

  it('metadata is the per-replica breakdown', () => {
    const a = new GCounter('a');
    a.increment(300n); // 300 needs 2 bytes as a signed integer
    expect(a.metadataBytes()).toBe(1 + 2);
    const p = new PNCounter('ab');
    p.add(-5n);
    expect(p.value()).toBe(-5n);
    expect(p.metadataBytes()).toBe(2 + 1);
  });

  it('G-Set merges by union and carries no metadata', () => {
    const a = new GSet<string>('a');
    const b = new GSet<string>('b');
    a.add('phone');
    b.merge(b.add('laptop'));
    b.merge(a.toData());
    expect(b.value()).toEqual(['laptop', 'phone']);
    expect(b.metadataBytes()).toBe(0);
  });
});
