/**
 * A node's durable storage: named files of records. What it may do, and why systems must
 * survive it (each happens to real disks, and each is why real databases checksum and fsync):
 *
 * - Writes are volatile until an fsync issued after them completes. A crash loses every unsynced
 *   write, or keeps a random prefix of them with the last one torn (a partial write whose
 *   checksum fails on read).
 * - Corruption: a durable record may later read back as corrupt (`corrupt()`, or at random at
 *   `corruptionRate` per fsynced record). Reads report corrupt records; they never invent data.
 * - An fsync can fail (`writeErrorRate`): the writes it covered are then lost, and the caller is
 *   told (after fsyncgate, assuming otherwise is a bug). A full disk fails fsyncs with ENOSPC.
 * - Slow I/O: fsync latency is multiplied by `slowFactor`.
 *
 * Reads are synchronous: systems read their files once, at start, to recover.
 * Every record is deep-copied in and out, so no program keeps a reference into its disk.
 */
import { assert } from '../assert.ts';
import { deepCopy, estimateSize } from '../clone.ts';
import type { Simulation } from '../kernel.ts';
import { drawLatency, scaleLatency } from '../network/latency.ts';
import type { Rng } from '../prng.ts';
import { DISK_PROFILES, type DiskProfile } from './profiles.ts';

/** How a disk operation fails: an I/O error, or no space left. */
export type DiskError = 'EIO' | 'ENOSPC';

/**
 * A file could not be read at recovery, even after retries. Thrown by `readForRecovery`; a node
 * factory that lets it escape fail-stops its node (SimNode.start), and the supervisor starts it
 * again later: a process that dies on an I/O error at start-up, not one that starts empty.
 */
export class DiskReadFailed extends Error {
  /** Always `DiskReadFailed`. */
  override name = 'DiskReadFailed';
}

/** The faults a disk injects (all off in {@link NO_DISK_FAULTS}). */
export interface DiskFaults {
  /** Probability that a record, when it becomes durable, will later read back corrupt. */
  corruptionRate: number;
  /** Probability that an fsync fails with EIO (its writes lost). */
  writeErrorRate: number;
  /** Probability that reading a file fails with EIO (a transient error: reading again may work). */
  readErrorRate: number;
  /** fsync latency multiplier (1 = normal). */
  slowFactor: number;
  /** Capacity in bytes (estimated record sizes); Infinity = never full. */
  capacityBytes: number;
}

/** A disk that never fails by itself (crashes still lose unsynced writes). */
export const NO_DISK_FAULTS: DiskFaults = { corruptionRate: 0, writeErrorRate: 0, readErrorRate: 0, slowFactor: 1, capacityBytes: Infinity };

/** What a read returns: the records, with corrupt ones reported by index (their value is null). */
export interface DiskRead<T = unknown> {
  /** The records, in order; a corrupt record reads as null. */
  records: (T | null)[];
  /** Indices of records whose checksum fails. */
  corrupt: number[];
  /** Set when the read failed as a whole. */
  error: DiskError | null;
}

interface StoredRecord {
  value: unknown;
  corrupt: boolean;
  bytes: number;
}

/**
 * A durable file, compact: the records' values in an array, their sizes in another (none while
 * every record has one size, as a file of numbers does) and the (rare) corrupt ones as a set of
 * indices, instead of an object per record. Long runs append millions of small
 * records (a broadcast node's values, a log's entries) and keep them: an object of three fields
 * per record was most of a 10-million-event broadcast run's memory.
 */
class DurableFile implements DurableFileView {
  private values: unknown[] = [];
  /** Bumped when a record already in the file changes or goes (truncate, corruption); appends leave it. */
  epoch = 0;
  /** Each record's size, or null while every record has the size `uniform` (a file of numbers: no array at all). */
  private sizes: number[] | null = null;
  private uniform = -1;
  private corruptAt: Set<number> | null = null;
  /** Whether any record's value is an object (a reader must copy those; numbers need no copy). */
  hasObjects = false;

  get length(): number {
    return this.values.length;
  }

  static of(recs: readonly StoredRecord[]): DurableFile {
    const f = new DurableFile();
    for (const r of recs) f.push(r.value, r.corrupt, r.bytes);
    return f;
  }

  push(value: unknown, corrupt: boolean, bytes: number): void {
    if (corrupt) (this.corruptAt ??= new Set()).add(this.values.length);
    if (this.sizes === null) {
      if (this.values.length === 0) this.uniform = bytes;
      else if (bytes !== this.uniform) this.sizes = new Array<number>(this.values.length).fill(this.uniform);
    }
    if (value !== null && typeof value === 'object') this.hasObjects = true;
    this.values.push(value);
    this.sizes?.push(bytes);
  }

  /**
   * The records as a read returns them (corrupt ones as null) and the corrupt indices, sorted. One
   * bulk copy instead of a loop per record: a node that restarts often reads a long file each time.
   */
  read<T>(): { records: (T | null)[]; corrupt: number[] } {
    const records = this.values.slice() as (T | null)[];
    const corrupt = this.corruptIndices();
    for (const i of corrupt) records[i] = null;
    return { records, corrupt };
  }

  /** Indices of the corrupt records, sorted. */
  corruptIndices(): number[] {
    return this.corruptAt === null ? [] : [...this.corruptAt].sort((a, b) => a - b);
  }

  private size(i: number): number {
    return this.sizes === null ? this.uniform : this.sizes[i]!;
  }

  value(i: number): unknown {
    return this.values[i];
  }

  isCorrupt(i: number): boolean {
    return this.corruptAt !== null && this.corruptAt.has(i);
  }

  markCorrupt(i: number): void {
    this.epoch++;
    (this.corruptAt ??= new Set()).add(i);
  }

  /** Bytes of the records from `from` on. */
  bytesFrom(from: number): number {
    if (this.sizes === null) return Math.max(0, this.values.length - from) * this.uniform;
    let b = 0;
    for (let i = from; i < this.sizes.length; i++) b += this.sizes[i]!;
    return b;
  }

  /** Keeps the first `length` records. */
  truncate(length: number): void {
    if (length >= this.values.length) return;
    this.epoch++;
    this.values.length = length;
    if (this.sizes !== null) this.sizes.length = length;
    if (this.corruptAt !== null) for (const i of [...this.corruptAt]) if (i >= length) this.corruptAt.delete(i);
  }

  /** The records as objects (a read's page-cache view builds on it). */
  records(): StoredRecord[] {
    const out: StoredRecord[] = new Array(this.values.length);
    for (let i = 0; i < out.length; i++) out[i] = { value: this.values[i], corrupt: this.isCorrupt(i), bytes: this.size(i) };
    return out;
  }
}

const EMPTY_FILE = new DurableFile();

/**
 * A durable file as a checker may follow it without copying it (Disk.durableFile): the same
 * records `readDurable` returns, read one at a time. While the view is the same object and its
 * `epoch` is unchanged, the records already seen are unchanged (a file only grew by appends); a
 * `put` makes a new file (a new view), a truncate or a corruption bumps the epoch.
 */
export interface DurableFileView {
  /** Number of records. */
  readonly length: number;
  /** Bumped when a record already in the file changes or goes (appends leave it). */
  readonly epoch: number;
  /** Record i's value (the disk's own: never change it); meaningless when `isCorrupt(i)`. */
  value(i: number): unknown;
  /** True when record i reads back corrupt (`readDurable` gives null there). */
  isCorrupt(i: number): boolean;
}

type Op = (
  | { kind: 'append'; file: string; value: unknown; bytes: number }
  | { kind: 'put'; file: string; values: unknown[]; bytes: number }
  | { kind: 'truncate'; file: string; length: number }
) & {
  /** Issue order: an fsync covers exactly the writes issued before it, however fsyncs overlap. */
  seq?: number;
};

/**
 * Where a disk's writes become durable when they do not go to a drive of the node's own: a device
 * (a SmartNIC's NVDIMM, sim/hardware/smart-nic.ts `runOnNic`) that persists each fsync's batch in
 * its own time and fails with its own faults. See {@link Disk.backOnto}.
 */
export interface DiskBacking {
  /** The device's name, for the trace. */
  readonly name: string;
  /**
   * Persists one fsync's batch of `bytes`: `done(true)` once it is durable on the device,
   * `done(false)` if the device lost it. May never call back (a wedged device, or a device that
   * took its program down with it).
   */
  persist(bytes: number, done: (ok: boolean) => void): void;
}

/** What a disk has done so far. */
export interface DiskStats {
  /** Records appended. */
  appends: number;
  /** Fsyncs completed. */
  fsyncs: number;
  /** Fsyncs that failed. */
  fsyncErrors: number;
  /** Unsynced writes lost by crashes. */
  lostOnCrash: number;
  /** Writes torn by crashes. */
  tornWrites: number;
  /** Fsyncs that completed (durable or failed), and their summed time from issue to completion: the mean fsync latency a program saw. */
  syncsTimed: number;
  /** Summed time of those fsyncs from issue to completion, in simulated ns (divide by `syncsTimed` for the mean). */
  syncNsTotal: number;
}

/** A node's simulated disk: named append-only files of records. Writes are volatile until an fsync completes; a crash loses them, or keeps a torn prefix. */
export class Disk {
  /** The faults it injects now (a nemesis may change them). */
  faults: DiskFaults = { ...NO_DISK_FAULTS };
  private durable = new Map<string, DurableFile>();
  /** Writes since the last completed fsync, in order. */
  private unsynced: Op[] = [];
  private durableBytes = 0;
  private writesIssued = 0;
  /** Reads and torn crashes so far: their ordinals name a disk fault in a script ("n2's 7th read fails"). */
  private readsIssued = 0;
  private tornCrashes = 0;
  private busyUntilNs = 0;
  /** Incremented on crash so fsyncs in flight complete for nobody. */
  private generation = 0;
  /**
   * Bumped whenever the durable image changes (a write made durable, a record corrupted): a
   * checker that derives something from `readDurable` may keep it while this stays the same.
   */
  durableVersion = 0;
  /** Counts of appends, fsyncs, failed fsyncs, writes lost and torn by crashes. */
  readonly stats: DiskStats = { appends: 0, fsyncs: 0, fsyncErrors: 0, lostOnCrash: 0, tornWrites: 0, syncsTimed: 0, syncNsTotal: 0 };

  constructor(
    private readonly sim: Simulation,
    /** The node that owns the disk. */
    readonly owner: string,
    private readonly rng: Rng,
    /** Its latency profile (default NVMe). */
    public profile: DiskProfile = DISK_PROFILES.nvme,
  ) {}

  /** Set by {@link backOnto}: fsyncs go to this device instead of the drive's latency profile. */
  private backing: DiskBacking | null = null;

  /**
   * Puts the disk on a device: from now on an fsync completes when `backing` has persisted its
   * batch (the device's latency, stalls, crashes and wedges), not after the profile's fsync time.
   * What a crash keeps is unchanged (completed fsyncs, never the unsynced writes: an NVDIMM-N
   * saves what completed), and so are the disk's injected faults (EIO, ENOSPC: the device's media
   * errors). A failed device write is an fsync EIO. The slow factor is the device's own.
   */
  backOnto(backing: DiskBacking | null): void {
    this.backing = backing;
  }

  /** The device the disk is on, if any. */
  get backedBy(): string | null {
    return this.backing?.name ?? null;
  }

  /** Runs fsync completions: the owning node sets it at each start to defer them while it is paused. */
  private completionGate: (fn: () => void) => void = (fn) => fn();

  /** @internal Called by SimNode.start with the new incarnation's gate. */
  setCompletionGate(gate: (fn: () => void) => void): void {
    this.completionGate = gate;
  }

  /** Appends a record to `file` (volatile until fsync). */
  append(file: string, value: unknown): void {
    const v = deepCopy(value);
    this.unsynced.push({ kind: 'append', file, value: v, bytes: estimateSize(v), seq: this.writesIssued++ });
    this.stats.appends++;
  }

  /** Replaces the whole of `file` with `values` (volatile until fsync). */
  put(file: string, values: unknown[]): void {
    const v = deepCopy(values);
    this.unsynced.push({ kind: 'put', file, values: v, bytes: estimateSize(v), seq: this.writesIssued++ });
  }

  /** Keeps the first `length` records of `file` (volatile until fsync). */
  truncate(file: string, length: number): void {
    assert(length >= 0, 'truncate: negative length');
    this.unsynced.push({ kind: 'truncate', file, length, seq: this.writesIssued++ });
  }

  /**
   * Makes every write issued so far durable, then calls `done(null)`; or `done(error)` if the
   * fsync failed, in which case those writes are lost. Nothing is called if the node crashes
   * first.
   */
  fsync(done: (err: DiskError | null) => void): void {
    const coveredUpTo = this.writesIssued;
    const gen = this.generation;
    const gate = this.completionGate;
    const nth = ++this.stats.fsyncs;
    const issuedAt = this.sim.now;
    const complete = (deviceOk: boolean): void => {
      if (gen !== this.generation) return;
      this.stats.syncsTimed++;
      this.stats.syncNsTotal += this.sim.now - issuedAt;
      // Only the writes issued before this fsync are covered (an earlier fsync may have taken some).
      let n = 0;
      while (n < this.unsynced.length && this.unsynced[n]!.seq! < coveredUpTo) n++;
      const covered = this.unsynced.splice(0, n);
      const err = deviceOk ? this.faultOnSync(covered, nth) : 'EIO';
      if (err !== null) {
        this.stats.fsyncErrors++;
        this.sim.log(this.owner, 'disk-error', `fsync ${err}: ${covered.length} write(s) lost`);
      } else {
        for (const op of covered) this.applyDurably(op, false);
      }
      // Durability happens at completion; the program hears of it when it next runs.
      gate(() => done(err));
    };
    if (this.backing !== null) {
      let bytes = 0;
      for (const op of this.unsynced) if (op.seq! < coveredUpTo && op.kind !== 'truncate') bytes += op.bytes;
      this.backing.persist(bytes, complete);
      return;
    }
    const start = Math.max(this.sim.now, this.busyUntilNs);
    const latency = drawLatency(this.faults.slowFactor === 1 ? this.profile.fsync : scaleLatency(this.profile.fsync, this.faults.slowFactor), this.rng);
    this.busyUntilNs = start + latency;
    this.sim.at(this.busyUntilNs, () => complete(true));
  }

  /** Reads `file` as the program sees it: durable records plus unsynced writes (the page cache). */
  read<T = unknown>(file: string): DiskRead<T> {
    if (this.readFails()) return { records: [], corrupt: [], error: 'EIO' };
    return this.peek<T>(file);
  }

  /** Whether the next read fails with EIO (an injected fault, or a script's). */
  private readFails(): boolean {
    const n = ++this.readsIssued;
    const rate = this.faults.readErrorRate;
    const d = this.sim.decisions;
    if (rate > 0 || (d.active && d.mode === 'script')) {
      const drawn = rate > 0 && this.rng.chance(rate);
      // The keyed entry is built only when it can differ from the draw (Decisions.keyed).
      return d.keyed(drawn) ? d.decide({ kind: 'disk-error', node: this.owner, op: 'read', n }, drawn) !== null : drawn;
    }
    return false;
  }

  /** What `file` holds (durable + unsynced), with no fault injected: for invariants and tests. */
  peek<T = unknown>(file: string): DiskRead<T> {
    if (!this.unsynced.some((op) => op.file === file)) {
      // Nothing pending for this file: the durable image, its objects copied (a reader may change them).
      const r = this.readDurable<T>(file);
      if (!(this.durable.get(file) ?? EMPTY_FILE).hasObjects) return r; // numbers, strings: nothing to copy
      for (let i = 0; i < r.records.length; i++) {
        const v = r.records[i];
        if (v !== null && typeof v === 'object') r.records[i] = deepCopy(v) as T;
      }
      return r;
    }
    const recs = this.view(file);
    const corrupt: number[] = [];
    const records: (T | null)[] = new Array(recs.length);
    for (let i = 0; i < recs.length; i++) {
      const r = recs[i]!;
      if (r.corrupt) {
        corrupt.push(i);
        records[i] = null;
      } else {
        // A primitive needs no copy (recovery reads whole files: logs of many small records).
        const v = r.value;
        records[i] = (v !== null && typeof v === 'object' ? deepCopy(v) : v) as T;
      }
    }
    return { records, corrupt, error: null };
  }

  /**
   * Reads `file` for recovery: a transient EIO is retried (`attempts` reads in all); if every
   * attempt fails, throws DiskReadFailed. Never returns a failed read: starting from nothing
   * because a read failed would forget votes, acknowledged writes, issued ids.
   */
  readForRecovery<T = unknown>(file: string, attempts = 3): DiskRead<T> {
    for (let i = 0; i < attempts; i++) {
      const r = this.read<T>(file);
      if (r.error === null) return r;
    }
    return this.recoveryFailed(file, attempts);
  }

  /** Every attempt of a recovery read failed: logged, and the node fail-stops (DiskReadFailed). */
  private recoveryFailed(file: string, attempts: number): never {
    this.sim.log(this.owner, 'disk-error', `reading ${file}: EIO ${attempts} times`);
    throw new DiskReadFailed(`${this.owner}: reading ${file} failed with EIO ${attempts} times`);
  }

  /**
   * `readForRecovery` record by record: calls `each` with every record in order (a corrupt one as
   * null; objects copied, as a read copies them) instead of returning an array of them, and returns
   * the count and the corrupt records' indices. The same faults, retries and DiskReadFailed. For a
   * node that restarts often from a long file of small records: building the array cost as much
   * as the node's own recovery.
   *
   * `from`: the first record handed to `each` (a program that keeps a checkpoint of the records
   * before it). `count` and `corrupt` still cover the whole file: the disk checks every record's
   * checksum (as a scrub would), so the program can tell whether a record under its checkpoint
   * has gone bad since.
   */
  scanForRecovery<T = unknown>(
    file: string,
    each: (record: T | null) => void,
    attempts = 3,
    from = 0,
  ): {
    /** Records read, corrupt ones included. */
    count: number;
    /** Indices of the corrupt records, sorted. */
    corrupt: number[];
  } {
    for (let i = 0; i < attempts; i++) {
      if (this.readFails()) continue;
      const f = this.durable.get(file) ?? EMPTY_FILE;
      if (f.hasObjects || this.unsynced.some((op) => op.file === file)) {
        const r = this.peek<T>(file);
        for (let j = Math.max(0, from); j < r.records.length; j++) each(r.records[j] as T | null);
        return { count: r.records.length, corrupt: r.corrupt };
      }
      // Numbers and strings only, nothing pending: straight from the durable image, no copy needed.
      const corrupt = f.corruptIndices();
      let next = 0;
      while (next < corrupt.length && corrupt[next]! < from) next++;
      for (let j = Math.max(0, from); j < f.length; j++) {
        if (next < corrupt.length && corrupt[next] === j) {
          next++;
          each(null);
        } else each(f.value(j) as T);
      }
      return { count: f.length, corrupt };
    }
    return this.recoveryFailed(file, attempts);
  }

  /**
   * God's-eye read for invariant checkers: `file` as a crash right now would leave it at best
   * (durable records only: no unsynced write, no injected read fault). The records are the disk's
   * own, not copies: read them, never change them. A checker judges an acknowledgement against
   * this (what the node may promise), never against what the program believes it wrote.
   */
  readDurable<T = unknown>(file: string): DiskRead<T> {
    return { ...(this.durable.get(file) ?? EMPTY_FILE).read<T>(), error: null };
  }

  /**
   * God's-eye view of `file`'s durable records (what `readDurable` returns) without copying them:
   * for a checker that follows a file incrementally (see DurableFileView: same object and epoch =
   * only appended to). Read it, never change it.
   */
  durableFile(file: string): DurableFileView {
    return this.durable.get(file) ?? EMPTY_FILE;
  }

  /** The file as the program sees it (durable + unsynced), with no fault injected. */
  private view(file: string): StoredRecord[] {
    let recs: StoredRecord[] | null = null;
    for (const op of this.unsynced) {
      if (op.file !== file) continue;
      recs = applyOp(recs ?? (this.durable.get(file) ?? EMPTY_FILE).records(), op, false);
    }
    return recs ?? (this.durable.get(file) ?? EMPTY_FILE).records();
  }

  /** Names of files with at least one record (durable or not), sorted. */
  files(): string[] {
    const names = new Set<string>(this.durable.keys());
    for (const op of this.unsynced) names.add(op.file);
    return [...names].filter((f) => this.view(f).length > 0).sort();
  }

  /** Marks durable record `index` of `file` corrupt (an injected fault). */
  corrupt(file: string, index: number): boolean {
    const recs = this.durable.get(file);
    if (recs === undefined || index < 0 || index >= recs.length) return false;
    this.durableVersion++;
    recs.markCorrupt(index);
    this.sim.log(this.owner, 'disk-corrupt', `${file}[${index}]`);
    return true;
  }

  /** Records and unsynced writes currently held (for tests and reports). */
  get unsyncedCount(): number {
    return this.unsynced.length;
  }

  /** Bytes stored, durable and not yet synced. */
  get usedBytes(): number {
    return this.durableBytes;
  }

  /**
   * A crash: unsynced writes are lost. With 'torn', a random prefix of them survives and the
   * last surviving append may be torn (reads back corrupt). Returns how many writes were lost.
   */
  crash(mode: 'all' | 'torn'): number {
    this.generation++;
    this.busyUntilNs = 0;
    const ops = this.unsynced;
    this.unsynced = [];
    if (mode === 'torn' && ops.length > 0) {
      // What survives a torn crash is a decision: the script names how many writes stayed and
      // whether the last was torn (a scripted crash it does not name keeps nothing).
      const drawnKeep = this.rng.int(0, ops.length);
      const drawnTorn = drawnKeep > 0 && ops[drawnKeep - 1]!.kind === 'append' && this.rng.chance(0.5);
      const d = this.sim.decisions;
      const n = ++this.tornCrashes;
      const e = d.active ? d.decide({ kind: 'disk-torn', node: this.owner, n, keep: drawnKeep, torn: drawnTorn }, drawnKeep > 0) : { keep: drawnKeep, torn: drawnTorn };
      const keep = e === null ? 0 : Math.min(e.keep, ops.length);
      for (let i = 0; i < keep; i++) {
        const torn = i === keep - 1 && ops[i]!.kind === 'append' && e!.torn;
        if (torn) this.stats.tornWrites++;
        this.applyDurably(ops[i]!, torn);
      }
      this.stats.lostOnCrash += ops.length - keep;
      return ops.length - keep;
    }
    this.stats.lostOnCrash += ops.length;
    return ops.length;
  }

  /** Clears injected fault rates (the liveness phase heals disks; corrupt records stay corrupt). */
  heal(): void {
    this.faults = { ...NO_DISK_FAULTS };
  }

  private faultOnSync(covered: Op[], n: number): DiskError | null {
    const rate = this.faults.writeErrorRate;
    const d = this.sim.decisions;
    if (rate > 0 || (d.active && d.mode === 'script')) {
      const drawn = rate > 0 && this.rng.chance(rate);
      if (d.keyed(drawn) ? d.decide({ kind: 'disk-error', node: this.owner, op: 'fsync', n }, drawn) !== null : drawn) return 'EIO';
    }
    if (this.faults.capacityBytes !== Infinity) {
      // Appends only (the common case): the size grows by theirs, no file is walked.
      let appended = 0;
      let appendsOnly = true;
      for (const op of covered) {
        if (op.kind !== 'append') {
          appendsOnly = false;
          break;
        }
        appended += op.bytes;
      }
      if (appendsOnly) return this.durableBytes + appended > this.faults.capacityBytes ? 'ENOSPC' : null;
      // The size the disk would hold after these writes: puts replace and truncates free space.
      // Only a file that is put or truncated is replayed: one that is only appended to grows by
      // its appends (a long log beside a small file that is rewritten is not copied per fsync).
      const replaced = new Set<string>();
      for (const op of covered) if (op.kind !== 'append') replaced.add(op.file);
      const touched = new Map<string, StoredRecord[]>();
      let after = this.durableBytes;
      for (const op of covered) {
        if (op.kind === 'append' && !replaced.has(op.file)) after += op.bytes;
        else touched.set(op.file, applyOp(touched.get(op.file) ?? (this.durable.get(op.file) ?? EMPTY_FILE).records(), op, false));
      }
      for (const [f, recs] of touched) after += sumBytes(recs) - (this.durable.get(f) ?? EMPTY_FILE).bytesFrom(0);
      if (after > this.faults.capacityBytes) return 'ENOSPC';
    }
    return null;
  }

  /** Whether an append reaches the platter corrupt (a decision, named by the write's ordinal). */
  private corrupts(op: Op): boolean {
    const rate = this.faults.corruptionRate;
    const d = this.sim.decisions;
    if (rate <= 0 && !(d.active && d.mode === 'script')) return false;
    const drawn = rate > 0 && this.rng.chance(rate);
    return d.keyed(drawn) ? d.decide({ kind: 'disk-corrupt', node: this.owner, n: op.seq! + 1 }, drawn) !== null : drawn;
  }

  /** Applies a write to the durable image in place (appends are O(1): logs grow long). */
  private applyDurably(op: Op, torn: boolean): void {
    this.durableVersion++;
    let recs = this.durable.get(op.file);
    if (recs === undefined) {
      recs = new DurableFile();
      this.durable.set(op.file, recs);
    }
    switch (op.kind) {
      case 'append': {
        const corrupt = torn || this.corrupts(op);
        recs.push(op.value, corrupt, op.bytes);
        this.durableBytes += op.bytes;
        return;
      }
      case 'put': {
        this.durableBytes -= recs.bytesFrom(0);
        const next = applyOp([], op, false);
        this.durable.set(op.file, DurableFile.of(next));
        this.durableBytes += sumBytes(next);
        return;
      }
      case 'truncate': {
        if (op.length >= recs.length) return;
        this.durableBytes -= recs.bytesFrom(op.length);
        recs.truncate(op.length);
        return;
      }
    }
  }
}

/** Applies a write to a copy-owned array (used for the page-cache view of a read). */
function applyOp(recs: StoredRecord[], op: Op, torn: boolean): StoredRecord[] {
  switch (op.kind) {
    case 'append':
      recs.push({ value: op.value, corrupt: torn, bytes: op.bytes });
      return recs;
    case 'put':
      return (op.values as unknown[]).map((v) => ({ value: v, corrupt: false, bytes: estimateSize(v) }));
    case 'truncate':
      return recs.slice(0, op.length);
  }
}

function sumBytes(recs: StoredRecord[]): number {
  let s = 0;
  for (const r of recs) s += r.bytes;
  return s;
}
