/**
 * A shopper: resolves the service with GeoDNS (caching the answer for its TTL, or past it for a
 * sticky client), then adds and removes cart items and checks out through the answered region's
 * balancer. It keeps its own model of its cart (what it added and removed, acknowledged), which
 * is what `no-resurrected-item` judges an order against. A checkout that got no answer is retried
 * with the same order id at the same region (the server makes that idempotent); its items are
 * then uncertain.
 */
import type { CallResult, NodeContext, NodeId } from '../../sim/node.ts';
import type { Future } from '../../sim/process.ts';
import { ms, type Nanos } from '../../sim/time.ts';
import { DnsCache, resolve, type GeoDnsHandle } from '../geodns/kit.ts';
import type { PlatformChecks } from './invariants.ts';
import type { AppReply, AppRequest, CartToken } from './types.ts';

export const CATALOG = ['book', 'cable', 'lamp', 'mug', 'pen', 'tea'] as const;

export interface ShopperOptions {
  home: string;
  regions: readonly string[];
  dns: GeoDnsHandle;
  lbOf: (region: string) => NodeId;
  sticky: boolean;
  /** Probability that a request goes to a random region instead (a roaming client). */
  roamRate: number;
  thinkNs: Nanos;
  warmupNs: Nanos;
  /** How long a checkout attempt waits for an answer before the shopper tries again (default 3 s; 3 attempts, then the outcome is unknown). */
  checkoutTimeoutNs?: Nanos;
  checks: PlatformChecks;
  running: () => boolean;
  stats: { requests: number; refused: number; timeouts: number; checkouts: number; confirmed: number; soldOut: number; refusedBy: Record<string, number>; busyMsBy: Record<string, number> };
  /** Called once per request answered (the world's client-operation count). */
  onAnswered?: () => void;
  /**
   * Each cart change and checkout is a recorded decision (sim/decisions.ts): in a run driven by a
   * script, the script's operation (null: skipped). The kit passes `w.sim.decisions.operation`.
   */
  decide?: (user: string, n: number, op: ShopperOperation) => ShopperOperation | null;
}

/**
 * A shopper's operation as a script names it: add or remove a catalogue item, or check out the
 * cart; `roam`: sent to that region instead of the one GeoDNS answered (a roaming client).
 */
export type ShopperOperation = ({ op: 'add' | 'remove'; item: string } | { op: 'checkout' }) & { roam?: string };

type Gen<T> = Generator<Future<unknown>, T, unknown>;

export function* shopperProcess(ctx: NodeContext, o: ShopperOptions): Gen<void> {
  const user = ctx.id;
  const cache = new DnsCache(o.sticky);
  const cart = new Set<string>();
  /** Items removed (acknowledged) and not added again since. */
  const removed = new Set<string>();
  /** Items with an add that got no answer (it may land any time later). */
  const maybeAdded = new Set<string>();
  let token: CartToken = [];
  let orders = 0;
  /** "Remove it, then pay": a checkout right after a remove, with no pause. */
  let payNow = false;
  /** This shopper's operations so far (the n of its recorded decisions). */
  let opNo = 0;

  function* region(): Gen<string | null> {
    const cached = cache.lookup(ctx.now());
    if (cached !== null) {
      if (cache.pastTtl(ctx.now())) ctx.probe('platform:dns-answer-past-ttl');
      return cached;
    }
    const a = yield* resolve(ctx, o.dns, o.home);
    if (a === null) return null;
    cache.store(a, ctx.now());
    return a.region;
  }

  /** Serial of this shopper's cart changes (see AppRequest 'cart'). */
  let cartSeq = 0;

  function* send(r: string, req: AppRequest): Gen<AppReply | null> {
    o.stats.requests++;
    const t0 = ctx.now();
    // A cart change is quick (the region's CRDT replica); a checkout waits for the payment and
    // the escrow. A client gives up on a lost request or reply after this (its outcome unknown).
    const res = (yield ctx.call<AppReply>(o.lbOf(r), req, req.type === 'checkout' ? o.checkoutTimeoutNs ?? ms(3000) : ms(1000))) as CallResult<AppReply>;
    const what = `${req.type}:${res.ok ? (res.body.type === 'refused' ? res.body.reason : 'ok') : 'no-answer'}`;
    o.stats.busyMsBy[what] = (o.stats.busyMsBy[what] ?? 0) + Math.round((ctx.now() - t0) / 1e6);
    if (!res.ok) {
      o.stats.timeouts++;
      cache.failed();
      return null;
    }
    o.onAnswered?.();
    if (res.body.type === 'refused') {
      o.stats.refused++;
      o.stats.refusedBy[res.body.reason] = (o.stats.refusedBy[res.body.reason] ?? 0) + 1;
      if (res.body.reason !== 'empty' && res.body.reason !== 'sold-out') cache.failed();
    } else cache.succeeded();
    return res.body;
  }

  // The platform boots first (config written, balancers and GeoDNS healthy).
  yield ctx.sleep(o.warmupNs);
  while (o.running()) {
    if (!payNow) yield ctx.sleep(Math.max(1, Math.round(ctx.rng.exponential(o.thinkNs))));
    if (!o.running()) return;
    const forceCheckout = payNow;
    payNow = false;
    let r = yield* region();
    if (r === null) continue;
    let roam: string | null = null;
    if (ctx.rng.next() < o.roamRate) roam = ctx.rng.pick(o.regions);
    const u = ctx.rng.next();
    let drawn: ShopperOperation;
    if (cart.size > 0 && (u < 0.25 || forceCheckout)) drawn = { op: 'checkout' };
    else {
      const rm = cart.size > 0 && u < 0.45;
      drawn = { op: rm ? 'remove' : 'add', item: rm ? ctx.rng.pick([...cart].sort()) : ctx.rng.pick(CATALOG) };
    }
    if (roam !== null) drawn.roam = roam;
    // A recorded decision (sim/decisions.ts): "shop-us-2's 5th operation: add mug"; a script may
    // skip it or name another.
    const chosen = o.decide === undefined ? drawn : o.decide(user, ++opNo, drawn);
    if (chosen === null) continue;
    if (chosen.roam !== undefined) r = chosen.roam;
    if (chosen.op === 'checkout') {
      const orderId = `${user}-o${++orders}`;
      o.stats.checkouts++;
      let reply: AppReply | null = null;
      for (let attempt = 0; attempt < 3 && reply === null; attempt++) {
        if (attempt > 0) ctx.probe('platform:checkout-retried');
        reply = yield* send(r, { type: 'checkout', user, orderId, token });
      }
      if (reply === null) {
        // Unknown outcome: the order may have taken any of the items.
        ctx.probe('platform:checkout-unknown-outcome');
        for (const it of cart) removed.delete(it);
        continue;
      }
      if (reply.type === 'confirmed') {
        o.stats.confirmed++;
        const dnsNow = o.dns.state();
        if (dnsNow !== null && !dnsNow.eligible().includes(r)) ctx.probe('platform:order-in-region-out-of-dns');
        o.checks.onConfirmed(user, orderId, reply.items, removed);
        token = reply.token;
        for (const it of reply.items) cart.delete(it);
      } else if (reply.type === 'refused' && reply.reason === 'sold-out') o.stats.soldOut++;
      continue;
    }
    const remove = chosen.op === 'remove';
    const item = chosen.item;
    const reply = yield* send(r, { type: 'cart', user, op: remove ? 'remove' : 'add', item, token, seq: ++cartSeq });
    if (reply === null || reply.type !== 'cart-ok') {
      // Unknown outcome: neither in the cart for sure nor removed for sure. An add without an
      // answer may still land at any later time (a paused server, a clogged link), even after
      // a remove that was acknowledged: the item is never judged "removed" again.
      removed.delete(item);
      if (!remove && (reply === null || (reply.type === 'refused' && (reply.reason === 'timeout' || reply.reason === 'unavailable')))) maybeAdded.add(item);
      continue;
    }
    token = reply.token;
    if (remove) {
      cart.delete(item);
      if (!maybeAdded.has(item)) removed.add(item);
      payNow = ctx.rng.next() < 0.3;
    } else {
      cart.add(item);
      removed.delete(item);
    }
  }
}
