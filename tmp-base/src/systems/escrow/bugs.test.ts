/**
 * The bug zoo, one hand-written schedule per bug: the exact interleaving that breaks it, the
 * invariant that catches it, and the same schedule passing with the flag off.
 */
import { describe, it, expect } from 'vitest';
import { TestCluster, peerConfigs } from './test-cluster.ts';
import type { EscrowBugs } from './replica.ts';

const MS = 1_000_000;

function peers(bugs: EscrowBugs, tokens: number[], capacity = tokens.reduce((a, b) => a + b, 0)): TestCluster {
  return new TestCluster(capacity, peerConfigs(capacity, ['a', 'b', 'c'].slice(0, tokens.length), { bugs }), tokens);
}

/** Runs `schedule`, returning every violation seen after each of its steps (first first). */
function violations(c: TestCluster, schedule: ((c: TestCluster) => void)[]): string[] {
  const out: string[] = [];
  for (const step of schedule) {
    step(c);
    const v = c.check();
    if (v) out.push(v);
  }
  return out;
}

describe('bug zoo: check-then-act without escrow', () => {
  // Two nodes, one seat left in each one's view; both sell before either hears of the other.
  const schedule = [
    (c: TestCluster) => c.hold(0, 'alice', 1),
    (c: TestCluster) => c.hold(1, 'bob', 1),
    (c: TestCluster) => c.flushAll(),
  ];

  it('oversells when two nodes check concurrently', () => {
    const c = peers({ checkThenAct: true }, [0, 0], 1);
    expect(violations(c, schedule)[0]).toMatch(/oversold: 2 seats .* > capacity 1/);
  });

  it('oversells during a partition even with the gossip working on each side', () => {
    const c = peers({ checkThenAct: true }, [0, 0, 0], 3);
    const log = violations(c, [
      (c) => c.hold(0, 'a1', 2), // a's side sells 2
      (c) => c.flush(0),
      (c) => { c.network = c.network.filter((m) => m.to !== 'c'); }, // partition: c never hears
      (c) => { while (c.deliver(0)); },
      (c) => c.hold(2, 'c1', 3), // c still sees 0 sold
    ]);
    expect(log[0]).toMatch(/oversold: 5 seats/);
  });

  it('the escrow design refuses the second sale on the same schedule', () => {
    const c = peers({}, [1, 0], 1);
    expect(violations(c, schedule)).toEqual([]);
    expect(c.replies.map((r) => r.reply.ok && r.reply.state)).toEqual(['held', 'pending']);
  });
});

describe('bug zoo: credit before the debit is durable', () => {
  // b lends to a; the transfer leaves, a credits it, b crashes before anything else is written.
  const schedule = [
    (c: TestCluster) => c.consume(0, 2), // a is short: borrow request to b
    (c: TestCluster) => c.flush(0),
    (c: TestCluster) => c.deliver(0), // b debits and sends
    (c: TestCluster) => c.flush(1),
    (c: TestCluster) => c.crash(1),
    (c: TestCluster) => c.deliver(0), // a credits
  ];

  it('creates tokens: caught as a phantom transfer, then as broken conservation', () => {
    const c = peers({ creditBeforeDebitDurable: true }, [0, 6]);
    const log = violations(c, schedule);
    expect(log[0]).toMatch(/phantom transfer b->a#1 of 2/);
    expect(log[1]).toMatch(/conservation broken: free 8 .* = 8, capacity 6/);
  });

  it('the correct design conserves on the same schedule', () => {
    const c = peers({}, [0, 6]);
    expect(violations(c, schedule)).toEqual([]);
    expect(c.members.map((m) => m.node.snapshot().tokens)).toEqual([2, 4]);
  });
});

describe('bug zoo: reaper returns tokens of a confirmed hold', () => {
  const schedule = [
    (c: TestCluster) => c.hold(0, 'sold', 2),
    (c: TestCluster) => c.confirm(0, 'sold'),
    (c: TestCluster) => c.advance(200 * MS),
    (c: TestCluster) => c.tick(0),
    (c: TestCluster) => c.hold(0, 'again', 2),
  ];

  it('breaks conservation at the reap and oversells the resold seats', () => {
    const c = peers({ reaperReturnsConfirmed: true }, [2]);
    const log = violations(c, schedule);
    expect(log[0]).toMatch(/conservation broken/);
    expect(log[1]).toMatch(/oversold: 4 seats .* > capacity 2/);
  });

  it('the correct reaper leaves a confirmed hold alone', () => {
    const c = peers({}, [2]);
    expect(violations(c, schedule)).toEqual([]);
    c.flushAll();
    expect(c.replies.at(-1)?.reply).toMatchObject({ ok: true, reservationId: 'again', state: 'pending' }); // waits: no tokens
  });
});

describe('bug zoo: rebalancing double-counts in-flight tokens', () => {
  // b lends 2 to a; before the ack, c asks b for tokens: b counts the unacked 2 as its own.
  const schedule = [
    (c: TestCluster) => c.consume(0, 2), // a -> b borrow request (batch 2)
    (c: TestCluster) => c.flush(0),
    (c: TestCluster) => c.deliver(0), // b sends the transfer: b has 0 free
    (c: TestCluster) => c.flush(1),
    (c: TestCluster) => c.consume(2, 2), // c is short too; it asks a first, then b
    (c: TestCluster) => c.flush(2),
    (c: TestCluster) => { c.network = c.network.map((m) => (m.type === 'borrow-request' ? { ...m, to: 'b' } : m)); }, // route c's request to b
    (c: TestCluster) => c.deliver(1), // b "recalls" its in-flight 2 and lends them to c
    (c: TestCluster) => c.flush(1),
    (c: TestCluster) => c.deliver(0), // the original transfer still reaches a
  ];

  it('counts the same tokens twice: caught as a phantom transfer and broken conservation', () => {
    const c = peers({ rebalanceDoubleCountsInFlight: true }, [0, 2, 0]);
    const log = violations(c, schedule);
    expect(log.some((v) => /phantom transfer b->a#1/.test(v))).toBe(true);
    // a got the original 2 and b's second transfer of the same 2 is on its way to c.
    expect(log.at(-1)).toMatch(/conservation broken: free 2 .* in flight 2 = 4, capacity 2/);
  });

  it('the correct lender refuses instead', () => {
    const c = peers({}, [0, 2, 0]);
    expect(violations(c, schedule)).toEqual([]);
    expect(c.members.map((m) => m.node.snapshot().tokens)).toEqual([2, 0, 0]);
  });
});
