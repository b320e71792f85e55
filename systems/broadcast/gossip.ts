/**
 * A gossip broadcast node, as in Maelstrom's broadcast workload. A client hands a value to any
 * node; the node makes it durable, acknowledges it, and pushes it to its peers. Periodic
 * anti-entropy (push-pull of the whole set with one random peer) repairs what loss, partitions
 * and crashes took, so after the faults stop every node ends with every acknowledged value.
 *
 * The protocol logic is the pure `GossipState`; `gossipNode` is the glue that owns disk and network.
 */
import type { NodeContext, NodeId, NodeProgram } from '../../sim/node.ts';
import type { Nanos } from '../../sim/time.ts';

export type GossipMessage =
  | { type: 'broadcast'; value: number }
  | { type: 'broadcast_ok' }
  | { type: 'gossip'; values: number[] }
  | { type: 'sync'; values: number[]; wantReply: boolean };

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

  /** Values, sorted: a deterministic order for messages. */
  values(): number[] {
    return [...this.seen].sort((a, b) => a - b);
  }
}

export interface GossipProgram extends NodeProgram {
  state: GossipState;
}

const FILE = 'seen';

export function gossipNode(ctx: NodeContext, opts: GossipOptions): GossipProgram {
  const state = new GossipState();
  const buggy = opts.bug !== 'none' && ctx.id === opts.buggyNode;
  // Recover: every value ever made durable. A torn last record reads back corrupt: it was never
  // acknowledged (we ack after fsync), so skipping it is correct.
  // A read that keeps failing throws DiskReadFailed: the node fail-stops rather than start empty.
  const read = ctx.disk.readForRecovery<number>(FILE);
  state.add(read.records.filter((r): r is number => r !== null));
  ctx.log('recover', `${state.seen.size} value(s) from disk, ${read.corrupt.length} corrupt`);

  const persist = (fresh: number[], then: () => void): void => {
    for (const v of fresh) ctx.disk.append(FILE, v);
    ctx.disk.fsync((err) => {
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
      ctx.send(peer, { type: 'sync', values: state.values(), wantReply: true } satisfies GossipMessage);
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
        case 'gossip':
        case 'sync': {
          if (buggy && opts.bug === 'drop-gossip') return;
          const fresh = state.add(m.values);
          if (fresh.length > 0) persist(fresh, () => {});
          // After the merge we hold a superset of the sender's values: reply only if it lacks some.
          if (m.type === 'sync' && m.wantReply && state.seen.size > new Set(m.values).size) {
            ctx.send(env.from, { type: 'sync', values: state.values(), wantReply: false } satisfies GossipMessage);
          }
          return;
        }
        case 'broadcast_ok':
          return;
      }
    },
  };
}
