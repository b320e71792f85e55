/**
 * A gossip broadcast node, as in Maelstrom's broadcast workload. A client hands a value to any
 * node; the node makes it durable, acknowledges it, and pushes it to its peers. Periodic
 * anti-entropy with one random peer repairs what loss, partitions and crashes took, so after the
 * faults stop every node ends with every acknowledged value.
 *
 * Anti-entropy is delta-based, so a round costs what changed, not the whole set (sending and
 * sorting the whole set made a 1,000 s run cost 70x a 100 s one). Each node numbers the values it
 * delivered (`delivered`, append-only within an incarnation) and remembers, per peer, how many of
 * them that peer confirmed holding durably (`confirmed`). A round sends only the values past that
 * mark; the peer merges them, fsyncs, and answers `sync_ok` with the new mark. The marks are
 * tagged with the peer's incarnation, a random id kept on disk that changes only when a recovery
 * may have lost values (a record newly corrupt since the id was chosen, an unreadable id, or none):
 * a restart that loses nothing new keeps its id and its peers' marks stay valid. A sync naming an incarnation
 * the peer does not have gets `sync_ok` with mark 0, the new id and a summary: the runs of values
 * the peer holds (client values are dense runs, so a few numbers), and the sender then sends only
 * what the summary does not list, so a recovery that lost a few values gets back those few, not
 * the whole set. A node that hears from a peer's new incarnation drops its mark about the old one
 * and asks again. Every sync is a slice of at most MAX_SYNC_VALUES values, the next sent as soon as
 * the previous is confirmed, so no message or queue ever holds the whole set. Only the durable prefix of the numbering is ever sent, and values are appended in
 * delivery order, so a restart without loss keeps the numbering: the receiver keeps its own copy
 * of the mark (`have`, written to disk too: valid while its incarnation is), and a sender that
 * restarted (its marks were in memory) first asks each peer for it with an empty sync instead of
 * resending everything. A restart reads its set from a checkpoint (the set as runs, written every
 * CHECKPOINT_EVERY values, trusted only by the incarnation that wrote it) plus the values past it,
 * so a restart does not rebuild a long run's set a value at a time. Each of these keeps a restart's
 * cost to what it lost: restarts come at a steady rate, so a cost in the values held made a run
 * 10x longer cost about 40x.
 *
 * The protocol logic is the pure `GossipState`; `gossipNode` is the glue that owns disk and network.
 */
import type { NodeContext, NodeId, NodeProgram } from '../../sim/node.ts';
import type { Nanos } from '../../sim/time.ts';
import { assert } from '../../sim/assert.ts';
import { NumberList } from './number-list.ts';
import { inRanges, NumberSet, rangesMinus, removeFromRanges } from './number-set.ts';

export type GossipMessage =
  | { type: 'broadcast'; value: number }
  | { type: 'broadcast_ok' }
  | { type: 'gossip'; values: number[] }
  /**
   * Values of the sender's numbering from `from` up to `upTo`, for the peer's incarnation `inc`:
   * all of them, or (`filtered`) those the peer's summary did not list. At most MAX_SYNC_VALUES
   * values; `more`: the slice was cut there and the next one follows the answer.
   */
  | { type: 'sync'; values: number[]; from: number; upTo: number; inc: number; senderInc: number; probe: boolean; reply: boolean; filtered: boolean; more: boolean }
  /**
   * The peer (incarnation `inc`) durably holds the values below `upTo` of the sender's incarnation
   * `forInc`. With no mark (`upTo` 0), `summary` lists runs of values it holds durably
   * (`[lo, hi, ...]`, half-open, at most MAX_SYNC_VALUES numbers), so the sender sends only the rest.
   */
  | { type: 'sync_ok'; upTo: number; inc: number; forInc: number; probe: boolean; more: boolean; summary: number[] | null };

/**
 * The most values a sync carries (and numbers a summary carries): a resync of a large set goes in
 * slices, each confirmed before the next, so no message or queue ever holds the whole set.
 */
export const MAX_SYNC_VALUES = 1024;

/** Known-broken variants, for the bug zoo. */
export type GossipBug = 'none' | 'drop-gossip' | 'phantom';

export interface GossipOptions {
  peers: NodeId[];
  antiEntropyNs: Nanos;
  /** Only the node named here misbehaves, so the bug is one node's, as in real incidents. */
  bug: GossipBug;
  buggyNode: NodeId;
}

/** The pure protocol state: which values this node has delivered. */
export class GossipState {
  seen = new NumberSet();
  /** Every value in the order this node delivered it: lets checkers look only at what is new. */
  delivered = new NumberList();

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
   * Adds the values recovered from disk: one bulk insertion (a long run's node restarts often).
   * The disk read's array is dropped once copied into the compact list.
   */
  restore(values: readonly (number | null)[], checkpoint: Checkpoint | null = null): void {
    if (this.seen.size === 0 && checkpoint !== null) {
      // delivered[0 .. checkpoint.count) is the set the checkpoint lists (same incarnation: the
      // same numbering); the rest is added a value at a time. A count that disagrees means the
      // checkpoint does not describe these values: built from the values instead.
      const list = NumberList.of(values);
      if (checkpoint.count <= list.length) {
        const seen = NumberSet.fromRanges(checkpoint.runs);
        let ok = seen.size === checkpoint.count;
        for (let i = checkpoint.count; i < list.length && ok; i++) ok = seen.add(list.get(i));
        if (ok) {
          this.seen = seen;
          this.delivered = list;
          return;
        }
      }
    }
    if (this.seen.size === 0) {
      // The common case, a file of distinct values (nulls: corrupt records, skipped): one pass
      // builds the set, and the list takes them in bulk.
      const seen = new NumberSet(values.length);
      let nulls = 0;
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (v === null) nulls++;
        else seen.add(v);
      }
      if (seen.size === values.length - nulls) {
        this.seen = seen;
        this.delivered = NumberList.of(values);
        return;
      }
    }
    this.add(values.filter((v): v is number => v !== null));
  }

  /** Values, sorted (for tests and reports; messages use `delivered`, already deterministic). */
  values(): number[] {
    return this.delivered.slice(0).sort((a, b) => a - b);
  }
}

/**
 * A checkpoint of a node's set: delivered[0 .. count) as sorted runs, written by incarnation
 * `inc` (file: `[inc, count, lo0, hi0, ...]`). Only that incarnation's numbering matches it.
 */
export interface Checkpoint {
  count: number;
  runs: number[];
}

/** Values delivered between two checkpoints: a restart adds at most this many a value at a time. */
export const CHECKPOINT_EVERY = 1024;

/** The checkpoint in a checkpoint file if incarnation `inc` wrote it and it is well formed, else null. */
export function parseCheckpoint(records: readonly (number | null)[], inc: number): Checkpoint | null {
  if (records.length < 2 || records[0] !== inc || records.length % 2 !== 0) return null;
  const count = records[1];
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) return null;
  const runs: number[] = new Array(records.length - 2);
  let total = 0;
  for (let i = 2; i < records.length; i += 2) {
    const lo = records[i];
    const hi = records[i + 1];
    if (typeof lo !== 'number' || typeof hi !== 'number' || !Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo >= hi || (i > 2 && lo <= runs[i - 3]!)) return null;
    runs[i - 2] = lo;
    runs[i - 1] = hi;
    total += hi - lo;
  }
  return total === count ? { count, runs } : null;
}

/** A peer's confirmed mark: it durably holds delivered[0 .. upTo) in its incarnation `inc`. */
interface Confirmed {
  inc: number;
  upTo: number;
  /** Runs of values it said it holds durably in `inc` (while its mark is behind): not resent. */
  summary: number[] | null;
}

/** Have-marks kept by a receiver: no summary (only the sender side filters). */
interface Have {
  inc: number;
  upTo: number;
}

export interface GossipProgram extends NodeProgram {
  state: GossipState;
}

const FILE = 'seen';
const INC_FILE = 'incarnation';
/** The checkpoint of our set (see Checkpoint). */
const CHECKPOINT_FILE = 'checkpoint';
/** Our marks about our peers: `[our incarnation, peer, its incarnation, upTo, peer, ...]`. */
const MARKS_FILE = 'marks';

/** The marks in a marks file written by incarnation `incarnation` (none if another wrote it, or it reads back wrong). */
export function parseMarks(records: readonly unknown[], incarnation: number): Map<NodeId, Have> {
  const out = new Map<NodeId, Have>();
  if (records[0] !== incarnation || records.length % 3 !== 1) return out;
  for (let i = 1; i < records.length; i += 3) {
    const [peer, inc, upTo] = [records[i], records[i + 1], records[i + 2]];
    if (typeof peer !== 'string' || typeof inc !== 'number' || typeof upTo !== 'number' || !Number.isSafeInteger(upTo) || upTo < 0) return new Map();
    out.set(peer, { inc, upTo });
  }
  return out;
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
  const state = new GossipState();
  const confirmed = new Map<NodeId, Confirmed>();
  /** Per peer (and its incarnation): how much of that peer's numbering we durably hold. */
  const have = new Map<NodeId, Have>();
  const buggy = opts.bug !== 'none' && ctx.id === opts.buggyNode;
  // Recover: every value ever made durable. A torn last record reads back corrupt: it was never
  // acknowledged (we ack after fsync), so skipping it is correct.
  // A read that keeps failing throws DiskReadFailed: the node fail-stops rather than start empty.
  const read = ctx.disk.readForRecovery<number>(FILE);
  // The incarnation id: kept while recovery loses nothing new, else a new one (see the file
  // comment). The file holds the id, then the indices of the value file's corrupt records when it
  // was chosen: those losses are this incarnation's starting point (its numbering skips them), so
  // a later restart that finds exactly those corrupt records lost nothing since. Corrupt records
  // stay corrupt and the value file is append-only, so without this every restart after one torn
  // write drew a new id, and every peer rescanned its whole set for it (cost growing as T²).
  const incRead = ctx.disk.readForRecovery<number>(INC_FILE);
  const kept = keptIncarnation(incRead.records, incRead.corrupt.length, read.corrupt);
  const incarnation = kept ?? ctx.rng.int(1, 0x7fffffff);
  // The set from the checkpoint this incarnation wrote (its runs: a few numbers, not a value at
  // a time), plus the values past it; none or a stale one: built from every value read.
  const cpRead = ctx.disk.readForRecovery<number>(CHECKPOINT_FILE);
  const cp = kept !== null && cpRead.corrupt.length === 0 ? parseCheckpoint(cpRead.records, kept) : null;
  state.restore(read.records, cp);
  ctx.log('recover', `${state.seen.size} value(s) from disk, ${read.corrupt.length} corrupt`);
  // Not yet durable: a peer must not hear it before it is (a crash now would draw another).
  let incDurable = incarnation === kept;
  if (!incDurable) {
    ctx.disk.put(INC_FILE, [incarnation, ...read.corrupt]);
    ctx.disk.fsync((err) => {
      if (err !== null) ctx.failStop(`fsync ${err}`);
      else incDurable = true;
    });
  }

  // Our marks about our peers, as last written: valid while this incarnation is (they say what
  // this incarnation holds durably), so a restart that keeps it keeps them too. Without them, a
  // peer that restarted as well (its marks were in memory) had to be sent a summary, and scan its
  // whole numbering against it: every restart cost each peer its whole set.
  const marksRead = ctx.disk.readForRecovery<unknown>(MARKS_FILE);
  if (kept !== null && marksRead.corrupt.length === 0) for (const [peer, h] of parseMarks(marksRead.records, incarnation)) if (opts.peers.includes(peer)) have.set(peer, h);
  /** Writes our marks (durable with the next fsync: until then a restart finds older ones, which hold too). */
  const saveMarks = (): void => {
    const recs: (number | string)[] = [incarnation];
    for (const [peer, h] of have) recs.push(peer, h.inc, h.upTo);
    ctx.disk.put(MARKS_FILE, recs);
  };

  /**
   * delivered[0 .. durableCount) is on disk, in this order: every value is appended as it is
   * delivered, so after a restart without loss the numbering of that prefix is the same, and
   * marks about it (ours and our peers') stay valid. Syncs send only this prefix.
   */
  let durableCount = state.delivered.length;
  /** delivered[0 .. checkpointed) is in the last checkpoint written (durable with the next fsync). */
  let checkpointed = cp?.count ?? 0;
  /** Writes a checkpoint of the durable prefix (integers only: runs cannot list others). */
  const checkpoint = (): void => {
    if (state.seen.others().length > 0) return;
    ctx.disk.put(CHECKPOINT_FILE, [incarnation, durableCount, ...durableRuns()]);
    checkpointed = durableCount;
  };
  /** Persists in flight: with none, everything in `seen` is durable (recovered or fsynced). */
  let inFlight = 0;
  const persist = (fresh: number[], then: () => void): void => {
    if (fresh.length === 0 && inFlight === 0) {
      then();
      return;
    }
    for (const v of fresh) ctx.disk.append(FILE, v);
    const mark = state.delivered.length;
    inFlight++;
    ctx.disk.fsync((err) => {
      inFlight--;
      if (err === null && mark > durableCount) durableCount = mark;
      if (err === null && durableCount >= checkpointed + CHECKPOINT_EVERY) checkpoint();
      if (err === null) then();
      // On a failed fsync the values are not durable, but memory says they were seen: a retry
      // would be acknowledged with nothing on disk. Fail-stop and recover from the disk instead
      // (PostgreSQL and etcd after fsyncgate); the client retries.
      else ctx.failStop(`fsync ${err}`);
    });
  };

  const pushToPeers = (values: number[]): void => {
    if (ctx.buggify('broadcast.skip_push')) return; // anti-entropy must cover a skipped push
    for (const p of opts.peers) ctx.send(p, { type: 'gossip', values } satisfies GossipMessage);
  };

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
    if (c.upTo >= durableCount) return;
    let values: number[];
    let upTo: number;
    if (c.summary === null) {
      upTo = Math.min(durableCount, c.upTo + MAX_SYNC_VALUES);
      values = state.delivered.slice(c.upTo, upTo);
    } else {
      // What the summary does not list, as a difference of runs: it costs the runs, not the
      // values held (a scan of the numbering cost every peer of a restarted node its whole set).
      // More than a slice of them: scan the numbering from the mark, a slice at a time.
      const diff = unlisted(c.summary);
      if (diff !== null) {
        values = diff;
        upTo = durableCount;
      } else {
        values = [];
        upTo = c.upTo;
        while (upTo < durableCount && values.length < MAX_SYNC_VALUES) {
          const v = state.delivered.get(upTo++);
          if (!inRanges(c.summary, v)) values.push(v);
        }
      }
    }
    assert(values.length <= MAX_SYNC_VALUES, 'a sync slice carries at most MAX_SYNC_VALUES values');
    const more = upTo < durableCount;
    ctx.send(peer, { type: 'sync', values, from: c.upTo, upTo, inc: c.inc, senderInc: incarnation, probe: false, reply, filtered: c.summary !== null, more } satisfies GossipMessage);
  };

  /** Runs of the integers this node holds durably: all it has seen but the ones still being persisted. */
  const durableRuns = (): number[] => {
    const runs = state.seen.ranges();
    for (let i = durableCount; i < state.delivered.length; i++) removeFromRanges(runs, state.delivered.get(i));
    return runs;
  };

  /**
   * Runs of the values this node holds durably, at most MAX_SYNC_VALUES numbers: a prefix of the
   * runs still lists only values held, so a cut summary costs resent values, never a lost one.
   */
  const summary = (): number[] => {
    const runs = durableRuns();
    if (runs.length > MAX_SYNC_VALUES) runs.length = MAX_SYNC_VALUES;
    return runs;
  };

  /**
   * The values of delivered[0 .. durableCount) that the runs `listed` do not hold, or null if
   * more than MAX_SYNC_VALUES. Values that are not integers are never in runs: all of them count
   * (the durable ones: those past durableCount are still being persisted).
   */
  const unlisted = (listed: readonly number[]): number[] | null => {
    const out = rangesMinus(durableRuns(), listed, MAX_SYNC_VALUES);
    if (out === null) return null;
    const others = state.seen.others();
    if (others.length === 0) return out;
    const pending: number[] = state.delivered.slice(durableCount);
    for (const v of others) if (!pending.some((p) => Object.is(p, v))) out.push(v);
    return out.length <= MAX_SYNC_VALUES ? out : null;
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
    onMessage(env) {
      const m = env.body as GossipMessage;
      switch (m.type) {
        case 'broadcast': {
          const fresh = state.add([m.value]);
          // BUG (phantom): invents a value next to the real one (and keeps it like any other).
          if (buggy && opts.bug === 'phantom') fresh.push(...state.add([-m.value]));
          persist(fresh, () => {
            ctx.reply(env, { type: 'broadcast_ok' } satisfies GossipMessage);
            if (fresh.length > 0) pushToPeers(fresh);
          });
          return;
        }
        case 'gossip': {
          if (buggy && opts.bug === 'drop-gossip') return;
          const fresh = state.add(m.values);
          if (fresh.length > 0) persist(fresh, () => {});
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
          persist(fresh, () => {
            const cur = have.get(env.from);
            const prev = cur !== undefined && cur.inc === m.senderInc ? cur.upTo : 0;
            if (cur === undefined || cur.inc !== m.senderInc) have.set(env.from, { inc: m.senderInc, upTo: known });
            else if (known > cur.upTo) cur.upTo = known;
            const upTo = have.get(env.from)!.upTo;
            if (upTo > prev) saveMarks();
            // No mark: say what we hold, so the sender sends only the rest (not valid before our
            // incarnation is durable: a crash now could bring back an older one).
            const runs = upTo === 0 && incDurable && durableCount > 0 ? summary() : null;
            ctx.send(env.from, { type: 'sync_ok', upTo, inc: incarnation, forInc: m.senderInc, probe: m.probe, more: m.more, summary: runs } satisfies GossipMessage);
          });
          // Push-pull: the sender may lack some of ours too.
          if (!m.reply && opts.peers.includes(env.from)) syncTo(env.from, true);
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
