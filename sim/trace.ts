/**
 * The run's trace. Every executed event folds its time into a running 64-bit hash (two 32-bit
 * lanes), and every traced record (a delivery, a crash, a fault) folds in its node and kind too.
 * Two runs with one seed on one build must end with one hash; FoundationDB's determinism check
 * compares exactly this.
 *
 * The full trace is written only when a sink is attached (`--trace file`), one record at a time,
 * so a long run never holds it in memory. The last few hundred records are always kept in a ring
 * (as raw tuples, formatted only when read) so a failure can show what led up to it.
 */
import { formatInstant, type Nanos } from './time.ts';

export interface TraceRecord {
  /** True simulated time. */
  atNs: Nanos;
  /** Index of the kernel event during which this was recorded. */
  eventIndex: number;
  /** The node concerned, or "-" for the simulation itself. */
  node: string;
  /** A short kind, e.g. "deliver", "crash", "partition". */
  kind: string;
  /** Free text for people. Not hashed: only what happened, where and when is. */
  detail: string;
}

export type TraceSink = (rec: TraceRecord) => void;

const FNV_PRIME = 0x01000193;

export class Trace {
  private h1 = 0x811c9dc5;
  private h2 = 0x9747b28c;
  private ring: (TraceRecord | undefined)[];
  private ringPos = 0;
  private ringCount = 0;
  /** Kind and node strings are few; their hashes are memoised. */
  private stringHashes = new Map<string, number>();

  constructor(
    ringSize = 400,
    private sink: TraceSink | null = null,
  ) {
    this.ring = new Array(ringSize);
  }

  /** Folds one executed event's time into the hash. Called by the kernel for every event. */
  mixEvent(timeNs: Nanos): void {
    // Times stay below 2^53; split into two 32-bit halves so no precision is lost.
    const lo = timeNs % 0x100000000;
    const hi = (timeNs - lo) / 0x100000000;
    this.h1 = Math.imul(this.h1 ^ lo, FNV_PRIME);
    this.h2 = Math.imul(this.h2 ^ hi ^ this.h1, 0x5bd1e995);
    this.h2 ^= this.h2 >>> 15;
  }

  record(rec: TraceRecord): void {
    this.h1 = Math.imul(this.h1 ^ this.hashString(rec.kind), FNV_PRIME);
    this.h2 = Math.imul(this.h2 ^ this.hashString(rec.node) ^ this.h1, 0x5bd1e995);
    this.h2 ^= this.h2 >>> 13;
    this.ring[this.ringPos] = rec;
    this.ringPos = (this.ringPos + 1) % this.ring.length;
    if (this.ringCount < this.ring.length) this.ringCount++;
    if (this.sink) this.sink(rec);
  }

  /** The running hash as 16 hex digits. */
  hash(): string {
    return (this.h1 >>> 0).toString(16).padStart(8, '0') + (this.h2 >>> 0).toString(16).padStart(8, '0');
  }

  /** The last `n` records, oldest first. */
  recent(n = this.ring.length): TraceRecord[] {
    const k = Math.min(n, this.ringCount);
    const out: TraceRecord[] = [];
    for (let i = k; i > 0; i--) {
      const idx = (this.ringPos - i + this.ring.length) % this.ring.length;
      out.push(this.ring[idx]!);
    }
    return out;
  }

  private hashString(s: string): number {
    let h = this.stringHashes.get(s);
    if (h === undefined) {
      h = 0x811c9dc5;
      for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
      this.stringHashes.set(s, h);
    }
    return h;
  }
}

/** One line of the short log: time, event index, node, kind, detail. */
export function formatRecord(r: TraceRecord): string {
  return `${formatInstant(r.atNs)} #${String(r.eventIndex).padEnd(7)} ${r.node.padEnd(6)} ${r.kind.padEnd(12)} ${r.detail}`;
}
