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
import type { Envelope, NodeContext, NodeProgram } from '../../sim/node.ts';
import { type Nanos } from '../../sim/time.ts';
import type { EscrowReplicaConfig } from './replica.ts';
import { durableReservations, reservationAt, type Reservation } from './reservation.ts';
import { createSeatNode, restoreSeatNode, type SeatDurable } from './seat.ts';
import type { ClientOp, ClientReply, EscrowMsg, NodeOutput, SeatNode, TransferMsg } from './types.ts';

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

/**
 * Splits a durable state into the state record and the closed reservations to append to the log.
 * Every position below `loggedPrefix` is logged, and `logged` holds those above it: the scan
 * starts there, so a write costs the reservations not yet logged rather than the whole history.
 */
function encodeState(d: SeatDurable, logged: ReadonlySet<number>, loggedPrefix: number): { stored: StoredState; toLog: IndexedReservation[] } {
  const all = durableReservations(d.reservations);
  const open: IndexedReservation[] = [];
  const toLog: IndexedReservation[] = [];
  for (let i = loggedPrefix; i < all.length; i++) {
    if (logged.has(i)) continue;
    const r = reservationAt(all, i);
    open.push({ index: i, r });
    if (CLOSED.has(r.state)) toLog.push({ index: i, r });
  }
  const state = { ...d, reservations: { reservations: [], reapQueue: d.reservations.reapQueue } } as SeatDurable;
  return { stored: { state, open, total: all.length }, toLog };
}

/**
 * True if `m` is a retransmit of a transfer the receiver acknowledged while it waited for an
 * fsync: the newest state has issued its sequence number and no longer holds it in the outbox
 * (entries leave the outbox only on their ack). Sending it would only waste a message, and the
 * durable state it waited for no longer vouches for it. A transfer whose sequence number the
 * newest state has not issued is never skipped: that is a transfer sent before its debit was
 * written, a bug this host must not hide.
 */
export function acknowledgedSince(latest: SeatDurable, m: TransferMsg): boolean {
  if (latest.kind !== 'escrow') return false;
  const next = latest.nextSeq.find((l) => l.to === m.to)?.seq ?? 0;
  return m.seq < next && !latest.outbox.some((e) => e.to === m.to && e.seq === m.seq);
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

/**
 * What a restart of this node would see, and which log positions are durably logged: every
 * position below `loggedPrefix`, and those in `logged` (all at or above it). The prefix is most of
 * a long history, so a restart keeps a set of the few positions past it rather than of them all.
 */
export function readDurable(disk: Pick<Disk, 'read'>, owner: string): { durable: SeatDurable; loggedPrefix: number; logged: Set<number> } | null {
  const s = disk.read<StoredState>(STATE_FILE);
  assert(s.error === null, `reading ${owner}'s ${STATE_FILE}: ${s.error}`);
  assert(s.corrupt.length === 0, `${owner}'s ${STATE_FILE} is corrupt: escrow state cannot be rebuilt from peers`);
  if (s.records.length === 0) return null;
  const stored = s.records[s.records.length - 1]!;
  const log = disk.read<IndexedReservation>(LOG_FILE);
  assert(log.error === null, `reading ${owner}'s ${LOG_FILE}: ${log.error}`);
  const all = new Array<Reservation | undefined>(stored.total);
  const inLog = new Uint8Array(stored.total);
  // A corrupt (torn) log record is also in the state record (see LOG_FILE): skip it.
  for (const e of log.records) {
    if (e === null || e.index >= stored.total) continue;
    all[e.index] = e.r;
    inLog[e.index] = 1;
  }
  for (const e of stored.open) all[e.index] = e.r;
  for (let i = 0; i < all.length; i++) if (all[i] === undefined) assert(false, `${owner}: reservation #${i} is in neither ${STATE_FILE} nor ${LOG_FILE}`);
  let loggedPrefix = 0;
  while (loggedPrefix < inLog.length && inLog[loggedPrefix] === 1) loggedPrefix++;
  const logged = new Set<number>();
  for (let i = loggedPrefix; i < inLog.length; i++) if (inLog[i] === 1) logged.add(i);
  const durable = { ...stored.state, reservations: { reservations: all as Reservation[], reapQueue: stored.state.reservations.reapQueue } } as SeatDurable;
  return { durable, loggedPrefix, logged };
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
  /** Every log position below this is durably in LOG_FILE. */
  let loggedPrefix = found?.loggedPrefix ?? 0;
  /** Log positions at or above `loggedPrefix` durably in LOG_FILE (dropped as the prefix passes them). */
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
        if (m.type === 'transfer' && acknowledgedSince(latest, m)) continue;
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
    const { stored, toLog } = encodeState(state, logged, loggedPrefix);
    ctx.disk.put(STATE_FILE, [stored]);
    for (const e of toLog) ctx.disk.append(LOG_FILE, e);
    loggingNow = toLog;
    ctx.disk.fsync((err) => {
      fsyncInFlight = false;
      if (err === null) {
        for (const e of loggingNow) if (e.index >= loggedPrefix) logged.add(e.index);
        while (logged.delete(loggedPrefix)) loggedPrefix++;
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
        if (opts.config.bugs?.refuseAllHolds === true) return ctx.reply(env, { op: 'hold', ok: false, reservationId: req.reservationId, code: 'sold-out', message: 'sold out' } satisfies ClientReply);
        apply(seat.hold({ reservationId: req.reservationId, count: req.count }, now), env, 'hold');
        return;
      case 'confirm':
        if (opts.config.bugs?.neverConfirms === true) return ctx.reply(env, { op: 'confirm', ok: false, reservationId: req.reservationId, code: 'illegal-transition', message: 'reservation is pending' } satisfies ClientReply);
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
