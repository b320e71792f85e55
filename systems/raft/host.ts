/**
 * The kernel glue of Raft: runs one pure `RaftNode` on a simulated node, owning its disk, network
 * and timers, and honouring the Ready contract (index.ts):
 *
 *   ready() -> write snapshot, hard state, entries -> fsync (if mustSync) -> THEN send messages
 *           -> apply committed entries -> serve read states -> advance()
 *
 * One Ready is in flight at a time: while its fsync runs, inputs (messages, ticks, proposals)
 * still reach the RaftNode and show up in the next Ready (group commit).
 *
 * Disk layout (three files of records):
 *   raft.hs    one record, the hard state (replaced on change)
 *   raft.snap  one record, the snapshot; its data is the chain hash, a newline, the app's text
 *   raft.log   a header {base} then the entries base+1, base+2, ... (appended; truncated on
 *              conflict; rewritten with a new header after a snapshot)
 * Writes go in the order snapshot, hard state, log, so a crash that keeps a prefix of the unsynced
 * writes (a torn write) never keeps entries of a term the hard state has not reached, nor a log
 * rewritten for a snapshot it lost. Recovery reads the three files only, drops the log from the
 * first corrupt (torn) record on (nothing there was acknowledged: we acknowledge after fsync), and
 * drops log records that cannot follow the snapshot (see `recoverDurable`).
 *
 * Each node keeps a chain hash of its log (hash of the entry and of the chain before it) so the
 * invariant checkers can compare whole prefixes of two logs in O(1); the chain at the snapshot
 * travels inside the snapshot.
 *
 * A failed fsync (EIO) leaves memory ahead of the disk; the host then restarts itself from the
 * disk, as a database that panics on fsync failure does (after fsyncgate, the only safe answer).
 */
import { assert } from '../../sim/assert.ts';
import { DiskReadFailed, type DiskRead } from '../../sim/disk/disk.ts';
import type { Envelope, NodeContext, NodeId, Timer } from '../../sim/node.ts';
import { ms } from '../../sim/time.ts';
import { hardStateForDisk, RAFT_PROBES, resolveConfig, type RaftConfig } from './config.ts';
import { EMPTY_SNAPSHOT } from './log.ts';
import { RaftNode } from './raft.ts';
import type { Entry, EntryData, HardState, Message, ProposeResult, Ready, Snapshot, SoftState } from './types.ts';

/** The replicated state machine the host applies committed entries to. */
export interface RaftApp {
  /** Applies a committed entry (`data` is never null: the leader's empty entries are skipped). */
  apply(entry: Entry): void;
  /** Serialises the state machine as of the last applied entry. */
  snapshot(): string;
  /** Replaces the state machine by a snapshot's (null: the empty initial state). */
  restore(data: string | null): void;
  /** Role, term or leader changed. */
  onSoftState?(ss: SoftState): void;
  /** A batch of committed entries was applied (watchers may be notified). */
  afterApply?(): void;
  /**
   * Called at a tick when the application has work then (`tickWorkDueNs`), or at every tick if it
   * does not define `tickWorkDueNs`.
   */
  onTick?(): void;
  /**
   * The local time (`ctx.now()`) from which `onTick` has work again (Infinity: none until
   * something changes). The host skips the application's ticks before it, as it skips the Raft
   * node's idle ticks. Asked after each input, Ready and tick; an application whose answer moves
   * earlier through something else (its own messages) calls `RaftHost.appChanged()`.
   */
  tickWorkDueNs?(): number;
}

/** God's-eye hooks for invariant checkers. Never influence the run. */
export interface RaftHostHooks {
  /** The host (re)built its RaftNode from disk. */
  onRecover?(h: RaftHost): void;
  /** A Ready was taken and its writes issued (`chainAt` already reflects its entries). */
  onReady?(h: RaftHost, rd: Ready): void;
  /** Messages are being sent (after their Ready's fsync, unless bugAckBeforeFsync). */
  onSend?(h: RaftHost, msgs: readonly Message[]): void;
  /** An entry is about to be applied. */
  onApply?(h: RaftHost, e: Entry, chain: number): void;
  /**
   * A linearizable read arrived (`read` was called); the function returned, if any, is called
   * with the read index the read is served at (not called if the read fails).
   */
  onRead?(h: RaftHost): ((index: number) => void) | void;
}

export interface RaftHostOptions {
  peers: readonly NodeId[];
  config?: Partial<RaftConfig>;
  /** Compact the log once this many applied entries follow the snapshot (0: never). */
  snapshotEntries: number;
  hooks?: RaftHostHooks;
  /**
   * BUGGIFY sites (host and protocol) may fire only while this returns true (default: always).
   * A scenario whose liveness needs a quiet cluster (a leader stable for a lease TTL) turns them
   * off when the faults stop.
   */
  buggifyWhile?: () => boolean;
}

export const HS_FILE = 'raft.hs';
export const SNAP_FILE = 'raft.snap';
export const LOG_FILE = 'raft.log';

/** Host-side BUGGIFY sites (protocol sites are in config.ts). */
export const HOST_BUGGIFY_SITES = [
  /** An fsync is issued late (a slow or busy disk): acknowledgements wait longer. */
  'raft.host.delayed_fsync',
  /** Compact the log now, whatever the threshold (snapshots and InstallSnapshot more often). */
  'raft.host.force_snapshot',
] as const;

const RAFT_TYPES = new Set(['app', 'appResp', 'vote', 'voteResp', 'preVote', 'preVoteResp', 'heartbeat', 'heartbeatResp', 'snap', 'readIndex', 'readIndexResp']);

/** True if a message body is a Raft message (the host routes the rest to the application). */
export function isRaftMessage(body: unknown): body is Message {
  return body !== null && typeof body === 'object' && RAFT_TYPES.has((body as { type?: string }).type ?? '');
}

/** FNV-1a over the entry, chained: equal chains mean equal log prefixes (with high probability). */
export function chainHash(prev: number, term: number, data: EntryData): number {
  // Inlined mixing (no closure: this runs for every entry on every node).
  let h = (prev ^ 0x811c9dc5) >>> 0;
  for (let x = term, i = 0; i < 4; i++, x >>>= 8) h = Math.imul(h ^ (x & 0xff), 0x01000193) >>> 0;
  if (data === null) h = Math.imul(h ^ 0xfe, 0x01000193) >>> 0;
  else if (typeof data === 'string') for (let i = 0; i < data.length; i++) h = Math.imul(h ^ (data.charCodeAt(i) & 0xff), 0x01000193) >>> 0;
  else for (let i = 0; i < data.length; i++) h = Math.imul(h ^ (data[i]! & 0xff), 0x01000193) >>> 0;
  return h;
}

interface SnapData {
  app: string | null;
  chain: number;
}

/**
 * Snapshot data as the host stores and sends it: the chain hash at the snapshot in decimal, then
 * (unless the application state is empty) a newline and the application's own serialisation,
 * verbatim. No JSON wrapper: wrapping the application's text in a JSON string escaped every quote
 * of the store on every compaction and unescaped it on every restore.
 */
export function encodeSnapData(sd: SnapData): string {
  return sd.app === null ? `${sd.chain}` : `${sd.chain}\n${sd.app}`;
}

function parseSnapData(s: Snapshot): SnapData {
  if (s.index === 0 || s.data === null) return { app: null, chain: 0 };
  assert(typeof s.data === 'string', 'raft host: snapshot data must be a string');
  const nl = s.data.indexOf('\n');
  const chain = Number(nl < 0 ? s.data : s.data.slice(0, nl));
  assert(Number.isInteger(chain) && chain >= 0, () => `raft host: snapshot ${s.index} has no chain hash`);
  return { app: nl < 0 ? null : s.data.slice(nl + 1), chain };
}

interface LogHeader {
  base: number;
}

export interface DurableState {
  hardState: HardState;
  snapshot: Snapshot;
  entries: Entry[];
  /** Log records dropped at recovery (torn, or not following the snapshot). */
  dropped: number;
}

/**
 * Reads the durable Raft state from `disk`. The log is cut at the first unreadable record (a torn
 * write; it was never acknowledged). Records of a log written for an older snapshot are kept only
 * if that log holds the snapshot's last entry (same index and term): then, by log matching, it is
 * the same history; otherwise (InstallSnapshot replaced a conflicting log and the crash lost the
 * rewrite) they are dropped.
 */
export function recoverDurable(disk: { read<T = unknown>(file: string): DiskRead<T> }): DurableState {
  const snapRead = disk.read<Snapshot>(SNAP_FILE);
  const snapshot = snapRead.records.length > 0 && snapRead.records[0] !== null ? snapRead.records[0] : EMPTY_SNAPSHOT;
  const hsRead = disk.read<HardState>(HS_FILE);
  const hs0 = hsRead.records.length > 0 && hsRead.records[0] !== null ? hsRead.records[0] : { term: 0, vote: null, commit: 0 };
  const logRead = disk.read<LogHeader | Entry>(LOG_FILE);
  const recs = logRead.records;
  let entries: Entry[] = [];
  let dropped = 0;
  const header = recs[0] as LogHeader | null | undefined;
  if (header !== null && header !== undefined) {
    let next = header.base + 1;
    for (let i = 1; i < recs.length; i++) {
      const e = recs[i] as Entry | null;
      if (e === null || e.index !== next) break;
      entries.push(e);
      next++;
    }
    dropped = recs.length - 1 - entries.length;
    if (header.base !== snapshot.index) {
      const at = entries.find((e) => e.index === snapshot.index);
      const follows = header.base < snapshot.index && at !== undefined && at.term === snapshot.term;
      if (!follows) {
        dropped += entries.length;
        entries = [];
      }
    }
    entries = entries.filter((e) => e.index > snapshot.index);
  }
  const last = snapshot.index + entries.length;
  const lastTerm = entries.length > 0 ? entries[entries.length - 1]!.term : snapshot.term;
  // The hard state is written before the entries of its Ready, so its term covers them; its
  // commit may name entries a torn write lost (they were not acknowledged): clamp it.
  const hardState: HardState = { term: Math.max(hs0.term, lastTerm), vote: hs0.term >= lastTerm ? hs0.vote : null, commit: Math.max(snapshot.index, Math.min(hs0.commit, last)) };
  return { hardState, snapshot, entries, dropped };
}

/** One node's Raft host. Build it in a NodeFactory; route messages with `onMessage`. */
export class RaftHost {
  raft!: RaftNode;
  readonly config: RaftConfig;
  /** Bumped when the host rebuilds itself from disk: callbacks of older generations are ignored. */
  private gen = 0;
  private busy = false;
  private scheduled = false;
  /** Index of the last entry written to the log file, and the file's header base. */
  private persistedLast = 0;
  private logBase = 0;
  /** chain[i - chainBase] is the chain hash of entry i; chain[0] is the snapshot's. */
  private chainBase = 0;
  private chain: number[] = [0];
  private readSeq = 0;
  private readonly reads = new Map<string, (index: number | null) => void>();
  private waitingReads: { index: number; cb: (index: number | null) => void }[] = [];
  private tickTimer: Timer | null = null;
  /** The node's tick count when the tick timer fires. */
  private tickTimerAt = 0;
  /** Local time at which the node's last tick was due (later ticks are due every tickNs after it). */
  private lastTickLocal = 0;
  /** What the last milestones reported (term, vote, commit, role), to report only changes. */
  private seen = { term: 0, vote: null as NodeId | null, commit: 0, role: 'follower' as string };
  /** Counters for reports. */
  readonly stats = { readys: 0, fsyncs: 0, snapshots: 0, restores: 0, recoveredDropped: 0, selfRestarts: 0 };

  constructor(
    readonly ctx: NodeContext,
    readonly opts: RaftHostOptions,
    readonly app: RaftApp,
  ) {
    ctx.declareProbes(RAFT_PROBES);
    this.config = resolveConfig({ ...opts.config, buggify: (site) => this.buggify(site), probe: (name) => ctx.probe(name) });
    this.recover();
  }

  private buggify(site: string): boolean {
    return (this.opts.buggifyWhile?.() ?? true) && this.ctx.buggify(site);
  }

  get id(): NodeId {
    return this.ctx.id;
  }

  /** Rebuilds the RaftNode and the application from the disk alone. */
  private recover(): void {
    this.gen++;
    this.busy = false;
    this.scheduled = false;
    this.failReads(true);
    this.tickTimer?.cancel();
    this.tickTimer = null;
    // A read that keeps failing throws DiskReadFailed: out of the constructor it fail-stops the
    // node (SimNode.start); on a self-restart, see onFsyncFailed.
    const disk = this.ctx.disk;
    const d = recoverDurable({ read: (f) => disk.readForRecovery(f) });
    this.stats.recoveredDropped += d.dropped;
    if (d.dropped > 0) this.ctx.probe('raft:recovered-torn-log');
    const sd = parseSnapData(d.snapshot);
    this.app.restore(sd.app);
    this.chainBase = d.snapshot.index;
    this.chain = [sd.chain];
    for (const e of d.entries) this.chain.push(chainHash(this.chain[this.chain.length - 1]!, e.term, e.data));
    this.persistedLast = d.snapshot.index + d.entries.length;
    // Rewrite the log as recovered: appending after a torn record would hide every later entry
    // from the next recovery (which stops at the first unreadable record).
    this.rewriteLog(d.snapshot.index, d.entries);
    this.seen = { term: d.hardState.term, vote: d.hardState.vote, commit: d.hardState.commit, role: 'follower' };
    this.raft = new RaftNode({ id: this.id, peers: this.opts.peers, hardState: d.hardState, snapshot: d.snapshot, entries: d.entries, config: this.config, rng: this.ctx.rng.fork(`raft${this.gen}`) });
    this.ctx.log('raft-recover', `term ${d.hardState.term} vote ${d.hardState.vote ?? '-'} commit ${d.hardState.commit} snapshot ${d.snapshot.index} entries ${d.entries.length} dropped ${d.dropped}`);
    this.opts.hooks?.onRecover?.(this);
    const gen = this.gen;
    this.pumpFired = (): void => {
      if (gen !== this.gen) return;
      this.scheduled = false;
      this.runReady();
    };
    this.fsyncDone = (err): void => {
      if (gen !== this.gen || !this.ctx.alive) return;
      this.busy = false;
      if (err !== null) {
        this.ctx.log('raft-fsync-failed', `${err}: restarting from disk`);
        this.stats.selfRestarts++;
        try {
          this.recover();
        } catch (e) {
          if (!(e instanceof DiskReadFailed)) throw e;
          this.ctx.failStop(e.message);
        }
        return;
      }
      this.finishReady();
    };
    this.tickFired = (): void => {
      if (gen !== this.gen) return;
      this.tickTimer = null;
      // The due tick, and the idle ones before it that no input has caught up yet.
      while (this.raft.ticks < this.tickTimerAt) this.raft.tick();
      // Anchored at the firing, as a timer re-armed at every tick would be (a pause or a drift
      // change moves later ticks with it).
      this.lastTickLocal = this.ctx.now();
      if (this.app.onTick !== undefined && (this.app.tickWorkDueNs?.() ?? -Infinity) <= this.lastTickLocal) this.app.onTick();
      this.pump();
      this.armTick();
    };
    // The first tick comes at a random phase within one tick period (nodes do not tick in step).
    const tickNs = this.config.tickNs;
    this.lastTickLocal = this.ctx.now() + this.ctx.rng.int(1, tickNs) - tickNs;
    this.armTick();
    this.pump();
  }

  // ---------------------------------------------------------------- ticks

  /**
   * Arms the tick timer for the next tick that acts (`RaftNode.ticksUntilDue`), or keeps it if it
   * is armed for that tick or earlier. Ticks in between only advance the node's counters: they are
   * given late, all at once (`catchUpTicks`), so an idle follower costs one timer event per
   * election timeout and a leader one per heartbeat, not one every tick. An application's
   * `onTick` runs at the ticks its `tickWorkDueNs` asks for (every tick without it).
   */
  private armTick(): void {
    const now = this.raft.ticks;
    let due = now + this.raft.ticksUntilDue();
    if (this.app.onTick !== undefined) {
      const at = this.app.tickWorkDueNs?.() ?? -Infinity;
      if (at !== Infinity) due = Math.min(due, now + Math.max(1, Math.ceil((at - this.lastTickLocal) / this.config.tickNs)));
    }
    if (this.tickTimer !== null) {
      if (this.tickTimerAt <= due) return;
      this.tickTimer.cancel();
    }
    this.tickTimerAt = due;
    const delay = this.lastTickLocal + (due - now) * this.config.tickNs - this.ctx.now();
    this.tickTimer = this.ctx.setTimer(Math.max(0, delay), this.tickFired);
  }

  /**
   * Gives the node the ticks that have passed on its clock since the last one it had, short of the
   * tick the timer is armed for (that one, and whatever it triggers, is the timer's): before any
   * input, so the node reads its clock (leases, round trips, election windows) as a node ticked
   * every period would. None of these ticks acts: the timer is armed at or before the first that
   * would (asserted).
   */
  private catchUpTicks(): void {
    const tickNs = this.config.tickNs;
    const n = Math.min(this.tickTimerAt - 1 - this.raft.ticks, Math.floor((this.ctx.now() - this.lastTickLocal) / tickNs));
    if (n <= 0) return;
    if (n >= this.raft.ticksUntilDue()) assert(false, `raft host ${this.id}: catching up ${n} ticks would pass a deadline`);
    for (let i = 0; i < n; i++) this.raft.tick();
    this.lastTickLocal += n * tickNs;
  }

  /** The application's `tickWorkDueNs` may have moved earlier through its own inputs: re-arm the tick timer. */
  appChanged(): void {
    this.armTick();
  }

  /** The tick timer's callback, made once per generation (recover). */
  private tickFired: () => void = () => {};

  /** Chain hash of entry `index` as this node holds it; undefined if compacted or beyond the log. */
  chainAt(index: number): number | undefined {
    if (index < this.chainBase || index > this.chainBase + this.chain.length - 1) return undefined;
    return this.chain[index - this.chainBase];
  }

  /** Highest index whose chain hash is known (the last persisted entry). */
  get chainLast(): number {
    return this.chainBase + this.chain.length - 1;
  }

  get snapshotIndex(): number {
    return this.chainBase;
  }

  // ---------------------------------------------------------------- inputs

  /** Routes a delivered message; false if it is not a Raft message. */
  onMessage(env: Envelope): boolean {
    if (!isRaftMessage(env.body)) return false;
    const m = env.body;
    if (m.to !== this.id) return true;
    this.catchUpTicks();
    this.raft.step(m);
    this.armTick();
    this.pump();
    return true;
  }

  propose(data: string): ProposeResult {
    this.catchUpTicks();
    const r = this.raft.propose(data);
    this.armTick();
    this.pump();
    return r;
  }

  /**
   * A linearizable read point: `cb(index)` once this node has applied everything committed
   * before the read was asked (serve the read then), or `cb(null)` if it cannot be confirmed
   * (no leader, leadership changed): the client retries.
   */
  read(done: (index: number | null) => void): void {
    const served = this.opts.hooks?.onRead?.(this);
    const cb = served === undefined ? done : (index: number | null): void => {
      if (index !== null) served(index);
      done(index);
    };
    const context = `${this.id}/${this.ctx.rng.name}/${++this.readSeq}`;
    this.catchUpTicks();
    const r = this.raft.readIndex(context);
    this.armTick();
    if (!r.ok) {
      cb(null);
      return;
    }
    this.reads.set(context, cb);
    this.pump();
  }

  /** Fails unconfirmed reads (and, with `all`, confirmed ones waiting for their apply). */
  private failReads(all: boolean): void {
    const cbs = [...this.reads.values(), ...(all ? this.waitingReads.map((w) => w.cb) : [])];
    this.reads.clear();
    if (all) this.waitingReads = [];
    for (const cb of cbs) cb(null);
  }

  // ---------------------------------------------------------------- the Ready loop

  /**
   * Runs the Ready loop at the end of the event that produced the work (inputs of one event share
   * a Ready), not as a kernel event of its own: a quarter of a loaded run's events were these.
   */
  private pump(): void {
    // Nothing to do, nothing queued: most ticks and many messages change nothing that needs a Ready.
    if (this.scheduled || this.busy || !this.raft.hasReady()) return;
    this.scheduled = true;
    this.ctx.atEventEnd(this.pumpFired);
  }

  /** The pump's timer callback, made once per generation (recover), not once per pump. */
  private pumpFired: () => void = () => {};

  private runReady(): void {
    if (this.busy || !this.raft.hasReady()) return;
    const rd = this.raft.ready();
    this.stats.readys++;
    const early = this.config.bugAckBeforeFsync;
    // BUG (bugAckBeforeFsync): acknowledgements leave before the writes they acknowledge exist.
    if (early) this.send(rd.messages);
    this.write(rd);
    this.opts.hooks?.onReady?.(this, rd);
    if (rd.softState !== null) {
      // A read not yet confirmed may never be after a leadership change: let the client retry.
      this.failReads(false);
      this.app.onSoftState?.(rd.softState);
      this.armTick(); // a new leader's lessor deadlines
    }
    // One Ready is out at a time (busy until its fsync ends): it waits in a field, and the
    // callbacks are made once per generation (recover), not three closures per Ready.
    this.pendingRd = rd;
    this.pendingEarly = early;
    if (!rd.mustSync) {
      this.finishReady();
      return;
    }
    this.busy = true;
    if (this.buggify('raft.host.delayed_fsync')) {
      const gen = this.gen;
      this.ctx.setTimer(ms(this.ctx.rng.int(1, 20)), () => gen === this.gen && this.syncReady());
    } else this.syncReady();
  }

  /** The Ready taken by runReady and not yet finished (its fsync may be pending). */
  private pendingRd: Ready | null = null;
  /** bugAckBeforeFsync: the pending Ready's messages already left. */
  private pendingEarly = false;

  private syncReady(): void {
    this.stats.fsyncs++;
    this.ctx.disk.fsync(this.fsyncDone);
  }

  /** The pending Ready's fsync callback, made once per generation (recover). */
  private fsyncDone: (err: string | null) => void = () => {};

  /** After the pending Ready's writes are durable (or needed no sync): send, apply, advance. */
  private finishReady(): void {
    const rd = this.pendingRd!;
    this.pendingRd = null;
    if (!this.pendingEarly) this.send(rd.messages);
    this.milestones(rd);
    this.apply(rd);
    this.raft.advance();
    this.maybeCompact();
    this.armTick(); // what the application applied may be due sooner (a lease granted)
    this.pump();
  }

  private send(msgs: Message[]): void {
    this.opts.hooks?.onSend?.(this, msgs);
    for (const m of msgs) this.ctx.send(m.to, m);
  }

  /** Issues the Ready's writes: snapshot, hard state, entries (see the file comment for why). */
  private write(rd: Ready): void {
    const disk = this.ctx.disk;
    if (rd.snapshot !== null) {
      const sd = parseSnapData(rd.snapshot);
      this.app.restore(sd.app);
      this.stats.restores++;
      disk.put(SNAP_FILE, [rd.snapshot]);
      this.chainBase = rd.snapshot.index;
      this.chain = [sd.chain];
      this.rewriteLog(rd.snapshot.index, []);
      this.persistedLast = rd.snapshot.index;
    }
    if (rd.hardState !== null) disk.put(HS_FILE, [hardStateForDisk(rd.hardState, this.config)]);
    let cut = rd.truncateFrom ?? Infinity;
    if (rd.entries.length > 0) cut = Math.min(cut, rd.entries[0]!.index);
    if (cut <= this.persistedLast) {
      assert(cut > this.logBase, () => `raft host ${this.id}: truncating at ${cut}, at or below the log base ${this.logBase}`);
      disk.truncate(LOG_FILE, cut - this.logBase);
      this.persistedLast = cut - 1;
      this.chain.length = cut - this.chainBase;
    }
    for (const e of rd.entries) {
      assert(e.index === this.persistedLast + 1, () => `raft host ${this.id}: entry ${e.index} does not follow ${this.persistedLast}`);
      disk.append(LOG_FILE, e);
      this.chain.push(chainHash(this.chain[this.chain.length - 1]!, e.term, e.data));
      this.persistedLast = e.index;
    }
  }

  private rewriteLog(base: number, entries: readonly Entry[]): void {
    this.ctx.disk.put(LOG_FILE, [{ base } satisfies LogHeader, ...entries]);
    this.logBase = base;
  }

  private apply(rd: Ready): void {
    for (const e of rd.committedEntries) {
      const c = this.chainAt(e.index);
      assert(c !== undefined, () => `raft host ${this.id}: applying ${e.index}, which is not persisted (last ${this.persistedLast})`);
      this.opts.hooks?.onApply?.(this, e, c);
      if (e.data !== null) this.app.apply(e);
    }
    if (rd.committedEntries.length > 0) this.app.afterApply?.();
    const applied = rd.committedEntries.length > 0 ? rd.committedEntries[rd.committedEntries.length - 1]!.index : this.raft.appliedIndex;
    for (const rs of rd.readStates) {
      const cb = this.reads.get(rs.context);
      if (cb === undefined) continue;
      this.reads.delete(rs.context);
      this.waitingReads.push({ index: rs.index, cb });
    }
    // Most Readies serve no read: no arrays made then.
    if (this.waitingReads.length === 0) return;
    const ready = this.waitingReads.filter((w) => w.index <= applied);
    if (ready.length === 0) return;
    this.waitingReads = this.waitingReads.filter((w) => w.index > applied);
    for (const w of ready) w.cb(w.index);
  }

  /**
   * Protocol milestones of a Ready, reported once it is durable and its messages are sent (a
   * directed nemesis strikes right after: is the new term, the vote, the commit really kept?).
   */
  private milestones(rd: Ready): void {
    const s = this.seen;
    if (rd.softState !== null && rd.softState.role !== s.role) {
      s.role = rd.softState.role;
      this.ctx.milestone('role-change', `${rd.softState.role} term ${rd.softState.term}`);
    }
    const hs = rd.hardState;
    if (hs === null) return;
    if (hs.term > s.term) this.ctx.milestone('term-change', `term ${hs.term}`);
    if (hs.vote !== null && hs.vote !== this.id && (hs.vote !== s.vote || hs.term !== s.term)) this.ctx.milestone('vote-granted', `for ${hs.vote} term ${hs.term}`);
    if (hs.commit > s.commit) this.ctx.milestone('commit-advance', `commit ${hs.commit}`);
    s.term = hs.term;
    s.vote = hs.vote;
    s.commit = Math.max(s.commit, hs.commit);
  }

  /** Compacts the log past the threshold (between Readys, so the snapshot is the applied state). */
  private maybeCompact(): void {
    const applied = this.raft.appliedIndex;
    const snap = this.raft.log.snapshot.index;
    if (applied <= snap || applied > this.persistedLast) return;
    const due = this.opts.snapshotEntries > 0 && applied - snap >= this.opts.snapshotEntries;
    if (!due && !(applied - snap >= 2 && this.buggify('raft.host.force_snapshot'))) return;
    const chain = this.chainAt(applied)!;
    const s = this.raft.compact(applied, encodeSnapData({ app: this.app.snapshot(), chain }));
    this.stats.snapshots++;
    this.ctx.milestone('compaction', `snapshot ${applied}`);
    const disk = this.ctx.disk;
    disk.put(SNAP_FILE, [s]);
    const kept: Entry[] = [];
    for (let i = applied + 1; i <= this.persistedLast; i++) kept.push(this.raft.log.entryAt(i)!);
    this.rewriteLog(applied, kept);
    this.chain = this.chain.slice(applied - this.chainBase);
    this.chainBase = applied;
    this.ctx.log('raft-snapshot', `compacted through ${applied}`);
  }
}
