import seedrandom from 'seedrandom';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { RngRoot, SeededRng } from './prng.ts';

const draw = (r: SeededRng | ReturnType<RngRoot['stream']>, n: number): number[] => Array.from({ length: n }, () => r.next());

const seedArb = fc.oneof(fc.integer(), fc.string({ maxLength: 12 }));
const nameArb = fc.string({ minLength: 1, maxLength: 12 });

describe('SeededRng streams', () => {
  it('same (seed, name) gives the same sequence', () => {
    fc.assert(
      fc.property(seedArb, nameArb, fc.integer({ min: 1, max: 50 }), (seed, name, n) => {
        expect(draw(new SeededRng(seed, name), n)).toEqual(draw(new RngRoot(seed).stream(name), n));
      }),
      { numRuns: 100 },
    );
  });

  it('different names give different sequences, and so do different seeds', () => {
    fc.assert(
      fc.property(seedArb, nameArb, nameArb, (seed, a, b) => {
        fc.pre(a !== b);
        expect(draw(new SeededRng(seed, a), 8)).not.toEqual(draw(new SeededRng(seed, b), 8));
        expect(draw(new SeededRng(seed, a), 8)).not.toEqual(draw(new SeededRng(`${seed}x`, a), 8));
      }),
      { numRuns: 100 },
    );
  });

  it('drawing from stream A never changes stream B (in any interleaving)', () => {
    fc.assert(
      fc.property(seedArb, fc.array(fc.boolean(), { maxLength: 200 }), (seed, pattern) => {
        const root = new RngRoot(seed);
        const alone = draw(root.stream('B'), pattern.filter((x) => !x).length);
        const a = root.stream('A');
        const b = root.stream('B');
        const got: number[] = [];
        for (const fromA of pattern) {
          if (fromA) {
            a.next();
            a.int(0, 9);
            a.shuffle([1, 2, 3]);
          } else got.push(b.next());
        }
        expect(got).toEqual(alone);
      }),
      { numRuns: 100 },
    );
  });

  it('fork is a stream named parent/child, independent of the parent', () => {
    const p = new SeededRng(7, 'net');
    const before = draw(p.fork('x'), 5);
    draw(p, 100);
    const f = p.fork('x');
    expect(f.name).toBe('net/x');
    expect(draw(f, 5)).toEqual(before);
    expect(draw(f, 5)).toEqual(draw(new SeededRng(7, 'net/x'), 10).slice(5));
  });

  it('numeric seed 5 and string seed "5" are the same root', () => {
    expect(draw(new SeededRng(5, 's'), 4)).toEqual(draw(new SeededRng('5', 's'), 4));
  });
});

describe('SeededRng draws', () => {
  it('int stays in [lo, hi] and hits both ends', () => {
    const r = new SeededRng(1, 'int');
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = r.int(-3, 3);
      expect(Number.isInteger(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(-3);
      expect(v).toBeLessThanOrEqual(3);
      seen.add(v);
    }
    expect(seen.size).toBe(7);
    expect(r.int(4, 4)).toBe(4);
    expect(() => r.int(5, 4)).toThrow(RangeError);
  });

  it('chance(0) is never true, chance(1) always, chance(0.3) about 30%', () => {
    const r = new SeededRng(2, 'chance');
    let hits = 0;
    for (let i = 0; i < 10_000; i++) {
      expect(r.chance(0)).toBe(false);
      expect(r.chance(1)).toBe(true);
      if (r.chance(0.3)) hits++;
    }
    expect(hits).toBeGreaterThan(2700);
    expect(hits).toBeLessThan(3300);
  });

  it('next and uniform stay in range', () => {
    const r = new SeededRng(3, 'u');
    for (let i = 0; i < 2000; i++) {
      const x = r.next();
      expect(x >= 0 && x < 1).toBe(true);
      const u = r.uniform(10, 12);
      expect(u >= 10 && u < 12).toBe(true);
    }
  });

  it('pick returns members and throws on empty; shuffle is a permutation', () => {
    const r = new SeededRng(4, 'p');
    const items = ['a', 'b', 'c', 'd', 'e'];
    const picked = new Set<string>();
    for (let i = 0; i < 200; i++) picked.add(r.pick(items));
    expect([...picked].sort()).toEqual(items);
    expect(() => r.pick([])).toThrow(RangeError);
    fc.assert(
      fc.property(fc.array(fc.integer()), (xs) => {
        const s = r.shuffle(xs);
        expect([...s].sort((a, b) => a - b)).toEqual([...xs].sort((a, b) => a - b));
      }),
      { numRuns: 50 },
    );
    const orig = [1, 2, 3, 4, 5, 6, 7, 8];
    const orders = new Set<string>();
    for (let i = 0; i < 50; i++) orders.add(r.shuffle(orig).join());
    expect(orders.size).toBeGreaterThan(20);
    expect(orig).toEqual([1, 2, 3, 4, 5, 6, 7, 8]); // not shuffled in place
  });

  it('exponential has the given mean; logNormal has the given median and p99', () => {
    const r = new SeededRng(5, 'dist');
    const n = 20_000;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const x = r.exponential(100);
      expect(x).toBeGreaterThanOrEqual(0);
      sum += x;
    }
    expect(sum / n).toBeGreaterThan(95);
    expect(sum / n).toBeLessThan(105);
    const xs = Array.from({ length: n }, () => r.logNormal(500, 2000)).sort((a, b) => a - b);
    expect(xs[n / 2]!).toBeGreaterThan(470);
    expect(xs[n / 2]!).toBeLessThan(530);
    expect(xs[Math.floor(n * 0.99)]!).toBeGreaterThan(1700);
    expect(xs[Math.floor(n * 0.99)]!).toBeLessThan(2350);
    expect(() => r.logNormal(0, 1)).toThrow(RangeError);
    expect(() => r.logNormal(10, 5)).toThrow(RangeError);
  });

  it('normal has the given mean and standard deviation', () => {
    const r = new SeededRng(6, 'norm');
    const n = 20_000;
    const xs = Array.from({ length: n }, () => r.normal(10, 2));
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
    expect(Math.abs(mean - 10)).toBeLessThan(0.1);
    expect(Math.abs(sd - 2)).toBeLessThan(0.1);
  });
});

describe('the Alea stream', () => {
  it('draws exactly what seedrandom.alea (the package index) draws for the same stream seed (the lone lib/alea.js is the same generator, so no trace hash moves)', () => {
    for (const root of ['1', '42', '123456789', 'seed-ü-\u{1F600}', '']) {
      for (const name of ['network', 'node/n1', 'link/n1>n2', 'disk/n3/x', '']) {
        const ours = new SeededRng(root, name);
        const theirs = seedrandom.alea(`${root}\u0000${name}`);
        for (let i = 0; i < 2000; i++) expect(ours.next(), `${root} ${name} draw ${i}`).toBe(theirs());
      }
    }
    fc.assert(
      fc.property(seedArb, nameArb, (root, name) => {
        const theirs = seedrandom.alea(`${String(root)}\u0000${name}`);
        expect(draw(new SeededRng(root, name), 50)).toEqual(Array.from({ length: 50 }, () => theirs()));
      }),
    );
  });

  it('two streams of one name are the same sequence, not shared state', () => {
    const a = new SeededRng(9, 'x');
    const b = new SeededRng(9, 'x');
    const first = a.next();
    a.next();
    expect(b.next()).toBe(first);
  });
});
