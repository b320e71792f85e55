import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { detectStarvation, jainIndex, regionLoadOf } from './fairness.ts';
import { TestCluster, peerConfigs } from './test-cluster.ts';

describe("Jain's fairness index", () => {
  it('is 1 for equal shares and 1/n when one takes all', () => {
    expect(jainIndex([5, 5, 5, 5])).toBe(1);
    expect(jainIndex([7])).toBe(1);
    for (const n of [2, 3, 5, 10]) {
      const xs = Array.from({ length: n }, (_, i) => (i === 0 ? 42 : 0));
      expect(jainIndex(xs)).toBeCloseTo(1 / n, 12);
    }
  });

  it('matches a hand computation and the all-zero convention', () => {
    // (1+2+3)^2 / (3 * (1+4+9)) = 36/42
    expect(jainIndex([1, 2, 3])).toBeCloseTo(36 / 42, 12);
    expect(jainIndex([0, 0, 0])).toBe(1);
  });

  it('lies in [1/n, 1] and is scale-invariant', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 50 }), (xs, k) => {
        const j = jainIndex(xs);
        expect(j).toBeGreaterThanOrEqual(1 / xs.length - 1e-12);
        expect(j).toBeLessThanOrEqual(1 + 1e-12);
        expect(jainIndex(xs.map((x) => x * k))).toBeCloseTo(j, 9);
      }),
    );
  });
});

describe('starvation detection', () => {
  const opts = { refusalStreakMin: 3, idleTokensMin: 1 };

  it('reports a region refused repeatedly while another sits on idle tokens', () => {
    const r = detectStarvation(
      [
        { id: 'eu', refusalStreak: 4, idleTokens: 0 },
        { id: 'us', refusalStreak: 0, idleTokens: 10 },
        { id: 'ap', refusalStreak: 0, idleTokens: 3 },
      ],
      opts,
    );
    expect(r).toEqual([{ id: 'eu', refusalStreak: 4, idleTokensElsewhere: 13, richestId: 'us' }]);
  });

  it('does not call exhaustion starvation, nor a short streak', () => {
    expect(detectStarvation([{ id: 'eu', refusalStreak: 9, idleTokens: 0 }, { id: 'us', refusalStreak: 9, idleTokens: 0 }], opts)).toEqual([]);
    expect(detectStarvation([{ id: 'eu', refusalStreak: 2, idleTokens: 0 }, { id: 'us', refusalStreak: 0, idleTokens: 50 }], opts)).toEqual([]);
  });

  it("does not count a region's own idle tokens", () => {
    expect(detectStarvation([{ id: 'eu', refusalStreak: 5, idleTokens: 8 }, { id: 'us', refusalStreak: 0, idleTokens: 0 }], opts)).toEqual([]);
  });
});

describe('starvation of a live replica', () => {
  it('a replica that only asks an empty peer is reported while a third sits on idle tokens', () => {
    const MS = 1_000_000;
    const cfgs = peerConfigs(10, ['a', 'b', 'c']).map((c) => (c.id === 'a' ? { ...c, peers: ['b'] } : c));
    const c = new TestCluster(10, cfgs, [0, 0, 10]);
    c.consume(0, 2); // refused locally: a keeps asking b for 2 tokens
    const opts = { refusalStreakMin: 3, idleTokensMin: 1 };
    for (let i = 0; i < 5; i++) {
      c.flushAll();
      while (c.deliver(0)) c.flushAll();
      c.advance(25 * MS);
      c.tick(0);
    }
    const loads = c.snapshot().nodes.map(regionLoadOf);
    expect(loads.find((l) => l.id === 'a')?.refusalStreak).toBeGreaterThanOrEqual(3);
    expect(detectStarvation(loads, opts)).toEqual([expect.objectContaining({ id: 'a', richestId: 'c', idleTokensElsewhere: 10 })]);
  });
});
