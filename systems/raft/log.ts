/**
 * The Raft log of one node: a snapshot (everything up to `snapshot.index`, compacted) followed by
 * in-memory entries. It also remembers what the host has not yet been handed for persistence
 * (`unstableFrom`), like etcd's raftLog + unstable, but in one structure because we keep the whole
 * uncompacted log in memory.
 */
import { assert } from '../../sim/assert.ts';
import type { Entry, EntryData, Snapshot } from './types.ts';

/** Payload size in bytes of an entry's data, for message batching. */
export function dataBytes(d: EntryData): number {
  if (d === null) return 0;
  return typeof d === 'string' ? d.length : d.byteLength;
}

export const EMPTY_SNAPSHOT: Snapshot = Object.freeze({ index: 0, term: 0, data: null });

export class RaftLog {
  /** Compacted prefix. entries[0].index === snapshot.index + 1. */
  snapshot: Snapshot;
  entries: Entry[];
  /** Highest index known committed. Never decreases. */
  committed: number;
  /** Highest index handed to the host in `committedEntries` (or restored by snapshot). */
  applied: number;
  /** First index not yet handed to the host for persistence. */
  unstableFrom: number;
  /** Lowest overwritten index that had already been handed out, if any since the last Ready. */
  truncatedFrom: number | null = null;
  /** A snapshot received from the leader that the host has not yet been handed. */
  pendingSnapshot: Snapshot | null = null;

  /** Builds the log from durable state (all of it counts as already persisted). */
  constructor(snapshot: Snapshot, entries: readonly Entry[], committed: number) {
    this.snapshot = snapshot;
    this.entries = entries.slice();
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i] as Entry;
      assert(e.index === snapshot.index + 1 + i, `log: entry ${i} has index ${e.index}, expected ${snapshot.index + 1 + i}`);
      assert(e.term >= (i === 0 ? snapshot.term : (this.entries[i - 1] as Entry).term), `log: terms decrease at index ${e.index}`);
    }
    assert(committed >= snapshot.index && committed <= this.lastIndex(), `log: commit ${committed} outside [${snapshot.index}, ${this.lastIndex()}]`);
    this.committed = committed;
    this.applied = snapshot.index;
    this.unstableFrom = this.lastIndex() + 1;
  }

  firstIndex(): number {
    return this.snapshot.index + 1;
  }

  lastIndex(): number {
    return this.snapshot.index + this.entries.length;
  }

  /** Term of the entry at `i`; undefined if compacted away (i < snapshot.index) or beyond the end. */
  term(i: number): number | undefined {
    if (i === this.snapshot.index) return this.snapshot.term;
    if (i < this.snapshot.index || i > this.lastIndex()) return undefined;
    return (this.entries[i - this.snapshot.index - 1] as Entry).term;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) as number;
  }

  entryAt(i: number): Entry | undefined {
    if (i <= this.snapshot.index || i > this.lastIndex()) return undefined;
    return this.entries[i - this.snapshot.index - 1];
  }

  matchTerm(i: number, term: number): boolean {
    return this.term(i) === term;
  }

  /** §5.4.1: is a log ending at (lastIndex, lastTerm) at least as up-to-date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * The index of the first entry of `ents` that is missing or has a different term here, or 0 if
   * all are present. Entries below our snapshot are committed, hence present.
   */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (e.index <= this.snapshot.index) continue;
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * Fast backtracking: the largest index <= `index` whose term is <= `term` (all entries from there
   * down to the match point can be skipped in one round trip). Returns [index, termAtIndex]; the
   * term is 0 when the index is compacted.
   */
  findConflictByTerm(index: number, term: number): [number, number] {
    for (let i = index; i > 0; i--) {
      const t = this.term(i);
      // Compacted or beyond the end: we cannot tell, so assume it may match (etcd does the same).
      if (t === undefined) return [i, 0];
      if (t <= term) return [i, t];
    }
    return [0, 0];
  }

  /**
   * Appends `ents` (contiguous), overwriting any conflicting suffix. Returns the last index.
   * Asserts that committed entries are never overwritten.
   */
  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const first = (ents[0] as Entry).index;
    // Each check's message is built only when it fails: a template per check per entry was a
    // share of a loaded run's allocations (every follower appends every entry).
    if (first <= this.committed) assert(false, `log: overwriting committed entry ${first} (commit ${this.committed})`);
    if (first > this.lastIndex() + 1) assert(false, `log: gap appending ${first} after ${this.lastIndex()}`);
    if (first <= this.snapshot.index) assert(false, `log: append ${first} below snapshot ${this.snapshot.index}`);
    if (first <= this.lastIndex()) {
      // Overwrite: drop the suffix. If part of it was already handed to the host, say so.
      if (first < this.unstableFrom) {
        this.truncatedFrom = this.truncatedFrom === null ? first : Math.min(this.truncatedFrom, first);
      }
      this.entries.length = first - this.snapshot.index - 1;
    }
    for (const e of ents) {
      if (e.index !== this.lastIndex() + 1) assert(false, `log: non-contiguous entry ${e.index}`);
      if (e.term < this.lastTerm()) assert(false, `log: entry ${e.index} term ${e.term} below previous ${this.lastTerm()}`);
      this.entries.push(e);
    }
    this.unstableFrom = Math.min(this.unstableFrom, first);
    return this.lastIndex();
  }

  /** Entries in [lo, hi) limited to `maxEntries` and `maxBytes` (at least one entry if any). */
  slice(lo: number, hi: number, maxEntries: number, maxBytes: number): Entry[] | undefined {
    if (lo <= this.snapshot.index) return undefined;
    hi = Math.min(hi, this.lastIndex() + 1, lo + maxEntries);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.entries[i - this.snapshot.index - 1] as Entry;
      bytes += dataBytes(e.data);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** Raises the commit index. Never lowers it; asserts it stays within the log. */
  commitTo(i: number): boolean {
    if (i <= this.committed) return false;
    if (i > this.lastIndex()) assert(false, `log: commit ${i} beyond last index ${this.lastIndex()} (entries acknowledged but lost?)`);
    this.committed = i;
    return true;
  }

  /** Replaces the whole log by a snapshot from the leader (the log did not contain its last entry). */
  restore(s: Snapshot): void {
    assert(s.index > this.committed, `log: restoring snapshot ${s.index} at or below commit ${this.committed}`);
    this.snapshot = s;
    this.entries = [];
    this.committed = s.index;
    this.applied = s.index;
    this.unstableFrom = s.index + 1;
    this.truncatedFrom = null; // the snapshot tells the host to drop the whole log anyway
    this.pendingSnapshot = s;
  }

  /** Local compaction: everything up to `index` (applied) is now covered by a snapshot with `data`. */
  compact(index: number, data: EntryData): Snapshot {
    assert(index <= this.applied, `log: compacting ${index} beyond applied ${this.applied}`);
    assert(index < this.unstableFrom, `log: compacting ${index}, not yet persisted`);
    assert(index > this.snapshot.index, `log: compacting ${index}, already at snapshot ${this.snapshot.index}`);
    const term = this.term(index) as number;
    this.entries = this.entries.slice(index - this.snapshot.index);
    this.snapshot = { index, term, data };
    return this.snapshot;
  }

  /** Hands the entries not yet persisted to the host. */
  takeUnstable(): Entry[] {
    const from = Math.max(this.unstableFrom, this.firstIndex());
    const out = this.entries.slice(from - this.snapshot.index - 1);
    this.unstableFrom = this.lastIndex() + 1;
    return out;
  }

  hasUnstable(): boolean {
    return this.unstableFrom <= this.lastIndex() || this.truncatedFrom !== null || this.pendingSnapshot !== null;
  }

  /** Committed entries not yet handed to the host for applying. */
  nextCommitted(): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    if (lo > this.committed) return [];
    return this.entries.slice(lo - this.snapshot.index - 1, this.committed - this.snapshot.index);
  }
}
