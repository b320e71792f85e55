/**
 * An append-only list of numbers kept compactly: a gossip node's delivery order (and the
 * scenario's acknowledged values), which over a long run is hundreds of thousands of values on
 * every node. A JS array of them costs 8 bytes a value plus up to half again of growth headroom,
 * and each growth copies the whole list; here values live in fixed chunks of 4-byte integers
 * (8-byte doubles once any value is not a 32-bit integer, e.g. -0 or a fraction), never copied.
 */
const CHUNK_BITS = 12;
const CHUNK = 1 << CHUNK_BITS;

export class NumberList {
  private chunks: (Int32Array | Float64Array)[] = [];
  private ints = true;
  private count = 0;

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
  }

  /** The value at `i` (0 <= i < length). */
  get(i: number): number {
    return this.chunks[i >>> CHUNK_BITS]![i & (CHUNK - 1)]!;
  }

  /** Values [from, to) as an array (a message's copy). */
  slice(from: number, to = this.count): number[] {
    const end = Math.min(to, this.count);
    const out: number[] = new Array(Math.max(0, end - from));
    for (let i = from; i < end; i++) out[i - from] = this.get(i);
    return out;
  }

  /** Switches to doubles: a value that is not a 32-bit integer arrived. */
  private widen(): void {
    this.ints = false;
    this.chunks = this.chunks.map((c) => Float64Array.from(c));
  }
}
