/**
 * raft-election: the initial election, then re-elections: a directed nemesis crashes or isolates
 * whoever leads, again and again, while clients read and write. Checks every Raft safety property
 * as it goes, and after the faults stop: a leader, every client operation answered, converged
 * logs, a linearizable history.
 *
 * Some rounds are a directed split vote: with the leader crashed, the others are split 3 | 1-2;
 * the moment the majority side elects a leader, one of its voters is crashed and restarted and
 * moved to the other side, whose candidate then asks it for a vote in the same term. A voter that
 * forgot its vote (votedFor not persisted) elects a second leader in that term.
 */
import { param } from '../sim/params.ts';
import { sleep } from '../sim/process.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { awaitLeader, raftParams, setupRaftCluster } from '../systems/kv/kit.ts';

export default defineScenario({
  name: 'raft-election',
  description: 'Raft: initial election and repeated re-election (leader crashed or isolated); safety, convergence, linearizability',
  params: {
    ...raftParams({ durationS: 8 }),
    downMsMean: param.float({ doc: 'how long a deposed leader stays crashed or isolated (ms)', default: 600, min: 1, max: 1e6, swarm: [100, 1500] }),
    splitVoteProbability: param.float({ doc: 'probability that a round is a directed split vote', default: 0.5, min: 0, max: 1, swarm: [0, 1] }),
    calmMsMean: param.float({ doc: 'time a leader is left alone before the next strike (ms)', default: 800, min: 1, max: 1e6, swarm: [200, 2000] }),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: sec(20),
  setup(w, p) {
    const c = setupRaftCluster(w, p);
    const rng = w.rng('election-nemesis');
    // Split-vote round state, driven from the Ready hook so it strikes within the electing event.
    let split: { sideA: string[]; sideB: string[]; voters: Set<string>; done: boolean } | null = null;
    c.readyListeners.push((h, rd) => {
      if (split === null || split.done || w.phase !== 'fault' || !split.sideA.includes(h.id)) return;
      for (const m of rd.messages) if (m.type === 'voteResp' && !m.reject) split.voters.add(h.id);
      if (rd.softState?.role !== 'leader') return;
      const voter = [...split.voters].find((v) => v !== h.id);
      if (voter === undefined) return;
      split.done = true;
      const s = c.servers.find((x) => x.id === voter)!;
      // At once, before the new leader's first append reaches the voter.
      if (s.state !== 'up') return;
      w.net.heal();
      w.net.partition([split.sideA.filter((id) => id !== voter), [...split.sideB, voter]]);
      s.restart();
    });
    w.nemesis('depose-leader', (function* () {
      for (;;) {
        const l = yield* awaitLeader(w, c);
        if (l === undefined) continue;
        w.metrics.firstLeaderNs ??= w.now;
        yield sleep(w.sim, Math.round(rng.exponential(ms(p.calmMsMean))));
        if (l.state !== 'up' || l.program?.host.raft.role !== 'leader') continue;
        const down = Math.max(ms(1), Math.round(rng.exponential(ms(p.downMsMean))));
        if (c.ids.length >= 5 && rng.chance(p.splitVoteProbability)) {
          l.crash('all');
          const rest = rng.shuffle(c.ids.filter((id) => id !== l.id));
          const half = Math.floor(c.ids.length / 2) + 1;
          split = { sideA: rest.slice(0, half), sideB: rest.slice(half), voters: new Set(), done: false };
          w.net.partition([split.sideA, split.sideB]);
          yield sleep(w.sim, ms(1500));
          split = null;
          w.net.heal();
          if ((l.state as string) === 'down') l.start();
        } else if (rng.chance(0.5)) {
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
