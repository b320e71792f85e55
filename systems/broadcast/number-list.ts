/**
 * An append-only list of numbers kept compactly: a gossip node's delivery order (and the
 * scenario's acknowledged values), which over a long run is hundreds of thousands of values on
 * every node. A JS array of them costs 8 bytes a value plus up to half again of growth headroom,
 * and each growth copies the whole list; here values live in fixed chunks of 4-byte integers
 * (8-byte doubles once any value is not a 32-bit integer, e.g. -0 or a fraction), never copied.
 *
 * A full chunk of integers that went into a checkpoint (`image`) is kept as a string of 2 UTF-16
 * code units a value instead: a string cannot change, so the disk shares it where it copies a
 * block of bytes, and the node's list after a restart reads the very string its checkpoint holds.
 * A long run's node restarts every few seconds, and copying its whole list out of the checkpoint
 * each time was 8% of a 10,000 s run (and a second copy of the list on every disk).
 */
import { assert } from '../../sim/assert.ts';

const CHUNK_BITS = 12;
const CHUNK = 1 << CHUNK_BITS;

/**
 * A checksum of a multiset of numbers (the order does not count): two sums of 32-bit mixes, so
 * two different multisets of the same size agree with odds of about 2^-64. What lets a checker
 * tell that a node's list holds exactly the records of a file it already checked (same count,
 * same checksum) without reading the list.
 */
export class NumberChecksum {
  private a = 0;
  private b = 0;
  /** Numbers added. */
  count = 0;

  add(v: number): void {
    let lo: number;
    let hi: number;
    if ((v | 0) === v && !Object.is(v, -0)) {
      lo = v;
      hi = 0x5bd1e995;
    } else {
      BITS[0] = v;
      lo = WORDS[0]!;
      hi = WORDS[1]!;
    }
    this.a = (this.a + mix(lo, hi)) | 0;
    this.b = (this.b + mix(hi ^ 0x27d4eb2f, lo ^ 0x165667b1)) | 0;
    this.count++;
  }

  copy(): NumberChecksum {
    const c = new NumberChecksum();
    c.a = this.a;
    c.b = this.b;
    c.count = this.count;
    return c;
  }

  /** The checksum as plain numbers (a checkpoint saves it: recomputing it costs a mix a value). */
  save(): [number, number, number] {
    return [this.a, this.b, this.count];
  }

  /** Sets this checksum to one `save` gave. */
  load(saved: readonly [number, number, number]): void {
    this.a = saved[0] | 0;
    this.b = saved[1] | 0;
    this.count = saved[2];
  }

  /** Whether both describe the same multiset (up to the odds above). */
  equals(o: NumberChecksum): boolean {
    return this.count === o.count && this.a === o.a && this.b === o.b;
  }
}

const BITS = new Float64Array(1);
const WORDS = new Int32Array(BITS.buffer);

/** A 32-bit mix of two words (murmur3's finaliser over a combination of both). */
function mix(x: number, y: number): number {
  let h = Math.imul(x ^ Math.imul(y, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** A NumberList as plain data (`NumberList.image`): what a checkpoint record holds. */
export interface NumberListImage {
  /** Whether `bytes` holds 32-bit integers (else doubles). */
  ints: boolean;
  length: number;
  /**
   * Each chunk's values, CHUNK values each, the last one those it holds: a full chunk of
   * integers as a string (2 code units a value, low half first: shared, not copied), else bytes.
   */
  chunks: (Uint8Array | string)[];
  /** NumberChecksum.save() of the values. */
  checksum: [number, number, number];
}

export class NumberList {
  /** The chunks; null where the chunk is sealed (in `sealed`). */
  private chunks: (Int32Array | Float64Array | null)[] = [];
  /** Full chunks of integers kept as strings (see the file's comment), by chunk index. */
  private sealed: string[] = [];
  private ints = true;
  private count = 0;
  /** The checksum of every value pushed (a checker compares it with a file's: NumberChecksum). */
  readonly checksum = new NumberChecksum();

  /** A list holding `values`, in order. */
  static of(values: ArrayLike<number>): NumberList {
    const l = new NumberList();
    for (let i = 0; i < values.length; i++) l.push(values[i]!);
    return l;
  }

  get length(): number {
    return this.count;
  }

  push(v: number): void {
    if (this.ints && ((v | 0) !== v || Object.is(v, -0))) this.widen();
    const i = this.count++;
    if ((i & (CHUNK - 1)) === 0) this.chunks.push(this.ints ? new Int32Array(CHUNK) : new Float64Array(CHUNK));
    this.chunks[i >>> CHUNK_BITS]![i & (CHUNK - 1)] = v;
    this.checksum.add(v);
  }

  /** The value at `i` (0 <= i < length). */
  get(i: number): number {
    const c = this.chunks[i >>> CHUNK_BITS]!;
    if (c !== null) return c[i & (CHUNK - 1)]!;
    const s = this.sealed[i >>> CHUNK_BITS]!;
    const at = (i & (CHUNK - 1)) * 2;
    return s.charCodeAt(at) | (s.charCodeAt(at + 1) << 16);
  }

  /** Values [from, to) as an array (a message's copy). */
  slice(from: number, to = this.count): number[] {
    const end = Math.min(to, this.count);
    const out: number[] = new Array(Math.max(0, end - from));
    for (let i = from; i < end; i++) out[i - from] = this.get(i);
    return out;
  }

  /**
   * The list as plain data: its full chunks of integers as strings (sealed here on the way: the
   * list keeps the string, not the block), the others as bytes (32-bit integers, or doubles once
   * widened), the last one cut to the values it holds, with its checksum. What a checkpoint
   * saves, so a restart takes the chunks back instead of pushing every value. The blocks of bytes
   * are views of this list's own memory, not copies: copy them before the list changes (a disk's
   * `put` does); the strings need no copy.
   */
  image(): NumberListImage {
    const width = this.ints ? 4 : 8;
    const chunks: (Uint8Array | string)[] = [];
    for (let c = 0; c < this.chunks.length; c++) {
      const chunk = this.chunks[c]!;
      const n = Math.min(CHUNK, this.count - c * CHUNK);
      if (chunk === null) chunks.push(this.sealed[c]!);
      else if (this.ints && n === CHUNK) {
        const text = seal(chunk as Int32Array);
        this.sealed[c] = text;
        this.chunks[c] = null;
        chunks.push(text);
      } else chunks.push(new Uint8Array(chunk.buffer, chunk.byteOffset, n * width));
    }
    return { ints: this.ints, length: this.count, chunks, checksum: this.checksum.save() };
  }

  /**
   * The list `image` saved. Its full chunks are the image's strings, or views of its blocks
   * (which the caller hands over, e.g. a disk read's copy: no second copy); the last, partial one
   * is a chunk of its own. One block per chunk, as the list allocates them (one block of the whole
   * list a restart grew a 10-million-event run's peak RSS from 247 to 308 MB).
   */
  static fromImage(img: NumberListImage): NumberList {
    const width = img.ints ? 4 : 8;
    assert(img.chunks.length === Math.ceil(img.length / CHUNK), () => `a list image of ${img.length} values has ${img.chunks.length} chunks`);
    const l = new NumberList();
    l.ints = img.ints;
    l.count = img.length;
    for (let c = 0; c < img.chunks.length; c++) {
      const n = Math.min(CHUNK, img.length - c * CHUNK);
      const held = img.chunks[c]!;
      if (typeof held === 'string') {
        if (!img.ints || n !== CHUNK || held.length !== CHUNK * 2) assert(false, `chunk ${c} of a list image is a string of ${held.length} code units, not a full chunk of integers`);
        l.sealed[c] = held;
        l.chunks.push(null);
        continue;
      }
      let bytes = held;
      if (bytes.length !== n * width) assert(false, `chunk ${c} of a list image holds ${bytes.length} bytes, not ${n * width}`);
      // Views need the element size's alignment: a block that lacks it is copied first.
      if (bytes.byteOffset % width !== 0) bytes = bytes.slice();
      const view = img.ints ? new Int32Array(bytes.buffer, bytes.byteOffset, n) : new Float64Array(bytes.buffer, bytes.byteOffset, n);
      if (n === CHUNK) l.chunks.push(view);
      else {
        const chunk = img.ints ? new Int32Array(CHUNK) : new Float64Array(CHUNK);
        chunk.set(view);
        l.chunks.push(chunk);
      }
    }
    l.checksum.load(img.checksum);
    return l;
  }

  /** Switches to doubles: a value that is not a 32-bit integer arrived. */
  private widen(): void {
    this.ints = false;
    this.chunks = this.chunks.map((c, i) => {
      if (c !== null) return Float64Array.from(c);
      const out = new Float64Array(CHUNK);
      for (let j = 0; j < CHUNK; j++) out[j] = this.get(i * CHUNK + j);
      return out;
    });
    this.sealed = [];
  }
}

/** A full chunk of 32-bit integers as a string, 2 code units a value (low half first). */
function seal(chunk: Int32Array): string {
  const units = new Uint16Array(CHUNK * 2);
  for (let j = 0; j < CHUNK; j++) {
    const v = chunk[j]!;
    units[2 * j] = v & 0xffff;
    units[2 * j + 1] = v >>> 16;
  }
  // One call, so the string is flat (pieces joined by `+` make a rope, flattened again on first read).
  return String.fromCharCode.apply(null, units as unknown as number[]);
}
