import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../sim/prng.ts';
import { MVRegister } from './mv-register.ts';
import { Rga, type RgaData } from './rga.ts';
import { vvCompare } from './version-vector.ts';

describe('MVRegister', () => {
  it('keeps concurrent writes as siblings; a write that has seen them resolves them', () => {
    const a = new MVRegister<string>('a');
    const b = new MVRegister<string>('b');
    const wa = a.write('Alice');
    const wb = b.write('Bob');
    a.merge(wb);
    b.merge(wa);
    expect(a.value()).toEqual(['Alice', 'Bob']);
    expect(b.value()).toEqual(['Alice', 'Bob']);
    expect(vvCompare(a.versionVector(), b.versionVector())).toBe('equal');
    const resolved = a.write('Alice or Bob');
    b.merge(resolved);
    expect(b.value()).toEqual(['Alice or Bob']);
  });

  it('a write concurrent with the resolution survives as a sibling', () => {
    const a = new MVRegister<number>('a');
    const b = new MVRegister<number>('b');
    b.merge(a.write(1));
    const ra = a.write(2); // a overwrites its own value
    const rb = b.write(3); // b overwrites 1 concurrently
    a.merge(rb);
    b.merge(ra);
    expect(a.value().slice().sort()).toEqual([2, 3]);
    expect(b.toData()).toEqual(a.toData());
  });
});

describe('Rga', () => {
  it('sequential typing and deletion give the expected text', () => {
    const r = new Rga('a');
    for (const [i, ch] of [...'hello'].entries()) r.insertAt(i, ch);
    r.removeAt(0);
    r.insertAt(0, 'j');
    expect(r.value()).toBe('jello');
    expect(r.tombstoneCount()).toBe(1);
  });

  it('concurrent inserts at one position give one text on every replica, in any delivery order (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5 }), fc.integer(), fc.integer({ min: 0, max: 3 }), (n, seed, base) => {
        const origin = new Rga('o');
        const prefix = 'xyz'.slice(0, base);
        for (const [i, ch] of [...prefix].entries()) origin.insertAt(i, ch);
        const pos = origin.visibleNodes().at(-1)?.id ?? null;
        // n replicas each type a word after the same position, concurrently.
        const deltas: RgaData[] = [];
        const words: string[] = [];
        for (let k = 0; k < n; k++) {
          const r = new Rga(`r${k}`, origin.toData());
          const word = String.fromCharCode(65 + k).repeat(2);
          words.push(word);
          let at = pos;
          for (const ch of word) {
            const d = r.insertAfter(at, ch);
            at = d.nodes[0]?.id ?? null;
            deltas.push(d);
          }
        }
        const rng = new SeededRng(seed, 'rga');
        const texts = [0, 1, 2].map(() => {
          const r = new Rga('obs', origin.toData());
          for (const d of rng.shuffle(deltas)) r.merge(d);
          return r.value();
        });
        // Same text everywhere, each word kept contiguous (no interleaving of one replica's run).
        return texts.every((t) => t === texts[0]) && words.every((w) => texts[0]?.includes(w)) && texts[0]?.length === base + 2 * n;
      }),
      { numRuns: 200 },
    );
  });

  it('an insert that arrives before its parent waits and then appears in place', () => {
    const a = new Rga('a');
    const d1 = a.insertAt(0, 'a');
    const d2 = a.insertAt(1, 'b');
    const b = new Rga('b');
    b.merge(d2);
    expect(b.value()).toBe('');
    b.merge(d1);
    expect(b.value()).toBe('ab');
  });

  it('a long typed chain does not overflow the stack (iterative walk)', () => {
    const r = new Rga('a');
    let at = null;
    for (let i = 0; i < 20_000; i++) at = r.insertAfter(at, 'x').nodes[0]?.id ?? null;
    expect(r.value().length).toBe(20_000);
  });
});
