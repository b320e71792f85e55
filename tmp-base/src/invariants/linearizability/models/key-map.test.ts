import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashString } from '../hash.ts';
import { KeyMapState } from './key-map.ts';

type Write = { key: string; value: string | null }; // null = delete

function build(writes: readonly Write[]): KeyMapState<string> {
  let s = KeyMapState.empty<string>();
  for (const w of writes) s = w.value === null ? s.without(w.key) : s.with(w.key, w.value, hashString(w.value));
  return s;
}

describe('KeyMapState', () => {
  const writeArb = fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), value: fc.option(fc.constantFrom('1', '2', '3'), { nil: null }) });

  it('equal contents give equal states and hashes, whatever the write order', () => {
    fc.assert(
      fc.property(fc.array(writeArb, { maxLength: 20 }), fc.array(writeArb, { maxLength: 20 }), (w1, w2) => {
        const a = build(w1);
        const b = build(w2);
        const ref = (ws: readonly Write[]) => {
          const m = new Map<string, string>();
          for (const w of ws) if (w.value === null) m.delete(w.key); else m.set(w.key, w.value);
          return JSON.stringify([...m].sort());
        };
        const same = ref(w1) === ref(w2);
        expect(a.equals(b, (x, y) => x === y)).toBe(same);
        if (same) expect(a.hash).toBe(b.hash);
        expect(a.sortedKeys()).toEqual([...a.sortedKeys()].sort());
      }),
      { numRuns: 300 },
    );
  });

  it('is immutable: writes return new states and leave the old one alone', () => {
    const a = build([{ key: 'x', value: '1' }]);
    const b = a.with('x', '2', hashString('2'));
    expect(a.valueOf('x')).toBe('1');
    expect(b.valueOf('x')).toBe('2');
    expect(b.without('x').equals(KeyMapState.empty(), (x, y) => x === y)).toBe(true);
    expect(b.without('x').hash).toBe(0);
    expect(a.without('nope')).toBe(a);
  });
});
