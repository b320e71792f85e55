/**
 * raft-snapshot: followers fall far behind (crashed or cut off) while the others compact their
 * logs often, so on return they need InstallSnapshot; some crash again mid-transfer. The restored
 * follower must converge with the same state (chain hash and store revision) as the rest.
 */
import { param } from '../sim/params.ts';
import { sleep } from '../sim/process.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { raftParams, setupRaftCluster } from '../systems/kv/kit.ts';

export default defineScenario({
  name: 'raft-snapshot',
  description: 'Raft: lagging followers catch up by InstallSnapshot after frequent compaction',
  // The probes this scenario exists to reach: a sweep in which no seed reaches one fails.
  mustReach: ['raft:snapshot-sent', 'raft:snapshot-installed'],
  params: {
    ...raftParams({ durationS: 8, opMsMean: 25, snapshotEntries: 12 }),
    snapshotEntries: param.int({ doc: 'compact the log after this many applied entries', default: 12, min: 1, max: 100_000, swarm: [4, 24] }),
    awayMsMean: param.float({ doc: 'how long a follower stays away (ms)', default: 1500, min: 1, max: 1e6, swarm: [500, 3000] }),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: sec(20),
  setup(w, p) {
    const c = setupRaftCluster(w, p);
    const rng = w.rng('snapshot-nemesis');
    w.nemesis('lag-follower', (function* () {
      for (;;) {
        yield sleep(w.sim, ms(rng.int(100, 500)));
        const l = c.leader();
        const followers = c.servers.filter((s) => s !== l && s.state === 'up');
        if (followers.length === 0) continue;
        const f = rng.pick(followers);
        const away = Math.max(ms(1), Math.round(rng.exponential(ms(p.awayMsMean))));
        if (rng.chance(0.5)) {
          f.crash(rng.chance(0.5) ? 'torn' : 'all');
          yield sleep(w.sim, away);
          if (f.state === 'down') f.start();
        } else {
          w.net.isolate(f.id);
          yield sleep(w.sim, away);
          w.net.heal();
        }
        // Sometimes crash it again while the snapshot is on its way.
        if (rng.chance(0.3)) {
          yield sleep(w.sim, ms(rng.int(1, 30)));
          if (f.state === 'up') {
            f.crash('torn');
            yield sleep(w.sim, ms(rng.int(10, 200)));
            if ((f.state as string) === 'down') f.start();
          }
        }
      }
    })());
    w.onHeal(() => {
      w.metrics.snapshotsInstalled = c.servers.reduce((a, s) => a + (s.program?.host.stats.restores ?? 0), 0);
    });
  },
});
