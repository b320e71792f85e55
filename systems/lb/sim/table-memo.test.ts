import { describe, expect, it } from 'vitest';
import { buildMaglevTable } from '../maglev.ts';
import { MaglevTableMemo, ownerBytes } from './table-memo.ts';

// Tables of M = 101 with fewer than 255 backends: 101 owner bytes each.
const table = (keys: string) => buildMaglevTable(keys.split('').map((key) => ({ key })), { tableSize: 101 });

describe('MaglevTableMemo', () => {
  it('builds a key once and returns the same table after', () => {
    const memo = new MaglevTableMemo(1000);
    const a = memo.get('ab', () => table('ab'));
    expect(memo.get('ab', () => table('ab'))).toBe(a);
    expect(memo.builds).toBe(1);
    expect(ownerBytes(a)).toBe(101);
  });

  it('holds tables up to its byte budget and evicts the least recently used', () => {
    const memo = new MaglevTableMemo(303); // three tables
    for (const k of ['ab', 'ac', 'ad']) memo.get(k, () => table(k));
    memo.get('ab', () => table('ab')); // 'ac' is now the least recently used
    memo.get('ae', () => table('ae'));
    expect(memo.size).toBe(3);
    expect(memo.bytes).toBe(303);
    const before = memo.builds;
    memo.get('ab', () => table('ab'));
    memo.get('ad', () => table('ad'));
    expect(memo.builds).toBe(before); // kept: used recently
    memo.get('ac', () => table('ac'));
    expect(memo.builds).toBe(before + 1); // evicted, built again
  });

  it('keeps the newest table even when it alone exceeds the budget', () => {
    const memo = new MaglevTableMemo(50);
    const a = memo.get('ab', () => table('ab'));
    expect(memo.size).toBe(1);
    expect(memo.get('ab', () => table('ab'))).toBe(a);
    memo.get('ac', () => table('ac'));
    expect(memo.size).toBe(1);
    expect(memo.bytes).toBe(101);
  });
});
