/**
 * Faults and workload as recorded decisions. Every fault a run makes (a nemesis crashing n3, a
 * partition and its heal, the network dropping the 3rd message n1→n2, a BUGGIFY site firing at
 * its 2nd reach) and every workload operation a client issues is recorded *by meaning*: what,
 * where, when, for how long. A run can then be driven from such a script instead of from the
 * PRNG: the nemeses still run but their faults are suppressed, and a player applies the
 * script's faults at their times; message faults, BUGGIFY and client operations happen exactly
 * where the script names them. So a shrinker can remove one decision without moving the others,
 * and a person can read (and edit) the schedule that breaks the system.
 *
 * Where decisions are taken:
 * - `fault(event, apply)`: the fault API (SimNode.crash/start/pause/stepClock/setDrift, the
 *   Network's partitions, heals and clogs, disk episodes). Called during the fault phase it is a
 *   nemesis decision: recorded, or (in script mode) suppressed unless the script's player calls it.
 *   Internal uses (a fail-stop, the supervisor's restart, the liveness heal) bypass it.
 * - `end(kind, node, apply)`: the end of an earlier fault (a restart, a heal): recorded as its
 *   duration (`durNs`), so one script entry is one fault with its length.
 * - `decide(entry, drawn)`: a keyed yes/no (a message dropped, duplicated or reordered; a BUGGIFY
 *   site firing). The caller always draws as it always did (`drawn`), so the streams stay where
 *   they were; in script mode the script decides.
 * - `operation(client, n, op)`: a client's n-th operation; in script mode the script's op (or
 *   null: the script dropped it).
 */
import type { Nanos } from './time.ts';

/** How a node crash loses unsynced writes. */
export type CrashMode = 'all' | 'torn';

/** The shape of a partition, as the Network method that made it. */
export type PartitionShape =
  | { shape: 'partition'; groups: string[][] }
  | { shape: 'split'; groups: string[][] }
  | { shape: 'isolate'; node: string }
  | { shape: 'cut'; a: string; b: string }
  | { shape: 'one-way'; from: string; to: string }
  | { shape: 'bridge'; sideA: string[]; sideB: string[]; bridge: string }
  | { shape: 'ring'; order: string[] };

/** A fault at a time, with how long it lasts (null: until the faults stop). */
export type TimedFault =
  | { kind: 'crash'; node: string; mode: CrashMode; durNs: Nanos | null }
  | { kind: 'start'; node: string }
  | { kind: 'pause'; node: string; durNs: Nanos }
  | ({ kind: 'partition'; durNs: Nanos | null } & PartitionShape)
  | { kind: 'uncut'; from: string; to: string }
  | { kind: 'clog'; from: string; to: string; durNs: Nanos }
  | { kind: 'clog-node'; node: string; durNs: Nanos }
  | { kind: 'clock-step'; node: string; deltaNs: Nanos }
  | { kind: 'clock-drift'; node: string; ppm: number }
  | { kind: 'disk-full'; node: string; durNs: Nanos | null }
  | { kind: 'disk-slow'; node: string; factor: number; durNs: Nanos | null }
  | DeviceEpisode;

/**
 * The hardware nemesis's faults (sim/hardware/nemesis.ts), by device name: a device crashed or
 * wedged, or its whole failure domain failed, for `durNs`; a slow episode; an SSD worn out after
 * `budget` more writes; a CXL word poisoned.
 */
export type DeviceEpisode =
  | { kind: 'device-down'; device: string; how: 'crash' | 'wedge' | 'domain'; durNs: Nanos | null }
  | { kind: 'device-slow'; device: string; factor: number; durNs: Nanos | null }
  | { kind: 'device-wear-out'; device: string; budget: number }
  | { kind: 'cxl-poison'; device: string; addr: number };

/** A keyed decision: the n-th message on a link, a site's n-th reach. */
export type KeyedFault =
  | { kind: 'drop'; from: string; to: string; n: number }
  | { kind: 'duplicate'; from: string; to: string; n: number }
  | { kind: 'reorder'; from: string; to: string; n: number; copy: number; extraNs: Nanos }
  | { kind: 'buggify'; site: string; n: number; node: string }
  | DeviceFault;

/**
 * Keyed decisions of message rules, disks and devices (each drawn from its own stream: a link's,
 * a disk's, a device's). `n` counts per link (messages), per disk (reads, fsyncs, writes, crashes)
 * or per device and fault (reaches of that fault's site).
 */
export type DeviceFault =
  /** A message rule (Network.addMessageFault) dropped the n-th message on a link. */
  | { kind: 'rule-drop'; from: string; to: string; n: number }
  /** A message rule delayed the n-th message on a link (copy 1: its duplicate): delivered latencyNs after it left. */
  | { kind: 'delay'; from: string; to: string; n: number; copy: number; latencyNs: Nanos }
  /** The node's disk failed its n-th read or n-th fsync with EIO. */
  | { kind: 'disk-error'; node: string; op: 'read' | 'fsync'; n: number }
  /** The n-th write issued to the node's disk reached the platter corrupt. */
  | { kind: 'disk-corrupt'; node: string; n: number }
  /** The node's n-th torn crash kept the first `keep` unsynced writes, the last of them torn if `torn`. */
  | { kind: 'disk-torn'; node: string; n: number; keep: number; torn: boolean }
  /** A hardware device's fault (`fault`: e.g. cxl-torn, cxl-poison, ssd-wrong) at its n-th chance; `arg` its drawn detail. */
  | { kind: 'device'; device: string; fault: string; n: number; arg?: number };

/** A client's n-th operation (its meaning: the op object the workload runs). */
export interface WorkloadOp {
  kind: 'op';
  client: string;
  n: number;
  op: Record<string, unknown>;
}

/**
 * One entry of a script: a fault or an operation, with the time it was taken (`atNs`). A timed
 * fault may say where in its instant it landed: `event`, the number of events of that instant
 * that ran before it (absent: 0), so a replay puts it between the same two events; `endEvent`
 * says the same of its end.
 */
export type ScriptEntry = ({ atNs: Nanos; event?: number; endEvent?: number } & (TimedFault | KeyedFault)) | ({ atNs: Nanos } & WorkloadOp);

/** The kinds a shrink counts as faults (everything but workload operations). */
export function isFault(e: ScriptEntry): boolean {
  return e.kind !== 'op';
}

/** The lookup key of a keyed entry or an operation; null for timed faults. */
export function entryKey(e: KeyedFault | WorkloadOp | ScriptEntry): string | null {
  switch (e.kind) {
    case 'drop':
    case 'duplicate':
      return `${e.kind} ${e.from}>${e.to}#${e.n}`;
    case 'reorder':
      return `reorder ${e.from}>${e.to}#${e.n}.${e.copy}`;
    case 'buggify':
      return `buggify ${e.site}#${e.n}`;
    case 'op':
      return `op ${e.client}#${e.n}`;
    case 'rule-drop':
      return `rule-drop ${e.from}>${e.to}#${e.n}`;
    case 'delay':
      return `delay ${e.from}>${e.to}#${e.n}.${e.copy}`;
    case 'disk-error':
      return `disk-error ${e.node} ${e.op}#${e.n}`;
    case 'disk-corrupt':
      return `disk-corrupt ${e.node}#${e.n}`;
    case 'disk-torn':
      return `disk-torn ${e.node}#${e.n}`;
    case 'device':
      return `device ${e.device} ${e.fault}#${e.n}`;
    default:
      return null;
  }
}

/** Applies a timed fault of a script (sim/script-player.ts, which knows the world). */
export type FaultPlayer = (e: ScriptEntry & TimedFault) => void;

/** The run's decisions: recorded (the default) or taken from a script. */
export class Decisions {
  /** 'record': draw as always and log; 'script': the script decides. */
  readonly mode: 'record' | 'script';
  /** True during the fault phase, when faults are decisions (set by the runner). */
  active = false;
  /** Set while the script's player applies an entry: the fault API lets it through. */
  playing = false;
  /** Fault-API calls suppressed in script mode (the nemeses' own faults). */
  suppressed = 0;
  /** What this run decided, compactly (a long run records hundreds of thousands of decisions). */
  private readonly recorded = new EntryTape();
  /** The timed faults among them, as objects: `end` fills in their durations. */
  private readonly timed: ScriptEntry[] = [];
  private readonly byKey = new Map<string, ScriptEntry>();
  private readonly script: readonly ScriptEntry[];
  private depth = 0;

  constructor(
    private readonly now: () => Nanos,
    script: readonly ScriptEntry[] | null = null,
    /** How many events ran at this instant before the current one (where, within its instant, a fault landed). */
    private readonly eventOfInstant: () => number = () => 0,
  ) {
    this.mode = script === null ? 'record' : 'script';
    this.script = script ?? [];
    for (const e of this.script) {
      const k = entryKey(e);
      if (k !== null) this.byKey.set(k, e);
    }
  }

  /** The script a run in script mode follows. */
  get scriptEntries(): readonly ScriptEntry[] {
    return this.script;
  }

  /** What this run decided, in the order decided (in script mode: what it applied). */
  get entries(): readonly ScriptEntry[] {
    return this.recorded.toArray();
  }

  /** How many decisions this run recorded (without building them, as `entries` does). */
  get recordedCount(): number {
    return this.recorded.length;
  }

  /**
   * True when a fault is not this recorder's to log: applied at once (nested inside a fault being
   * applied, or recording off) or suppressed (a scripted run: only the script's player applies faults).
   */
  private bypass(apply: () => void): boolean {
    if (this.depth > 0 || !this.active) {
      apply();
      return true;
    }
    if (this.mode === 'script' && !this.playing) {
      this.suppressed++;
      return true;
    }
    return false;
  }

  /** A fault from the fault API (see the file's doc). */
  fault(ev: TimedFault, apply: () => void): void {
    if (this.bypass(apply)) return;
    const k = this.eventOfInstant();
    const e: ScriptEntry = k > 0 ? { atNs: this.now(), ...ev, event: k } : { atNs: this.now(), ...ev };
    this.recorded.pushWhole(e);
    this.timed.push(e);
    this.depth++;
    try {
      apply();
    } finally {
      this.depth--;
    }
  }

  /**
   * The end of earlier faults of `kind` on `node` (or device; null: every open one of that kind: a heal
   * ends every partition): their `durNs` becomes the time since they began.
   */
  end(kind: 'crash' | 'partition' | 'disk-full' | 'disk-slow' | 'device-down' | 'device-slow', node: string | null, apply: () => void): void {
    if (this.bypass(apply)) return;
    if (this.mode === 'record') {
      const now = this.now();
      // Only timed faults have a duration: the keyed decisions and operations need no scan.
      for (let i = this.timed.length - 1; i >= 0; i--) {
        const e = this.timed[i]!;
        if (e.kind !== kind || !('durNs' in e) || e.durNs !== null) continue;
        if (node !== null && ((e as { node?: string }).node ?? (e as { device?: string }).device) !== node) continue;
        (e as { durNs: Nanos | null }).durNs = now - e.atNs;
        const k = this.eventOfInstant();
        if (k > 0) (e as { endEvent?: number }).endEvent = k;
        if (node !== null) break;
      }
    }
    this.depth++;
    try {
      apply();
    } finally {
      this.depth--;
    }
  }

  /**
   * A keyed yes/no. `drawn` is what the PRNG said (the caller draws regardless, so nothing else
   * moves). Returns the script's entry when it names this decision (script mode), the recorded
   * entry when `drawn` (record mode), else null.
   */
  decide<E extends KeyedFault>(ev: E, drawn: boolean): E | null {
    if (!this.active) return drawn ? ev : null;
    if (this.mode === 'script') return (this.byKey.get(entryKey(ev)!) as E | undefined) ?? null;
    if (!drawn) return null;
    this.recorded.push(this.now(), ev as unknown as Record<string, unknown>);
    return ev;
  }

  /** A client's n-th operation: the op to run, or null when the script dropped it. */
  operation<O extends Record<string, unknown>>(client: string, n: number, op: O): O | null {
    if (!this.active) return op;
    if (this.mode === 'script') {
      const e = this.byKey.get(`op ${client}#${n}`);
      return e === undefined ? null : ((e as WorkloadOp).op as O);
    }
    // The op is kept as its JSON text and read back with JSON.parse: the copy a script holds.
    this.recorded.push(this.now(), { kind: 'op', client, n, op });
    return op;
  }
}

/** How a value of a compact entry is kept (EntryTape): a number, an interned string (the cell holds its id), a constant, or an object's JSON text (the cell holds its index in `texts`). */
const CELL_NUMBER = 0;
const CELL_STRING = 1;
const CELL_TRUE = 2;
const CELL_FALSE = 3;
const CELL_UNDEFINED = 4;
const CELL_NULL = 5;
const CELL_JSON = 6;

/**
 * Recorded entries in columns instead of one object each: a long run (10 million events) records
 * hundreds of thousands of BUGGIFY fires, message faults and operations, and as objects (a spread
 * copy, a heap number for the time, a property array) they were most of what such a run kept.
 * An entry is its time, its shape (the keys of its object, in order: interned) and one cell per
 * key: a number, an interned string, a constant, or the JSON text of a nested value (an
 * operation's op, which the script holds as a JSON copy anyway). Entries kept whole (timed
 * faults, which `end` edits later) are referenced in order. `toArray` rebuilds the same objects,
 * keys in the same order.
 */
export class EntryTape {
  private atNs = new Float64Array(1024);
  /** Shape id, or -1 - i for the entry kept whole at `whole[i]`. */
  private shapeOf = new Int32Array(1024);
  private firstCell = new Int32Array(1024);
  private count = 0;
  private cells = new Float64Array(4096);
  private kinds = new Uint8Array(4096);
  private cellCount = 0;
  private readonly shapes: string[][] = [];
  private readonly shapeIds = new Map<string, number>();
  private readonly strings: string[] = [];
  private readonly stringIds = new Map<string, number>();
  private readonly texts: string[] = [];
  private readonly whole: ScriptEntry[] = [];

  get length(): number {
    return this.count;
  }

  /** Records `{ atNs, ...fields }` compactly. */
  push(atNs: Nanos, fields: Record<string, unknown>): void {
    const keys = Object.keys(fields);
    const sig = keys.join('\u0000');
    let shape = this.shapeIds.get(sig);
    if (shape === undefined) {
      shape = this.shapes.length;
      this.shapes.push(keys);
      this.shapeIds.set(sig, shape);
    }
    const i = this.entrySlot();
    this.atNs[i] = atNs;
    this.shapeOf[i] = shape;
    this.firstCell[i] = this.cellCount;
    if (this.cellCount + keys.length > this.cells.length) {
      const cap = Math.max(this.cells.length * 2, this.cellCount + keys.length);
      const cells = new Float64Array(cap);
      cells.set(this.cells);
      this.cells = cells;
      const kinds = new Uint8Array(cap);
      kinds.set(this.kinds);
      this.kinds = kinds;
    }
    for (const k of keys) {
      const v = fields[k];
      const c = this.cellCount++;
      if (typeof v === 'number') {
        this.kinds[c] = CELL_NUMBER;
        this.cells[c] = v;
      } else if (typeof v === 'string') {
        let id = this.stringIds.get(v);
        if (id === undefined) {
          id = this.strings.length;
          this.strings.push(v);
          this.stringIds.set(v, id);
        }
        this.kinds[c] = CELL_STRING;
        this.cells[c] = id;
      } else if (v === true) this.kinds[c] = CELL_TRUE;
      else if (v === false) this.kinds[c] = CELL_FALSE;
      else if (v === undefined) this.kinds[c] = CELL_UNDEFINED;
      else if (v === null) this.kinds[c] = CELL_NULL;
      else {
        this.kinds[c] = CELL_JSON;
        this.cells[c] = this.texts.length;
        this.texts.push(JSON.stringify(v));
      }
    }
  }

  /** Records an entry as the object itself (it may still be edited: a timed fault's duration). */
  pushWhole(e: ScriptEntry): void {
    const i = this.entrySlot();
    this.atNs[i] = e.atNs;
    this.shapeOf[i] = -1 - this.whole.length;
    this.whole.push(e);
  }

  /** The entries in the order recorded (those kept whole are the objects themselves). */
  toArray(): ScriptEntry[] {
    const out: ScriptEntry[] = new Array(this.count);
    for (let i = 0; i < this.count; i++) {
      const shape = this.shapeOf[i]!;
      if (shape < 0) {
        out[i] = this.whole[-1 - shape]!;
        continue;
      }
      const e: Record<string, unknown> = { atNs: this.atNs[i]! };
      let c = this.firstCell[i]!;
      for (const k of this.shapes[shape]!) {
        const v = this.cells[c]!;
        switch (this.kinds[c++]) {
          case CELL_NUMBER: e[k] = v; break;
          case CELL_STRING: e[k] = this.strings[v]; break;
          case CELL_TRUE: e[k] = true; break;
          case CELL_FALSE: e[k] = false; break;
          case CELL_UNDEFINED: e[k] = undefined; break;
          case CELL_NULL: e[k] = null; break;
          case CELL_JSON: e[k] = JSON.parse(this.texts[v]!) as unknown; break;
        }
      }
      out[i] = e as unknown as ScriptEntry;
    }
    return out;
  }

  /** Room for one more entry; returns its index. */
  private entrySlot(): number {
    if (this.count === this.atNs.length) {
      const cap = this.count * 2;
      const at = new Float64Array(cap);
      at.set(this.atNs);
      this.atNs = at;
      const sh = new Int32Array(cap);
      sh.set(this.shapeOf);
      this.shapeOf = sh;
      const fc = new Int32Array(cap);
      fc.set(this.firstCell);
      this.firstCell = fc;
    }
    return this.count++;
  }
}

/** Counts of a script by category: what a shrink reports. */
export interface ScriptCounts {
  /** Fault entries (timed faults, message faults, BUGGIFY fires). */
  faults: number;
  /** Workload operations. */
  operations: number;
}

export function countScript(s: readonly ScriptEntry[]): ScriptCounts {
  let faults = 0;
  for (const e of s) if (isFault(e)) faults++;
  return { faults, operations: s.length - faults };
}
