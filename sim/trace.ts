/**
 * The run's trace. Every executed event folds its time into a running 64-bit hash (two 32-bit
 * lanes), and every traced record (a delivery, a crash, a fault) folds in its node and kind too.
 * Two runs with one seed on one build must end with one hash; FoundationDB's determinism check
 * compares exactly this.
 *
 * The full trace is written only when a sink is attached (`--trace file`), one record at a time,
 * so a long run never holds it in memory. The last few hundred records are always kept in a ring
 * so a failure can show what led up to it. The ring is stored as columns and a record's detail
 * may be a formatter and its argument, formatted only when read: a run records a line per
 * message and must not pay for a string or an object per line.
 */
import { formatInstant, type Nanos } from './time.ts';

/** One trace record: what happened, where, when. */
export interface TraceRecord {
  /** True simulated time. */
  atNs: Nanos;
  /** Index of the kernel event during which this was recorded. */
  eventIndex: number;
  /** The node concerned, or "-" for the simulation itself. */
  node: string;
  /** A short kind, e.g. "recv", "crash", "partition". */
  kind: string;
  /** Free text for people. Not hashed: only what happened, where and when is. */
  detail: string;
  /**
   * For a message's delivery or drop: who sent it, when, and its body. Filled in only for records
   * handed to a sink (a timeline, `--trace`), never for the ring: a run must not pay for it.
   */
  msg?: MessageInfo;
}

/** A traced message, for drawing it from its send to its delivery (or drop). Not hashed. */
export interface MessageInfo {
  /** The sender's node id. */
  from: string;
  /** The addressee's node id. */
  to: string;
  /** When it was sent (true simulated time). */
  sentAtNs: Nanos;
  /** The body's `type` field (or a short shape), as the detail names it. */
  type: string;
  /** True for an RPC reply. */
  reply: boolean;
  /** The body as JSON (bigints as strings), cut at MESSAGE_BODY_MAX characters. */
  body: string;
}

/** A traced message body is cut at this many characters. */
export const MESSAGE_BODY_MAX = 2000;

/** JSON of a message body for people: bigints as strings, cycles and functions cut, size bounded. */
export function bodyJson(body: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'function' ? '[function]' : v)) ?? String(body);
  } catch {
    s = '[not serialisable]';
  }
  return s.length > MESSAGE_BODY_MAX ? `${s.slice(0, MESSAGE_BODY_MAX)}…` : s;
}

/**
 * Receives trace records as they are made (e.g. `--trace FILE`). A sink that never reads a
 * record's `msg` says so with `wantsMessages: false` (see {@link sinkWithoutMessages}): building
 * it (the body as JSON) for every delivery was most of what a sink cost a long run.
 */
export type TraceSink = ((rec: TraceRecord) => void) & {
  /** False: this sink never reads `TraceRecord.msg`, so it is not built (default: built). */
  wantsMessages?: boolean;
};

/** `sink` marked as never reading `TraceRecord.msg` (see {@link TraceSink}). */
export function sinkWithoutMessages(sink: (rec: TraceRecord) => void): TraceSink {
  return Object.assign(sink, { wantsMessages: false });
}

/** Turns a trace record's argument into its detail text, lazily (only when a record is shown); it may carry `message(arg)`, the record's structured message, read only when a sink takes the record (see `TraceRecord.msg`). */
export type Formatter = ((arg: unknown) => string) & {
  /** The record's structured message, for a sink (see `TraceRecord.msg`). */
  message?: (arg: unknown) => MessageInfo;
};

const FNV_PRIME = 0x01000193;

/** FNV-1a of a string, 32 bits. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

/** A run's trace: hashes every record into the trace hash, keeps the latest in a ring for failure reports, and passes each to a sink. */
export class Trace {
  private h1 = 0x811c9dc5;
  private h2 = 0x9747b28c;
  private readonly size: number;
  private pos = 0;
  private count = 0;
  /** Records stored since the start (hashed and notes): a record's sequence number is its position in this count. */
  private total = 0;
  private readonly times: Float64Array;
  private readonly indices: Float64Array;
  private readonly nodes: string[];
  private readonly kinds: string[];
  private readonly details: (string | null)[];
  private readonly formats: (Formatter | null)[];
  private readonly args: unknown[];
  /** Kind and node strings are few; their hashes are memoised. */
  private stringHashes = new Map<string, number>();
  /** Whether the sink reads `msg` (TraceSink.wantsMessages). */
  private readonly sinkMessages: boolean;
  /** The lowest sequence number someone still needs from the ring (Trace.guard), or Infinity. */
  private guardSeq = Infinity;
  private onGuard: (() => void) | null = null;

  constructor(
    ringSize = 400,
    private sink: TraceSink | null = null,
  ) {
    this.size = Math.max(1, ringSize);
    this.times = new Float64Array(this.size);
    this.indices = new Float64Array(this.size);
    this.nodes = new Array<string>(this.size).fill('');
    this.kinds = new Array<string>(this.size).fill('');
    this.details = new Array<string | null>(this.size).fill(null);
    this.formats = new Array<Formatter | null>(this.size).fill(null);
    this.args = new Array<unknown>(this.size).fill(undefined);
    this.sinkMessages = sink !== null && sink.wantsMessages !== false;
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

  /** Records one line: `detail`, or `format(arg)` formatted when read. */
  add(atNs: Nanos, eventIndex: number, node: string, kind: string, detail: string | null, format: Formatter | null, arg: unknown): void {
    this.addPrehashed(atNs, eventIndex, node, this.hashOf(node), kind, this.hashOf(kind), detail, format, arg);
  }

  /** `add` with `hashString(node)` and `hashString(kind)` supplied by the caller (hot paths). */
  addPrehashed(atNs: Nanos, eventIndex: number, node: string, nodeHash: number, kind: string, kindHash: number, detail: string | null, format: Formatter | null, arg: unknown): void {
    this.h1 = Math.imul(this.h1 ^ kindHash, FNV_PRIME);
    this.h2 = Math.imul(this.h2 ^ nodeHash ^ this.h1, 0x5bd1e995);
    this.h2 ^= this.h2 >>> 13;
    const i = this.store(atNs, eventIndex, node, kind, detail, format, arg);
    if (this.sink !== null) {
      const rec = this.at(i);
      if (this.sinkMessages && format !== null && format.message !== undefined) rec.msg = format.message(arg);
      this.sink(rec);
    }
  }

  /**
   * Records a line for people (ring and sink) without folding it into the hash: annotations such
   * as probe hits, which must never make two otherwise identical runs differ.
   */
  note(atNs: Nanos, eventIndex: number, node: string, kind: string, detail: string): void {
    const i = this.store(atNs, eventIndex, node, kind, detail, null, undefined);
    if (this.sink !== null) this.sink(this.at(i));
  }

  /** Puts one record in the ring (not the hash) and returns its slot. */
  private store(atNs: Nanos, eventIndex: number, node: string, kind: string, detail: string | null, format: Formatter | null, arg: unknown): number {
    // The record this one overwrites (sequence number total - size) is still needed: let its
    // reader copy what it needs first (one comparison per record when nobody is waiting).
    if (this.total - this.size >= this.guardSeq) this.fireGuard();
    const i = this.pos;
    this.times[i] = atNs;
    this.indices[i] = eventIndex;
    this.nodes[i] = node;
    this.kinds[i] = kind;
    this.details[i] = detail;
    this.formats[i] = format;
    this.args[i] = arg;
    this.pos = i + 1 === this.size ? 0 : i + 1;
    if (this.count < this.size) this.count++;
    this.total++;
    return i;
  }

  /** How many records (hashed and notes) were stored so far: the next record's sequence number. */
  get written(): number {
    return this.total;
  }

  /** How many records the ring keeps. */
  get capacity(): number {
    return this.size;
  }

  /**
   * Calls `onEvict` once, just before the record with sequence number `seq` (or a later one) is
   * pushed out of the ring, so a reader can copy records only when they are about to be lost
   * instead of whenever it might need them. One guard at a time: a new one replaces the old;
   * `seq` Infinity clears it. The callback may set the next guard.
   */
  guard(seq: number, onEvict: (() => void) | null): void {
    this.guardSeq = onEvict === null ? Infinity : seq;
    this.onGuard = onEvict;
    // Already gone (or about to be with the next record): the reader copies what is left now.
    if (this.onGuard !== null && this.total - this.size >= this.guardSeq) this.fireGuard();
  }

  private fireGuard(): void {
    const f = this.onGuard;
    this.guardSeq = Infinity;
    this.onGuard = null;
    f?.();
  }

  /**
   * The records with sequence numbers in [from, to) that are still in the ring, unformatted (a
   * copy of the ring's columns). Records already pushed out of the ring are missing from the
   * front of the slice.
   */
  slice(from: number, to: number): TraceSlice {
    const first = Math.max(from, this.total - this.count, 0);
    const last = Math.min(to, this.total);
    const out = new TraceSlice(first);
    for (let seq = first; seq < last; seq++) {
      const i = (this.pos - (this.total - seq) + this.size * 2) % this.size;
      out.push(this.times[i]!, this.indices[i]!, this.nodes[i]!, this.kinds[i]!, this.details[i] ?? null, this.formats[i] ?? null, this.args[i]);
    }
    return out;
  }

  /** Records a whole record (for callers that have one). */
  record(rec: TraceRecord): void {
    this.add(rec.atNs, rec.eventIndex, rec.node, rec.kind, rec.detail, null, undefined);
  }

  /** The running hash as 16 hex digits. */
  hash(): string {
    return (this.h1 >>> 0).toString(16).padStart(8, '0') + (this.h2 >>> 0).toString(16).padStart(8, '0');
  }

  /** The last `n` records, oldest first. */
  recent(n = this.size): TraceRecord[] {
    const k = Math.min(n, this.count);
    const out: TraceRecord[] = [];
    for (let j = k; j > 0; j--) out.push(this.at((this.pos - j + this.size) % this.size));
    return out;
  }

  private at(i: number): TraceRecord {
    const f = this.formats[i];
    return {
      atNs: this.times[i]!,
      eventIndex: this.indices[i]!,
      node: this.nodes[i]!,
      kind: this.kinds[i]!,
      detail: f !== null && f !== undefined ? f(this.args[i]) : (this.details[i] ?? ''),
    };
  }

  private hashOf(s: string): number {
    let h = this.stringHashes.get(s);
    if (h === undefined) {
      h = hashString(s);
      this.stringHashes.set(s, h);
    }
    return h;
  }
}

/** Trace records copied out of the ring, formatted only when read (see {@link Trace.slice}). */
export class TraceSlice {
  private readonly times: number[] = [];
  private readonly indices: number[] = [];
  private readonly nodes: string[] = [];
  private readonly kinds: string[] = [];
  private readonly details: (string | null)[] = [];
  private readonly formats: (Formatter | null)[] = [];
  private readonly args: unknown[] = [];

  constructor(
    /** The sequence number of the first record (see {@link Trace.written}). */
    readonly first: number,
  ) {}

  /** How many records. */
  get length(): number {
    return this.times.length;
  }

  /** @internal */
  push(t: number, i: number, node: string, kind: string, detail: string | null, format: Formatter | null, arg: unknown): void {
    this.times.push(t);
    this.indices.push(i);
    this.nodes.push(node);
    this.kinds.push(kind);
    this.details.push(detail);
    this.formats.push(format);
    this.args.push(arg);
  }

  /** The records, formatted now. */
  records(): TraceRecord[] {
    return this.times.map((t, j) => {
      const f = this.formats[j];
      return { atNs: t, eventIndex: this.indices[j]!, node: this.nodes[j]!, kind: this.kinds[j]!, detail: f !== null && f !== undefined ? f(this.args[j]) : (this.details[j] ?? '') };
    });
  }
}

/** One line of the short log: time, event index, node, kind, detail. */
export function formatRecord(r: TraceRecord): string {
  return `${formatInstant(r.atNs)} #${String(r.eventIndex).padEnd(7)} ${r.node.padEnd(6)} ${r.kind.padEnd(12)} ${r.detail}`;
}
