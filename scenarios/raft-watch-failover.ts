/**
 * raft-watch-failover: clients watch a key or a prefix from a revision (the first, a past one, or
 * the next) while the register workload writes, and the nemesis crashes, isolates or pauses the
 * leader over lossy, duplicating, reordering links. A watch survives a failover by re-watching
 * another server from the revision after the last one it delivered; a short watch history
 * (`historyRevs`) and watches from old revisions force "compacted" answers, after which the client
 * re-reads and watches again from the revision it read (etcd's recipe).
 *
 * Checked against the revisions actually applied (invariants/raft/watch.ts): per watch FIFO, no
 * duplicates, no gaps, no phantom events, compacted only when really compacted; after the faults
 * stop, every watch catches up with the newest revision.
 */
import type { NodeId } from '../sim/node.ts';
import { param } from '../sim/params.ts';
import { sleep } from '../sim/process.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { awaitLeader, raftParams, setupRaftCluster, type RaftCluster } from '../systems/kv/kit.ts';
import { WatchChecker, type WatchSpec } from '../invariants/raft/watch.ts';
import { RewatchJudge } from '../invariants/raft/watch-rewatch.ts';
import { KvClient } from '../systems/kv/client.ts';
import type { WatchMessage } from '../systems/kv/protocol.ts';
import { KvWatch, WATCH_CLIENT_BUGS, type WatchClientBug } from '../systems/kv/watch-client.ts';
import type { World } from '../sim/scenario.ts';

export default defineScenario({
  name: 'raft-watch-failover',
  description: 'Raft store: watches (key, prefix, from a revision) survive leader crashes and isolation; compacted answers',
  params: {
    ...raftParams({ durationS: 6, opMsMean: 40 }),
    watchers: param.int({ doc: 'number of watching clients', default: 3, min: 1, max: 16, swarm: [2, 4] }),
    historyRevs: param.int({ doc: 'watch history each server keeps (revisions); small values force compaction', default: 50, min: 1, max: 100_000, swarm: [4, 120] }),
    watchMsMean: param.float({ doc: 'mean lifetime of one watch before the client starts another (ms)', default: 1500, min: 1, max: 1e7, swarm: [300, 3000] }),
    strikeMsMean: param.float({ doc: 'mean time between strikes on the leader (ms)', default: 700, min: 1, max: 1e7, swarm: [300, 2000] }),
    netLossRate: param.float({ doc: 'probability that a message is lost', default: 0.01, min: 0, max: 1, swarm: [0, 0.05], swarmOffProbability: 0.3 }),
    netDuplicateRate: param.float({ doc: 'probability that a message is delivered twice', default: 0.01, min: 0, max: 1, swarm: [0, 0.05], swarmOffProbability: 0.3 }),
    netReorderRate: param.float({ doc: 'probability that a message skips FIFO order', default: 0.01, min: 0, max: 1, swarm: [0, 0.05], swarmOffProbability: 0.3 }),
    bug: param.enum(WATCH_CLIENT_BUGS, { doc: 'bug-zoo variant of the watch client', default: 'none' }),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: sec(20),
  setup(w, p) {
    const c = setupRaftCluster(w, { ...p, bug: 'none' }, { historyRevs: p.historyRevs });
    const checker = new WatchChecker((inv, msg) => w.violation(inv, msg), p.historyRevs);
    c.kvHooks.push({ onApply: (...a) => checker.onApply(...a) });
    w.net.setDefaults({ lossRate: p.netLossRate, duplicateRate: p.netDuplicateRate, reorderRate: p.netReorderRate, reorderDelayNsMax: ms(2) });

    const watches: (KvWatch | null)[] = [];
    const retired = { rewatches: 0 };
    // A re-watch only after a batch the network really lost or reordered (the duplicates above).
    const rewatch = new RewatchJudge(w);
    for (let i = 0; i < p.watchers; i++) addWatcher(w, c, checker, rewatch, watches, retired, i, p);

    w.liveness('watches-caught-up', () => {
      const l = c.leader();
      if (!l) return 'no leader';
      for (let i = 0; i < watches.length; i++) if (watches[i]?.state !== 'watching') return `watcher w${i + 1} has no open watch`;
      return checker.lagging(l.program!.store.rev) ?? true;
    });
    w.onHeal(() => {
      // Re-watches beyond each watch's first: failovers, stalls and broken chains.
      const rewatches = retired.rewatches + watches.reduce((a, x) => a + (x?.rewatches ?? 0), 0);
      w.metrics.watch = { ...checker.stats, failovers: rewatches - checker.stats.opened, revisions: checker.maxRev };
    });

    const rng = w.rng('watch-nemesis');
    w.nemesis('strike-leader', (function* () {
      for (;;) {
        yield sleep(w.sim, Math.max(ms(1), Math.round(rng.exponential(ms(p.strikeMsMean)))));
        const l = yield* awaitLeader(w, c);
        if (l === undefined) continue;
        const away = ms(rng.int(50, 1200));
        const shape = rng.int(0, 2);
        if (shape === 0) {
          l.crash(rng.chance(0.5) ? 'torn' : 'all');
          yield sleep(w.sim, away);
          if (l.state === 'down') l.start();
        } else if (shape === 1) {
          w.net.isolate(l.id);
          yield sleep(w.sim, away);
          w.net.heal();
        } else {
          l.pause(away);
          yield sleep(w.sim, away);
        }
      }
    })());
  },
});

interface WatchParams {
  keys: number;
  historyRevs: number;
  watchMsMean: number;
  bug: WatchClientBug;
}

/** A client that keeps one watch open at a time, on a key or prefix, starting anew now and then. */
function addWatcher(w: World<unknown>, c: RaftCluster, checker: WatchChecker, rewatch: RewatchJudge, watches: (KvWatch | null)[], retired: { rewatches: number }, i: number, p: WatchParams): void {
  const name: NodeId = `w${i + 1}`;
  watches.push(null);
  let watchIds = 0;
  w.addNode(name, (ctx) => {
    ctx.spawn('main', (function* () {
      const kc = new KvClient(ctx, { servers: c.ids, clientId: name, attemptTimeoutNs: ms(300) });
      let seg = 0;
      let resync: WatchSpec | null = null;
      for (;;) {
        const rng = ctx.rng;
        const k = `k${rng.int(0, p.keys - 1)}`;
        const roll = rng.next();
        const spec: WatchSpec = resync ?? (roll < 0.4 ? { key: k, prefix: false } : roll < 0.8 ? { key: 'k', prefix: true } : { key: k, prefix: true });
        // Where to start: the first revision, a past one (maybe compacted), or the next one.
        let fromRev = 1;
        const start = rng.next();
        if (resync !== null || w.phase !== 'fault' || start >= 0.2) {
          const r = yield* kc.read({ op: 'get', key: spec.key });
          if (!r.ok) continue;
          const rev = r.value.rev;
          fromRev = resync !== null || w.phase !== 'fault' || start < 0.6 ? rev + 1 : Math.max(1, rev + 1 - rng.int(0, 2 * p.historyRevs));
        }
        resync = null;
        const label = `${name}.${++seg}`;
        checker.open(label, spec, fromRev);
        const watch = new KvWatch(ctx, {
          servers: c.ids,
          key: spec.key,
          prefix: spec.prefix,
          fromRev,
          nextWatchId: () => ++watchIds,
          bug: p.bug,
          onEvents: (events, upTo) => checker.deliver(label, events, upTo),
          onCompacted: (from, compactRev) => checker.compacted(label, from, compactRev),
        });
        retired.rewatches += watches[i]?.rewatches ?? 0;
        watches[i] = watch;
        ctx.spawn(`watch${seg}`, watch.run());
        const lifeNs = Math.round(rng.exponential(ms(p.watchMsMean)));
        const bornNs = ctx.now();
        while (watch.state === 'watching') {
          yield ctx.sleep(ms(50));
          if (w.phase === 'fault' && ctx.now() - bornNs > lifeNs) {
            watch.close();
            checker.close(label);
          }
        }
        // Compacted: re-read and watch again from the revision read (etcd's recipe).
        if (watch.state === 'compacted') resync = spec;
      }
    })());
    return {
      onMessage(env) {
        const m = env.body as WatchMessage;
        if (m.type !== 'watchBatch' && m.type !== 'watchCompacted') return;
        const watch = watches[i];
        if (watch === null || watch === undefined) {
          rewatch.arrived(name, m); // the judge follows the stream even when no client takes it
          return;
        }
        rewatch.deliver(name, m, () => watch.rewatchDue, () => watch.handle(m));
      },
    };
  }, { kind: 'client' });
}
