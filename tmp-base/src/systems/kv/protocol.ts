/**
 * Client <-> server messages of the config store. Requests go with `ctx.call` (request/reply with
 * a timeout); watch streams are pushed with `ctx.send` and carry their watch id.
 */
import type { NodeId } from '../../sim/node.ts';
import type { KvReadOp, KvResult, KvWriteOp, WatchEvent } from './types.ts';

export type KvRequest =
  /** A write of a client session: `seq` numbers the session's writes from 1, one at a time. */
  | { type: 'kvWrite'; client: string; seq: number; op: KvWriteOp }
  /**
   * A linearizable read (ReadIndex on whichever node receives it); `serializable` (etcd's
   * --consistency=s) answers from the receiving node's applied state at once: fast, possibly stale.
   */
  | { type: 'kvRead'; op: KvReadOp; serializable?: boolean }
  /** Renews a lease on the leader's lessor. */
  | { type: 'keepAlive'; lease: number }
  /**
   * Starts (or replaces) this client's watch on this node: events for `key` (or every key with
   * that prefix) from revision `fromRev` on.
   */
  | { type: 'watch'; watchId: number; key: string; prefix: boolean; fromRev: number }
  /**
   * A linearizable progress request on this client's watch (etcd's RequestProgress, confirmed):
   * the node confirms a read point (ReadIndex), pushes everything of the watch applied through it,
   * then answers with the store revision it confirmed. A client whose stream has delivered
   * through that revision knows its view was current at some instant after it sent the request.
   */
  | { type: 'watchProgress'; watchId: number };

export type KvReply =
  | { type: 'kvReply'; ok: true; result: KvResult }
  | { type: 'kvReply'; ok: false; reason: 'not-leader' | 'unavailable'; leader: NodeId | null }
  /** `ttlMs` -1: the lease is gone (expired or revoked). */
  | { type: 'keepAliveReply'; ok: true; ttlMs: number }
  | { type: 'keepAliveReply'; ok: false; leader: NodeId | null }
  | { type: 'watchAck'; ok: boolean }
  /** `rev`: every event of the watch at or below it has been pushed (ok false: no such watch here, or no read point). */
  | { type: 'watchProgressReply'; ok: boolean; rev: number };

/** Pushed to a watching client. */
export type WatchMessage =
  /**
   * Every event of the watch with revision in (after, upTo], in order. Consecutive batches of one
   * watch chain (`after` of one is `upTo` of the previous); a batch with no events is a progress
   * notification, so a client can tell a quiet stream from a lost batch.
   */
  | { type: 'watchBatch'; watchId: number; after: number; upTo: number; events: WatchEvent[] }
  /** The watch's start revision was compacted: history at or below `compactRev` is gone. */
  | { type: 'watchCompacted'; watchId: number; compactRev: number; rev: number };
