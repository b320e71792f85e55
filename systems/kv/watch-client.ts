/**
 * The client side of a watch: one logical stream of events for a key (or prefix) from a start
 * revision, kept alive across server crashes, partitions and leader changes by re-watching
 * another server from the revision after the last one delivered.
 *
 * The server pushes batches that chain (`after` of one is `upTo` of the previous). The client
 * delivers a batch only if it chains to what it has delivered, so a lost, duplicated or reordered
 * batch never becomes a gap or a duplicate: a duplicate is dropped, a batch that does not chain
 * makes it re-watch from `through + 1`. Silence (no batch, not even a progress notification, for
 * `stallNs`) also makes it re-watch, on another server. A "compacted" answer ends the stream: the
 * history it needs is gone, and the application must re-read and start a new watch.
 *
 * Used inside a client node: the node program routes `WatchMessage`s to `handle`, and a process
 * runs `run()`.
 */
import type { CallResult, NodeContext, NodeId } from '../../sim/node.ts';
import { wait, type Future } from '../../sim/process.ts';
import { ms, type Nanos } from '../../sim/time.ts';
import type { KvReply, KvRequest, WatchMessage } from './protocol.ts';
import type { WatchEvent } from './types.ts';

/** Known-broken variants of the client, for the bug zoo. */
export const WATCH_CLIENT_BUGS = ['none', 'resume-at-last-seen', 'no-chain-check', 'rewatch-on-duplicate'] as const;
export type WatchClientBug = (typeof WATCH_CLIENT_BUGS)[number];

export interface KvWatchOptions {
  servers: readonly NodeId[];
  key: string;
  /** Watch every key starting with `key`. */
  prefix: boolean;
  /** First revision wanted (events with rev >= fromRev). */
  fromRev: number;
  /** The watch id sent to servers; each (re-)watch needs a fresh one per client node. */
  nextWatchId: () => number;
  /** Re-watch elsewhere after this long without any batch (local ns; servers notify every 100 ms). */
  stallNs?: Nanos;
  /** How long a watch request waits for its acknowledgement (local ns). */
  attemptTimeoutNs?: Nanos;
  /** Everything in (previous upTo, upTo] that matches, in revision order. */
  onEvents(events: WatchEvent[], upTo: number): void;
  /** The history from `fromRev` is gone (compacted through `compactRev`); the stream has ended. */
  onCompacted(fromRev: number, compactRev: number): void;
  /** Server of the first attempt (else one at random), e.g. the client's own region's replica. */
  first?: NodeId;
  /** Bug-zoo variant: `resume-at-last-seen` re-watches from the last revision delivered (off by one), `no-chain-check` delivers any newer batch, `rewatch-on-duplicate` takes a duplicated or late batch for a gap. */
  bug?: WatchClientBug;
}

type Gen<T> = Generator<Future<unknown>, T, unknown>;

export class KvWatch {
  /** Every matching event with rev <= through has been delivered. */
  through: number;
  state: 'watching' | 'compacted' | 'closed' = 'watching';
  /** Server of the current attempt, and counters for reports. */
  server: NodeId | null = null;
  rewatches = 0;
  private watchId = 0;
  private expectAfter: number;
  private lastHeardNs: Nanos = 0;
  private broken = true;
  readonly stallNs: Nanos;
  readonly attemptTimeoutNs: Nanos;

  constructor(
    private readonly ctx: NodeContext,
    readonly opts: KvWatchOptions,
  ) {
    this.through = opts.fromRev - 1;
    this.expectAfter = this.through;
    this.stallNs = opts.stallNs ?? ms(400);
    this.attemptTimeoutNs = opts.attemptTimeoutNs ?? ms(300);
  }

  close(): void {
    this.state = 'closed';
  }

  /** The stream is given up and a re-watch is due (a gap, a stall, a failed attempt, `moveOn`). */
  get rewatchDue(): boolean {
    return this.state === 'watching' && this.broken;
  }

  /** The id of the current attempt (for a `watchProgress` request to `server`). */
  get id(): number {
    return this.watchId;
  }

  /** Gives up on the current server (e.g. it cannot confirm progress): re-watch on another one. */
  moveOn(): void {
    if (this.state === 'watching') this.broken = true;
  }

  /** Routes a pushed message (ignores those of other or superseded watches). */
  handle(msg: WatchMessage): void {
    if (this.state !== 'watching' || msg.watchId !== this.watchId) return;
    this.lastHeardNs = this.ctx.now();
    if (msg.type === 'watchCompacted') {
      this.state = 'compacted';
      this.opts.onCompacted(this.through + 1, msg.compactRev);
      return;
    }
    // BUG (rewatch-on-duplicate): the next line's guard skipped (mutant raft-011 of round 11): a
    // duplicate or older batch does not chain, and is taken for a gap.
    if (this.opts.bug === 'rewatch-on-duplicate' && msg.upTo <= this.through && msg.after !== this.expectAfter) return this.gap();
    if (msg.upTo <= this.through) return; // a duplicate, or older than what we have
    if (msg.after !== this.expectAfter && this.opts.bug !== 'no-chain-check') return this.gap();
    this.through = msg.upTo;
    this.expectAfter = msg.upTo;
    this.opts.onEvents(msg.events, msg.upTo);
  }

  /** A batch went missing (or arrives out of order): ask again from where we are. */
  private gap(): void {
    this.ctx.probe('kv:watch-gap-rewatch');
    this.broken = true;
  }

  /** Keeps the stream open until it is closed or compacted. */
  *run(): Gen<void> {
    while (this.state === 'watching') {
      if (this.broken) {
        yield* this.rewatch();
        continue;
      }
      yield this.ctx.sleep(Math.max(1, Math.floor(this.stallNs / 4)));
      if (this.ctx.now() - this.lastHeardNs > this.stallNs) {
        this.ctx.probe('kv:watch-stall-rewatch');
        this.broken = true;
      }
    }
  }

  private *rewatch(): Gen<void> {
    const others = this.opts.servers.filter((s) => s !== this.server);
    const to = this.rewatches === 0 && this.opts.first !== undefined ? this.opts.first : this.ctx.rng.pick(others.length > 0 ? others : this.opts.servers);
    const resuming = this.rewatches > 0 && this.through > 0;
    const fromRev = this.opts.bug === 'resume-at-last-seen' && resuming ? this.through : this.through + 1;
    const id = this.opts.nextWatchId();
    this.watchId = id;
    this.server = to;
    this.expectAfter = fromRev - 1;
    this.broken = false;
    this.lastHeardNs = this.ctx.now();
    this.rewatches++;
    const req: KvRequest = { type: 'watch', watchId: id, key: this.opts.key, prefix: this.opts.prefix, fromRev };
    const r: CallResult<KvReply> = yield* wait(this.ctx.call<KvReply>(to, req, this.attemptTimeoutNs));
    if (this.watchId !== id || this.state !== 'watching') return;
    if (!r.ok || r.body.type !== 'watchAck' || !r.body.ok) {
      this.broken = true;
      yield this.ctx.sleep(ms(20) + this.ctx.rng.int(0, ms(20)));
    }
  }
}
