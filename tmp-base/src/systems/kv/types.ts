/**
 * Plain-data vocabulary of the replicated config store (an etcd-like revisioned key-value store on
 * Raft): client operations, replicated commands, results, watch events. Everything here crosses the
 * simulated network or the Raft log, so it is plain data only.
 */

/** A client operation. Reads (`get`, `range`) are served by ReadIndex; the rest go through the log. */
export type KvOp =
  | { op: 'get'; key: string }
  /** Every key starting with `prefix`, sorted. */
  | { op: 'range'; prefix: string }
  /** Sets `key`; with `lease`, attaches the key to that lease (deleted when it expires). */
  | { op: 'put'; key: string; value: string; lease?: number }
  | { op: 'delete'; key: string }
  /**
   * Compare-and-swap transaction: if `key` holds `expectedValue` (null = absent) and/or has
   * `expectedVersion` (0 = absent), set it to `value`. With neither, it always matches.
   */
  | { op: 'cas'; key: string; value: string; expectedValue?: string | null; expectedVersion?: number; lease?: number }
  /** Grants a lease of `ttlMs`; its id comes from a counter in the state machine. */
  | { op: 'leaseGrant'; ttlMs: number }
  | { op: 'leaseRevoke'; id: number }
  /**
   * The lock recipe as one transaction: if `key` is absent, put `owner` there attached to `lease`.
   * The fencing token is the key's create revision: it grows with every new holder.
   */
  | { op: 'lock'; key: string; owner: string; lease: number }
  /** Releases the lock if `owner` holds it. */
  | { op: 'unlock'; key: string; owner: string }
  /**
   * A fenced write (etcd's `txn(compare createRevision(lockKey) == token).then(put)`): sets `key`
   * only while the lock at `lockKey` is held under fencing token `token`, so a holder whose lease
   * expired (a paused operator) cannot write after the next holder took over.
   */
  | { op: 'fencedPut'; key: string; value: string; lockKey: string; token: number };

export type KvWriteOp = Exclude<KvOp, { op: 'get' } | { op: 'range' }>;
export type KvReadOp = Extract<KvOp, { op: 'get' } | { op: 'range' }>;

export function isReadOp(op: KvOp): op is KvReadOp {
  return op.op === 'get' || op.op === 'range';
}

/** One key's state, as etcd reports it. */
export interface KeyValue {
  key: string;
  value: string;
  /** 1 after creation, +1 per put; a deleted key is absent (version 0). */
  version: number;
  /** Revision of the put that created the key (since its last deletion). */
  createRev: number;
  /** Revision of the last change. */
  modRev: number;
  /** Lease the key is attached to, or 0. */
  lease: number;
}

/** Result of an operation; every result carries the store revision it was computed at. */
export type KvResult =
  | { op: 'get'; rev: number; value: string | null; version: number; modRev: number }
  | { op: 'range'; rev: number; kvs: KeyValue[] }
  | { op: 'put'; rev: number; version: number; ok: true }
  | { op: 'delete'; rev: number; existed: boolean }
  | { op: 'cas'; rev: number; ok: boolean; version: number }
  | { op: 'leaseGrant'; rev: number; id: number; ttlMs: number }
  | { op: 'leaseRevoke'; rev: number; existed: boolean }
  /** `token` is the fencing token when `ok`; else the current holder and its token. */
  | { op: 'lock'; rev: number; ok: boolean; token: number; holder: string | null }
  | { op: 'unlock'; rev: number; ok: boolean }
  /** `ok` false: the lock is gone or held under another token (`holderToken`, 0 = free). */
  | { op: 'fencedPut'; rev: number; ok: boolean; version: number; holderToken: number }
  /** A write rejected because it was not the lease's: e.g. put with an unknown lease. */
  | { op: 'error'; rev: number; error: 'lease-not-found' | 'stale-sequence' };

/** What goes into the Raft log (JSON-encoded). */
export type KvCommand =
  /** A client write with its session identity, for exactly-once application. */
  | { kind: 'client'; client: string; seq: number; op: KvWriteOp }
  /** Proposed by a leader whose lessor saw the lease expire. */
  | { kind: 'expire'; lease: number };

/** A change of one key, as watchers see it. */
export interface WatchEvent {
  rev: number;
  key: string;
  type: 'put' | 'delete';
  /** The new value (put) or null (delete). */
  value: string | null;
}
