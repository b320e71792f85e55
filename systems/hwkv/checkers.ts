/**
 * The god's-eye checkers of an hwkv cluster: those fed by the replicas' observer callbacks
 * (acceptor-durability, state-machine-safety, no-corrupt-scan-served,
 * no-unauthenticated-value-applied) and redirect-names-another, judged on the wire (their
 * statements: cluster.ts). They are the test, not the
 * system: the mutation run (tools/mutation/systems.ts) leaves this file alone.
 */
import { evalScan } from '../../sim/hardware/scan.ts';
import type { NodeId } from '../../sim/node.ts';
import type { World } from '../../sim/scenario.ts';
import type { Cluster } from './cluster.ts';
import type { Cmd, KvReply, Observer } from './types.ts';

/** The god's-eye observer: durability, state machine safety, served scans; then `extra`. */
export function invariantsObserver(w: World<unknown>, c: Cluster, extra: Observer, counts: { putSlots: () => number } = { putSlots: () => 0 }): Observer {
  const acked = new Map<NodeId, Map<number, number>>();
  const appliedAt = new Map<number, string>();
  /** What each put's client gave the leader: the only value any replica may apply for it. */
  const requestedValue = new Map<string, string>();
  const rowsOf = (id: NodeId) => {
    const i = c.ids.indexOf(id);
    return c.kind === 'accelerated' ? c.ssds[i]!.rows : c.kvs[i]!.rows;
  };
  /** Slots some replica applied whose command is a put: what a replica's store must write, at most. */
  let putSlots = 0;
  counts.putSlots = () => putSlots;
  return {
    acceptAcked(replica, slot, b) {
      let m = acked.get(replica);
      if (m === undefined) acked.set(replica, (m = new Map()));
      m.set(slot, Math.max(m.get(slot) ?? 0, b));
      extra.acceptAcked?.(replica, slot, b);
    },
    recovered(replica, entryAt) {
      const m = acked.get(replica);
      if (m !== undefined)
        for (const [slot, b] of m) {
          const e = entryAt(slot);
          if (e === undefined || e.b < b) {
            w.violation('acceptor-durability', `${replica} acknowledged accepting slot ${slot} in ballot ${b} but recovered ${e === undefined ? 'nothing' : `ballot ${e.b}`} there`);
            return;
          }
          // Checked once recovered; a slot some replica applied is chosen, and nothing overwrites
          // its durable entry but an accept of the same value in a higher ballot (itself checked
          // when acknowledged). Checking it again at every later recovery made this check cost
          // the whole history per restart.
          if (appliedAt.has(slot)) m.delete(slot);
        }
      extra.recovered?.(replica, entryAt);
    },
    requested(replica, cmd) {
      if (cmd.op === 'put' && !requestedValue.has(cmd.id)) requestedValue.set(cmd.id, cmd.value.v);
      extra.requested?.(replica, cmd);
    },
    applied(replica, slot, cmd: Cmd) {
      if (cmd.op === 'put') {
        const want = requestedValue.get(cmd.id);
        if (want === undefined) w.violation('no-unauthenticated-value-applied', `${replica} applied put ${cmd.id} at slot ${slot}, which no client asked for (an altered message acted on?)`);
        else if (want !== cmd.value.v) w.violation('no-unauthenticated-value-applied', `${replica} applied put ${cmd.id} of ${cmd.key} at slot ${slot} with a value (${JSON.stringify(cmd.value.v.slice(0, 24))}) other than its client's (${JSON.stringify(want.slice(0, 24))})`);
      }
      const prev = appliedAt.get(slot);
      if (prev === undefined && cmd.op === 'put') putSlots++;
      if (prev === undefined) appliedAt.set(slot, cmd.id);
      else if (prev !== cmd.id) w.violation('state-machine-safety', `${replica} applied ${cmd.id} at slot ${slot}, another replica applied ${prev}`);
      extra.applied?.(replica, slot, cmd);
    },
    scanServed(replica, spec, served, pushedDown) {
      if (pushedDown) c.scansPushedDown++;
      const truth = evalScan(spec, rowsOf(replica), new Map());
      const bad = served.count !== truth.count || (spec.agg === 'sum' ? served.sum !== truth.sum : JSON.stringify(served.rows) !== JSON.stringify(truth.rows));
      if (bad) w.violation('no-corrupt-scan-served', `${replica} served a ${spec.agg} scan of ${spec.lo}..${spec.hi} with ${served.count} row(s)${spec.agg === 'sum' ? ` sum ${served.sum}` : ''}; the store holds ${truth.count}${spec.agg === 'sum' ? ` sum ${truth.sum}` : ''}`);
      extra.scanServed?.(replica, spec, served, pushedDown);
    },
    putLatency: extra.putLatency,
    crypto: extra.crypto,
    macRejected: extra.macRejected,
    getLatency: extra.getLatency,
    roundLatency: extra.roundLatency,
  };
}

/**
 * redirect-names-another (on the wire): a replica that refuses a client request as not the
 * leader may name the leader to ask, or nobody; never itself. A client follows the hint
 * (workload.ts retries the named replica), so a replica naming itself sends its clients back to
 * the one replica that just refused them, until their deadline, however healthy the cluster.
 * Judged on every reply as it leaves the replica (a kernel send tap), whatever path sends it.
 */
export function checkRedirects(w: World<unknown>, replicas: readonly NodeId[]): void {
  const invariant = 'redirect-names-another';
  const ids = new Set(replicas);
  w.declareCheck(invariant);
  w.net.sendTaps.push((from, to, body) => {
    if (!ids.has(from.id)) return;
    const m = body as Partial<Extract<KvReply, { ok: false }>> | null;
    if (m === null || typeof m !== 'object' || m.type !== 'res' || m.ok !== false || m.reason !== 'not-leader') return;
    if (m.leader === from.id) w.violation(invariant, `${from.id} refused ${to}'s request as not the leader, and named itself as the leader to ask`);
  });
}

/**
 * store-writes-per-put (a budget): a replica writes each chosen put to its store once. The
 * protocol needs no more: a host engine lost in a crash is rebuilt from the log at start without
 * a device write, and an SSD re-applies from its durable applied mark, which is written with each
 * command, so at most the one put in flight when the replica died is written again. Budget per
 * replica: the put slots applied anywhere in the cluster (an over-estimate: a duplicate command is
 * applied without a write) plus one per start of the replica. A replica that replays its whole log
 * through the device at every restart, applies a command twice, or rewrites rows it already
 * holds, goes over; every write counted is one that took effect on the device.
 */
export function checkStoreWrites(w: World<unknown>, c: Cluster, putSlots: () => number): void {
  const writes = (i: number): number => (c.kind === 'accelerated' ? c.ssds[i]!.ssdStats.puts : c.kvs[i]!.kvStats.puts);
  w.safety('store-writes-per-put', () => {
    const budget = putSlots();
    for (let i = 0; i < c.ids.length; i++) {
      const starts = c.nodes[i]!.incarnation;
      if (writes(i) > budget + starts) return `${c.ids[i]}'s store took ${writes(i)} put(s) for ${budget} put slot(s) applied in the cluster and ${starts} start(s) of the replica: each chosen put is written once (one more per restart at most)`;
    }
    return null;
  });
}
