/**
 * What a run has traced, readable by the main thread even after the run's worker thread was
 * stopped mid-event (an endless loop, a memory blow-up, a process.exit, Ctrl-C). Both live in
 * SharedArrayBuffers written by the worker and read by the main thread once the worker is gone:
 *
 * - TraceFileWriter: the `--trace` file. Records are buffered (a write per record would cost a
 *   system call per event) in shared memory; when the worker dies, the main thread writes the
 *   unflushed part (flushTraceTail), so the file ends at the last record before the stop.
 * - RecentLines: the last few hundred trace records, as raw fields formatted only when shown, so a
 *   hang is reported with the lines that led to it even without `--trace`.
 *
 * Neither reads a clock or touches the simulation: they only receive finished trace records.
 */
import { closeSync, fstatSync, openSync, writeSync } from 'node:fs';
import type { TraceRecord } from '../sim/trace.ts';
import { formatRecord, sinkWithoutMessages } from '../sim/trace.ts';

/**
 * The process's own standard streams, by the names a user gives them. Opening /dev/stdout anew
 * fails when it is a socket (ENXIO: a parent process reading through a socket pair, as Node's
 * child_process does), so these are written through the descriptor the process already has.
 */
const STANDARD_STREAMS: Readonly<Record<string, number>> = { '/dev/stdout': 1, '/dev/fd/1': 1, '/proc/self/fd/1': 1, '/dev/stderr': 2, '/dev/fd/2': 2, '/proc/self/fd/2': 2 };

/** Opens an output file for writing; a standard stream is its existing descriptor, never closed here. */
export function openOutput(file: string, flags: 'w' | 'a' | 'r+' = 'w'): { fd: number; close: () => void } {
  const std = STANDARD_STREAMS[file];
  if (std !== undefined) return { fd: std, close: () => {} };
  const fd = openSync(file, flags);
  return { fd, close: () => closeSync(fd) };
}

/**
 * Writes all `n` bytes. A write to a pipe may take only part of them (fd 1 of a process whose
 * parent reads through a pipe is non-blocking: a full pipe takes what fits, or none, EAGAIN), and
 * the rest was lost: `--trace /dev/stdout` into a pipe cut trace lines in two, now and then
 * (cli/hostile.test.ts failed about one run in five).
 */
function writeAll(fd: number, b: Uint8Array, n: number, at: number | null): void {
  for (let done = 0; done < n; ) {
    try {
      done += writeSync(fd, b, done, n - done, at === null ? null : at + done);
    } catch (e) {
      // The reader has not drained the pipe yet: try again (any other error is the caller's).
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    }
  }
}

/** Bytes buffered before a write to the trace file. */
const TRACE_BUFFER_BYTES = 1 << 18;
/**
 * Header: [0] bytes pending in the buffer (Int32); [1] 1 when the target is a stream (a pipe,
 * /dev/stdout, a FIFO: no offsets, written in order); the file offset where the pending bytes go is
 * a Float64 at byte 8.
 */
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
  private readonly closeFile: () => void;
  private readonly len: Int32Array;
  private readonly off: Float64Array;
  private readonly bytes: Uint8Array;
  private readonly enc = new TextEncoder();

  /** Offsets for a regular file; null (write where the stream is) for a pipe or a device. */
  private readonly positioned: boolean;

  constructor(file: string, shared: SharedArrayBuffer) {
    const out = openOutput(file);
    this.fd = out.fd;
    this.closeFile = out.close;
    this.len = new Int32Array(shared, 0, 2);
    this.off = new Float64Array(shared, 8, 1);
    this.bytes = new Uint8Array(shared, HEADER_BYTES);
    // `--trace /dev/stdout | head`: a pipe cannot take a write at an offset (ESPIPE).
    this.positioned = fstatSync(this.fd).isFile();
    Atomics.store(this.len, 0, 0);
    Atomics.store(this.len, 1, this.positioned ? 0 : 1);
    this.off[0] = 0;
  }

  private at(): number | null {
    return this.positioned ? this.off[0]! : null;
  }

  // The file holds no message bodies (TraceSink.wantsMessages).
  readonly sink = sinkWithoutMessages((r: TraceRecord): void => {
    const line = JSON.stringify({ t: r.atNs, i: r.eventIndex, node: r.node, kind: r.kind, detail: r.detail }) + '\n';
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (Atomics.load(this.len, 0) + line.length * 3 > this.bytes.length) this.flush();
    if (line.length * 3 > this.bytes.length) {
      // A giant record: straight to the file (the buffer is empty after the flush above).
      const b = Buffer.from(line, 'utf8');
      writeAll(this.fd, b, b.length, this.at());
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
    writeAll(this.fd, this.bytes, n, this.at());
    Atomics.store(this.len, 0, 0);
    this.off[0] = this.off[0]! + n;
  }

  close(): void {
    this.flush();
    this.closeFile();
  }
}

/**
 * Main thread, once the worker is gone: writes what the worker had buffered but not written. To a
 * stream it appends them (a stop between the worker's write and its reset would repeat them there:
 * a stream has no offset to rewrite at).
 */
export function flushTraceTail(file: string, shared: SharedArrayBuffer): void {
  const header = new Int32Array(shared, 0, 2);
  const n = Atomics.load(header, 0);
  if (n === 0) return;
  const stream = Atomics.load(header, 1) === 1;
  const off = new Float64Array(shared, 8, 1)[0]!;
  const out = openOutput(file, stream ? 'a' : 'r+');
  try {
    writeAll(out.fd, new Uint8Array(shared, HEADER_BYTES, n), n, stream ? null : off);
  } finally {
    out.close();
  }
}

/** Records kept in the ring (one more than a report can show: see readRecentLines). */
const RECENT_SLOTS = 401;
/**
 * A shown line is cut at this many UTF-16 units (the cut ends with '…'). A record's node, kind
 * and detail are kept up to this many units together: every unit of them that can land in the
 * shown part of a line is kept, whatever the time and event index in front of them.
 */
const LINE_UNITS = 170;
/** Float64 columns (time, event index), then Int32 columns (full lengths of node, kind, detail). */
const RECENT_HEADER = 8;
const FLOAT_COLUMNS = 2;
const INT_COLUMNS = 3;

export function recentLinesBuffer(): SharedArrayBuffer {
  // Header: records written (Float64: a run may trace more than 2^31 records); then the columns,
  // then each slot's text (node, kind and detail one after the other, UTF-16).
  return new SharedArrayBuffer(RECENT_HEADER + RECENT_SLOTS * (FLOAT_COLUMNS * 8 + INT_COLUMNS * 4 + LINE_UNITS * 2));
}

/** The ring's columns over its shared memory (both sides use the same views). */
class RingViews {
  readonly count: Float64Array;
  readonly times: Float64Array;
  readonly indices: Float64Array;
  readonly nodeLens: Int32Array;
  readonly kindLens: Int32Array;
  readonly detailLens: Int32Array;
  readonly text: Uint16Array;

  constructor(shared: SharedArrayBuffer) {
    let at = 0;
    this.count = new Float64Array(shared, at, 1);
    at += RECENT_HEADER;
    this.times = new Float64Array(shared, at, RECENT_SLOTS);
    at += RECENT_SLOTS * 8;
    this.indices = new Float64Array(shared, at, RECENT_SLOTS);
    at += RECENT_SLOTS * 8;
    this.nodeLens = new Int32Array(shared, at, RECENT_SLOTS);
    at += RECENT_SLOTS * 4;
    this.kindLens = new Int32Array(shared, at, RECENT_SLOTS);
    at += RECENT_SLOTS * 4;
    this.detailLens = new Int32Array(shared, at, RECENT_SLOTS);
    at += RECENT_SLOTS * 4;
    this.text = new Uint16Array(shared, at, RECENT_SLOTS * LINE_UNITS);
  }
}

/**
 * The worker's side: a ring of the last trace records, kept as raw fields (the time, the event
 * index, the node's, kind's and detail's UTF-16 units) and formatted only by the main thread when
 * a stopped run's lines are shown (readRecentLines). Formatting every record here, for lines
 * almost never read, was about a fifth of a long run's CPU (docs/performance.md, rss10m).
 *
 * A stop may come at any instruction: a slot is filled before the count says it is there, and the
 * reader never shows the slot after the last counted one (the one being filled).
 */
export class RecentLines {
  private readonly v: RingViews;
  /** Records written; the shared count is this, stored once a slot is complete. */
  private n = 0;

  constructor(shared: SharedArrayBuffer) {
    this.v = new RingViews(shared);
  }

  // Raw fields only: no record needs its message built (TraceSink.wantsMessages).
  readonly sink = sinkWithoutMessages((r: TraceRecord): void => {
    const v = this.v;
    const slot = this.n % RECENT_SLOTS;
    v.times[slot] = r.atNs;
    v.indices[slot] = r.eventIndex;
    const base = slot * LINE_UNITS;
    const node = r.node;
    const kind = r.kind;
    let at = copyUnits(v.text, base, LINE_UNITS, node);
    at = copyUnits(v.text, base + at, LINE_UNITS - at, kind) + at;
    const detail = r.detail;
    copyUnits(v.text, base + at, LINE_UNITS - at, detail);
    v.nodeLens[slot] = node.length;
    v.kindLens[slot] = kind.length;
    v.detailLens[slot] = detail.length;
    this.n++;
    v.count[0] = this.n;
  });
}

/** Copies up to `room` UTF-16 units of `s` into `to` at `at`; returns how many. */
function copyUnits(to: Uint16Array, at: number, room: number, s: string): number {
  const k = s.length < room ? s.length : room;
  for (let j = 0; j < k; j++) to[at + j] = s.charCodeAt(j);
  return k;
}

/**
 * Main thread, once the worker is stopped (or done): the last `n` complete lines, formatted as
 * formatRecord does and cut at LINE_UNITS units. The slot being filled when the worker stopped is
 * not counted yet, and the ring keeps one slot spare, so every line returned is whole.
 */
export function readRecentLines(shared: SharedArrayBuffer, n: number): string[] {
  const v = new RingViews(shared);
  const count = v.count[0]!;
  const k = Math.min(n, count, RECENT_SLOTS - 1);
  const out: string[] = [];
  for (let j = count - k; j < count; j++) out.push(cutLine(formatRecord(recordAt(v, j % RECENT_SLOTS))));
  return out;
}

/**
 * A slot's record. A field's end may be missing (what lies past LINE_UNITS units of node, kind and
 * detail together): then the kept units alone make the line longer than LINE_UNITS, and it is cut
 * before any missing unit.
 */
function recordAt(v: RingViews, slot: number): TraceRecord {
  const base = slot * LINE_UNITS;
  let at = 0;
  const field = (len: number): string => {
    const k = Math.min(len, LINE_UNITS - at);
    at += k;
    return String.fromCharCode(...v.text.subarray(base + at - k, base + at));
  };
  const node = field(v.nodeLens[slot]!);
  const kind = field(v.kindLens[slot]!);
  const detail = field(v.detailLens[slot]!);
  return { atNs: v.times[slot]!, eventIndex: v.indices[slot]!, node, kind, detail };
}

/** A line longer than LINE_UNITS units, cut and ended with '…' (never in the middle of a surrogate pair). */
function cutLine(line: string): string {
  if (line.length <= LINE_UNITS) return line;
  let end = LINE_UNITS - 1;
  const c = line.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return line.slice(0, end) + '…';
}

/** How many lines were traced, and the last one's simulated time and event index (zeros if none). */
export function lastTraced(shared: SharedArrayBuffer): { lines: number; atNs: number; eventIndex: number } {
  const v = new RingViews(shared);
  const lines = v.count[0]!;
  if (lines === 0) return { lines: 0, atNs: 0, eventIndex: 0 };
  const slot = (lines - 1) % RECENT_SLOTS;
  return { lines, atNs: v.times[slot]!, eventIndex: v.indices[slot]! };
}
