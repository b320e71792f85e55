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
  /**
   * The watch history: events[head..] are the events with rev > compactRev, ascending. Append-only
   * below `head`'s move: compaction of the history advances `head`, and the array is replaced by a
   * copy of its live part now and then (never changed in place), so a snapshot memo may keep a
   * range of it without copying it (see SnapshotMemo).
   */
  private events: WatchEvent[] = [];
  private head = 0;
  /** Events[i] for i below this are frozen (they entered a snapshot memo): see rememberSnapshot. */
  private frozenTo = 0;
  /**
   * Incremental serialisation for snapshots (a Raft host compacts every few dozen entries on every
   * node; re-serialising the whole store each time was the largest cost of a loaded run):
   * eventsJson[i] is the JSON of events[i], filled lazily at the next snapshot (events never
   * change once their transaction ends; same indices as `events`, so entries below `head` are dead);
   * kvJson and sessionJson hold the JSON of each key's and client's current record, refreshed when
   * it is replaced (records are replaced, never mutated).
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
    let lo = this.head;
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

  /**
   * Applies one committed command; returns the result and the events it produced. The events are
   * the history's own records (read them, never change them: a snapshot memo may share them).
   */
  apply(cmd: KvCommand): { result: KvResult; events: WatchEvent[] } {
    assert(this.pending.length === 0, 'kv: nested transaction');
    if (cmd.kind === 'expire') return this.endTxn(this.revoke(cmd.lease));
    const s = this.sessions.get(cmd.client);
    if (s !== undefined && cmd.seq <= s.seq) {
      // A retry of a write already applied: answer it from the session, change nothing.
      const result: KvResult = cmd.seq === s.seq ? s.result : { op: 'error', rev: this.rev, error: 'stale-sequence' };
      return { result, events: [] };
    }
    const out = this.endTxn(this.write(cmd.op));
    const session: Session = { seq: cmd.seq, result: out.result };
    this.sessions.set(cmd.client, session);
    this.sessionJson.delete(cmd.client);
    return out;
  }

  /**
   * Ends the transaction whose changes are in `pending`: they share one new revision (if it changed
   * anything). `r` is the write's result, a fresh object: it gets the revision after the transaction.
   */
  private endTxn(r: KvResult): { result: KvResult; events: WatchEvent[] } {
    const events = this.pending;
    if (events.length > 0) {
      this.pending = [];
      this.rev++;
      // setKey and deleteKey stamped each event with txnRev, the revision just taken.
      for (let i = 0; i < events.length; i++) this.events.push(events[i]!);
      const floor = this.rev - this.historyRevs;
      if (floor > this.compactRev) {
        this.compactRev = floor;
        const evs = this.events;
        let h = this.head;
        while (h < evs.length && evs[h]!.rev <= floor) h++;
        this.head = h;
        // The dead prefix goes now and then, by a copy (memos may hold the old array).
        if (h >= 32 && h * 2 >= evs.length) this.dropDeadEvents();
      }
    }
    r.rev = this.rev;
    return { result: r, events };
  }

  /** Replaces the history arrays by copies of their live part (never changes them in place). */
  private dropDeadEvents(): void {
    const h = this.head;
    if (h === 0) return;
    this.events = this.events.slice(h);
    this.eventsJson = this.eventsJson.length > h ? this.eventsJson.slice(h) : [];
    this.frozenTo = Math.max(0, this.frozenTo - h);
    this.head = 0;
  }

  /** Changes of the current transaction (NO_EVENTS, frozen and shared, until the first). */
  private pending: WatchEvent[] = NO_EVENTS;
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
    this.change({ rev, key, type: 'put', value });
    return kv;
  }

  private deleteKey(key: string): boolean {
    const cur = this.kvs.get(key);
    if (cur === undefined) return false;
    this.detach(cur.lease, key);
    this.kvs.delete(key);
    this.kvJson.delete(key);
    this.change({ rev: this.txnRev, key, type: 'delete', value: null });
    return true;
  }

  private change(e: WatchEvent): void {
    if (this.pending === NO_EVENTS) this.pending = [e];
    else this.pending.push(e);
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
      events: this.events.slice(this.head).map((e) => ({ ...e })),
    };
  }

  /**
   * The snapshot as JSON: equal to JSON.stringify(this.snapshot()), but built from the cached JSON
   * of each record (see eventsJson), so its cost is a concatenation, not a walk of the store.
   *
   * Every replica snapshots the same states (a Raft host compacts every few dozen entries on every
   * node), so the text is first looked for among the recent snapshot texts (SnapshotMemo): one
   * whose content equals this store's, compared record by record, is returned as it is (the same
   * string), and nothing is built.
   */
  snapshotJson(): string {
    const same = this.sameSnapshot();
    if (same !== null) {
      snapshotTextStats.shared++;
      return same;
    }
    snapshotTextStats.built++;
    if (this.eventsJson.length < this.head) this.dropDeadEvents();
    for (let i = this.eventsJson.length; i < this.events.length; i++) this.eventsJson.push(JSON.stringify(this.events[i]));
    const keys = sortedKeys(this.kvs);
    const kvRecords: KeyValue[] = new Array(keys.length);
    const kvs: string[] = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const rec = this.kvs.get(keys[i]!)!;
      kvRecords[i] = rec;
      kvs[i] = this.kvJsonOf(keys[i]!, rec);
    }
    const clients = sortedKeys(this.sessions);
    const sessionRecords: Session[] = new Array(clients.length);
    const sessions: string[] = new Array(clients.length);
    for (let i = 0; i < clients.length; i++) {
      sessionRecords[i] = this.sessions.get(clients[i]!)!;
      sessions[i] = this.sessionJsonOf(clients[i]!);
    }
    const leaseList = [...this.leases.values()].sort((a, b) => a.id - b.id);
    const leases = JSON.stringify(leaseList);
    const evJson = this.head === 0 ? this.eventsJson.join(',') : this.eventsJson.slice(this.head).join(',');
    const json = `{"rev":${this.rev},"compactRev":${this.compactRev},"nextLease":${this.nextLease},"kvs":[${kvs.join(',')}],"leases":${leases},"sessions":[${sessions.join(',')}],"events":[${evJson}]}`;
    // The parsed form of this text, for fromJson and for the other replicas' snapshots: the records
    // themselves (never changed in place, see fromJson), frozen once as they enter a memo; the
    // leases copied (they change); the history as a range of this store's append-only arrays.
    for (const kv of kvRecords) Object.freeze(kv);
    for (const s of sessionRecords) deepFreeze(s);
    for (let i = Math.max(this.frozenTo, this.head); i < this.events.length; i++) Object.freeze(this.events[i]);
    this.frozenTo = this.events.length;
    rememberSnapshot(json, {
      rev: this.rev,
      compactRev: this.compactRev,
      nextLease: this.nextLease,
      kvs: kvRecords,
      kvJson: kvs,
      leases: leaseList.map((l) => ({ id: l.id, ttlMs: l.ttlMs, keys: l.keys.slice() })),
      clients,
      sessions: sessionRecords,
      sessionJson: sessions,
      events: this.events,
      eventsJson: this.eventsJson,
      from: this.head,
      to: this.events.length,
    });
    return json;
  }

  /** The JSON of key `key`'s current record `rec` (cached until the record is replaced). */
  private kvJsonOf(key: string, rec: KeyValue): string {
    let j = this.kvJson.get(key);
    if (j === undefined) this.kvJson.set(key, (j = JSON.stringify(rec)));
    return j;
  }

  /** The JSON of `client`'s session as a snapshot lists it (cached until the session is replaced). */
  private sessionJsonOf(client: string): string {
    let j = this.sessionJson.get(client);
    if (j === undefined) {
      const s = this.sessions.get(client)!;
      this.sessionJson.set(client, (j = JSON.stringify([client, { seq: s.seq, result: s.result }])));
    }
    return j;
  }

  /**
   * The text of a recent snapshot whose content is this store's, or null. Two stores with equal
   * content serialise to one text (snapshotJson writes each record in a fixed order, and every
   * record of a kind has one shape: the object literals of this file, or a parse of their JSON),
   * so equal content is checked record by record: revisions, the history's events field by field,
   * key records, sessions and leases (each compared by its JSON or its fields).
   */
  private sameSnapshot(): string | null {
    const nEvents = this.events.length - this.head;
    for (let m = snapshotMemo.length - 1; m >= 0; m--) {
      const e = snapshotMemo[m]!;
      const s = e.memo;
      if (s.rev !== this.rev || s.compactRev !== this.compactRev || s.nextLease !== this.nextLease || s.to - s.from !== nEvents) continue;
      if (s.kvs.length !== this.kvs.size || s.sessions.length !== this.sessions.size || s.leases.length !== this.leases.size) continue;
      if (this.sameContent(s)) return e.json;
    }
    return null;
  }

  private sameContent(s: SnapshotMemo): boolean {
    const evs = this.events;
    for (let i = s.from, j = this.head; i < s.to; i++, j++) {
      const a = s.events[i]!;
      const b = evs[j]!;
      if (a !== b && (a.rev !== b.rev || a.key !== b.key || a.type !== b.type || a.value !== b.value)) return false;
    }
    // Sizes are equal, so every memo key present here with the same record means the same key set.
    for (let i = 0; i < s.kvs.length; i++) {
      const a = s.kvs[i]!;
      const b = this.kvs.get(a.key);
      if (b === undefined) return false;
      if (a !== b && (s.kvJson !== null ? s.kvJson[i]! : JSON.stringify(a)) !== this.kvJsonOf(a.key, b)) return false;
    }
    for (let i = 0; i < s.clients.length; i++) {
      const c = s.clients[i]!;
      const a = s.sessions[i]!;
      const b = this.sessions.get(c);
      if (b === undefined) return false;
      if (a !== b && (a.seq !== b.seq || (s.sessionJson !== null ? s.sessionJson[i]! : JSON.stringify([c, { seq: a.seq, result: a.result }])) !== this.sessionJsonOf(c))) return false;
    }
    for (const a of s.leases) {
      const b = this.leases.get(a.id);
      if (b === undefined || a.ttlMs !== b.ttlMs || a.keys.length !== b.keys.length) return false;
      for (let k = 0; k < a.keys.length; k++) if (a.keys[k] !== b.keys[k]) return false;
    }
    return true;
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
   * event are replaced, never mutated (setKey, apply, endTxn); leases are (their key lists grow),
   * so each store gets its own copies of those. The result equals a fresh parse of `json`.
   */
  static fromJson(json: string, historyRevs: number = DEFAULT_HISTORY_REVS, bugLeaseAttachOnCreate = false): KvStore {
    let m = recallSnapshot(json);
    if (m === undefined) {
      const s = JSON.parse(json) as KvSnapshot;
      m = {
        rev: s.rev,
        compactRev: s.compactRev,
        nextLease: s.nextLease,
        kvs: s.kvs,
        kvJson: null,
        leases: s.leases,
        clients: s.sessions.map(([c]) => c),
        sessions: s.sessions.map(([, v]) => v),
        sessionJson: null,
        events: s.events,
        eventsJson: null,
        from: 0,
        to: s.events.length,
      };
      for (const kv of m.kvs) Object.freeze(kv);
      for (const v of m.sessions) deepFreeze(v);
      for (const e of m.events) Object.freeze(e);
      rememberSnapshot(json, m);
    }
    const st = new KvStore(historyRevs, bugLeaseAttachOnCreate);
    st.rev = m.rev;
    st.compactRev = m.compactRev;
    st.nextLease = m.nextLease;
    for (let i = 0; i < m.kvs.length; i++) {
      const kv = m.kvs[i]!;
      st.kvs.set(kv.key, kv);
      if (m.kvJson !== null) st.kvJson.set(kv.key, m.kvJson[i]!);
    }
    for (const l of m.leases) st.leases.set(l.id, { id: l.id, ttlMs: l.ttlMs, keys: l.keys.slice() });
    for (let i = 0; i < m.clients.length; i++) {
      st.sessions.set(m.clients[i]!, m.sessions[i]!);
      if (m.sessionJson !== null) st.sessionJson.set(m.clients[i]!, m.sessionJson[i]!);
    }
    st.events = m.events.slice(m.from, m.to);
    st.frozenTo = st.events.length;
    if (m.eventsJson !== null) st.eventsJson = m.eventsJson.slice(m.from, m.to);
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

/** Snapshot texts built, and texts returned as another store's (equal content), in this process. */
export const snapshotTextStats = { built: 0, shared: 0 };

/** The empty change list of a transaction (frozen: shared by every store). */
const NO_EVENTS: WatchEvent[] = Object.freeze([]) as unknown as WatchEvent[];

/**
 * A snapshot text's content, parsed (see KvStore.fromJson and snapshotJson); shared between
 * stores: never change what it holds. The records are frozen; `events[from..to)` is the history,
 * a range of an append-only array of the store that wrote the text (or of the parse).
 */
interface SnapshotMemo {
  rev: number;
  compactRev: number;
  nextLease: number;
  /** Key records, in key order, and their JSON (null when the memo came from a parse). */
  kvs: readonly KeyValue[];
  kvJson: readonly string[] | null;
  leases: readonly Lease[];
  /** Sessions in client order, and each `[client, session]` as JSON (null after a parse). */
  clients: readonly string[];
  sessions: readonly Session[];
  sessionJson: readonly string[] | null;
  events: readonly WatchEvent[];
  /** The JSON of each event, same indices as `events` (null after a parse). */
  eventsJson: readonly string[] | null;
  from: number;
  to: number;
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

/** Adds a text and its content (records already frozen by the caller: they are shared between nodes). */
function rememberSnapshot(json: string, memo: SnapshotMemo): void {
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
