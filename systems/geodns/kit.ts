/**
 * GeoDNS kit (one door a system): `addGeoDns(w, o)` adds the authoritative server node, which
 * also runs the health monitors (one probe per region every `probeNs`, to the region's entry
 * point) and takes evacuated regions from a caller-supplied source (the platform reads them from
 * the config store). Clients resolve with `resolve(ctx, handle, home)`. Failover times (a
 * region's failure to its removal from answers) are measured from the monitors' transitions.
 */
import type { CallResult, NodeContext, NodeId, NodeProgram } from '../../sim/node.ts';
import type { Future } from '../../sim/process.ts';
import type { World } from '../../sim/scenario.ts';
import { ms, type Nanos } from '../../sim/time.ts';
import { byDistance, GeoDnsState, type DnsAnswer, type GeoDnsOptions } from './geodns.ts';

export interface GeoDnsKitOptions extends GeoDnsOptions {
  /** Node id of the authoritative server. */
  id: NodeId;
  /** The node a region's health is probed at (its load balancer). */
  entryOf: (region: string) => NodeId;
  probeNs: Nanos;
  probeTimeoutNs: Nanos;
  /** Read each probe round: regions operators took out (e.g. from the config store). */
  evacuated?: (ctx: NodeContext) => Generator<Future<unknown>, string[] | null, unknown>;
  /** God's-eye hook: every answer, when it is made (for end-to-end checks). */
  onAnswer?: (home: string, a: DnsAnswer) => void;
}

export interface DnsQuery {
  type: 'dns-query';
  home: string;
}

export interface GeoDnsProgram extends NodeProgram {
  readonly state: GeoDnsState;
}

export interface GeoDnsHandle {
  id: NodeId;
  regions: readonly string[];
  /** The running server's state (null while it is down): for checks and figures. */
  state(): GeoDnsState | null;
  /** Health transitions seen, with the true time: region -> [{atNs, healthy}]. */
  readonly history: { region: string; healthy: boolean; atNs: Nanos }[];
}

/** A health probe's request; the entry point answers `{ ok: true }` when it is serving. */
export interface HealthProbe {
  type: 'health';
}

export function addGeoDns(w: World<unknown>, o: GeoDnsKitOptions): GeoDnsHandle {
  const history: GeoDnsHandle['history'] = [];
  const node = w.addNode(o.id, (ctx): GeoDnsProgram => {
    const state = new GeoDnsState(o);
    for (const r of o.regions)
      ctx.spawn(`monitor-${r}`, (function* () {
        for (;;) {
          yield ctx.sleep(o.probeNs);
          const res: CallResult<{ ok: boolean }> = yield ctx.call<{ ok: boolean }>(o.entryOf(r), { type: 'health' } satisfies HealthProbe, o.probeTimeoutNs);
          const ok = res.ok && res.body.ok;
          if (state.probe(r, ok)) {
            history.push({ region: r, healthy: ok, atNs: w.now });
            if (ok && w.phase === 'fault') ctx.probe('platform:geodns-region-back');
            ctx.log('geodns-health', `${r} ${ok ? 'back in' : 'out of'} the answers`);
          }
        }
      })());
    if (o.evacuated)
      ctx.spawn('evacuations', (function* () {
        for (;;) {
          yield ctx.sleep(o.probeNs);
          const ev = yield* o.evacuated!(ctx);
          if (ev !== null) state.setEvacuated(ev);
        }
      })());
    return {
      state,
      onMessage(env) {
        const q = env.body as DnsQuery;
        if (q.type !== 'dns-query' || env.rpcId === undefined || o.bugAnswerNothing === true) return;
        const a = state.answer(byDistance(o.regions, q.home));
        // Fail-open at boot (no balancer has its config yet) is expected; only the fault phase counts.
        if (a.eligible.length === 0 && w.phase === 'fault') ctx.probe('platform:geodns-fail-open');
        o.onAnswer?.(q.home, a);
        ctx.reply(env, a);
      },
    };
  });
  return { id: o.id, regions: o.regions, state: () => node.program?.state ?? null, history };
}

/** Asks the GeoDNS server for `home`'s region; null when it did not answer in time. */
export function* resolve(ctx: NodeContext, dns: GeoDnsHandle, home: string, timeoutNs: Nanos = ms(200)): Generator<Future<unknown>, DnsAnswer | null, unknown> {
  const r = (yield ctx.call<DnsAnswer>(dns.id, { type: 'dns-query', home } satisfies DnsQuery, timeoutNs)) as CallResult<DnsAnswer>;
  return r.ok ? r.body : null;
}

export { byDistance, DnsCache, GeoDnsState, type DnsAnswer, type GeoDnsOptions } from './geodns.ts';
