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
 *    the health-detection bound (unless no region at all looks healthy: it then fails open).
 */
import type { NodeId, SimNode } from '../../sim/node.ts';
import type { World } from '../../sim/scenario.ts';
import type { Nanos } from '../../sim/time.ts';
import type { RegionProgram } from '../crdt/replication/region.ts';
import type { SaleCluster } from '../escrow/kit.ts';
import type { KvProgram } from '../kv/server.ts';
import type { KvCommand, KvResult, WatchEvent } from '../kv/types.ts';
import { KEYS, ORDERS_KEY, parseOrderEntry, type BackendsConfig } from './types.ts';

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
  readonly counts = { forwards: 0, fencedRejects: 0, staleOperatorWrites: 0, dnsAnswers: 0, ordersConfirmed: 0 };

  constructor(
    private readonly w: World<unknown>,
    readonly o: PlatformChecksOptions,
  ) {}

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
      if (e.type !== 'put' || (e.key !== KEYS.backends && e.key !== KEYS.regions)) continue;
      const token = (JSON.parse(e.value!) as { token: number }).token;
      const holder = store()?.store.get(KEYS.lock)?.createRev ?? 0;
      if (token !== holder) {
        this.counts.staleOperatorWrites++;
        this.w.violation('operator-fenced', `${node} applied a write of ${e.key} at revision ${e.rev} made under fencing token ${token}, but the lock is ${holder === 0 ? 'free' : `held under token ${holder}`}: a stale operator's action took effect`);
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
