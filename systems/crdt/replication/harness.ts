/**
 * The shared body of the crdt-* scenarios: three regions on WAN links, clients next to each
 * region with sessions that carry read-your-writes tokens, and the invariants:
 *
 *  - counter-within-attempted (safety): no region's counter exceeds the sum of attempted increments;
 *  - read-your-writes (safety, event-driven): a read with a token sees the session's own writes;
 *  - or-set-tag-bound (safety): an OR-Set holds at most one tag per element per region;
 *  - converged (liveness): once healed, every region holds the same keys with the same digests
 *    and every client's last op is acknowledged; then, on the converged state (reported as
 *    safety violations): counter = sum of acknowledged increments; no removed element is back
 *    unless re-added after the remove; the LWW winner is not causally before another write; the
 *    text holds every inserted character once, in one order.
 *
 * Causality comes from the clients' history: each acknowledged op carries the region's applied
 * op vector just before it (`past`), so op X happened before op Y when Y.past[X.origin] >= X.seq.
 * That vector is a lower bound of what the region had merged, so the checks below only claim
 * orders that certainly held.
 */
import type { NodeContext, NodeId, SimNode, CallResult } from '../../../sim/node.ts';
import type { World } from '../../../sim/scenario.ts';
import { Future } from '../../../sim/process.ts';
import { ms, type Nanos } from '../../../sim/time.ts';
import { vvMerge } from '../version-vector.ts';
import { CausalContext } from '../causal-context.ts';
import type { Dot } from '../dot.ts';
import { checkCrdtAcksDurable } from './durable-acks.ts';
import { checkRepairBudget } from './repair-budget.ts';
import { DEFAULT_REGION_OPTIONS, WAL, regionNode, type ClientReply, type DeltaItem, type ClientRequest, type OpVector, type RegionOptions, type RegionProgram } from './region.ts';
import { kindOf, type CrdtBug, type CrdtStore, type Op, type ReadValue } from './store.ts';
import { compareHlc } from '../hlc.ts';
import { CRDT_MESSAGE_SUMMARIES } from './message-summary.ts';

export const REGIONS = ['us', 'eu', 'ap'] as const;

/** One acknowledged (or attempted) op in the clients' shared history. */
export interface HistoryOp {
  client: string;
  op: Op;
  acked: boolean;
  origin: string;
  seq: number;
  past: OpVector;
  /** OR-Set ops: the add's tag and the context the op's region had seen (the exact add-wins check). */
  tag?: Dot;
  seen?: CausalContext;
}

export interface CrdtWorldOptions {
  bug: CrdtBug;
  region?: Partial<Omit<RegionOptions, 'peers' | 'bug'>>;
  /** One-way WAN latency range between regions (ms); each pair draws its median in it. */
  wanMsMin?: number;
  wanMsMax?: number;
  /** WAN bandwidth, bytes/s (0 = unlimited). */
  wanBytesPerSec?: number;
  /** Clock offsets per region (ms), overriding the standard nemesis's draw. */
  clockOffsetMs?: number[];
}

export interface CrdtWorld {
  regions: SimNode<RegionProgram>[];
  history: HistoryOp[];
  /** Sessions still running (their body has not returned). */
  active: Set<string>;
  /** Starts a client session next to `home`, running `body`. */
  client(id: string, home: string, body: (s: Session) => Gen<void>): void;
  attempted: Map<string, number>;
}

/** What session generators yield and are resumed with (the kernel's Futures, untyped). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Gen<R> = Generator<Future<unknown>, R, any>;

/**
 * A session's operation as a script names it (sim/decisions.ts): an op or a read, and the region
 * it goes to, e.g. `{ region: 'crdt-us', kind: 'add', key: 'set:cart', elem: 'milk' }`.
 */
export type CrdtOperation = { region: string } & (Op | { kind: 'read'; key: string });

/**
 * A client session: ops and reads with a read-your-writes token. Each op and read is a recorded
 * decision (the session's n-th operation); in a run driven by a script, the script's operation
 * runs instead, and one the script does not name is skipped (an op then returns an unacknowledged
 * HistoryOp, a read null).
 */
export interface Session {
  ctx: NodeContext;
  id: string;
  token: OpVector;
  /** Runs `op` at `region`, retrying there until acknowledged. */
  op(region: string, op: Op): Gen<HistoryOp>;
  /** Reads `key` at `region` with the session's token; null when the region answered stale. */
  read(region: string, key: string): Gen<ReadValue | null>;
  sleep(ns: Nanos): Gen<void>;
}

/** A replicated CRDT store: one region node per id, active-active, WAN links between them. */
export interface CrdtRegions {
  ids: string[];
  nodes: SimNode<RegionProgram>[];
}

/**
 * The CRDT replication kit (one door a system): adds one region node per id (e.g. 'crdt-us'),
 * every pair joined by a WAN link whose median latency is drawn in [wanMsMin, wanMsMax]. Clients
 * talk to a region with `ctx.call(id, ClientRequest)`; `buildCrdtWorld` adds the checked
 * sessions of the crdt-* scenarios on top.
 */
export function addCrdtRegions(w: World<unknown>, o: { ids: readonly string[]; bug: CrdtBug; region?: CrdtWorldOptions['region']; wanMsMin?: number; wanMsMax?: number; wanBytesPerSec?: number }): CrdtRegions {
  const ids = [...o.ids];
  w.net.describeMessages(CRDT_MESSAGE_SUMMARIES);
  const ropts = { ...DEFAULT_REGION_OPTIONS, ...o.region };
  const nodes: SimNode<RegionProgram>[] = [];
  const repairs = checkRepairBudget(w, nodes);
  for (const id of ids)
    nodes.push(
      w.addNode(id, (ctx) =>
        repairs.wrap(id, regionNode(ctx, {
          ...ropts,
          peers: ids.filter((x) => x !== id),
          bug: o.bug,
          onStoreMerge: (region, store, key) => checkLwwClockCoversMerged(w, region, store, key),
          onStoreCollect: (region, key, dropped) => checkGcCausallyStable(w, nodes, region, key, dropped),
        })),
      ),
    );
  // lww-hlc-causal and gc-causally-stable are judged in the store hooks above: declared, so the
  // kit alone counts as checked.
  w.declareCheck('lww-hlc-causal');
  w.declareCheck('gc-causally-stable');
  checkCrdtAcksDurable(w, ids, WAL);
  const wan = w.rng('wan');
  const lo = o.wanMsMin ?? 30;
  const hi = o.wanMsMax ?? 150;
  for (let i = 0; i < ids.length; i++)
    for (let j = i + 1; j < ids.length; j++) {
      const median = ms(wan.uniform(lo, hi));
      w.net.setLinkBoth(ids[i]!, ids[j]!, {
        latency: { kind: 'lognormal', minNs: Math.round(median * 0.8), medianNs: median, p99Ns: median * 2 },
        bandwidthBytesPerSec: o.wanBytesPerSec ?? 0,
      });
    }

  return { ids, nodes };
}

export function buildCrdtWorld(w: World<unknown>, o: CrdtWorldOptions): CrdtWorld {
  const regions = addCrdtRegions(w, { ids: REGIONS, ...o }).nodes;
  const history: HistoryOp[] = [];
  const inFlight = new Map<string, Op>(); // client -> its op not yet acknowledged
  const active = new Set<string>();
  const attempted = new Map<string, number>();
  const ownAcked = new Map<string, number>(); // client|key -> acked increments
  const ownLastWrite = new Map<string, number>(); // client|key -> index of its last acked write

  function client(id: string, home: string, body: (s: Session) => Gen<void>): void {
    active.add(id);
    clients++;
    w.addClient(id, function* (ctx) {
      let req = 0;
      /** The session's operations (ops and reads) so far: the n of its recorded decisions. */
      let ordinal = 0;
      /**
       * A recorded decision (sim/decisions.ts): "c-us's 5th operation: add milk to set:cart at us".
       * In a scripted run the script says what it is (or that it is skipped: null).
       */
      const decide = (what: CrdtOperation): CrdtOperation | null => w.sim.decisions.operation(id, ++ordinal, what as CrdtOperation & Record<string, unknown>);
      const skipped = (region: string, op: Op): HistoryOp => ({ client: id, op, acked: false, origin: region, seq: 0, past: new Map() });
      function* runOp(region: string, op: Op): Gen<HistoryOp> {
        req++;
        inFlight.set(id, op);
        if (op.kind === 'incr') attempted.set(op.key, (attempted.get(op.key) ?? 0) + op.by);
        for (;;) {
          const r: CallResult<ClientReply> = yield ctx.call<ClientReply>(region, { type: 'op', op, client: id, req, token: s.token } satisfies ClientRequest, ms(1000));
          if (r.ok && r.body.type === 'op-ok') {
            const h: HistoryOp = { client: id, op, acked: true, origin: r.body.origin, seq: r.body.seq, past: r.body.past };
            if (r.body.tag !== undefined) h.tag = r.body.tag;
            if (r.body.seen !== undefined) h.seen = CausalContext.fromData(r.body.seen);
            history.push(h);
            w.clientOp();
            inFlight.delete(id);
            if (op.kind === 'remove' || op.kind === 'add') lastSetOp.set(`${id}|${op.key}|${op.elem}`, h);
            // A causal token (seed 002, MongoDB-style): the op and everything it depended on, so a read
            // sees what the write saw too (e.g. a tag collapse that the remove relied on).
            // `deps` bounds from above what the op's state relied on (`past` only from below).
            s.token = vvMerge(vvMerge(s.token, r.body.deps !== undefined ? new Map(r.body.deps) : h.past), new Map([[h.origin, h.seq]]));
            if (op.kind === 'incr') ownAcked.set(`${id}|${op.key}`, (ownAcked.get(`${id}|${op.key}`) ?? 0) + op.by);
            if (op.kind === 'set') ownLastWrite.set(`${id}|${op.key}`, Number(op.value.split('#')[1]));
            return h;
          }
          yield ctx.sleep(ms(200));
        }
      }
      function* runRead(region: string, key: string): Gen<ReadValue | null> {
        const r: CallResult<ClientReply> = yield ctx.call<ClientReply>(region, { type: 'read', key, token: s.token } satisfies ClientRequest, ms(1000));
        if (!r.ok || r.body.type !== 'read-ok') return null;
        checkReadYourWrites(id, key, r.body.value);
        if (r.body.value.kind === 'set') checkNoResurrection(id, key, r.body.value.value);
        return r.body.value;
      }
      const s: Session = {
        ctx,
        id,
        token: new Map(),
        *op(region, op) {
          const d = decide({ region, ...op });
          if (d === null) return skipped(region, op);
          if (d.kind === 'read') {
            yield* runRead(d.region, d.key);
            return skipped(d.region, op);
          }
          const { region: at, ...chosen } = d;
          return yield* runOp(at, chosen);
        },
        *read(region, key) {
          const d = decide({ region, kind: 'read', key });
          if (d === null) return null;
          if (d.kind !== 'read') {
            const { region: at, ...chosen } = d;
            yield* runOp(at, chosen);
            return null;
          }
          return yield* runRead(d.region, d.key);
        },
        *sleep(ns) {
          yield ctx.sleep(ns);
        },
      };
      yield* body(s);
      active.delete(id);
    });
  }

  const lastSetOp = new Map<string, HistoryOp>(); // client|key|elem -> its last acked add/remove

  /**
   * The history's OR-Set ops indexed as the checks need them, kept between polls (rescanning the
   * whole history on every poll and read made long runs quadratic): removes by key, then origin,
   * with their seqs ascending; adds by key|elem with origin and seq. `indexedUpTo` is how much of
   * the (append-only) history is indexed.
   */
  const removesByKey = new Map<string, Map<string, number[]>>();
  const addsByElem = new Map<string, { origin: string; seq: number }[]>();
  let indexedUpTo = 0;
  function indexHistory(): void {
    for (; indexedUpTo < history.length; indexedUpTo++) {
      const h = history[indexedUpTo]!;
      if (h.op.kind === 'remove') {
        let byOrigin = removesByKey.get(h.op.key);
        if (byOrigin === undefined) removesByKey.set(h.op.key, (byOrigin = new Map()));
        let seqs = byOrigin.get(h.origin);
        if (seqs === undefined) byOrigin.set(h.origin, (seqs = []));
        let i = seqs.length;
        while (i > 0 && seqs[i - 1]! > h.seq) i--;
        seqs.splice(i, 0, h.seq);
      } else if (h.op.kind === 'add') {
        const k = `${h.op.key}|${h.op.elem}`;
        let list = addsByElem.get(k);
        if (list === undefined) addsByElem.set(k, (list = []));
        list.push({ origin: h.origin, seq: h.seq });
      }
    }
  }
  /** Removes of `key` in the history that a region with applied vector `av` has not applied. */
  function undeliveredRemoves(key: string, av: OpVector): number {
    const byOrigin = removesByKey.get(key);
    if (byOrigin === undefined) return 0;
    let n = 0;
    for (const [origin, seqs] of byOrigin) {
      const applied = av.get(origin) ?? 0;
      // seqs ascending: count those above `applied` (binary search for the first one).
      let lo = 0;
      let hi = seqs.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (seqs[mid]! <= applied) lo = mid + 1;
        else hi = mid;
      }
      n += seqs.length - lo;
    }
    return n;
  }

  /**
   * A session that removed `elem` (and did not re-add it) reads with its token: the element may
   * be visible only through an add that the remove did not certainly see (concurrent or later),
   * or through an add still in flight.
   */
  function checkNoResurrection(id: string, key: string, visible: string[]): void {
    for (const elem of visible) {
      const mine = lastSetOp.get(`${id}|${key}|${elem}`);
      if (mine === undefined || mine.op.kind !== 'remove') continue;
      let excused = false;
      for (const op of inFlight.values()) if (op.kind === 'add' && op.key === key && op.elem === elem) excused = true;
      indexHistory();
      for (const h of addsByElem.get(`${key}|${elem}`) ?? []) if ((mine.past.get(h.origin) ?? 0) < h.seq) excused = true;
      if (!excused) w.violation('no-resurrection', `${id} removed ${elem} from ${key}, then read it back with its token, though every add of it was seen by that remove`);
    }
  }

  function checkReadYourWrites(id: string, key: string, v: ReadValue): void {
    if (v.kind === 'ctr') {
      const mine = ownAcked.get(`${id}|${key}`) ?? 0;
      if (v.value < mine) w.violation('read-your-writes', `${id} read ${key}=${v.value} with a token, below its own ${mine} acknowledged increments`);
    } else if (v.kind === 'reg') {
      const last = ownLastWrite.get(`${id}|${key}`);
      if (last === undefined || v.value === null) {
        if (last !== undefined) w.violation('read-your-writes', `${id} read ${key} empty after writing it`);
        return;
      }
      const [writer, n] = v.value.split('#');
      if (writer === id && Number(n) < last) w.violation('read-your-writes', `${id} read its older write ${v.value} of ${key} after writing #${last}`);
    }
  }

  w.safety('counter-within-attempted', () => {
    for (const r of regions) {
      const p = r.program;
      if (!p) continue;
      for (const k of p.store.keys()) {
        if (!k.startsWith('ctr:')) continue;
        const v = (p.store.read(k) as { value: number }).value;
        const a = attempted.get(k) ?? 0;
        if (v > a) return `${r.id} has ${k}=${v}, above the ${a} increments ever attempted`;
      }
    }
    return null;
  });

  // Tags: one per element per region, plus one for each remove this region has not applied yet
  // (a newer add can overtake the remove of an older tag), plus one per client op not yet
  // acknowledged (not in the history). The bound is the metadata claim of docs/crdt.md.
  let clients = 0;
  w.safety('or-set-tag-bound', () => {
    indexHistory();
    for (const r of regions) {
      const p = r.program;
      if (!p) continue;
      const av = p.applied();
      for (const k of p.store.setKeys()) {
        const t = p.store.tags(k);
        const undelivered = undeliveredRemoves(k, av);
        const bound = t.elements * REGIONS.length + undelivered + clients;
        if (t.dots > bound) return `${r.id} ${k} holds ${t.dots} tags for ${t.elements} element(s): above the bound ${bound}`;
      }
    }
    return null;
  });

  checkDeltaLatency(w, regions, client, { ...DEFAULT_REGION_OPTIONS, ...o.region });
  // Its probe sessions write only a counter: no OR-Set tag waits on them, so the tag bound above
  // does not count them (it would loosen by one tag per region).
  clients -= regions.length;

  let checkedConverged = false;
  w.liveness('converged', () => {
    // Sessions stop issuing ops with the faults; each retries its last op until acknowledged.
    if (inFlight.size > 0) return `${inFlight.size} client op(s) not yet acknowledged, e.g. ${[...inFlight.keys()][0]}'s`;
    const up = regions.map((r) => r.program);
    for (let i = 0; i < up.length; i++) if (!up[i]) return `${regions[i]!.id} is down`;
    const ref = up[0]!.store;
    const keys = ref.keys().join(',');
    for (let i = 1; i < up.length; i++) {
      const s = up[i]!.store;
      if (s.keys().join(',') !== keys) return `${regions[i]!.id} holds keys [${s.keys().join(',')}], ${regions[0]!.id} [${keys}]`;
      for (const k of ref.keys()) if (s.digest(k) !== ref.digest(k)) return `${regions[i]!.id} and ${regions[0]!.id} differ on ${k}`;
    }
    if (!checkedConverged) {
      checkedConverged = true;
      checkConverged(w, ref, history, attempted);
    }
    return true;
  });

  // The absorbed-dots records a windowed collapse keeps are "forgotten once the kept tag is gone
  // (bounded by the live tags)" (docs/crdt.md): a region prunes them at every GC round, once per
  // anti-entropy period, so once the run has converged each record must soon name a tag its
  // region still holds. A region that never prunes (or prunes the wrong ones) keeps them for
  // ever: metadata held without bound, and a re-sync given records for tags that are gone.
  w.liveness('absorbed-records-bounded', () => {
    for (const r of regions) {
      const p = r.program;
      if (!p) return `${r.id} is down`;
      for (const [key, kept] of p.absorbedKept()) {
        const present = p.store.setDotKeys(key);
        const gone = kept.find((dk) => !present.has(dk));
        if (gone !== undefined) return `${r.id} still keeps the absorbed-dots record of tag ${gone} of ${key}, a tag it no longer holds (${kept.length} record(s) for that key)`;
      }
    }
    return true;
  });

  return { regions, history, active, client, attempted };
}

/** Semantic checks on one converged state against the clients' history. */
function checkConverged(w: World<unknown>, store: RegionProgram['store'], history: HistoryOp[], attempted: Map<string, number>): void {
  const before = (x: HistoryOp, y: HistoryOp): boolean => (y.past.get(x.origin) ?? 0) >= x.seq;
  const acked = history.filter((h) => h.acked);
  // Counters: exactly the acknowledged increments (sessions retry until acknowledged).
  const sums = new Map<string, number>();
  for (const h of acked) if (h.op.kind === 'incr') sums.set(h.op.key, (sums.get(h.op.key) ?? 0) + h.op.by);
  for (const [k, sum] of sums) {
    const v = (store.read(k) as { value: number }).value;
    if (v !== sum) return w.violation('no-lost-increment', `${k} converged to ${v}, but ${sum} increments were acknowledged (${attempted.get(k)} attempted)`);
  }
  // OR-Sets.
  const setOps = new Map<string, { adds: HistoryOp[]; removes: HistoryOp[] }>();
  for (const h of acked) {
    if (h.op.kind !== 'add' && h.op.kind !== 'remove') continue;
    const id = `${h.op.key}|${h.op.elem}`;
    let e = setOps.get(id);
    if (!e) setOps.set(id, (e = { adds: [], removes: [] }));
    (h.op.kind === 'add' ? e.adds : e.removes).push(h);
  }
  for (const [id, { adds, removes }] of setOps) {
    const [key, elem] = id.split('|') as [string, string];
    const present = (store.read(key) as { value: string[] }).value.includes(elem);
    const allRemoved = adds.length > 0 && adds.every((a) => removes.some((r) => before(a, r)));
    if (present && allRemoved) return w.violation('no-resurrection', `${elem} is back in ${key}, but every one of its ${adds.length} add(s) was followed by a remove that saw it`);
    const readded = adds.find((a) => removes.every((r) => before(r, a)));
    if (!present && readded) return w.violation('add-wins', `${elem} is missing from ${key}, though ${readded.client} re-added it after every remove`);
    // Exactly: a tag goes only by a remove whose region had seen it, or by a later add of the
    // element whose region had seen it (the add replaces it), which itself went; GC only collapses
    // an element's tags into one. So an add whose tag did not go that way must still show.
    const gone = new Map<HistoryOp, boolean>();
    const killed = (a: HistoryOp): boolean => {
      let k = gone.get(a);
      if (k !== undefined) return k;
      gone.set(a, true); // a cycle cannot happen (seeing a tag orders the ops); be conservative
      const t = a.tag;
      k = t === undefined || removes.some((r) => r.seen === undefined || r.seen.contains(t)) || adds.some((b) => b !== a && (b.seen === undefined || b.seen.contains(t)) && killed(b));
      gone.set(a, k);
      return k;
    };
    const unseen = adds.find((a) => !killed(a));
    if (!present && unseen) return w.violation('add-wins', `${elem} is missing from ${key}, though ${unseen.client}'s add of it (tag ${unseen.tag!.replica}:${unseen.tag!.counter}) was seen by no remove, nor by a re-add that went`);
  }
  // LWW registers: the winner must not happen before another acknowledged write.
  const regWrites = new Map<string, HistoryOp[]>();
  for (const h of acked) if (h.op.kind === 'set') regWrites.set(h.op.key, [...(regWrites.get(h.op.key) ?? []), h]);
  for (const [k, ws] of regWrites) {
    const v = (store.read(k) as { value: string | null }).value;
    const winner = ws.find((x) => x.op.kind === 'set' && x.op.value === v);
    if (!winner) return w.violation('lww-causal', `${k} holds ${v}, which no acknowledged write wrote`);
    const later = ws.find((x) => x !== winner && before(winner, x));
    if (later && later.op.kind === 'set') return w.violation('lww-causal', `${k} kept ${v}, though the write of ${later.op.value} causally followed it (LWW on a skewed clock?)`);
  }
  // Text: every acknowledged insert once.
  const inserts = new Map<string, string[]>();
  for (const h of acked) if (h.op.kind === 'insert') inserts.set(h.op.key, [...(inserts.get(h.op.key) ?? []), h.op.char]);
  for (const [k, chars] of inserts) {
    const text = (store.read(k) as { value: string }).value;
    for (const c of chars) if (text.split(c).length !== 2) return w.violation('text-complete', `${k}: insert ${c} appears ${text.split(c).length - 1} times`);
  }
}

/**
 * lww-hlc-causal (event-driven, after every merge): a region's hybrid logical clock is at or past
 * the timestamp of every register write it has merged. Otherwise its next local write to that
 * register, which causally follows the merged one, gets a smaller timestamp and loses to it: LWW
 * breaks causal order (seed 002, "LWW problems"). Judged at the merge, before that write exists,
 * so the flaw is named where it happens rather than by a later defensive assertion.
 */
function checkLwwClockCoversMerged(w: World<unknown>, region: NodeId, store: CrdtStore, key: string): void {
  if (kindOf(key) !== 'reg') return;
  const r = store.read(key);
  if (r.kind !== 'reg' || r.ts === null) return;
  const clock = store.hlc.peek();
  if (compareHlc(clock, r.ts) < 0)
    w.violation('lww-hlc-causal', `${region} merged a write to ${key} at HLC ${r.ts.l}.${r.ts.c} (by ${r.replica ?? '?'}), but its clock stayed at ${clock.l}.${clock.c}: its next write to ${key} would causally follow that write yet lose to it`);
}

/** The key each region's post-heal probe write increments (its own key: no workload uses it). */
export const DELTA_PROBE_KEY = 'ctr:delta-probe';

/**
 * delta-latency (liveness phase): once the faults stop, a write acknowledged at a region leaves it
 * in a `deltas` batch for every peer within half an anti-entropy period. At the heal, a probe
 * session per region writes once (an increment of DELTA_PROBE_KEY, in the history like any op);
 * the check watches the wire (a send tap) for the batches carrying it.
 *
 * Why: anti-entropy repairs whatever the deltas miss, so a region that ships its deltas late, or
 * never, converges anyway and passes every other check; only slower (a whole anti-entropy round
 * per write, not a WAN trip) and chattier (Merkle sessions instead of one batch). Users of an
 * active-active store rely on that latency.
 *
 * Margin: a write is flushed at most batchNs (10 ms) after it is applied, and the batch leaves
 * after one fsync (20 ms at most on the slowest disk profile, hdd; another may be ahead of it in
 * the queue): about 50 ms, against a bound of antiEntropyNs / 2 (250 ms in crdt-orset-churn, the
 * shortest period; 1 s by default). The faults have stopped and BUGGIFY is quiet (its
 * `crdt.drop_delta_batch` site is the one legal way to skip a send). Excused, as the protocol
 * means them: a peer the writer has evicted (GC window; it re-syncs instead), a writer that is
 * re-syncing (it replays and resends afterwards), and a peer that has already applied the write
 * (anti-entropy got there first, so the send is skipped).
 */
function checkDeltaLatency(w: World<unknown>, regions: readonly SimNode<RegionProgram>[], client: CrdtWorld['client'], opts: Pick<RegionOptions, 'antiEntropyNs'>): void {
  const boundNs = Math.floor(opts.antiEntropyNs / 2);
  const healed = new Future<void>(w.sim);
  w.onHeal(() => healed.resolve(undefined));
  /** from>to -> seq -> when a deltas batch carrying it first left (liveness phase only). */
  const sent = new Map<string, Map<number, number>>();
  w.net.sendTaps.push((from, to, body) => {
    if (w.phase !== 'liveness' || (body as { type?: unknown }).type !== 'deltas') return;
    const k = `${from.id}>${to}`;
    let m = sent.get(k);
    if (m === undefined) sent.set(k, (m = new Map()));
    for (const it of (body as { items: DeltaItem[] }).items) if (!m.has(it.seq)) m.set(it.seq, w.now);
  });
  const epochOf = (id: string): number => regions.find((x) => x.id === id)?.program?.epoch() ?? -1;
  const probes: { region: string; done: boolean; h: HistoryOp | null; ackedAt: number; epochs: Map<string, number>; evicted: Set<string> }[] = [];
  for (const r of regions) {
    const probe: (typeof probes)[number] = { region: r.id, done: false, h: null, ackedAt: 0, epochs: new Map(), evicted: new Set() };
    probes.push(probe);
    client(`probe-${r.id}`, r.id, function* (s) {
      yield healed;
      const h = yield* s.op(r.id, { kind: 'incr', key: DELTA_PROBE_KEY, by: 1 });
      probe.h = h.acked ? h : null; // a script that skips the write leaves nothing to judge
      probe.ackedAt = w.now;
      for (const x of regions) probe.epochs.set(x.id, epochOf(x.id));
      for (const [id] of regions.find((x) => x.id === h.origin)?.program?.evicted() ?? []) probe.evicted.add(id);
      probe.done = true;
    });
  }
  let failed = false;
  w.liveness('delta-latency', () => {
    for (const pr of probes) {
      if (!pr.done) return `${pr.region}'s probe write is not acknowledged yet`;
      const h = pr.h;
      if (h === null || failed) continue;
      const writer = regions.find((r) => r.id === h.origin)?.program;
      // Re-synced since (or now): its replay resends the write, a resend period later.
      if (!writer || writer.resyncing() || epochOf(h.origin) !== pr.epochs.get(h.origin)) continue;
      for (const [id] of writer.evicted()) pr.evicted.add(id);
      for (const peer of regions) {
        // Evicted by the writer when it acknowledged or now, or re-synced since (an eviction that
        // began and ended between two polls ends with the evicted region's new epoch).
        if (peer.id === h.origin || pr.evicted.has(peer.id) || epochOf(peer.id) !== pr.epochs.get(peer.id)) continue;
        const at = sent.get(`${h.origin}>${peer.id}`)?.get(h.seq);
        // Polls may be seconds apart (crdt-long-partition-gc): judge by when the batch left.
        if (at !== undefined && at - pr.ackedAt <= boundNs) continue;
        if (at === undefined && (peer.program?.applied().get(h.origin) ?? 0) >= h.seq) continue;
        const waited = (at ?? w.now) - pr.ackedAt;
        if (waited <= boundNs) return `${h.origin} has not yet shipped op ${h.seq} to ${peer.id} (${(waited / 1e6).toFixed(1)} ms after its acknowledgement)`;
        failed = true;
        w.violation('delta-latency', `${h.origin} acknowledged op ${h.seq} (${DELTA_PROBE_KEY}) at ${(pr.ackedAt / 1e6).toFixed(1)} ms, after the faults stopped, but ${at === undefined ? 'sent it to ' + peer.id + ' in no delta batch' : 'sent it to ' + peer.id + ' only ' + (waited / 1e6).toFixed(1) + ' ms later'}, above the bound of ${(boundNs / 1e6).toFixed(0)} ms (half an anti-entropy period): writes left to anti-entropy in a healthy network`);
        return true;
      }
    }
    return true;
  });
}

/**
 * gc-causally-stable (event-driven, at every GC collapse): a tag may be dropped only once it is
 * causally stable, i.e. every region GC waits for has seen it (holds its dot in the key's causal
 * context). Judged against the other regions' actual states, not against the region's own record
 * of them (the records are what a bug gets wrong: credited for the wrong keys, or taken too
 * early). A region the collapsing one has evicted (GC window) is left out, as GC leaves it out;
 * so is one that is down or re-syncing (its state is not there to compare), which only makes the
 * check miss, never fail, a correct collapse. A premature collapse breaks add-wins only when a
 * later remove and a concurrent add meet in a particular order (bug `tombstone-gc-before-
 * stability` took 11 seeds of crdt-orset-churn to show it); this sees every one as it happens.
 */
function checkGcCausallyStable(w: World<unknown>, regions: readonly SimNode<RegionProgram>[], region: NodeId, key: string, dropped: readonly Dot[]): void {
  if (dropped.length === 0) return;
  const self = regions.find((r) => r.id === region)?.program;
  const evicted = new Set((self?.evicted() ?? []).map(([id]) => id));
  for (const r of regions) {
    if (r.id === region || evicted.has(r.id)) continue;
    const p = r.program;
    if (!p || p.resyncing()) continue;
    const ctx = p.store.has(key) ? CausalContext.fromData(p.store.setContext(key)) : new CausalContext();
    const unseen = dropped.find((d) => !ctx.contains(d));
    if (unseen !== undefined) {
      w.violation('gc-causally-stable', `${region} collapsed ${key}, dropping tag ${unseen.replica}:${unseen.counter}, which ${r.id} has never seen: GC before causal stability (a remove from ${r.id} cannot name that tag, and a concurrent add may be lost)`);
      return;
    }
  }
}

/** Region program of a node, for metrics. */
export function regionStats(regions: SimNode<RegionProgram>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of regions) {
    const p = r.program;
    if (!p) continue;
    for (const [k, v] of Object.entries(p.stats)) out[k] = (out[k] ?? 0) + v;
  }
  return out;
}

export type { NodeId };
