/**
 * Raft's message cost measured on a fault-free config-store cluster (issue 17): the first
 * election, N entries agreed (one after another, or all at once), then an idle cluster. Counts
 * come from the simulated network's per-type counts; see systems/raft/message-cost.ts for what a
 * request message is. Used by the bench (systems/raft/messages.bench.ts) and the tests.
 */
import { Simulation } from '../../sim/kernel.ts';
import type { LatencyModel } from '../../sim/network/latency.ts';
import type { SimNode } from '../../sim/node.ts';
import { World } from '../../sim/scenario.ts';
import { ms, sec } from '../../sim/time.ts';
import type { RaftConfig } from '../raft/config.ts';
import { countTypes, RAFT_ELECTION_TYPES, RAFT_REQUEST_TYPES } from '../raft/message-cost.ts';
import { KvClient } from './client.ts';
import { setupRaftCluster, type RaftParams } from './kit.ts';
import type { KvProgram } from './server.ts';

/** How to measure (defaults: 3 servers, 10 entries, LAN, no faults, BUGGIFY off). */
export interface MeasureOptions {
  servers?: number;
  entries?: number;
  seed?: number;
  /** Submit the entries all at once (one client each) instead of one after another. */
  burst?: boolean;
  /** Seconds of idle cluster measured after the entries (default 10). */
  idleS?: number;
  /** Raft config overrides (e.g. a bug-zoo flag). */
  config?: Partial<RaftConfig>;
  /** One-way latency of every link (default the LAN's). */
  latency?: LatencyModel;
  /** Invariants logged instead of stopping the run (to measure a wasteful bug-zoo variant). */
  ignoreInvariants?: readonly string[];
}

/** The figures of one measurement. */
export interface RaftMessageCost {
  servers: number;
  entries: number;
  /** Request messages from the first leader's settling to every server having applied the entries. */
  agreementRequests: number;
  agreementRequestBytes: number;
  requestsPerEntry: number;
  requestBytesPerEntry: number;
  /** Of which appends. */
  agreementAppends: number;
  /** Messages (requests and replies) of the first election, from start to a leader everyone follows. */
  electionMessages: number;
  /** Request messages per second of an idle cluster (heartbeats). */
  idleRequestsPerSecond: number;
  /** Simulated ms the agreement took (first submit to last server applied). */
  agreementMs: number;
}

/** Runs a fault-free cluster and measures its message cost (see RaftMessageCost). */
export function measureRaftMessages(o: MeasureOptions = {}): RaftMessageCost {
  const servers = o.servers ?? 3;
  const entries = o.entries ?? 10;
  const idleNs = sec(o.idleS ?? 10);
  const sim = new Simulation({ seed: o.seed ?? 1, buggify: { enabled: false } });
  const p: RaftParams = { nodes: servers, clients: 0, keys: 1, opMsMean: 60, maxOps: 0, snapshotEntries: 0, readMode: 'safe', durationS: 60, bug: 'none' };
  const w = new World(sim, p);
  if (o.latency) w.net.setDefaults({ latency: o.latency });
  for (const inv of o.ignoreInvariants ?? []) w.ignoredInvariants.add(inv);
  const c = setupRaftCluster(w as unknown as World<unknown>, p, { workload: false, liveness: false, ...(o.config ? { config: o.config } : {}) });
  const settled = (): SimNode<KvProgram> | undefined => {
    const l = c.leader();
    if (!l) return undefined;
    const h = l.program!.host.raft;
    if (h.commitIndex < 1 || h.log.term(h.commitIndex) !== h.term) return undefined;
    for (const s of c.servers) {
      const r = s.program?.host.raft;
      if (!r || r.leader !== l.id || r.appliedIndex < h.commitIndex) return undefined;
    }
    return l;
  };
  const net = w.net;
  const out: Partial<RaftMessageCost> = { servers, entries };
  let startNs = 0;
  let before = { count: 0, bytes: 0 };
  let appsBefore = 0;
  let done = 0;
  let phase: 'election' | 'agree' | 'converge' | 'idle' | 'end' = 'election';
  // The clients are added up front (a world's nodes are fixed once it runs) but wait for the phase.
  const clients = o.burst ? entries : 1;
  for (let k = 0; k < clients; k++) {
    w.addClient(`c${k + 1}`, function* (ctx) {
      while (phase !== 'agree') yield ctx.sleep(ms(1));
      const kc = new KvClient(ctx, { servers: c.ids, clientId: `c${k + 1}` });
      const mine = o.burst ? 1 : entries;
      for (let i = 0; i < mine; i++) {
        const r = yield* kc.write({ op: 'put', key: 'k', value: `${k + 1}.${i}` });
        if (r.ok) done++;
      }
    });
  }
  for (const n of w.nodes) n.start();
  w.phase = 'fault';
  const step = (): void => {
    if (phase === 'election') {
      if (c.leader() && c.servers.every((s) => s.program?.host.raft.leader === c.leader()!.id)) {
        out.electionMessages = countTypes(net, RAFT_ELECTION_TYPES).count;
      }
      if (out.electionMessages !== undefined && settled()) {
        phase = 'agree';
        startNs = w.now;
        before = countTypes(net, RAFT_REQUEST_TYPES);
        appsBefore = countTypes(net, ['app']).count;
      }
    } else if (phase === 'agree') {
      if (done >= entries) phase = 'converge';
    }
    if (phase === 'converge') {
      const l = c.leader();
      if (l && c.servers.every((s) => s.program!.host.raft.appliedIndex >= l.program!.host.raft.commitIndex)) {
        const after = countTypes(net, RAFT_REQUEST_TYPES);
        out.agreementRequests = after.count - before.count;
        out.agreementRequestBytes = after.bytes - before.bytes;
        out.agreementAppends = countTypes(net, ['app']).count - appsBefore;
        out.agreementMs = Math.round((w.now - startNs) / 1e6);
        phase = 'idle';
        before = after;
        startNs = w.now;
        sim.schedule(idleNs, () => {
          out.idleRequestsPerSecond = Math.round(((countTypes(net, RAFT_REQUEST_TYPES).count - before.count) / (idleNs / 1e9)) * 100) / 100;
          phase = 'end';
          sim.stop();
        });
        return;
      }
    }
    if (phase !== 'idle' && phase !== 'end') sim.schedule(ms(1), step);
  };
  sim.schedule(ms(1), step);
  sim.run({ untilNs: sec(600), maxEvents: 50_000_000 });
  if ((phase as string) !== 'end') throw new Error(`raft message measurement did not finish (stuck in phase ${phase} at ${w.now} ns)`);
  const n = out.agreementRequests!;
  return {
    ...(out as RaftMessageCost),
    requestsPerEntry: Math.round((n / entries) * 100) / 100,
    requestBytesPerEntry: Math.round((out.agreementRequestBytes! / entries) * 100) / 100,
  };
}
