/**
 * The coordinated baseline: a front end relays each operation to the leader and back, so every
 * operation pays the WAN round trip; the leader alone holds the seats and cannot oversell.
 */
import { describe, expect, it } from 'vitest';
import { Simulation } from '../../sim/kernel.ts';
import { LAN } from '../../sim/network/network.ts';
import type { CallResult, NodeContext } from '../../sim/node.ts';
import { World } from '../../sim/scenario.ts';
import { ms, sec } from '../../sim/time.ts';
import { coordinatedFrontEnd, coordinatedLeaderConfig } from './baseline.ts';
import { escrowHost, type ClientRequest, type ClusterCounters } from './host.ts';
import type { ClientReply } from './types.ts';

const HOLD = { holdNs: sec(10), graceNs: ms(100), pendingTimeoutNs: sec(1), extendNs: sec(1), maxExtensions: 1 };
const WAN_NS = ms(20);

function world(body: (ctx: NodeContext, sim: Simulation, w: World) => Generator<unknown, void, unknown>) {
  const sim = new Simulation({ seed: 5, buggify: { enabled: false } });
  const w = new World(sim, {}, { ...LAN, latency: { kind: 'constant', ns: ms(1) } });
  const counters: ClusterCounters = { serverMessages: 0, transfers: 0 };
  const config = coordinatedLeaderConfig('leader', 3, HOLD, ms(50));
  w.addNode('leader', (ctx) => escrowHost(ctx, { config, initialTokens: 3, tickNs: ms(5), counters }));
  w.addNode('fe', (ctx) => coordinatedFrontEnd(ctx, { leader: 'leader', leaderTimeoutNs: ms(100), counters }));
  w.addClient('c', (ctx) => body(ctx, sim, w) as never);
  w.net.setLinkBoth('fe', 'leader', { latency: { kind: 'constant', ns: WAN_NS } });
  for (const n of w.nodes) n.start();
  return { sim, w, counters };
}

function* call(ctx: NodeContext, req: ClientRequest): Generator<unknown, CallResult<ClientReply>, unknown> {
  return (yield ctx.call<ClientReply>('fe', req, ms(300))) as CallResult<ClientReply>;
}

describe('coordinated baseline', () => {
  it('every operation is a round trip to the leader; the leader refuses what it does not have', () => {
    const seen: string[] = [];
    let holdLatencyNs = 0;
    const { sim, w, counters } = world(function* (ctx, sim) {
      yield ctx.sleep(ms(50));
      const t0 = sim.now;
      const a = yield* call(ctx, { type: 'hold', reservationId: 'a', count: 2 });
      holdLatencyNs = sim.now - t0;
      const b = yield* call(ctx, { type: 'hold', reservationId: 'b', count: 2 });
      const c = yield* call(ctx, { type: 'confirm', reservationId: 'a' });
      for (const r of [a, b, c]) seen.push(r.ok ? (r.body.ok ? `ok:${r.body.state}` : `no:${r.body.code}`) : 'timeout');
    });
    sim.run({ untilNs: sec(1) });
    expect(seen).toEqual(['ok:held', 'no:insufficient-tokens', 'ok:confirmed']);
    expect(holdLatencyNs).toBeGreaterThanOrEqual(2 * (ms(1) + WAN_NS));
    expect(counters.serverMessages).toBe(6); // three operations, each forwarded and answered
    const leader = w.node('leader').program as unknown as { seat: { snapshot(): { tokens: number } } };
    expect(leader.seat.snapshot().tokens).toBe(1);
  });

  it('with the leader down nobody can buy; after it restarts, sales resume from its disk', () => {
    const seen: string[] = [];
    const { sim } = world(function* (ctx, sim, w) {
      yield ctx.sleep(ms(50));
      yield* call(ctx, { type: 'hold', reservationId: 'a', count: 1 });
      w.node('leader').crash('all');
      const down = yield* call(ctx, { type: 'hold', reservationId: 'b', count: 1 });
      seen.push(down.ok ? 'answered' : 'timeout');
      w.node('leader').start();
      yield ctx.sleep(ms(10));
      const dup = yield* call(ctx, { type: 'hold', reservationId: 'a', count: 1 });
      seen.push(dup.ok && !dup.body.ok ? dup.body.code : 'other');
      void sim;
    });
    sim.run({ untilNs: sec(2) });
    expect(seen).toEqual(['timeout', 'duplicate-reservation']);
  });
});
