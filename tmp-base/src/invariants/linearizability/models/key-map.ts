/**
 * An immutable map of string keys to values, with an order-independent hash kept up to date on
 * every write, for the map-shaped models (kv, revisioned-kv). The search hashes every state it
 * reaches and keeps millions of them in its memo, so hashing is O(1) and a state is small: sorted
 * parallel arrays rather than a Map (a partitioned search sees one key per partition, so a write
 * copies three one-element arrays).
 */
import { hashString, mix32 } from '../hash.ts';

export class KeyMapState<V> {
  private constructor(
    /** Sorted. */
    private readonly keys: readonly string[],
    private readonly values: readonly V[],
    /** Hash of each value (not of its key). */
    private readonly valueHashes: readonly number[],
    /** Sum of per-entry hashes mod 2^32: independent of insertion order, updatable in O(1). */
    readonly hash: number,
  ) {}

  static empty<V>(): KeyMapState<V> {
    return new KeyMapState<V>([], [], [], 0);
  }

  get size(): number {
    return this.keys.length;
  }

  /** Index of `key`, or -(insertion point) - 1 if absent. */
  private find(key: string): number {
    let lo = 0;
    let hi = this.keys.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = this.keys[mid]!;
      if (k === key) return mid;
      if (k < key) lo = mid + 1;
      else hi = mid - 1;
    }
    return -lo - 1;
  }

  has(key: string): boolean {
    return this.find(key) >= 0;
  }

  valueOf(key: string): V | undefined {
    const i = this.find(key);
    return i >= 0 ? this.values[i] : undefined;
  }

  /** The hash of `key`'s value, or undefined if absent. */
  hashOf(key: string): number | undefined {
    const i = this.find(key);
    return i >= 0 ? this.valueHashes[i] : undefined;
  }

  /** A copy with `key` set to `value` (whose hash is `valueHash`). */
  with(key: string, value: V, valueHash: number): KeyMapState<V> {
    const i = this.find(key);
    const keys = this.keys.slice();
    const values = this.values.slice();
    const hashes = this.valueHashes.slice();
    let hash = this.hash;
    if (i >= 0) {
      hash -= entryHash(key, hashes[i]!);
      values[i] = value;
      hashes[i] = valueHash;
    } else {
      const at = -i - 1;
      keys.splice(at, 0, key);
      values.splice(at, 0, value);
      hashes.splice(at, 0, valueHash);
    }
    hash += entryHash(key, valueHash);
    return new KeyMapState(keys, values, hashes, hash >>> 0);
  }

  /** A copy without `key` (this state if it is absent). */
  without(key: string): KeyMapState<V> {
    const i = this.find(key);
    if (i < 0) return this;
    const keys = this.keys.slice();
    const values = this.values.slice();
    const hashes = this.valueHashes.slice();
    keys.splice(i, 1);
    values.splice(i, 1);
    hashes.splice(i, 1);
    return new KeyMapState(keys, values, hashes, (this.hash - entryHash(key, this.valueHashes[i]!)) >>> 0);
  }

  equals(other: KeyMapState<V>, sameValue: (a: V, b: V) => boolean): boolean {
    if (this === other) return true;
    if (this.hash !== other.hash || this.keys.length !== other.keys.length) return false;
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] !== other.keys[i] || this.valueHashes[i] !== other.valueHashes[i]) return false;
      if (!sameValue(this.values[i]!, other.values[i]!)) return false;
    }
    return true;
  }

  /** Keys in sorted order, for deterministic descriptions. */
  sortedKeys(): readonly string[] {
    return this.keys;
  }
}

function entryHash(key: string, valueHash: number): number {
  return mix32(hashString(key) ^ Math.imul(valueHash, 0x9e3779b1));
}
