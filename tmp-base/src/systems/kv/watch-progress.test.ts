/**
 * The config store's linearizable watch progress (`watchProgress`) and its deployed keys
 * (`initial`): what the platform's balancers rely on to vouch for the config they act on.
 */
import { describe, expect, it } from 'vitest';
import { faultParams } from '../../sim/nemesis.ts';
import type { CallResult } from '../../sim/node.ts';
import { sleep } from '../../sim/process.ts';
import { runScenario } from '../../sim/runner.ts';
import { defineScenario } from '../../sim/scenario.ts';
import { ms, sec } from '../../sim/time.ts';
import { KvClient } from './client.ts';
import { addConfigStore, raftParams } from './kit.ts';
import type { KvReply, KvRequest, WatchMessage } from './protocol.ts';
import { KvStore } from './store.ts';
import { KvWatch } from './watch-client.ts';

describe('a store deployed with initial keys', () => {
  it('starts every replica from the same state, before the first log entry', () => {
    const s = KvStore.restore(KvStore.seeded({ b: '2', a: '1' }));
    expect(s.rev).toBe(2);
    expect(s.read({ op: 'get', key: 'a' })).toMatchObject({ value: '1', version: 1, modRev: 1 });
    expect(s.read({ op: 'get', key: 'b' })).toMatchObject({ value: '2', version: 1, modRev: 2 });
    // No history below the deployed revision: a watch from there is told "compacted".
    expect(s.eventsFrom(1, 'a', false)).toBe('compacted');
    expect(s.eventsFrom(3, 'a', false)).toEqual([]);
  });
});

/**
 * Three servers; a writer changes key `k` every 100 ms; a watcher follows `k` on `cfg3` and asks
 * it for progress every 150 ms. From 1.5 s to 3 s `cfg3` is cut from the other servers (not from
 * the watcher): its progress requests must fail then (it cannot confirm a read point), and every
 * confirmed progress must cover every write acknowledged before the request was sent.
 */
const scn = defineScenario({
  name: 'kv-watch-progress',
  description: 'linearizable watch progress on a replica, cut and healed',
  params: { ...raftParams({ nodes: 3, durationS: 4, maxOps: 0 }), ...faultParams() },
  durationNs: sec(4),
  setup(w, p) {
    const c = addConfigStore(w, { ...p, nodes: 3 }, { prefix: 'cfg', workload: false, initial: { k: 'v0' }, liveness: false });
    let acked = 0;
    const out = { confirmed: 0, failed: 0, failedWhileCut: 0, confirmedWhileCut: 0, behind: 0, delivered: 0 };
    let cut = false;
    w.addClient('writer', function* (ctx) {
      const kc = new KvClient(ctx, { servers: c.ids, clientId: 'writer', attemptTimeoutNs: ms(300) });
      for (let i = 1; w.phase === 'fault'; i++) {
        const r = yield* kc.write({ op: 'put', key: 'k', value: `v${i}` });
        if (r.ok) acked = Math.max(acked, r.value.rev);
        yield ctx.sleep(ms(100));
      }
    });
    let watch: KvWatch | null = null;
    w.addNode('watcher', (ctx) => {
      ctx.spawn('main', (function* () {
        const wt = new KvWatch(ctx, { servers: ['cfg3'], first: 'cfg3', key: 'k', prefix: false, fromRev: 2, nextWatchId: () => ctx.rng.int(1, 2 ** 30), onEvents: (evs) => (out.delivered += evs.length), onCompacted: () => undefined });
        watch = wt;
        ctx.spawn('watch', wt.run());
        while (w.phase === 'fault') {
          yield ctx.sleep(ms(150));
          const before = acked;
          const wasCut = cut;
          const r = (yield ctx.call<KvReply>('cfg3', { type: 'watchProgress', watchId: wt.id } satisfies KvRequest, ms(400))) as CallResult<KvReply>;
          if (r.ok && r.body.type === 'watchProgressReply' && r.body.ok) {
            out.confirmed++;
            if (wasCut && cut) out.confirmedWhileCut++;
            if (r.body.rev < before) out.behind++;
          } else {
            out.failed++;
            if (wasCut && cut) out.failedWhileCut++;
          }
        }
      })());
      return {
        onMessage(env) {
          const m = env.body as WatchMessage;
          if (m.type === 'watchBatch' || m.type === 'watchCompacted') watch?.handle(m);
        },
      };
    }, { kind: 'client' });
    w.nemesis('cut-cfg3', (function* () {
      yield sleep(w.sim, ms(1500));
      for (const o of ['cfg1', 'cfg2']) w.net.cut('cfg3', o);
      cut = true;
      yield sleep(w.sim, ms(1500));
      cut = false;
      for (const o of ['cfg1', 'cfg2']) w.net.uncut('cfg3', o);
    })());
    w.metrics.progress = out;
  },
});

describe('watchProgress (a linearizable progress request on a watch)', () => {
  it('confirms a revision covering every acknowledged write, and cannot confirm from a replica cut from the others', () => {
    const r = runScenario(scn, { seed: 1, swarm: false, buggify: false, pins: { netLossRate: 0, netDuplicateRate: 0, netReorderRate: 0, crashMsMean: 0, partitionMsMean: 0, diskWriteErrorRate: 0, diskReadErrorRate: 0, diskFullMsMean: 0, diskSlowMsMean: 0, clockJumpMsMean: 0, clockDriftChangeMsMean: 0, directedCrashAfterTermChangeProbability: 0, directedCrashAfterVoteProbability: 0, directedIsolateAfterRoleChangeProbability: 0, directedPartitionAfterCommitProbability: 0, directedCrashAfterCompactionProbability: 0 } });
    const p = r.metrics.progress as Record<string, number>;
    expect(r.violations).toEqual([]);
    expect(r.outcome).toBe('pass');
    expect(p.delivered).toBeGreaterThan(5);
    expect(p.confirmed).toBeGreaterThan(5);
    expect(p.behind).toBe(0);
    expect(p.failedWhileCut).toBeGreaterThan(2);
    expect(p.confirmedWhileCut).toBe(0);
  });
});
