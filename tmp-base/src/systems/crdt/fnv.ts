/**
 * FNV-1a 64-bit hash (Fowler, Noll, Vo), computed in two 32-bit lanes so it needs no bigint on the
 * hot path. Not cryptographic: it detects accidental divergence between replicas (anti-entropy),
 * not tampering. Deterministic across runs and platforms.
 */

/** A 64-bit digest as 16 lower-case hex digits. */
export type Digest = string;

const OFFSET_HI = 0xcbf29ce4;
const OFFSET_LO = 0x84222325;
/** The FNV 64-bit prime is 2^40 + 0x1b3. */
const PRIME_LO = 0x1b3;

/** Incremental FNV-1a 64 state. */
export class Fnv1a64 {
  private hi = OFFSET_HI;
  private lo = OFFSET_LO;

  /** Feeds one byte (0..255). */
  byte(b: number): this {
    this.lo = (this.lo ^ b) >>> 0;
    // (hi:lo) * (2^40 + 0x1b3) mod 2^64, with every intermediate exact in a double (< 2^53).
    const a = this.lo * PRIME_LO;
    const carry = Math.floor(a / 0x1_0000_0000);
    const hi = this.hi * PRIME_LO + carry + (this.lo * 256) % 0x1_0000_0000;
    this.lo = a >>> 0;
    this.hi = hi >>> 0;
    return this;
  }

  /** Feeds a string as UTF-8. */
  string(s: string): this {
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        }
      }
      if (c < 0x80) this.byte(c);
      else if (c < 0x800) this.byte(0xc0 | (c >> 6)).byte(0x80 | (c & 63));
      else if (c < 0x10000) this.byte(0xe0 | (c >> 12)).byte(0x80 | ((c >> 6) & 63)).byte(0x80 | (c & 63));
      else this.byte(0xf0 | (c >> 18)).byte(0x80 | ((c >> 12) & 63)).byte(0x80 | ((c >> 6) & 63)).byte(0x80 | (c & 63));
    }
    return this;
  }

  /** The digest so far. */
  digest(): Digest {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0');
  }

  /**
   * 32 well-mixed bits, for placing keys in ranges. FNV-1a's top bits barely depend on the last
   * bytes of a short key ("user:1", "user:2", ... land in a few ranges), so both lanes go through
   * MurmurHash3's fmix32 finaliser first.
   */
  mixed32(): number {
    let h = (this.hi ^ this.lo) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  }
}

/** FNV-1a 64 of a string's UTF-8 bytes. */
export function fnv1a64(s: string): Digest {
  return new Fnv1a64().string(s).digest();
}

/**
 * A deterministic digest of any plain-data value (what a replica stores under a key), e.g. a
 * CRDT's `toData()`. Map entries and Set elements are hashed in sorted order of their encodings,
 * so two equal values built in different orders get one digest.
 */
export function digestOf(v: unknown): Digest {
  return fnv1a64(canonical(v));
}

/** A deterministic, type-tagged text encoding of plain data (used only for hashing). */
export function canonical(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return `s${v.length}:${v}`;
    case 'number':
      return `n${Object.is(v, -0) ? '-0' : String(v)};`;
    case 'bigint':
      return `b${v};`;
    case 'boolean':
      return v ? 'T' : 'F';
    case 'undefined':
      return 'U';
    case 'object': {
      if (v === null) return 'N';
      if (v instanceof Uint8Array) return `y${Array.from(v).join(',')};`;
      if (Array.isArray(v)) return `[${v.map(canonical).join('')}]`;
      if (v instanceof Set) return `{${[...v].map(canonical).sort().join('')}}`;
      if (v instanceof Map) return `<${[...v].map(([k, x]) => canonical(k) + canonical(x)).sort().join('')}>`;
      const o = v as Record<string, unknown>;
      return `(${Object.keys(o)
        .sort()
        .map((k) => canonical(k) + canonical(o[k]))
        .join('')})`;
    }
    default:
      throw new TypeError(`digestOf: not plain data: ${typeof v}`);
  }
}
