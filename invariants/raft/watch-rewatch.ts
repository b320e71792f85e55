/**
 * watch-rewatch-budget (safety, at the delivery of every watch batch): a watch client gives up a
 * stream because of a batch only when the network really lost or reordered one of that stream's
 * batches. Budget: zero re-watches caused by a batch that arrived in order, or by a duplicate or
 * late copy of one the client already has.
 *
 * Why: a re-watch replays history from the server (a new stream from the revision after the last
 * one delivered, the server catching up first), so a client that takes a duplicate for a gap pays a
 * re-watch for every duplicate the network makes. Every watch guarantee still holds (the replay
 * chains), so only a budget sees it.
 *
 * Judged from what the network delivered, not from the client's belief: the judge follows each
 * client's current stream on the wire (a send tap: the `watch` request names the stream and its
 * first revision) and its batches as they are delivered (the client node's `onMessage`, before the
 * client sees them), and keeps its own chain end. A server's batches on one stream chain (`after`
 * of one is `upTo` of the one before; systems/kv/server.ts), so the delivered sequence says what
 * happened: a batch that chains is in order, one at or below the chain end is a duplicate or late,
 * anything else follows a loss or a reordering. Re-watches on silence, failed attempts and the
 * application's `moveOn` are not judged here (timing, not the network's order).
 */
import type { NodeId, SimNode } from '../../sim/node.ts';
import type { World } from '../../sim/scenario.ts';
import type { KvRequest, WatchMessage } from '../../systems/kv/protocol.ts';

type Batch = Extract<WatchMessage, { type: 'watchBatch' }>;

/** What a delivered batch was, in the network's order of the stream. */
export type BatchArrival = 'in-order' | 'old' | 'after-loss' | 'other-stream';

interface Stream {
  watchId: number;
  /** Every batch through this revision was delivered in order. */
  chainEnd: number;
}

export class RewatchJudge {
  private readonly streams = new Map<NodeId, Stream>();
  /** Counters for tests and metrics. */
  readonly stats = { batches: 0, old: 0, afterLoss: 0, needless: 0 };
  private failed = false;

  constructor(private readonly w: World<unknown>) {
    w.declareCheck('watch-rewatch-budget');
    w.net.sendTaps.push((from: SimNode, _to: NodeId, body: unknown) => {
      const m = body as KvRequest;
      if (m.type === 'watch') this.streams.set(from.id, { watchId: m.watchId, chainEnd: m.fromRev - 1 });
    });
  }

  /** A watch message is delivered to `client`, before the client sees it: what it is on the wire. */
  arrived(client: NodeId, m: WatchMessage): BatchArrival {
    const s = this.streams.get(client);
    if (m.type !== 'watchBatch' || s === undefined || m.watchId !== s.watchId) return 'other-stream';
    this.stats.batches++;
    if (m.upTo <= s.chainEnd) {
      this.stats.old++;
      return 'old';
    }
    if (m.after === s.chainEnd) {
      s.chainEnd = m.upTo;
      return 'in-order';
    }
    this.stats.afterLoss++;
    return 'after-loss';
  }

  /**
   * Shows a watch message delivered to `client` to the judge around the client's own handling
   * (`handle`): what it is on the wire first, then whether handling it made the client give up
   * its stream (`rewatchDue` read before and after).
   */
  deliver(client: NodeId, m: WatchMessage, rewatchDue: () => boolean, handle: () => void): void {
    const arrival = this.arrived(client, m);
    const due = rewatchDue();
    handle();
    this.handled(client, m, arrival, !due && rewatchDue());
  }

  /** The client handled a batch that `arrived` classed as `a`; `gaveUp`: it now wants to re-watch and did not before. */
  handled(client: NodeId, m: WatchMessage, a: BatchArrival, gaveUp: boolean): void {
    if (!gaveUp || (a !== 'in-order' && a !== 'old') || this.failed) return;
    const b = m as Batch;
    this.stats.needless++;
    this.failed = true;
    const what = a === 'old' ? 'a duplicate or late copy of a batch it already had' : 'the next batch, in order';
    this.w.violation(
      'watch-rewatch-budget',
      `${client} gave up watch ${b.watchId} on batch (${b.after}..${b.upTo}], ${what}: the network had delivered every batch of the stream through ${this.streams.get(client)!.chainEnd} in order, so the re-watch (a history replay from the server) was for nothing`,
    );
  }
}
