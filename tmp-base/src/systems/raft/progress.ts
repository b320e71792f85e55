/**
 * What a leader knows about one follower's log (etcd's tracker.Progress): the highest index known
 * to match (`match`), the next index to send (`next`), and the replication mode:
 *  - probe: one append at a time, waiting for an answer, while we search for the match point;
 *  - replicate: pipelining, `next` moves optimistically past what was sent, with at most
 *    maxInflightMsgs unacknowledged appends;
 *  - snapshot: an InstallSnapshot is on its way; nothing else is sent until it is acknowledged.
 */
import { assert } from '../../sim/assert.ts';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** Probe only: an append was sent and not yet answered. */
  probeSent = false;
  /** Last index of each append in flight (replicate only), ascending. */
  inflights: number[] = [];
  /** Snapshot only: index of the snapshot being sent, and the tick it was sent at. */
  pendingSnapshot = 0;
  snapshotSentTick = 0;
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  /** Send tick of the newest heartbeat round this follower acknowledged (dates the lease). */
  ackedRoundTick = Number.NEGATIVE_INFINITY;
  /** `match` as of the previous heartbeat response: no movement between two means a lost append. */
  matchAtLastHeartbeat = 0;

  constructor(next: number) {
    this.next = next;
  }

  private reset(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights = [];
  }

  becomeProbe(): void {
    // After a snapshot, resume right after it; otherwise right after the known match.
    const next = this.state === 'snapshot' ? Math.max(this.match + 1, this.pendingSnapshot + 1) : this.match + 1;
    this.reset('probe');
    this.next = next;
  }

  becomeReplicate(): void {
    this.reset('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number, nowTick: number): void {
    this.reset('snapshot');
    this.pendingSnapshot = snapshotIndex;
    this.snapshotSentTick = nowTick;
  }

  /** Records an acknowledgement of everything up to `n`. False if it is stale (no news). */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /** Pipelining: we just sent entries up to `last`. */
  optimisticUpdate(last: number): void {
    this.next = last + 1;
  }

  /**
   * A rejection of the append whose previous index was `rejected`; `matchHint` is the highest
   * index that might match (fast backtracking). False if the rejection is stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    assert(this.next >= 1, 'progress: next below 1');
    this.probeSent = false;
    return true;
  }

  isPaused(maxInflight: number): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.length >= maxInflight;
      case 'snapshot':
        return true;
    }
  }

  /** Acknowledged up to `index`: free the inflight slots of appends ending there or before. */
  freeInflightsTo(index: number): void {
    let k = 0;
    while (k < this.inflights.length && (this.inflights[k] as number) <= index) k++;
    if (k > 0) this.inflights.splice(0, k);
  }
}
