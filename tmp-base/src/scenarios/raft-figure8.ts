/**
 * raft-figure8: the schedule of Figure 8 of the Raft paper, as a directed nemesis, round after
 * round (5 servers, one entry per append so old-term entries travel apart from new ones):
 *
 *  (a) the leader L has just persisted a client entry X at index i: cut {L, F} from the rest, so X
 *      reaches at most one follower F;
 *  (b) the majority side elects L2, which writes its own entry at i; isolate L2 at once (from
 *      the same Ready, before it sends anything);
 *  (c) heal {L, F} with the rest but L2: L or F wins (its log ends with X) and re-replicates X;
 *  (d) the moment that leader's commit index advances, cut it off with F, and let L2 rejoin the
 *      other two. L2's last term is higher than X's, so L2 can win and overwrite index i.
 *
 * A correct Raft commits nothing at (d) until an entry of the new leader's own term is on a
 * majority, and then L2 cannot win. A Raft that commits X by counting replicas (the Figure 8
 * bug) loses a committed entry, which leader completeness catches when L2 is elected.
 */
import { param } from '../sim/params.ts';
import { sleep } from '../sim/process.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { raftParams, setupRaftCluster } from '../systems/kv/kit.ts';
import type { NodeId } from '../sim/node.ts';

type Stage = 'idle' | 'arm' | 'await-l2' | 'l2-cut' | 'await-commit' | 'struck';

export default defineScenario({
  name: 'raft-figure8',
  description: 'Raft: the paper\'s Figure 8 schedule as a directed nemesis (strike right after a commit advance)',
  // The probes this scenario exists to reach: a sweep in which no seed reaches one fails.
  mustReach: ['raft:prev-term-commit-deferred', 'raft:follower-truncates-suffix'],
  params: {
    ...raftParams({ durationS: 8, opMsMean: 30 }),
    nodes: param.int({ doc: 'number of Raft servers (the schedule needs 5)', default: 5, min: 5, max: 5 }),
    calmMsMean: param.float({ doc: 'calm time between rounds (ms)', default: 200, min: 1, max: 1e6, swarm: [50, 500] }),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: sec(20),
  setup(w, p) {
    const c = setupRaftCluster(w, p, { config: { maxEntriesPerMsg: 1 } });
    const rng = w.rng('figure8-nemesis');
    let stage: Stage = 'idle';
    let L: NodeId = '';
    let F: NodeId = '';
    let L2: NodeId = '';
    let baseline = 0;
    let rounds = 0;
    let strikes = 0;
    c.readyListeners.push((h, rd) => {
      if (w.phase !== 'fault') return;
      const r = h.raft;
      if (stage === 'arm' && r.role === 'leader' && rd.entries.some((e) => e.data !== null)) {
        L = h.id;
        F = rng.pick(c.ids.filter((id) => id !== L));
        w.net.partition([[L, F]]);
        stage = 'await-l2';
      } else if (stage === 'await-l2' && rd.softState?.role === 'leader' && h.id !== L && h.id !== F) {
        L2 = h.id;
        w.net.isolate(L2);
        stage = 'l2-cut';
      } else if (stage === 'await-commit' && r.role === 'leader' && h.id !== L2 && r.commitIndex > baseline) {
        w.net.heal();
        w.net.partition([[L, F], c.ids.filter((id) => id !== L && id !== F)]);
        stage = 'struck';
        strikes++;
      }
    });
    function* waitFor(s: Stage, maxMs: number) {
      for (let t = 0; t < maxMs && stage !== s; t++) yield sleep(w.sim, ms(1));
      return stage === s;
    }
    w.nemesis('figure8', (function* () {
      for (;;) {
        yield sleep(w.sim, Math.max(ms(1), Math.round(rng.exponential(ms(p.calmMsMean)))));
        rounds++;
        stage = 'arm';
        if ((yield* waitFor('await-l2', 1000)) && (yield* waitFor('l2-cut', 1500))) {
          yield sleep(w.sim, ms(rng.int(1, 20)));
          w.net.heal();
          w.net.isolate(L2);
          baseline = Math.max(...c.servers.map((s) => s.program?.host.raft.commitIndex ?? 0));
          stage = 'await-commit';
          if (yield* waitFor('struck', 1500)) yield sleep(w.sim, ms(rng.int(300, 900)));
        }
        stage = 'idle';
        w.net.heal();
        w.metrics.figure8 = { rounds, strikes };
      }
    })());
  },
});
