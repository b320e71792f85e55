/**
 * The store's client library: a session that numbers its writes and retries each one (same
 * sequence number) after timeouts and leader changes until it gets an answer, so a write is
 * applied exactly once; reads are retried on any node. Used as generator code inside a detsim
 * client process: `const r = yield* client.write(op)`.
 */
import type { CallResult, NodeContext, NodeId } from '../../sim/node.ts';
import { wait } from '../../sim/process.ts';
import { ms, type Nanos } from '../../sim/time.ts';
import type { KvReply, KvRequest } from './protocol.ts';
import type { KvReadOp, KvResult, KvWriteOp } from './types.ts';

export interface KvClientOptions {
  servers: readonly NodeId[];
  /** Session identity (unique per client). */
  clientId: string;
  /** How long one attempt waits for a reply (local ns). */
  attemptTimeoutNs?: Nanos;
  /** Pause before retrying after a refusal (local ns). */
  backoffNs?: Nanos;
  /** Give up after this many attempts (the outcome is then unknown). Default: never. */
  maxAttempts?: number;
  /** Reads go to a random server (true, exercises follower ReadIndex) or to the leader. */
  readAnywhere?: boolean;
}

export type Attempted<T> = { ok: true; value: T } | { ok: false };

type Gen<T> = Generator<import('../../sim/process.ts').Future<unknown>, T, unknown>;

export class KvClient {
  private leaderHint: NodeId | null = null;
  private seq = 0;
  readonly attemptTimeoutNs: Nanos;
  readonly backoffNs: Nanos;
  attempts = 0;

  constructor(
    private readonly ctx: NodeContext,
    readonly opts: KvClientOptions,
  ) {
    this.attemptTimeoutNs = opts.attemptTimeoutNs ?? ms(400);
    this.backoffNs = opts.backoffNs ?? ms(20);
  }

  /** The sequence number the next write will carry. */
  get nextSeq(): number {
    return this.seq + 1;
  }

  private target(): NodeId {
    return this.leaderHint ?? this.ctx.rng.pick(this.opts.servers);
  }

  /** A write, retried until answered (or `maxAttempts`). */
  *write(op: KvWriteOp): Gen<Attempted<KvResult>> {
    const seq = ++this.seq;
    const req: KvRequest = { type: 'kvWrite', client: this.opts.clientId, seq, op };
    return yield* this.retry(req, () => this.target());
  }

  /** A linearizable read, retried until answered (or `maxAttempts`). */
  *read(op: KvReadOp): Gen<Attempted<KvResult>> {
    const req: KvRequest = { type: 'kvRead', op };
    return yield* this.retry(req, () => (this.opts.readAnywhere !== false ? this.ctx.rng.pick(this.opts.servers) : this.target()));
  }

  private *retry(req: KvRequest, pick: () => NodeId): Gen<Attempted<KvResult>> {
    for (let attempt = 1; this.opts.maxAttempts === undefined || attempt <= this.opts.maxAttempts; attempt++) {
      this.attempts++;
      const to = pick();
      const r: CallResult<KvReply> = yield* wait(this.ctx.call<KvReply>(to, req, this.attemptTimeoutNs));
      if (r.ok && r.body.type === 'kvReply') {
        if (r.body.ok) {
          if (req.type === 'kvWrite') this.leaderHint = to;
          return { ok: true, value: r.body.result };
        }
        this.leaderHint = r.body.leader !== null && r.body.leader !== to ? r.body.leader : null;
      } else {
        this.leaderHint = null;
      }
      yield this.ctx.sleep(this.backoffNs + this.ctx.rng.int(0, this.backoffNs));
    }
    return { ok: false };
  }

  /**
   * One keep-alive round: asks the leader (following hints, a few attempts). Returns the lease's
   * TTL in ms, -1 if the lease is gone, or null if no leader answered.
   */
  *keepAlive(lease: number, attempts = 3): Gen<number | null> {
    for (let i = 0; i < attempts; i++) {
      const to = this.target();
      const r: CallResult<KvReply> = yield* wait(this.ctx.call<KvReply>(to, { type: 'keepAlive', lease } satisfies KvRequest, this.attemptTimeoutNs));
      if (r.ok && r.body.type === 'keepAliveReply') {
        if (r.body.ok) {
          this.leaderHint = to;
          return r.body.ttlMs;
        }
        this.leaderHint = r.body.leader;
      } else this.leaderHint = null;
    }
    return null;
  }
}
