/**
 * A set of numbers kept compactly: what a gossip node keeps of every value it delivered, which
 * over a long run is millions of values on every node.
 *
 * Integers (the values clients broadcast are dense runs of them) live in bitmap pages of
 * PAGE_BITS values each: one bit a value, 8 words a page, all pages in one flat pool, found through
 * a Map from page number to the page's place in the pool. A run of consecutive values costs about
 * a bit each (a hash table of doubles cost 18-36 bytes each, and its doubling needed both tables at
 * once); a lone integer costs a page (32 bytes) and a Map entry. Anything else (fractions, -0,
 * NaN, integers beyond 2^53) goes to a plain Set, compared as `Object.is` does, as before.
 * A restart copies its pages back from a checkpoint (`image`, `fromImage`) and adds only the
 * values written since; sequential inserts hit the page they just touched.
 * No iteration in insertion order (keep a list beside it if needed); `ranges()` lists the
 * integers held as sorted runs, which is what a peer needs to know what to send.
 */
import { assert } from '../../sim/assert.ts';

const PAGE_BITS = 256;
const PAGE_WORDS = PAGE_BITS / 32;

/** A NumberSet as plain data (`NumberSet.image`): what a checkpoint record holds. */
export interface NumberSetImage {
  /** Values held. */
  size: number;
  /** The pages' numbers, as doubles' bytes. */
  pages: Uint8Array;
  /** Each page's PAGE_BITS / 32 words, in the order of `pages`, as bytes. */
  words: Uint8Array;
  /** Values no page holds (not safe integers, or -0). */
  other: number[];
}

export class NumberSet {
  /** Page number -> offset of its words in `pool`. */
  private readonly pages = new Map<number, number>();
  private pool: Uint32Array;
  private poolUsed = 0;
  private other: Set<number> | null = null;
  private count = 0;
  /**
   * The last page touched (sequential values hit it again), and its offset; and the one before:
   * two clients' values interleave in a delivery order, so a restore alternates between two pages.
   */
  private lastPage = NaN;
  private lastOffset = 0;
  private prevPage = NaN;
  private prevOffset = 0;

  /** `capacity`: how many values to expect (sizes the first pool; it grows as needed). */
  constructor(capacity = 16) {
    // Dense values need a page per PAGE_BITS of them; sparse ones more, and the pool grows.
    this.pool = new Uint32Array(PAGE_WORDS * Math.max(4, Math.ceil((capacity * 2) / PAGE_BITS)));
  }

  get size(): number {
    return this.count;
  }

  /** Pages in use (for tests: the memory a set holds). */
  get pageCount(): number {
    return this.pages.size;
  }

  /** Words of page storage allocated (for tests: the memory a set holds). */
  get poolWords(): number {
    return this.pool.length;
  }

  has(v: number): boolean {
    if (!isPageable(v)) return this.other !== null && this.other.has(v);
    const page = Math.floor(v / PAGE_BITS);
    let at: number | undefined;
    if (page === this.lastPage) at = this.lastOffset;
    else {
      at = this.pages.get(page);
      if (at === undefined) return false;
    }
    const bit = v - page * PAGE_BITS;
    return (this.pool[at + (bit >>> 5)]! & (1 << (bit & 31))) !== 0;
  }

  /** Adds `v`; true if it was new. */
  add(v: number): boolean {
    if (!isPageable(v)) {
      this.other ??= new Set();
      if (this.other.has(v)) return false;
      this.other.add(v);
      this.count++;
      return true;
    }
    const page = Math.floor(v / PAGE_BITS);
    let at: number;
    if (page === this.lastPage) at = this.lastOffset;
    else {
      if (page === this.prevPage) at = this.prevOffset;
      else at = this.pages.get(page) ?? this.newPage(page);
      this.prevPage = this.lastPage;
      this.prevOffset = this.lastOffset;
      this.lastPage = page;
      this.lastOffset = at;
    }
    const bit = v - page * PAGE_BITS;
    const w = at + (bit >>> 5);
    const m = 1 << (bit & 31);
    const word = this.pool[w]!;
    if ((word & m) !== 0) return false;
    this.pool[w] = word | m;
    this.count++;
    return true;
  }

  /**
   * The integers held, as sorted half-open runs `[lo0, hi0, lo1, hi1, ...]` (values that are not
   * integers are left out: a summary built from this describes a subset of the set). Costs the
   * pages held (a word at a time), not the values: a dense set of a million values is a few runs.
   */
  ranges(): number[] {
    const pages = [...this.pages.keys()].sort((a, b) => a - b);
    const out: number[] = [];
    let lo = NaN;
    let next = NaN; // the value after the last one held, while a run is open
    for (const page of pages) {
      const at = this.pages.get(page)!;
      const base = page * PAGE_BITS;
      for (let w = 0; w < PAGE_WORDS; w++) {
        const word = this.pool[at + w]!;
        const wordBase = base + w * 32;
        if (word === 0xffffffff) {
          if (next !== wordBase) {
            if (!Number.isNaN(lo)) out.push(lo, next);
            lo = wordBase;
          }
          next = wordBase + 32;
          continue;
        }
        if (word === 0) continue;
        // Run by run, not bit by bit: a long run's values have a gap every ten or so (values lost
        // before any node held them), and a summary lists every run.
        let x = word | 0;
        let b = 0;
        while (x !== 0) {
          const zeros = 31 - Math.clz32(x & -x); // the next value held is `zeros` further on
          b += zeros;
          x >>>= zeros;
          const ones = 31 - Math.clz32(~x & -~x); // held from there: x's low bits up to its first 0
          const v = wordBase + b;
          if (next !== v) {
            if (!Number.isNaN(lo)) out.push(lo, next);
            lo = v;
          }
          next = v + ones;
          b += ones;
          x = ones === 32 ? 0 : x >>> ones;
        }
      }
    }
    if (!Number.isNaN(lo)) out.push(lo, next);
    return out;
  }

  /**
   * The integers held, as bitmap pages: `[page, w0, ..., w7, page, ...]`, pages in increasing
   * order, each page's PAGE_BITS / 32 words as 32-bit integers (bit b of word w: the value
   * page * PAGE_BITS + 32 w + b). What a node sends a peer to say what it holds (a summary): its
   * size is the pages held, where runs grow with every gap (a long run's values have one every
   * ten or so: 18,000 numbers of runs against 3,500 of pages at 10,000 s, and an array of more
   * than 16,000 numbers costs V8 ten times as much a number to build). Values no page holds are
   * left out, as `ranges` leaves them out.
   */
  pageSummary(): number[] {
    const pages = [...this.pages.keys()].sort((a, b) => a - b);
    const out: number[] = new Array(pages.length * (PAGE_WORDS + 1));
    let k = 0;
    for (const page of pages) {
      const at = this.pages.get(page)!;
      out[k++] = page;
      for (let w = 0; w < PAGE_WORDS; w++) out[k++] = this.pool[at + w]! | 0;
    }
    return out;
  }

  /**
   * The values held that the page summary `summary` (as `pageSummary` makes) does not list,
   * integers in increasing order and then the values no page holds; null once there are more
   * than `limit` of them. Costs the pages held, not the values: what a node whose peer sent a
   * summary sends it (a whole numbering scanned against the summary cost a long run's node a pass
   * over every value it ever delivered, for each peer).
   */
  missingFrom(summary: readonly number[], limit: number): number[] | null {
    const pages = [...this.pages.keys()].sort((a, b) => a - b);
    const out: number[] = [];
    let j = 0; // the summary's first page not below the current one
    for (const page of pages) {
      const at = this.pages.get(page)!;
      while (j < summary.length && summary[j]! < page) j += PAGE_WORDS + 1;
      const listed = j < summary.length && summary[j] === page;
      const base = page * PAGE_BITS;
      for (let w = 0; w < PAGE_WORDS; w++) {
        let word = this.pool[at + w]! & ~(listed ? summary[j + 1 + w]! : 0);
        for (; word !== 0; word &= word - 1) {
          out.push(base + w * 32 + 31 - Math.clz32(word & -word));
          if (out.length > limit) return null;
        }
      }
    }
    // A summary lists integers only: a value no page holds is never in one.
    if (this.other !== null) {
      for (const v of this.other) {
        out.push(v);
        if (out.length > limit) return null;
      }
    }
    return out;
  }

  /**
   * The set as plain data: its pages' numbers and words, packed in the order they were made,
   * and the values no page holds. What a checkpoint saves, so a restart copies pages back
   * instead of adding every value again.
   */
  image(): NumberSetImage {
    const numbers = new Float64Array(this.pages.size);
    const words = new Uint32Array(this.pages.size * PAGE_WORDS);
    let i = 0;
    for (const [page, at] of this.pages) {
      numbers[i] = page;
      words.set(this.pool.subarray(at, at + PAGE_WORDS), i * PAGE_WORDS);
      i++;
    }
    const other = this.other === null ? [] : [...this.other];
    return { size: this.count, pages: new Uint8Array(numbers.buffer), words: new Uint8Array(words.buffer), other };
  }

  /**
   * The set `image` saved. Its pool is a view of `img.words` (a block the caller owns, e.g. a disk
   * read's copy: no second copy) until a new page makes it grow.
   */
  static fromImage(img: NumberSetImage): NumberSet {
    // Views need the element size's alignment: a block that lacks it is copied first.
    const pageBytes = img.pages.byteOffset % 8 === 0 ? img.pages : img.pages.slice();
    const wordBytes = img.words.byteOffset % 4 === 0 ? img.words : img.words.slice();
    const pages = new Float64Array(pageBytes.buffer, pageBytes.byteOffset, pageBytes.length / 8);
    const words = new Uint32Array(wordBytes.buffer, wordBytes.byteOffset, wordBytes.length / 4);
    assert(words.length === pages.length * PAGE_WORDS, `a set image of ${pages.length} pages holds ${words.length} words`);
    const s = new NumberSet();
    if (words.length > 0) s.pool = words;
    s.poolUsed = words.length;
    for (let i = 0; i < pages.length; i++) s.pages.set(pages[i]!, i * PAGE_WORDS);
    if (img.other.length > 0) s.other = new Set(img.other);
    s.count = img.size;
    return s;
  }

  private newPage(page: number): number {
    if (this.poolUsed + PAGE_WORDS > this.pool.length) {
      const pool = new Uint32Array(this.pool.length * 2);
      pool.set(this.pool);
      this.pool = pool;
    }
    const at = this.poolUsed;
    this.poolUsed += PAGE_WORDS;
    this.pages.set(page, at);
    return at;
  }
}

/** Integers a page holds exactly (-0 is not one: it must stay distinct from 0). */
function isPageable(v: number): boolean {
  return Number.isSafeInteger(v) && !Object.is(v, -0);
}

/** Where page `page` is in a page summary (`NumberSet.pageSummary`), or -1 (binary search). */
function summaryPage(summary: readonly number[], page: number): number {
  let lo = 0;
  let hi = summary.length / (PAGE_WORDS + 1);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const p = summary[mid * (PAGE_WORDS + 1)]!;
    if (p < page) lo = mid + 1;
    else if (p > page) hi = mid;
    else return mid * (PAGE_WORDS + 1);
  }
  return -1;
}

/** Whether the page summary `summary` (`NumberSet.pageSummary`) lists `v`. */
export function inPageSummary(summary: readonly number[], v: number): boolean {
  if (!isPageable(v)) return false;
  const page = Math.floor(v / PAGE_BITS);
  const at = summaryPage(summary, page);
  if (at < 0) return false;
  const bit = v - page * PAGE_BITS;
  return (summary[at + 1 + (bit >>> 5)]! & (1 << (bit & 31))) !== 0;
}

/** Takes `v` out of the page summary `summary` (`NumberSet.pageSummary`), if it lists it. */
export function removeFromPageSummary(summary: number[], v: number): void {
  if (!isPageable(v)) return;
  const page = Math.floor(v / PAGE_BITS);
  const at = summaryPage(summary, page);
  if (at < 0) return;
  const bit = v - page * PAGE_BITS;
  const w = at + 1 + (bit >>> 5);
  summary[w] = summary[w]! & ~(1 << (bit & 31));
}

/** Whether `v` lies in one of the sorted half-open runs `[lo0, hi0, lo1, hi1, ...]` (binary search). */
export function inRanges(ranges: readonly number[], v: number): boolean {
  if (!isPageable(v)) return false; // runs hold integers only (a fraction between two is not held)
  let lo = 0;
  let hi = ranges.length / 2; // runs [lo, hi) may hold v
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v < ranges[2 * mid]!) hi = mid;
    else if (v >= ranges[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/** `ranges` (sorted half-open runs) without the value `v`: the run holding it is split. */
export function removeFromRanges(ranges: number[], v: number): void {
  let lo = 0;
  let hi = ranges.length / 2;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const a = ranges[2 * mid]!;
    const b = ranges[2 * mid + 1]!;
    if (v < a) hi = mid;
    else if (v >= b) lo = mid + 1;
    else {
      // [a, b) becomes [a, v) and [v + 1, b), either possibly empty.
      const parts: number[] = [];
      if (a < v) parts.push(a, v);
      if (v + 1 < b) parts.push(v + 1, b);
      ranges.splice(2 * mid, 2, ...parts);
      return;
    }
  }
}
