/**
 * Deterministic size estimates for metadata accounting. The model is a compact binary encoding
 * (no field names, no JSON punctuation), so that "metadata bytes / value bytes" compares the cost
 * of the CRDT bookkeeping with the cost of the data itself, not with an encoding's overhead.
 *
 * The model: a string is its UTF-8 length; a replica-local counter (a dot's sequence number) is a
 * u64 (8 bytes); a float/number value is 8 bytes; a bigint is its minimal two's-complement length;
 * a boolean or null is 1 byte; containers cost the sum of their contents.
 */

/** Bytes of a replica counter (a dot's sequence number or a version-vector entry), as a u64. */
export const COUNTER_BYTES = 8;
/** Bytes of an HLC timestamp: a u64 of physical nanoseconds plus a u32 logical counter. */
export const HLC_BYTES = 12;

/** UTF-8 length of a string, computed without Buffer/TextEncoder so it is pure and portable. */
export function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      // A surrogate pair is one code point of 4 bytes.
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Minimal byte length of a bigint in two's complement (at least 1). */
export function bigintBytes(x: bigint): number {
  const mag = x < 0n ? -x - 1n : x;
  // One sign bit plus the magnitude's bits, rounded up to bytes.
  const bits = mag === 0n ? 1 : mag.toString(2).length + 1;
  return Math.max(1, Math.ceil(bits / 8));
}

/** Bytes of any plain-data value under the model above. */
export function plainBytes(v: unknown): number {
  switch (typeof v) {
    case 'string':
      return utf8Bytes(v);
    case 'number':
      return 8;
    case 'bigint':
      return bigintBytes(v);
    case 'boolean':
      return 1;
    case 'undefined':
      return 1;
    case 'object': {
      if (v === null) return 1;
      if (v instanceof Uint8Array) return v.byteLength;
      let n = 0;
      if (Array.isArray(v) || v instanceof Set) {
        for (const x of v) n += plainBytes(x);
        return n;
      }
      if (v instanceof Map) {
        for (const [k, x] of v) n += plainBytes(k) + plainBytes(x);
        return n;
      }
      for (const k of Object.keys(v)) n += utf8Bytes(k) + plainBytes((v as Record<string, unknown>)[k]);
      return n;
    }
    default:
      throw new TypeError(`plainBytes: not plain data: ${typeof v}`);
  }
}
