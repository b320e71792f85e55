/**
 * One region of an active-active CRDT deployment (seed 000): a node program that accepts client
 * writes at any time (partitions included), replicates them to the other regions as delta batches,
 * repairs what the deltas missed with Merkle anti-entropy, garbage-collects OR-Set tags once they
 * are causally stable, serves reads that honour read-your-writes tokens, and keeps its state on
 * its disk.
 *
 * Durability rule (the author's rule 3, by persistence): nothing leaves the node before the
 * records it depends on are fsynced. A local op's delta is appended to the WAL, and the client's
 * acknowledgement, the delta batch and any state sent in anti-entropy all go out from the
 * callback of an fsync issued after the content was built. So every dot, counter entry, RGA id
 * and HLC timestamp another node or client has seen survives a crash, and a restarted region
 * never reuses one of its replica id's dots.
 *
 * Replication: each region numbers its own ops 1, 2, 3, ... (`seq`). Deltas are batched for
 * `batchMs` or until `batchBytesMax` (seed 000: 10 ms / 1 MB), sent to every peer, acknowledged
 * with the highest contiguous seq the peer has applied, and re-sent from the first unacked seq
 * every `resendMs`. Merging is a join, so duplicates and reorderings are harmless. The outbox
 * keeps at most `outboxOpsMax` unacknowledged ops: during a long partition older ones are dropped
 * and anti-entropy repairs them (its job in seed 000).
 *
 * Anti-entropy (every `antiEntropyMs`, peers in turn): compare roots, descend only into divergent
 * children, exchange (key, digest) lists of divergent leaves, repair only divergent keys.
 * Whoever finds one of its digests equal to the peer's knows it holds the peer's state of those
 * keys; that is also how GC learns stability (rule 2): per peer and OR-Set key it keeps the
 * context vector of the latest full state of the peer it holds, and collects below the pointwise
 * minimum of those and its own.
 */
import { assert } from '../../../sim/assert.ts';
import type { Envelope, NodeContext, NodeId, NodeProgram } from '../../../sim/node.ts';
import type { Nanos } from '../../../sim/time.ts';
import { EMPTY_DIGEST, MerkleTree, DIGEST_BYTES, INDEX_BYTES } from '../merkle.ts';
import { type Digest } from '../fnv.ts';
import { plainBytes, utf8Bytes } from '../size.ts';
import { type VersionVector, vvDominates, vvMin, vvMerge } from '../version-vector.ts';
import { CrdtStore, kindOf, type CrdtBug, type KeyData, type Op, type ReadValue } from './store.ts';

/** Op-sequence vector: origin region -> highest contiguous op seq of it applied here. */
export type OpVector = Map<string, number>;

export interface RegionOptions {
  peers: NodeId[];
  bug: CrdtBug;
  /** Delta batch time trigger (local ns). */
  batchNs: Nanos;
  /** Delta batch size trigger (bytes). */
  batchBytesMax: number;
  /** Re-send period of unacknowledged deltas (local ns). */
  resendNs: Nanos;
  /** Unacknowledged own ops kept for re-sending; older ones are left to anti-entropy. */
  outboxOpsMax: number;
  /** Anti-entropy period (local ns). */
  antiEntropyNs: Nanos;
  /** How long a request with a token may wait for replication before answering 'stale'. */
  tokenWaitNs: Nanos;
  /** WAL records after which the WAL is compacted into one snapshot. */
  walRecordsMax: number;
  merkle: { fanOut: number; depth: number };
}

export const DEFAULT_REGION_OPTIONS: Omit<RegionOptions, 'peers' | 'bug'> = {
  batchNs: 10_000_000,
  batchBytesMax: 1_000_000,
  resendNs: 1_000_000_000,
  outboxOpsMax: 64,
  antiEntropyNs: 2_000_000_000,
  tokenWaitNs: 700_000_000,
  walRecordsMax: 400,
  merkle: { fanOut: 8, depth: 2 },
};

/** One delta in a batch: the origin's op seq, the key and the delta. */
export interface DeltaItem {
  seq: number;
  key: string;
  data: KeyData;
}

export type ClientRequest =
  | { type: 'op'; op: Op; client: string; req: number; token: OpVector }
  | { type: 'read'; key: string; token: OpVector };

export type ClientReply =
  | { type: 'op-ok'; origin: string; seq: number; past: OpVector }
  | { type: 'read-ok'; value: ReadValue; applied: OpVector }
  | { type: 'stale' };

export type RegionMessage =
  | { type: 'deltas'; items: DeltaItem[] }
  | { type: 'deltas-ack'; upTo: number }
  | { type: 'ae-root'; sid: number; root: Digest; applied: OpVector }
  | { type: 'ae-equal'; sid: number; applied: OpVector }
  | { type: 'ae-nodes'; sid: number; level: number; parents: number[]; digests: Digest[] }
  | { type: 'ae-descend'; sid: number; level: number; nodes: number[] }
  | { type: 'ae-leaves'; sid: number; leaves: { leaf: number; entries: [string, Digest][] }[] }
  | { type: 'ae-repair'; sid: number; states: [string, KeyData][]; want: string[]; final: boolean };

type WalRecord =
  | { t: 'snap'; store: [string, KeyData][]; seq: number; applied: [string, number][]; lastReq: [string, number, number, [string, number][]][]; outbox: DeltaItem[] }
  | { t: 'op'; item: DeltaItem; client: string; req: number; past: [string, number][] }
  | { t: 'merge'; origin: string | null; upTo: number; items: { key: string; data: KeyData }[] }
  | { t: 'vv'; applied: [string, number][] };

/** Figures a region accumulates (read by the scenario for metrics). */
export interface RegionStats {
  deltasSent: number;
  deltaBytesSent: number;
  batchesSent: number;
  resends: number;
  aeSessions: number;
  aeEqualRoots: number;
  aeKeysRepaired: number;
  aeBytes: number;
  /** Bytes full-state anti-entropy would have cost for the same sessions (both states, every session). */
  aeFullSyncBytes: number;
  gcRuns: number;
  gcDotsDropped: number;
  outboxDropped: number;
  recoveredRecords: number;
}

export interface RegionProgram extends NodeProgram {
  readonly store: CrdtStore;
  /** Highest op seq of each origin applied here (own entry included). */
  applied(): OpVector;
  readonly stats: RegionStats;
  /** OR-Set keys whose GC has stability information from every peer. */
  gcReady(key: string): boolean;
}

const WAL = 'wal';

function sortedEntries(m: ReadonlyMap<string, number>): [string, number][] {
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export function regionNode(ctx: NodeContext, opts: RegionOptions): RegionProgram {
  const me = ctx.id;
  const store = new CrdtStore(me, opts.bug);
  const applied: OpVector = new Map();
  let seq = 0;
  let durableSeq = 0;
  const lastReq = new Map<string, { req: number; seq: number; past: OpVector }>();
  let outbox: DeltaItem[] = [];
  const ackedBy = new Map<NodeId, number>(opts.peers.map((p) => [p, 0]));
  let pending: DeltaItem[] = [];
  let pendingBytes = 0;
  let flushTimer = false;
  let walRecords = 0;
  const tree = new MerkleTree(opts.merkle);
  const dirty = new Set<string>();
  /** peer -> OR-Set key -> context vector of the latest full state of the peer's held here. */
  const peerVv = new Map<NodeId, Map<string, VersionVector>>(opts.peers.map((p) => [p, new Map()]));
  const parked: { env: Envelope; token: OpVector; expired: boolean }[] = [];
  let nextSid = 1;
  const sessions = new Map<number, { peer: NodeId; vvs: Map<string, VersionVector> }>();
  let aePeer = 0;
  const stats: RegionStats = { deltasSent: 0, deltaBytesSent: 0, batchesSent: 0, resends: 0, aeSessions: 0, aeEqualRoots: 0, aeKeysRepaired: 0, aeBytes: 0, aeFullSyncBytes: 0, gcRuns: 0, gcDotsDropped: 0, outboxDropped: 0, recoveredRecords: 0 };

  // ---- recovery ----
  const read = ctx.disk.read<WalRecord>(WAL);
  for (const r of read.records) {
    if (r === null) continue; // a torn tail: never acknowledged nor sent (both wait for fsync)
    stats.recoveredRecords++;
    replay(r);
  }
  walRecords = read.records.length;
  durableSeq = seq;
  applied.set(me, seq);
  for (const k of store.keys()) dirty.add(k);
  ctx.log('recover', `${stats.recoveredRecords} record(s), seq ${seq}, ${store.keys().length} key(s), ${read.corrupt.length} corrupt`);

  function replay(r: WalRecord): void {
    const now = ctx.now();
    switch (r.t) {
      case 'snap':
        for (const [k, d] of r.store) store.merge(k, d, now);
        seq = Math.max(seq, r.seq);
        for (const [o, n] of r.applied) applied.set(o, Math.max(applied.get(o) ?? 0, n));
        for (const [c, req, s, past] of r.lastReq) lastReq.set(c, { req, seq: s, past: new Map(past) });
        for (const it of r.outbox) pushOutbox(it);
        return;
      case 'op':
        store.merge(r.item.key, r.item.data, now);
        seq = Math.max(seq, r.item.seq);
        if (r.client !== '') lastReq.set(r.client, { req: r.req, seq: r.item.seq, past: new Map(r.past) });
        pushOutbox(r.item);
        return;
      case 'merge':
        for (const it of r.items) store.merge(it.key, it.data, now);
        if (r.origin !== null) applied.set(r.origin, Math.max(applied.get(r.origin) ?? 0, r.upTo));
        return;
      case 'vv':
        for (const [o, n] of r.applied) if (o !== me) applied.set(o, Math.max(applied.get(o) ?? 0, n));
        return;
    }
  }

  function pushOutbox(it: DeltaItem): void {
    if (outbox.length > 0 && outbox[outbox.length - 1]!.seq >= it.seq) return;
    outbox.push(it);
    if (outbox.length > opts.outboxOpsMax) {
      outbox.shift();
      stats.outboxDropped++;
    }
  }

  // ---- disk ----
  function log(r: WalRecord): void {
    ctx.disk.append(WAL, r);
    walRecords++;
  }

  function snapshotRecord(): WalRecord {
    return {
      t: 'snap',
      store: store.snapshot(),
      seq,
      applied: sortedEntries(applied),
      lastReq: [...lastReq.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([c, v]) => [c, v.req, v.seq, sortedEntries(v.past)]),
      outbox: outbox.slice(),
    };
  }

  /** Runs `fn` once everything written so far is durable (never if the node crashes first). */
  function afterSync(fn: () => void): void {
    if (walRecords > opts.walRecordsMax) {
      ctx.disk.put(WAL, [snapshotRecord()]);
      walRecords = 1;
    }
    const upTo = seq;
    ctx.disk.fsync((err) => {
      if (err !== null) {
        // The covered writes are lost: rewrite the whole state, so memory and disk agree again.
        ctx.disk.put(WAL, [snapshotRecord()]);
        walRecords = 1;
        afterSync(fn);
        return;
      }
      durableSeq = Math.max(durableSeq, upTo);
      fn();
    });
  }

  // ---- helpers ----
  function touched(key: string): void {
    dirty.add(key);
  }

  function refreshTree(): void {
    for (const k of dirty) tree.set(k, store.digest(k));
    dirty.clear();
  }

  function appliedVector(): OpVector {
    const v = new Map(applied);
    v.set(me, seq);
    return v;
  }

  function satisfied(token: OpVector): boolean {
    return vvDominates(appliedVector(), token);
  }

  function recheckParked(): void {
    for (let i = 0; i < parked.length; ) {
      const p = parked[i]!;
      if (p.expired) {
        parked.splice(i, 1);
        ctx.reply(p.env, { type: 'stale' } satisfies ClientReply);
      } else if (satisfied(p.token)) {
        parked.splice(i, 1);
        serve(p.env);
      } else i++;
    }
  }

  function advance(origin: string, upTo: number): void {
    if (origin === me) return;
    if (upTo > (applied.get(origin) ?? 0)) applied.set(origin, upTo);
  }

  // ---- client requests ----
  function serve(env: Envelope): void {
    const m = env.body as ClientRequest;
    if (m.type === 'read') {
      const value = store.has(m.key) ? store.read(m.key) : null;
      ctx.reply(env, { type: 'read-ok', value: value ?? emptyValue(m.key), applied: appliedVector() } satisfies ClientReply);
      return;
    }
    const prev = lastReq.get(m.client);
    if (prev !== undefined && m.req <= prev.req) {
      // A retry of an applied op (its reply was lost): acknowledge it again, once durable.
      afterSync(() => ctx.reply(env, { type: 'op-ok', origin: me, seq: prev.seq, past: prev.past } satisfies ClientReply));
      return;
    }
    const past = appliedVector();
    const data = store.apply(m.op, ctx.now());
    seq++;
    const item: DeltaItem = { seq, key: m.op.key, data };
    lastReq.set(m.client, { req: m.req, seq, past });
    log({ t: 'op', item, client: m.client, req: m.req, past: sortedEntries(past) });
    touched(m.op.key);
    pushOutbox(item);
    pending.push(item);
    pendingBytes += plainBytes(data) + 16;
    const s = seq;
    afterSync(() => ctx.reply(env, { type: 'op-ok', origin: me, seq: s, past } satisfies ClientReply));
    if (pendingBytes >= opts.batchBytesMax) flush();
    else if (!flushTimer) {
      flushTimer = true;
      ctx.setTimer(opts.batchNs, flush);
    }
  }

  function emptyValue(key: string): ReadValue {
    switch (kindOf(key)) {
      case 'ctr':
        return { kind: 'ctr', value: 0 };
      case 'set':
        return { kind: 'set', value: [] };
      case 'reg':
        return { kind: 'reg', value: null, ts: null, replica: null };
      case 'txt':
        return { kind: 'txt', value: '' };
    }
  }

  // ---- delta replication ----
  function flush(): void {
    flushTimer = false;
    if (pending.length === 0) return;
    const items = pending;
    pending = [];
    pendingBytes = 0;
    const bytes = batchBytes(items);
    afterSync(() => {
      for (const p of opts.peers) {
        if ((ackedBy.get(p) ?? 0) >= items[items.length - 1]!.seq) continue;
        sendDeltas(p, items, bytes);
      }
    });
  }

  function batchBytes(items: DeltaItem[]): number {
    let b = 0;
    for (const it of items) b += plainBytes(it.data) + utf8Bytes(it.key) + 8;
    return b;
  }

  function sendDeltas(p: NodeId, items: DeltaItem[], bytes: number): void {
    if (ctx.buggify('crdt.drop_delta_batch')) return; // re-send and anti-entropy must cover it
    ctx.send(p, { type: 'deltas', items } satisfies RegionMessage, { sizeBytes: bytes + 32 });
    stats.batchesSent++;
    stats.deltasSent += items.length;
    stats.deltaBytesSent += bytes;
  }

  /** Per peer: ticks to skip before the next re-send, doubled while the peer acknowledges nothing. */
  const backoff = new Map<NodeId, { ackedAtLastSend: number; skip: number; wait: number }>();

  function resendTick(): void {
    for (const p of opts.peers) {
      const acked = ackedBy.get(p) ?? 0;
      if (acked >= durableSeq) continue;
      // A peer that acknowledged nothing since the last re-send is probably unreachable: back off
      // (up to 64 periods), so an hour-long partition costs a few hundred sends, not thousands.
      let b = backoff.get(p);
      if (b === undefined) backoff.set(p, (b = { ackedAtLastSend: -1, skip: 0, wait: 1 }));
      if (b.skip > 0) {
        b.skip--;
        continue;
      }
      b.wait = acked === b.ackedAtLastSend ? Math.min(64, b.wait * 2) : 1;
      b.skip = b.wait - 1;
      b.ackedAtLastSend = acked;
      const items: DeltaItem[] = [];
      let bytes = 0;
      for (const it of outbox) {
        if (it.seq <= acked || it.seq > durableSeq) continue;
        const b = plainBytes(it.data) + utf8Bytes(it.key) + 8;
        if (items.length > 0 && bytes + b > opts.batchBytesMax) break;
        items.push(it);
        bytes += b;
      }
      if (items.length === 0) continue;
      stats.resends++;
      sendDeltas(p, items, bytes);
    }
    ctx.setTimer(opts.resendNs, resendTick);
  }

  function onDeltas(env: Envelope, items: DeltaItem[]): void {
    const origin = env.from;
    const now = ctx.now();
    const merged: { key: string; data: KeyData }[] = [];
    let upTo = applied.get(origin) ?? 0;
    for (const it of items) {
      store.merge(it.key, it.data, now);
      touched(it.key);
      merged.push({ key: it.key, data: it.data });
      // Contiguous only: a batch after a gap (dropped from the sender's outbox) is merged but
      // does not advance the vector; anti-entropy closes the gap.
      if (it.seq === upTo + 1) upTo = it.seq;
    }
    advance(origin, upTo);
    log({ t: 'merge', origin, upTo: applied.get(origin) ?? 0, items: merged });
    afterSync(() => {
      ctx.send(origin, { type: 'deltas-ack', upTo: applied.get(origin) ?? 0 } satisfies RegionMessage);
      recheckParked();
    });
  }

  // ---- anti-entropy ----
  function aeTick(): void {
    collectGarbage();
    if (opts.peers.length > 0) {
      const peer = opts.peers[aePeer++ % opts.peers.length]!;
      refreshTree();
      const sid = nextSid++;
      const vvs = new Map<string, VersionVector>();
      for (const k of store.setKeys()) vvs.set(k, store.setVv(k));
      sessions.set(sid, { peer, vvs });
      if (sessions.size > 16) sessions.delete(sessions.keys().next().value!);
      stats.aeSessions++;
      stats.aeBytes += DIGEST_BYTES;
      const av = appliedVector();
      // The root describes state that may not be durable yet: send it after an fsync.
      const root = tree.rootDigest();
      afterSync(() => ctx.send(peer, { type: 'ae-root', sid, root, applied: av } satisfies RegionMessage));
    }
    ctx.setTimer(opts.antiEntropyNs, aeTick);
  }

  /** Records that this node holds `peer`'s state of `keys` (equal digests): GC stability input. */
  function holdsPeerState(peer: NodeId, keys: string[]): void {
    const m = peerVv.get(peer);
    if (m === undefined) return;
    for (const k of keys) if (kindOf(k) === 'set' && store.has(k)) m.set(k, store.setVv(k));
  }

  function keysUnder(level: number, index: number): string[] {
    const shift = Math.log2(tree.fanOut) * (tree.depth - level);
    return store.keys().filter((k) => tree.leafOf(k) >>> shift === index);
  }

  function childDigests(level: number, parents: number[]): Digest[] {
    const out: Digest[] = [];
    for (const p of parents) for (let c = 0; c < tree.fanOut; c++) out.push(tree.nodeDigest(level, p * tree.fanOut + c));
    return out;
  }

  function onAe(env: Envelope, m: Extract<RegionMessage, { sid: number }>): void {
    const peer = env.from;
    refreshTree();
    switch (m.type) {
      case 'ae-root': {
        // What a full-state exchange would cost in this session instead (both states shipped),
        // for the Merkle-versus-full-sync comparison.
        for (const k of store.keys()) stats.aeFullSyncBytes += 2 * store.stateBytes(k);
        if (m.root === tree.rootDigest()) {
          holdsPeerState(peer, store.setKeys());
          for (const [o, n] of m.applied) advance(o, n);
          log({ t: 'vv', applied: sortedEntries(applied) });
          const av = appliedVector();
          afterSync(() => {
            ctx.send(peer, { type: 'ae-equal', sid: m.sid, applied: av } satisfies RegionMessage);
            recheckParked();
          });
          return;
        }
        const digests = childDigests(1, [0]);
        stats.aeBytes += digests.length * DIGEST_BYTES;
        ctx.send(peer, { type: 'ae-nodes', sid: m.sid, level: 1, parents: [0], digests } satisfies RegionMessage);
        return;
      }
      case 'ae-equal': {
        const s = sessions.get(m.sid);
        if (s === undefined) return;
        sessions.delete(m.sid);
        stats.aeEqualRoots++;
        const pv = peerVv.get(peer);
        if (pv !== undefined) for (const [k, vv] of s.vvs) pv.set(k, vv);
        for (const [o, n] of m.applied) advance(o, n);
        log({ t: 'vv', applied: sortedEntries(applied) });
        afterSync(recheckParked);
        return;
      }
      case 'ae-nodes': {
        if (!sessions.has(m.sid)) return;
        const divergent: number[] = [];
        m.parents.forEach((p, pi) => {
          for (let c = 0; c < tree.fanOut; c++) {
            const idx = p * tree.fanOut + c;
            const theirs = m.digests[pi * tree.fanOut + c]!;
            if (theirs === tree.nodeDigest(m.level, idx)) {
              if (theirs !== EMPTY_DIGEST) holdsPeerState(peer, keysUnder(m.level, idx));
              continue;
            }
            // BUG (anti-entropy-skips-subtree): the first child of every node is never descended.
            if (opts.bug === 'anti-entropy-skips-subtree' && c === 0) continue;
            divergent.push(idx);
          }
        });
        stats.aeBytes += divergent.length * INDEX_BYTES;
        if (divergent.length === 0) return;
        if (m.level === tree.depth) {
          const leaves = divergent.map((leaf) => ({ leaf, entries: tree.leafEntries(leaf) }));
          for (const l of leaves) for (const [k] of l.entries) stats.aeBytes += utf8Bytes(k) + DIGEST_BYTES;
          ctx.send(peer, { type: 'ae-leaves', sid: m.sid, leaves } satisfies RegionMessage);
        } else {
          ctx.send(peer, { type: 'ae-descend', sid: m.sid, level: m.level, nodes: divergent } satisfies RegionMessage);
        }
        return;
      }
      case 'ae-descend': {
        const digests = childDigests(m.level + 1, m.nodes);
        stats.aeBytes += digests.length * DIGEST_BYTES;
        ctx.send(peer, { type: 'ae-nodes', sid: m.sid, level: m.level + 1, parents: m.nodes, digests } satisfies RegionMessage);
        return;
      }
      case 'ae-leaves': {
        const send: string[] = [];
        const want: string[] = [];
        const same: string[] = [];
        for (const l of m.leaves) {
          const mine = new Map(tree.leafEntries(l.leaf));
          for (const [k] of mine) stats.aeBytes += utf8Bytes(k) + DIGEST_BYTES;
          const theirs = new Map(l.entries);
          for (const [k, d] of theirs) {
            const md = mine.get(k);
            if (md === d) same.push(k);
            else {
              want.push(k);
              if (md !== undefined) send.push(k);
            }
          }
          for (const k of mine.keys()) if (!theirs.has(k)) send.push(k);
        }
        holdsPeerState(peer, same);
        send.sort();
        want.sort();
        const states: [string, KeyData][] = send.map((k) => [k, store.state(k)]);
        for (const k of send) stats.aeBytes += store.stateBytes(k);
        stats.aeKeysRepaired += send.length;
        afterSync(() => ctx.send(peer, { type: 'ae-repair', sid: m.sid, states, want, final: false } satisfies RegionMessage));
        return;
      }
      case 'ae-repair': {
        mergeStates(peer, m.states);
        if (m.final) return;
        const s = sessions.get(m.sid);
        if (s === undefined) return;
        sessions.delete(m.sid);
        const states: [string, KeyData][] = m.want.filter((k) => store.has(k)).map((k) => [k, store.state(k)]);
        let bytes = 0;
        for (const [k] of states) bytes += store.stateBytes(k);
        stats.aeBytes += bytes;
        stats.aeKeysRepaired += states.length;
        afterSync(() => ctx.send(peer, { type: 'ae-repair', sid: m.sid, states, want: [], final: true } satisfies RegionMessage));
        return;
      }
    }
  }

  function mergeStates(peer: NodeId, states: [string, KeyData][]): void {
    if (states.length === 0) return;
    const now = ctx.now();
    const items: { key: string; data: KeyData }[] = [];
    for (const [k, d] of states) {
      store.merge(k, d, now);
      touched(k);
      items.push({ key: k, data: d });
      // A full state of the peer's, merged: its context vector is the peer's stability input.
      const pv = peerVv.get(peer);
      if (pv !== undefined && kindOf(k) === 'set') pv.set(k, vvMerge(pv.get(k) ?? new Map(), contextVv(d)));
    }
    log({ t: 'merge', origin: null, upTo: 0, items });
  }

  function contextVv(d: KeyData): VersionVector {
    const ctxData = (d as { context?: { vv: VersionVector } }).context;
    assert(ctxData !== undefined, 'region: OR-Set state without a context');
    return ctxData.vv;
  }

  // ---- garbage collection ----
  function gcReady(key: string): boolean {
    for (const p of opts.peers) if (!peerVv.get(p)?.has(key)) return false;
    return true;
  }

  function collectGarbage(): void {
    let dropped = 0;
    for (const k of store.setKeys()) {
      let stable: VersionVector;
      if (opts.bug === 'tombstone-gc-before-stability') stable = new Map();
      else {
        if (!gcReady(k)) continue;
        stable = vvMin([store.setVv(k), ...opts.peers.map((p) => peerVv.get(p)!.get(k)!)]);
      }
      const delta = store.collect(k, stable);
      if (delta !== null) {
        touched(k);
        dropped += delta.context.cloud.length;
        // The collapse travels in this region's op stream like a client's remove of the dropped
        // tags: a peer applies it before any later remove of ours that names only the kept tag.
        seq++;
        const item: DeltaItem = { seq, key: k, data: delta };
        log({ t: 'op', item, client: '', req: 0, past: [] });
        pushOutbox(item);
        pending.push(item);
        pendingBytes += plainBytes(delta) + 16;
        if (!flushTimer) {
          flushTimer = true;
          ctx.setTimer(opts.batchNs, flush);
        }
      }
    }
    stats.gcRuns++;
    stats.gcDotsDropped += dropped;
  }

  ctx.setTimer(opts.resendNs, resendTick);
  ctx.setTimer(ctx.rng.int(1, opts.antiEntropyNs), aeTick);

  return {
    store,
    stats,
    applied: appliedVector,
    gcReady,
    onMessage(env) {
      const m = env.body as RegionMessage | ClientRequest;
      switch (m.type) {
        case 'op':
        case 'read': {
          if (m.token.size === 0 || satisfied(m.token)) serve(env);
          else {
            // Read-your-writes: wait until this region has applied what the client has seen.
            const p = { env, token: m.token, expired: false };
            parked.push(p);
            ctx.setTimer(opts.tokenWaitNs, () => {
              p.expired = true;
              recheckParked();
            });
          }
          return;
        }
        case 'deltas':
          onDeltas(env, m.items);
          return;
        case 'deltas-ack':
          if (m.upTo > (ackedBy.get(env.from) ?? 0)) ackedBy.set(env.from, m.upTo);
          return;
        default:
          onAe(env, m);
      }
    },
  };
}
