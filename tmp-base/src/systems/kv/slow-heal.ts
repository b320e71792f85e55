/**
 * A healed cluster on a slow network (issue 17): every Raft reply takes 200 ms + uniform(0..2 s)
 * (a message rule with a latency floor, sim/network/network.ts), requests take the LAN's time.
 * The servers are all cut from each other for a while, then healed; the figure is how long the
 * healed cluster takes to elect a leader every server follows. Used by the timeout tests and the
 * docs' guidance (docs/raft.md, "Timeouts on slow networks").
 */
import { Simulation } from '../../sim/kernel.ts';
import { withFloor } from '../../sim/network/latency.ts';
import { World } from '../../sim/scenario.ts';
import { ms, sec, type Nanos } from '../../sim/time.ts';
import type { TraceSink } from '../../sim/trace.ts';
import type { RaftConfig } from '../raft/config.ts';
import type { RaftNode } from '../raft/raft.ts';
import { setupRaftCluster, type RaftParams } from './kit.ts';

export const RAFT_REPLY_TYPES = ['appResp', 'heartbeatResp', 'voteResp', 'preVoteResp', 'readIndexResp'];

export interface SlowHealOptions {
  seed: number;
  servers?: number;
  /** Floor and spread of a reply's delay (default 200 ms + uniform 0..2,000 ms). */
  replyFloorNs?: Nanos;
  replySpreadNs?: Nanos;
  /** How long the servers stay cut from each other (default 3 s, after 5 s of normal running). */
  cutNs?: Nanos;
  config?: Partial<RaftConfig>;
  /** Give up this long after the heal (default 60 s). */
  boundNs?: Nanos;
  /** Receives the run's trace (to see why an election took long). */
  traceSink?: TraceSink;
  /** Called with the world before it runs (extra probes, checkers). */
  onWorld?: (w: World<unknown>, servers: () => { id: string; raft: RaftNode | undefined }[]) => void;
}

/** Simulated ns from the heal to a leader every server follows (null: none within the bound). */
export function timeToLeaderAfterHeal(o: SlowHealOptions): Nanos | null {
  const servers = o.servers ?? 3;
  const sim = new Simulation({ seed: o.seed, buggify: { enabled: false }, traceSink: o.traceSink ?? null });
  const p: RaftParams = { nodes: servers, clients: 0, keys: 1, opMsMean: 60, maxOps: 0, snapshotEntries: 0, readMode: 'safe', durationS: 60, bug: 'none' };
  const w = new World(sim, p);
  const c = setupRaftCluster(w as unknown as World<unknown>, p, { workload: false, liveness: false, ...(o.config ? { config: o.config } : {}) });
  w.net.addMessageFault({ types: RAFT_REPLY_TYPES, latency: withFloor(o.replyFloorNs ?? ms(200), { kind: 'uniform', minNs: 0, maxNs: o.replySpreadNs ?? ms(2000) }) });
  o.onWorld?.(w as unknown as World<unknown>, () => c.servers.map((s) => ({ id: s.id, raft: s.program?.host.raft })));
  for (const n of w.nodes) n.start();
  const cutAt = sec(5);
  const healAt = cutAt + (o.cutNs ?? sec(3));
  const bound = o.boundNs ?? sec(60);
  let elected: Nanos | null = null;
  sim.schedule(cutAt, () => w.net.partition(c.ids.map((id) => [id])));
  sim.schedule(healAt, () => {
    w.net.heal();
    const poll = (): void => {
      const l = c.leader();
      if (l && c.servers.every((s) => s.program?.host.raft.leader === l.id && s.program.host.raft.term === l.program!.host.raft.term)) {
        elected = w.now - healAt;
        sim.stop();
        return;
      }
      if (w.now - healAt < bound) sim.schedule(ms(10), poll);
    };
    poll();
  });
  sim.run({ untilNs: healAt + bound + ms(20), maxEvents: 20_000_000 });
  return elected;
}
