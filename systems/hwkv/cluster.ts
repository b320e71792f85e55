/**
 * Builds an hwkv cluster in a World (accelerated or traditional) and attaches the invariants every
 * hwkv scenario checks (checkers.ts, durable-acks.ts; the workload and its history-based checks are
 * in workload.ts):
 *
 * - acceptor-durability: an acceptor never forgets an accept it acknowledged (checked when it
 *   recovers): what NVDIMM persistence is for.
 * - ack-not-durable: every promise and accepted that leaves a replica is already durable in its
 *   stable storage (judged on the wire: durable-acks.ts).
 * - state-machine-safety: no two replicas apply different commands at one slot.
 * - chosen-needs-majority: a slot a leader announces chosen (its commit mark on the wire) was
 *   accepted by a majority in one ballot, as seen on the wire (durable-acks.ts).
 * - redirect-names-another: a not-leader reply never names its sender as the leader (checkers.ts).
 * - store-writes-per-put: a replica's store takes each chosen put once, one more per restart at
 *   most (a budget: checkers.ts).
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
import { makeKey, type CipherKey } from '../../sim/hardware/nic-crypto.ts';
import { SmartNic, type SmartNicOptions } from '../../sim/hardware/smart-nic.ts';
import { SmartSsd, type SmartSsdOptions } from '../../sim/hardware/smart-ssd.ts';
import type { NodeId, SimNode } from '../../sim/node.ts';
import type { World } from '../../sim/scenario.ts';
import type { Nanos } from '../../sim/time.ts';
import { acceleratedPlatform, STABLE_FILE, traditionalPlatform } from './platform.ts';
import { checkHwkvAcksDurable, nvdimmView, stableFileView } from './durable-acks.ts';
import { hwkvReplica, type ReplicaProgram } from './replica.ts';
import { checkRedirects, checkStoreWrites, invariantsObserver } from './checkers.ts';
import type { HwkvBug, Observer } from './types.ts';

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
  const counts = { putSlots: () => 0 };
  const observer = invariantsObserver(w, c, { ...o.observer, macRejected: (r, f) => { rejections++; o.observer?.macRejected?.(r, f); } }, counts);
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
  checkRedirects(w, ids);
  checkStoreWrites(w, c, () => counts.putSlots());
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

