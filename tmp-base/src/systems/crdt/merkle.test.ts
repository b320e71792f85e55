import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fnv1a64, digestOf } from './fnv.ts';
import { DIGEST_BYTES, MerkleTree, diffMerkle } from './merkle.ts';

describe('FNV-1a 64', () => {
  it('matches the published test vectors', () => {
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64('foobar')).toBe('85944171f73967e8');
  });

  it('digestOf ignores Map and Set insertion order but not content', () => {
    const a = new Map<string, bigint>([['x', 1n], ['y', 2n]]);
    const b = new Map<string, bigint>([['y', 2n], ['x', 1n]]);
    expect(digestOf({ counts: a })).toBe(digestOf({ counts: b }));
    expect(digestOf({ counts: a })).not.toBe(digestOf({ counts: new Map([['x', 1n], ['y', 3n]]) }));
    expect(digestOf(['ab', 'c'])).not.toBe(digestOf(['a', 'bc']));
  });
});

describe('MerkleTree anti-entropy', () => {
  const entries = (n: number, tag = 'v'): [string, string][] => Array.from({ length: n }, (_, i) => [`user:${i}`, fnv1a64(`${tag}${i}`)]);

  it('identical trees exchange only the root digest', () => {
    const a = MerkleTree.build(entries(1000));
    const b = MerkleTree.build(entries(1000).reverse());
    const d = diffMerkle(a, b);
    expect(d.divergentKeys).toEqual([]);
    expect(d.bytesExchanged).toBe(DIGEST_BYTES);
    expect(d.rounds).toBe(1);
  });

  it('finds exactly the divergent keys (property: changed, missing on either side)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 400 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 499 }), { maxLength: 30 }),
        fc.constantFrom(2, 4, 16),
        fc.integer({ min: 1, max: 3 }),
        (n, touched, fanOut, depth) => {
          const base = entries(n);
          const a = MerkleTree.build(base, { fanOut, depth });
          const b = MerkleTree.build(base, { fanOut, depth });
          // Plain maps mirror each tree's contents: the truth, independent of any digest.
          const ma = new Map(base);
          const mb = new Map(base);
          for (const [j, i] of touched.entries()) {
            const key = `user:${i}`;
            // Thirds: change the digest on b, delete from a, or add a key only to b.
            if (j % 3 === 0) {
              b.set(key, fnv1a64(`changed${i}`));
              mb.set(key, fnv1a64(`changed${i}`));
            } else if (j % 3 === 1) {
              a.delete(key);
              ma.delete(key);
            } else {
              b.set(`${key}:new`, fnv1a64(key));
              mb.set(`${key}:new`, fnv1a64(key));
            }
          }
          const truth = [...new Set([...ma.keys(), ...mb.keys()])].filter((k) => ma.get(k) !== mb.get(k)).sort();
          const d = diffMerkle(a, b);
          return JSON.stringify(d.divergentKeys) === JSON.stringify(truth) && a.size() === ma.size && b.size() === mb.size;
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a few divergent keys cost far less than shipping every key', () => {
    const a = MerkleTree.build(entries(10_000));
    const b = MerkleTree.build(entries(10_000));
    for (const i of [3, 4_242, 9_999]) b.set(`user:${i}`, fnv1a64(`new${i}`));
    const d = diffMerkle(a, b);
    expect(d.divergentKeys).toEqual(['user:3', 'user:4242', 'user:9999']);
    const fullBytes = 10_000 * (8 + DIGEST_BYTES);
    expect(d.bytesExchanged).toBeLessThan(fullBytes / 20);
    expect(d.rounds).toBe(5); // root, three levels, leaf entries
  });

  it('spreads sequential keys evenly over the leaf ranges', () => {
    const t = MerkleTree.build(entries(4096 * 4)); // 4 keys per leaf on average
    let maxKeys = 0;
    let empty = 0;
    for (let leaf = 0; leaf < 4096; leaf++) {
      const n = t.leafEntries(leaf).length;
      maxKeys = Math.max(maxKeys, n);
      if (n === 0) empty++;
    }
    // Poisson(4): P(0) is about 1.8% (about 75 leaves) and a leaf above 16 keys is vanishingly rare.
    expect(maxKeys).toBeLessThanOrEqual(16);
    expect(empty).toBeLessThan(150);
  });

  it('updates in place: deleting then re-adding a key restores the root digest', () => {
    const t = MerkleTree.build(entries(100));
    const root = t.rootDigest();
    t.delete('user:7');
    expect(t.rootDigest()).not.toBe(root);
    t.set('user:7', fnv1a64('v7'));
    expect(t.rootDigest()).toBe(root);
    expect(MerkleTree.build([]).rootDigest()).toBe('0000000000000000');
  });
});
