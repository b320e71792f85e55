/**
 * raft-election: the initial election, then re-elections: a directed nemesis crashes or isolates
 * whoever leads, again and again, while clients read and write. Checks every Raft safety property
 * as it goes, and after the faults stop: a leader, every client operation answered, converged
 * logs, a linearizable history.
 */
import { param } from '../sim/params.ts';
import { sleep } from '../sim/process.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { awaitLeader, raftParams, setupRaftCluster } from '../invariants/raft/cluster.ts';

export default defineScenario({
  name: 'raft-election',
  description: 'Raft: initial election and repeated re-election (leader crashed or isolated); safety, convergence, linearizability',
  params: {
    ...raftParams({ durationS: 8 }),
    downMsMean: param.float({ doc: 'how long a deposed leader stays crashed or isolated (ms)', default: 600, min: 1, max: 1e6, swarm: [100, 1500] }),
    calmMsMean: param.float({ doc: 'time a leader is left alone before the next strike (ms)', default: 800, min: 1, max: 1e6, swarm: [200, 2000] }),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: sec(20),
  setup(w, p) {
    const c = setupRaftCluster(w, p);
    const rng = w.rng('election-nemesis');
    w.nemesis('depose-leader', (function* () {
      for (;;) {
        const l = yield* awaitLeader(w, c);
        if (l === undefined) continue;
        w.metrics.firstLeaderNs ??= w.now;
        yield sleep(w.sim, Math.round(rng.exponential(ms(p.calmMsMean))));
        if (l.state !== 'up' || l.program?.host.raft.role !== 'leader') continue;
        const down = Math.max(ms(1), Math.round(rng.exponential(ms(p.downMsMean))));
        if (rng.chance(0.5)) {
          l.crash(rng.chance(0.5) ? 'torn' : 'all');
          w.sim.schedule(down, () => { if (l.state === 'down' && w.phase === 'fault') l.start(); });
        } else {
          w.net.isolate(l.id);
          yield sleep(w.sim, down);
          w.net.heal();
        }
      }
    })());
  },
});
