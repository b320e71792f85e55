/**
 * Messages per operation (issue 17), for `npm run bench` (extensions["systems/raft/messages.bench.ts"]):
 *  - Raft, fault-free, measured on the network's per-type counts (systems/kv/message-cost.ts):
 *    request messages and bytes per agreed entry (10 entries, one after another), messages of the
 *    first election, request messages per idle second; on 3 and 5 servers;
 *  - every family: messages (all kinds) per client operation of one scenario at its defaults,
 *    seed 1 (`metrics.messages.perClientOp` of the run).
 * These are counts, not times: the same on every machine for the same build.
 */
import { runScenario } from '../../sim/runner.ts';
import type { Scenario } from '../../sim/scenario.ts';
import { measureRaftMessages } from '../kv/message-cost.ts';
import raftChurn from '../../scenarios/raft-churn.ts';
import crdtBurst from '../../scenarios/crdt-burst.ts';
import lbCrash from '../../scenarios/lb-crash.ts';
import escrowFlashSale from '../../scenarios/escrow-flash-sale.ts';
import platformGlobalSale from '../../scenarios/platform-global-sale.ts';

const FAMILIES = [raftChurn, crdtBurst, lbCrash, escrowFlashSale, platformGlobalSale] as unknown as Scenario[];

export function bench(clock: () => number): Record<string, unknown> {
  const t0 = clock();
  const out: Record<string, unknown> = {};
  for (const servers of [3, 5]) {
    const m = measureRaftMessages({ servers, entries: 10, seed: 1, idleS: 5 });
    out[`raft${servers}RequestsPerEntry`] = m.requestsPerEntry;
    out[`raft${servers}RequestBytesPerEntry`] = m.requestBytesPerEntry;
    out[`raft${servers}RequestsFor10Entries`] = m.agreementRequests;
    out[`raft${servers}ElectionMessages`] = m.electionMessages;
    out[`raft${servers}IdleRequestsPerSecond`] = m.idleRequestsPerSecond;
  }
  const perOp: Record<string, number | null> = {};
  for (const s of FAMILIES) {
    const r = runScenario(s, { seed: 1, swarm: false });
    const m = r.metrics.messages as { perClientOp?: number } | undefined;
    perOp[s.name] = m?.perClientOp ?? null;
  }
  out.messagesPerClientOp = perOp;
  out.wallMs = Math.round(clock() - t0);
  return out;
}
