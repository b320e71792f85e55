/**
 * Builds an hwkv cluster in a World (accelerated or traditional), its client workload with a
 * recorded history, and the invariants every hwkv scenario checks:
 *
 * - acceptor-durability: an acceptor never forgets an accept it acknowledged (checked when it
 *   recovers): what NVDIMM persistence is for.
 * - ack-not-durable: every promise and accepted that leaves a replica is already durable in its
 *   stable storage (judged on the wire: durable-acks.ts).
 * - state-machine-safety: no two replicas apply different commands at one slot.
 * - no-corrupt-scan-served: a scan result served to a client equals the store's rows at that
 *   moment (end-to-end checksums must catch a wrong or partial SmartSSD result).
 * - no-unauthenticated-value-applied: every put a replica applies carries exactly the value the
 *   client gave the leader (peer messages are sealed; one that fails its MAC must be refused).
 * - linearizable: the clients' get/put history, plus a final read of every key once healed (so a
 *   lost acknowledged write shows), checked with invariants/linearizability (kv model).
 * - liveness healed-cluster-serves: after the faults stop, every key can be read.
 */
import { HostCpu, HostKvStore, type HostCpuOptions, type HostKvOptions } from '../../sim/hardware/host.ts';
import type { DiskProfile } from '../../sim/disk/profiles.ts';
import { checksum } from '../../sim/hardware/result.ts';
import { makeKey, type CipherKey } from '../../sim/hardware/nic-crypto.ts';
import { evalScan, type ScanResult, type ScanSpec } from '../../sim/hardware/scan.ts';
import { SmartNic, type SmartNicOptions } from '../../sim/hardware/smart-nic.ts';
import { SmartSsd, type SmartSsdOptions } from '../../sim/hardware/smart-ssd.ts';
import type { CallResult, NodeContext, NodeId, SimNode } from '../../sim/node.ts';
import type { World } from '../../sim/scenario.ts';
import type { ProcessBody } from '../../sim/process.ts';
import type { Nanos } from '../../sim/time.ts';
import { historyView } from '../../invariants/linearizability/history-view.ts';
import { checkHistory, kvModel, type KvInput, type KvOutput, type Operation } from '../../invariants/linearizability/index.ts';
import { acceleratedPlatform, STABLE_FILE, traditionalPlatform } from './platform.ts';
import { checkHwkvAcksDurable, nvdimmView, stableFileView } from './durable-acks.ts';
import { hwkvReplica, type ReplicaProgram } from './replica.ts';
import type { Cmd, Entry, HwkvBug, KvReply, KvRequest, Observer } from './types.ts';

export type ClusterKind = 'accelerated' | 'traditional';

export interface ClusterOptions {
  kind: ClusterKind;
  /** Node ids are `${prefix}1`, `${prefix}2`, ... */
  prefix: string;
  replicas: number;
  bug: HwkvBug;
  heartbeatNs: Nanos;
  electionNs: Nanos;
  electionStaggerNs: Nanos;
  /** Seal peer messages (NIC engine or host core). Default true. */
  encrypt?: boolean;
  /** Extra instrumentation (latency figures), next to the invariants' own. */
  observer?: Observer;
  /** Device figures other than the defaults (the latency table's parameters). */
  devices?: {
    nic?: Partial<SmartNicOptions>;
    ssd?: Partial<SmartSsdOptions>;
    cpu?: Partial<HostCpuOptions>;
    kv?: Partial<HostKvOptions>;
    disk?: DiskProfile;
  };
}

export interface Cluster {
  kind: ClusterKind;
  ids: NodeId[];
  nodes: SimNode<ReplicaProgram>[];
  nics: SmartNic[];
  ssds: SmartSsd[];
  cpus: HostCpu[];
  kvs: HostKvStore[];
  /** The cluster's session key (null: unencrypted). The hosts hold it; NICs get it from them. */
  key: CipherKey | null;
  /** Sealed messages refused for a failed MAC, over the run. */
  macRejections(): number;
  /** Scans served from a SmartSSD's pushed-down result (not read raw), over the run. */
  scansPushedDown: number;
  /** The replica that leads in the highest ballot right now, if any (god's-eye). */
  leader(): SimNode<ReplicaProgram> | null;
}

/** Adds the replicas and their devices, and the god's-eye invariants on them. */
export function buildCluster(w: World<unknown>, o: ClusterOptions): Cluster {
  const ids = Array.from({ length: o.replicas }, (_, i) => `${o.prefix}${i + 1}`);
  const keyRng = w.rng(`${o.prefix}-cluster-key`);
  const word = (): number => keyRng.int(0, 2 ** 32 - 1);
  const key = (o.encrypt ?? true) ? makeKey(1, [word(), word(), word(), word()]) : null;
  let rejections = 0;
  const c: Cluster = { kind: o.kind, ids, nodes: [], nics: [], ssds: [], cpus: [], kvs: [], key, macRejections: () => rejections, scansPushedDown: 0, leader: () => null };
  const observer = invariantsObserver(w, c, { ...o.observer, macRejected: (r, f) => { rejections++; o.observer?.macRejected?.(r, f); } });
  for (const id of ids) {
    if (o.kind === 'accelerated') {
      const nic = w.addDevice((sim) => new SmartNic(sim, { ...o.devices?.nic, name: id }));
      const ssd = w.addDevice((sim) => new SmartSsd(sim, { ...o.devices?.ssd, name: id }));
      const node = w.addNode(id, (ctx) => hwkvReplica(ctx, { ...timing(o), replicas: ids, platform: acceleratedPlatform(ctx, nic, ssd, key), bug: o.bug, observer, trueNow: () => w.now }));
      nic.attach(node as unknown as SimNode);
      c.nics.push(nic);
      c.ssds.push(ssd);
      c.nodes.push(node);
    } else {
      const cpu = w.addDevice((sim) => new HostCpu(sim, { ...o.devices?.cpu, name: id }));
      const kv = w.addDevice((sim) => new HostKvStore(sim, { ...o.devices?.kv, name: id }));
      const node = w.addNode(id, (ctx) => hwkvReplica(ctx, { ...timing(o), replicas: ids, platform: traditionalPlatform(ctx, cpu, kv, key), bug: o.bug, observer, trueNow: () => w.now }), o.devices?.disk ? { disk: o.devices.disk } : {});
      c.cpus.push(cpu);
      c.kvs.push(kv);
      c.nodes.push(node);
    }
  }
  checkHwkvAcksDurable(w, ids, key, o.kind === 'accelerated' ? nvdimmView((id) => c.nics[ids.indexOf(id)]) : stableFileView(STABLE_FILE));
  c.leader = () => {
    let best: SimNode<ReplicaProgram> | null = null;
    for (const n of c.nodes) {
      const p = n.program;
      if (p !== null && p.role() === 'leader' && (best === null || p.ballot() > best.program!.ballot())) best = n;
    }
    return best;
  };
  return c;
}

function timing(o: ClusterOptions) {
  return { heartbeatNs: o.heartbeatNs, electionNs: o.electionNs, electionStaggerNs: o.electionStaggerNs };
}

/** The god's-eye observer: durability, state machine safety, served scans; then `extra`. */
function invariantsObserver(w: World<unknown>, c: Cluster, extra: Observer): Observer {
  const acked = new Map<NodeId, Map<number, number>>();
  const appliedAt = new Map<number, string>();
  /** What each put's client gave the leader: the only value any replica may apply for it. */
  const requestedValue = new Map<string, string>();
  const rowsOf = (id: NodeId) => {
    const i = c.ids.indexOf(id);
    return c.kind === 'accelerated' ? c.ssds[i]!.rows : c.kvs[i]!.rows;
  };
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

// ---------------------------------------------------------------------------------------------
// Workload and history.

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
