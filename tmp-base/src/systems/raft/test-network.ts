/**
 * A tiny in-memory network and disk for Raft tests, after etcd's raft_test.go `network`: a map of
 * nodes, a queue of messages in flight, `isolate`/`cut`/`drop`/`recover`, crash and restart from
 * durable state. It honours the Ready contract faithfully (persist, then send, then apply), except
 * under `bugAckBeforeFsync`, where it sends first and persists only at the next `flushDisk` (or
 * tick), so a crash in between loses acknowledged entries, as a real host with that bug would.
 *
 * It also checks, after every step, the safety properties of Raft (Figure 3 of the paper):
 *  - election safety: at most one leader per term;
 *  - log matching: equal (index, term) in two logs implies equal entries up to there;
 *  - state machine safety: no two nodes apply different entries at one index;
 *  - linearizable reads: a ReadState's index is at least the highest commit index any node had
 *    when the read was issued (every write acknowledged before the read is visible to it).
 * A violation throws SafetyViolation (or a protocol assertion throws AssertionError first).
 */
import { SeededRng } from '../../sim/prng.ts';
import { hardStateForDisk, type RaftConfig } from './config.ts';
import { EMPTY_SNAPSHOT } from './log.ts';
import { RaftNode } from './raft.ts';
import type { Entry, EntryData, HardState, Message, NodeId, ReadState, Ready, Snapshot } from './types.ts';

export class SafetyViolation extends Error {
  override name = 'SafetyViolation';
  constructor(
    readonly kind: 'election-safety' | 'log-matching' | 'state-machine-safety' | 'stale-read',
    message: string,
  ) {
    super(`${kind}: ${message}`);
  }
}

export interface Durable {
  hardState: HardState;
  snapshot: Snapshot;
  entries: Entry[];
}

interface AppliedEntry {
  index: number;
  term: number;
  data: EntryData;
}

/** The test state machine: the list of applied entries (a snapshot serialises it as JSON). */
interface AppState {
  applied: AppliedEntry[];
}

export interface TestNetworkOptions {
  ids: readonly NodeId[];
  config?: Partial<RaftConfig>;
  seed?: string | number;
  /** Compact a node's log when it holds more than this many applied entries (0: never). */
  compactAbove?: number;
  /** Durable state to start some nodes from (default: empty). */
  initial?: Record<NodeId, Durable>;
}

export class TestNetwork {
  readonly ids: readonly NodeId[];
  readonly nodes = new Map<NodeId, RaftNode | null>();
  readonly durable = new Map<NodeId, Durable>();
  readonly apps = new Map<NodeId, AppState>();
  readonly readStates = new Map<NodeId, ReadState[]>();
  /** Messages in flight, in send order. */
  queue: Message[] = [];
  /** One-way links that lose every message: "from->to". */
  private readonly blocked = new Set<string>();
  /** bugAckBeforeFsync: Readys whose persistence has not happened yet. */
  private readonly unflushed = new Map<NodeId, Ready[]>();
  /** Leader of each term ever observed (election safety). */
  readonly leaders = new Map<number, NodeId>();
  /** The entry applied at each index by anyone (state machine safety). */
  readonly appliedAt = new Map<number, AppliedEntry>();
  private readonly config: Partial<RaftConfig>;
  private readonly seed: string | number;
  private readonly compactAbove: number;
  private incarnations = new Map<NodeId, number>();
  /** Set to false to skip the O(n * log) checks in hot loops. */
  checkLogMatching = true;
  /** Messages for which this returns true are lost (etcd's `ignore`/`dropm`). */
  filter: ((m: Message) => boolean) | null = null;
  /** Every message delivered to a live node, in order (when `record` is on). */
  readonly delivered: Message[] = [];
  record = false;
  /** Highest commit index any node ever had (every entry up to it was acknowledged as written). */
  maxCommitEver = 0;
  /** Read context -> the smallest index a linearizable answer may carry. */
  private readonly readFloor = new Map<string, number>();

  constructor(opts: TestNetworkOptions) {
    this.ids = opts.ids.slice();
    this.config = opts.config ?? {};
    this.seed = opts.seed ?? 1;
    this.compactAbove = opts.compactAbove ?? 0;
    for (const id of this.ids) {
      const init = opts.initial?.[id];
      this.durable.set(id, init ? { hardState: { ...init.hardState }, snapshot: init.snapshot, entries: init.entries.slice() } : { hardState: { term: 0, vote: null, commit: 0 }, snapshot: EMPTY_SNAPSHOT, entries: [] });
      this.start(id);
    }
  }

  node(id: NodeId): RaftNode {
    const n = this.nodes.get(id);
    if (n === null || n === undefined) throw new Error(`node ${id} is down`);
    return n;
  }

  live(): RaftNode[] {
    const out: RaftNode[] = [];
    for (const id of this.ids) {
      const n = this.nodes.get(id);
      if (n) out.push(n);
    }
    return out;
  }

  /** The live leader with the highest term, if any. */
  leader(): RaftNode | undefined {
    let best: RaftNode | undefined;
    for (const n of this.live()) if (n.role === 'leader' && (best === undefined || n.term > best.term)) best = n;
    return best;
  }

  // ---------------------------------------------------------------- faults

  isolate(id: NodeId): void {
    for (const o of this.ids) {
      if (o === id) continue;
      this.blocked.add(`${id}->${o}`);
      this.blocked.add(`${o}->${id}`);
    }
  }
  cut(a: NodeId, b: NodeId): void {
    this.blocked.add(`${a}->${b}`);
    this.blocked.add(`${b}->${a}`);
  }
  /** Drop every message from `from` to `to` (one way). */
  drop(from: NodeId, to: NodeId): void {
    this.blocked.add(`${from}->${to}`);
  }
  recover(): void {
    this.blocked.clear();
  }

  crash(id: NodeId): void {
    this.nodes.set(id, null);
    this.unflushed.delete(id); // un-fsynced writes are lost
    // Messages in flight stay in flight: they are lost if delivered while the node is down, and
    // reach the new incarnation if it restarted by then.
  }

  /** Restarts a crashed node (or crashes and restarts a live one) from its durable state. */
  restart(id: NodeId): void {
    if (this.nodes.get(id)) this.crash(id);
    this.start(id);
  }

  private start(id: NodeId): void {
    const d = this.durable.get(id) as Durable;
    const inc = (this.incarnations.get(id) ?? 0) + 1;
    this.incarnations.set(id, inc);
    const node = new RaftNode({
      id,
      peers: this.ids,
      hardState: { ...d.hardState },
      snapshot: d.snapshot,
      entries: d.entries.slice(),
      config: this.config,
      rng: new SeededRng(this.seed, `raft/${id}/${inc}`),
    });
    this.nodes.set(id, node);
    this.apps.set(id, { applied: parseSnapshot(d.snapshot) });
    this.process(id);
  }

  // ---------------------------------------------------------------- driving

  tick(id: NodeId): void {
    const n = this.nodes.get(id);
    if (!n) return;
    this.flushDisk(id);
    n.tick();
    this.process(id);
  }

  tickAll(): void {
    for (const id of this.ids) this.tick(id);
  }

  /** Delivers one message now (if its link is up and its target alive). */
  deliver(m: Message): void {
    if (this.blocked.has(`${m.from}->${m.to}`)) return;
    if (this.filter !== null && this.filter(m)) return;
    const n = this.nodes.get(m.to);
    if (!n) return;
    if (this.record) this.delivered.push(m);
    n.step(m);
    this.process(m.to);
  }

  /** Delivers queued messages in FIFO order until none is left (or `maxMessages` were delivered). */
  deliverAll(maxMessages = 100_000): number {
    let k = 0;
    while (this.queue.length > 0 && k < maxMessages) {
      this.deliver(this.queue.shift() as Message);
      k++;
    }
    return k;
  }

  /** Ticks every node and delivers everything, `rounds` times. */
  run(rounds: number): void {
    for (let i = 0; i < rounds; i++) {
      this.tickAll();
      this.deliverAll();
    }
  }

  /** Runs rounds until `pred` holds; throws after `maxRounds`. */
  runUntil(pred: () => boolean, maxRounds = 1000, why?: () => string): void {
    for (let i = 0; i < maxRounds; i++) {
      if (pred()) return;
      this.tickAll();
      this.deliverAll();
    }
    if (!pred()) throw new Error(`condition not reached within ${maxRounds} rounds${why ? `\n${why()}` : ''}`);
  }

  /** Elects a leader by forcing `id` to campaign and delivering everything. */
  elect(id: NodeId): RaftNode {
    this.node(id).campaign();
    this.process(id);
    this.deliverAll();
    return this.node(id);
  }

  propose(id: NodeId, data: EntryData): ReturnType<RaftNode['propose']> {
    const r = this.node(id).propose(data);
    this.process(id);
    return r;
  }

  readIndex(id: NodeId, ctx: string): ReturnType<RaftNode['readIndex']> {
    this.readFloor.set(ctx, this.maxCommitEver);
    const r = this.node(id).readIndex(ctx);
    this.process(id);
    return r;
  }

  /** Persists what a bugAckBeforeFsync host has not yet persisted. */
  flushDisk(id: NodeId): void {
    const pending = this.unflushed.get(id);
    if (pending === undefined) return;
    this.unflushed.delete(id);
    for (const rd of pending) this.persist(id, rd);
  }

  /** Drains a node's Readys: persist, send, apply, advance. Then runs the safety checks. */
  process(id: NodeId): void {
    const n = this.nodes.get(id);
    if (!n) return;
    while (n.hasReady()) {
      const rd = n.ready();
      if (n.config.bugAckBeforeFsync) {
        // BUG: messages go out before the write reaches the disk.
        this.queue.push(...rd.messages.filter((m) => !this.blocked.has(`${m.from}->${m.to}`)));
        const list = this.unflushed.get(id) ?? [];
        list.push(rd);
        this.unflushed.set(id, list);
      } else {
        this.persist(id, rd);
        this.queue.push(...rd.messages.filter((m) => !this.blocked.has(`${m.from}->${m.to}`)));
      }
      if (rd.softState?.role === 'leader') this.checkElectionSafety(rd.softState.term, id);
      this.apply(id, rd);
      n.advance();
      this.maybeCompact(id, n);
    }
    this.maxCommitEver = Math.max(this.maxCommitEver, n.commitIndex);
    if (this.checkLogMatching) this.checkLogs(id);
  }

  private persist(id: NodeId, rd: Ready): void {
    const d = this.durable.get(id) as Durable;
    const n = this.nodes.get(id);
    if (rd.snapshot !== null) {
      d.snapshot = rd.snapshot;
      d.entries = [];
    }
    if (rd.entries.length > 0) {
      const first = (rd.entries[0] as Entry).index;
      d.entries = d.entries.filter((e) => e.index < first).concat(rd.entries);
    }
    if (rd.hardState !== null) d.hardState = hardStateForDisk(rd.hardState, n ? n.config : { bugForgetVotedFor: !!this.config.bugForgetVotedFor });
  }

  private apply(id: NodeId, rd: Ready): void {
    const app = this.apps.get(id) as AppState;
    if (rd.snapshot !== null) {
      app.applied = parseSnapshot(rd.snapshot);
      for (const e of app.applied) this.checkApplied(id, e);
    }
    for (const e of rd.committedEntries) {
      const lastIdx = app.applied.length === 0 ? 0 : (app.applied[app.applied.length - 1] as AppliedEntry).index;
      if (e.index <= lastIdx) continue; // re-applied after restart: already checked
      if (e.index !== lastIdx + 1) throw new Error(`${id}: applying ${e.index} after ${lastIdx}`);
      const a = { index: e.index, term: e.term, data: e.data };
      this.checkApplied(id, a);
      app.applied.push(a);
    }
    for (const rs of rd.readStates) {
      const floor = this.readFloor.get(rs.context);
      if (floor !== undefined && rs.index < floor) {
        throw new SafetyViolation('stale-read', `${id} answered read ${rs.context} at index ${rs.index}, but index ${floor} was committed before the read was issued`);
      }
    }
    if (rd.readStates.length > 0) {
      const list = this.readStates.get(id) ?? [];
      list.push(...rd.readStates);
      this.readStates.set(id, list);
    }
  }

  private maybeCompact(id: NodeId, n: RaftNode): void {
    if (this.compactAbove <= 0) return;
    const snapIndex = n.log.snapshot.index;
    const applied = n.appliedIndex;
    if (applied - snapIndex <= this.compactAbove) return;
    // Bug-zoo hosts may not have persisted yet; compact only what is durable.
    const d = this.durable.get(id) as Durable;
    const durableLast = d.snapshot.index + d.entries.length;
    const index = Math.min(applied, durableLast);
    if (index <= snapIndex) return;
    const app = this.apps.get(id) as AppState;
    const s = n.compact(index, JSON.stringify(app.applied.filter((e) => e.index <= index)));
    d.snapshot = s;
    d.entries = d.entries.filter((e) => e.index > s.index);
  }

  // ---------------------------------------------------------------- safety checks

  private checkElectionSafety(term: number, id: NodeId): void {
    const prev = this.leaders.get(term);
    if (prev !== undefined && prev !== id) throw new SafetyViolation('election-safety', `two leaders in term ${term}: ${prev} and ${id}`);
    this.leaders.set(term, id);
  }

  private checkApplied(id: NodeId, e: AppliedEntry): void {
    const prev = this.appliedAt.get(e.index);
    if (prev === undefined) {
      this.appliedAt.set(e.index, e);
      return;
    }
    if (prev.term !== e.term || prev.data !== e.data) {
      throw new SafetyViolation('state-machine-safety', `${id} applied (${e.term}, ${String(e.data)}) at index ${e.index}, another node applied (${prev.term}, ${String(prev.data)})`);
    }
  }

  /** Log matching between `id` and every other live node. */
  private checkLogs(id: NodeId): void {
    const a = this.nodes.get(id);
    if (!a) return;
    for (const b of this.live()) {
      if (b === a) continue;
      const lo = Math.max(a.log.firstIndex(), b.log.firstIndex());
      const hi = Math.min(a.log.lastIndex(), b.log.lastIndex());
      let top = 0;
      for (let i = hi; i >= lo; i--) {
        if (a.log.term(i) === b.log.term(i)) {
          top = i;
          break;
        }
      }
      for (let i = lo; i <= top; i++) {
        const x = a.log.entryAt(i) as Entry;
        const y = b.log.entryAt(i) as Entry;
        if (x.term !== y.term || x.data !== y.data) {
          throw new SafetyViolation('log-matching', `${a.id} and ${b.id} agree at index ${top} but differ at ${i}: (${x.term}, ${String(x.data)}) vs (${y.term}, ${String(y.data)})`);
        }
      }
    }
  }
}

function parseSnapshot(s: Snapshot): AppliedEntry[] {
  if (s.index === 0 || s.data === null) return [];
  return JSON.parse(s.data as string) as AppliedEntry[];
}
