/**
 * A region's load balancer: Maglev (systems/lb) over the region's backends that are active in the
 * config store and pass its health checks. The backend set, drain flags and versions come from
 * the config store (`platform/backends`), re-read every `refreshNs` with a linearizable read; the
 * balancer remembers the revision it acts on and, when its last good read is older than
 * `staleBoundNs`, refuses new connections rather than act on a config it cannot vouch for (the
 * bound the drain invariant is stated with).
 *
 * It also answers GeoDNS health probes: healthy while it has a fresh config and a backend to send
 * to.
 */
import type { CallResult, Envelope, NodeContext, NodeId, NodeProgram } from '../../sim/node.ts';
import { ms, type Nanos } from '../../sim/time.ts';
import type { KvReply, KvRequest } from '../kv/protocol.ts';
import type { KvResult } from '../kv/types.ts';
import { buildMaglevTable, type MaglevTable } from '../lb/maglev.ts';
import { KEYS, type AppReply, type AppRequest, type BackendsConfig, type PlatformBug } from './types.ts';

export interface BalancerOptions {
  region: string;
  /** Config store servers; `localConfig` is the one in this region. */
  configServers: readonly NodeId[];
  localConfig: NodeId;
  refreshNs: Nanos;
  readTimeoutNs: Nanos;
  staleBoundNs: Nanos;
  healthNs: Nanos;
  fall: number;
  rise: number;
  bug: PlatformBug;
  /** God's-eye hooks: each linearizable read (for the linearizability checker), each new connection. */
  onRead?: () => (r: KvResult | null) => void;
  onForward: (lb: NodeId, backend: NodeId, rev: number) => void;
}

export interface BalancerProgram extends NodeProgram {
  /** The config revision acted on, or 0. */
  readonly rev: number;
  /** Serving: a fresh config and at least one backend to send to. */
  serving(): boolean;
  eligible(): string[];
  /** Why it is (not) serving, for liveness messages. */
  describe(): string;
}

export function balancerNode(ctx: NodeContext, o: BalancerOptions): BalancerProgram {
  let view: { rev: number; cfg: BackendsConfig; readAtNs: Nanos } | null = null;
  const health = new Map<string, { ok: boolean; fails: number; rises: number }>();
  let table: { key: string; t: MaglevTable } | null = null;

  const fresh = (): boolean => view !== null && ctx.now() - view.readAtNs <= o.staleBoundNs;
  const mine = (): string[] => (view === null ? [] : Object.keys(view.cfg.backends).filter((b) => view!.cfg.backends[b]!.region === o.region).sort());
  const eligible = (): string[] => (fresh() ? mine().filter((b) => view!.cfg.backends[b]!.state === 'active' && health.get(b)?.ok === true) : []);

  ctx.spawn('config', (function* () {
    let failed = false;
    for (;;) {
      const sentAt = ctx.now();
      const stale = o.bug === 'lb-stale-config-read';
      // BUG (lb-stale-config-read): a serializable read of the local replica, taken as fresh.
      // The local replica first (ReadIndex: it asks the leader), another one after a failure.
      const to = stale || !failed ? o.localConfig : ctx.rng.pick(o.configServers);
      const req: KvRequest = { type: 'kvRead', op: { op: 'get', key: KEYS.backends }, ...(stale ? { serializable: true } : {}) };
      const done = !stale && o.onRead ? o.onRead() : null;
      const r = (yield ctx.call<KvReply>(to, req, o.readTimeoutNs)) as CallResult<KvReply>;
      const ok = r.ok && r.body.type === 'kvReply' && r.body.ok ? r.body.result : null;
      failed = ok === null;
      done?.(ok);
      if (ok !== null && ok.op === 'get' && ok.value !== null) {
        const res = ok;
        if (view === null || res.rev >= view.rev || stale) {
          const cfg = JSON.parse(res.value!) as BackendsConfig;
          const prev = view;
          if (prev !== null && res.rev > prev.rev && Object.entries(cfg.backends).some(([b, e]) => e.region === o.region && e.state === 'draining' && prev.cfg.backends[b]?.state !== 'draining')) ctx.probe('platform:lb-new-config-drain');
          view = { rev: res.rev, cfg, readAtNs: sentAt };
        } else {
          ctx.probe('platform:lb-older-config-ignored');
          ctx.log('config-older', `read rev ${res.rev} from ${to}, acting on ${view.rev}`);
        }
      } else ctx.log('config-read-failed', `${to}: ${r.ok ? JSON.stringify(r.body).slice(0, 80) : 'timeout'}`);
      yield ctx.sleep(o.refreshNs);
    }
  })());

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
    if (env.rpcId === undefined) return;
    if (req.type === 'health') return ctx.reply(env, { type: 'health', ok: eligible().length > 0 } satisfies AppReply);
    if (!fresh()) {
      if (view !== null) ctx.probe('platform:lb-refused-config-stale');
      return ctx.reply(env, { type: 'refused', reason: 'config-stale' } satisfies AppReply);
    }
    const b = pick(req.user);
    if (b === undefined) return ctx.reply(env, { type: 'refused', reason: 'no-backend' } satisfies AppReply);
    o.onForward(ctx.id, b, view!.rev);
    ctx.spawn('fwd', (function* () {
      const r = (yield ctx.call<AppReply>(b, req, ms(2500))) as CallResult<AppReply>;
      ctx.reply(env, r.ok ? r.body : ({ type: 'refused', reason: 'timeout' } satisfies AppReply));
    })());
  }

  return {
    get rev() {
      return view?.rev ?? 0;
    },
    serving: () => eligible().length > 0,
    eligible,
    describe: () =>
      view === null
        ? 'no config read yet'
        : `config rev ${view.rev} read ${((ctx.now() - view.readAtNs) / 1e6).toFixed(0)} ms ago (bound ${(o.staleBoundNs / 1e6).toFixed(0)} ms); backends ${mine().map((b) => `${b}:${view!.cfg.backends[b]!.state}/${health.get(b)?.ok === true ? 'healthy' : 'unhealthy'}`).join(' ') || 'none in this region'}`,
    onMessage,
  };
}
