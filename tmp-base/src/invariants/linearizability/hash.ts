/**
 * 32-bit hashes for memoising the search. They only need to spread well; collisions cost a value
 * comparison, never a wrong answer.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a of a string, continuing from `seed`, so hash(a + b) === fnvUpdate(hash(a), b). */
export function fnvUpdate(seed: number, s: string): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/** FNV-1a of a string. Streaming (see fnvUpdate), which lets `append` update a hash cheaply. */
export function hashString(s: string): number {
  return fnvUpdate(FNV_OFFSET, s);
}

/** murmur3's 32-bit finaliser: a bijective mix of an integer. */
export function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash of a number (integers hash exactly; other numbers via their string form). */
export function hashNumber(x: number): number {
  return Number.isInteger(x) && Math.abs(x) < 2 ** 31 ? mix32(x) : hashString(String(x));
}

/** Hash of a primitive register value. */
export function hashPrimitive(v: string | number | boolean | null | undefined): number {
  if (v === null) return 0x6e756c6c;
  if (v === undefined) return 0x756e6466;
  if (typeof v === 'number') return hashNumber(v);
  if (typeof v === 'boolean') return v ? 0x74727565 : 0x66616c73;
  return hashString(v);
}

/** Combine two hashes (order-sensitive). */
export function combine(a: number, b: number): number {
  return mix32((Math.imul(a, 31) + b) | 0);
}
