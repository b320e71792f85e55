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
 * may have lost values (a corrupt or unreadable record, or no id on disk): a restart that loses
 * nothing acknowledged keeps its id and its peers' marks stay valid. A sync naming an incarnation
 * the peer does not have gets `sync_ok` with mark 0 and the new id; the next round resends
 * everything. A sender that restarts starts its marks from 0 (they were in memory).
 *
 * The protocol logic is the pure `GossipState`; `gossipNode` is the glue that owns disk and network.
 */
import type { NodeContext, NodeId, NodeProgram } from '../../sim/node.ts';
import type { Nanos } from '../../sim/time.ts';

export type GossipMessage =
  | { type: 'broadcast'; value: number }
  | { type: 'broadcast_ok' }
  | { type: 'gossip'; values: number[] }
  /** Values from `from` on of the sender's numbering (`upTo` in all), for the peer's incarnation `inc`. */
  | { type: 'sync'; values: number[]; from: number; upTo: number; inc: number; senderInc: number }
  /** The peer (incarnation `inc`) durably holds the values below `upTo` of the sender's incarnation `forInc`. */
  | { type: 'sync_ok'; upTo: number; inc: number; forInc: number };

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
  readonly seen = new Set<number>();
  /** Every value in the order this node delivered it: lets checkers look only at what is new. */
  readonly delivered: number[] = [];

  /** Adds values; returns the ones that were new (to persist and forward). */
  add(values: readonly number[]): number[] {
    const fresh: number[] = [];
    for (const v of values) {
      if (!this.seen.has(v)) {
        this.seen.add(v);
        this.delivered.push(v);
        fresh.push(v);
      }
    }
    return fresh;
  }

  /** Adds the values recovered from disk: one bulk insertion (a long run's node restarts often). */
  restore(values: number[]): void {
    if (this.seen.size === 0) {
      for (const v of values) this.seen.add(v);
      if (this.seen.size === values.length) {
        for (const v of values) this.delivered.push(v);
        return;
      }
      this.seen.clear();
    }
    this.add(values);
  }

  /** Values, sorted (for tests and reports; messages use `delivered`, already deterministic). */
  values(): number[] {
    return [...this.seen].sort((a, b) => a - b);
  }
}

/** A peer's confirmed mark: it durably holds delivered[0 .. upTo) in its incarnation `inc`. */
interface Confirmed {
  inc: number;
  upTo: number;
}

export interface GossipProgram extends NodeProgram {
  state: GossipState;
}

const FILE = 'seen';
const INC_FILE = 'incarnation';

export function gossipNode(ctx: NodeContext, opts: GossipOptions): GossipProgram {
  const state = new GossipState();
  const confirmed = new Map<NodeId, Confirmed>();
  const buggy = opts.bug !== 'none' && ctx.id === opts.buggyNode;
  // Recover: every value ever made durable. A torn last record reads back corrupt: it was never
  // acknowledged (we ack after fsync), so skipping it is correct.
  // A read that keeps failing throws DiskReadFailed: the node fail-stops rather than start empty.
  const read = ctx.disk.readForRecovery<number>(FILE);
  state.restore(read.corrupt.length === 0 ? (read.records as number[]) : read.records.filter((r): r is number => r !== null));
  ctx.log('recover', `${state.seen.size} value(s) from disk, ${read.corrupt.length} corrupt`);
  // The incarnation id: kept while recovery loses nothing, else a new one (see the file comment).
  const incRead = ctx.disk.readForRecovery<number>(INC_FILE);
  const kept = incRead.records.length === 1 && typeof incRead.records[0] === 'number' ? incRead.records[0] : null;
  const incarnation = kept !== null && read.corrupt.length === 0 ? kept : ctx.rng.int(1, 0x7fffffff);
  // Not yet durable: a peer must not hear it before it is (a crash now would draw another).
  let incDurable = incarnation === kept;
  if (!incDurable) {
    ctx.disk.put(INC_FILE, [incarnation]);
    ctx.disk.fsync((err) => {
      if (err !== null) ctx.failStop(`fsync ${err}`);
      else incDurable = true;
    });
  }

  /** Persists in flight: with none, everything in `seen` is durable (recovered or fsynced). */
  let inFlight = 0;
  const persist = (fresh: number[], then: () => void): void => {
    if (fresh.length === 0 && inFlight === 0) {
      then();
      return;
    }
    for (const v of fresh) ctx.disk.append(FILE, v);
    inFlight++;
    ctx.disk.fsync((err) => {
      inFlight--;
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

  const antiEntropy = (): void => {
    if (opts.peers.length > 0) {
      const peer = ctx.rng.pick(opts.peers);
      const c = confirmed.get(peer) ?? { inc: 0, upTo: 0 };
      const upTo = state.delivered.length;
      // Nothing new for a peer that confirmed everything: a round costs nothing then.
      if (c.upTo < upTo) ctx.send(peer, { type: 'sync', values: state.delivered.slice(c.upTo), from: c.upTo, upTo, inc: c.inc, senderInc: incarnation } satisfies GossipMessage);
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
          if (buggy && opts.bug === 'phantom') state.add([-m.value]); // invents a value
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
          const fresh = state.add(m.values);
          // The values below `from` were confirmed by an incarnation of ours; if that is not this
          // one, we may have lost some: ask for everything.
          const upTo = (m.from === 0 || m.inc === incarnation) && incDurable ? m.upTo : 0;
          // Confirm only once everything merged is durable (the fsync covers earlier writes too).
          persist(fresh, () => ctx.send(env.from, { type: 'sync_ok', upTo, inc: incarnation, forInc: m.senderInc } satisfies GossipMessage));
          return;
        }
        case 'sync_ok': {
          if (m.forInc !== incarnation) return; // about an earlier incarnation's numbering
          const c = confirmed.get(env.from);
          if (c === undefined || c.inc !== m.inc) confirmed.set(env.from, { inc: m.inc, upTo: Math.min(m.upTo, state.delivered.length) });
          else c.upTo = Math.max(c.upTo, Math.min(m.upTo, state.delivered.length));
          return;
        }
        case 'broadcast_ok':
          return;
      }
    },
  };
}
