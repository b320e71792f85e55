/**
 * An application server of one region, behind the region's balancer. It keeps no state of its
 * own: carts live in the region's CRDT replica (OR-Sets, active-active), seats in the region's
 * escrow replica, orders in the replicated order view (an OR-Set of order entries).
 *
 * Checkout: read the cart with the shopper's causal token (read-your-writes: a region that has not
 * seen the shopper's last remove answers "stale", and the server retries), hold one seat per item
 * under reservation id = order id (a retried checkout finds its own hold: idempotent), confirm the
 * hold, record the order (entry keyed by order id: an add of the same entry is a no-op), take the
 * items out of the cart, and only then answer "confirmed".
 *
 * Version flag: the version an incarnation runs is the one the config store's version flag
 * (`platform/flags/version/<id>`) holds when it boots: a linearizable read at start-up, retried
 * until the store answers (until then the server fails its health checks and refuses requests).
 * The orchestrator only restarts the server; the store says what it runs. The first incarnation
 * starts with the flag the platform was deployed with.
 */
import type { CallResult, Envelope, NodeContext, NodeProgram } from '../../sim/node.ts';
import type { Future } from '../../sim/process.ts';
import { ms, type Nanos } from '../../sim/time.ts';
import type { ClientReply as CrdtReply, ClientRequest as CrdtRequest, OpVector } from '../crdt/replication/region.ts';
import type { Op } from '../crdt/replication/store.ts';
import { vvMerge } from '../crdt/version-vector.ts';
import { KvClient } from '../kv/client.ts';
import type { ClientRequest as EscrowRequest } from '../escrow/host.ts';
import type { ClientReply as EscrowReply } from '../escrow/types.ts';
import { cartKey, orderEntry, ORDERS_KEY, versionFlagKey, type AppReply, type AppRequest, type CartToken, type PlatformBug, type VersionFlag } from './types.ts';

export interface AppServerOptions {
  region: string;
  /** The region's CRDT replica and escrow replica. */
  crdt: string;
  escrow: string;
  /** The config store's servers (the version flag is read there at boot). */
  configServers: readonly string[];
  /** The flag this incarnation starts with without reading (the deployed config), or null: read it. */
  deployedVersion: () => { version: number; rev: number } | null;
  /** The orchestrator's version for this server (used only by the deploy-before-flag bug). */
  orchestratorVersion: () => number;
  /** The incarnation starts serving `version`, read from the store at revision `rev` (asked at `askedAt`); rev null: not read from the store. */
  onVersion: (version: number, rev: number | null, askedAt: number) => void;
  /** An escrow request of this kind was answered `ns` after it was first sent (retries included). */
  onEscrow?: (kind: 'hold' | 'confirm', ns: number) => void;
  /** The escrow answered `req` with `reply` (each answer, retries included): for the escrow's reply checks. */
  onEscrowReply?: (req: EscrowRequest, reply: EscrowReply) => void;
  /** How long a confirm may keep retrying (the hold's lifetime). */
  confirmDeadlineNs: Nanos;
  /** Mean of the payment step between the hold and its confirm (exponential). */
  paymentMeanNs: Nanos;
  bug: PlatformBug;
}

export interface AppServerProgram extends NodeProgram {
  /** The version this incarnation runs (null until its flag is read). */
  readonly version: number | null;
  served: number;
}

type Gen<T> = Generator<Future<unknown>, T, unknown>;

export function appServer(ctx: NodeContext, o: AppServerOptions): AppServerProgram {
  let version: number | null = null;
  let serial = 0;
  const prog: AppServerProgram = { get version() { return version; }, served: 0, onMessage };
  const run = (v: number, rev: number | null, askedAt: number): void => {
    version = v;
    o.onVersion(v, rev, askedAt);
  };
  const deployed = o.deployedVersion();
  // BUG (deploy-before-flag): run the version the orchestrator was handed, whatever the store says.
  if (o.bug === 'deploy-before-flag') run(o.orchestratorVersion(), null, ctx.now());
  else if (deployed !== null) run(deployed.version, deployed.rev, 0);
  else
    ctx.spawn('version-flag', (function* () {
      const kc = new KvClient(ctx, { servers: o.configServers, clientId: `${ctx.id}-flag`, maxAttempts: 4, attemptTimeoutNs: ms(500) });
      for (;;) {
        const askedAt = ctx.now();
        const r = yield* kc.read({ op: 'get', key: versionFlagKey(ctx.id) });
        if (r.ok && r.value.op === 'get' && r.value.value !== null) return run((JSON.parse(r.value.value) as VersionFlag).version, r.value.rev, askedAt);
        yield ctx.sleep(ms(100));
      }
    })());

  function* crdt(req: CrdtRequest, attempts = 4): Gen<CrdtReply | null> {
    for (let a = 0; a < attempts; a++) {
      const r = (yield ctx.call<CrdtReply>(o.crdt, req, ms(200))) as CallResult<CrdtReply>;
      if (r.ok && r.body.type !== 'stale') return r.body;
      if (a + 1 < attempts) ctx.probe('platform:crdt-request-retried');
      yield ctx.sleep(ms(30));
    }
    return null;
  }

  /** One CRDT op; `id` names it for the replica's exactly-once table (default: a fresh one-op client). */
  function* op(opn: Op, token: OpVector, id?: { client: string; req: number }): Gen<OpVector | null> {
    const r = yield* crdt({ type: 'op', op: opn, client: id?.client ?? `${ctx.id}#${ctx.rng.int(0, 1e9)}`, req: id?.req ?? 1, token });
    if (r === null || r.type !== 'op-ok') return null;
    return vvMerge(vvMerge(token, r.deps !== undefined ? new Map(r.deps) : r.past), new Map([[r.origin, r.seq]]));
  }

  function* escrow(req: EscrowRequest, deadlineNs: Nanos): Gen<EscrowReply | null> {
    const t0 = ctx.now();
    const until = t0 + deadlineNs;
    while (ctx.now() < until) {
      const r = (yield ctx.call<EscrowReply>(o.escrow, req, ms(300))) as CallResult<EscrowReply>;
      if (r.ok) {
        o.onEscrowReply?.(req, r.body);
        if (req.type === 'hold' || req.type === 'confirm') o.onEscrow?.(req.type, ctx.now() - t0);
        return r.body;
      }
    }
    return null;
  }

  function* cart(req: Extract<AppRequest, { type: 'cart' }>): Gen<AppReply> {
    const t = yield* op({ kind: req.op, key: cartKey(req.user), elem: req.item }, new Map(req.token), { client: `cart:${req.user}`, req: req.seq });
    return t === null ? { type: 'refused', reason: 'unavailable' } : { type: 'cart-ok', token: [...t.entries()] };
  }

  function* checkout(req: Extract<AppRequest, { type: 'checkout' }>): Gen<AppReply> {
    // BUG (checkout-always-sold-out): a shop that sells nothing, and so never sells wrongly.
    if (o.bug === 'checkout-always-sold-out') return { type: 'refused', reason: 'sold-out' };
    let token: OpVector = new Map(req.token);
    const read = yield* crdt({ type: 'read', key: cartKey(req.user), token: o.bug === 'cart-read-ignores-token' ? new Map() : token }, 6);
    if (read === null || read.type !== 'read-ok' || read.value.kind !== 'set') return { type: 'refused', reason: 'unavailable' };
    const items = [...read.value.value].sort();
    if (items.length === 0) return { type: 'refused', reason: 'empty' };
    const resId = o.bug === 'checkout-retry-not-idempotent' ? `${req.orderId}.${ctx.id}.${++serial}` : req.orderId;
    const hold = yield* escrow({ type: 'hold', reservationId: resId, count: items.length }, ms(1500));
    if (hold === null) return { type: 'refused', reason: 'unavailable' };
    if (!hold.ok && hold.code !== 'duplicate-reservation') return { type: 'refused', reason: 'sold-out' };
    // A retry of a checkout whose first attempt got the hold: finish that order (its items were
    // read then; the cart may have changed since), take nothing more from the cart.
    const retry = !hold.ok;
    if (retry) ctx.probe('platform:checkout-retry-finishes-order');
    const payment = Math.round(ctx.rng.exponential(o.paymentMeanNs));
    if (o.bug === 'order-before-escrow-confirm') {
      // BUG: payment and confirm run in the background; the order is recorded and answered at
      // once, before the escrow has made the sale durable (or refused it: the hold may expire).
      ctx.spawn('confirm', (function* () {
        yield ctx.sleep(payment);
        yield* escrow({ type: 'confirm', reservationId: resId }, o.confirmDeadlineNs);
      })());
    } else {
      yield ctx.sleep(payment);
      const conf = yield* escrow({ type: 'confirm', reservationId: resId }, o.confirmDeadlineNs);
      if (conf === null || !conf.ok) return { type: 'refused', reason: 'unavailable' };
    }
    const t = yield* op({ kind: 'add', key: ORDERS_KEY, elem: orderEntry(req.orderId, resId) }, token);
    if (t === null) return { type: 'refused', reason: 'unavailable' };
    token = t;
    if (retry) return { type: 'confirmed', orderId: req.orderId, items: [], token: [...token.entries()] };
    for (const it of items) {
      const t2 = yield* op({ kind: 'remove', key: cartKey(req.user), elem: it }, token);
      if (t2 !== null) token = t2;
    }
    return { type: 'confirmed', orderId: req.orderId, items, token: [...token.entries()] };
  }

  function onMessage(env: Envelope): void {
    const req = env.body as AppRequest;
    if (env.rpcId === undefined) return;
    if (req.type === 'health') return ctx.reply(env, version === null ? ({ type: 'health', ok: false } satisfies AppReply) : ({ type: 'health', ok: true, version } satisfies AppReply));
    if (version === null) return ctx.reply(env, { type: 'refused', reason: 'unavailable' } satisfies AppReply);
    ctx.spawn(`${req.type}`, (function* () {
      const reply = req.type === 'cart' ? yield* cart(req) : yield* checkout(req);
      prog.served++;
      ctx.reply(env, reply);
    })());
  }

  return prog;
}
