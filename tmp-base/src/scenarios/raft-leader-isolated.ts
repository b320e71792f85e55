/**
 * raft-leader-isolated: the leader is cut off on the minority side (alone, or with one follower),
 * or kept on the majority side while a minority is cut away; then the partition heals. The old
 * leader must step down (CheckQuorum), the majority must elect, a rejoining node must not depose
 * a healthy leader (PreVote), and reads on the minority side must not be stale.
 */
import { param } from '../sim/params.ts';
import { sleep } from '../sim/process.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { awaitLeader, raftParams, setupRaftCluster } from '../systems/kv/kit.ts';

export default defineScenario({
  name: 'raft-leader-isolated',
  description: 'Raft: leader isolated on the minority side, or on the majority side with a minority cut away; heal',
  params: {
    ...raftParams({ durationS: 8 }),
    partitionMsMean: param.float({ doc: 'mean length of a partition (ms)', default: 1000, min: 1, max: 1e6, swarm: [200, 2500] }),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: sec(20),
  setup(w, p) {
    const c = setupRaftCluster(w, p);
    const rng = w.rng('isolation-nemesis');
    w.nemesis('isolate-leader', (function* () {
      for (;;) {
        yield sleep(w.sim, ms(rng.int(100, 600)));
        const l = yield* awaitLeader(w, c);
        if (l === undefined) continue;
        const others = rng.shuffle(c.ids.filter((id) => id !== l.id));
        const minority = Math.floor((c.ids.length - 1) / 2);
        const shape = rng.int(0, 2);
        if (shape === 0) w.net.isolate(l.id);
        else if (shape === 1) w.net.partition([[l.id, ...others.slice(0, Math.max(0, minority - 1))]]);
        else w.net.partition([[l.id, ...others.slice(minority)]]); // leader keeps the majority
        yield sleep(w.sim, Math.max(ms(1), Math.round(rng.exponential(ms(p.partitionMsMean)))));
        w.net.heal();
      }
    })());
  },
});
