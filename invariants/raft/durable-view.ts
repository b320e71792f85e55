/**
 * What a Raft node would recover from its disk right now, kept up to date incrementally for the
 * `ack-not-durable` check (durable-acks.ts). The check judges every message a server sends against
 * the durable state; recomputing `recoverDurable` (which reads and filters the whole durable log)
 * after every fsync was a few percent of a loaded run's time and about a tenth of its allocations.
 *
 * This view gives the same answers as `recoverDurable({ read: (f) => disk.readDurable(f) })` (a
 * property test compares the two on random disk histories), but follows the log file as it grows:
 * the durable log changes between fsyncs almost only by appends, so the scan of its contiguous
 * entries resumes where it stopped. A truncate, a corruption or a rewrite (`put`) of the file is
 * seen through `Disk.durableFile` (a new file object or a new epoch) and the scan starts over.
 */
import type { Disk, DurableFileView } from '../../sim/disk/disk.ts';
import { HS_FILE, LOG_FILE, SNAP_FILE } from '../../systems/raft/host.ts';
import type { Entry, HardState, Snapshot } from '../../systems/raft/types.ts';

/** A durable file's first record as `readDurable` reads it (null: missing or corrupt). */
function first<T>(f: DurableFileView): T | null {
  if (f.length === 0 || f.isCorrupt(0)) return null;
  return (f.value(0) as T | null | undefined) ?? null;
}

export class DurableRaftView {
  /** Disk.durableVersion when last refreshed (-1: never). */
  private version = -1;
  // The log file's scan: recoverDurable keeps entries 1..k of the file while their indices run
  // on from the header's base; `pos` is the next record to look at, `stopped` once one broke the run.
  private logFile: DurableFileView | null = null;
  private logEpoch = -1;
  private base: number | null = null;
  private k = 0;
  private pos = 0;
  private stopped = false;
  // What recoverDurable returns, as the checks read it.
  private snapIndexV = 0;
  private countV = 0;
  /** Index of the first kept log entry's record: entry i sits at record i - recordBase. */
  private recordBase = 0;
  private hardTermV = 0;
  private hardVoteV: string | null = null;

  constructor(private readonly disk: Disk) {}

  /** The durable snapshot's index. */
  get snapshotIndex(): number {
    this.refresh();
    return this.snapIndexV;
  }

  /** The last index recovery would hold (snapshot index + durable entries after it). */
  get last(): number {
    this.refresh();
    return this.snapIndexV + this.countV;
  }

  /** The term of durable entry `index` (snapshotIndex < index <= last). */
  termAt(index: number): number {
    this.refresh();
    return (this.logFile!.value(index - this.recordBase) as Entry).term;
  }

  /** The recovered hard state's term (at least the last durable entry's). */
  get hardTerm(): number {
    this.refresh();
    return this.hardTermV;
  }

  /** The recovered hard state's vote (null when a durable entry's term is past the stored term). */
  get hardVote(): string | null {
    this.refresh();
    return this.hardVoteV;
  }

  /** Brings the view up to the disk's durable image (cheap when it did not change). */
  private refresh(): void {
    const disk = this.disk;
    if (disk.durableVersion === this.version) return;
    this.version = disk.durableVersion;
    const snapshot = first<Snapshot>(disk.durableFile(SNAP_FILE));
    const snapIndex = snapshot === null ? 0 : snapshot.index;
    const snapTerm = snapshot === null ? 0 : snapshot.term;
    const hs = first<HardState>(disk.durableFile(HS_FILE));
    const log = this.scanLog(disk.durableFile(LOG_FILE));
    let count = 0;
    let lastTerm = snapTerm;
    const base = this.base;
    if (base !== null) {
      const k = this.k;
      // recoverDurable: a log written for another snapshot counts only if it holds the snapshot's
      // last entry (same index and term); then only the entries past the snapshot are kept.
      const follows = base === snapIndex || (base < snapIndex && snapIndex - base <= k && (log.value(snapIndex - base) as Entry).term === snapTerm);
      if (follows) {
        const from = Math.max(base, snapIndex) + 1;
        count = Math.max(0, base + k - from + 1);
        this.recordBase = base;
        if (count > 0) lastTerm = (log.value(k) as Entry).term;
      }
    }
    this.snapIndexV = snapIndex;
    this.countV = count;
    const hsTerm = hs === null ? 0 : hs.term;
    this.hardTermV = Math.max(hsTerm, lastTerm);
    this.hardVoteV = hsTerm >= lastTerm ? (hs === null ? null : hs.vote) : null;
  }

  /** Follows the log file: resumes the scan when the file only grew, starts over otherwise. */
  private scanLog(f: DurableFileView): DurableFileView {
    if (f !== this.logFile || f.epoch !== this.logEpoch || f.length < this.pos) {
      this.logFile = f;
      this.logEpoch = f.epoch;
      const header = first<{ base: number }>(f);
      this.base = header === null ? null : header.base;
      this.k = 0;
      this.pos = 1;
      this.stopped = header === null;
    }
    if (this.stopped) return f;
    const base = this.base!;
    while (this.pos < f.length) {
      if (f.isCorrupt(this.pos)) {
        this.stopped = true;
        break;
      }
      const e = f.value(this.pos) as Entry | null;
      if (e === null || e.index !== base + this.k + 1) {
        this.stopped = true;
        break;
      }
      this.k++;
      this.pos++;
    }
    return f;
  }
}

const views = new WeakMap<Disk, DurableRaftView>();

/** The durable view of `disk` (one per disk, kept while the disk lives). */
export function durableRaftView(disk: Disk): DurableRaftView {
  let v = views.get(disk);
  if (v === undefined) views.set(disk, (v = new DurableRaftView(disk)));
  return v;
}
