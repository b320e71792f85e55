/**
 * The revisioned key-value state machine (etcd's mvcc + lessor state, reduced): the deterministic
 * thing every replica applies the committed Raft log to. Pure: no clock (lease expiry is decided by
 * the leader's lessor and replicated as an `expire` command), no I/O.
 *
 * - Every write transaction that changes something gets the next global revision; a lease expiry
 *   deletes all its keys at one revision.
 * - Exactly-once client writes: each client session numbers its writes; the store remembers the
 *   last sequence number applied per client and its result, so a retried write (after a timeout
 *   or a leader change) is answered from that record instead of being applied twice.
 * - Watch history: the events of the last `historyRevs` revisions are kept so a watch can start
 *   from a past revision; older ones are compacted (a watch from there is answered "compacted").
 */
import { assert } from '../../sim/assert.ts';
import type { KeyValue, KvCommand, KvReadOp, KvResult, KvWriteOp, WatchEvent } from './types.ts';

interface Lease {
  id: number;
  ttlMs: number;
  /** Attached keys, in attach order. */
  keys: string[];
}

interface Session {
  seq: number;
  result: KvResult;
}

/** Serialised form (snapshot data). Arrays in a fixed order, so equal stores serialise equally. */
export interface KvSnapshot {
  rev: number;
  compactRev: number;
  nextLease: number;
  kvs: KeyValue[];
  leases: Lease[];
  sessions: [string, Session][];
  events: WatchEvent[];
}

export const DEFAULT_HISTORY_REVS = 200;

export class KvStore {
  /** Current revision: the number of changing writes applied so far. */
  rev = 0;
  /** Watch history is kept for revisions above this one. */
  compactRev = 0;
  private nextLease = 1;
  private readonly kvs = new Map<string, KeyValue>();
  private readonly leases = new Map<number, Lease>();
  private readonly sessions = new Map<string, Session>();
  /** Events with rev > compactRev, ascending. */
  private events: WatchEvent[] = [];
  /**
   * Incremental serialisation for snapshots (a Raft host compacts every few dozen entries on every
   * node; re-serialising the whole store each time was the largest cost of a loaded run):
   * eventsJson[i] is the JSON of events[i], filled lazily at the next snapshot (events never
   * change once their transaction ends); kvJson and sessionJson hold the JSON of each key's and
   * client's current record, refreshed when it is replaced (records are replaced, never mutated).
   */
  private eventsJson: string[] = [];
  private readonly kvJson = new Map<string, string>();
  private readonly sessionJson = new Map<string, string>();

  /**
   * @param bugLeaseAttachOnCreate BUG (bug zoo): a put with a lease attaches the key to the lease
   *   only when it creates the key; a lease given to an existing key is recorded on the key but the
   *   lease never learns it owns it, so revoking the lease leaves the key behind.
   */
  constructor(
    readonly historyRevs: number = DEFAULT_HISTORY_REVS,
    readonly bugLeaseAttachOnCreate = false,
  ) {
    assert(historyRevs >= 1, 'kv: historyRevs must be at least 1');
  }

  // ---------------------------------------------------------------- reads

  read(op: KvReadOp): KvResult {
    if (op.op === 'get') {
      const kv = this.kvs.get(op.key);
      return { op: 'get', rev: this.rev, value: kv?.value ?? null, version: kv?.version ?? 0, modRev: kv?.modRev ?? 0 };
    }
    const kvs = [...this.kvs.values()].filter((kv) => kv.key.startsWith(op.prefix)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { op: 'range', rev: this.rev, kvs: kvs.map((kv) => ({ ...kv })) };
  }

  get(key: string): KeyValue | undefined {
    return this.kvs.get(key);
  }

  hasLease(id: number): boolean {
    return this.leases.has(id);
  }

  /** Lease ids and TTLs, ascending (the leader's lessor tracks their expiry). */
  leaseList(): { id: number; ttlMs: number }[] {
    return [...this.leases.values()].sort((a, b) => a.id - b.id).map((l) => ({ id: l.id, ttlMs: l.ttlMs }));
  }

  /** The last sequence number applied for `client` (0 if none). */
  lastSeq(client: string): number {
    return this.sessions.get(client)?.seq ?? 0;
  }

  /**
   * Events matching `key` (or every key starting with it when `prefix`) with rev >= `fromRev`,
   * or 'compacted' if part of that range is gone.
   */
  eventsFrom(fromRev: number, key: string, prefix: boolean): WatchEvent[] | 'compacted' {
    if (fromRev <= this.compactRev) return 'compacted';
    const out: WatchEvent[] = [];
    // Events are ascending by revision: start at the first one at or above fromRev (a watcher
    // polled after every apply asks for the last few, not the whole history).
    const evs = this.events;
    let lo = 0;
    let hi = evs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (evs[mid]!.rev < fromRev) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < evs.length; i++) {
      const e = evs[i]!;
      if (matches(e.key, key, prefix)) out.push({ ...e });
    }
    return out;
  }

  // ---------------------------------------------------------------- writes

  /** Applies one committed command; returns the result and the events it produced. */
  apply(cmd: KvCommand): { result: KvResult; events: WatchEvent[] } {
    if (cmd.kind === 'expire') return this.inTxn(() => this.revoke(cmd.lease));
    const s = this.sessions.get(cmd.client);
    if (s !== undefined && cmd.seq <= s.seq) {
      // A retry of a write already applied: answer it from the session, change nothing.
      const result: KvResult = cmd.seq === s.seq ? s.result : { op: 'error', rev: this.rev, error: 'stale-sequence' };
      return { result, events: [] };
    }
    const out = this.inTxn(() => this.write(cmd.op));
    const session: Session = { seq: cmd.seq, result: out.result };
    this.sessions.set(cmd.client, session);
    this.sessionJson.delete(cmd.client);
    return out;
  }

  /** Runs a transaction: its changes share one new revision (if it changed anything). */
  private inTxn(body: () => KvResult): { result: KvResult; events: WatchEvent[] } {
    const before = this.pending.length;
    assert(before === 0, 'kv: nested transaction');
    const r = body();
    const events = this.pending;
    this.pending = [];
    if (events.length > 0) {
      this.rev++;
      for (const e of events) e.rev = this.rev;
      for (const e of events) this.events.push(e);
      const floor = this.rev - this.historyRevs;
      if (floor > this.compactRev) {
        this.compactRev = floor;
        let k = 0;
        while (k < this.events.length && this.events[k]!.rev <= floor) k++;
        this.events.splice(0, k);
        this.eventsJson.splice(0, k);
      }
    }
    // Results report the revision after the transaction.
    return { result: { ...r, rev: this.rev } as KvResult, events: events.map((e) => ({ ...e })) };
  }

  private pending: WatchEvent[] = [];
  /** The revision the current transaction will get. */
  private get txnRev(): number {
    return this.rev + 1;
  }

  private write(op: KvWriteOp): KvResult {
    switch (op.op) {
      case 'put': {
        if (op.lease !== undefined && op.lease !== 0 && !this.leases.has(op.lease)) return { op: 'error', rev: 0, error: 'lease-not-found' };
        const kv = this.setKey(op.key, op.value, op.lease ?? 0);
        return { op: 'put', rev: 0, version: kv.version, ok: true };
      }
      case 'delete':
        return { op: 'delete', rev: 0, existed: this.deleteKey(op.key) };
      case 'cas': {
        const cur = this.kvs.get(op.key);
        const match =
          (op.expectedValue === undefined || op.expectedValue === (cur?.value ?? null)) &&
          (op.expectedVersion === undefined || op.expectedVersion === (cur?.version ?? 0));
        if (!match) return { op: 'cas', rev: 0, ok: false, version: cur?.version ?? 0 };
        if (op.lease !== undefined && op.lease !== 0 && !this.leases.has(op.lease)) return { op: 'error', rev: 0, error: 'lease-not-found' };
        const kv = this.setKey(op.key, op.value, op.lease ?? 0);
        return { op: 'cas', rev: 0, ok: true, version: kv.version };
      }
      case 'leaseGrant': {
        const id = this.nextLease++;
        this.leases.set(id, { id, ttlMs: op.ttlMs, keys: [] });
        return { op: 'leaseGrant', rev: 0, id, ttlMs: op.ttlMs };
      }
      case 'leaseRevoke':
        return this.revoke(op.id);
      case 'lock': {
        const cur = this.kvs.get(op.key);
        if (cur !== undefined) return { op: 'lock', rev: 0, ok: cur.value === op.owner, token: cur.createRev, holder: cur.value };
        if (!this.leases.has(op.lease)) return { op: 'error', rev: 0, error: 'lease-not-found' };
        const kv = this.setKey(op.key, op.owner, op.lease);
        return { op: 'lock', rev: 0, ok: true, token: kv.createRev, holder: op.owner };
      }
      case 'fencedPut': {
        const lock = this.kvs.get(op.lockKey);
        const holderToken = lock?.createRev ?? 0;
        if (holderToken !== op.token) return { op: 'fencedPut', rev: 0, ok: false, version: this.kvs.get(op.key)?.version ?? 0, holderToken };
        const kv = this.setKey(op.key, op.value, 0);
        return { op: 'fencedPut', rev: 0, ok: true, version: kv.version, holderToken };
      }
      case 'unlock': {
        const cur = this.kvs.get(op.key);
        if (cur === undefined || cur.value !== op.owner) return { op: 'unlock', rev: 0, ok: false };
        this.deleteKey(op.key);
        return { op: 'unlock', rev: 0, ok: true };
      }
    }
  }

  private revoke(id: number): KvResult {
    const l = this.leases.get(id);
    if (l === undefined) return { op: 'leaseRevoke', rev: 0, existed: false };
    for (const k of l.keys.slice()) this.deleteKey(k);
    this.leases.delete(id);
    return { op: 'leaseRevoke', rev: 0, existed: true };
  }

  private setKey(key: string, value: string, lease: number): KeyValue {
    const cur = this.kvs.get(key);
    const rev = this.txnRev;
    if (cur !== undefined && cur.lease !== lease) this.detach(cur.lease, key);
    const kv: KeyValue = cur === undefined
      ? { key, value, version: 1, createRev: rev, modRev: rev, lease }
      : { key, value, version: cur.version + 1, createRev: cur.createRev, modRev: rev, lease };
    this.kvs.set(key, kv);
    this.kvJson.delete(key);
    const attach = this.bugLeaseAttachOnCreate ? cur === undefined : cur === undefined || cur.lease !== lease;
    if (lease !== 0 && attach) this.leases.get(lease)!.keys.push(key);
    this.pending.push({ rev, key, type: 'put', value });
    return kv;
  }

  private deleteKey(key: string): boolean {
    const cur = this.kvs.get(key);
    if (cur === undefined) return false;
    this.detach(cur.lease, key);
    this.kvs.delete(key);
    this.kvJson.delete(key);
    this.pending.push({ rev: this.txnRev, key, type: 'delete', value: null });
    return true;
  }

  private detach(lease: number, key: string): void {
    if (lease === 0) return;
    const l = this.leases.get(lease);
    if (l !== undefined) l.keys = l.keys.filter((k) => k !== key);
  }

  // ---------------------------------------------------------------- snapshots

  snapshot(): KvSnapshot {
    const byKey = <T>(m: Map<string, T>): [string, T][] => [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return {
      rev: this.rev,
      compactRev: this.compactRev,
      nextLease: this.nextLease,
      kvs: byKey(this.kvs).map(([, v]) => ({ ...v })),
      leases: [...this.leases.values()].sort((a, b) => a.id - b.id).map((l) => ({ ...l, keys: l.keys.slice() })),
      sessions: byKey(this.sessions).map(([k, s]) => [k, { seq: s.seq, result: structuredCopy(s.result) }]),
      events: this.events.map((e) => ({ ...e })),
    };
  }

  /**
   * The snapshot as JSON: equal to JSON.stringify(this.snapshot()), but built from the cached JSON
   * of each record (see eventsJson), so its cost is a concatenation, not a walk of the store.
   */
  snapshotJson(): string {
    for (let i = this.eventsJson.length; i < this.events.length; i++) this.eventsJson.push(JSON.stringify(this.events[i]));
    const kvs: string[] = [];
    const keys = sortedKeys(this.kvs);
    for (const key of keys) {
      let j = this.kvJson.get(key);
      if (j === undefined) this.kvJson.set(key, (j = JSON.stringify(this.kvs.get(key))));
      kvs.push(j);
    }
    const sessions: string[] = [];
    const clients = sortedKeys(this.sessions);
    for (const client of clients) {
      let j = this.sessionJson.get(client);
      if (j === undefined) {
        const s = this.sessions.get(client)!;
        this.sessionJson.set(client, (j = JSON.stringify([client, { seq: s.seq, result: s.result }])));
      }
      sessions.push(j);
    }
    const leaseList = [...this.leases.values()].sort((a, b) => a.id - b.id);
    const leases = JSON.stringify(leaseList);
    const json = `{"rev":${this.rev},"compactRev":${this.compactRev},"nextLease":${this.nextLease},"kvs":[${kvs.join(',')}],"leases":${leases},"sessions":[${sessions.join(',')}],"events":[${this.eventsJson.join(',')}]}`;
    // The parsed form of this text, for fromJson: the records themselves (never changed in place,
    // see fromJson), the leases copied (they are), and the JSON of each record.
    rememberSnapshot(json, {
      rev: this.rev,
      compactRev: this.compactRev,
      nextLease: this.nextLease,
      kvs: keys.map((k) => this.kvs.get(k)!),
      leases: leaseList.map((l) => ({ id: l.id, ttlMs: l.ttlMs, keys: l.keys.slice() })),
      sessions: clients.map((c) => [c, this.sessions.get(c)!]),
      events: this.events.slice(),
      eventsJson: this.eventsJson.slice(),
      kvJson: keys.map((k, i) => [k, kvs[i]!]),
      sessionJson: clients.map((c, i) => [c, sessions[i]!]),
    });
    return json;
  }

  /**
   * A store from snapshotJson()'s (or JSON.stringify(snapshot())'s) text.
   *
   * A snapshot text is restored many times (every crash-restart of a node restores the one on its
   * disk; a leader's snapshot is installed by every lagging follower), and parsing the whole store
   * each time was one of the largest costs of a loaded run. So the parsed form of recent texts is
   * kept (`SnapshotMemo`, filled by snapshotJson and by fromJson itself) and a store is built from
   * it without parsing. That is safe to share between stores, and so between nodes, because the
   * records shared are never changed in place: a key's record, a client's session and a watch
   * event are replaced, never mutated (setKey, apply, inTxn); leases are (their key lists grow),
   * so each store gets its own copies of those. The result equals a fresh parse of `json`.
   */
  static fromJson(json: string, historyRevs: number = DEFAULT_HISTORY_REVS, bugLeaseAttachOnCreate = false): KvStore {
    let m = recallSnapshot(json);
    if (m === undefined) {
      const s = JSON.parse(json) as KvSnapshot;
      m = { rev: s.rev, compactRev: s.compactRev, nextLease: s.nextLease, kvs: s.kvs, leases: s.leases, sessions: s.sessions, events: s.events, eventsJson: null, kvJson: null, sessionJson: null };
      rememberSnapshot(json, m);
    }
    const st = new KvStore(historyRevs, bugLeaseAttachOnCreate);
    st.rev = m.rev;
    st.compactRev = m.compactRev;
    st.nextLease = m.nextLease;
    for (const kv of m.kvs) st.kvs.set(kv.key, kv);
    for (const l of m.leases) st.leases.set(l.id, { id: l.id, ttlMs: l.ttlMs, keys: l.keys.slice() });
    for (const [k, v] of m.sessions) st.sessions.set(k, v);
    st.events = m.events.slice();
    if (m.eventsJson !== null) st.eventsJson = m.eventsJson.slice();
    if (m.kvJson !== null) for (const [k, j] of m.kvJson) st.kvJson.set(k, j);
    if (m.sessionJson !== null) for (const [k, j] of m.sessionJson) st.sessionJson.set(k, j);
    return st;
  }

  /**
   * The state of a store deployed with `initial` keys (etcd restored from a snapshot at cluster
   * bootstrap): key i (in key order) created at revision i + 1, no watch history below them.
   * Every replica starts from this same state, so the Raft log applied on top agrees everywhere.
   */
  static seeded(initial: Readonly<Record<string, string>>): KvSnapshot {
    const keys = Object.keys(initial).sort();
    return { rev: keys.length, compactRev: keys.length, nextLease: 1, kvs: keys.map((key, i) => ({ key, value: initial[key]!, version: 1, createRev: i + 1, modRev: i + 1, lease: 0 })), leases: [], sessions: [], events: [] };
  }

  static restore(s: KvSnapshot, historyRevs: number = DEFAULT_HISTORY_REVS, bugLeaseAttachOnCreate = false): KvStore {
    const st = new KvStore(historyRevs, bugLeaseAttachOnCreate);
    st.rev = s.rev;
    st.compactRev = s.compactRev;
    st.nextLease = s.nextLease;
    for (const kv of s.kvs) st.kvs.set(kv.key, { ...kv });
    for (const l of s.leases) st.leases.set(l.id, { ...l, keys: l.keys.slice() });
    for (const [k, v] of s.sessions) st.sessions.set(k, { seq: v.seq, result: structuredCopy(v.result) });
    st.events = s.events.map((e) => ({ ...e }));
    return st;
  }
}

/** A snapshot text's content, parsed (see KvStore.fromJson); shared: never change what it holds. */
interface SnapshotMemo {
  rev: number;
  compactRev: number;
  nextLease: number;
  kvs: readonly KeyValue[];
  leases: readonly Lease[];
  sessions: readonly (readonly [string, Session])[];
  events: readonly WatchEvent[];
  /** The JSON of each event, key record and session (as snapshotJson caches them), if known. */
  eventsJson: readonly string[] | null;
  kvJson: readonly (readonly [string, string])[] | null;
  sessionJson: readonly (readonly [string, string])[] | null;
}

/**
 * Recent snapshot texts and their content (for every store in the process: a pure function of the
 * text, so which run or node filled it changes nothing but the time a restore takes). Bounded:
 * the oldest goes first; a text not here is parsed. A list compared by length, then content, not
 * a Map: a Map would hash every snapshot text written, most of which are never restored.
 */
const snapshotMemo: { json: string; memo: SnapshotMemo }[] = [];
const SNAPSHOT_MEMO_SIZE = 32;

function recallSnapshot(json: string): SnapshotMemo | undefined {
  const n = json.length;
  for (let i = snapshotMemo.length - 1; i >= 0; i--) {
    const e = snapshotMemo[i]!;
    if (e.json.length === n && e.json === json) return e.memo;
  }
  return undefined;
}

function rememberSnapshot(json: string, memo: SnapshotMemo): void {
  // Shared between stores, so between nodes: frozen, so a change in place (which would reach
  // another node's memory) throws instead of silently moving two nodes' states together.
  for (const kv of memo.kvs) Object.freeze(kv);
  for (const [, s] of memo.sessions) deepFreeze(s);
  for (const e of memo.events) Object.freeze(e);
  if (snapshotMemo.length >= SNAPSHOT_MEMO_SIZE) snapshotMemo.shift();
  snapshotMemo.push({ json, memo });
}

/** Freezes `x` and everything it holds: data shared between nodes (a change in place throws). */
export function deepFreeze(x: unknown): void {
  if (x === null || typeof x !== 'object' || Object.isFrozen(x)) return;
  Object.freeze(x);
  for (const v of Object.values(x)) deepFreeze(v);
}

/** Keys in code-unit order (the order snapshot() sorts by). */
function sortedKeys(m: Map<string, unknown>): string[] {
  return [...m.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function matches(eventKey: string, key: string, prefix: boolean): boolean {
  return prefix ? eventKey.startsWith(key) : eventKey === key;
}

function structuredCopy<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}
