/**
 * The hwkv scenarios' client workload: clients issuing puts, gets and scans with a recorded
 * history, the post-heal auditor, and the checks made on what they saw (linearizable,
 * healed-cluster-serves). The workload is the test, not the system: the mutation run
 * (tools/mutation/systems.ts) leaves this file alone, so its score measures the replicas.
 */
import { checksum } from '../../sim/hardware/result.ts';
import type { ScanResult, ScanSpec } from '../../sim/hardware/scan.ts';
import type { CallResult, NodeContext } from '../../sim/node.ts';
import type { World } from '../../sim/scenario.ts';
import type { ProcessBody } from '../../sim/process.ts';
import type { Nanos } from '../../sim/time.ts';
import { historyView } from '../../invariants/linearizability/history-view.ts';
import { checkHistory, kvModel, type KvInput, type KvOutput, type Operation } from '../../invariants/linearizability/index.ts';
import type { Cluster } from './cluster.ts';
import type { Cmd, KvReply, KvRequest } from './types.ts';

export interface WorkloadOptions {
  clients: number;
  keys: number;
  /** Mean time between a client's operations. */
  opIntervalNs: Nanos;
  /** One attempt's timeout; a logical operation is retried on other replicas until its deadline. */
  attemptTimeoutNs: Nanos;
  opDeadlineNs: Nanos;
  /** Fraction of operations that are scans (the rest split between puts and gets). */
  scanFraction: number;
}

export interface Workload {
  history: Operation<KvInput, KvOutput>[];
  stats: { ok: number; unknown: number; scans: number };
  /** True once the post-heal audit has read every key. */
  audited(): boolean;
}

/**
 * A workload client's operation as a script names it (sim/decisions.ts): a put (its value is the
 * client's and the operation's number), a get, or a scan of [lo, hi) returning rows or their sum.
 */
export type HwkvOperation = { op: 'put'; key: string } | { op: 'get'; key: string } | { op: 'scan'; lo: string; hi: string; agg: 'rows' | 'sum' };

export const keyName = (i: number): string => `k${String(i).padStart(3, '0')}`;

/**
 * Client processes issuing puts, gets and scans to the cluster, recording a history; and an
 * auditor that reads every key once the faults stop. Also registers `linearizable` and the
 * liveness property `healed-cluster-serves`.
 */
export function addWorkload(w: World<unknown>, c: Cluster, o: WorkloadOptions): Workload {
  const wl: Workload = { history: [], stats: { ok: 0, unknown: 0, scans: 0 }, audited: () => auditDone };
  let auditDone = false;
  let auditState = 'the auditor has not read every key yet';

  /** One logical operation: the same command retried across replicas until a reply or the deadline. */
  function* perform(ctx: NodeContext, cmd: Cmd, guess: { target: number }): ProcessBody<KvReply | null> {
    const deadline = w.now + o.opDeadlineNs;
    while (w.now < deadline) {
      const to = c.ids[guess.target % c.ids.length]!;
      const r: CallResult<KvReply> = yield ctx.call<KvReply>(to, { type: 'req', cmd } satisfies KvRequest, o.attemptTimeoutNs);
      if (r.ok && r.body.ok) return r.body;
      if (r.ok && !r.body.ok && r.body.leader !== null && c.ids.includes(r.body.leader)) guess.target = c.ids.indexOf(r.body.leader);
      else guess.target++;
      if (r.ok && !r.body.ok) yield ctx.sleep(o.attemptTimeoutNs / 4);
    }
    return null;
  }

  for (let ci = 0; ci < o.clients; ci++) {
    const clientId = ci + 1;
    const clientName = `${c.ids[0]}-client${clientId}`;
    w.addClient(clientName, function* (ctx) {
      const guess = { target: 0 };
      for (let n = 0; ; n++) {
        yield ctx.sleep(Math.max(1, Math.round(ctx.rng.exponential(o.opIntervalNs))));
        if (w.phase !== 'fault') return;
        const drawnKey = keyName(ctx.rng.int(0, o.keys - 1));
        const id = `c${clientId}.${n}`;
        const u = ctx.rng.next();
        let drawn: HwkvOperation;
        if (u < o.scanFraction) {
          const a = ctx.rng.int(0, o.keys - 1);
          const b = ctx.rng.int(a, o.keys);
          drawn = { op: 'scan', lo: keyName(a), hi: keyName(b), agg: ctx.rng.chance(0.5) ? 'rows' : 'sum' };
        } else drawn = u < o.scanFraction + (1 - o.scanFraction) / 2 ? { op: 'put', key: drawnKey } : { op: 'get', key: drawnKey };
        // A recorded decision (sim/decisions.ts): "client 2's 5th operation: put k3"; a script may
        // skip it or name another.
        const chosen = w.sim.decisions.operation(clientName, n + 1, drawn);
        if (chosen === null) continue;
        if (chosen.op === 'scan') {
          const spec: ScanSpec & { kind: 'kv' } = { kind: 'kv', lo: chosen.lo, hi: chosen.hi, agg: chosen.agg };
          yield* perform(ctx, { id, op: 'scan', spec }, guess);
          wl.stats.scans++;
          continue;
        }
        const key = chosen.key;
        const callNs = w.now;
        if (chosen.op === 'put') {
          const value = String(clientId * 1_000_000 + n);
          // Recorded at invocation with an unknown outcome, so a check made while it is still in
          // flight (the auditor may finish first) accounts for it; completed below.
          const at = wl.history.length;
          wl.history.push({ clientId, input: { op: 'put', key, value }, output: undefined, callNs, returnNs: Infinity });
          const r = yield* perform(ctx, { id, op: 'put', key, value: { v: value, cs: checksum(value) } }, guess);
          if (r === null) wl.stats.unknown++;
          else {
            wl.stats.ok++;
            wl.history[at] = { clientId, input: { op: 'put', key, value }, output: {}, callNs, returnNs: w.now };
          }
        } else {
          const r = yield* perform(ctx, { id, op: 'get', key }, guess);
          if (r === null) continue; // a read of unknown outcome says nothing
          wl.history.push({ clientId, input: { op: 'get', key }, output: { value: r.ok ? (r.value?.v ?? '') : '' }, callNs, returnNs: w.now });
          wl.stats.ok++;
        }
      }
    });
  }

  // The auditor: once healed, read every key (retrying), so lost acknowledged writes show.
  w.addClient(`${c.ids[0]}-auditor`, function* (ctx) {
    while (w.phase !== 'liveness') yield ctx.sleep(o.attemptTimeoutNs);
    const guess = { target: 0 };
    for (let k = 0; k < o.keys; k++) {
      const key = keyName(k);
      for (let attempt = 0; ; attempt++) {
        const callNs = w.now;
        const r = yield* perform(ctx, { id: `audit.${k}.${attempt}`, op: 'get', key }, guess);
        if (r !== null && r.ok) {
          wl.history.push({ clientId: 0, input: { op: 'get', key }, output: { value: r.value?.v ?? '' }, callNs, returnNs: w.now });
          break;
        }
      }
    }
    // Then one scan of every key: it must be served (a store whose every scan fails kept every
    // safety property, its clients counting the failures as unknown outcomes), and on the
    // accelerated store computed on the SmartSSD: with the hardware healed, an accelerator
    // whose results are never used is dead weight, not a fallback.
    const spec: ScanSpec & { kind: 'kv' } = { kind: 'kv', lo: keyName(0), hi: keyName(o.keys), agg: 'sum' };
    auditState = 'every key read; the audit scan has not been answered yet';
    for (let attempt = 0; ; attempt++) {
      const before = c.scansPushedDown;
      const r = yield* perform(ctx, { id: `audit.scan.${attempt}`, op: 'scan', spec }, guess);
      if (r !== null && r.ok && (c.kind !== 'accelerated' || c.scansPushedDown > before)) break;
      auditState = r === null || !r.ok ? 'the audit scan was not served' : 'the audit scan was served, not from the SmartSSD (read raw)';
      yield ctx.sleep(o.attemptTimeoutNs);
    }
    auditDone = true;
  });

  let checked = false;
  w.safety('linearizable', () => {
    if (checked || !auditDone) return null;
    checked = true;
    const res = checkHistory(kvModel, wl.history, { maxSteps: 2_000_000 });
    w.metrics[`${c.kind}LinearizabilityVerdict`] = res.result;
    // Reported at once (not returned) so the violation carries the history's picture.
    if (res.result === 'not') w.violation('linearizable', `history of ${wl.history.length} ops is not linearizable: ${(res.violation?.description ?? []).slice(0, 30).join(' | ')}`, { history: historyView(kvModel, wl.history, res) });
    return null;
  });
  w.liveness('healed-cluster-serves', () => (auditDone ? true : `${auditState} (leader: ${c.leader()?.id ?? 'none'})`));
  w.onHeal(() => {
    w.metrics[`${c.kind}Ops`] = { ...wl.stats, history: wl.history.length };
  });
  return wl;
}

/** Used by tests: a scan's truth from a result (count and sum). */
export function summary(r: ScanResult): { count: number; sum: number } {
  return { count: r.count, sum: r.sum };
}
