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
  | { kind: 'clog'; from: string; to: string; durNs: Nanos; healNs?: Nanos }
  | { kind: 'clog-node'; node: string; durNs: Nanos; healNs?: Nanos }
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
 * says the same of its end. A fault made in an event's tail (the work it left for its end,
 * Simulation.atEventEnd: a Raft host's Ready loop) says which function of the tail made it, `tail`
 * (`endTail` for its end; absent: the event's own callback), and replays inside that event, just
 * before that function.
 */
export type ScriptEntry =
  | ({ atNs: Nanos; event?: number; endEvent?: number; tail?: number; endTail?: number } & (TimedFault | KeyedFault))
  | ({ atNs: Nanos } & WorkloadOp);

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
  /**
   * The timed faults among them still open (`durNs` null), as objects, oldest first: `end` fills
   * in their durations and drops them. Only the open ones: a heal scanned every timed fault ever
   * recorded, 9% of a 10,000 s broadcast run (its cost grew with the run's length squared).
   */
  private readonly open: ScriptEntry[] = [];
  /**
   * Clogs recorded that may still hold (their end is not yet past; pruned now and then): a heal
   * clears every clog (Network.heal), so `end` notes in those it cuts when it did (`healNs`).
   */
  private clogs: (ScriptEntry & { durNs: Nanos; healNs?: Nanos })[] = [];
  private readonly byKey = new Map<string, ScriptEntry>();
  private readonly script: readonly ScriptEntry[];
  private depth = 0;

  constructor(
    private readonly now: () => Nanos,
    script: readonly ScriptEntry[] | null = null,
    /** How many events ran at this instant before the current one (where, within its instant, a fault landed). */
    private readonly eventOfInstant: () => number = () => 0,
    /** Which function of the current event's tail runs (Simulation.atEventEnd), or -1: where, within its event, a fault landed. */
    private readonly tailOfEvent: () => number = () => -1,
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
    const j = this.tailOfEvent();
    const e: ScriptEntry = k > 0 ? { atNs: this.now(), ...ev, event: k } : { atNs: this.now(), ...ev };
    if (j >= 0) (e as { tail?: number }).tail = j;
    this.recorded.pushWhole(e);
    if ('durNs' in e && e.durNs === null) this.open.push(e);
    if (e.kind === 'clog' || e.kind === 'clog-node') this.noteClog(e);
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
      for (let i = this.open.length - 1; i >= 0; i--) {
        const e = this.open[i]!;
        if (e.kind !== kind || !('durNs' in e) || e.durNs !== null) continue;
        if (node !== null && ((e as { node?: string }).node ?? (e as { device?: string }).device) !== node) continue;
        (e as { durNs: Nanos | null }).durNs = now - e.atNs;
        const k = this.eventOfInstant();
        if (k > 0) (e as { endEvent?: number }).endEvent = k;
        const j = this.tailOfEvent();
        if (j >= 0) (e as { endTail?: number }).endTail = j;
        this.open.splice(i, 1);
        if (node !== null) break;
      }
      // A heal (every partition ends) also clears every clog still holding. A replay plays
      // partitions and clogs one by one (the heal is not an entry), so a clog kept its links
      // clogged past the heal and the run went elsewhere (raft-churn seed 4: a preVote held 4.5 s
      // too long). Its planned length stays (what it held leaves then, as it did) and `healNs`
      // says when, and where in that instant, a heal cleared it.
      if (kind === 'partition' && node === null && this.clogs.length > 0) {
        const k = this.eventOfInstant();
        const j = this.tailOfEvent();
        for (const c of this.clogs) {
          if (c.atNs + c.durNs <= now || c.healNs !== undefined) continue;
          c.healNs = now - c.atNs;
          if (k > 0) (c as { endEvent?: number }).endEvent = k;
          if (j >= 0) (c as { endTail?: number }).endTail = j;
        }
        this.clogs = [];
      }
    }
    this.depth++;
    try {
      apply();
    } finally {
      this.depth--;
    }
  }

  /** Keeps a recorded clog for a heal to cut short (see `clogs`); drops those that ended. */
  private noteClog(e: ScriptEntry): void {
    if (this.clogs.length >= 64) {
      const now = this.now();
      this.clogs = this.clogs.filter((c) => c.atNs + c.durNs > now);
    }
    this.clogs.push(e as ScriptEntry & { durNs: Nanos; healNs?: Nanos });
  }

  /**
   * Whether `decide(ev, drawn)` can answer other than `drawn`: recording and the draw fired (the
   * entry is recorded), or a script (it may name a decision that was not drawn). When false the
   * answer is `drawn`, so callers on hot paths build the keyed entry only when this is true:
   * `d.keyed(drawn) ? d.decide({...}, drawn) !== null : drawn`.
   */
  keyed(drawn: boolean): boolean {
    return this.active && (drawn || this.mode === 'script');
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

/** A template's key: a constant (string, boolean, undefined, null: the same in every entry of it), a number cell, or a JSON cell. */
const KEY_CONST = 0;
const KEY_NUMBER = 1;
const KEY_JSON = 2;

/** The keys of an entry, in order, with its constant values: entries that differ only in numbers (times, ordinals) share one. */
interface Template {
  keys: string[];
  kinds: number[];
  consts: unknown[];
  /** Cells an entry of this template takes (its number and JSON keys). */
  cells: number;
}

/** A level of EntryTape's template trie (keys and value tokens to the next level, TEMPLATE_ID to a template id). */
type TemplateTrie = Map<unknown, unknown>;
/** Trie tokens: any number (a cell), any object (a JSON cell; bigints and the like too, as before), the end. */
const NUMBER_CELL = Symbol('number');
const JSON_CELL = Symbol('json');
const TEMPLATE_ID = Symbol('template');

/** Rows per chunk of the columns (2^CHUNK_BITS): chunks, not one doubling array, so growth never copies a long run's record nor holds two. */
const CHUNK_BITS = 14;
const CHUNK = 1 << CHUNK_BITS;

/**
 * Recorded entries in columns instead of one object each: a long run (10 million events) records
 * hundreds of thousands of BUGGIFY fires, message faults and operations, and as objects (a spread
 * copy, a heap number for the time, a property array) they were most of what such a run kept.
 * An entry is its time, its template (its keys in order and its string and constant values,
 * interned: "buggify at site S on node N") and a cell per number (the ordinal) or nested value
 * (an operation's op, kept as its JSON text: the copy a script holds anyway). Entries kept whole
 * (timed faults, which `end` edits later) are referenced in order. `toArray` rebuilds the same
 * objects, keys in the same order.
 */
export class EntryTape {
  private readonly atNs: Float64Array[] = [];
  /** Template id, or -1 - i for the entry kept whole at `whole[i]`. */
  private readonly templateOf: Int32Array[] = [];
  private readonly firstCell: Int32Array[] = [];
  private count = 0;
  private readonly cells: Float64Array[] = [];
  private cellCount = 0;
  private readonly templates: Template[] = [];
  /** Key → value token → ... → TEMPLATE_ID: the template of an entry with those keys and constants (see push). */
  private readonly templateTrie: TemplateTrie = new Map();
  private readonly texts: string[] = [];
  private readonly whole: ScriptEntry[] = [];

  get length(): number {
    return this.count;
  }

  /** Records `{ atNs, ...fields }` compactly. */
  push(atNs: Nanos, fields: Record<string, unknown>): void {
    // The template is found by walking a trie of the entry's keys and constant values (interned
    // strings: Map lookups, no signature string built per entry).
    let node = this.templateTrie;
    for (const k in fields) {
      const v = fields[k];
      const t = typeof v;
      const token = t === 'number' ? NUMBER_CELL : t === 'string' || t === 'boolean' || v === undefined || v === null ? v : JSON_CELL;
      let byValue = node.get(k) as TemplateTrie | undefined;
      if (byValue === undefined) node.set(k, (byValue = new Map()));
      let next = byValue.get(token) as TemplateTrie | undefined;
      if (next === undefined) byValue.set(token, (next = new Map()));
      node = next;
    }
    let id = node.get(TEMPLATE_ID) as number | undefined;
    if (id === undefined) {
      const keys = Object.keys(fields);
      const kinds = keys.map((k) => (typeof fields[k] === 'number' ? KEY_NUMBER : fields[k] !== null && typeof fields[k] === 'object' ? KEY_JSON : KEY_CONST));
      id = this.templates.length;
      this.templates.push({ keys, kinds, consts: keys.map((k, j) => (kinds[j] === KEY_CONST ? fields[k] : undefined)), cells: kinds.filter((x) => x !== KEY_CONST).length });
      node.set(TEMPLATE_ID, id);
    }
    const t = this.templates[id]!;
    const i = this.entrySlot(atNs, id);
    this.firstCell[i >>> CHUNK_BITS]![i & (CHUNK - 1)] = this.cellCount;
    for (let j = 0; j < t.keys.length; j++) {
      const kind = t.kinds[j];
      if (kind === KEY_CONST) continue;
      const v = fields[t.keys[j]!];
      let cell: number;
      if (kind === KEY_NUMBER) cell = v as number;
      else {
        cell = this.texts.length;
        this.texts.push(JSON.stringify(v));
      }
      const c = this.cellCount++;
      if ((c & (CHUNK - 1)) === 0 && c >>> CHUNK_BITS === this.cells.length) this.cells.push(new Float64Array(CHUNK));
      this.cells[c >>> CHUNK_BITS]![c & (CHUNK - 1)] = cell;
    }
  }

  /** Records an entry as the object itself (it may still be edited: a timed fault's duration). */
  pushWhole(e: ScriptEntry): void {
    this.entrySlot(e.atNs, -1 - this.whole.length);
    this.whole.push(e);
  }

  /** The entries in the order recorded (those kept whole are the objects themselves). */
  toArray(): ScriptEntry[] {
    const out: ScriptEntry[] = new Array(this.count);
    for (let i = 0; i < this.count; i++) {
      const id = this.templateOf[i >>> CHUNK_BITS]![i & (CHUNK - 1)]!;
      if (id < 0) {
        out[i] = this.whole[-1 - id]!;
        continue;
      }
      const t = this.templates[id]!;
      const e: Record<string, unknown> = { atNs: this.atNs[i >>> CHUNK_BITS]![i & (CHUNK - 1)]! };
      let c = this.firstCell[i >>> CHUNK_BITS]![i & (CHUNK - 1)]!;
      for (let j = 0; j < t.keys.length; j++) {
        const kind = t.kinds[j];
        if (kind === KEY_CONST) {
          e[t.keys[j]!] = t.consts[j];
          continue;
        }
        const v = this.cells[c >>> CHUNK_BITS]![c & (CHUNK - 1)]!;
        c++;
        e[t.keys[j]!] = kind === KEY_NUMBER ? v : (JSON.parse(this.texts[v]!) as unknown);
      }
      out[i] = e as unknown as ScriptEntry;
    }
    return out;
  }

  /** Stores a new entry's time and template; returns its index. */
  private entrySlot(atNs: Nanos, template: number): number {
    const i = this.count++;
    if ((i & (CHUNK - 1)) === 0) {
      this.atNs.push(new Float64Array(CHUNK));
      this.templateOf.push(new Int32Array(CHUNK));
      this.firstCell.push(new Int32Array(CHUNK));
    }
    this.atNs[i >>> CHUNK_BITS]![i & (CHUNK - 1)] = atNs;
    this.templateOf[i >>> CHUNK_BITS]![i & (CHUNK - 1)] = template;
    return i;
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
