/**
 * A region's load balancer: Maglev (systems/lb) over the region's backends that are active in the
 * config store and pass its health checks. The backend set, drain flags and versions come from
 * the config store (`platform/backends`) by watch: one linearizable read to start (the value and
 * the store revision it was read at), then a watch from the next revision, so a drain reaches the
 * balancer as soon as its region's replica applies it (the watch propagation delay, measured).
 *
 * The balancer acts on the revision its watch has delivered through, and vouches for it with a
 * linearizable progress request (`watchProgress`: the watching replica confirms a read point and
 * answers with the revision it confirmed) every `refreshNs`. When its last confirmed progress was
 * sent more than `staleBoundNs` ago, it refuses new connections rather than act on a config it
 * cannot vouch for (the bound the drain invariant is stated with). A replica that cannot confirm
 * (cut from the leader, down) is left for another (the watch moves on); a compacted watch or a
 * restarted balancer starts over with a read.
 *
 * It also answers GeoDNS health probes: healthy while it has a fresh config and a backend to send
 * to.
 */
import type { CallResult, Envelope, NodeContext, NodeId, NodeProgram } from '../../sim/node.ts';
import type { Future } from '../../sim/process.ts';
import { ms, type Nanos } from '../../sim/time.ts';
import type { KvReply, KvRequest, WatchMessage } from '../kv/protocol.ts';
import type { KvResult } from '../kv/types.ts';
import { KvWatch } from '../kv/watch-client.ts';
import { buildMaglevTable, type MaglevTable } from '../lb/maglev.ts';
import { KEYS, type AppReply, type AppRequest, type BackendsConfig, type PlatformBug } from './types.ts';

export interface BalancerOptions {
  region: string;
  /** Config store servers; `localConfig` is the one in this region. */
  configServers: readonly NodeId[];
  localConfig: NodeId;
  /** How often the balancer confirms its watch's progress (a linearizable progress request). */
  refreshNs: Nanos;
  readTimeoutNs: Nanos;
  staleBoundNs: Nanos;
  healthNs: Nanos;
  fall: number;
  rise: number;
  bug: PlatformBug;
  /** God's-eye hooks: each linearizable read (for the linearizability checker), each new connection, each config revision taken in (watch propagation). */
  onRead?: () => (r: KvResult | null) => void;
  onForward: (lb: NodeId, backend: NodeId, rev: number) => void;
  onConfig?: (lb: NodeId, rev: number) => void;
  /**
   * The config the platform was deployed with, for the first incarnation only: the store's state
   * at time 0 (revision `rev`), so the balancer starts with it, current as of its start, and
   * watches from the next revision. A restarted balancer starts with a read instead.
   */
  deployed?: { rev: number; modRev: number; value: string } | null;
}

export interface BalancerProgram extends NodeProgram {
  /** The config revision acted on (the watch has delivered every change through it), or 0. */
  readonly rev: number;
  /** Serving: a fresh config and at least one backend to send to. */
  serving(): boolean;
  eligible(): string[];
  /** Why it is (not) serving, for liveness messages. */
  describe(): string;
  /** Whether its config watch has given up its stream and wants to watch again (KvWatch.rewatchDue; false without a watch). */
  readonly rewatchDue: boolean;
}

export function balancerNode(ctx: NodeContext, o: BalancerOptions): BalancerProgram {
  /** `rev`: the store revision the view is current through; `freshAt`: local time a confirmation of it was asked. */
  let view: { rev: number; modRev: number; cfg: BackendsConfig; freshAt: Nanos } | null = null;
  const health = new Map<string, { ok: boolean; fails: number; rises: number }>();
  let table: { key: string; t: MaglevTable } | null = null;
  let watch: KvWatch | null = null;
  /** A confirmed progress whose revision the stream had not delivered yet: (asked at, revision). */
  let pending: { at: Nanos; rev: number } | null = null;
  const stale = o.bug === 'lb-stale-config-read';

  const fresh = (): boolean => view !== null && ctx.now() - view.freshAt <= o.staleBoundNs;
  const mine = (): string[] => (view === null ? [] : Object.keys(view.cfg.backends).filter((b) => view!.cfg.backends[b]!.region === o.region).sort());
  const eligible = (): string[] => (fresh() ? mine().filter((b) => view!.cfg.backends[b]!.state === 'active' && health.get(b)?.ok === true) : []);

  /** Acts on `value` (the backend config last changed at `modRev`), current through store revision `rev`. */
  const take = (rev: number, value: string | null, modRev: number): void => {
    const cfg: BackendsConfig = value === null ? { token: 0, backends: {} } : (JSON.parse(value) as BackendsConfig);
    const prev = view;
    if (prev !== null && rev > prev.rev && Object.entries(cfg.backends).some(([b, e]) => e.region === o.region && e.state === 'draining' && prev.cfg.backends[b]?.state !== 'draining')) ctx.probe('platform:lb-new-config-drain');
    view = { rev, modRev, cfg, freshAt: prev?.freshAt ?? -Infinity };
    if (prev === null || modRev > prev.modRev) o.onConfig?.(ctx.id, modRev);
    view.modRev = modRev;
  };
  const confirm = (at: Nanos, rev: number): void => {
    if (view === null || watch === null) return;
    if (watch.through >= rev) {
      if (at > view.freshAt) view.freshAt = at;
      if (pending !== null && pending.rev <= watch.through) pending = null;
    } else if (pending === null || rev >= pending.rev) pending = { at, rev };
  };

  ctx.spawn('config', (function* () {
    let failed: NodeId | null = null;
    for (let first = true; ; first = false) {
      if (stale) {
        // BUG (lb-stale-config-read): instead of following the watch, re-read the local replica
        // with a serializable read (fast, possibly stale or even older than the last one) and
        // take whatever it answers as current.
        const r = (yield ctx.call<KvReply>(o.localConfig, { type: 'kvRead', op: { op: 'get', key: KEYS.backends }, serializable: true } satisfies KvRequest, o.readTimeoutNs)) as CallResult<KvReply>;
        const got = r.ok && r.body.type === 'kvReply' && r.body.ok ? r.body.result : null;
        if (got !== null && got.op === 'get' && got.value !== null) {
          view = null;
          take(got.rev, got.value, got.modRev);
          view!.freshAt = ctx.now();
        }
        yield ctx.sleep(o.refreshNs);
        continue;
      }
      if (first && o.deployed) {
        take(o.deployed.rev, o.deployed.value, o.deployed.modRev);
        view!.freshAt = ctx.now();
        yield* follow(o.deployed.rev);
        continue;
      }
      // Start (or start over): a linearizable read of the value and the revision it was read at.
      // The local replica first (ReadIndex: it asks the leader), another one after a failure.
      const others = o.configServers.filter((x) => x !== failed);
      const to: NodeId = failed === null ? o.localConfig : ctx.rng.pick(others.length > 0 ? others : o.configServers);
      const sentAt = ctx.now();
      const done = o.onRead?.();
      const r = (yield ctx.call<KvReply>(to, { type: 'kvRead', op: { op: 'get', key: KEYS.backends } } satisfies KvRequest, o.readTimeoutNs)) as CallResult<KvReply>;
      const ok = r.ok && r.body.type === 'kvReply' && r.body.ok ? r.body.result : null;
      done?.(ok);
      if (ok === null || ok.op !== 'get' || ok.value === null) {
        failed = ok === null ? to : null;
        ctx.log('config-read-failed', `${to}: ${r.ok ? JSON.stringify(r.body).slice(0, 80) : 'timeout'}`);
        yield ctx.sleep(o.refreshNs);
        continue;
      }
      failed = null;
      if (view !== null) ctx.probe('platform:lb-config-resync');
      take(ok.rev, ok.value, ok.modRev);
      view!.freshAt = sentAt;
      yield* follow(ok.rev);
    }
  })());

  /** Watches the config from revision `rev` + 1 and confirms its progress, until the watch ends (compacted). */
  function* follow(rev: number): Generator<Future<unknown>, void, unknown> {
    pending = null;
    // The watch, on this region's replica first.
    const w = new KvWatch(ctx, {
      servers: o.configServers, first: o.localConfig, key: KEYS.backends, prefix: false, fromRev: rev + 1,
      ...(o.bug === 'lb-rewatch-on-duplicate' ? { bug: 'rewatch-on-duplicate' as const } : {}),
      nextWatchId: () => ctx.rng.int(1, 2 ** 30),
      onEvents: (events, upTo) => {
        const last = events.filter((e) => e.key === KEYS.backends).pop();
        if (last !== undefined) take(upTo, last.type === 'put' ? last.value : null, last.rev);
        else if (view !== null && upTo > view.rev) view.rev = upTo;
        if (pending !== null) confirm(pending.at, pending.rev);
      },
      onCompacted: () => ctx.probe('platform:lb-watch-compacted'),
    });
    watch = w;
    ctx.spawn('watch', w.run());
    while (w.state === 'watching') {
      yield ctx.sleep(o.refreshNs);
      if (w.state !== 'watching' || w.server === null) continue;
      const at = ctx.now();
      const server = w.server;
      const pr = (yield ctx.call<KvReply>(server, { type: 'watchProgress', watchId: w.id } satisfies KvRequest, o.readTimeoutNs)) as CallResult<KvReply>;
      if (pr.ok && pr.body.type === 'watchProgressReply' && pr.body.ok) confirm(at, pr.body.rev);
      else if (w.server === server) {
        // This replica cannot vouch for its stream (cut from the leader, down, lost the watch).
        ctx.log('config-progress-failed', `${server}: ${pr.ok ? JSON.stringify(pr.body).slice(0, 80) : 'timeout'}`);
        ctx.probe('platform:lb-watch-moved-on');
        w.moveOn();
      }
    }
    watch = null;
  }

  ctx.spawn('health', (function* () {
    for (;;) {
      yield ctx.sleep(o.healthNs);
      for (const b of mine()) {
        const r = (yield ctx.call<AppReply>(b, { type: 'health' } satisfies AppRequest, ms(80))) as CallResult<AppReply>;
        const ok = r.ok && r.body.type === 'health' && r.body.ok;
        const h = health.get(b) ?? { ok: false, fails: 0, rises: 0 };
        if (ok) {
          h.fails = 0;
          if (!h.ok && ++h.rises >= o.rise) h.ok = true;
        } else {
          h.rises = 0;
          if (h.ok && ++h.fails >= o.fall) h.ok = false;
        }
        health.set(b, h);
      }
    }
  })());

  function pick(user: string): string | undefined {
    const el = eligible();
    if (el.length === 0) return undefined;
    const key = el.join(',');
    if (table === null || table.key !== key) table = { key, t: buildMaglevTable(el.map((b) => ({ key: b })), { tableSize: 251 }) };
    return table.t.lookupKey(user);
  }

  function onMessage(env: Envelope): void {
    const req = env.body as AppRequest;
    if (env.rpcId === undefined) {
      const m = env.body as WatchMessage;
      if (m.type === 'watchBatch' || m.type === 'watchCompacted') watch?.handle(m);
      return;
    }
    if (req.type === 'health') return ctx.reply(env, { type: 'health', ok: eligible().length > 0 } satisfies AppReply);
    if (!fresh()) {
      if (view !== null) ctx.probe('platform:lb-refused-config-stale');
      return ctx.reply(env, { type: 'refused', reason: view === null ? 'no-config' : 'config-stale' } satisfies AppReply);
    }
    const b = pick(req.user);
    if (b === undefined) return ctx.reply(env, { type: 'refused', reason: 'no-backend' } satisfies AppReply);
    o.onForward(ctx.id, b, view!.rev);
    ctx.spawn('fwd', (function* () {
      const r = (yield ctx.call<AppReply>(b, req, req.type === 'checkout' ? ms(2500) : ms(900))) as CallResult<AppReply>;
      ctx.reply(env, r.ok ? r.body : ({ type: 'refused', reason: 'timeout' } satisfies AppReply));
    })());
  }

  return {
    get rev() {
      return view?.rev ?? 0;
    },
    get rewatchDue() {
      return watch?.rewatchDue ?? false;
    },
    serving: () => eligible().length > 0,
    eligible,
    describe: () =>
      view === null
        ? 'no config read yet'
        : `config rev ${view.rev} confirmed ${((ctx.now() - view.freshAt) / 1e6).toFixed(0)} ms ago (bound ${(o.staleBoundNs / 1e6).toFixed(0)} ms); backends ${mine().map((b) => `${b}:${view!.cfg.backends[b]!.state}/${health.get(b)?.ok === true ? 'healthy' : 'unhealthy'}`).join(' ') || 'none in this region'}`,
    onMessage,
  };
}
