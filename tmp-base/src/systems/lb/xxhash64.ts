/**
 * xxHash64 (Yann Collet's XXH64), written out with bigint so that detsim computes exactly the
 * hashes Envoy's Maglev uses (`HashUtil::xxHash64(key)` and `xxHash64(key, 1)`): a table built here
 * from host keys matches the table Envoy would build from the same keys.
 *
 * bigint is slow (a few microseconds a call), which is fine for hashing backend keys at table-build
 * time; hot per-packet paths should hash once per flow and cache the result.
 */

const MASK64 = (1n << 64n) - 1n;
const P1 = 11400714785074694791n;
const P2 = 14029467366897019727n;
const P3 = 1609587929392839161n;
const P4 = 9650029242287828579n;
const P5 = 2870177450012600261n;

const encoder = new TextEncoder();

function rotl(x: bigint, r: bigint): bigint {
  return ((x << r) | (x >> (64n - r))) & MASK64;
}

function round(acc: bigint, lane: bigint): bigint {
  acc = (acc + lane * P2) & MASK64;
  acc = rotl(acc, 31n);
  return (acc * P1) & MASK64;
}

function mergeRound(acc: bigint, val: bigint): bigint {
  acc ^= round(0n, val);
  return (acc * P1 + P4) & MASK64;
}

/**
 * The 64-bit xxHash of `input` (a string is hashed as its UTF-8 bytes) with `seed`, as an unsigned
 * bigint in [0, 2^64).
 */
export function xxHash64(input: string | Uint8Array, seed: bigint | number = 0n): bigint {
  const bytes = typeof input === 'string' ? encoder.encode(input) : input;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.byteLength;
  const s = BigInt.asUintN(64, BigInt(seed));
  let p = 0;
  let h: bigint;
  if (len >= 32) {
    let v1 = (s + P1 + P2) & MASK64;
    let v2 = (s + P2) & MASK64;
    let v3 = s;
    let v4 = (s - P1) & MASK64;
    const limit = len - 32;
    while (p <= limit) {
      v1 = round(v1, view.getBigUint64(p, true));
      v2 = round(v2, view.getBigUint64(p + 8, true));
      v3 = round(v3, view.getBigUint64(p + 16, true));
      v4 = round(v4, view.getBigUint64(p + 24, true));
      p += 32;
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & MASK64;
    h = mergeRound(h, v1);
    h = mergeRound(h, v2);
    h = mergeRound(h, v3);
    h = mergeRound(h, v4);
  } else {
    h = (s + P5) & MASK64;
  }
  h = (h + BigInt(len)) & MASK64;
  while (p + 8 <= len) {
    h ^= round(0n, view.getBigUint64(p, true));
    h = (rotl(h, 27n) * P1 + P4) & MASK64;
    p += 8;
  }
  if (p + 4 <= len) {
    h ^= (BigInt(view.getUint32(p, true)) * P1) & MASK64;
    h = (rotl(h, 23n) * P2 + P3) & MASK64;
    p += 4;
  }
  while (p < len) {
    h ^= (BigInt(bytes[p] as number) * P5) & MASK64;
    h = (rotl(h, 11n) * P1) & MASK64;
    p += 1;
  }
  h ^= h >> 33n;
  h = (h * P2) & MASK64;
  h ^= h >> 29n;
  h = (h * P3) & MASK64;
  h ^= h >> 32n;
  return h;
}

/** `xxHash64(input, seed) mod m` as a number: the form Maglev needs for offsets and skips. */
export function xxHash64Mod(input: string | Uint8Array, m: number, seed: bigint | number = 0n): number {
  return Number(xxHash64(input, seed) % BigInt(m));
}
