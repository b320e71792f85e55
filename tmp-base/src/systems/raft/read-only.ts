/**
 * ReadIndex bookkeeping on the leader (etcd's read_only.go, ReadOnlySafe mode). A read arriving
 * at commit index C is safe to serve once the leader has confirmed, by a heartbeat round that a
 * quorum acknowledged after the read arrived, that it was still the leader: then no other leader
 * could have committed anything C does not include (Raft thesis §6.4).
 */
import type { NodeId } from './types.ts';

export interface PendingRead {
  context: string;
  /** The leader's commit index when the read arrived. */
  index: number;
  /** Who asked: the leader itself or a follower that forwarded the read. */
  from: NodeId;
  /** Nodes that acknowledged a heartbeat carrying this context (the leader counts itself). */
  acks: Set<NodeId>;
}

export class ReadOnlyQueue {
  private queue: PendingRead[] = [];

  /** Adds a read; false if one with this context is already pending (a duplicate request). */
  add(context: string, index: number, from: NodeId, self: NodeId): boolean {
    if (this.queue.some((r) => r.context === context)) return false;
    this.queue.push({ context, index, from, acks: new Set([self]) });
    return true;
  }

  /** The newest pending context: every heartbeat carries it, so a lost round is retried. */
  lastContext(): string | null {
    const last = this.queue[this.queue.length - 1];
    return last === undefined ? null : last.context;
  }

  /**
   * Records `from`'s acknowledgement of `context`. When a quorum acknowledged it, releases it and
   * every read queued before it (confirming leadership later confirms it for earlier reads too).
   */
  ack(context: string, from: NodeId, quorum: number): PendingRead[] {
    const i = this.queue.findIndex((r) => r.context === context);
    if (i < 0) return [];
    const r = this.queue[i] as PendingRead;
    r.acks.add(from);
    if (r.acks.size < quorum) return [];
    return this.queue.splice(0, i + 1);
  }

  clear(): void {
    this.queue = [];
  }

  get size(): number {
    return this.queue.length;
  }
}
