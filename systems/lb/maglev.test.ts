import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  buildMaglevTable,
  isPrime,
  maglevBalance,
  maglevDisruption,
  maglevPermutation,
  envoyMaglevHash,
  MaglevTable,
  type MaglevBackend,
} from './maglev.ts';
import { LbConfigError } from './errors.ts';
import { benchMaglev, maglevFigures, backendKey } from './maglev-figures.ts';
import { xxHash64 } from './xxhash64.ts';
import { SeededRng } from '../../sim/prng.ts';

const letters = (t: MaglevTable): string => t.toArray().map((b) => b ?? '_').join(' ');

describe('Maglev: the paper, Table 1 (NSDI 2016, section 3.4)', () => {
  // B0: offset 3 skip 4, B1: offset 0 skip 2, B2: offset 3 skip 1; M = 7.
  const paper: MaglevBackend[] = [
    { key: 'B0', offset: 3, skip: 4 },
    { key: 'B1', offset: 0, skip: 2 },
    { key: 'B2', offset: 3, skip: 1 },
  ];

  it('gives the permutation columns of Table 1', () => {
    expect(maglevPermutation(3, 4, 7)).toEqual([3, 0, 4, 1, 5, 2, 6]);
    expect(maglevPermutation(0, 2, 7)).toEqual([0, 2, 4, 6, 1, 3, 5]);
    expect(maglevPermutation(3, 1, 7)).toEqual([3, 4, 5, 6, 0, 1, 2]);
  });

  it('gives the lookup table before B1 is removed: B1 B0 B1 B0 B2 B2 B0', () => {
    expect(letters(buildMaglevTable(paper, { tableSize: 7 }))).toBe('B1 B0 B1 B0 B2 B2 B0');
  });

  it('gives the lookup table after B1 is removed: B0 B0 B0 B0 B2 B2 B2', () => {
    // Pseudocode 1 run by hand: B0 takes 3, B2 takes 4 (3 is taken), B0 0, B2 5, B0 1 (4 taken),
    // B2 6, B0 2. Slot 6 moves from B0 to B2: Maglev trades a little disruption for balance.
    // (The lead's brief expected "B0 B0 B2 B0 B2 B2 B0"; no turn order produces that table from
    // these permutations, see the next test.)
    const after = buildMaglevTable(
      paper.filter((b) => b.key !== 'B1'),
      { tableSize: 7 },
    );
    expect(letters(after)).toBe('B0 B0 B0 B0 B2 B2 B2');
    const d = maglevDisruption(buildMaglevTable(paper, { tableSize: 7 }), after);
    expect(d.movedFraction).toBeCloseTo(3 / 7, 12);
    expect(d.survivorMovedFraction).toBeCloseTo(1 / 7, 12);
  });

  it('no turn order yields "B0 B0 B2 B0 B2 B2 B0" after removing B1', () => {
    const two = paper.filter((b) => b.key !== 'B1');
    const results = [
      letters(buildMaglevTable(two, { tableSize: 7, order: 'as-given' })),
      letters(buildMaglevTable(two.slice().reverse(), { tableSize: 7, order: 'as-given' })),
    ];
    expect(results).not.toContain('B0 B0 B2 B0 B2 B2 B0');
  });
});

describe('Maglev: the worked example of seed 003 (M = 7, backends A, B, C)', () => {
  // The seed gives A: offset 3, skip 4, permutation [3, 0, 4, 1, 5, 2, 6] and the final table
  // [A, B, C, A, C, B, A], but not B's and C's permutations. B (offset 1, skip 4) and C (offset 2,
  // skip 2) reproduce its rounds: A 3, B 1, C 2; A 0, B 5, C 4; A 6.
  const example: MaglevBackend[] = [
    { key: 'A', offset: 3, skip: 4 },
    { key: 'B', offset: 1, skip: 4 },
    { key: 'C', offset: 2, skip: 2 },
  ];

  it("reproduces A's permutation and the final table", () => {
    expect(maglevPermutation(3, 4, 7)).toEqual([3, 0, 4, 1, 5, 2, 6]);
    expect(letters(buildMaglevTable(example, { tableSize: 7 }))).toBe('A B C A C B A');
  });

  it("its after-removal table [A, C, C, A, C, A, A] is not reachable by Maglev (the seed's slip)", () => {
    // With A's permutation fixed and C's first choice slot 2 (round 1 of the seed), C holds only two
    // slots before A's third turn, so A must take slot 4 or 1, yet the seed's table gives A
    // neither. Check every C exhaustively.
    const reachable: string[] = [];
    for (let offset = 0; offset < 7; offset++) {
      for (let skip = 1; skip < 7; skip++) {
        const t = buildMaglevTable(
          [
            { key: 'A', offset: 3, skip: 4 },
            { key: 'C', offset, skip },
          ],
          { tableSize: 7 },
        );
        if (letters(t) === 'A C C A C A A') reachable.push(`C(${offset},${skip})`);
      }
    }
    // Only Cs whose first choice is not slot 2 reach it, contradicting the seed's round 1.
    expect(reachable.length).toBeGreaterThan(0);
    expect(reachable.filter((c) => c.startsWith('C(2,'))).toEqual([]);
    // What Maglev really does with the B and C above: B's slots go to A and C, and slot 6 moves.
    const after = buildMaglevTable(
      example.filter((b) => b.key !== 'B'),
      { tableSize: 7 },
    );
    expect(letters(after)).toBe('A A C A C A C');
  });
});

describe("Maglev: bit-for-bit with Envoy's MaglevTable (expected tables from Envoy's maglev_lb_test.cc)", () => {
  const ports = [90, 91, 92, 93, 94, 95];
  const port = (t: MaglevTable): string => t.toArray().map((k) => (k ?? '_').replace('127.0.0.1:', '')).join(' ');

  it('hosts 127.0.0.1:90..95, M = 7 (Envoy test "Basic")', () => {
    const t = buildMaglevTable(ports.map((p) => ({ key: `127.0.0.1:${p}` })), { tableSize: 7 });
    expect(port(t)).toBe('92 94 90 91 95 90 93');
  });

  it('hostnames 90..95, M = 7 (Envoy test "BasicWithHostName")', () => {
    const t = buildMaglevTable(ports.map((p) => ({ key: `${p}` })), { tableSize: 7 });
    expect(port(t)).toBe('92 95 90 93 94 91 90');
  });

  it('weights 1 and 2, M = 17 (Envoy test "Weighted": 6 and 11 entries)', () => {
    const t = buildMaglevTable(
      [
        { key: '127.0.0.1:90', weight: 1 },
        { key: '127.0.0.1:91', weight: 2 },
      ],
      { tableSize: 17 },
    );
    expect(port(t)).toBe('91 90 90 91 90 91 91 90 91 91 91 91 91 90 91 90 91');
    expect([...t.slotCounts().values()]).toEqual([6, 11]);
  });
});

describe('Maglev: table size and configuration errors', () => {
  it('knows small primes', () => {
    const primes = [2, 3, 5, 7, 11, 13, 65537, 655373];
    for (const p of primes) expect(isPrime(p)).toBe(true);
    for (const c of [0, 1, 4, 9, 65536, 655371, 7 * 13]) expect(isPrime(c)).toBe(false);
  });

  it('rejects a non-prime M with a typed error that names a fix', () => {
    const err = (() => {
      try {
        buildMaglevTable([{ key: 'a' }], { tableSize: 65536 });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(LbConfigError);
    expect((err as LbConfigError).code).toBe('maglev-table-size-not-prime');
    expect((err as LbConfigError).message).toContain('65537');
  });

  it('bug zoo: allowNonPrime builds a table whose short permutation cycles leave slots empty', () => {
    // M = 8 and even skips: each backend only ever reaches the 4 slots of its offset's parity.
    const t = buildMaglevTable(
      [
        { key: 'a', offset: 0, skip: 2 },
        { key: 'b', offset: 2, skip: 6 },
      ],
      { tableSize: 8, allowNonPrime: true },
    );
    expect(t.emptySlots).toBe(4);
    expect(t.lookup(1)).toBeUndefined();
    expect(t.lookup(0)).toBe('a');
  });

  it('rejects duplicate keys, bad weights and out-of-range offsets/skips', () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof LbConfigError ? e.code : 'other';
      }
      return undefined;
    };
    expect(code(() => buildMaglevTable([{ key: 'a' }, { key: 'a' }], { tableSize: 7 }))).toBe('duplicate-backend');
    expect(code(() => buildMaglevTable([{ key: 'a', weight: 0 }], { tableSize: 7 }))).toBe('maglev-bad-weight');
    expect(code(() => buildMaglevTable([{ key: 'a', offset: 7, skip: 1 }], { tableSize: 7 }))).toBe('maglev-bad-offset-skip');
    expect(code(() => buildMaglevTable([{ key: 'a', offset: 1, skip: 0 }], { tableSize: 7 }))).toBe('maglev-bad-offset-skip');
    expect(code(() => buildMaglevTable([{ key: 'a', offset: 1 }], { tableSize: 7 }))).toBe('maglev-bad-offset-skip');
    expect(code(() => buildMaglevTable([{ key: 'a' }], { tableSize: 7 }))).toBeUndefined();
  });

  it('an empty backend set gives a table that routes nowhere', () => {
    const t = buildMaglevTable([], { tableSize: 7 });
    expect(t.lookup(3)).toBeUndefined();
    expect(t.emptySlots).toBe(7);
  });
});

const PRIMES = [7, 11, 101, 251, 1009, 4093];
const arbBackends = (maxN: number) =>
  fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: maxN });

describe('Maglev: properties', () => {
  it('uses Envoy hashing by default: offset and skip from xxHash64 seeds 0 and 1', () => {
    const t = buildMaglevTable([{ key: '10.0.0.1:80' }], { tableSize: 65537 });
    expect(t.permutations[0]).toEqual({
      offset: Number(xxHash64('10.0.0.1:80', 0) % 65537n),
      skip: Number(xxHash64('10.0.0.1:80', 1) % 65536n) + 1,
    });
    expect(envoyMaglevHash('10.0.0.1:80', 65537)).toEqual(t.permutations[0]);
  });

  it('every slot is owned by a listed backend, and unweighted counts differ by at most one', () => {
    fc.assert(
      fc.property(arbBackends(30), fc.constantFrom(...PRIMES), (keys, m) => {
        const t = buildMaglevTable(
          keys.map((key) => ({ key })),
          { tableSize: m },
        );
        expect(t.emptySlots).toBe(0);
        const listed = new Set(keys);
        let unlisted = 0;
        for (let s = 0; s < m; s++) if (!listed.has(t.ownerAt(s) as string)) unlisted++;
        expect(unlisted).toBe(0);
        const counts = [...t.slotCounts().values()];
        expect(counts.reduce((a, b) => a + b, 0)).toBe(m);
        if (keys.length <= m) expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 150 },
    );
  });

  it("weighted: slots per unit weight agree within Envoy's turn-taking granularity", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ key: fc.string({ minLength: 1, maxLength: 8 }), weight: fc.integer({ min: 1, max: 4 }) }), {
          minLength: 1,
          maxLength: 20,
          selector: (b) => b.key,
        }),
        (backends) => {
          const t = buildMaglevTable(backends, { tableSize: 1009 });
          expect(t.emptySlots).toBe(0);
          const counts = t.slotCounts();
          const maxW = Math.max(...backends.map((b) => b.weight));
          for (const a of backends) {
            for (const b of backends) {
              const gap = Math.abs((counts.get(a.key) as number) / a.weight - (counts.get(b.key) as number) / b.weight);
              expect(gap).toBeLessThanOrEqual(1 / maxW + 1 / Math.min(a.weight, b.weight) + 1e-9);
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('depends only on the backend set, not on the order it is given in', () => {
    fc.assert(
      fc.property(arbBackends(15), fc.integer(), (keys, seed) => {
        const shuffled = keys.slice().sort((a, b) => ((xxHash64(a, seed) < xxHash64(b, seed)) ? -1 : 1));
        const a = buildMaglevTable(keys.map((key) => ({ key })), { tableSize: 251 });
        const b = buildMaglevTable(shuffled.map((key) => ({ key })), { tableSize: 251 });
        expect(b.toArray()).toEqual(a.toArray());
      }),
      { numRuns: 50 },
    );
  });

  it('removing a backend moves all its slots and no slot keeps it (property)', () => {
    fc.assert(
      fc.property(arbBackends(40).filter((k) => k.length >= 2), fc.nat(), (keys, pick) => {
        const m = 4093;
        const before = buildMaglevTable(keys.map((key) => ({ key })), { tableSize: m });
        const gone = keys[pick % keys.length] as string;
        const after = buildMaglevTable(keys.filter((k) => k !== gone).map((key) => ({ key })), { tableSize: m });
        const d = maglevDisruption(before, after);
        const goneShare = (before.slotCounts().get(gone) as number) / m;
        expect(d.movedFraction).toBeCloseTo(goneShare + d.survivorMovedFraction, 12);
        let stillGone = 0;
        for (let s = 0; s < m; s++) if (after.ownerAt(s) === gone) stillGone++;
        expect(stillGone).toBe(0);
      }),
      { numRuns: 40 },
    );
  });

  it('removing one of N backends moves about 1/N of the table on average (M >= 100 N, 200 seeded trials)', () => {
    const rng = new SeededRng(2016, 'maglev-disruption');
    const m = 4093;
    const extra: number[] = [];
    for (let trial = 0; trial < 200; trial++) {
      const n = rng.int(2, 40);
      const keys = Array.from({ length: n }, (_, i) => `10.${trial}.${i}.${rng.int(0, 255)}:80`);
      const before = buildMaglevTable(keys.map((key) => ({ key })), { tableSize: m });
      const gone = rng.pick(keys);
      const after = buildMaglevTable(keys.filter((k) => k !== gone).map((key) => ({ key })), { tableSize: m });
      const d = maglevDisruption(before, after);
      expect(d.movedFraction).toBeGreaterThanOrEqual(1 / n - 1 / m - 1e-12);
      extra.push(d.survivorMovedFraction);
    }
    extra.sort((a, b) => a - b);
    expect(extra.reduce((a, b) => a + b, 0) / extra.length).toBeLessThan(0.02);
    expect(extra[Math.floor(0.95 * extra.length)]).toBeLessThan(0.05);
  });

  it('is not bounded in the worst case: two backends with equal skips move a quarter of the survivors (found by fast-check)', () => {
    // " " and the other two keys hash to skips 3281, 332, 332 with M = 4093: the last two
    // permutations are shifts of each other, so removing " " re-deals much of their contention.
    const keys = [' ', '(b^', 'AHrut~c#%nWo'];
    const before = buildMaglevTable(keys.map((key) => ({ key })), { tableSize: 4093 });
    expect(before.permutations.map((p) => p.skip)).toEqual([3281, 332, 332]);
    const after = buildMaglevTable(keys.slice(1).map((key) => ({ key })), { tableSize: 4093 });
    expect(maglevDisruption(before, after).survivorMovedFraction).toBeGreaterThan(0.2);
  });

  it('is an immutable value; lookup by number and bigint agree with ownerAt', () => {
    const t = buildMaglevTable(
      ['x', 'y', 'z'].map((key) => ({ key })),
      { tableSize: 101 },
    );
    expect(Object.isFrozen(t)).toBe(true);
    expect(Object.isFrozen(t.backends)).toBe(true);
    const copy = t.toArray();
    copy[0] = 'mutated';
    expect(t.ownerAt(0)).not.toBe('mutated');
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (h) => {
        const slot = Number(h % 101n);
        expect(t.lookup(h)).toBe(t.ownerAt(slot));
        expect(t.lookup(slot)).toBe(t.ownerAt(slot));
      }),
    );
    expect(t.lookupKey('flow-1')).toBe(t.lookup(xxHash64('flow-1')));
  });
});

describe('Maglev: owner storage', () => {
  // The paper's pseudocode, unweighted, over explicit permutations: the reference for the
  // narrow owner arrays (one byte a slot below 255 backends, two below 65535).
  const naive = (perms: { offset: number; skip: number }[], m: number): number[] => {
    const owners = new Array<number>(m).fill(-1);
    const next = perms.map(() => 0);
    const done = perms.map(() => false);
    let filled = 0;
    while (filled < m && done.some((d) => !d)) {
      for (let i = 0; i < perms.length && filled < m; i++) {
        if (done[i]) continue;
        const { offset, skip } = perms[i]!;
        let c = (offset + next[i]! * skip) % m;
        while (owners[c] !== -1 && next[i]! < m) c = (offset + ++next[i]! * skip) % m;
        if (next[i]! >= m) {
          done[i] = true;
          continue;
        }
        owners[c] = i;
        next[i]!++;
        filled++;
      }
    }
    return owners;
  };

  it.each([3, 254, 255, 300])('%i backends: every slot reads as the reference, empty slots as -1', (n) => {
    // M = 2n + 2 is even, so the bug-zoo path: even skips keep every backend on the even slots and
    // leave the odd ones empty, which exercises the empty mark of each array width.
    const m = 2 * n + 2;
    const keys = Array.from({ length: n }, (_, i) => `b${String(i).padStart(4, '0')}`);
    const perms = keys.map((_, i) => ({ offset: (2 * i) % m, skip: 2 }));
    const t = buildMaglevTable(
      keys.map((key, i) => ({ key, ...perms[i]! })),
      { tableSize: m, allowNonPrime: true },
    );
    const want = naive(perms, m);
    expect(want.filter((o) => o < 0).length).toBe(n + 1);
    expect(t.emptySlots).toBe(n + 1);
    for (let s = 0; s < m; s++) {
      expect(t.ownerIndexAt(s)).toBe(want[s]);
      expect(t.ownerAt(s)).toBe(want[s]! < 0 ? undefined : keys[want[s]!]);
    }
    expect([...t.slotCounts().values()].reduce((a, b) => a + b, 0)).toBe(m - n - 1);
  });
});

describe('Maglev: disruption against the owners slot by slot', () => {
  it("counts moves and survivors' moves as a comparison of toArray() does, empty slots included", () => {
    // Non-prime sizes (the bug-zoo path) leave slots empty, so every branch of the slot loop runs:
    // empty to owned, owned to empty, a survivor's slot taken, a leaver's slot handed on.
    const backend = fc.record({ offset: fc.nat(), skip: fc.nat() });
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 40 }), fc.array(backend, { minLength: 1, maxLength: 6 }), fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), (m, bs, inA, inB) => {
        const all = bs.map((b, i) => ({ key: `k${i}`, offset: b.offset % m, skip: (b.skip % (m - 1)) + 1 }));
        const before = buildMaglevTable(all.filter((_, i) => inA[i]), { tableSize: m, allowNonPrime: true });
        const after = buildMaglevTable(all.filter((_, i) => inB[i]), { tableSize: m, allowNonPrime: true });
        const x = before.toArray();
        const y = after.toArray();
        let moved = 0;
        let survivorMoved = 0;
        for (let s = 0; s < m; s++) {
          if (x[s] === y[s]) continue;
          moved++;
          if (x[s] !== undefined && after.backends.includes(x[s]!)) survivorMoved++;
        }
        const d = maglevDisruption(before, after);
        expect(d.movedFraction).toBe(moved / m);
        expect(d.survivorMovedFraction).toBe(survivorMoved / m);
      }),
    );
  });
});

describe('Maglev: figures and bench plumbing', () => {
  it('maglevFigures reports near-perfect balance and at least 1/N disruption', () => {
    const figs = maglevFigures([10, 100], 65537, 2);
    expect(figs.map((f) => f.backends)).toEqual([10, 100]);
    for (const f of figs) {
      expect(f.maxOverMean).toBeGreaterThanOrEqual(1);
      expect(f.maxOverMean).toBeLessThan(1.01);
      expect(f.minOverMean).toBeGreaterThan(0.99);
      expect(f.movedFractionMean).toBeGreaterThanOrEqual(f.idealMovedFraction * 0.9);
      expect(f.movedFractionMean).toBeLessThan(f.idealMovedFraction + 0.02);
      expect(f.movedFractionMax).toBeGreaterThanOrEqual(f.movedFractionMean);
    }
  });

  it('benchMaglev times builds with the injected clock only', () => {
    let ticks = 0;
    const results = benchMaglev(() => ticks++, 1, 20);
    expect(results.map((r) => [r.tableSize, r.paperMs])).toEqual([
      [65537, 1.8],
      [655373, 22.9],
    ]);
    // Each measurement is one clock step with this fake clock.
    for (const r of results) {
      expect(r.populateMsMedian).toBe(1);
      expect(r.buildMsMedian).toBe(1);
    }
    expect(ticks).toBe(8);
    expect(backendKey(258)).toBe('10.0.1.2:8080');
  });

  it('maglevBalance measures max and min over the mean', () => {
    const t = buildMaglevTable(
      [
        { key: 'heavy', weight: 3 },
        { key: 'light', weight: 1 },
      ],
      { tableSize: 101 },
    );
    const b = maglevBalance(t);
    expect(b.maxSlots + b.minSlots).toBe(101);
    expect(b.maxSlots).toBeGreaterThan(2.5 * b.minSlots);
  });
});
