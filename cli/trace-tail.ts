/**
 * What a run has traced, readable by the main thread even after the run's worker thread was
 * stopped mid-event (an endless loop, a memory blow-up, a process.exit, Ctrl-C). Both live in
 * SharedArrayBuffers written by the worker and read by the main thread once the worker is gone:
 *
 * - TraceFileWriter: the `--trace` file. Records are buffered (a write per record would cost a
 *   system call per event) in shared memory; when the worker dies, the main thread writes the
 *   unflushed part (flushTraceTail), so the file ends at the last record before the stop.
 * - RecentLines: the last few hundred formatted trace lines, so a hang is reported with the lines
 *   that led to it even without `--trace`.
 *
 * Neither reads a clock or touches the simulation: they only receive finished trace records.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { TraceRecord } from '../sim/trace.ts';
import { formatRecord, sinkWithoutMessages } from '../sim/trace.ts';

/** Bytes buffered before a write to the trace file. */
const TRACE_BUFFER_BYTES = 1 << 18;
/** Header: [0] bytes pending in the buffer (Int32); the file offset where they go is a Float64 at byte 8. */
const HEADER_BYTES = 16;

export function traceBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + TRACE_BUFFER_BYTES);
}

/**
 * The worker's side of a `--trace` file. The order of updates makes a stop at any instruction
 * safe: the pending bytes are written at their file offset, so writing them again (a stop between
 * the write and the reset) rewrites the same bytes in the same place.
 */
export class TraceFileWriter {
  private readonly fd: number;
  private readonly len: Int32Array;
  private readonly off: Float64Array;
  private readonly bytes: Uint8Array;
  private readonly enc = new TextEncoder();

  constructor(file: string, shared: SharedArrayBuffer) {
    this.fd = openSync(file, 'w');
    this.len = new Int32Array(shared, 0, 1);
    this.off = new Float64Array(shared, 8, 1);
    this.bytes = new Uint8Array(shared, HEADER_BYTES);
    Atomics.store(this.len, 0, 0);
    this.off[0] = 0;
  }

  // The file holds no message bodies (TraceSink.wantsMessages).
  readonly sink = sinkWithoutMessages((r: TraceRecord): void => {
    const line = JSON.stringify({ t: r.atNs, i: r.eventIndex, node: r.node, kind: r.kind, detail: r.detail }) + '\n';
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (Atomics.load(this.len, 0) + line.length * 3 > this.bytes.length) this.flush();
    if (line.length * 3 > this.bytes.length) {
      // A giant record: straight to the file (the buffer is empty after the flush above).
      const b = Buffer.from(line, 'utf8');
      writeSync(this.fd, b, 0, b.length, this.off[0]!);
      this.off[0] = this.off[0]! + b.length;
      return;
    }
    const at = Atomics.load(this.len, 0);
    const { written } = this.enc.encodeInto(line, this.bytes.subarray(at));
    Atomics.store(this.len, 0, at + written);
  });

  flush(): void {
    const n = Atomics.load(this.len, 0);
    if (n === 0) return;
    writeSync(this.fd, this.bytes, 0, n, this.off[0]!);
    Atomics.store(this.len, 0, 0);
    this.off[0] = this.off[0]! + n;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** Main thread, once the worker is gone: writes what the worker had buffered but not written. */
export function flushTraceTail(file: string, shared: SharedArrayBuffer): void {
  const n = Atomics.load(new Int32Array(shared, 0, 1), 0);
  if (n === 0) return;
  const off = new Float64Array(shared, 8, 1)[0]!;
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, new Uint8Array(shared, HEADER_BYTES, n), 0, n, off);
  } finally {
    closeSync(fd);
  }
}

/** Lines kept, and bytes per line (longer lines are cut). */
const RECENT_SLOTS = 401;
const SLOT_BYTES = 512;
const RECENT_HEADER = 24;

export function recentLinesBuffer(): SharedArrayBuffer {
  // Header: lines written (Float64: a run may trace more than 2^31 lines), the last record's time
  // and event index; then per-slot lengths, then the slots.
  return new SharedArrayBuffer(RECENT_HEADER + RECENT_SLOTS * 4 + RECENT_SLOTS * SLOT_BYTES);
}

/** The worker's side: a ring of the last formatted trace lines, plus the last record's time and event index. */
export class RecentLines {
  private readonly count: Float64Array;
  private readonly last: Float64Array;
  private readonly lens: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly enc = new TextEncoder();

  constructor(shared: SharedArrayBuffer) {
    this.count = new Float64Array(shared, 0, 1);
    this.last = new Float64Array(shared, 8, 2);
    this.lens = new Int32Array(shared, RECENT_HEADER, RECENT_SLOTS);
    this.bytes = new Uint8Array(shared, RECENT_HEADER + RECENT_SLOTS * 4);
  }

  // Lines only: no record needs its message built (TraceSink.wantsMessages).
  readonly sink = sinkWithoutMessages((r: TraceRecord): void => {
    const n = this.count[0]!;
    const slot = n % RECENT_SLOTS;
    let line = formatRecord(r);
    if (line.length > SLOT_BYTES / 3) line = line.slice(0, Math.floor(SLOT_BYTES / 3) - 1) + '…';
    const { written } = this.enc.encodeInto(line, this.bytes.subarray(slot * SLOT_BYTES, (slot + 1) * SLOT_BYTES));
    this.lens[slot] = written;
    this.last[0] = r.atNs;
    this.last[1] = r.eventIndex;
    this.count[0] = n + 1;
  });
}

/**
 * Main thread: the last `n` complete lines. The slot being written when the worker stopped is
 * not counted yet, and the ring keeps one slot spare, so every line returned is whole.
 */
export function readRecentLines(shared: SharedArrayBuffer, n: number): string[] {
  const count = new Float64Array(shared, 0, 1)[0]!;
  const lens = new Int32Array(shared, RECENT_HEADER, RECENT_SLOTS);
  const bytes = new Uint8Array(shared, RECENT_HEADER + RECENT_SLOTS * 4);
  const k = Math.min(n, count, RECENT_SLOTS - 1);
  const dec = new TextDecoder();
  const out: string[] = [];
  for (let j = count - k; j < count; j++) {
    const slot = j % RECENT_SLOTS;
    out.push(dec.decode(bytes.slice(slot * SLOT_BYTES, slot * SLOT_BYTES + lens[slot]!)));
  }
  return out;
}

/** How many lines were traced, and the last one's simulated time and event index (zeros if none). */
export function lastTraced(shared: SharedArrayBuffer): { lines: number; atNs: number; eventIndex: number } {
  const h = new Float64Array(shared, 0, 3);
  return { lines: h[0]!, atNs: h[1]!, eventIndex: h[2]! };
}
