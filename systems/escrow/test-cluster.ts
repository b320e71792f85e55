/**
 * A tiny in-memory cluster for tests (like etcd raft's in-test network): seat nodes, their disks,
 * a bag of messages in flight, and a clock. It applies each step's NodeOutput the way the real host
 * must: `persist` is written at once, while messages and replies wait in the node's send queue
 * until `flush` — so a crash between the disk write and the send is a reachable state. Faults are
 * explicit operations: drop, duplicate, deliver out of order, crash-and-restore from disk.
 */
import type { Nanos } from '../../sim/time.ts';
import { checkAckedConfirmations, checkEscrowInvariants, reservedTokensDrift } from './invariants.ts';
import type { EscrowReplicaConfig } from './replica.ts';
import { createSeatNode, restoreSeatNode, snapshotOfDurable, type SeatDurable } from './seat.ts';
import type { ClientReply, EscrowMsg, GlobalSnapshot, NodeOutput, SeatNode } from './types.ts';

interface Member {
  config: EscrowReplicaConfig;
  node: SeatNode<SeatDurable>;
  disk: SeatDurable;
  sendQueue: EscrowMsg[];
  replyQueue: ClientReply[];
}

export class TestCluster {
  readonly members: Member[];
  network: EscrowMsg[] = [];
  nowNs: Nanos = 0;
  readonly replies: { nodeId: string; reply: ClientReply }[] = [];
  readonly ackedConfirms: { nodeId: string; reservationId: string }[] = [];
  private prev: GlobalSnapshot | null = null;

  constructor(readonly capacity: number, configs: readonly EscrowReplicaConfig[], initialTokens: readonly number[]) {
    this.members = configs.map((config, i) => {
      const node = createSeatNode(config, initialTokens[i] ?? 0);
      return { config, node, disk: structuredClone(node.durable()), sendQueue: [], replyQueue: [] };
    });
    this.prev = this.snapshot();
  }

  private member(i: number): Member {
    return this.members[((i % this.members.length) + this.members.length) % this.members.length] as Member;
  }

  private apply(m: Member, out: NodeOutput<SeatDurable>): void {
    if (out.persist) m.disk = structuredClone(out.persist);
    m.sendQueue.push(...out.messages);
    m.replyQueue.push(...out.replies);
  }

  /** Sends node i's queued messages and delivers its queued replies. */
  flush(i: number): void {
    const m = this.member(i);
    this.network.push(...m.sendQueue.map((x) => structuredClone(x)));
    for (const r of m.replyQueue) {
      this.replies.push({ nodeId: m.node.id, reply: r });
      if (r.op === 'confirm' && r.ok && r.reservationId !== null) this.ackedConfirms.push({ nodeId: m.node.id, reservationId: r.reservationId });
    }
    m.sendQueue = [];
    m.replyQueue = [];
  }

  flushAll(): void {
    for (let i = 0; i < this.members.length; i++) this.flush(i);
  }

  hold(i: number, reservationId: string, count: number): void {
    const m = this.member(i);
    this.apply(m, m.node.hold({ reservationId, count }, this.nowNs));
  }
  confirm(i: number, reservationId: string): void {
    const m = this.member(i);
    this.apply(m, m.node.confirm(reservationId, this.nowNs));
  }
  cancel(i: number, reservationId: string): void {
    const m = this.member(i);
    this.apply(m, m.node.cancel(reservationId, this.nowNs));
  }
  extend(i: number, reservationId: string): void {
    const m = this.member(i);
    this.apply(m, m.node.extend(reservationId, this.nowNs));
  }
  consume(i: number, count: number): void {
    const m = this.member(i);
    this.apply(m, m.node.consume(count, this.nowNs));
  }
  tick(i: number): void {
    const m = this.member(i);
    this.apply(m, m.node.tick(this.nowNs));
  }
  advance(dtNs: Nanos): void {
    this.nowNs += dtNs;
  }

  /** Delivers (and removes) the k-th message in flight, modulo the count; false if none. */
  deliver(k: number): boolean {
    if (this.network.length === 0) return false;
    const idx = k % this.network.length;
    const [msg] = this.network.splice(idx, 1) as [EscrowMsg];
    const m = this.members.find((x) => x.node.id === msg.to);
    if (m) this.apply(m, m.node.receive(msg, this.nowNs));
    return true;
  }
  duplicate(k: number): void {
    if (this.network.length === 0) return;
    this.network.push(structuredClone(this.network[k % this.network.length] as EscrowMsg));
  }
  drop(k: number): void {
    if (this.network.length === 0) return;
    this.network.splice(k % this.network.length, 1);
  }

  /** Crash node i: memory and unsent output are lost; it restarts from its disk. */
  crash(i: number): void {
    const m = this.member(i);
    m.sendQueue = [];
    m.replyQueue = [];
    m.node = restoreSeatNode(m.config, structuredClone(m.disk));
  }

  snapshot(): GlobalSnapshot {
    return { capacity: this.capacity, nodes: this.members.map((m) => m.node.snapshot()), messages: this.network.map((x) => structuredClone(x)) };
  }

  /** The snapshot as seen from the disks: what a crash of every node would leave. */
  durableSnapshot(): GlobalSnapshot {
    return { capacity: this.capacity, nodes: this.members.map((m) => snapshotOfDurable(m.disk)), messages: this.network.map((x) => structuredClone(x)) };
  }

  /** Runs every invariant against the previous check; returns the first violation or null. */
  check(): string | null {
    const next = this.snapshot();
    // Every step: the nodes' incremental sums against their lists summed from scratch.
    let v = next.nodes.map(reservedTokensDrift).find((d) => d !== null) ?? null;
    v ??= checkEscrowInvariants(this.prev, next) ?? checkAckedConfirmations(this.ackedConfirms, next);
    this.prev = next;
    return v;
  }

  /**
   * Heals the cluster: no more faults, every node ticks and flushes and every message is delivered
   * in order, until nothing is in flight or `rounds` run out. Returns the first violation, or null.
   */
  heal(rounds: number, stepNs: Nanos): string | null {
    for (let r = 0; r < rounds; r++) {
      this.advance(stepNs);
      for (let i = 0; i < this.members.length; i++) this.tick(i);
      this.flushAll();
      while (this.network.length > 0) {
        this.deliver(0);
        this.flushAll();
        const v = this.check();
        if (v) return v;
      }
      const v = this.check();
      if (v) return v;
      if (this.members.every((m) => m.node.snapshot().outbox.length === 0)) return null;
    }
    return null;
  }
}

/** A default hold policy for tests: 100ms holds, 20ms grace, 50ms pending timeout. */
export const TEST_HOLD = { holdNs: 100_000_000, graceNs: 20_000_000, pendingTimeoutNs: 50_000_000, extendNs: 50_000_000, maxExtensions: 2 } as const;

/** Configs for a flat peer-to-peer group of replicas that borrow from each other on demand. */
export function peerConfigs(capacity: number, ids: readonly string[], overrides: Partial<EscrowReplicaConfig> = {}): EscrowReplicaConfig[] {
  return ids.map((id) => ({
    id,
    capacity,
    parent: null,
    peers: ids.filter((x) => x !== id),
    refill: { kind: 'demand', lowWaterTokens: 0, batchTokens: 2, source: 'peers' },
    coordinator: null,
    lendFloorTokens: 0,
    retransmitNs: 10_000_000,
    borrowTimeoutNs: 20_000_000,
    hold: TEST_HOLD,
    ...overrides,
  }));
}

/** One random operation of the fault-injecting test driver; node and message indices are taken modulo. */
export type ClusterOp =
  | { readonly op: 'hold'; readonly node: number; readonly count: number; readonly flush?: boolean }
  | { readonly op: 'confirm' | 'cancel' | 'extend'; readonly node: number; readonly pick: number; readonly flush?: boolean }
  | { readonly op: 'consume'; readonly node: number; readonly count: number; readonly flush?: boolean }
  | { readonly op: 'tick' | 'flush' | 'crash'; readonly node: number; readonly flush?: boolean }
  | { readonly op: 'advance'; readonly dtNs: number }
  | { readonly op: 'deliver' | 'duplicate' | 'drop'; readonly pick: number; readonly flush?: boolean };

export interface RunOptions {
  /**
   * Also require, after every step, that each node's disk equals its memory's durable state: the
   * correct design never keeps anything unpersisted once a step's output has been applied.
   */
  readonly strictDurability?: boolean;
}

/**
 * Applies `ops` to `c`, checking every invariant after each; returns the first violation (with the
 * step number) or null. Reservation ids are generated in order, so a run is a pure function of ops.
 */
export function runOps(c: TestCluster, ops: readonly ClusterOp[], opts: RunOptions = {}): string | null {
  let nextId = 0;
  for (let step = 0; step < ops.length; step++) {
    const o = ops[step] as ClusterOp;
    switch (o.op) {
      case 'hold': c.hold(o.node, `h${nextId++}`, o.count); break;
      case 'confirm':
      case 'cancel':
      case 'extend': {
        const m = c.members[o.node % c.members.length];
        const rs = m?.node.snapshot().reservations ?? [];
        if (rs.length === 0) break;
        const id = (rs[o.pick % rs.length] as { id: string }).id;
        if (o.op === 'confirm') c.confirm(o.node, id);
        else if (o.op === 'cancel') c.cancel(o.node, id);
        else c.extend(o.node, id);
        break;
      }
      case 'consume': c.consume(o.node, o.count); break;
      case 'tick': c.tick(o.node); break;
      case 'flush': c.flush(o.node); break;
      case 'crash': c.crash(o.node); break;
      case 'advance': c.advance(o.dtNs); break;
      case 'deliver': c.deliver(o.pick); break;
      case 'duplicate': c.duplicate(o.pick); break;
      case 'drop': c.drop(o.pick); break;
    }
    // `flush` on an op sends what it produced at once (deliver: what the receiver produced).
    if ('flush' in o && o.flush) {
      if (o.op === 'deliver') c.flushAll();
      else if ('node' in o) c.flush(o.node);
    }
    if (opts.strictDurability) {
      for (const m of c.members) {
        if (JSON.stringify(m.node.durable()) !== JSON.stringify(m.disk)) return `step ${step} (${JSON.stringify(o)}): ${m.node.id} has unpersisted state`;
      }
    }
    const v = c.check();
    if (v) return `step ${step} (${JSON.stringify(o)}): ${v}`;
  }
  return null;
}
