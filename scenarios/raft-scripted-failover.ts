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
 * "a new leader after n3 crashed: not within 600ms (waited from ...)", naming who leads what.
 *
 * Parameters at their edges (docs/mutation.md, twelfth round): a `failoverBoundMs` below two
 * maximum election timeouts of the servers' timings (630 ms by default) is refused before the run:
 * the followers wait up to one timeout of silence before they campaign, and a first round that
 * splits or loses a vote needs a second, so a correct cluster would fail it. The fault phase lasts
 * at least as long as the script's bounds add up to (`scriptLimitNs`): `durationS` only raises
 * that limit, so a long `settleMs` or `failoverBoundMs` never runs out of time before its own
 * step's bound decides.
 */
import { param } from '../sim/params.ts';
import { sleep } from '../sim/process.ts';
import { defineScenario } from '../sim/scenario.ts';
import { ms, sec, type Nanos } from '../sim/time.ts';
import { clusterRaftConfig, raftParams, setupRaftCluster, type RaftParams } from '../systems/kv/kit.ts';
import { stableWindowNs } from '../invariants/raft/leader-stability.ts';

/** The script's bounds on its steps: a first leader, then (after the settle) the rejoin. */
const FIRST_LEADER_NS = sec(5);
const REJOIN_NS = sec(5);

/**
 * The shortest failover bound a correct cluster always meets: two maximum election timeouts,
 * stretched by the clock drift bound (the window leader-stable uses). The followers campaign
 * within one timeout of the last heartbeat, which came before the crash; a round that splits or
 * loses a vote is followed by another within a second. 700 seeds at the default timings took at
 * most 383 ms.
 */
export function failoverMinNs(p: Pick<RaftParams, 'readMode' | 'bug'>): Nanos {
  return stableWindowNs(clusterRaftConfig(p));
}

/**
 * The fault phase the script needs at most: each step's bound, plus a second so a step that uses
 * all of its bound fails by its own message (naming the step), not by the phase's end.
 */
function scriptLimitNs(p: { settleMs: number; failoverBoundMs: number }): Nanos {
  return FIRST_LEADER_NS + ms(p.settleMs) + ms(p.failoverBoundMs) + REJOIN_NS + sec(1);
}

export default defineScenario({
  name: 'raft-scripted-failover',
  description: 'Raft, scripted: a leader within 5 s; crash it; a new leader within the failover bound; the old leader rejoins and catches up',
  params: {
    ...raftParams({ nodes: 3, nodesSwarm: [3, 5], durationS: 30 }),
    failoverBoundMs: param.float({ doc: 'a new leader must be elected within this long after the leader crashes (ms; at least two election timeouts, 630 ms at the default timings)', default: 3000, min: 0.001, max: 600_000 }),
    settleMs: param.float({ doc: 'how long the first leader serves before it is crashed (ms)', default: 500, min: 0, max: 60_000, swarm: [0, 2000] }),
  },
  checkParams(p) {
    const min = failoverMinNs(p);
    if (ms(p.failoverBoundMs) < min) return `failoverBoundMs ${p.failoverBoundMs} is shorter than two election timeouts of the servers (${min / 1e6} ms): a correct cluster's followers wait up to one before they campaign, and a split vote needs a second; set failoverBoundMs to at least ${min / 1e6}`;
    return null;
  },
  // durationS is the script's time limit, never shorter than its steps' bounds added up.
  durationNs: (p) => Math.max(sec(p.durationS), scriptLimitNs(p)),
  livenessBoundNs: sec(20),
  setup(w, p) {
    const c = setupRaftCluster(w, p);
    const roles = (): string => c.servers.map((s) => `${s.id} ${s.program ? `${s.program.host.raft.role} t${s.program.host.raft.term}` : s.state}`).join(', ');
    w.script('failover', function* () {
      const first = yield* w.until(() => c.leader(), { within: FIRST_LEADER_NS, what: 'a first leader', state: roles });
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
        { within: REJOIN_NS, what: `${first.id} rejoined as a follower and caught up`, state: roles },
      );
      // Returning ends the fault phase here; the liveness phase follows.
    });
  },
});
