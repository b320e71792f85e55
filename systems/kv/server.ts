/**
 * A config-store server node: a RaftHost replicating KvStore commands, plus what lives outside the
 * replicated state: the leader's lessor (lease deadlines on the leader's local clock), client
 * requests waiting for their entry to apply, and watch streams.
 *
 * Writes: only the leader proposes; a follower answers "not-leader" with its leader hint. The
 * reply is sent when the entry applies here. Retried writes carry the same (client, seq) and are
 * answered from the session record, so a write is applied once however often it is proposed.
 * Reads: ReadIndex (or the leader lease, per config) on whichever node the client asked.
 *
 * Leases: the store holds lease ids and TTLs; only the current leader tracks deadlines. A new
 * leader restarts every deadline at its election (etcd's Promote), so a lease never expires early
 * because leadership moved; keep-alives go to the leader. An expired lease becomes an `expire`
 * command, applied by every replica at one revision.
 */
import { KV_PROBES } from './probes.ts';
import type { Envelope, NodeContext, NodeId, NodeProgram } from '../../sim/node.ts';
import { ms, type Nanos } from '../../sim/time.ts';
import { RaftHost, type RaftHostOptions } from '../raft/host.ts';
import type { Entry, SoftState } from '../raft/types.ts';
import type { KvReply, KvRequest, WatchMessage } from './protocol.ts';
import { DEFAULT_HISTORY_REVS, deepFreeze, KvStore, matches } from './store.ts';
import type { KvCommand, KvResult, WatchEvent } from './types.ts';

/** God's-eye hooks for checkers. */
export interface KvHooks {
  /** A command applied at `index` on `node` with this result and these events. */
  onApply?(node: NodeId, index: number, cmd: KvCommand, result: KvResult, events: WatchEvent[]): void;
  /** A write was acknowledged to its client after applying at `index`. */
  onAck?(node: NodeId, index: number, client: string, seq: number): void;
}

export interface KvNodeOptions extends RaftHostOptions {
  /** Watch history kept, in revisions. */
  historyRevs?: number;
  /** A watch stream with no events gets a progress notification this often (local ns). */
  watchProgressNs?: Nanos;
  kvHooks?: KvHooks;
  /** BUG (bug zoo): renew leases without confirming leadership first (see the keepAlive case). */
  bugUnconfirmedKeepAlive?: boolean;
  /** Keys the store is deployed with (`KvStore.seeded`): the state before the first log entry. */
  initial?: Readonly<Record<string, string>>;
  /** BUG (bug zoo): KvStore's bugLeaseAttachOnCreate (a lease given to an existing key does not own it). */
  bugLeaseAttachOnCreate?: boolean;
}

export interface KvProgram extends NodeProgram {
  host: RaftHost;
  /** The store as applied on this node (read it, never write it). */
  readonly store: KvStore;
}

interface Watcher {
  client: NodeId;
  watchId: number;
  key: string;
  prefix: boolean;
  sentUpTo: number;
  lastSentNs: Nanos;
}

/**
 * The command an entry's text holds. Every replica applies every entry, so the same text (the
 * very string the leader serialised: messages and disks copy objects, and a string's copy is
 * itself) was parsed once per node; the parse is now shared through a small bounded memo. Safe
 * because it is a pure function of the text and the command is frozen (nothing may change it: the
 * store and the checkers only read it).
 *
 * The memo is looked up first by the entry's index (a slot per index modulo COMMAND_SLOTS, holding
 * the last text seen there): the replicas apply one index at about the same time, and comparing a
 * text with the one in its slot is a pointer comparison when it is the same string, where a Map
 * lookup hashed it. A text not in its slot goes through the Map as before.
 */
function parseCommand(data: string, index: number): KvCommand {
  const slot = index & (COMMAND_SLOTS - 1);
  if (slotText[slot] === data) return slotCmd[slot]!;
  let cmd = commandMemo.get(data);
  if (cmd === undefined) {
    cmd = JSON.parse(data) as KvCommand;
    deepFreeze(cmd); // a transaction's compares and ops too, not only the top level
    if (commandMemo.size >= COMMAND_MEMO_SIZE) commandMemo.delete(commandMemo.keys().next().value!);
    commandMemo.set(data, cmd);
  }
  slotText[slot] = data;
  slotCmd[slot] = cmd;
  return cmd;
}
const commandMemo = new Map<string, KvCommand>();
const COMMAND_MEMO_SIZE = 4096;
const COMMAND_SLOTS = 1024;
const slotText: (string | undefined)[] = new Array<string | undefined>(COMMAND_SLOTS).fill(undefined);
const slotCmd: (KvCommand | undefined)[] = new Array<KvCommand | undefined>(COMMAND_SLOTS).fill(undefined);

export function kvNode(ctx: NodeContext, opts: KvNodeOptions): KvProgram {
  ctx.declareProbes(KV_PROBES);
  const historyRevs = opts.historyRevs ?? DEFAULT_HISTORY_REVS;
  const progressNs = opts.watchProgressNs ?? ms(100);
  const attachBug = opts.bugLeaseAttachOnCreate === true;
  const fresh = (): KvStore => (opts.initial === undefined ? new KvStore(historyRevs, attachBug) : KvStore.restore(KvStore.seeded(opts.initial), historyRevs, attachBug));
  let store = fresh();
  let isLeader = false;
  const pending = new Map<string, Envelope[]>();
  const deadlines = new Map<number, Nanos>();
  const expiring = new Set<number>();
  const watchers = new Map<NodeId, Watcher>();
  let applyingIndex = 0;

  const reply = (env: Envelope, r: KvReply): void => ctx.reply(env, r);
  const unavailable = (env: Envelope, reason: 'not-leader' | 'unavailable'): void => reply(env, { type: 'kvReply', ok: false, reason, leader: host.raft.leader });

  const app = {
    apply(e: Entry): void {
      applyingIndex = e.index;
      const cmd = parseCommand(e.data as string, e.index);
      const { result, events } = store.apply(cmd);
      opts.kvHooks?.onApply?.(ctx.id, e.index, cmd, result, events);
      if (cmd.kind === 'expire' || (cmd.kind === 'client' && cmd.op.op === 'leaseRevoke')) {
        const id = cmd.kind === 'expire' ? cmd.lease : (cmd.op as { id: number }).id;
        deadlines.delete(id);
        expiring.delete(id);
      }
      if (isLeader && result.op === 'leaseGrant') deadlines.set(result.id, ctx.now() + ms(result.ttlMs));
      // Only the leader that proposed the write holds its client's request (followers: none).
      if (cmd.kind === 'client' && pending.size > 0) {
        const k = `${cmd.client}#${cmd.seq}`;
        const envs = pending.get(k);
        if (envs !== undefined) {
          pending.delete(k);
          for (const env of envs) {
            opts.kvHooks?.onAck?.(ctx.id, e.index, cmd.client, cmd.seq);
            reply(env, { type: 'kvReply', ok: true, result });
          }
        }
      }
    },
    snapshot: (): string => store.snapshotJson(),
    restore(data: string | null): void {
      store = data === null ? fresh() : KvStore.fromJson(data, historyRevs, attachBug);
      // Watch streams cannot continue across a state replacement: clients re-watch.
      if (watchers.size > 0) ctx.probe('kv:watchers-dropped-on-restore');
      watchers.clear();
    },
    onSoftState(ss: SoftState): void {
      const was = isLeader;
      isLeader = ss.role === 'leader';
      if (isLeader && !was) {
        // Promote: every lease gets a full TTL from now (it may not expire early on a new leader).
        if (store.leaseList().length > 0) ctx.probe('kv:lessor-promoted');
        for (const l of store.leaseList()) deadlines.set(l.id, ctx.now() + ms(l.ttlMs));
      }
      if (!isLeader) {
        deadlines.clear();
        expiring.clear();
        for (const envs of pending.values()) for (const env of envs) unavailable(env, 'not-leader');
        pending.clear();
      }
    },
    afterApply(): void {
      flushWatchers(false);
    },
    onTick(): void {
      if (isLeader) {
        const now = ctx.now();
        for (const [id, at] of deadlines) {
          if (at <= now && !expiring.has(id)) {
            const r = host.propose(JSON.stringify({ kind: 'expire', lease: id } satisfies KvCommand));
            if (r.ok) expiring.add(id);
            if (r.ok) ctx.probe('kv:lease-expired');
          }
        }
      }
      flushWatchers(true);
    },
    /**
     * When `onTick` next has work: the earliest lease deadline not yet being expired (leader), and
     * the earliest watch progress notification. A tick flush sends nothing else: every change of
     * the store is an apply, flushed at once by `afterApply`, and a restore drops the watchers.
     */
    tickWorkDueNs(): number {
      // Asked after every input of the host: no iterator made when there is nothing to look at.
      let at = Infinity;
      if (isLeader && deadlines.size > 0) for (const [id, d] of deadlines) if (d < at && !expiring.has(id)) at = d;
      if (watchers.size > 0) for (const w of watchers.values()) if (w.lastSentNs + progressNs < at) at = w.lastSentNs + progressNs;
      return at;
    },
  };

  /** Pushes what `w` has not seen yet; a progress notification when due (or `force`d). */
  const flushWatcher = (w: Watcher, progress: boolean, now: Nanos, force = false): void => {
    // A lagging node serves a re-watch only once it has caught up with what the client has.
    if (store.rev < w.sentUpTo) return;
    const due = force || (progress && now - w.lastSentNs >= progressNs);
    if (store.rev === w.sentUpTo && !due) return;
    const evs = store.eventsFrom(w.sentUpTo + 1, w.key, w.prefix);
    if (evs === 'compacted') {
      ctx.probe('kv:watch-compacted');
      ctx.send(w.client, { type: 'watchCompacted', watchId: w.watchId, compactRev: store.compactRev, rev: store.rev } satisfies WatchMessage);
      watchers.delete(w.client);
      return;
    }
    if (evs.length === 0 && !due) return;
    ctx.send(w.client, { type: 'watchBatch', watchId: w.watchId, after: w.sentUpTo, upTo: store.rev, events: evs } satisfies WatchMessage);
    w.sentUpTo = store.rev;
    w.lastSentNs = now;
  };
  const flushWatchers = (progress: boolean): void => {
    const now = ctx.now();
    for (const w of watchers.values()) flushWatcher(w, progress, now);
  };

  const host = new RaftHost(ctx, opts, app);

  const handle = (env: Envelope, req: KvRequest): void => {
    switch (req.type) {
      case 'kvWrite': {
        if (!isLeader) return unavailable(env, 'not-leader');
        // A retry of a write already applied is proposed again: the store answers it from the
        // session record without applying it twice, and the reply path stays single.
        const k = `${req.client}#${req.seq}`;
        const r = host.propose(JSON.stringify({ kind: 'client', client: req.client, seq: req.seq, op: req.op } satisfies KvCommand));
        if (!r.ok) return unavailable(env, 'not-leader');
        const list = pending.get(k);
        if (list === undefined) pending.set(k, [env]);
        else list.push(env);
        return;
      }
      case 'kvRead':
        if (req.serializable === true) return reply(env, { type: 'kvReply', ok: true, result: store.read(req.op) });
        const confirm = opts.bugUnconfirmedKeepAlive === true ? (cb: (index: number | null) => void) => cb(0) : (cb: (index: number | null) => void) => host.read(cb);
        confirm((index) => {
          if (!ctx.alive) return;
          if (index === null) unavailable(env, 'unavailable');
          else reply(env, { type: 'kvReply', ok: true, result: store.read(req.op) });
        });
        return;
      case 'keepAlive': {
        if (!isLeader) return reply(env, { type: 'keepAliveReply', ok: false, leader: host.raft.leader });
        // Renew only once leadership is confirmed after the request arrived (ReadIndex: a
        // heartbeat round, or the leader lease) and everything committed before it is applied.
        // Without the confirmation, a deposed leader that has not noticed yet renews a lease the
        // new leader's lessor (deadlines restarted at its election, before this renewal) expires
        // TTL too early for the client; without the apply, an `expire` of an older term still
        // on its way to commit deletes a lease just renewed. (Found by raft-lease-lock's
        // lease-expired-early.)
        const confirm = opts.bugUnconfirmedKeepAlive === true ? (cb: (index: number | null) => void) => cb(0) : (cb: (index: number | null) => void) => host.read(cb);
        confirm((index) => {
          if (!ctx.alive) return;
          if (index === null || !isLeader) return reply(env, { type: 'keepAliveReply', ok: false, leader: host.raft.leader });
          if (!store.hasLease(req.lease) || expiring.has(req.lease)) return reply(env, { type: 'keepAliveReply', ok: true, ttlMs: -1 });
          const ttl = store.leaseList().find((l) => l.id === req.lease)!.ttlMs;
          deadlines.set(req.lease, ctx.now() + ms(ttl));
          reply(env, { type: 'keepAliveReply', ok: true, ttlMs: ttl });
        });
        return;
      }
      case 'watch': {
        const w: Watcher = { client: env.from, watchId: req.watchId, key: req.key, prefix: req.prefix, sentUpTo: req.fromRev - 1, lastSentNs: ctx.now() };
        watchers.set(env.from, w);
        reply(env, { type: 'watchAck', ok: true });
        flushWatchers(false);
        return;
      }
      case 'watchProgress': {
        const w = watchers.get(env.from);
        const no = (): void => reply(env, { type: 'watchProgressReply', ok: false, rev: 0 });
        if (w === undefined || w.watchId !== req.watchId) return no();
        host.read((index) => {
          if (!ctx.alive) return;
          if (index === null || watchers.get(env.from) !== w) return no();
          // Everything committed before the request arrived is applied: push it, then answer.
          flushWatcher(w, true, ctx.now(), true);
          if (watchers.get(env.from) !== w) return no();
          reply(env, { type: 'watchProgressReply', ok: true, rev: store.rev });
        });
        return;
      }
    }
  };

  return {
    host,
    get store() {
      return store;
    },
    onMessage(env: Envelope): void {
      if (host.onMessage(env)) return;
      handle(env, env.body as KvRequest);
      host.appChanged(); // a new watcher's progress notification, or a renewed lease (bug mode), may be due sooner
    },
    get applyingIndex() {
      return applyingIndex;
    },
  } as KvProgram;
}
