import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LinearizedSet, MemoTable } from './memo-table.ts';

const WORDS = 1000; // a 32,000-operation partition

/** The configuration with operations [0, k) linearized, and `extra` too (bounds computed from the bits). */
function prefix(k: number, extra: number[] = [], unknown = new Uint32Array(WORDS), edit?: (bits: Uint32Array) => void): LinearizedSet {
  const bits = new Uint32Array(WORDS);
  for (let i = 0; i < k; i++) bits[i >>> 5] = (bits[i >>> 5]! | (1 << (i & 31))) >>> 0;
  for (const i of extra) bits[i >>> 5] = (bits[i >>> 5]! | (1 << (i & 31))) >>> 0;
  edit?.(bits);
  return new LinearizedSet(unknown, bits);
}

const bounds = (s: LinearizedSet): number[] => [s.knownLo, s.knownHi, s.unknownLo, s.unknownHi];

describe('MemoTable', () => {
  it("keeps a long history's configurations as windows: a few words each, not the whole bitset", () => {
    const memo = new MemoTable<number>(WORDS, (a, b) => a === b, new Uint32Array(WORDS));
    // A search along a long history: each configuration is a prefix plus the operation in flight.
    for (let k = 0; k < 20_000; k++) expect(memo.addIfAbsent(Math.imul(k, 2654435761) >>> 0, prefix(k), k + 1, 0)).toBe(true);
    expect(memo.size).toBe(20_000);
    expect(memo.windowWords).toBeLessThanOrEqual(2 * 20_000);
    // Each one is found again (same bits, same state) and only then.
    for (let k = 0; k < 20_000; k += 997) {
      expect(memo.addIfAbsent(Math.imul(k, 2654435761) >>> 0, prefix(k), k + 1, 0)).toBe(false);
      expect(memo.addIfAbsent(Math.imul(k, 2654435761) >>> 0, prefix(k), k + 1, 1)).toBe(true); // another state
    }
  });

  it('tells apart configurations that differ anywhere: before the window, in it, or after it', () => {
    const memo = new MemoTable<number>(WORDS, (a, b) => a === b, new Uint32Array(WORDS));
    const h = 12345; // one hash for all: only the bits can tell them apart
    const full = prefix(9000);
    expect(memo.addIfAbsent(h, full, 9001, 0)).toBe(true);
    const holeBefore = prefix(9000, [], new Uint32Array(WORDS), (bits) => (bits[3] = (bits[3]! & ~(1 << 7)) >>> 0)); // operation 103 not linearized
    expect(memo.addIfAbsent(h, holeBefore, 9001, 0)).toBe(true);
    expect(memo.addIfAbsent(h, prefix(9000, [31_000]), 9001, 0)).toBe(true); // one far after
    expect(memo.addIfAbsent(h, prefix(9000), 9002, 0)).toBe(true); // another one in flight
    expect(memo.addIfAbsent(h, prefix(8999), 8999, 0)).toBe(true); // the word before the window completed by the operation
    for (const [set, op] of [[full, 9001], [holeBefore, 9001], [prefix(9000, [31_000]), 9001], [prefix(9000), 9002], [prefix(8999), 8999]] as const) expect(memo.addIfAbsent(h, set, op, 0)).toBe(false);
    expect(memo.addIfAbsent(h, prefix(8999, [9001]), 8999, 0)).toBe(false); // the same configuration as the first, reached in another order
    // Each told apart from each other whichever was explored first: a window that reaches further
    // down or up than the other's is compared whole.
    const configs = [[full, 9001], [holeBefore, 9001], [prefix(9000, [31_000]), 9001], [prefix(9000), 9002], [prefix(8999), 8999]] as const;
    for (const [a, opA] of configs) {
      for (const [b, opB] of configs) {
        if (a === b) continue;
        const pair = new MemoTable<number>(WORDS, (x, y) => x === y, new Uint32Array(WORDS));
        pair.addIfAbsent(h, a, opA, 0);
        expect(pair.addIfAbsent(h, b, opB, 0)).toBe(true);
      }
    }
  });

  it('subsumes by unknown-outcome operations in windows too: a configuration with more of them placed is redundant', () => {
    const unknown = new Uint32Array(WORDS);
    unknown[500] = 0b110; // operations 16,001 and 16,002 have unknown outcomes
    const memo = new MemoTable<number>(WORDS, (a, b) => a === b, unknown);
    expect(memo.addIfAbsent(7, prefix(100, [], unknown), 16_001, 0)).toBe(true);
    expect(memo.addIfAbsent(7, prefix(100, [16_001], unknown), 16_002, 0)).toBe(false); // a superset of the unknown ones: subsumed
    expect(memo.addIfAbsent(7, prefix(100, [], unknown), 16_002, 0)).toBe(true); // not a superset
  });
});

describe('LinearizedSet', () => {
  // The memo stores each configuration's windows from these bounds; kept up to date per change,
  // they must equal the bounds read off the bits from scratch after every add and remove.
  it('keeps its windows equal to the ones computed from its bits, through any adds and removes', () => {
    const words = 6;
    const n = words * 32 - 5; // the last word has bits no operation owns
    // Unknown-outcome operations: none, a few, dense runs, and whole words of them (always "full").
    const mask = fc.oneof(
      fc.constant(new Uint32Array(words)),
      fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: 12 }).map((ops) => maskOf(words, ops)),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: words, maxLength: words }).map((k) => Uint32Array.from(k, (x) => [0, 0xffffffff, 0x0f0f0f0f, 0x80000001][x]!)),
    );
    fc.assert(
      fc.property(mask, fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 400 }), fc.array(fc.integer({ min: 0, max: 31 }), { maxLength: 40 }), (unknownMask, toggles, fills) => {
        const set = new LinearizedSet(unknownMask);
        const present = new Set<number>();
        // A whole word filled then emptied again moves the bounds across several words at once.
        const steps = [...toggles];
        for (const f of fills) for (let i = 0; i < 32; i++) steps.splice(f * 7, 0, Math.min(n - 1, (f % words) * 32 + i));
        for (const op of steps) {
          if (present.has(op)) {
            set.remove(op);
            present.delete(op);
          } else {
            set.add(op);
            present.add(op);
          }
          expect(bounds(set)).toEqual(bounds(new LinearizedSet(unknownMask, set.bits.slice())));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reads its windows from the bits as the memo stores them: full words below, empty words above', () => {
    const unknown = maskOf(4, [40, 100]);
    const s = new LinearizedSet(unknown, maskOf(4, [...Array.from({ length: 32 }, (_, i) => i), 33, 34, 70, 100]));
    expect(bounds(s)).toEqual([1, 3, 3, 4]);
    expect(bounds(new LinearizedSet(unknown))).toEqual([0, 0, 4, 0]);
  });
});

function maskOf(words: number, ops: readonly number[]): Uint32Array {
  const m = new Uint32Array(words);
  for (const op of ops) m[op >>> 5] = (m[op >>> 5]! | (1 << (op & 31))) >>> 0;
  return m;
}
