/**
 * The kernel glue of the escrow service: a NodeFactory that runs one pure `SeatNode` (escrow
 * replica or check-then-act node) on a simulated node, owning its disk, network and timers.
 *
 * The host honours the core's contract (index.ts): every step returns a NodeOutput; its `persist`
 * is written durably FIRST, and only then are its messages sent and its replies delivered. Steps
 * are released strictly in order, each waiting until every state written up to and including it
 * is durable, so a message never describes state a crash could undo; a step that persists nothing
 * still waits for the writes before it (a duplicate transfer's re-ack must not overtake the write
 * of the first credit). Writes are group-committed: the whole durable state is one record, `put`
 * when an fsync is issued, and at most one fsync is in flight; what changed meanwhile rides the
 * next one. A failed fsync is simply retried with the newest state (which covers the lost one).
 *
 * On restart the factory runs again and rebuilds the node from the disk alone
 * (`restoreSeatNode`). A crash drops every output still waiting for its write.
 *
 * The kernel's network does not show messages in flight, so the host reports every transfer it
 * sends to a shared `TransferWire`, and the receiving host reports its arrival: the invariant
 * checker's "phantom transfer" test needs the transfers that may still be delivered.
 *
 * Clients talk to a host with `ctx.call(node, ClientRequest)`; the reply is the core's
 * `ClientReply` for that operation, sent once the step is durable.
 */
import { ESCROW_PROBES } from './probes.ts';
import { assert } from '../../sim/assert.ts';
import type { Disk } from '../../sim/disk/disk.ts';
import { standardNemesis, type FaultParamOptions, type FaultParams } from '../../sim/nemesis.ts';
import type { CallResult, Envelope, NodeContext, NodeProgram, SimNode } from '../../sim/node.ts';
import { param, type ParamValues } from '../../sim/params.ts';
import { Future, sleep } from '../../sim/process.ts';
import type { World } from '../../sim/scenario.ts';
import { ms, sec, type Nanos } from '../../sim/time.ts';
import { allocate, apportion } from './allocation.ts';
import { coordinatedFrontEnd, coordinatedLeaderConfig } from './baseline.ts';
import { detectStarvation, jainIndex, regionLoadOf } from './fairness.ts';
import { checkConservation, checkNeverOversell } from './invariants.ts';
import type { EscrowBugs, EscrowReplicaConfig } from './replica.ts';
import { isReachable, type HoldPolicy, type Reservation } from './reservation.ts';
import { createSeatNode, restoreSeatNode, snapshotOfDurable, type SeatDurable } from './seat.ts';
import { checkEscrowAcksDurable } from './durable-acks.ts';
import type { ClientOp, ClientReply, EscrowMsg, GlobalSnapshot, NodeOutput, NodeSnapshot, ReservationView, SeatNode, TransferMsg } from './types.ts';

/**
 * A node's durable state lives in two files, so a write costs what changed rather than the whole
 * history of reservations:
 *  - STATE_FILE, one record replaced on every write: the durable state with only the reservations
 *    not yet durably in the log (open ones, and closed ones whose log record is not yet synced);
 *  - LOG_FILE, append-only: each reservation once it is closed (confirmed, expired, cancelled:
 *    states nothing leaves), with its position in the node's reservation table.
 * A batch writes the state record FIRST and the log records after it. A crash keeps a prefix of
 * an unsynced batch, so any log record that survives follows a state record that also holds the
 * same reservation: restoring never sees a log record whose effect (tokens returned, for one) is
 * missing from the state, and a torn last log record can be skipped.
 */
/**
 * The standard faults an escrow service is swept under: all but disk corruption. A replica's
 * state (its share of the budget, its open holds) cannot be rebuilt from peers, so a corrupt
 * record stops the node for an operator (docs/escrow.md, Faults). Clock steps move only the
 * wall clock, which escrow does not read (holds expire on the monotonic clock).
 */
export const ESCROW_FAULT_OPTIONS = { off: ['diskCorruptionRate', 'clockJumpMsMean'], offReason: 'an escrow replica\'s share cannot be rebuilt from peers; it reads only its monotonic clock (docs/escrow.md, Faults)' } satisfies FaultParamOptions;

export const STATE_FILE = 'escrow-state';
export const LOG_FILE = 'escrow-closed';

/** A reservation with its position in its node's table (creation order). */
interface IndexedReservation {
  readonly index: number;
  readonly r: Reservation;
}

/** The STATE_FILE record. */
interface StoredState {
  /** The durable state with an empty reservation list. */
  readonly state: SeatDurable;
  /** Reservations not durably in the log. */
  readonly open: readonly IndexedReservation[];
  /** Length of the full reservation list. */
  readonly total: number;
}

const CLOSED: ReadonlySet<string> = new Set(['confirmed', 'expired', 'cancelled']);

/** Splits a durable state into the state record and the closed reservations to append to the log. */
function encodeState(d: SeatDurable, logged: ReadonlySet<number>): { stored: StoredState; toLog: IndexedReservation[] } {
  const all = d.reservations.reservations;
  const open: IndexedReservation[] = [];
  const toLog: IndexedReservation[] = [];
  for (let i = 0; i < all.length; i++) {
    if (logged.has(i)) continue;
    const r = all[i]!;
    open.push({ index: i, r });
    if (CLOSED.has(r.state)) toLog.push({ index: i, r });
  }
  const state = { ...d, reservations: { reservations: [], reapQueue: d.reservations.reapQueue } } as SeatDurable;
  return { stored: { state, open, total: all.length }, toLog };
}

/** What a client asks a host. */
export type ClientRequest =
  | { readonly type: 'hold'; readonly reservationId: string; readonly count: number }
  | { readonly type: 'confirm' | 'cancel' | 'extend'; readonly reservationId: string }
  | { readonly type: 'consume'; readonly count: number };

const CLIENT_OPS: ReadonlySet<string> = new Set(['hold', 'confirm', 'cancel', 'extend', 'consume']);

/**
 * Transfers that may still be on the wire, keyed by (from, to, seq). Duplicates and retransmits
 * share one entry with a copy count. A copy the network drops is never reported, so entries also
 * age out after `maxAgeNs`: the check built on this is then weaker, never wrong.
 */
export class TransferWire {
  private readonly entries = new Map<string, { msg: TransferMsg; copies: number; lastSentNs: Nanos }>();
  /** Called after every send of a transfer (scenarios use it to crash nodes mid-transfer). */
  onSend: ((msg: TransferMsg) => void) | null = null;
  sent = 0;

  constructor(readonly maxAgeNs: Nanos) {}

  private static key(m: TransferMsg): string {
    return `${m.from}>${m.to}#${m.seq}`;
  }

  send(msg: TransferMsg, nowNs: Nanos): void {
    const k = TransferWire.key(msg);
    const e = this.entries.get(k);
    if (e) {
      e.copies++;
      e.lastSentNs = nowNs;
    } else this.entries.set(k, { msg: { ...msg }, copies: 1, lastSentNs: nowNs });
    this.sent++;
    this.onSend?.(msg);
  }

  arrive(msg: TransferMsg): void {
    const k = TransferWire.key(msg);
    const e = this.entries.get(k);
    if (e && --e.copies <= 0) this.entries.delete(k);
  }

  /** The transfers possibly in flight at `nowNs`, in first-sent order. */
  inFlight(nowNs: Nanos): TransferMsg[] {
    const out: TransferMsg[] = [];
    for (const [k, e] of this.entries) {
      if (nowNs - e.lastSentNs > this.maxAgeNs) this.entries.delete(k);
      else out.push(e.msg);
    }
    return out;
  }
}

export interface EscrowHostOptions {
  readonly config: EscrowReplicaConfig;
  /** Tokens of a brand-new node (ignored when the disk already holds a state). */
  readonly initialTokens: number;
  /** How often `tick` runs (reaper, retransmits, refills), in local ns. */
  readonly tickNs: Nanos;
  readonly wire?: TransferWire;
  /** Counters shared by every incarnation of every node of a cluster (for metrics). */
  readonly counters?: ClusterCounters;
}

/** Cluster-wide counters that survive crashes. */
export interface ClusterCounters {
  /** Server-to-server messages sent (coordination traffic). */
  serverMessages: number;
  /** Transfers sent (first sends and retransmits). */
  transfers: number;
}

/** Counters of one incarnation (volatile: for metrics). */
export interface EscrowHostStats {
  /** Server-to-server messages sent. */
  messagesSent: number;
  /** Client replies sent. */
  repliesSent: number;
  fsyncs: number;
  /** Reservations the reaper expired here. */
  expired: number;
}

export interface EscrowHost extends NodeProgram {
  /** The pure node, as it is in memory (ahead of the disk while a write is in flight). */
  readonly seat: SeatNode<SeatDurable>;
  /** The state last known durable: what a crash returns to (a torn write may keep a later one). */
  readonly synced: SeatDurable;
  /** The newest state handed to the disk (equal to memory as of the last step that changed it). */
  readonly written: SeatDurable;
  readonly stats: EscrowHostStats;
  /** Steps waiting for their write to be durable. */
  readonly waiting: number;
}

/** What a restart of this node would see, and which log positions are durably logged. */
export function readDurable(disk: Pick<Disk, 'read'>, owner: string): { durable: SeatDurable; logged: Set<number> } | null {
  const s = disk.read<StoredState>(STATE_FILE);
  assert(s.error === null, `reading ${owner}'s ${STATE_FILE}: ${s.error}`);
  assert(s.corrupt.length === 0, `${owner}'s ${STATE_FILE} is corrupt: escrow state cannot be rebuilt from peers`);
  if (s.records.length === 0) return null;
  const stored = s.records[s.records.length - 1]!;
  const log = disk.read<IndexedReservation>(LOG_FILE);
  assert(log.error === null, `reading ${owner}'s ${LOG_FILE}: ${log.error}`);
  const all = new Array<Reservation | undefined>(stored.total);
  const logged = new Set<number>();
  // A corrupt (torn) log record is also in the state record (see LOG_FILE): skip it.
  for (const e of log.records) {
    if (e === null || e.index >= stored.total) continue;
    all[e.index] = e.r;
    logged.add(e.index);
  }
  for (const e of stored.open) all[e.index] = e.r;
  for (let i = 0; i < all.length; i++) assert(all[i] !== undefined, `${owner}: reservation #${i} is in neither ${STATE_FILE} nor ${LOG_FILE}`);
  const durable = { ...stored.state, reservations: { reservations: all as Reservation[], reapQueue: stored.state.reservations.reapQueue } } as SeatDurable;
  return { durable, logged };
}

/** What a restart of this node would see: its durable state on disk, or null if it has none. */
export function durableOnDisk(disk: Pick<Disk, 'read'>, owner: string): SeatDurable | null {
  return readDurable(disk, owner)?.durable ?? null;
}

interface Waiting {
  /** The write version that must be durable before this step's output leaves. */
  readonly needs: number;
  readonly messages: readonly EscrowMsg[];
  readonly reply: { env: Envelope; body: ClientReply } | null;
}

/** The node program: see the file header. */
export function escrowHost(ctx: NodeContext, opts: EscrowHostOptions): EscrowHost {
  ctx.declareProbes(ESCROW_PROBES);
  const config = { ...opts.config, probe: (name: string) => ctx.probe(name) };
  const { wire } = opts;
  const stats: EscrowHostStats = { messagesSent: 0, repliesSent: 0, fsyncs: 0, expired: 0 };
  // A read that keeps failing throws DiskReadFailed: the node fail-stops rather than start empty.
  const found = readDurable({ read: (f) => ctx.disk.readForRecovery(f) }, ctx.id);
  const onDisk = found?.durable ?? null;
  /** Log positions durably in LOG_FILE, and those in the batch being synced. */
  const logged = found?.logged ?? new Set<number>();
  let loggingNow: IndexedReservation[] = [];
  const seat = onDisk === null ? createSeatNode(config, opts.initialTokens) : restoreSeatNode(config, onDisk);
  ctx.log('recover', onDisk === null ? `fresh ${seat.kind} node` : `${seat.kind} state from disk`);
  if (onDisk !== null && onDisk.kind === 'escrow' && onDisk.outbox.length > 0) ctx.probe('escrow:restart-with-outbox');

  // Write versions: `written` counts states handed to the host, `durable` the newest made durable.
  let written = 0;
  let durable = 0;
  let latest: SeatDurable = seat.durable();
  let synced: SeatDurable = latest;
  let fsyncInFlight = false;
  const queue: Waiting[] = [];

  const release = (): void => {
    while (queue.length > 0 && queue[0]!.needs <= durable) {
      const w = queue.shift()!;
      for (const m of w.messages) {
        ctx.send(m.to, m);
        stats.messagesSent++;
        if (opts.counters) {
          opts.counters.serverMessages++;
          if (m.type === 'transfer') opts.counters.transfers++;
        }
        if (m.type === 'transfer') {
          wire?.send(m, ctx.now());
          ctx.milestone('commit-advance', `transfer to ${m.to}`);
        }
      }
      if (w.reply) {
        ctx.reply(w.reply.env, w.reply.body);
        stats.repliesSent++;
      }
    }
  };

  const maybeSync = (): void => {
    if (fsyncInFlight || durable === written) return;
    const version = written;
    const state = latest;
    fsyncInFlight = true;
    stats.fsyncs++;
    const { stored, toLog } = encodeState(state, logged);
    ctx.disk.put(STATE_FILE, [stored]);
    for (const e of toLog) ctx.disk.append(LOG_FILE, e);
    loggingNow = toLog;
    ctx.disk.fsync((err) => {
      fsyncInFlight = false;
      if (err === null) {
        for (const e of loggingNow) logged.add(e.index);
        durable = version;
        synced = state;
        release();
      } else {
        ctx.log('fsync-failed', `${err}: retrying with the newest state`);
        ctx.probe('escrow:fsync-failed-retried');
      }
      maybeSync();
    });
  };

  /** Applies one step's output in the contract's order. */
  const apply = (out: NodeOutput<SeatDurable>, request: Envelope | null, op: ClientOp | null): void => {
    if (out.persist !== null) {
      written++;
      latest = out.persist;
    }
    let reply: { env: Envelope; body: ClientReply } | null = null;
    for (const r of out.replies) {
      if (r.op === 'notify') {
        if (r.ok && r.state === 'expired') stats.expired++;
      } else if (request !== null && r.op === op && reply === null) reply = { env: request, body: r };
    }
    if (out.messages.length === 0 && reply === null) {
      maybeSync();
      return;
    }
    if (out.persist === null && out.messages.length > 0 && reply === null && config.bugs?.reackBeforeCreditDurable === true) {
      // BUG (reack-before-credit-durable): "nothing to persist, send at once": a duplicate
      // transfer's re-ack overtakes the write of the first credit still waiting for its fsync.
      for (const m of out.messages) ctx.send(m.to, m);
      maybeSync();
      return;
    }
    queue.push({ needs: written, messages: out.messages, reply });
    release();
    maybeSync();
  };

  // A brand-new node writes its initial state before anything leaves it.
  if (onDisk === null) {
    written = 1;
    maybeSync();
  } else {
    synced = onDisk;
  }

  const tick = (): void => {
    if (!ctx.buggify('escrow.host.skip_tick')) apply(seat.tick(ctx.now()), null, null);
    ctx.setTimer(opts.tickNs, tick);
  };
  ctx.setTimer(ctx.rng.int(1, opts.tickNs), tick);

  const onClient = (env: Envelope, req: ClientRequest): void => {
    const now = ctx.now();
    switch (req.type) {
      case 'hold':
        apply(seat.hold({ reservationId: req.reservationId, count: req.count }, now), env, 'hold');
        return;
      case 'confirm':
        apply(seat.confirm(req.reservationId, now), env, 'confirm');
        return;
      case 'cancel':
        apply(seat.cancel(req.reservationId, now), env, 'cancel');
        return;
      case 'extend':
        apply(seat.extend(req.reservationId, now), env, 'extend');
        return;
      case 'consume':
        apply(seat.consume(req.count, now), env, 'consume');
        return;
    }
  };

  return {
    seat,
    stats,
    get synced() {
      return synced;
    },
    get written() {
      return latest;
    },
    get waiting() {
      return queue.length;
    },
    onMessage(env) {
      const body = env.body as { type?: unknown };
      if (env.rpcId !== undefined && typeof body.type === 'string' && CLIENT_OPS.has(body.type)) {
        onClient(env, env.body as ClientRequest);
        return;
      }
      const msg = env.body as EscrowMsg;
      if (msg.type === 'transfer') wire?.arrive(msg);
      apply(seat.receive(msg, ctx.now()), null, null);
    },
  };
}

// ---- invariants over a running cluster ---------------------------------------------------------

/** The node handle a monitor reads (a SimNode running `escrowHost`). */
export interface HostedNode {
  readonly id: string;
  readonly up: boolean;
  readonly state: 'up' | 'down' | 'paused';
  readonly clock: { localAt(trueNs: Nanos): Nanos };
  readonly epoch: number;
  readonly disk: Disk;
  readonly program: EscrowHost | null;
}

interface KnownReservations {
  /** The durable state these were read from (identity), or the epoch of a down node. */
  source: SeatDurable | number | null;
  reservations: readonly ReservationView[];
}

/**
 * The safety invariants of the issue, checked on a global snapshot at every poll:
 *  - never-oversell: held + confirmed + consumed <= C, on every node's in-memory state (a down
 *    node counts with what it will restart from);
 *  - conservation: free + committed + in flight = C, no phantom transfer on the wire;
 *  - transitions: between polls, every reservation of every node's DURABLE state moves only along
 *    allowed transitions, never changes count, never disappears (a crash may undo what was never
 *    durable, which nobody was told about, but never what was); confirmed stays confirmed, so a
 *    confirmation once durable is never lost;
 *  - acknowledged confirmations: when a client is told "confirmed", the node's durable state
 *    says so (`ackConfirmed`).
 */
export class EscrowMonitor {
  private readonly known = new Map<string, KnownReservations>();
  private cacheAt = -1;
  private cache: GlobalSnapshot | null = null;
  private readonly down = new Map<string, { epoch: number; durable: SeatDurable | null; snapshot: NodeSnapshot | null }>();
  private readonly upSince = new Map<string, { epoch: number; sinceNs: Nanos }>();
  /** The grace period of holds (for the reaper check). */
  graceNs = 0;
  readonly acked: { nodeId: string; reservationId: string }[] = [];

  constructor(
    readonly capacity: number,
    readonly nodes: readonly HostedNode[],
    readonly wire: TransferWire,
    private readonly clock: { readonly now: Nanos; readonly events: number },
    /** Each node's state at a fresh start (its initial tokens): a crash before its first fsync returns to it. */
    private readonly fresh: ReadonlyMap<string, NodeSnapshot> = new Map(),
  ) {}

  /** Every node's state now: in memory if up, else what its disk will restore. */
  snapshot(): GlobalSnapshot {
    if (this.cacheAt === this.clock.events && this.cache) return this.cache;
    const nodes = this.nodes.map((n) => {
      if (n.up && n.program) return n.program.seat.snapshot();
      this.downDurable(n);
      // Nothing on disk (crashed before its first fsync completed, say in a full-disk episode):
      // it restarts as it first started, with its initial tokens.
      const snap = this.down.get(n.id)!.snapshot ?? this.fresh.get(n.id) ?? null;
      assert(snap !== null, `node ${n.id} is down with nothing on disk, and its fresh state is unknown`);
      return snap;
    });
    this.cache = { capacity: this.capacity, nodes, messages: this.wire.inFlight(this.clock.now) };
    this.cacheAt = this.clock.events;
    return this.cache;
  }

  checkOversell(): string | null {
    return checkNeverOversell(this.snapshot());
  }

  checkConservation(): string | null {
    return checkConservation(this.snapshot());
  }

  private durableOf(n: HostedNode): SeatDurable | number | null {
    if (n.up && n.program) return n.program.synced;
    return n.epoch;
  }

  /** Transitions on durable state since the previous poll (see the class comment). */
  checkTransitions(): string | null {
    for (const n of this.nodes) {
      const source = this.durableOf(n);
      const k = this.known.get(n.id);
      if (k && k.source === source) continue;
      const d = typeof source === 'number' ? this.downDurable(n) : source;
      // Tables only grow, in creation order: compare position by position.
      const now = d?.reservations.reservations ?? [];
      if (k) {
        const was = k.reservations;
        for (let i = 0; i < was.length; i++) {
          const a = was[i]!;
          const b = now[i];
          if (!b || b.id !== a.id) return `durable reservation ${a.id} at ${n.id} disappeared (was ${a.state})`;
          if (b.count !== a.count) return `reservation ${a.id} at ${n.id} changed count ${a.count} -> ${b.count}`;
          if (a.state !== b.state && !isReachable(a.state, b.state)) {
            return a.state === 'confirmed'
              ? `confirmed reservation ${a.id} at ${n.id} lost: now ${b.state}`
              : `illegal transition of reservation ${a.id} at ${n.id}: ${a.state} -> ${b.state}`;
          }
        }
      }
      // Durable states are never mutated once made (each write is a fresh copy): keep the array.
      this.known.set(n.id, { source, reservations: now });
    }
    return null;
  }

  /** A down node's durable state, read once per outage (its disk does not change while down). */
  private downDurable(n: HostedNode): SeatDurable | null {
    const c = this.down.get(n.id);
    if (c && c.epoch === n.epoch) return c.durable;
    const durable = durableOnDisk({ read: (f) => n.disk.peek(f) }, n.id);
    this.down.set(n.id, { epoch: n.epoch, durable, snapshot: durable ? snapshotOfDurable(durable) : null });
    return durable;
  }

  /**
   * The reaper keeps time: on a node running without interruption for a while, no hold is still
   * held past expiresAt + grace, and no pending reservation past its deadline, by more than
   * `slackNs` of the node's local time. (A down or paused node reaps as soon as it runs again.)
   */
  checkReaper(slackNs: Nanos): string | null {
    const now = this.clock.now;
    for (const n of this.nodes) {
      const u = this.upSince.get(n.id);
      if (n.state !== 'up' || !n.program || !u || u.epoch !== n.epoch) {
        this.upSince.set(n.id, { epoch: n.epoch, sinceNs: n.state === 'up' && u && u.epoch === n.epoch ? u.sinceNs : now });
        continue;
      }
      if (now - u.sinceNs < 2 * slackNs) continue;
      const local = n.clock.localAt(now);
      const grace = this.graceNs;
      for (const r of n.program.written.reservations.reservations) {
        const late = r.state === 'held' ? local - (r.expiresAtNs + grace) : r.state === 'pending' ? local - r.expiresAtNs : 0;
        if (late > slackNs) return `${r.state} reservation ${r.id} at ${n.id} outlived its deadline by ${(late / 1e6).toFixed(1)} ms: the reaper is late`;
      }
    }
    return null;
  }

  /** A client was told `reservationId` at `nodeId` is confirmed: it must be, durably. */
  ackConfirmed(nodeId: string, reservationId: string): string | null {
    this.acked.push({ nodeId, reservationId });
    const n = this.nodes.find((x) => x.id === nodeId);
    assert(n !== undefined, `unknown node ${nodeId}`);
    const d = n.up && n.program ? n.program.synced : this.downDurable(n);
    const r = d?.reservations.reservations.find((x) => x.id === reservationId);
    if (!r || r.state !== 'confirmed') return `client was told ${reservationId} at ${nodeId} is confirmed, but its durable state says ${r ? r.state : 'missing'}`;
    return null;
  }

  /** Liveness: no reservation is pending or held anywhere (every node up). */
  holdsResolved(): true | string {
    for (const n of this.nodes) {
      if (!n.up || !n.program) return `${n.id} is down`;
      const open = n.program.seat.snapshot().reservations.filter((r) => r.state === 'pending' || r.state === 'held');
      if (open.length > 0) return `${n.id} has ${open.length} open reservation(s), e.g. ${open[0]!.id} ${open[0]!.state}`;
    }
    return true;
  }

  /** Liveness: every transfer credited and acknowledged (all outboxes empty). */
  transfersSettled(): true | string {
    for (const n of this.nodes) {
      if (!n.up || !n.program) return `${n.id} is down`;
      const ob = n.program.seat.snapshot().outbox;
      if (ob.length > 0) return `${n.id} has ${ob.length} unacknowledged transfer(s), e.g. to ${ob[0]!.to}#${ob[0]!.seq}`;
    }
    return true;
  }
}

// ---- the scenario kit: clusters, WAN, buyers, probes, metrics ----------------------------------
// Shared by every scenarios/escrow-*.ts file (a scenario file must default-export one scenario, so
// the shared parts live here, beside the glue they drive).

/** The bug zoo, as the scenarios' `bug` parameter. */
export const ESCROW_BUGS = ['none', 'check-then-act', 'credit-before-debit-durable', 'reaper-returns-confirmed', 'rebalance-double-counts-in-flight', 'reack-before-credit-durable'] as const;
export type EscrowBugName = (typeof ESCROW_BUGS)[number];

/** The core's switches for one bug-zoo entry. */
export function bugFlags(bug: EscrowBugName): EscrowBugs {
  switch (bug) {
    case 'none':
      return {};
    case 'check-then-act':
      return { checkThenAct: true };
    case 'credit-before-debit-durable':
      return { creditBeforeDebitDurable: true };
    case 'reaper-returns-confirmed':
      return { reaperReturnsConfirmed: true };
    case 'rebalance-double-counts-in-flight':
      return { rebalanceDoubleCountsInFlight: true };
    case 'reack-before-credit-durable':
      return { reackBeforeCreditDurable: true };
  }
}

/** Defaults a scenario may change; every figure has its unit last. */
export interface SaleDefaults {
  regions: number;
  capacity: number;
  clients: number;
  hotRegionShare: number;
  thinkMsMean: number;
  seatsMax: number;
  confirmDelayMsMean: number;
  abandonRate: number;
  cancelRate: number;
  holdMs: number;
  graceMs: number;
  wanMsMedian: number;
  tickMs: number;
  durationS: number;
}

export const SALE_DEFAULTS: SaleDefaults = {
  regions: 3, capacity: 150, clients: 9, hotRegionShare: 0.6, thinkMsMean: 40, seatsMax: 4, confirmDelayMsMean: 20,
  abandonRate: 0.1, cancelRate: 0.05, holdMs: 1000, graceMs: 200, wanMsMedian: 40, tickMs: 5, durationS: 6,
};

/** The sale's typed parameters (spread `...faultParams()` and a `bug` next to them). */
export function saleParams(d: Partial<SaleDefaults> = {}) {
  const v = { ...SALE_DEFAULTS, ...d };
  return {
    regions: param.int({ doc: 'regions, one escrow node each', default: v.regions, min: 2, max: 8, swarm: [Math.max(2, v.regions - 1), v.regions + 1] }),
    capacity: param.int({ doc: 'seats in the venue (C)', default: v.capacity, min: 1, max: 1_000_000 }),
    clients: param.int({ doc: 'concurrent buyers (closed loop)', default: v.clients, min: 1, max: 256 }),
    hotRegionShare: param.float({ doc: 'share of the buyers in region r1 (the skew)', default: v.hotRegionShare, min: 0, max: 1, swarm: [0.4, 0.9] }),
    thinkMsMean: param.float({ doc: 'mean pause between a buyer\'s attempts (ms)', default: v.thinkMsMean, min: 0.01, max: 1e6 }),
    seatsMax: param.int({ doc: 'largest number of seats in one reservation', default: v.seatsMax, min: 1, max: 100 }),
    confirmDelayMsMean: param.float({ doc: 'mean time a buyer takes to pay after the hold (ms)', default: v.confirmDelayMsMean, min: 0, max: 1e6 }),
    abandonRate: param.float({ doc: 'probability a buyer walks away from a hold (the reaper frees it)', default: v.abandonRate, min: 0, max: 1 }),
    cancelRate: param.float({ doc: 'probability a buyer cancels a hold', default: v.cancelRate, min: 0, max: 1 }),
    holdMs: param.float({ doc: 'hold time-to-live (ms)', default: v.holdMs, min: 1, max: 1e7 }),
    graceMs: param.float({ doc: 'grace after a hold expires before the reaper takes it (ms)', default: v.graceMs, min: 0, max: 1e7 }),
    wanMsMedian: param.float({ doc: 'median one-way latency between regions (ms)', default: v.wanMsMedian, min: 0.01, max: 10_000, swarm: [Math.max(1, v.wanMsMedian / 4), v.wanMsMedian * 2] }),
    tickMs: param.float({ doc: 'node timer period: reaper, retransmits, refills (ms)', default: v.tickMs, min: 0.1, max: 1e5 }),
    durationS: param.float({ doc: 'length of the sale (the fault phase) (s)', default: v.durationS, min: 0.01, max: 86400 }),
  };
}

export type SaleValues = ParamValues<ReturnType<typeof saleParams>>;

/** The hold policy of a sale: extensions add half a hold, once. */
export function holdPolicyOf(p: SaleValues): HoldPolicy {
  return {
    holdNs: ms(p.holdMs), graceNs: ms(p.graceMs), extendNs: ms(p.holdMs / 2), maxExtensions: 1,
    // Long enough for a borrow across the WAN and a coordinator's planning round, with retries.
    pendingTimeoutNs: Math.max(ms(p.holdMs), ms(8 * p.wanMsMedian + 400)),
  };
}

/** How long, after the faults stop, every hold has to be resolved and every transfer settled. */
export function livenessBoundOf(p: SaleValues): Nanos {
  const h = holdPolicyOf(p);
  return h.holdNs + h.maxExtensions * h.extendNs + h.graceNs + h.pendingTimeoutNs + sec(10);
}

export function regionNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `r${i + 1}`);
}

/** A group of nodes serving one sale, and what the workload and checks need to know of it. */
export interface SaleCluster {
  readonly label: string;
  readonly regions: readonly string[];
  /** Nodes holding seat state (what the monitor checks). */
  readonly hosts: readonly SimNode<EscrowHost>[];
  /** Where a buyer of a region sends its requests. */
  readonly entryOf: ReadonlyMap<string, string>;
  /** Which host owns the reservations made through an entry node. */
  readonly ownerOf: ReadonlyMap<string, string>;
  /** Region of every node of the cluster ('*' = near everyone). */
  readonly regionOf: Map<string, string>;
  readonly monitor: EscrowMonitor;
  readonly wire: TransferWire;
  readonly counters: ClusterCounters;
  /** Tokens a node would give away now (0 for a node that never lends). */
  readonly lendable: (s: NodeSnapshot) => number;
  /** Hosts that serve buyers (where demand shows up). */
  readonly regional: readonly string[];
  readonly capacity: number;
}

export type Topology = 'peers' | 'multi-level';

export interface EscrowClusterOptions {
  readonly prefix: string;
  readonly topology: Topology;
  readonly bugs: EscrowBugs;
  /** Tokens a lender keeps. */
  readonly lendFloorTokens?: number;
  /** Share of C the global node keeps in reserve (multi-level). */
  readonly globalReserveShare?: number;
}

/** Each escrow node's state at a fresh start, by world: what a node restarts as with nothing on disk. */
const FRESH = new WeakMap<World<unknown>, Map<string, NodeSnapshot>>();
function freshStart(w: World<unknown>, id: string, s: NodeSnapshot): true {
  const m = FRESH.get(w) ?? new Map<string, NodeSnapshot>();
  FRESH.set(w, m);
  m.set(id, s);
  return true;
}

function newCluster(w: World<unknown>, label: string, capacity: number, hosts: SimNode<EscrowHost>[], extra: Omit<SaleCluster, 'label' | 'hosts' | 'monitor' | 'capacity'>): SaleCluster {
  checkEscrowAcksDurable(w, hosts.map((h) => h.id), STATE_FILE);
  const monitor = new EscrowMonitor(capacity, hosts, extra.wire, w.sim, FRESH.get(w) ?? new Map());
  return { label, hosts, monitor, capacity, ...extra };
}

/**
 * The escrow design: one replica per region. 'peers': replicas borrow from each other on demand.
 * 'multi-level': a global replica (in r1) keeps a reserve and rebalances the regions centrally
 * from their reports (global -> regional escrow, seed ch. 9.3.2).
 */
export function addEscrowCluster(w: World<unknown>, p: SaleValues, o: EscrowClusterOptions): SaleCluster {
  const regions = regionNames(p.regions);
  const hold = holdPolicyOf(p);
  const wire = new TransferWire(sec(10));
  const counters: ClusterCounters = { serverMessages: 0, transfers: 0 };
  const rtt = ms(2 * p.wanMsMedian);
  const retransmitNs = Math.max(ms(50), 3 * rtt);
  const floor = o.lendFloorTokens ?? 1;
  const batch = Math.max(2, Math.round(p.capacity / (p.regions * 8)));
  const ids = regions.map((r) => `${o.prefix}${r}`);
  const regionOf = new Map<string, string>(ids.map((id, i) => [id, regions[i]!]));
  const base = { capacity: p.capacity, retransmitNs, borrowTimeoutNs: retransmitNs, hold, lendFloorTokens: floor, bugs: o.bugs };
  const configs: EscrowReplicaConfig[] = [];
  let initial: number[];
  const globalId = `${o.prefix}g`;
  const lowWater = batch;
  if (o.topology === 'peers') {
    for (const id of ids) configs.push({ ...base, id, parent: null, peers: ids.filter((x) => x !== id), refill: { kind: 'demand', lowWaterTokens: 0, batchTokens: batch, source: 'peers' }, coordinator: null });
    initial = [...allocate(p.capacity, ids, { kind: 'equal' }).values()];
  } else {
    const reserve = Math.round(p.capacity * (o.globalReserveShare ?? 0.2));
    const split = [...allocate(p.capacity - reserve, ids, { kind: 'equal' }).values()];
    for (const id of ids) configs.push({ ...base, id, parent: globalId, peers: [], refill: { kind: 'coordinator', reportIntervalNs: ms(Math.max(20, p.wanMsMedian)) }, coordinator: null });
    configs.push({ ...base, id: globalId, parent: null, peers: [], refill: { kind: 'none' }, coordinator: { children: ids, intervalNs: ms(Math.max(20, p.wanMsMedian)), lowWaterTokens: lowWater } });
    regionOf.set(globalId, regions[0]!);
    initial = [...split, reserve];
  }
  const hosts = configs.map((config, i) =>
    freshStart(w, config.id, createSeatNode(config, initial[i]!).snapshot()) && w.addNode(config.id, (ctx) => escrowHost(ctx, { config, initialTokens: initial[i]!, tickNs: ms(p.tickMs), wire, counters })),
  );
  const lendable = (s: NodeSnapshot): number => {
    const pending = s.reservations.reduce((a, r) => a + (r.state === 'pending' ? r.count : 0), 0);
    if (o.topology === 'multi-level' && s.id !== globalId) return Math.max(0, s.tokens - 2 * lowWater);
    return Math.max(0, s.tokens - floor - pending);
  };
  const entryOf = new Map(regions.map((r, i) => [r, ids[i]!]));
  return newCluster(w, o.prefix, p.capacity, hosts, { regions, entryOf, ownerOf: new Map(ids.map((id) => [id, id])), regionOf, wire, counters, lendable, regional: ids });
}

/** The coordinated baseline: a leader in `leaderRegion` with all C seats, a front end per region. */
export function addCoordinatedCluster(w: World<unknown>, p: SaleValues, o: { prefix: string; leaderRegion: string; bugs: EscrowBugs }): SaleCluster {
  const regions = regionNames(p.regions);
  const wire = new TransferWire(sec(10));
  const counters: ClusterCounters = { serverMessages: 0, transfers: 0 };
  const leaderId = `${o.prefix}leader`;
  const config = coordinatedLeaderConfig(leaderId, p.capacity, holdPolicyOf(p), ms(50), o.bugs);
  freshStart(w, leaderId, createSeatNode(config, p.capacity).snapshot());
  const leader = w.addNode(leaderId, (ctx) => escrowHost(ctx, { config, initialTokens: p.capacity, tickNs: ms(p.tickMs), wire, counters }));
  const regionOf = new Map<string, string>([[leaderId, o.leaderRegion]]);
  const entryOf = new Map<string, string>();
  const ownerOf = new Map<string, string>();
  // A front end must wait longer than a WAN round trip plus the leader's fsync.
  const leaderTimeoutNs = ms(8 * p.wanMsMedian + 200);
  for (const r of regions) {
    const id = `${o.prefix}fe-${r}`;
    w.addNode(id, (ctx) => coordinatedFrontEnd(ctx, { leader: leaderId, leaderTimeoutNs, counters }));
    regionOf.set(id, r);
    entryOf.set(r, id);
    ownerOf.set(id, leaderId);
  }
  return newCluster(w, o.prefix, p.capacity, [leader], { regions, entryOf, ownerOf, regionOf, wire, counters, lendable: () => 0, regional: [leaderId] });
}

/**
 * WAN latency between regions: every link between two nodes of different regions gets a
 * long-tailed latency around `medianNs` (seed ch. 8.2: tens of ms between regions), on top of
 * whatever loss and reordering the fault parameters set. Call after `standardNemesis`.
 */
export function applyWan(w: World<unknown>, regionOf: ReadonlyMap<string, string>, medianNs: Nanos): void {
  const latency = { kind: 'lognormal' as const, minNs: Math.round(medianNs * 0.7), medianNs, p99Ns: medianNs * 3 };
  const nodes = [...regionOf.keys()];
  for (let i = 0; i < nodes.length; i++)
    for (let j = i + 1; j < nodes.length; j++) {
      const a = regionOf.get(nodes[i]!)!;
      const b = regionOf.get(nodes[j]!)!;
      if (a !== b && a !== '*' && b !== '*') w.net.setLinkBoth(nodes[i]!, nodes[j]!, { latency });
    }
}

/** Per-region figures of a sale. */
export interface RegionSales {
  requestedSeats: number;
  soldSeats: number;
  sales: number;
  rejected: number;
  expired: number;
  abandoned: number;
  cancelled: number;
}

/** What the buyers saw, for metrics. All times are true simulated time. */
export class SaleStats {
  readonly regions = new Map<string, RegionSales>();
  readonly saleLatencyNs: number[] = [];
  /** Sale latencies by region. */
  readonly regionLatencyNs = new Map<string, number[]>();
  readonly holdLatencyNs: number[] = [];
  clientMessages = 0;
  lastSaleNs = 0;

  constructor(regions: readonly string[]) {
    for (const r of regions) {
      this.regions.set(r, { requestedSeats: 0, soldSeats: 0, sales: 0, rejected: 0, expired: 0, abandoned: 0, cancelled: 0 });
      this.regionLatencyNs.set(r, []);
    }
  }

  region(r: string): RegionSales {
    const s = this.regions.get(r);
    assert(s !== undefined, `unknown region ${r}`);
    return s;
  }

  get soldSeats(): number {
    let n = 0;
    for (const s of this.regions.values()) n += s.soldSeats;
    return n;
  }

  get sales(): number {
    let n = 0;
    for (const s of this.regions.values()) n += s.sales;
    return n;
  }

  /** Jain's index over the regions' served fraction (sold / requested seats), regions with demand only. */
  jain(): number {
    const xs: number[] = [];
    for (const s of this.regions.values()) if (s.requestedSeats > 0) xs.push(s.soldSeats / s.requestedSeats);
    return xs.length === 0 ? 1 : jainIndex(xs);
  }

  summary(c: SaleCluster): Record<string, unknown> {
    const sales = this.sales;
    const perRegion: Record<string, unknown> = {};
    for (const [r, s] of this.regions) {
      const lat = this.regionLatencyNs.get(r)!;
      perRegion[r] = {
        ...s, servedFraction: s.requestedSeats > 0 ? round3(s.soldSeats / s.requestedSeats) : null,
        saleLatencyMsP50: round3(percentile(lat, 0.5) / 1e6), saleLatencyMsP99: round3(percentile(lat, 0.99) / 1e6),
      };
    }
    return {
      soldSeats: this.soldSeats,
      capacity: c.capacity,
      sales,
      throughputSalesPerSec: this.lastSaleNs > 0 ? round3(sales / (this.lastSaleNs / 1e9)) : 0,
      saleLatencyMsP50: round3(percentile(this.saleLatencyNs, 0.5) / 1e6),
      saleLatencyMsP99: round3(percentile(this.saleLatencyNs, 0.99) / 1e6),
      holdLatencyMsP50: round3(percentile(this.holdLatencyNs, 0.5) / 1e6),
      holdLatencyMsP99: round3(percentile(this.holdLatencyNs, 0.99) / 1e6),
      serverMessagesPerSale: sales > 0 ? round3(c.counters.serverMessages / sales) : null,
      messagesPerSale: sales > 0 ? round3((c.counters.serverMessages + this.clientMessages) / sales) : null,
      transfers: c.counters.transfers,
      jainServedFraction: round3(this.jain()),
      perRegion,
    };
  }
}

export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Buyers per region: `hotRegionShare` of them in r1, the rest spread evenly. */
export function buyersPerRegion(p: SaleValues): number[] {
  const rest = (1 - p.hotRegionShare) / (p.regions - 1);
  return apportion(p.clients, regionNames(p.regions).map((_, i) => (i === 0 ? p.hotRegionShare : rest)));
}

type Reply = CallResult<ClientReply>;

/** A confirm refused only because the reservation still waits for tokens. */
function stillPending(r: ClientReply): boolean {
  return !r.ok && r.code === 'illegal-transition' && r.message.includes('pending');
}

/**
 * Closed-loop buyers: each waits a think time, holds 1..seatsMax seats at its region's entry
 * node, then pays (confirms) after a delay, cancels, or walks away. A hold that is pending
 * (tokens being borrowed) is polled with confirm until it is held or expires. A timed-out call is
 * retried with the same reservation id (a duplicate means the first attempt got through).
 * A confirmation the buyer is told about is checked against durable state at once.
 */
export function addBuyers(w: World<unknown>, c: SaleCluster, p: SaleValues, stats: SaleStats, prefix = c.label): void {
  const hold = holdPolicyOf(p);
  const perRegion = buyersPerRegion(p);
  const callTimeoutNs = ms(8 * p.wanMsMedian + 300);
  c.regions.forEach((region, ri) => {
    for (let k = 0; k < perRegion[ri]!; k++) {
      const id = `${prefix}b-${region}-${k + 1}`;
      const entry = c.entryOf.get(region)!;
      const owner = c.ownerOf.get(entry)!;
      c.regionOf.set(id, region);
      const rs = stats.region(region);
      w.addClient(id, (ctx) => (function* () {
        let n = 0;
        const call = function* (req: ClientRequest) {
          stats.clientMessages++;
          const r: Reply = yield ctx.call<ClientReply>(entry, req, callTimeoutNs);
          if (r.ok) stats.clientMessages++;
          return r;
        };
        for (;;) {
          yield ctx.sleep(Math.max(1, Math.round(ctx.rng.exponential(ms(p.thinkMsMean)))));
          if (w.phase !== 'fault') return;
          const count = ctx.rng.int(1, p.seatsMax);
          const reservationId = `${id}-${++n}`;
          rs.requestedSeats += count;
          const t0 = w.now;
          let got: 'yes' | 'maybe' | 'no' = 'no';
          for (let attempt = 0; attempt < 3 && got === 'no'; attempt++) {
            const r: Reply = yield* call({ type: 'hold', reservationId, count });
            if (!r.ok) continue;
            if (r.body.ok) got = 'yes';
            else if (r.body.code === 'duplicate-reservation') got = 'maybe';
            else break;
          }
          if (got === 'no') {
            rs.rejected++;
            yield ctx.sleep(ms(4 * p.thinkMsMean));
            continue;
          }
          const holdLatency = w.now - t0;
          stats.holdLatencyNs.push(holdLatency);
          const u = ctx.rng.next();
          if (u < p.abandonRate) {
            rs.abandoned++;
            continue;
          }
          if (u < p.abandonRate + p.cancelRate) {
            const r: Reply = yield* call({ type: 'cancel', reservationId });
            if (r.ok && r.body.ok) rs.cancelled++;
            continue;
          }
          yield ctx.sleep(Math.round(ctx.rng.exponential(ms(p.confirmDelayMsMean))));
          const t1 = w.now;
          const deadline = t1 + hold.holdNs + hold.graceNs + hold.pendingTimeoutNs;
          while (w.now < deadline) {
            const r: Reply = yield* call({ type: 'confirm', reservationId });
            if (!r.ok) continue;
            if (r.body.ok) {
              rs.sales++;
              rs.soldSeats += count;
              stats.saleLatencyNs.push(holdLatency + (w.now - t1));
              stats.regionLatencyNs.get(region)!.push(holdLatency + (w.now - t1));
              stats.lastSaleNs = w.now;
              const v = c.monitor.ackConfirmed(owner, reservationId);
              if (v) w.violation(`${c.label}confirmed-never-lost`, v);
              break;
            }
            if (stillPending(r.body)) {
              yield ctx.sleep(ms(Math.max(5, p.wanMsMedian / 2)));
              continue;
            }
            rs.expired++;
            break;
          }
        }
      })());
    }
  });
}

/**
 * Liveness "idle tokens flow to regions with demand": when the faults stop, a probe buyer asks
 * the regional node with the fewest free tokens for more seats than it holds. If other nodes can
 * lend, the hold must be granted (and is bought) within the bound; the time it took is reported.
 * If nobody can lend (sold out), the property holds trivially and says so.
 */
export function addFlowProbe(w: World<unknown>, c: SaleCluster, p: SaleValues): void {
  const start = new Future<void>(w.sim);
  const id = `${c.label}probe`;
  c.regionOf.set(id, '*');
  let state: true | string = 'the probe has not run';
  w.onHeal(() => start.resolve(undefined));
  w.liveness(`${c.label}idle-tokens-flow`, () => state);
  w.addClient(id, (ctx) => (function* () {
    yield start;
    const t0 = w.now;
    for (let attempt = 1; ; attempt++) {
      const snap = c.monitor.snapshot();
      const regional = snap.nodes.filter((n) => c.regional.includes(n.id));
      const target = [...regional].sort((a, b) => c.lendable(a) - c.lendable(b) || a.tokens - b.tokens || (a.id < b.id ? -1 : 1))[0]!;
      const elsewhere = snap.nodes.reduce((a, n) => a + (n.id === target.id ? 0 : c.lendable(n)), 0);
      if (elsewhere < 1) {
        state = true;
        w.metrics[`${c.label}probe`] = { result: 'nothing idle elsewhere', attempts: attempt };
        return;
      }
      const count = target.tokens + 1;
      const rid = `${id}-${attempt}`;
      const r: Reply = yield ctx.call<ClientReply>(target.id, { type: 'hold', reservationId: rid, count } satisfies ClientRequest, sec(1));
      if (!r.ok || !r.body.ok) {
        state = `probe hold at ${target.id} failed: ${r.ok && !r.body.ok ? r.body.message : 'timeout'}`;
        yield ctx.sleep(ms(100));
        continue;
      }
      for (;;) {
        const cr: Reply = yield ctx.call<ClientReply>(target.id, { type: 'confirm', reservationId: rid } satisfies ClientRequest, sec(1));
        if (cr.ok && cr.body.ok) {
          state = true;
          w.metrics[`${c.label}probe`] = { result: 'granted', target: target.id, seats: count, idleElsewhere: elsewhere, flowMs: round3((w.now - t0) / 1e6), attempts: attempt };
          return;
        }
        if (cr.ok && !stillPending(cr.body)) break;
        state = `${target.id} still waits for ${count} seat(s) (${elsewhere} idle elsewhere)`;
        yield ctx.sleep(ms(20));
      }
    }
  })());
}

/**
 * Registers the invariants and liveness properties of a cluster, and starvation sampling:
 * every 50 ms the regional nodes' refusal streaks and idle tokens go to `detectStarvation`.
 */
export function watchCluster(w: World<unknown>, c: SaleCluster, p: SaleValues): { starvedSamples: () => number; starvedRegions: () => string[]; maxRefusalStreak: () => number } {
  const m = c.monitor;
  m.graceNs = holdPolicyOf(p).graceNs;
  // Twenty ticks: BUGGIFY may skip a tick (escrow.host.skip_tick, p = 0.25), never twenty in a row.
  const reaperSlackNs = ms(20 * p.tickMs + 10);
  w.safety(`${c.label}never-oversell`, () => m.checkOversell());
  w.safety(`${c.label}conservation`, () => m.checkConservation());
  w.safety(`${c.label}durable-transitions`, () => m.checkTransitions());
  w.safety(`${c.label}reaper-timely`, () => m.checkReaper(reaperSlackNs));
  w.liveness(`${c.label}holds-resolved`, () => m.holdsResolved());
  w.liveness(`${c.label}transfers-settled`, () => m.transfersSettled());
  let samples = 0;
  let maxStreak = 0;
  const starved = new Set<string>();
  w.spawn(`${c.label}starvation`, (function* () {
    for (;;) {
      yield sleep(w.sim, ms(50));
      if (w.phase !== 'fault') return;
      const snap = m.snapshot();
      const loads = snap.nodes.filter((n) => c.regional.includes(n.id)).map(regionLoadOf);
      for (const l of loads) maxStreak = Math.max(maxStreak, l.refusalStreak);
      const report = detectStarvation(loads, { refusalStreakMin: 3, idleTokensMin: 1 });
      if (report.length > 0) samples++;
      for (const r of report) starved.add(r.id);
    }
  })());
  return { starvedSamples: () => samples, starvedRegions: () => [...starved].sort(), maxRefusalStreak: () => maxStreak };
}

/** One sale, set up the standard way: cluster, buyers, checks, probe, WAN, metrics at heal. */
export function standardSale(w: World<unknown>, p: SaleValues & FaultParams, c: SaleCluster, opts: { probe?: boolean; nemesis?: boolean; metricsKey?: string } = {}): SaleStats {
  const stats = new SaleStats(c.regions);
  addBuyers(w, c, p, stats);
  const starvation = watchCluster(w, c, p);
  if (opts.probe ?? true) addFlowProbe(w, c, p);
  if (opts.nemesis ?? true) standardNemesis(w, p);
  applyWan(w, c.regionOf, ms(p.wanMsMedian));
  w.onHeal(() => {
    w.metrics[opts.metricsKey ?? 'escrow'] = {
      ...stats.summary(c),
      starvationSamples: starvation.starvedSamples(),
      starvedRegions: starvation.starvedRegions(),
      maxRefusalStreak: starvation.maxRefusalStreak(),
    };
  });
  return stats;
}
