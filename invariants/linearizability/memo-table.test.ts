import { describe, expect, it } from 'vitest';
import { MemoTable } from './memo-table.ts';

const WORDS = 1000; // a 32,000-operation partition

/** The configuration with operations [0, k) linearized, and `extra` too. */
function prefix(k: number, extra: number[] = []): Uint32Array {
  const bits = new Uint32Array(WORDS);
  for (let i = 0; i < k; i++) bits[i >>> 5] = (bits[i >>> 5]! | (1 << (i & 31))) >>> 0;
  for (const i of extra) bits[i >>> 5] = (bits[i >>> 5]! | (1 << (i & 31))) >>> 0;
  return bits;
}

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
    const holeBefore = prefix(9000);
    holeBefore[3] = (holeBefore[3]! & ~(1 << 7)) >>> 0; // operation 103 not linearized
    expect(memo.addIfAbsent(h, holeBefore, 9001, 0)).toBe(true);
    expect(memo.addIfAbsent(h, prefix(9000, [31_000]), 9001, 0)).toBe(true); // one far after
    expect(memo.addIfAbsent(h, prefix(9000), 9002, 0)).toBe(true); // another one in flight
    for (const [bits, op] of [[full, 9001], [holeBefore, 9001], [prefix(9000, [31_000]), 9001], [prefix(9000), 9002]] as const) expect(memo.addIfAbsent(h, bits, op, 0)).toBe(false);
  });

  it('subsumes by unknown-outcome operations in windows too: a configuration with more of them placed is redundant', () => {
    const unknown = new Uint32Array(WORDS);
    unknown[500] = 0b110; // operations 16,001 and 16,002 have unknown outcomes
    const memo = new MemoTable<number>(WORDS, (a, b) => a === b, unknown);
    expect(memo.addIfAbsent(7, prefix(100), 16_001, 0)).toBe(true);
    expect(memo.addIfAbsent(7, prefix(100, [16_001]), 16_002, 0)).toBe(false); // a superset of the unknown ones: subsumed
    expect(memo.addIfAbsent(7, prefix(100), 16_002, 0)).toBe(true); // not a superset
  });
});
