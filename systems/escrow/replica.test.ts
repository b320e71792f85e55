import { describe, it, expect } from 'vitest';
import { EscrowReplica, type EscrowReplicaConfig } from './replica.ts';
import { TEST_HOLD, TestCluster, peerConfigs } from './test-cluster.ts';
import type { EscrowMsg } from './types.ts';

const MS = 1_000_000;

/** Delivers everything in flight (flushing replies to it) until the network is empty. */
function drain(c: TestCluster): void {
  c.flushAll();
  for (let n = 0; c.network.length > 0; n++) {
    expect(n).toBeLessThan(1000);
    c.deliver(0);
    c.flushAll();
    expect(c.check()).toBeNull();
  }
}

const types = (msgs: readonly EscrowMsg[]): string[] => msgs.map((m) => `${m.type}:${m.from}->${m.to}`);

describe('escrow replica: local consumption', () => {
  it('consumes and holds locally with no messages, and refuses beyond its tokens when it cannot borrow', () => {
    const [cfg] = peerConfigs(10, ['a'], { refill: { kind: 'none' } }) as [EscrowReplicaConfig];
    const r = EscrowReplica.create(cfg, 10);
    const o1 = r.consume(4, 0);
    expect(o1.messages).toEqual([]);
    expect(o1.persist?.tokens).toBe(6);
    expect(o1.replies[0]).toMatchObject({ op: 'consume', ok: true });
    const o2 = r.hold({ reservationId: 'x', count: 6 }, 0);
    expect(o2.replies[0]).toMatchObject({ ok: true, state: 'held' });
    const o3 = r.hold({ reservationId: 'y', count: 1 }, 0);
    expect(o3.replies[0]).toMatchObject({ ok: false, code: 'insufficient-tokens' });
    expect(o3.persist).toBeNull();
    expect(r.snapshot()).toMatchObject({ tokens: 0, consumedDirect: 4 });
  });
});

describe('escrow replica: exactly-once transfers', () => {
  it('exhaustion borrows from a peer; the pending hold is granted when the transfer lands; the ack clears the outbox', () => {
    const c = new TestCluster(10, peerConfigs(10, ['a', 'b', 'c']), [0, 6, 4]);
    c.hold(0, 'r1', 3);
    expect(c.members[0]?.sendQueue.map((m) => `${m.type}:${m.to}`)).toEqual(['borrow-request:b']);
    c.flush(0);
    c.deliver(0); // b lends
    expect(types(c.members[1]?.sendQueue ?? [])).toEqual(['transfer:b->a']);
    expect(c.members[1]?.disk).toMatchObject({ tokens: 3, outbox: [{ to: 'a', seq: 1, amount: 3 }] }); // debit durable before send
    drain(c);
    expect(c.members[0]?.node.snapshot().reservations).toEqual([{ id: 'r1', count: 3, state: 'held' }]);
    expect(c.replies.map((r) => r.reply)).toContainEqual(expect.objectContaining({ op: 'notify', reservationId: 'r1', state: 'held' }));
    expect(c.members[1]?.node.snapshot().outbox).toEqual([]);
  });

  it('a duplicated transfer is credited once and acked twice', () => {
    const c = new TestCluster(10, peerConfigs(10, ['a', 'b']), [0, 10]);
    c.consume(0, 1); // fails, borrows
    c.flush(0);
    c.deliver(0);
    c.flush(1);
    expect(c.network.map((m) => m.type)).toEqual(['transfer']);
    c.duplicate(0);
    c.deliver(0);
    c.deliver(0);
    expect(c.members[0]?.node.snapshot().tokens).toBe(2); // batch of 2, once
    c.flush(0);
    expect(c.network.map((m) => m.type)).toEqual(['transfer-ack', 'transfer-ack']);
    expect(c.check()).toBeNull();
  });

  it('a receiver that crashes after persisting the credit but before acking is not credited twice on retransmit', () => {
    const c = new TestCluster(10, peerConfigs(10, ['a', 'b']), [0, 10]);
    c.consume(0, 2);
    c.flush(0);
    c.deliver(0);
    c.flush(1);
    c.deliver(0); // a credits 2 and persists; its ack waits in the send queue
    c.crash(0); // ...and is lost
    expect(c.members[0]?.node.snapshot().tokens).toBe(2);
    c.advance(20 * MS);
    c.tick(1); // b retransmits
    c.flush(1);
    expect(c.network.map((m) => m.type)).toEqual(['transfer']);
    drain(c);
    expect(c.members[0]?.node.snapshot().tokens).toBe(2);
    expect(c.members[1]?.node.snapshot().outbox).toEqual([]);
  });

  it('a sender that crashes after the durable debit but before sending retransmits after restart', () => {
    const c = new TestCluster(10, peerConfigs(10, ['a', 'b']), [0, 10]);
    c.consume(0, 2);
    c.flush(0);
    c.deliver(0);
    c.crash(1); // the transfer never left
    expect(c.network).toEqual([]);
    expect(c.check()).toBeNull(); // the 2 tokens are in flight in b's durable outbox
    c.tick(1);
    drain(c);
    expect(c.members[0]?.node.snapshot().tokens).toBe(2);
    expect(c.members[1]?.node.snapshot()).toMatchObject({ tokens: 8, outbox: [] });
  });

  it('dedup state stays compact: a contiguous run of credits becomes a watermark', () => {
    const c = new TestCluster(100, peerConfigs(100, ['a', 'b']), [0, 100]);
    for (let i = 0; i < 5; i++) {
      c.consume(0, 2); // refused: borrows a batch of 2
      c.advance(30 * MS);
      drain(c);
      c.consume(0, 2); // spends it
    }
    expect(c.members[0]?.node.snapshot().credited).toEqual([{ from: 'b', upTo: 5, above: [] }]);
  });

  it('a refused borrow counts toward the refusal streak and rotates to the next peer', () => {
    const c = new TestCluster(10, peerConfigs(10, ['a', 'b', 'c']), [0, 0, 10]);
    c.hold(0, 'r', 1);
    drain(c); // b refuses
    expect(c.members[0]?.node.snapshot().refusalStreak).toBe(1);
    c.advance(25 * MS);
    c.tick(0); // retry goes to c
    drain(c);
    expect(c.members[0]?.node.snapshot()).toMatchObject({ refusalStreak: 0, reservations: [{ id: 'r', state: 'held' }] });
  });
});

describe('escrow replica: refill policies', () => {
  it('time-based refill tops up to the target every interval', () => {
    const cfgs = peerConfigs(20, ['a', 'b'], { refill: { kind: 'time', intervalNs: 10 * MS, targetTokens: 5, source: 'peers' } });
    const c = new TestCluster(20, cfgs, [1, 19]);
    c.tick(0);
    drain(c);
    expect(c.members[0]?.node.snapshot().tokens).toBe(5);
    c.consume(0, 4);
    c.advance(5 * MS);
    c.tick(0); // interval not reached
    expect(c.members[0]?.sendQueue).toEqual([]);
    c.advance(5 * MS);
    c.tick(0);
    drain(c);
    expect(c.members[0]?.node.snapshot().tokens).toBe(5);
  });

  it('multi-level escrow: a local node borrows from its region, which borrows from the global pool', () => {
    const base = { capacity: 30, peers: [] as string[], coordinator: null, lendFloorTokens: 0, retransmitNs: 10 * MS, borrowTimeoutNs: 20 * MS, hold: TEST_HOLD };
    const demand = { kind: 'demand', lowWaterTokens: 0, batchTokens: 4, source: 'parent' } as const;
    const cfgs: EscrowReplicaConfig[] = [
      { ...base, id: 'global', parent: null, refill: { kind: 'none' } },
      { ...base, id: 'eu', parent: 'global', refill: demand },
      { ...base, id: 'eu-1', parent: 'eu', refill: demand },
    ];
    const c = new TestCluster(30, cfgs, [30, 0, 0]);
    c.hold(2, 'seat', 3);
    drain(c); // eu refuses eu-1, and asks global
    expect(c.members[1]?.node.snapshot().tokens).toBe(4);
    c.advance(25 * MS);
    c.tick(2);
    drain(c);
    expect(c.members[2]?.node.snapshot().reservations).toEqual([{ id: 'seat', count: 3, state: 'held' }]);
    expect(c.members.map((m) => m.node.snapshot().tokens)).toEqual([26, 0, 1]);
  });

  it('centralised rebalancing: the coordinator grants from its pool and orders a rich child to give', () => {
    const base = { capacity: 40, peers: [] as string[], lendFloorTokens: 0, retransmitNs: 10 * MS, borrowTimeoutNs: 20 * MS, hold: TEST_HOLD };
    const child = { kind: 'coordinator', reportIntervalNs: 10 * MS } as const;
    const cfgs: EscrowReplicaConfig[] = [
      { ...base, id: 'coord', parent: null, refill: { kind: 'none' }, coordinator: { children: ['x', 'y', 'z'], intervalNs: 10 * MS, lowWaterTokens: 2 } },
      { ...base, id: 'x', parent: 'coord', refill: child, coordinator: null },
      { ...base, id: 'y', parent: 'coord', refill: child, coordinator: null },
      { ...base, id: 'z', parent: 'coord', refill: child, coordinator: null },
    ];
    const c = new TestCluster(40, cfgs, [3, 0, 0, 37]);
    c.hold(1, 'big', 6); // x waits for 6
    c.tick(1);
    c.tick(2);
    c.tick(3);
    drain(c);
    c.tick(0); // plan: x needs 6+2=8, y needs 2; coord gives 3 of its own, z gives the rest
    const sent = types(c.members[0]?.sendQueue ?? []);
    expect(sent).toEqual(['transfer:coord->x', 'rebalance-order:coord->z', 'rebalance-order:coord->z']);
    drain(c);
    expect(c.members[1]?.node.snapshot().reservations).toEqual([{ id: 'big', count: 6, state: 'held' }]);
    expect(c.members.map((m) => m.node.snapshot().tokens)).toEqual([0, 2, 2, 30]);
  });
});

describe('escrow replica: snapshots', () => {
  it('an earlier snapshot keeps the states it saw; a later one sees every change, behind a closed prefix too', () => {
    const [cfg] = peerConfigs(10, ['a'], { refill: { kind: 'none' } }) as [EscrowReplicaConfig];
    const r = EscrowReplica.create(cfg, 10);
    r.hold({ reservationId: 'x', count: 1 }, 0);
    r.hold({ reservationId: 'y', count: 2 }, 0);
    r.confirm('x', 1);
    const before = r.snapshot().reservations;
    r.confirm('y', 2);
    r.hold({ reservationId: 'z', count: 3 }, 3);
    const after = r.snapshot().reservations;
    expect(before).toEqual([{ id: 'x', count: 1, state: 'confirmed' }, { id: 'y', count: 2, state: 'held' }]);
    expect(after.map((v) => v.state)).toEqual(['confirmed', 'confirmed', 'held']);
    r.cancel('z', 4);
    expect(r.snapshot().reservations.map((v) => v.state)).toEqual(['confirmed', 'confirmed', 'cancelled']);
  });
});
