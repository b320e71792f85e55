/**
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016, section 3.4, pseudocode 1), with the
 * weighted turn-taking and the default host hashing of Envoy's MaglevTable:
 *
 * - every backend has a permutation of the M slots, `(offset + j * skip) mod M`, with
 *   `offset = h1(key) mod M` and `skip = h2(key) mod (M - 1) + 1`. Only a prime M guarantees that
 *   each permutation visits every slot, so a non-prime M is a configuration error (or, with the
 *   `allowNonPrime` bug-zoo flag, a table that may leave slots empty);
 * - backends take turns, in key order, claiming the first free slot of their permutation until
 *   the table is full; a backend of weight w claims on iteration i only while i * w keeps up with
 *   its running target (raised by the largest weight each claim), so it claims w / wMax as often;
 * - by default h1 = xxHash64(key, seed 0) and h2 = xxHash64(key, seed 1), as Envoy does, so a table
 *   built here equals Envoy's for the same host keys. Tests may pass explicit (offset, skip) pairs
 *   to reproduce worked examples.
 *
 * A `MaglevTable` is immutable once built: membership changes build a new table, which the caller
 * swaps in as one value (an atomic pointer swap), so a lookup never sees a half-built table.
 */
import { assert } from '../../sim/assert.ts';
import { LbConfigError } from './errors.ts';
import { xxHash64 } from './xxhash64.ts';

/** The table size Envoy and the paper (section 5.3) use. */
export const MAGLEV_DEFAULT_TABLE_SIZE = 65537;

/** One backend to place in a Maglev table. */
export interface MaglevBackend {
  /** The key hashed into offset and skip; Envoy uses the host address, e.g. "10.0.0.1:80". */
  readonly key: string;
  /** Relative weight, a positive finite number; default 1. */
  readonly weight?: number;
  /** Explicit permutation offset in [0, M); overrides the hash (for worked examples). */
  readonly offset?: number;
  /** Explicit permutation skip in [1, M); overrides the hash. Give both or neither. */
  readonly skip?: number;
}

/** How a backend key becomes its permutation's (offset, skip). */
export type MaglevHash = (key: string, tableSize: number) => { offset: number; skip: number };

/** Options for `buildMaglevTable`. */
export interface MaglevOptions {
  /** Number of slots M; must be prime. Default 65537. */
  readonly tableSize?: number;
  /** Bug zoo: accept a non-prime M. Permutations may then cycle early and leave slots empty. */
  readonly allowNonPrime?: boolean;
  /** Offset/skip hashing; default `envoyMaglevHash` (xxHash64 seeds 0 and 1). */
  readonly hash?: MaglevHash;
  /** Turn order: 'sorted' by key (Envoy; default) or 'as-given' (the paper's B0, B1, ... order). */
  readonly order?: 'sorted' | 'as-given';
}

/** Envoy's default: offset = xxHash64(key, 0) mod M, skip = xxHash64(key, 1) mod (M - 1) + 1. */
export const envoyMaglevHash: MaglevHash = (key, tableSize) => ({
  offset: Number(xxHash64(key, 0n) % BigInt(tableSize)),
  skip: Number(xxHash64(key, 1n) % BigInt(tableSize - 1)) + 1,
});

/** True iff n is a prime (trial division; table sizes are below 2^32). */
export function isPrime(n: number): boolean {
  if (!Number.isSafeInteger(n) || n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

/** A backend's whole preference list `(offset + j * skip) mod M` for j = 0 .. M-1 (for tests). */
export function maglevPermutation(offset: number, skip: number, tableSize: number): number[] {
  const out: number[] = [];
  let c = offset;
  for (let j = 0; j < tableSize; j++) {
    out.push(c);
    c += skip;
    if (c >= tableSize) c -= tableSize;
  }
  return out;
}

/** An immutable Maglev lookup table. Build with `buildMaglevTable`. */
export class MaglevTable {
  /** M, the number of slots. */
  readonly tableSize: number;
  /** Backend keys in turn order; slot owners index into this. */
  readonly backends: readonly string[];
  /** The (offset, skip) each backend used, in `backends` order. */
  readonly permutations: ReadonlyArray<{ readonly offset: number; readonly skip: number }>;
  /** Slots left without an owner; always 0 for a prime M, maybe more under `allowNonPrime`. */
  readonly emptySlots: number;
  /**
   * Owner index of each slot in the narrowest array that holds every index and the empty mark
   * (`empty`): one byte a slot for fewer than 255 backends, a quarter of an Int32Array, so a memo
   * of built tables (the lb simulation keeps one) holds four times as many in the same memory.
   */
  private readonly owners: Uint8Array | Uint16Array | Int32Array;
  private readonly empty: number;
  private readonly counts: Int32Array;

  /** @internal Use `buildMaglevTable`. `owners` (-1 for an empty slot) is copied, not kept. */
  constructor(
    tableSize: number,
    backends: readonly string[],
    permutations: ReadonlyArray<{ offset: number; skip: number }>,
    owners: Int32Array,
  ) {
    this.tableSize = tableSize;
    this.backends = Object.freeze(backends.slice());
    this.permutations = Object.freeze(permutations.map((p) => Object.freeze({ ...p })));
    const n = backends.length;
    const compact = n < 0xff ? new Uint8Array(tableSize) : n < 0xffff ? new Uint16Array(tableSize) : new Int32Array(tableSize);
    const mark = n < 0xff ? 0xff : n < 0xffff ? 0xffff : -1;
    this.counts = new Int32Array(n);
    let empty = 0;
    for (let s = 0; s < tableSize; s++) {
      const o = owners[s] as number;
      if (o < 0) {
        empty++;
        compact[s] = mark;
      } else {
        compact[s] = o;
        this.counts[o] = (this.counts[o] as number) + 1;
      }
    }
    this.owners = compact;
    this.empty = mark;
    this.emptySlots = empty;
    Object.freeze(this);
  }

  /** The backend for a flow hash (any non-negative integer or bigint), or undefined if none. */
  lookup(hash: number | bigint): string | undefined {
    const slot = typeof hash === 'bigint' ? Number(hash % BigInt(this.tableSize)) : hash % this.tableSize;
    assert(slot >= 0 && Number.isInteger(slot), () => `MaglevTable.lookup: bad hash ${String(hash)}`);
    return this.ownerAt(slot);
  }

  /** The backend for a flow key string, hashed with xxHash64 seed 0. */
  lookupKey(flowKey: string): string | undefined {
    return this.lookup(xxHash64(flowKey, 0n));
  }

  /** The owner of one slot, or undefined for an empty slot (only under `allowNonPrime`). */
  ownerAt(slot: number): string | undefined {
    assert(slot >= 0 && slot < this.tableSize, () => `MaglevTable.ownerAt: slot ${slot} outside [0, ${this.tableSize})`);
    const o = this.owners[slot] as number;
    return o === this.empty ? undefined : this.backends[o];
  }

  /** Owner index (into `backends`) of a slot, -1 if empty: the fast path for bulk comparisons. */
  ownerIndexAt(slot: number): number {
    const o = this.owners[slot] as number;
    return o === this.empty ? -1 : o;
  }

  /** A copy of the whole table as backend keys (undefined for empty slots). */
  toArray(): (string | undefined)[] {
    return Array.from(this.owners, (o) => (o === this.empty ? undefined : this.backends[o]));
  }

  /** Slots owned by each backend, in `backends` order. */
  slotCounts(): Map<string, number> {
    const m = new Map<string, number>();
    this.backends.forEach((b, i) => m.set(b, this.counts[i] as number));
    return m;
  }
}

interface BuildEntry {
  key: string;
  offset: number;
  skip: number;
  weight: number;
}

function validateAndResolve(backends: readonly MaglevBackend[], m: number, hash: MaglevHash, order: 'sorted' | 'as-given'): BuildEntry[] {
  const seen = new Set<string>();
  const entries: BuildEntry[] = [];
  for (const b of backends) {
    if (b.key.length === 0) throw new LbConfigError('empty-backend-key', 'a Maglev backend has an empty key; give every backend a unique non-empty key');
    if (seen.has(b.key)) throw new LbConfigError('duplicate-backend', `backend "${b.key}" appears twice; keys must be unique`);
    seen.add(b.key);
    const weight = b.weight ?? 1;
    if (!(Number.isFinite(weight) && weight > 0)) {
      throw new LbConfigError('maglev-bad-weight', `backend "${b.key}" has weight ${weight}; use a positive finite weight (drop weight-0 backends instead)`);
    }
    let offset: number;
    let skip: number;
    if (b.offset !== undefined || b.skip !== undefined) {
      if (b.offset === undefined || b.skip === undefined) {
        throw new LbConfigError('maglev-bad-offset-skip', `backend "${b.key}" gives only one of offset and skip; give both or neither`);
      }
      offset = b.offset;
      skip = b.skip;
    } else {
      ({ offset, skip } = hash(b.key, m));
    }
    if (!(Number.isInteger(offset) && offset >= 0 && offset < m && Number.isInteger(skip) && skip >= 1 && skip < m)) {
      throw new LbConfigError('maglev-bad-offset-skip', `backend "${b.key}": need 0 <= offset < ${m} and 1 <= skip < ${m}, got offset ${offset}, skip ${skip}`);
    }
    entries.push({ key: b.key, offset, skip, weight });
  }
  // Sort by UTF-16 code units, which is byte order for the ASCII addresses Envoy hashes.
  if (order === 'sorted') entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return entries;
}

/**
 * Builds a Maglev table for `backends` (pseudocode 1 of the paper, with Envoy's weighting).
 * Throws LbConfigError for a non-prime M (unless `allowNonPrime`), duplicate keys, bad weights or
 * bad explicit offsets/skips. An empty backend list gives a table whose lookups return undefined.
 */
export function buildMaglevTable(backends: readonly MaglevBackend[], options: MaglevOptions = {}): MaglevTable {
  const m = options.tableSize ?? MAGLEV_DEFAULT_TABLE_SIZE;
  if (!Number.isSafeInteger(m) || m < 2) {
    throw new LbConfigError('maglev-table-size-too-small', `Maglev table size ${m} must be an integer >= 2 (and prime; 65537 is the usual choice)`);
  }
  if (!isPrime(m) && !options.allowNonPrime) {
    throw new LbConfigError(
      'maglev-table-size-not-prime',
      `Maglev table size ${m} is not prime, so some permutations would not cover the table; use a prime such as 65537 or 655373`,
    );
  }
  const entries = validateAndResolve(backends, m, options.hash ?? envoyMaglevHash, options.order ?? 'sorted');
  const owners = populate(entries, m);
  return new MaglevTable(
    m,
    entries.map((e) => e.key),
    entries.map((e) => ({ offset: e.offset, skip: e.skip })),
    owners,
  );
}

/**
 * Fills the table. Each entry keeps its next preference position (offset + next * skip, kept
 * incrementally) and a running weight target, as Envoy's TableBuildEntry does.
 */
function populate(entries: readonly BuildEntry[], m: number): Int32Array {
  const owners = new Int32Array(m).fill(-1);
  const n = entries.length;
  if (n === 0) return owners;
  const pos = new Float64Array(n);
  const skip = new Float64Array(n);
  const weight = new Float64Array(n);
  const target = new Float64Array(n);
  const exhausted = new Uint8Array(n);
  let maxWeight = 0;
  for (let i = 0; i < n; i++) {
    const e = entries[i] as BuildEntry;
    pos[i] = e.offset;
    skip[i] = e.skip;
    weight[i] = e.weight;
    if (e.weight > maxWeight) maxWeight = e.weight;
  }
  let filled = 0;
  let exhaustedCount = 0;
  for (let iteration = 1; filled < m && exhaustedCount < n; iteration++) {
    for (let i = 0; i < n && filled < m; i++) {
      if (exhausted[i] || iteration * (weight[i] as number) < (target[i] as number)) continue;
      target[i] = (target[i] as number) + maxWeight;
      let c = pos[i] as number;
      const s = skip[i] as number;
      // With a prime M the permutation reaches every slot, so a free one is found within M probes.
      // With a non-prime M (bug zoo) it may cycle over taken slots only: give up on this backend.
      let probes = 0;
      while ((owners[c] as number) !== -1 && probes < m) {
        c += s;
        if (c >= m) c -= m;
        probes++;
      }
      if (probes === m) {
        assert(!isPrime(m), `Maglev: backend ${entries[i]?.key} found no free slot in a prime table of ${m}`);
        exhausted[i] = 1;
        exhaustedCount++;
        continue;
      }
      owners[c] = i;
      filled++;
      c += s;
      pos[i] = c >= m ? c - m : c;
    }
  }
  return owners;
}

/** Balance of a table: slots per backend relative to the mean M / N. */
export interface MaglevBalance {
  /** Most slots any backend owns divided by M / N (1 is perfect; the paper's over-provision factor). */
  readonly maxOverMean: number;
  /** Fewest slots any backend owns divided by M / N. */
  readonly minOverMean: number;
  readonly maxSlots: number;
  readonly minSlots: number;
}

/** Slots-per-backend balance of a table with at least one backend (weights are not normalised). */
export function maglevBalance(table: MaglevTable): MaglevBalance {
  assert(table.backends.length > 0, 'maglevBalance: empty table');
  let max = 0;
  let min = Infinity;
  for (const c of table.slotCounts().values()) {
    if (c > max) max = c;
    if (c < min) min = c;
  }
  const mean = table.tableSize / table.backends.length;
  return { maxOverMean: max / mean, minOverMean: min / mean, maxSlots: max, minSlots: min };
}

/** How much of the table moved between two tables of one size. */
export interface MaglevDisruption {
  /** Fraction of all slots whose owner changed (ideal after removing 1 of n backends: 1/n). */
  readonly movedFraction: number;
  /** Fraction of all slots that changed although their old owner is still present (ideal 0). */
  readonly survivorMovedFraction: number;
}

/** Compares two tables of the same size slot by slot. */
export function maglevDisruption(before: MaglevTable, after: MaglevTable): MaglevDisruption {
  assert(before.tableSize === after.tableSize, `maglevDisruption: sizes differ (${before.tableSize} vs ${after.tableSize})`);
  // Map before's owner indexes to after's (-1: gone), so the slot loop compares integers only: a
  // slot's old owner survives exactly when it maps to an index of after.
  const remap = Int32Array.from(before.backends, (b) => after.backends.indexOf(b));
  let moved = 0;
  let survivorMoved = 0;
  for (let s = 0; s < before.tableSize; s++) {
    const o = before.ownerIndexAt(s);
    const a = after.ownerIndexAt(s);
    if (o < 0) {
      if (a >= 0) moved++;
      continue;
    }
    const r = remap[o] as number;
    // A gone owner's slot moved, whether to another backend or (a non-prime M) to nobody.
    if (r < 0) moved++;
    else if (r !== a) {
      moved++;
      survivorMoved++;
    }
  }
  return { movedFraction: moved / before.tableSize, survivorMovedFraction: survivorMoved / before.tableSize };
}
