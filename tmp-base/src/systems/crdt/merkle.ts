/**
 * A Merkle tree over a hashed key space, for anti-entropy (seed 000, "Anti-Entropy with Merkle
 * Trees"): two replicas compare roots, descend only into ranges whose digests differ, and
 * exchange only the (key, digest) lists of the divergent leaf ranges.
 *
 * Shape: a fixed fan-out and depth. A key goes to the leaf numbered by the top bits of its
 * FNV-1a 64 hash, so keys spread evenly and both replicas place every key in the same leaf
 * whatever keys they hold (the hash is mixed first: see `Fnv1a64.mixed32`). A leaf's digest hashes its (key, digest) pairs in key order; an inner
 * node's digest hashes its children's digests; an empty subtree has the fixed EMPTY digest, so
 * empty ranges compare equal without hashing.
 *
 * The tree is updated in place (`set`, `delete`) and recomputes dirty paths lazily.
 */
import { assert } from '../../sim/assert.ts';
import { type Digest, Fnv1a64 } from './fnv.ts';
import { utf8Bytes } from './size.ts';

/** Bytes of one digest on the wire. */
export const DIGEST_BYTES = 8;
/** Bytes of one child index in a reply naming divergent children. */
export const INDEX_BYTES = 2;
/** The digest of an empty range. */
export const EMPTY_DIGEST: Digest = '0000000000000000';

/** Shape of a tree; both replicas must use the same. */
export interface MerkleOptions {
  /** Children per inner node; a power of two from 2 to 256 (default 16). */
  fanOut?: number;
  /** Levels below the root (default 3: 16^3 = 4096 leaf ranges with the default fan-out). */
  depth?: number;
}

/** What comparing two trees found and what it cost. */
export interface MerkleDiff {
  /** Keys whose digests differ or that only one side holds, sorted. */
  divergentKeys: string[];
  /** Leaf ranges found divergent (their leaf numbers, ascending). */
  divergentLeaves: number[];
  /** Digests and leaf entries sent by both sides together, bytes (see `diffMerkle`). */
  bytesExchanged: number;
  /** Request/response rounds: one per level descended, plus one for the leaf entries. */
  rounds: number;
  /** Inner and leaf nodes whose digests were compared. */
  nodesCompared: number;
}

/** A Merkle tree over (key, digest) pairs. */
export class MerkleTree {
  readonly fanOut: number;
  readonly depth: number;
  private readonly bitsPerLevel: number;
  /** levels[0] is the root level (one node), levels[depth] the leaves. */
  private readonly levels: Digest[][];
  /** leaf number -> key -> digest. */
  private readonly leaves: Map<number, Map<string, Digest>> = new Map();
  private readonly dirtyLeaves: Set<number> = new Set();

  constructor(opts: MerkleOptions = {}) {
    this.fanOut = opts.fanOut ?? 16;
    this.depth = opts.depth ?? 3;
    this.bitsPerLevel = Math.log2(this.fanOut);
    assert(Number.isInteger(this.bitsPerLevel) && this.fanOut >= 2 && this.fanOut <= 256, `MerkleTree: fanOut ${this.fanOut} is not a power of two in 2..256`);
    assert(Number.isInteger(this.depth) && this.depth >= 1 && this.bitsPerLevel * this.depth <= 24, `MerkleTree: depth ${this.depth} out of range`);
    this.levels = [];
    for (let d = 0; d <= this.depth; d++) this.levels.push(new Array<Digest>(this.fanOut ** d).fill(EMPTY_DIGEST));
  }

  /** A tree holding the given (key, digest) pairs. */
  static build(entries: Iterable<readonly [string, Digest]>, opts: MerkleOptions = {}): MerkleTree {
    const t = new MerkleTree(opts);
    for (const [k, d] of entries) t.set(k, d);
    return t;
  }

  /** The leaf range a key belongs to. */
  leafOf(key: string): number {
    return new Fnv1a64().string(key).mixed32() >>> (32 - this.bitsPerLevel * this.depth);
  }

  /** Records `key`'s current digest. */
  set(key: string, digest: Digest): void {
    const leaf = this.leafOf(key);
    let m = this.leaves.get(leaf);
    if (m === undefined) {
      m = new Map();
      this.leaves.set(leaf, m);
    }
    if (m.get(key) === digest) return;
    m.set(key, digest);
    this.dirtyLeaves.add(leaf);
  }

  /** Forgets `key`. */
  delete(key: string): void {
    const leaf = this.leafOf(key);
    const m = this.leaves.get(leaf);
    if (m === undefined || !m.delete(key)) return;
    if (m.size === 0) this.leaves.delete(leaf);
    this.dirtyLeaves.add(leaf);
  }

  /** Number of keys held. */
  size(): number {
    let n = 0;
    for (const m of this.leaves.values()) n += m.size;
    return n;
  }

  rootDigest(): Digest {
    this.refresh();
    return this.levels[0]?.[0] as Digest;
  }

  /** The digest of node `index` at `level` (0 = root). */
  nodeDigest(level: number, index: number): Digest {
    this.refresh();
    const d = this.levels[level]?.[index];
    assert(d !== undefined, `MerkleTree.nodeDigest: no node ${index} at level ${level}`);
    return d;
  }

  /** The (key, digest) pairs of one leaf range, sorted by key. */
  leafEntries(leaf: number): [string, Digest][] {
    const m = this.leaves.get(leaf);
    if (m === undefined) return [];
    return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /** Recomputes the digests on the paths from dirty leaves to the root. */
  private refresh(): void {
    if (this.dirtyLeaves.size === 0) return;
    let dirty = new Set<number>();
    const leafLevel = this.levels[this.depth] as Digest[];
    for (const leaf of this.dirtyLeaves) {
      const entries = this.leafEntries(leaf);
      if (entries.length === 0) leafLevel[leaf] = EMPTY_DIGEST;
      else {
        const h = new Fnv1a64();
        // Length-prefixed fields keep ("ab","c") and ("a","bc") apart.
        for (const [k, d] of entries) h.string(`${k.length}:${k}${d}`);
        leafLevel[leaf] = h.digest();
      }
      dirty.add(Math.floor(leaf / this.fanOut));
    }
    this.dirtyLeaves.clear();
    for (let level = this.depth - 1; level >= 0; level--) {
      const here = this.levels[level] as Digest[];
      const below = this.levels[level + 1] as Digest[];
      const up = new Set<number>();
      for (const i of dirty) {
        let allEmpty = true;
        const h = new Fnv1a64();
        for (let c = 0; c < this.fanOut; c++) {
          const d = below[i * this.fanOut + c] as Digest;
          if (d !== EMPTY_DIGEST) allEmpty = false;
          h.string(d);
        }
        here[i] = allEmpty ? EMPTY_DIGEST : h.digest();
        up.add(Math.floor(i / this.fanOut));
      }
      dirty = up;
    }
  }
}

/**
 * Compares two trees as two replicas would over the network, and reports what diverged and what
 * it cost. The protocol: A sends its root digest; at each level, for every node found divergent,
 * B sends that node's `fanOut` child digests and A answers with the indices (2 B each) of the
 * children that differ; at the leaves, both sides send the (key, digest) pairs of each divergent
 * leaf, so that either side can repair the other. Bytes count digests (8 B), indices and keys
 * (UTF-8); message headers are not counted.
 */
export function diffMerkle(a: MerkleTree, b: MerkleTree): MerkleDiff {
  assert(a.fanOut === b.fanOut && a.depth === b.depth, 'diffMerkle: trees of different shapes');
  let bytes = DIGEST_BYTES;
  let rounds = 1;
  let compared = 1;
  let divergent: number[] = a.rootDigest() === b.rootDigest() ? [] : [0];
  for (let level = 1; level <= a.depth && divergent.length > 0; level++) {
    rounds++;
    const next: number[] = [];
    for (const parent of divergent) {
      bytes += a.fanOut * DIGEST_BYTES;
      for (let c = 0; c < a.fanOut; c++) {
        const i = parent * a.fanOut + c;
        compared++;
        if (a.nodeDigest(level, i) !== b.nodeDigest(level, i)) {
          next.push(i);
          bytes += INDEX_BYTES;
        }
      }
    }
    divergent = next;
  }
  const keys = new Set<string>();
  if (divergent.length > 0) rounds++;
  for (const leaf of divergent) {
    const ea = a.leafEntries(leaf);
    const eb = b.leafEntries(leaf);
    for (const [k] of [...ea, ...eb]) bytes += utf8Bytes(k) + DIGEST_BYTES;
    const mb = new Map(eb);
    for (const [k, d] of ea) if (mb.get(k) !== d) keys.add(k);
    const ma = new Map(ea);
    for (const [k] of eb) if (!ma.has(k)) keys.add(k);
  }
  return {
    divergentKeys: [...keys].sort(),
    divergentLeaves: divergent.slice().sort((x, y) => x - y),
    bytesExchanged: bytes,
    rounds,
    nodesCompared: compared,
  };
}
