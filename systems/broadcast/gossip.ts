/**
 * A gossip broadcast node, as in Maelstrom's broadcast workload. A client hands a value to any
 * node; the node makes it durable, pushes it to its peers, and acknowledges it once enough nodes
 * hold it on disk (`ackCopies`, by default a majority: this node's fsync and the peers' `gossip_ok`
 * answers, each sent after the peer's own fsync). An acknowledgement after this node's fsync alone
 * lost the value for good when this node was cut off and its record of it later read back corrupt
 * (a single copy of the truth); with a majority, every copy must be lost first. Periodic
 * anti-entropy with one random peer repairs what loss, partitions and crashes took, so after the
 * faults stop every node ends with every acknowledged value.
 *
 * Anti-entropy is delta-based, so a round costs what changed, not the whole set (sending and
 * sorting the whole set made a 1,000 s run cost 70x a 100 s one). Each node numbers the values it
 * delivered (`delivered`, append-only within an incarnation) and remembers, per peer, how many of
 * them that peer confirmed holding durably (`confirmed`). A round sends only the values past that
 * mark; the peer merges them, fsyncs, and answers `sync_ok` with the new mark. The marks are
 * tagged with the peer's incarnation, a random id kept on disk that changes only when a recovery
 * may have lost values (a record newly corrupt since the id was chosen, an unreadable id, or
 * none): a restart that loses nothing new keeps its id and its peers' marks stay valid. A sync naming an incarnation
 * the peer does not have gets `sync_ok` with mark 0, the new id and a summary: the bitmap pages of values
 * the peer holds (a bit a value), and the sender, comparing them with its own pages, sends only
 * what the summary does not list, so a recovery that lost a few values gets back those few, not
 * the whole set. A node that hears from a peer's new incarnation drops its mark about the old one
 * and asks again. Every sync is a slice of at most MAX_SYNC_VALUES values, the next sent as soon as
 * the previous is confirmed, so no message or queue ever holds the whole set. Only the durable prefix of the numbering is ever sent, and values are appended in
 * delivery order, so a restart without loss keeps the numbering: the receiver keeps its own copy
 * of the mark (`have`), and a sender that restarted (its marks were in memory) first asks each
 * peer for it with an empty sync instead of resending everything. The receiver saves its `have`
 * marks on disk too (as of its last fsync), each with the length of its value file it held them
 * in, so a pair whose both ends restarted still has a mark; a recovery that lost records keeps
 * only the marks over records that lost nothing (it rewinds to them), and its peers resend what
 * came in since instead of scanning their whole numbering against a summary.
 *
 * A restart rebuilds the set and the numbering from a checkpoint of them and the value-file
 * records past it (`recoverValues`), to exactly what the whole file gives: a long run's node
 * restarts every few seconds, and reading the whole file each time made the run's cost grow as
 * restarts x values.
 *
 * The protocol logic is the pure `GossipState`; `gossipNode` is the glue that owns disk and network.
 */
import type { Envelope, NodeContext, NodeId, NodeProgram } from '../../sim/node.ts';
import { sec, type Nanos } from '../../sim/time.ts';
import { assert } from '../../sim/assert.ts';
import type { Disk } from '../../sim/disk/disk.ts';
import { NumberChecksum, NumberList, type NumberListImage } from './number-list.ts';
import { inPageSummary, NumberSet, removeFromPageSummary, type NumberSetImage } from './number-set.ts';

export type GossipMessage =
  | { type: 'broadcast'; value: number }
  | { type: 'broadcast_ok' }
  /** Pushed values; `ack`: the sender waits for `gossip_ok` (once they are on this node's disk) to acknowledge a client. */
  | { type: 'gossip'; values: number[]; ack: boolean }
  /** The values of an `ack` gossip are on the sender's disk. */
  | { type: 'gossip_ok'; values: number[] }
  /**
   * Values of the sender's numbering from `from` up to `upTo`, for the peer's incarnation `inc`:
   * all of them, or (`filtered`) those the peer's summary did not list. At most MAX_SYNC_VALUES
   * values; `more`: the slice was cut there and the next one follows the answer.
   */
  | { type: 'sync'; values: number[]; from: number; upTo: number; inc: number; senderInc: number; probe: boolean; reply: boolean; filtered: boolean; more: boolean }
  /**
   * The peer (incarnation `inc`) durably holds the values below `upTo` of the sender's incarnation
   * `forInc`. With no mark (`upTo` 0), `summary` lists the values it holds durably as bitmap
   * pages (`[page, 8 words, page, ...]`: NumberSet.pageSummary; at most MAX_SUMMARY_NUMBERS
   * numbers), so the sender sends only the rest.
   */
  | { type: 'sync_ok'; upTo: number; inc: number; forInc: number; probe: boolean; more: boolean; summary: number[] | null };

/**
 * The most values a sync carries (and numbers a summary carries): a resync of a large set goes in
 * slices, each confirmed before the next, so no message or queue ever holds the whole set.
 */
export const MAX_SYNC_VALUES = 1024;

/**
 * The most numbers a summary carries: 7,281 pages of 256 values (SUMMARY_PAGE_NUMBERS numbers
 * each), 1.8 million values. A summary used to list runs of values and was cut at
 * MAX_SYNC_VALUES numbers; but the runs are split by every value no node ever delivered (a
 * client's call lost on the way), 4,300 runs on average at 10,000 simulated s, so a long run's
 * summary listed only its first values and each peer resent nearly its whole set above the cut
 * (23.6 million values resent in a 10,000 s run, 155,000 of them new). Pages grow with the values
 * held, not with the gaps. Past this cut, resends come back.
 */
export const MAX_SUMMARY_NUMBERS = 64 * 1024;
/** Numbers a summary spends on each page: its number and its 8 words. */
const SUMMARY_PAGE_NUMBERS = 9;

/** Known-broken variants, for the bug zoo. */
export type GossipBug = 'none' | 'drop-gossip' | 'phantom' | 'never-accepts' | 'early-ack' | 'confirm-before-fsync' | 'pull-to-self' | 'sync-when-caught-up' | 'answer-answers' | 'resend-listed';

export interface GossipOptions {
  peers: NodeId[];
  antiEntropyNs: Nanos;
  /** Only the node named here misbehaves, so the bug is one node's, as in real incidents. */
  bug: GossipBug;
  buggyNode: NodeId;
  /**
   * Nodes that must hold a broadcast value on disk (this one included) before it is acknowledged;
   * default a majority of the nodes (peers + 1). 1 acknowledges after this node's own fsync.
   */
  ackCopies?: number;
  /** How long a value waits for its copies before it is given up (the client then times out). Default 5 s. */
  ackWaitNs?: Nanos;
}

/** The pure protocol state: which values this node has delivered. */
export class GossipState {
  seen = new NumberSet();
  /** Every value in the order this node delivered it: lets checkers look only at what is new. */
  delivered = new NumberList();
  /**
   * What recovery read: the value file's first `records` records, whose readable values are
   * delivered[0 .. checksum.count), with that prefix's checksum. A checker that already read those
   * records compares checksums instead of reading the prefix again (the disk vouches for it).
   */
  recovered: { records: number; checksum: NumberChecksum } | null = null;

  /** Adds values; returns the ones that were new (to persist and forward). */
  add(values: readonly number[]): number[] {
    const fresh: number[] = [];
    for (const v of values) {
      if (this.seen.add(v)) {
        this.delivered.push(v);
        fresh.push(v);
      }
    }
    return fresh;
  }

  /**
   * Adds one record read back at recovery (null: corrupt, skipped), filling both structures in one
   * pass (a long run's node restarts often: from a checkpoint and the records past it, see
   * `recoverValues`, or from its whole file).
   */
  restoreOne(v: number | null): void {
    if (v !== null && this.seen.add(v)) this.delivered.push(v);
  }

  /**
   * A checkpoint of this state, which must be exactly what the value file's first `records`
   * records give (`restoreOne` on each, from an empty state), `corruptBelow` of them corrupt.
   */
  checkpoint(records: number, corruptBelow: number): ValueCheckpoint {
    return { records, corruptBelow, list: this.delivered.image(), set: this.seen.image() };
  }

  /** The state a checkpoint saved (its `recovered` not set). */
  static fromCheckpoint(c: ValueCheckpoint): GossipState {
    const s = new GossipState();
    s.seen = NumberSet.fromImage(c.set);
    s.delivered = NumberList.fromImage(c.list);
    return s;
  }

  /** Values, sorted (for tests and reports; messages use `delivered`, already deterministic). */
  values(): number[] {
    return this.delivered.slice(0).sort((a, b) => a - b);
  }
}

/**
 * What the value file's first `records` records give, as plain data: the set and the list a
 * recovery builds from them (`corruptBelow` of them read back corrupt when it was taken). A
 * restart whose file still has exactly that many corrupt records below `records` (corrupt records
 * stay corrupt: the same count is the same records) copies the set and list back and reads only
 * the records past them; one that lost more there rebuilds from the whole file, as without it.
 */
export interface ValueCheckpoint {
  records: number;
  corruptBelow: number;
  list: NumberListImage;
  set: NumberSetImage;
}

/** A checkpoint read back, or null if the record is not one (corrupt records read back null). */
function asCheckpoint(r: unknown): ValueCheckpoint | null {
  if (r === null || typeof r !== 'object') return null;
  const c = r as Partial<ValueCheckpoint>;
  if (typeof c.records !== 'number' || typeof c.corruptBelow !== 'number' || typeof c.list !== 'object' || typeof c.set !== 'object') return null;
  return c as ValueCheckpoint;
}

/**
 * Rebuilds a node's values from its disk: from the checkpoint and the value file's records past
 * it when the checkpoint still holds, else from the whole file. Either way the state is exactly
 * what reading the whole file gives (`restoreOne` on every record, in order): the checkpoint is
 * only a faster way to the same set and list, so the numbering, the incarnation and the checks
 * that trust a recovered prefix are those of a full read. Returns the file's record count and its
 * corrupt records (all of them), as `Disk.scanForRecovery` does, and the records the checkpoint
 * covered (0: none). Throws DiskReadFailed as a recovery read does.
 *
 * Having read `checkpointStep` records or more one by one, it writes a new checkpoint of what it
 * rebuilt (durable with the next fsync): that is the moment the state is known to be exactly the
 * file's (a value written later may read back corrupt without the node knowing).
 */
export function recoverValues(disk: Disk, checkpointStep = CHECKPOINT_STEP): { state: GossipState; count: number; corrupt: number[]; fromRecord: number } {
  const r = rebuildValues(disk);
  if (r.count - r.fromRecord >= checkpointStep) disk.put(CHECKPOINT_FILE, [r.state.checkpoint(r.count, r.corrupt.length)]);
  return r;
}

function rebuildValues(disk: Disk): { state: GossipState; count: number; corrupt: number[]; fromRecord: number } {
  const ck = asCheckpoint(disk.readForRecovery(CHECKPOINT_FILE).records[0] ?? null);
  if (ck !== null) {
    const state = GossipState.fromCheckpoint(ck);
    const read = disk.scanForRecovery<number>(FILE, (v) => state.restoreOne(v), 3, ck.records);
    if (read.count >= ck.records && countBelow(read.corrupt, ck.records) === ck.corruptBelow) return { state, ...read, fromRecord: ck.records };
    // A record under the checkpoint reads back corrupt now (or the file is shorter): what the
    // checkpoint holds is no longer what the file gives, so read the file whole.
  }
  const state = new GossipState();
  const read = disk.scanForRecovery<number>(FILE, (v) => state.restoreOne(v));
  return { state, ...read, fromRecord: 0 };
}

/** A peer's confirmed mark: it durably holds delivered[0 .. upTo) in its incarnation `inc`. */
interface Confirmed {
  inc: number;
  upTo: number;
  /** The values it said it holds durably in `inc`, as a page summary (while its mark is behind): not resent. */
  summary: number[] | null;
}

/** Have-marks kept by a receiver: no summary (only the sender side filters). */
interface Have {
  inc: number;
  upTo: number;
}

export interface GossipProgram extends NodeProgram {
  state: GossipState;
  /** This run's incarnation id: the numbering of `state.delivered` that peers' marks are about (for checkers). */
  readonly incarnation: number;
}

const FILE = 'seen';
/** The file of a node's values, one record each in delivery order (for checkers that follow it). */
export const GOSSIP_FILE = FILE;
const INC_FILE = 'incarnation';
/** The have-marks about peers, as `SavedMark` records (rewritten whole: a few per peer). */
const MARKS_FILE = 'marks';
/** The value checkpoint (`ValueCheckpoint`, one record, rewritten whole). */
export const CHECKPOINT_FILE = 'checkpoint';
/**
 * A recovery that read this many records past its checkpoint writes a new one (durable with the
 * next fsync): a restart then reads at most about this many records one by one, plus what came
 * since, and copies the rest back in bulk. Each checkpoint copies the whole set and list, so a
 * much smaller step would cost more in writes than it saves in reads.
 */
export const CHECKPOINT_STEP = 256;
/** Marks kept on disk per peer: older ones are what a recovery rewinds to after a recent loss. */
const SAVED_MARKS_PER_PEER = 4;
/**
 * A mark is saved again once it moved this far (values of the peer's numbering, or records of
 * ours): a saved mark that lags costs at most this many values resent after a restart, and saving
 * at every sync was 9% of a 100 s run.
 */
export const MARK_SAVE_STEP = 32;

/**
 * A have-mark as kept on disk: `[peer, peer's incarnation, upTo, records, corruptBelow]`: this
 * node held the peer's numbering below `upTo` in the first `records` records of its value file,
 * of which `corruptBelow` read back corrupt when it held them. The mark still holds after a
 * restart if no more of those records read back corrupt now (a loss among them could be one of
 * the peer's values); else an older mark, or none.
 */
export type SavedMark = [peer: NodeId, inc: number, upTo: number, records: number, corruptBelow: number];

/**
 * The marks a recovery may keep, per peer the newest whose records did not lose any more to
 * corruption (`corrupt`: the value file's corrupt record indices now, sorted). A corrupt or
 * malformed record is skipped: with no mark, the peer's syncs fall back to a summary.
 */
export function keptMarks(saved: readonly unknown[], corrupt: readonly number[]): Map<NodeId, SavedMark[]> {
  const out = new Map<NodeId, SavedMark[]>();
  for (const r of saved) {
    if (!Array.isArray(r) || r.length !== 5 || typeof r[0] !== 'string' || !r.slice(1).every((x) => typeof x === 'number')) continue;
    const m = r as SavedMark;
    // Corrupt records stay corrupt (the value file is append-only), so the same count below
    // `records` means the same records: nothing lost under the mark since it was saved.
    if (countBelow(corrupt, m[3]) !== m[4]) continue;
    const list = out.get(m[0]) ?? [];
    list.push(m);
    out.set(m[0], list);
  }
  // Oldest first, the order they are saved in.
  for (const list of out.values()) list.sort((a, b) => a[3] - b[3] || a[2] - b[2]);
  return out;
}

/**
 * How many of the sorted numbers `sorted` are below `x` (binary search: a long run's value file
 * has thousands of corrupt records, and every restart asks this for each saved mark).
 */
function countBelow(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The incarnation id a recovery may keep: the one on disk, if its record reads back whole and the
 * value file's corrupt records (`corrupt`, indices) are exactly those it was chosen with (the
 * incarnation file: `[id, ...corrupt indices]`); else null (a new one must be drawn).
 */
export function keptIncarnation(records: readonly (number | null)[], corruptRecords: number, corrupt: readonly number[]): number | null {
  if (corruptRecords > 0 || records.length !== corrupt.length + 1) return null;
  const id = records[0];
  if (typeof id !== 'number') return null;
  for (let i = 0; i < corrupt.length; i++) if (records[i + 1] !== corrupt[i]) return null;
  return id;
}

export function gossipNode(ctx: NodeContext, opts: GossipOptions): GossipProgram {
  const confirmed = new Map<NodeId, Confirmed>();
  /** Per peer (and its incarnation): how much of that peer's numbering we durably hold. */
  const have = new Map<NodeId, Have>();
  const buggy = opts.bug !== 'none' && ctx.id === opts.buggyNode;
  // Recover: every value ever made durable. A torn last record reads back corrupt: it was never
  // acknowledged (we ack after fsync), so skipping it is correct.
  // A read that keeps failing throws DiskReadFailed: the node fail-stops rather than start empty.
  // A long run's node restarts every few seconds, so the set and list come back from a
  // checkpoint and only the records past it are read one by one (reading the whole file each
  // time made a run's cost grow as restarts x values).
  const read = recoverValues(ctx.disk);
  const state = read.state;
  // Records in the value file, corrupt ones included (a saved mark names a prefix of them).
  let records = read.count;
  state.recovered = { records, checksum: state.delivered.checksum.copy() };
  ctx.log('recover', `${state.seen.size} value(s) from disk, ${read.corrupt.length} corrupt, ${records - read.fromRecord} record(s) past the checkpoint`);
  // The incarnation id: kept while recovery loses nothing new, else a new one (see the file
  // comment). The file holds the id, then the indices of the value file's corrupt records when it
  // was chosen: those losses are this incarnation's starting point (its numbering skips them), so
  // a later restart that finds exactly those corrupt records lost nothing since. Corrupt records
  // stay corrupt and the value file is append-only, so without the list every restart after one
  // torn write drew a new id, and every peer scanned its whole numbering against the node's
  // summary again (a third of a 1,000 s run's restarts; cost growing as T²).
  const incRead = ctx.disk.readForRecovery<number>(INC_FILE);
  const kept = keptIncarnation(incRead.records, incRead.corrupt.length, read.corrupt);
  const incarnation = kept ?? ctx.rng.int(1, 0x7fffffff);
  // Not yet durable: a peer must not hear it before it is (a crash now would draw another).
  let incDurable = incarnation === kept;
  if (!incDurable) {
    ctx.disk.put(INC_FILE, [incarnation, ...read.corrupt]);
    ctx.disk.fsync((err) => {
      if (err !== null) ctx.failStop(`fsync ${err}`);
      else incDurable = true;
    });
  }

  // The have-marks saved before the restart that this recovery lost nothing under: with them a
  // peer that restarted too resends only what came in since, not everything its summary of us
  // does not list (most summaries of a long run came from both ends of a pair having restarted).
  const marksRead = ctx.disk.readForRecovery<SavedMark>(MARKS_FILE);
  const savedMarks = keptMarks(marksRead.records, read.corrupt);
  for (const [peer, list] of savedMarks) {
    const newest = list[list.length - 1]!;
    have.set(peer, { inc: newest[1], upTo: newest[2] });
  }
  /** Saves `peer`'s have-mark, held in the first `held` records (durable with the next fsync). */
  const saveMark = (peer: NodeId, h: Have, held: number): void => {
    const list = savedMarks.get(peer) ?? [];
    const last = list[list.length - 1];
    if (last !== undefined && last[1] === h.inc && h.upTo - last[2] < MARK_SAVE_STEP && held - last[3] < MARK_SAVE_STEP) return;
    const m: SavedMark = [peer, h.inc, h.upTo, held, read.corrupt.length];
    // A newer mark over the same records replaces the last; else the oldest goes.
    if (last !== undefined && last[3] === held && last[1] === h.inc) list[list.length - 1] = m;
    else {
      list.push(m);
      if (list.length > SAVED_MARKS_PER_PEER) list.shift();
    }
    savedMarks.set(peer, list);
    const all: SavedMark[] = [];
    for (const p of [...savedMarks.keys()].sort()) all.push(...savedMarks.get(p)!);
    ctx.disk.put(MARKS_FILE, all);
  };

  /**
   * delivered[0 .. durableCount) is on disk, in this order: every value is appended as it is
   * delivered, so after a restart without loss the numbering of that prefix is the same, and
   * marks about it (ours and our peers') stay valid. Syncs send only this prefix.
   */
  let durableCount = state.delivered.length;
  /** Persists in flight: with none, everything in `seen` is durable (recovered or fsynced). */
  let inFlight = 0;
  /** `then(held)`: once the writes are durable; everything seen is in the first `held` records. */
  const persist = (fresh: number[], then: (held: number) => void): void => {
    if (fresh.length === 0 && inFlight === 0) {
      then(records);
      return;
    }
    for (const v of fresh) ctx.disk.append(FILE, v);
    records += fresh.length;
    const held = records;
    const mark = state.delivered.length;
    inFlight++;
    ctx.disk.fsync((err) => {
      inFlight--;
      if (err === null && mark > durableCount) durableCount = mark;
      if (err === null) then(held);
      // On a failed fsync the values are not durable, but memory says they were seen: a retry
      // would be acknowledged with nothing on disk. Fail-stop and recover from the disk instead
      // (PostgreSQL and etcd after fsyncgate); the client retries.
      else ctx.failStop(`fsync ${err}`);
    });
  };

  const pushToPeers = (values: number[], ack: boolean): void => {
    if (ctx.buggify('broadcast.skip_push')) return; // anti-entropy must cover a skipped push
    for (const p of opts.peers) ctx.send(p, { type: 'gossip', values, ack } satisfies GossipMessage);
  };

  /** Copies on disk a broadcast needs before it is acknowledged (this node's included). */
  const copiesNeeded = Math.min(opts.peers.length + 1, Math.max(1, opts.ackCopies ?? Math.floor((opts.peers.length + 1) / 2) + 1));
  /**
   * Broadcasts on our disk waiting for peers' copies: the clients' requests to answer, and the
   * peers that confirmed. In memory only: a crash drops them and the clients time out (the values
   * are not acknowledged, so nothing is promised about them).
   */
  const awaiting = new Map<number, { requests: Envelope[]; copies: Set<NodeId>; at: number }>();
  /** Counts `peer`'s copy of the value `v`; acknowledges it once it has enough. */
  const copied = (v: number, peer: NodeId): void => {
    const a = awaiting.get(v);
    if (a === undefined || !opts.peers.includes(peer)) return;
    a.copies.add(peer);
    if (a.copies.size + 1 < copiesNeeded) return;
    awaiting.delete(v);
    for (const r of a.requests) ctx.reply(r, { type: 'broadcast_ok' } satisfies GossipMessage);
  };
  const ackWaitNs = opts.ackWaitNs ?? sec(5);

  /**
   * Sends `peer` what it lacks of our durable prefix, a slice of at most MAX_SYNC_VALUES values.
   * No mark yet (we restarted): ask how much it holds first (an empty sync: its answer brings the
   * data at once) rather than send everything. A peer that sent a summary (it had no mark: a new
   * incarnation, or both ends restarted) gets only the values the summary does not list, so a
   * recovery that lost a few values gets back those few. Nothing new for a peer that confirmed
   * everything: no message. `reply`: this answers the peer's own sync (push-pull, or the next
   * slice), so it must not answer back.
   */
  const syncTo = (peer: NodeId, reply: boolean): void => {
    const c = confirmed.get(peer);
    if (c === undefined) {
      ctx.send(peer, { type: 'sync', values: [], from: 0, upTo: 0, inc: 0, senderInc: incarnation, probe: true, reply, filtered: false, more: false } satisfies GossipMessage);
      return;
    }
    // BUG (sync-when-caught-up): n1 syncs a peer that confirmed everything, every round.
    if (c.upTo >= durableCount && !(buggy && opts.bug === 'sync-when-caught-up')) return;
    let values: number[];
    let upTo: number;
    let missing: number[] | null = null;
    if (c.summary === null) {
      upTo = Math.min(durableCount, c.upTo + MAX_SYNC_VALUES);
      values = state.delivered.slice(c.upTo, upTo);
    } else if (c.upTo === 0 && !(buggy && opts.bug === 'resend-listed') && (missing = missingDurable(c.summary)) !== null) {
      // The whole numbering against the summary, by pages (a few values, whatever the set's size).
      values = missing;
      upTo = durableCount;
    } else {
      values = [];
      upTo = c.upTo;
      while (upTo < durableCount && values.length < MAX_SYNC_VALUES) {
        const v = state.delivered.get(upTo++);
        // BUG (resend-listed): n1 sends every value of the slice, the summary's listed ones too.
        if ((buggy && opts.bug === 'resend-listed') || !inPageSummary(c.summary, v)) values.push(v);
      }
    }
    assert(values.length <= MAX_SYNC_VALUES, 'a sync slice carries at most MAX_SYNC_VALUES values');
    const more = upTo < durableCount;
    ctx.send(peer, { type: 'sync', values, from: c.upTo, upTo, inc: c.inc, senderInc: incarnation, probe: false, reply, filtered: c.summary !== null, more } satisfies GossipMessage);
  };

  /**
   * The durable values that the page summary `summary` does not list (at most MAX_SYNC_VALUES), found
   * page by page; null if there are more (the numbering is then sent in slices against the
   * summary). Values still being persisted are left out: a sync sends only the durable prefix.
   */
  const missingDurable = (summary: readonly number[]): number[] | null => {
    const pending = state.delivered.length - durableCount;
    const all = state.seen.missingFrom(summary, MAX_SYNC_VALUES + pending);
    if (all === null || pending === 0) return all;
    // A NumberSet, not a Set: a Set takes -0 for 0, and a value left out here is one the sync
    // says the peer holds.
    const tail = new NumberSet();
    for (let i = durableCount; i < state.delivered.length; i++) tail.add(state.delivered.get(i));
    const out = all.filter((v) => !tail.has(v));
    return out.length <= MAX_SYNC_VALUES ? out : null;
  };

  /**
   * The values this node holds durably (all it has seen but the ones still being persisted), as
   * bitmap pages (`NumberSet.pageSummary`), at most MAX_SUMMARY_NUMBERS numbers: a prefix of the
   * pages still lists only values held, so a cut summary costs resent values, never a lost one.
   */
  const summary = (): number[] => {
    const pages = state.seen.pageSummary();
    for (let i = durableCount; i < state.delivered.length; i++) removeFromPageSummary(pages, state.delivered.get(i));
    if (pages.length > MAX_SUMMARY_NUMBERS) pages.length = MAX_SUMMARY_NUMBERS - (MAX_SUMMARY_NUMBERS % SUMMARY_PAGE_NUMBERS);
    return pages;
  };

  const antiEntropy = (): void => {
    if (opts.peers.length > 0) {
      const peer = ctx.rng.pick(opts.peers);
      syncTo(peer, false);
      ctx.milestone('sync-round', `anti-entropy with ${peer}`);
    }
    ctx.setTimer(opts.antiEntropyNs, antiEntropy);
  };
  ctx.setTimer(ctx.rng.int(0, opts.antiEntropyNs), antiEntropy);

  return {
    state,
    incarnation,
    onMessage(env) {
      const m = env.body as GossipMessage;
      switch (m.type) {
        case 'broadcast': {
          // BUG (never-accepts): a dead broadcast: every node ignores its clients.
          if (opts.bug === 'never-accepts') return;
          const fresh = state.add([m.value]);
          // Where the value sits in our numbering (a value seen before: not known here, -1).
          const at = fresh.length > 0 ? state.delivered.length - fresh.length : -1;
          // BUG (phantom): invents a value next to the real one (and keeps it like any other).
          if (buggy && opts.bug === 'phantom') fresh.push(...state.add([-m.value]));
          persist(fresh, () => {
            // BUG (early-ack): n1 acknowledges after its own fsync, whatever ackCopies asks.
            if (copiesNeeded <= 1 || (buggy && opts.bug === 'early-ack')) {
              ctx.reply(env, { type: 'broadcast_ok' } satisfies GossipMessage);
              if (fresh.length > 0) pushToPeers(fresh, false);
              return;
            }
            // Acknowledged once enough peers hold it too (a value seen before, e.g. a client's
            // retry, is pushed again: whether enough peers hold it is not known here).
            let a = awaiting.get(m.value);
            if (a === undefined) {
              const entry = { requests: [] as Envelope[], copies: new Set<NodeId>(), at };
              awaiting.set(m.value, (a = entry));
              ctx.setTimer(ackWaitNs, () => {
                if (awaiting.get(m.value) === entry) awaiting.delete(m.value);
              });
            }
            a.requests.push(env);
            pushToPeers(fresh.includes(m.value) ? fresh : [m.value, ...fresh], true);
          });
          return;
        }
        case 'gossip': {
          if (buggy && opts.bug === 'drop-gossip') return;
          const fresh = state.add(m.values);
          // BUG (confirm-before-fsync): n1 confirms the copies as the values arrive, fsync pending.
          if (m.ack && buggy && opts.bug === 'confirm-before-fsync') {
            ctx.send(env.from, { type: 'gossip_ok', values: m.values } satisfies GossipMessage);
            persist(fresh, () => {});
            return;
          }
          // Confirm only once everything merged is durable (the fsync covers earlier writes too).
          if (m.ack) persist(fresh, () => ctx.send(env.from, { type: 'gossip_ok', values: m.values } satisfies GossipMessage));
          else if (fresh.length > 0) persist(fresh, () => {});
          return;
        }
        case 'gossip_ok': {
          for (const v of m.values) copied(v, env.from);
          return;
        }
        case 'sync': {
          if (buggy && opts.bug === 'drop-gossip') return;
          // Our mark about the sender is for another incarnation of it (it recovered with a loss):
          // drop it, so the next sync asks what it holds instead of trusting a mark it lost.
          const c = confirmed.get(env.from);
          if (c !== undefined && c.inc !== m.senderInc) confirmed.delete(env.from);
          const h = have.get(env.from);
          let known = h !== undefined && h.inc === m.senderInc ? h.upTo : 0;
          const fresh = state.add(m.values);
          // We now hold the sender's values below `upTo` if we held those below `from`: we know
          // it ourselves (`known`), or the sender heard it from this incarnation of ours (m.inc:
          // another incarnation may have lost some at recovery).
          // A filtered sync left out what our summary listed: only the incarnation that sent that
          // summary holds it.
          if (incDurable && (m.inc === incarnation || (!m.filtered && (m.from === 0 || m.from <= known)))) known = Math.max(known, m.upTo);
          // Confirm only once everything merged is durable (the fsync covers earlier writes too).
          persist(fresh, (held) => {
            const cur = have.get(env.from);
            if (cur === undefined || cur.inc !== m.senderInc) have.set(env.from, { inc: m.senderInc, upTo: known });
            else if (known > cur.upTo) cur.upTo = known;
            const h = have.get(env.from)!;
            const upTo = h.upTo;
            if (upTo > 0 && opts.peers.includes(env.from)) saveMark(env.from, h, held);
            // No mark: say what we hold, so the sender sends only the rest (not valid before our
            // incarnation is durable: a crash now could bring back an older one).
            const runs = upTo === 0 && incDurable && durableCount > 0 ? summary() : null;
            ctx.send(env.from, { type: 'sync_ok', upTo, inc: incarnation, forInc: m.senderInc, probe: m.probe, more: m.more, summary: runs } satisfies GossipMessage);
          });
          // Push-pull: the sender may lack some of ours too.
          // BUG (pull-to-self): n1 addresses the pull to itself.
          // BUG (answer-answers): n1 answers a peer's answer too (the two bounce syncs until marks catch up).
          if ((!m.reply || (buggy && opts.bug === 'answer-answers')) && opts.peers.includes(env.from)) syncTo(buggy && opts.bug === 'pull-to-self' ? ctx.id : env.from, true);
          return;
        }
        case 'sync_ok': {
          if (m.forInc !== incarnation) return; // about an earlier incarnation's numbering
          let c = confirmed.get(env.from);
          const before = c !== undefined && c.inc === m.inc ? c.upTo : -1;
          if (c === undefined || c.inc !== m.inc) confirmed.set(env.from, (c = { inc: m.inc, upTo: Math.min(m.upTo, durableCount), summary: m.summary }));
          else {
            c.upTo = Math.max(c.upTo, Math.min(m.upTo, durableCount));
            if (m.summary !== null) c.summary = m.summary;
          }
          if (c.upTo >= durableCount) c.summary = null; // caught up: the next syncs carry only what is new
          // The peer holds our numbering below its mark on disk: values waiting for copies there
          // have one (a push can be lost; anti-entropy still brings the copy, and the ack).
          if (c.upTo > before && awaiting.size > 0) for (const [v, a] of [...awaiting]) if (a.at >= 0 && a.at < c.upTo) copied(v, env.from);
          // The answer to a probe or with a summary: send what the peer lacks now, not a round
          // later; after a slice that was cut, the next slice (while the mark moves).
          if (m.probe || m.summary !== null || (m.more && c.upTo > before)) syncTo(env.from, true);
          return;
        }
        case 'broadcast_ok':
          return;
      }
    },
  };
}
