/**
 * The platform's end-to-end invariants, checked as the run goes (safety) and after the heal
 * (liveness). Each one spans systems; a single-system checker (Raft safety, the escrow monitor,
 * the CRDT's convergence) cannot see it. `PlatformChecks` is fed by the parts of the platform
 * (god's-eye hooks: config applies, balancer decisions, shopper outcomes, DNS answers) and reads
 * the systems' state directly for the after-heal checks.
 *
 *  - no-new-conn-to-drained: a balancer never opens a connection to a backend that the config store
 *    had drained or removed more than `drainBoundNs` earlier (the watch/refresh propagation bound),
 *    unless a later config readmitted it;
 *  - operator-fenced: every applied operator write carries the fencing token under which the lock
 *    is held at that revision;
 *  - no-resurrected-item: an order never contains an item its shopper removed (acknowledged) and
 *    did not add again;
 *  - order-exactly-once: no order id appears twice in any region's order view; after the heal
 *    every order confirmed to a shopper is in every region's view, exactly once;
 *  - order-backed-by-escrow (after heal): every order in a view is a confirmed escrow reservation,
 *    and the seats sold by the orders never exceed the capacity (never oversell, every path);
 *  - geodns-health: GeoDNS never answers a region whose entry point has been down for longer than
 *    the health-detection bound (unless no region at all looks healthy: it then fails open);
 *  - version-flagged: an application server runs only the version its flag in the config store
 *    held at the revision it read, and that read is not stale: no change of its flag was applied
 *    anywhere before the read was asked with a later revision (bound 0: the read is linearizable).
 *    So no server runs a version the store never set;
 *  - reallocation-fenced: every escrow re-allocation an operator orders is an allocation policy the
 *    config store committed (so, by operator-fenced, written under the lock's current token): a
 *    stale operator's re-allocation, refused by the store, is never carried out.
 */
import type { NodeId, SimNode } from '../../sim/node.ts';
import type { World } from '../../sim/scenario.ts';
import type { Nanos } from '../../sim/time.ts';
import type { RegionProgram } from '../crdt/replication/region.ts';
import type { SaleCluster } from '../escrow/kit.ts';
import type { KvProgram } from '../kv/server.ts';
import type { AppServerProgram } from './app.ts';
import type { KvCommand, KvResult, WatchEvent } from '../kv/types.ts';
import { KEYS, ORDERS_KEY, parseOrderEntry, versionFlagKey, type AllocationPolicy, type BackendsConfig, type VersionFlag } from './types.ts';

export interface PlatformChecksOptions {
  drainBoundNs: Nanos;
  healthBoundNs: Nanos;
  capacity: number;
}

export class PlatformChecks {
  /** Committed backend configs, in revision order, with when they were first applied anywhere. */
  readonly configs: { rev: number; atNs: Nanos; cfg: BackendsConfig }[] = [];
  private readonly seenRevs = new Set<number>();
  /** Orders confirmed to shoppers: order id -> items. */
  readonly confirmed = new Map<string, string[]>();
  readonly counts = { forwards: 0, fencedRejects: 0, staleOperatorWrites: 0, dnsAnswers: 0, ordersConfirmed: 0, versionStarts: 0, flagChanges: 0, reallocationsOrdered: 0 };
  /** Allocation policies committed by the store, by their sequence number. */
  readonly allocations = new Map<number, AllocationPolicy[]>();
  /** Committed version flags by server, in revision order, with when each was first applied anywhere. */
  readonly flags = new Map<NodeId, { rev: number; atNs: Nanos; version: number }[]>();
  /** Flag propagation: ms from a version flag's first apply to the server starting that version (restarted by the deploy). */
  readonly flagToServerMs: number[] = [];

  constructor(
    private readonly w: World<unknown>,
    readonly o: PlatformChecksOptions,
  ) {}

  /** The version flag of `server` the store was deployed with (in force from time 0). */
  deployedFlag(server: NodeId, rev: number, version: number): void {
    this.flags.set(server, [{ rev, atNs: 0, version }]);
  }

  private flagApplied(server: NodeId, rev: number, version: number): void {
    const h = this.flags.get(server) ?? [];
    if (h.some((x) => x.rev === rev)) return;
    this.counts.flagChanges++;
    h.push({ rev, atNs: this.w.now, version });
    h.sort((a, b) => a.rev - b.rev);
    this.flags.set(server, h);
  }

  /**
   * An incarnation of `server` starts serving `version`, read from the store at revision `rev`
   * (asked at `askedAt`); `rev` null: it did not read the store (then its flag as committed now must agree).
   */
  onVersion(server: NodeId, version: number, rev: number | null, askedAt: Nanos): void {
    this.counts.versionStarts++;
    const h = this.flags.get(server) ?? [];
    const at = rev === null ? h.filter((x) => x.atNs <= this.w.now).pop() : h.filter((x) => x.rev <= rev).pop();
    if (at === undefined || at.version !== version) {
      const where = rev === null ? 'as committed now' : `at revision ${rev}, the revision it read`;
      this.w.violation('version-flagged', `${server} started running version ${version}, but its version flag in the config store ${where} is ${at === undefined ? 'unset' : `${at.version} (set at revision ${at.rev})`}: a server runs a version the store did not set`);
      return;
    }
    if (rev === null) return;
    const newer = h.find((x) => x.rev > rev && x.atNs < askedAt);
    if (newer !== undefined) this.w.violation('version-flagged', `${server} started running version ${version} read at revision ${rev}, but its flag had been set to ${newer.version} at revision ${newer.rev}, applied ${((askedAt - newer.atNs) / 1e6).toFixed(0)} ms before the read was asked: it acted on a stale flag`);
    else if (at.atNs > 0) this.flagToServerMs.push(Math.round((this.w.now - at.atNs) / 1e5) / 10);
  }

  /** An operator orders escrow re-allocation `a` (it must be a policy the store committed). */
  onReallocate(op: NodeId, a: AllocationPolicy): void {
    this.counts.reallocationsOrdered++;
    const committed = this.allocations.get(a.seq) ?? [];
    if (!committed.some((x) => x.token === a.token && x.from === a.from && x.to === a.to && x.amount === a.amount))
      this.w.violation('reallocation-fenced', `${op} ordered escrow re-allocation #${a.seq} (${a.amount} tokens ${a.from} -> ${a.to}, fencing token ${a.token}), which the config store never committed as its allocation policy: a stale operator's re-allocation was carried out`);
  }

  /** Liveness: every application server runs the version its flag holds (the leader's store). */
  serversRunFlaggedVersion(servers: readonly SimNode<AppServerProgram>[], flagOf: (id: NodeId) => string | undefined): true | string {
    for (const s of servers) {
      if (!s.program) return `${s.id} is down`;
      const f = flagOf(s.id);
      if (f === undefined) return `no leader, or no version flag for ${s.id}`;
      const want = (JSON.parse(f) as VersionFlag).version;
      if (s.program.version !== want) return `${s.id} runs version ${s.program.version ?? '(not read yet)'}, its flag says ${want}`;
    }
    return true;
  }

  /** Watch propagation: for each config revision a balancer took in, ms from its first apply anywhere. */
  readonly propagationMs: number[] = [];

  // ---- config store hooks ---------------------------------------------------------------------

  /** The config the store was deployed with (in force from time 0, at its key's revision). */
  deployed(rev: number, cfg: BackendsConfig): void {
    this.seenRevs.add(rev);
    this.configs.push({ rev, atNs: 0, cfg });
    this.configs.sort((a, b) => a.rev - b.rev);
  }

  /** A balancer took in the backend config of revision `rev` (by watch or read). */
  onConfigTaken(_lb: NodeId, rev: number): void {
    const c = this.configs.find((x) => x.rev === rev);
    if (c !== undefined && c.atNs > 0) this.propagationMs.push(Math.round((this.w.now - c.atNs) / 1e5) / 10);
  }

  /** KvHooks.onApply of every config server. */
  onApply(node: NodeId, store: () => KvProgram | null, cmd: KvCommand, result: KvResult, events: WatchEvent[]): void {
    if (cmd.kind === 'client' && cmd.op.op === 'fencedPut' && result.op === 'fencedPut' && !result.ok) this.counts.fencedRejects++;
    for (const e of events) {
      if (e.type !== 'put' || (e.key !== KEYS.backends && e.key !== KEYS.regions && e.key !== KEYS.allocation && !e.key.startsWith(KEYS.flags))) continue;
      const token = (JSON.parse(e.value!) as { token: number }).token;
      const holder = store()?.store.get(KEYS.lock)?.createRev ?? 0;
      if (token !== holder) {
        this.counts.staleOperatorWrites++;
        this.w.violation('operator-fenced', `${node} applied a write of ${e.key} at revision ${e.rev} made under fencing token ${token}, but the lock is ${holder === 0 ? 'free' : `held under token ${holder}`}: a stale operator's action took effect`);
      }
      if (e.key === KEYS.allocation) {
        const a = JSON.parse(e.value!) as AllocationPolicy;
        const list = this.allocations.get(a.seq) ?? [];
        if (!list.some((x) => JSON.stringify(x) === e.value)) list.push(a);
        this.allocations.set(a.seq, list);
      }
      if (e.key.startsWith(KEYS.flags)) {
        const server = e.key.slice(versionFlagKey('').length);
        if (e.key === versionFlagKey(server)) this.flagApplied(server, e.rev, (JSON.parse(e.value!) as VersionFlag).version);
      }
      if (e.key === KEYS.backends && !this.seenRevs.has(e.rev)) {
        this.seenRevs.add(e.rev);
        this.configs.push({ rev: e.rev, atNs: this.w.now, cfg: JSON.parse(e.value!) as BackendsConfig });
        this.configs.sort((a, b) => a.rev - b.rev);
      }
    }
  }

  // ---- balancer hook ----------------------------------------------------------------------------

  /** A balancer opens a new connection to `backend`, acting on the config of revision `rev`. */
  onForward(lb: NodeId, backend: NodeId, rev: number): void {
    this.counts.forwards++;
    const now = this.w.now;
    const cutoff = now - this.o.drainBoundNs;
    let base = -1;
    for (let i = 0; i < this.configs.length; i++) if (this.configs[i]!.atNs <= cutoff) base = i;
    if (base < 0) return;
    for (let i = base; i < this.configs.length; i++) if (this.configs[i]!.cfg.backends[backend]?.state === 'active') return;
    const c = this.configs[base]!;
    const st = c.cfg.backends[backend]?.state ?? 'absent';
    this.w.violation('no-new-conn-to-drained', `${lb} opened a connection to ${backend}, which the config store made ${st} at revision ${c.rev} (${((now - c.atNs) / 1e6).toFixed(0)} ms earlier, bound ${(this.o.drainBoundNs / 1e6).toFixed(0)} ms) and never readmitted; the balancer acted on revision ${rev}`);
  }

  // ---- shopper hooks ----------------------------------------------------------------------------

  /**
   * An order confirmed to a shopper. `removed`: items the shopper removed (acknowledged) and did
   * not add again since.
   */
  onConfirmed(user: string, orderId: string, items: readonly string[], removed: ReadonlySet<string>): void {
    this.counts.ordersConfirmed++;
    this.confirmed.set(orderId, [...items]);
    for (const it of items)
      if (removed.has(it)) this.w.violation('no-resurrected-item', `${user}'s order ${orderId} contains ${it}, which ${user} had removed from its cart (acknowledged) before checking out`);
  }

  // ---- GeoDNS hooks -----------------------------------------------------------------------------

  /**
   * Where the entry point of a region is (its balancer node). The check reads the node's own
   * state: down since when (SimNode.downSinceNs), whatever took it down. It used to be told by
   * the region-outage nemesis, which in a run driven by its script (sim/decisions.ts) is
   * silenced while the script's player crashes the balancer, so the check never fired there.
   */
  watchEntries(entryOf: (region: string) => SimNode | undefined): void {
    this.entryOf = entryOf;
  }

  private entryOf: (region: string) => SimNode | undefined = () => undefined;

  /** The faults have stopped: from now on an entry point being restarted by the heal is not a GeoDNS failure. */
  healed(): void {
    this.isHealed = true;
  }

  private isHealed = false;

  /** A GeoDNS answer; `failOpen`: no region was eligible, so the answer is a best guess. */
  onDnsAnswer(home: string, region: string, failOpen: boolean): void {
    this.counts.dnsAnswers++;
    if (failOpen) return;
    if (this.isHealed) return;
    const since = this.entryOf(region)?.downSinceNs ?? null;
    if (since !== null && this.w.now - since > this.o.healthBoundNs)
      this.w.violation('geodns-health', `GeoDNS sent a client of ${home} to ${region}, whose entry point has been down for ${((this.w.now - since) / 1e6).toFixed(0)} ms (health-detection bound ${(this.o.healthBoundNs / 1e6).toFixed(0)} ms)`);
  }

  // ---- state checks -------------------------------------------------------------------------------

  /** Safety, polled: no order id twice in any view. */
  ordersOnce(views: readonly SimNode<RegionProgram>[]): string | null {
    for (const v of views) {
      const p = v.program;
      if (!p || !p.store.has(ORDERS_KEY)) continue;
      const r = p.store.read(ORDERS_KEY);
      if (r.kind !== 'set') continue;
      const seen = new Map<string, string>();
      for (const e of r.value) {
        const o = parseOrderEntry(e);
        if (!o) continue;
        const prev = seen.get(o.orderId);
        if (prev !== undefined) return `order ${o.orderId} is in ${v.id}'s order view twice (reservations ${prev} and ${o.reservationId}): a confirmed order was duplicated`;
        seen.set(o.orderId, o.reservationId);
      }
    }
    return null;
  }

  /** Liveness: every view holds every confirmed order, and the views and carts agree. */
  viewsConverged(views: readonly SimNode<RegionProgram>[]): true | string {
    let ref: { id: string; keys: string[]; vals: Map<string, string> } | null = null;
    for (const v of views) {
      const p = v.program;
      if (!p) return `${v.id} is down`;
      if (p.resyncing()) return `${v.id} is re-syncing`;
      const keys = p.store.setKeys();
      const vals = new Map(keys.map((k) => [k, JSON.stringify((p.store.read(k) as { value: string[] }).value.slice().sort())]));
      if (ref === null) ref = { id: v.id, keys, vals };
      else {
        for (const k of new Set([...keys, ...ref.keys])) if ((vals.get(k) ?? '[]') !== (ref.vals.get(k) ?? '[]')) return `${k} differs between ${ref.id} and ${v.id}`;
      }
      const orders = new Set(((p.store.has(ORDERS_KEY) ? (p.store.read(ORDERS_KEY) as { value: string[] }).value : []) as string[]).map((e) => parseOrderEntry(e)?.orderId));
      for (const id of [...this.confirmed.keys()].sort()) if (!orders.has(id)) return `order ${id}, confirmed to its shopper, is not in ${v.id}'s order view`;
    }
    return true;
  }

  /**
   * After the heal (escrow holds resolved): every order in the views is a confirmed reservation of
   * the escrow service, and the seats the orders sold fit in the capacity. Returns a violation
   * message or null.
   */
  ordersBackedByEscrow(views: readonly SimNode<RegionProgram>[], escrow: SaleCluster): string | null {
    const snap = escrow.monitor.snapshot();
    const confirmedRes = new Map<string, number>();
    for (const n of snap.nodes) for (const r of n.reservations) if (r.state === 'confirmed') confirmedRes.set(r.id, r.count);
    const sold = new Map<string, number>();
    for (const v of views) {
      const p = v.program;
      if (!p || !p.store.has(ORDERS_KEY)) continue;
      for (const e of (p.store.read(ORDERS_KEY) as { value: string[] }).value) {
        const o = parseOrderEntry(e);
        if (!o) continue;
        const seats = confirmedRes.get(o.reservationId);
        if (seats === undefined) return `order ${o.orderId} (in ${v.id}'s view) has no confirmed escrow reservation ${o.reservationId}: an order was recorded without the seats being sold`;
        sold.set(o.reservationId, seats);
      }
    }
    const total = [...sold.values()].reduce((a, b) => a + b, 0);
    if (total > this.o.capacity) return `the order views sold ${total} seats, capacity ${this.o.capacity}: oversold`;
    return null;
  }
}
