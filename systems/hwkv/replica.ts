/**
 * A replica of the hwkv store: multi-Paxos with a preferred leader (the first replica), written
 * once and run on either platform (platform.ts).
 *
 * - Acceptor: promises and accepts by ballot; both are made durable (NVDIMM or fsync) before the
 *   acknowledgement leaves. An acceptor restarted after a crash recovers from durable state only.
 * - Leader: a replica that gathered promises from a majority for its ballot re-proposes every
 *   value it learned from slots past its commit mark (the highest-ballot one, or a no-op), then
 *   takes commands. For each: accept locally (durable), send accepts, and on a majority mark the
 *   slot chosen; the contiguous commit mark is made durable, then entries are applied in order and
 *   clients answered. Reads (get, scan) go through the log, so they are linearizable without
 *   leases: the price is one consensus round, which the latency table does not include (it
 *   measures the storage lookup, as seed 004's GET row does).
 * - Failover: a replica that hears no leader for its election timeout (shortest for the first
 *   replica) runs phase 1 with a higher ballot. A replica whose store is broken (worn-out SSD)
 *   steps down and never stands.
 * - Scans pushed down to a SmartSSD come back from another computer: every row is checked against
 *   its writer's checksum, and the set of rows against a digest of the range kept on the NIC; a
 *   result that fails either is discarded and the range read raw.
 * - Peer messages travel sealed (platform.crypto: the NIC's engine or a host core): a message whose
 *   MAC fails is refused, never acted on, and the receiver asks the sender for it again (`nack`);
 *   the protocol's own retransmissions cover a lost nack. Client requests and replies are plain.
 */
import { KV_PROBES } from './probes.ts';
import { assert } from '../../sim/assert.ts';
import { checksum } from '../../sim/hardware/result.ts';
import { rowDigest, type ScanResult, type StoredValue } from '../../sim/hardware/scan.ts';
import type { Envelope, NodeContext, NodeId, NodeProgram } from '../../sim/node.ts';
import type { Nanos } from '../../sim/time.ts';
import type { Platform } from './platform.ts';
import { isPeerMsg, type Cmd, type Entry, type HwkvBug, type KvReply, type KvRequest, type Observer, type PeerMsg, type SealedMsg } from './types.ts';

export interface ReplicaOptions {
  /** Every replica, in preference order (the first is the preferred leader); includes this one. */
  replicas: NodeId[];
  platform: Platform;
  heartbeatNs: Nanos;
  /** Election timeout of the first replica; each later one waits `electionStaggerNs` more. */
  electionNs: Nanos;
  electionStaggerNs: Nanos;
  bug: HwkvBug;
  observer?: Observer;
  /** True simulated time, for the observer's latency figures only. */
  trueNow?: () => Nanos;
}

export interface ReplicaProgram extends NodeProgram {
  readonly role: () => 'leader' | 'candidate' | 'follower';
  readonly ballot: () => number;
  readonly committed: () => number;
  readonly applied: () => number;
  /** Whether command `id` was applied here: by this incarnation, or (a durable store) by any before. */
  readonly wasApplied: (id: string) => boolean;
}

const BALLOT_STRIDE = 64;
/** Sealed messages kept for a `nack` (the newest ones; older ones the protocol retransmits). */
const SENT_KEPT = 256;

export function hwkvReplica(ctx: NodeContext, opts: ReplicaOptions): ReplicaProgram {
  ctx.declareProbes(KV_PROBES);
  const { platform, replicas } = opts;
  const me = ctx.id;
  const index = replicas.indexOf(me);
  assert(index >= 0, `replica ${me} is not in its own replica list`);
  // BUG (minority-quorum): half the replicas, rounded down, taken for a majority.
  const majority = Math.floor(replicas.length / 2) + (opts.bug === 'minority-quorum' ? 0 : 1);
  const peers = replicas.filter((r) => r !== me);
  const obs = opts.observer ?? {};
  const trueNow = opts.trueNow ?? (() => ctx.now());
  const store = platform.store;

  // ---- durable state, recovered ----
  // Stable storage keys: `promised`; `acc/<slot>` each accepted entry; `top` the highest slot
  // accepted; `commit`; with a durable store `applied` and `id/<command id>` for each command
  // applied (with the mark, in one write); `cs/<row key>` each row's checksum and `cs-keys` the
  // row keys. Recovery reads the marks, the entries above them and the checksums: never the
  // whole log, so a restart costs the same at any point of a long run. Older entries and applied
  // ids stay durable and are read one by one when asked for (a lagging peer's catch-up, a
  // duplicate command), through `entryAt` and `wasApplied`.
  const durable = platform.stable.load();
  let promised = (durable.get('promised') as number | undefined) ?? 0;
  let committed = (durable.get('commit') as number | undefined) ?? -1;
  let applied = store.durable ? ((durable.get('applied') as number | undefined) ?? -1) : -1;
  /** The highest slot with an accepted entry, durable or not. */
  let top = (durable.get('top') as number | undefined) ?? -1;
  /**
   * Entries held in memory: every durable one from `heldFrom` on, and every one accepted since
   * recovery. Below `heldFrom` every slot is committed and applied to the durable store. A host
   * engine (not durable) is replayed from slot 0: there `heldFrom` is 0 and every entry is held.
   */
  const heldFrom = Math.min(applied, committed) + 1;
  const log = new Map<number, Entry>();
  for (let s = heldFrom; s <= top; s++) {
    const e = durable.get(`acc/${s}`) as Entry | undefined;
    if (e !== undefined) log.set(s, e);
  }
  /** The entry at `slot`: the newest this incarnation accepted, else the durable one. */
  const entryAt = (slot: number): Entry | undefined => log.get(slot) ?? (slot < heldFrom ? (durable.get(`acc/${slot}`) as Entry | undefined) : undefined);
  /** The ballot of each slot's entry made durable since recovery (or held from it): what an acknowledgement may cite. */
  const durableBallot = new Map<number, number>();
  for (const [s, e] of log) durableBallot.set(s, e.b);
  // Not `entryAt`: a slot below `heldFrom` accepted again since recovery is in memory before it is durable.
  const durableBallotAt = (slot: number): number | undefined => durableBallot.get(slot) ?? (slot < heldFrom ? (durable.get(`acc/${slot}`) as Entry | undefined)?.b : undefined);
  /** Checksums of the rows, by key, kept on the NIC to verify pushed-down scans. */
  const rowCs = new Map<string, number>();
  for (const k of (durable.get('cs-keys') as string[] | undefined) ?? []) rowCs.set(k, durable.get(`cs/${k}`) as number);
  /** Ids of the commands applied since recovery (a host engine: all of them, replayed). */
  const appliedIds = new Set<string>();
  const wasApplied = (id: string): boolean => appliedIds.has(id) || (store.durable && durable.get(`id/${id}`) !== undefined);
  if (!store.durable) {
    // Rebuild what the store lacks: commands up to the commit mark, replayed without device time
    // (reading the WAL at start). A durable store (the SSD) re-applies from its own applied mark
    // through the device (applyNext).
    store.reset();
    // BUG (replay-through-engine): the engine is refilled by applying the whole log again, a put at a time through the device.
    for (let s = 0; s <= (opts.bug === 'replay-through-engine' ? -1 : committed); s++) {
      const e = log.get(s);
      if (e === undefined) break;
      if (e.cmd.op === 'put' && !appliedIds.has(e.cmd.id)) store.setRow(e.cmd.key, e.cmd.value);
      appliedIds.add(e.cmd.id);
      applied = s;
    }
  }
  obs.recovered?.(me, entryAt);
  ctx.log('recover', `promised ${promised}, ${log.size} entries held from slot ${heldFrom}, commit ${committed}, applied ${applied}`);

  // ---- volatile state ----
  let role: 'leader' | 'candidate' | 'follower' = 'follower';
  let ballot = 0; // the ballot this replica leads or campaigns in
  let knownLeader: NodeId | null = null;
  let lastHeard = ctx.now();
  let nextSlot = 0;
  const acks = new Map<number, Set<NodeId>>();
  const chosen = new Set<number>();
  let chosenUpTo = committed; // contiguous chosen prefix (leader), or learnt (follower)
  let commitWriting = false;
  let applying = false;
  const waiters = new Map<string, { env: Envelope; arrivedNs: Nanos }[]>();
  const proposedIds = new Map<string, number>();
  const sentAt = new Map<number, Nanos>();
  let promises = new Map<NodeId, [number, Entry][]>();
  let leaderCommitted = -1;
  let leaderBallot = 0;

  // ---- the wire: peer messages sealed when the platform encrypts ----
  const crypto = platform.crypto;
  let nextSeq = 0;
  const sentKept = new Map<number, { to: NodeId; m: PeerMsg }>();
  /** Sends `m` to `to` (sealed if we encrypt); `onLeave` runs as it leaves the node. */
  const transmit = (to: NodeId, m: PeerMsg, onLeave?: () => void): void => {
    if (crypto === null) {
      platform.process(() => {
        onLeave?.();
        ctx.send(to, m);
      });
      return;
    }
    const seq = nextSeq++;
    sentKept.set(seq, { to, m });
    sentKept.delete(seq - SENT_KEPT);
    sealAndSend(to, seq, m, onLeave);
  };
  const sealAndSend = (to: NodeId, seq: number, m: PeerMsg, onLeave?: () => void): void => {
    assert(crypto !== null, 'sealAndSend without crypto');
    const t0 = trueNow();
    crypto.seal(JSON.stringify(m), (r) => {
      if (!r.ok) return; // the engine failed under it: the protocol retransmits what matters
      obs.crypto?.(me, 'seal', r.value.ct.length, trueNow() - t0);
      platform.process(() => {
        onLeave?.();
        ctx.send(to, { type: 'sealed', seq, s: r.value } satisfies SealedMsg);
      });
    });
  };
  const send = (to: NodeId, m: PeerMsg): void => transmit(to, m);
  const reply = (env: Envelope, m: KvReply): void => platform.process(() => ctx.reply(env, m));
  // A failed stable write leaves memory (a promise, an accept) ahead of the disk: acting on it
  // later could break a promise the disk forgot. Fail-stop and recover from what is durable.
  const persist = (entries: [string, unknown][], then: () => void): void => platform.stable.write(entries, (ok) => { if (ok) then(); else ctx.failStop('stable write failed'); });

  const stepDown = (why: string): void => {
    if (role !== 'follower') {
      ctx.probe('hwkv:leader-step-down');
      ctx.log('step-down', why);
    }
    role = 'follower';
    lastHeard = ctx.now();
    // Pending clients get no answer: their commands may still be chosen by the next leader.
    waiters.clear();
    proposedIds.clear();
  };

  // ---- acceptor ----

  const onPrepare = (from: NodeId, m: Extract<PeerMsg, { type: 'prepare' }>): void => {
    if (m.b < promised) {
      send(from, { type: 'reject', b: m.b, promised });
      return;
    }
    if (m.b > ballot && role !== 'follower' && from !== me) stepDown(`prepare ${m.b} from ${from}`);
    if (m.b > promised) ctx.milestone('term-change', `promised ballot ${m.b}`);
    promised = m.b;
    knownLeader = from;
    lastHeard = ctx.now();
    // Every entry from the candidate's slot on: those below `heldFrom` are read from stable storage
    // (a candidate that far behind learns them all, as it must), the rest are in memory.
    const entries: [number, Entry][] = [];
    for (let s = m.fromSlot; s < heldFrom; s++) {
      const e = entryAt(s);
      if (e !== undefined) entries.push([s, e]);
    }
    const first = Math.max(m.fromSlot, heldFrom);
    if (top - first + 1 < log.size) {
      for (let s = first; s <= top; s++) {
        const e = log.get(s);
        if (e !== undefined) entries.push([s, e]);
      }
    } else {
      for (const [s, e] of log) if (s >= first) entries.push([s, e]);
      entries.sort((a, b) => a[0] - b[0]);
    }
    const answer = (): void => {
      if (from === me) onPromise(me, { type: 'promise', b: m.b, entries });
      else send(from, { type: 'promise', b: m.b, entries });
    };
    if (opts.bug === 'ack-before-nvdimm') {
      persist([['promised', m.b]], () => {});
      answer();
    } else persist([['promised', m.b]], answer);
  };

  const acceptLocally = (slot: number, entry: Entry, then: () => void): void => {
    log.set(slot, entry);
    top = Math.max(top, slot);
    const ack = (): void => {
      obs.acceptAcked?.(me, slot, entry.b);
      then();
    };
    const durableNow = (): void => {
      if ((durableBallotAt(slot) ?? -1) < entry.b) durableBallot.set(slot, entry.b);
    };
    const records: [string, unknown][] = [['promised', promised], [`acc/${slot}`, entry], ['top', top]];
    if (opts.bug === 'ack-before-nvdimm') {
      persist(records, durableNow);
      ack();
    } else
      persist(records, () => {
        durableNow();
        ack();
      });
  };

  const onAccept = (from: NodeId, m: Extract<PeerMsg, { type: 'accept' }>): void => {
    if (m.b < promised) {
      send(from, { type: 'reject', b: m.b, promised });
      return;
    }
    if (m.b > ballot && role !== 'follower') stepDown(`accept ${m.b} from ${from}`);
    promised = m.b;
    knownLeader = from;
    lastHeard = ctx.now();
    const cur = entryAt(m.slot);
    if (cur !== undefined && cur.b === m.b) {
      // A retransmission: answer only once the first copy is durable (its own ack is on the way).
      // BUG (retransmit-ack-from-memory): trusts the in-memory log, durable or not.
      const held = opts.bug === 'retransmit-ack-from-memory' ? cur.b : durableBallotAt(m.slot);
      if (held === m.b) send(from, { type: 'accepted', b: m.b, slot: m.slot });
    } else acceptLocally(m.slot, m.entry, () => send(from, { type: 'accepted', b: m.b, slot: m.slot }));
    learn(m.b, m.committed);
  };

  /** A follower learns the leader's commit mark; it commits what it holds in the leader's ballot. */
  const learn = (b: number, leaderCommit: number): void => {
    if (role === 'leader') return;
    leaderBallot = b;
    leaderCommitted = Math.max(leaderCommitted, leaderCommit);
    let c = chosenUpTo;
    while (c < leaderCommitted) {
      const e = entryAt(c + 1);
      if (e === undefined || e.b !== b) break;
      c++;
    }
    if (c > chosenUpTo) {
      chosenUpTo = c;
      writeCommit();
    }
  };

  // ---- leader ----

  const startElection = (): void => {
    if (store.broken) return;
    role = 'candidate';
    ballot = (Math.floor(Math.max(promised, ballot) / BALLOT_STRIDE) + 1) * BALLOT_STRIDE + index + 1;
    promises = new Map();
    lastHeard = ctx.now();
    ctx.log('campaign', `ballot ${ballot} from slot ${committed + 1}`);
    const m: PeerMsg = { type: 'prepare', b: ballot, fromSlot: committed + 1 };
    onPrepare(me, m);
    for (const p of peers) send(p, m);
  };

  const onPromise = (from: NodeId, m: Extract<PeerMsg, { type: 'promise' }>): void => {
    if (role !== 'candidate' || m.b !== ballot) return;
    promises.set(from, m.entries);
    if (promises.size < majority) return;
    // Phase 1 done: for every slot past our commit mark, the highest-ballot value, else a no-op.
    const best = new Map<number, Entry>();
    for (const entries of promises.values())
      for (const [s, e] of entries) {
        const cur = best.get(s);
        if (cur === undefined || e.b > cur.b) best.set(s, e);
      }
    role = 'leader';
    knownLeader = me;
    ctx.milestone('role-change', `leader ballot ${ballot}`);
    const first = committed + 1;
    let top = first - 1;
    for (const s of best.keys()) top = Math.max(top, s);
    nextSlot = top + 1;
    acks.clear();
    chosen.clear();
    chosenUpTo = committed;
    proposedIds.clear();
    ctx.log('lead', `ballot ${ballot}, re-proposing slots ${first}..${top}`);
    for (let s = first; s <= top; s++) {
      const e = best.get(s);
      propose(s, e === undefined ? { id: `noop-${ballot}-${s}`, op: 'noop' } : e.cmd);
    }
    heartbeat();
  };

  const propose = (slot: number, cmd: Cmd): void => {
    const b = ballot;
    const entry: Entry = { b, cmd };
    acks.set(slot, new Set());
    proposedIds.set(cmd.id, slot);
    // The leader's own accept is durable before the accepts leave (as hashicorp/raft stores its
    // log before dispatching): on a NIC that costs 300 ns, on a host an fsync.
    acceptLocally(slot, entry, () => {
      if (role !== 'leader' || ballot !== b) return;
      onAccepted(me, { type: 'accepted', b, slot }, trueNow());
      sentAt.set(slot, -1);
      for (const p of peers) {
        transmit(p, { type: 'accept', b, slot, entry, committed: chosenUpTo }, () => {
          if (!sentAt.has(slot) || sentAt.get(slot) === -1) sentAt.set(slot, trueNow());
        });
      }
    });
  };

  const onAccepted = (from: NodeId, m: Extract<PeerMsg, { type: 'accepted' }>, arrivedNs: Nanos): void => {
    if (role !== 'leader' || m.b !== ballot) return;
    const a = acks.get(m.slot);
    if (a === undefined || chosen.has(m.slot)) return;
    a.add(from);
    if (a.size < majority) return;
    chosen.add(m.slot);
    acks.delete(m.slot);
    const start = sentAt.get(m.slot);
    sentAt.delete(m.slot);
    if (from !== me && start !== undefined && start >= 0) obs.roundLatency?.(me, arrivedNs - start);
    while (chosen.has(chosenUpTo + 1)) chosen.delete(++chosenUpTo);
    writeCommit();
  };

  /** Makes the commit mark durable (one write at a time, group commit), then applies. */
  const writeCommit = (): void => {
    if (commitWriting || chosenUpTo <= committed) return;
    commitWriting = true;
    const target = chosenUpTo;
    persist([['commit', target]], () => {
      commitWriting = false;
      committed = Math.max(committed, target);
      applyNext();
      writeCommit();
    });
  };

  const applyNext = (): void => {
    if (applying || applied >= committed) return;
    const slot = applied + 1;
    const e = entryAt(slot);
    if (e === undefined) return; // a follower waits for the entry (catch-up resends it)
    applying = true;
    const done = (result: KvReply | null): void => {
      applying = false;
      applied = slot;
      appliedIds.add(e.cmd.id);
      obs.applied?.(me, slot, e.cmd);
      const ws = waiters.get(e.cmd.id);
      waiters.delete(e.cmd.id);
      proposedIds.delete(e.cmd.id);
      if (ws !== undefined && result !== null && role === 'leader')
        for (const w of ws) {
          if (e.cmd.op === 'put') obs.putLatency?.(me, trueNow() - w.arrivedNs, e.cmd);
          reply(w.env, result);
        }
      applyNext();
    };
    const retry = (): void => {
      ctx.probe('hwkv:store-op-retried');
      applying = false;
      if (store.broken && role === 'leader') stepDown('store broken');
      ctx.setTimer(opts.heartbeatNs, applyNext);
    };
    executeCmd(e.cmd, role === 'leader', done, retry);
  };

  /** Applies one command to the store; reads are executed only where a client waits (the leader). */
  const executeCmd = (cmd: Cmd, serve: boolean, done: (r: KvReply | null) => void, retry: () => void): void => {
    const afterWrite = (extra: [string, unknown][], r: KvReply): void => {
      if (!store.durable) return done(r);
      persist([['applied', applied + 1], [`id/${cmd.id}`, applied + 1], ...extra], () => done(r));
    };
    switch (cmd.op) {
      case 'noop':
        return afterWrite([], { type: 'res', ok: true });
      case 'put': {
        if (wasApplied(cmd.id)) return afterWrite([], { type: 'res', ok: true });
        store.put(cmd.key, cmd.value, (r) => {
          if (!r.ok) return retry();
          const known = rowCs.has(cmd.key);
          rowCs.set(cmd.key, cmd.value.cs);
          const extra: [string, unknown][] = [[`cs/${cmd.key}`, cmd.value.cs]];
          if (!known) extra.push(['cs-keys', [...rowCs.keys()]]);
          afterWrite(extra, { type: 'res', ok: true });
        });
        return;
      }
      case 'get': {
        if (!serve) return afterWrite([], { type: 'res', ok: true });
        const t0 = trueNow();
        store.get(cmd.key, (r) => {
          if (!r.ok) return retry();
          obs.getLatency?.(me, trueNow() - t0);
          const v = r.value ?? null;
          if (v !== null && checksum(v.v) !== v.cs) {
            ctx.probe('hwkv:get-checksum-mismatch');
            return retry(); // end-to-end check
          }
          afterWrite([], { type: 'res', ok: true, value: v });
        });
        return;
      }
      case 'scan': {
        if (!serve) return afterWrite([], { type: 'res', ok: true });
        /** `pushedDown`: computed on the SmartSSD (not read raw, not the host engine's). */
        const serveScan = (res: ScanResult, pushedDown: boolean): void => {
          const served = cmd.spec.agg === 'rows' ? { rows: res.rows, count: res.count } : { sum: res.sum, count: res.count };
          obs.scanServed?.(me, cmd.spec, served, pushedDown);
          afterWrite([], { type: 'res', ok: true, ...served });
        };
        // BUG (scans-fail): a useless store: every scan is refused as corrupt.
        if (opts.bug === 'scans-fail') return afterWrite([], { type: 'res', ok: false, reason: 'corrupt', leader: null });
        store.scan(cmd.spec, (r) => {
          if (!r.ok) return retry();
          // BUG (pushdown-always-falls-back): the accelerator is never trusted: every scan is read raw.
          if (opts.bug === 'pushdown-always-falls-back' && store.untrustedScans) return store.rawScan(cmd.spec, (raw) => (raw.ok ? serveScan(raw.value, false) : retry()));
          if (!store.untrustedScans || opts.bug === 'trust-ssd-result' || verifyScan(cmd.spec.lo, cmd.spec.hi, r.value)) return serveScan(r.value, store.untrustedScans);
          ctx.probe('hwkv:scan-pushdown-rejected');
          ctx.log('scan-rejected', `${cmd.spec.lo}..${cmd.spec.hi}: pushed-down result failed verification; reading raw`);
          store.rawScan(cmd.spec, (raw) => (raw.ok ? serveScan(raw.value, false) : retry()));
        });
        return;
      }
    }
  };

  /** End-to-end check of a pushed-down scan: each row's checksum, and which rows came back. */
  const verifyScan = (lo: string, hi: string, r: ScanResult): boolean => {
    let digest = 0;
    let count = 0;
    for (const [k, cs] of rowCs)
      if (k >= lo && k < hi) {
        digest = (digest ^ rowDigest(k, cs)) >>> 0;
        count++;
      }
    if (r.rows.length > 0 || count === 0) {
      let got = 0;
      for (const [k, v] of r.rows) {
        if (checksum(v.v) !== v.cs || rowCs.get(k) !== v.cs) return false;
        got = (got ^ rowDigest(k, v.cs)) >>> 0;
      }
      if (r.rows.length !== count || got !== digest) return false;
    }
    return r.count === count && r.digest === digest;
  };

  const heartbeat = (): void => {
    if (role !== 'leader') return;
    for (const p of peers) send(p, { type: 'heartbeat', b: ballot, committed: chosenUpTo });
    // Retransmit accepts still short of a majority (their messages may have been lost).
    for (const [slot, a] of acks) {
      const e = entryAt(slot);
      if (e === undefined || e.b !== ballot) continue;
      for (const p of peers) if (!a.has(p)) send(p, { type: 'accept', b: ballot, slot, entry: e, committed: chosenUpTo });
    }
  };

  const onHeartbeat = (from: NodeId, m: Extract<PeerMsg, { type: 'heartbeat' }>): void => {
    if (m.b < promised) {
      send(from, { type: 'reject', b: m.b, promised });
      return;
    }
    if (role !== 'follower' && m.b > ballot) stepDown(`heartbeat ${m.b} from ${from}`);
    if (role !== 'follower') return;
    knownLeader = from;
    lastHeard = ctx.now();
    learn(m.b, m.committed);
    if (chosenUpTo < m.committed) send(from, { type: 'hb-ack', b: m.b, needFrom: chosenUpTo + 1 });
  };

  /** Catch-up: resend committed entries a follower lacks, in the current ballot. */
  const onHbAck = (from: NodeId, m: Extract<PeerMsg, { type: 'hb-ack' }>): void => {
    if (role !== 'leader' || m.b !== ballot) return;
    for (let s = m.needFrom; s <= Math.min(chosenUpTo, m.needFrom + 31); s++) {
      const e = entryAt(s);
      if (e === undefined) break;
      send(from, { type: 'accept', b: ballot, slot: s, entry: { b: ballot, cmd: e.cmd }, committed: chosenUpTo });
    }
  };

  const onReject = (m: Extract<PeerMsg, { type: 'reject' }>): void => {
    if (m.b === ballot && m.promised > ballot && role !== 'follower') {
      promised = Math.max(promised, m.promised);
      stepDown(`rejected: promised ${m.promised}`);
    }
  };

  // ---- clients ----

  const onRequest = (env: Envelope, m: KvRequest, arrivedNs: Nanos): void => {
    if (role !== 'leader' || store.broken) {
      // BUG (redirect-to-self): a replica that last knew itself as leader names itself.
      reply(env, { type: 'res', ok: false, reason: 'not-leader', leader: knownLeader === me && opts.bug !== 'redirect-to-self' ? null : knownLeader });
      return;
    }
    const cmd = m.cmd;
    if (cmd.op === 'put' && checksum(cmd.value.v) !== cmd.value.cs) {
      reply(env, { type: 'res', ok: false, reason: 'bad-checksum', leader: me });
      return;
    }
    obs.requested?.(me, cmd);
    if (wasApplied(cmd.id)) {
      ctx.probe('hwkv:duplicate-command');
      if (cmd.op === 'put') reply(env, { type: 'res', ok: true });
      return; // a duplicated read: the first answer stands
    }
    const ws = waiters.get(cmd.id) ?? [];
    ws.push({ env, arrivedNs });
    waiters.set(cmd.id, ws);
    if (!proposedIds.has(cmd.id)) propose(nextSlot++, cmd);
  };

  /** A sealed peer message: opened (MAC checked), then handled as if it had come plain. */
  const onSealed = (from: NodeId, m: SealedMsg, arrivedNs: Nanos): void => {
    if (crypto === null) return; // we do not speak sealed: nobody should send it
    const t0 = trueNow();
    crypto.open(m.s, opts.bug !== 'skip-mac-check', (r) => {
      if (!r.ok) {
        if (r.error !== 'bad-mac') return; // our engine failed under it: the sender retransmits
        // Never act on it; ask again (a fresh seal, so a one-off engine fault goes away).
        obs.macRejected?.(me, from);
        ctx.probe('hwkv:mac-rejected-nack');
        ctx.log('mac-rejected', `sealed message ${m.seq} from ${from}: MAC check failed; asking again`);
        send(from, { type: 'nack', seq: m.seq });
        return;
      }
      obs.crypto?.(me, 'open', m.s.ct.length, trueNow() - t0);
      let inner: unknown;
      try {
        inner = JSON.parse(r.value);
      } catch {
        inner = null;
      }
      // Only reachable without the MAC check: an authenticated message is always well formed.
      if (!isPeerMsg(inner)) return ctx.log('garbled', `sealed message ${m.seq} from ${from} does not decode`);
      onPeer(from, inner, arrivedNs);
    });
  };

  const onNack = (from: NodeId, m: Extract<PeerMsg, { type: 'nack' }>): void => {
    const kept = sentKept.get(m.seq);
    if (kept !== undefined && kept.to === from) sealAndSend(from, m.seq, kept.m);
  };

  const onPeer = (from: NodeId, m: PeerMsg, arrivedNs: Nanos): void => {
    switch (m.type) {
      case 'prepare': return onPrepare(from, m);
      case 'promise': return onPromise(from, m);
      case 'accept': return onAccept(from, m);
      case 'accepted': return onAccepted(from, m, arrivedNs);
      case 'reject': return onReject(m);
      case 'heartbeat': return onHeartbeat(from, m);
      case 'hb-ack': return onHbAck(from, m);
      case 'nack': return onNack(from, m);
    }
  };

  // ---- timers ----

  const electionNs = opts.electionNs + index * opts.electionStaggerNs;
  const tick = (): void => {
    if (role === 'leader' && store.broken) stepDown('store broken');
    else if (role === 'leader') heartbeat();
    else if (ctx.now() - lastHeard > electionNs) startElection();
    ctx.setTimer(opts.heartbeatNs, tick);
  };
  ctx.setTimer(opts.heartbeatNs, tick);
  applyNext();

  return {
    role: () => role,
    ballot: () => ballot,
    committed: () => committed,
    applied: () => applied,
    wasApplied,
    onMessage(env) {
      const arrivedNs = trueNow();
      platform.process(() => {
        const m = env.body as PeerMsg | KvRequest | SealedMsg;
        if (m.type === 'req') return onRequest(env, m, arrivedNs);
        if (m.type === 'sealed') return onSealed(env.from, m, arrivedNs);
        // A plain peer message where peers seal is unauthenticated: refused.
        if (crypto === null) onPeer(env.from, m, arrivedNs);
      });
    },
  };
}
