/**
 * Per-operation message budget of Raft replication (issue 10, "monotonic progress and
 * per-operation message budgets"): an efficiency invariant that catches a leader wasting
 * messages, which no safety property sees.
 *
 * Why not a windowed total: recovery after a fault legitimately costs messages (probes after a
 * lost append, a backtrack after a rejection, a resent snapshot), so a budget on all appends in a
 * time window either trips on recovery or is too loose to see waste. This check tells the two
 * apart by the leader's own knowledge, judged one Ready earlier (before the messages were made),
 * as the progress checks of RaftSafetyChecker do:
 *
 *  - an append to a follower that LAGS in the leader's view (its match is below the leader's last
 *    index) is replication or recovery traffic: the follower may lack something, whatever fault
 *    caused it (loss, partition, restart, clog), so it is always allowed;
 *  - an append that carries no entry to a follower the leader KNOWS holds its whole log (match at
 *    the leader's last index) can only repeat the commit index, which heartbeats already carry
 *    (systems/raft: the commit index rides on the next append or heartbeat). That is waste.
 *
 * Budget: at most WASTED_APPENDS_BUDGET such appends per follower per leader term (a little slack
 * for a stale rejection answered by a probe). A variant that sends one per heartbeat, or per
 * commit advance, exceeds it within a fraction of a second of leading. The figures it keeps
 * (appends, entries sent and wasted appends per leader term) go into the run's metrics
 * (`raftMessages`), next to the network's per-type counts.
 */
import type { NodeId } from '../../sim/node.ts';
import type { RaftHost, RaftHostHooks } from '../../systems/raft/host.ts';
import type { Ready } from '../../systems/raft/types.ts';

/** Appends to a caught-up follower tolerated per follower per leader term. */
export const WASTED_APPENDS_BUDGET = 3;

interface LeaderView {
  term: number;
  /** The leader's last index as of its previous Ready. */
  last: number;
  /** Each follower's match as of the leader's previous Ready. */
  match: Map<NodeId, number>;
  /** Wasted appends per follower in this term. */
  wasted: Map<NodeId, number>;
}

export class AppendBudgetChecker implements RaftHostHooks {
  private readonly views = new Map<NodeId, LeaderView>();
  /** Totals over the run (metrics). */
  readonly stats = { appends: 0, entriesSent: 0, wastedAppends: 0 };
  private failed = false;

  constructor(private readonly report: (invariant: 'append-budget', message: string) => void) {}

  onReady(h: RaftHost, rd: Ready): void {
    const r = h.raft;
    if (r.role !== 'leader') {
      this.views.delete(h.id);
      return;
    }
    let v = this.views.get(h.id);
    const fresh = v === undefined || v.term !== r.term;
    if (fresh) this.views.set(h.id, (v = { term: r.term, last: r.lastIndex, match: new Map(), wasted: new Map() }));
    for (const m of rd.messages) {
      if (m.type !== 'app') continue;
      this.stats.appends++;
      this.stats.entriesSent += m.entries.length;
      if (fresh || m.entries.length > 0) continue;
      const match = v!.match.get(m.to);
      if (match === undefined || match < v!.last) continue; // lagging: replication or recovery
      this.stats.wastedAppends++;
      const n = (v!.wasted.get(m.to) ?? 0) + 1;
      v!.wasted.set(m.to, n);
      if (n > WASTED_APPENDS_BUDGET && !this.failed) {
        this.failed = true;
        this.report(
          'append-budget',
          `leader ${h.id} of term ${r.term} sent ${m.to} its ${n}th append carrying nothing (budget ${WASTED_APPENDS_BUDGET} per follower per term), though it knew ${m.to} held its whole log (match ${match} = last index ${v!.last}): messages wasted; the commit index rides on heartbeats`,
        );
        return;
      }
    }
    v!.last = r.lastIndex;
    for (const p of h.opts.peers) {
      if (p === h.id) continue;
      const pr = r.progress(p);
      if (pr !== undefined) v!.match.set(p, pr.match);
    }
  }
}
