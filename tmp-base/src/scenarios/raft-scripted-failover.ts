/**
 * raft-scripted-failover: a scripted test rather than a random nemesis. The script waits for a
 * first leader (within 5 s), lets the clients' writes flow, crashes the leader, requires a new
 * leader in a later term within the failover bound (`failoverBoundMs`), restarts the old leader
 * and requires it to rejoin as a follower and catch up (within 5 s). Then it returns: the fault
 * phase ends there (the report shows the real end, not `durationS`, which is the script's time
 * limit), and the liveness phase checks the usual properties (leader, client ops complete, logs
 * converge, the history linearizable).
 *
 * Each step is a bound: a failover slower than `failoverBoundMs` fails the run with
 * "a new leader after n1 crashed: not within 1ms (waited from ...)", naming who leads what.
 */
import { param } from '../sim/params.ts';
import { sleep } from '../sim/process.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec } from '../sim/time.ts';
import { raftParams, setupRaftCluster } from '../systems/kv/kit.ts';

export default defineScenario({
  name: 'raft-scripted-failover',
  description: 'Raft, scripted: a leader within 5 s; crash it; a new leader within the failover bound; the old leader rejoins and catches up',
  params: {
    ...raftParams({ nodes: 3, nodesSwarm: [3, 5], durationS: 30 }),
    failoverBoundMs: param.float({ doc: 'a new leader must be elected within this long after the leader crashes (ms)', default: 3000, min: 0.001, max: 600_000 }),
    settleMs: param.float({ doc: 'how long the first leader serves before it is crashed (ms)', default: 500, min: 0, max: 60_000, swarm: [0, 2000] }),
  },
  durationNs: (p) => sec(p.durationS),
  livenessBoundNs: sec(20),
  setup(w, p) {
    const c = setupRaftCluster(w, p);
    const roles = (): string => c.servers.map((s) => `${s.id} ${s.program ? `${s.program.host.raft.role} t${s.program.host.raft.term}` : s.state}`).join(', ');
    w.script('failover', function* () {
      const first = yield* w.until(() => c.leader(), { within: sec(5), what: 'a first leader', state: roles });
      const term = first.program!.host.raft.term;
      yield sleep(w.sim, ms(p.settleMs));
      w.log('script', `crash the leader ${first.id} (term ${term})`);
      first.crash();
      const second = yield* w.until(
        () => {
          const l = c.leader();
          return l !== undefined && l.id !== first.id ? l : undefined;
        },
        { within: ms(p.failoverBoundMs), what: `a new leader after ${first.id} crashed`, state: roles },
      );
      const newTerm = second.program!.host.raft.term;
      w.check(newTerm > term, `the new leader ${second.id} is in term ${newTerm}, not later than the crashed leader's term ${term}`);
      w.log('script', `restart ${first.id}`);
      first.start();
      yield* w.until(
        () => {
          const l = c.leader();
          const r = first.program?.host.raft;
          return l !== undefined && r !== undefined && r.role === 'follower' && r.leader === l.id && r.appliedIndex >= l.program!.host.raft.commitIndex;
        },
        { within: sec(5), what: `${first.id} rejoined as a follower and caught up`, state: roles },
      );
      // Returning ends the fault phase here; the liveness phase follows.
    });
  },
});
