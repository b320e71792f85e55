/**
 * raft-crash-restart: nodes (the leader more often than not) crash and restart; a crash loses
 * every unsynced write or keeps a torn prefix of them. Recovery reads the disk alone; nothing an
 * fsync did not cover may have been acknowledged, so no committed entry may be lost.
 */
import { param } from '../sim/params.ts';
import { sleep } from '../sim/process.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { raftParams, setupRaftCluster } from '../systems/kv/kit.ts';

export default defineScenario({
  name: 'raft-crash-restart',
  description: 'Raft: crashes and restarts losing unsynced writes or tearing them; recovery from disk only',
  params: {
    ...raftParams({ durationS: 8 }),
    crashMsMean: param.float({ doc: 'mean time between crashes (ms)', default: 400, min: 1, max: 1e6, swarm: [100, 1500] }),
    downMsMean: param.float({ doc: 'mean downtime (ms)', default: 300, min: 1, max: 1e6, swarm: [20, 1500] }),
    leaderBias: param.float({ doc: 'probability that the victim is the leader', default: 0.5, min: 0, max: 1, swarm: [0, 0.9] }),
    voterCrashProbability: param.float({ doc: 'probability that a node is crashed right after it grants a vote', default: 0.3, min: 0, max: 1, swarm: [0, 0.6] }),
    tornWrites: param.bool({ doc: 'a crash keeps a torn prefix of unsynced writes (else loses all)', default: true, swarm: 0.7 }),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: sec(20),
  setup(w, p) {
    const c = setupRaftCluster(w, p);
    const rng = w.rng('crash-nemesis');
    const maxDown = Math.floor((c.ids.length - 1) / 2);
    // A voter crashed right after voting restarts in the same term: it must remember its vote.
    c.readyListeners.push((h, rd) => {
      if (w.phase !== 'fault' || !rd.messages.some((m) => m.type === 'voteResp' && !m.reject) || !rng.chance(p.voterCrashProbability)) return;
      const s = c.servers.find((x) => x.id === h.id)!;
      if (c.servers.filter((x) => x.state === 'down').length >= maxDown) return;
      w.sim.schedule(ms(rng.int(1, 5)), () => {
        if (s.state !== 'up' || w.phase !== 'fault') return;
        s.crash(p.tornWrites ? 'torn' : 'all');
        w.sim.schedule(ms(rng.int(1, 50)), () => { if (s.state === 'down') s.start(); });
      });
    });
    w.nemesis('crash', (function* () {
      for (;;) {
        yield sleep(w.sim, Math.max(ms(1), Math.round(rng.exponential(ms(p.crashMsMean)))));
        const down = c.servers.filter((s) => s.state === 'down').length;
        if (down >= maxDown) continue;
        const l = c.leader();
        const up = c.servers.filter((s) => s.state === 'up');
        const victim = l && rng.chance(p.leaderBias) ? l : rng.pick(up);
        victim.crash(p.tornWrites ? 'torn' : 'all');
        w.sim.schedule(Math.max(ms(1), Math.round(rng.exponential(ms(p.downMsMean)))), () => { if (victim.state === 'down' && w.phase === 'fault') victim.start(); });
      }
    })());
  },
});
