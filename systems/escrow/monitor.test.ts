import { describe, expect, it } from 'vitest';
import { EscrowReplica, type EscrowReplicaConfig } from './replica.ts';
import { TEST_HOLD, peerConfigs } from './test-cluster.ts';
import { TransferWire, type EscrowHost } from './host.ts';
import { EscrowMonitor, type HostedNode } from './monitor.ts';
import { durableReservations, type Reservation } from './reservation.ts';
import type { SeatDurable } from './seat.ts';
import type { NodeSnapshot } from './types.ts';

const MS = 1_000_000;

/** One up node whose written and synced states the test sets directly. */
function fakeNode(): { node: HostedNode; set: (d: SeatDurable) => void } {
  let state: SeatDurable | null = null;
  const program = {
    get synced() {
      return state!;
    },
    get written() {
      return state!;
    },
  } as unknown as EscrowHost;
  const node = { id: 'a', up: true, state: 'up', epoch: 1, clock: { localAt: (t: number) => t }, disk: null, program } as unknown as HostedNode;
  return { node, set: (d) => (state = d) };
}

describe('escrow monitor: checks that skip the history still see every change', () => {
  it('an acknowledged confirmation is found after a crash reuses positions, and a lost one is reported', () => {
    const [cfg] = peerConfigs(10, ['a'], { refill: { kind: 'none' } }) as [EscrowReplicaConfig];
    const clock = { now: 0, events: 0 };
    const { node, set } = fakeNode();
    const m = new EscrowMonitor(10, [node], new TransferWire(100 * MS), clock);
    const first = EscrowReplica.create(cfg, 10);
    first.hold({ reservationId: 'x', count: 1 }, 0);
    first.confirm('x', 1);
    set(first.durable());
    expect(m.ackConfirmed('a', 'x')).toBeNull();
    // A restart from an older state: position 0 now holds another reservation.
    const second = EscrowReplica.create(cfg, 10);
    second.hold({ reservationId: 'y', count: 1 }, 0);
    second.confirm('y', 1);
    set(second.durable());
    expect(m.ackConfirmed('a', 'y')).toBeNull();
    expect(m.ackConfirmed('a', 'x')).toMatch(/x at a is confirmed, but its durable state says missing/);
  });

  it('reply-durable: a granted hold or a cancellation told to a client must be in the durable state, in that state or beyond', () => {
    const [cfg] = peerConfigs(10, ['a'], { refill: { kind: 'none' } }) as [EscrowReplicaConfig];
    const { node, set } = fakeNode();
    const m = new EscrowMonitor(10, [node], new TransferWire(100 * MS), { now: 0, events: 0 });
    const r = EscrowReplica.create(cfg, 10);
    set(r.durable());
    r.hold({ reservationId: 'x', count: 1 }, 0);
    expect(m.ackDurable('a', 'x', 'held')).toMatch(/told x at a is held, but its durable state says missing/);
    set(r.durable());
    expect(m.ackDurable('a', 'x', 'held')).toBeNull();
    r.cancel('x', 1);
    expect(m.ackDurable('a', 'x', 'cancelled')).toMatch(/is cancelled, but its durable state says held/);
    set(r.durable());
    expect(m.ackDurable('a', 'x', 'cancelled')).toBeNull();
    // Moved on since the reply left: a held reply read against a later, confirmed durable state.
    r.hold({ reservationId: 'y', count: 1 }, 2);
    r.confirm('y', 3);
    set(r.durable());
    expect(m.ackDurable('a', 'y', 'held')).toBeNull();
  });

  it('the reaper check finds a late hold behind a prefix of closed reservations', () => {
    const [cfg] = peerConfigs(10, ['a'], { refill: { kind: 'none' } }) as [EscrowReplicaConfig];
    const clock = { now: 0, events: 0 };
    const { node, set } = fakeNode();
    const m = new EscrowMonitor(10, [node], new TransferWire(100 * MS), clock);
    m.graceNs = TEST_HOLD.graceNs;
    const r = EscrowReplica.create(cfg, 10);
    for (const id of ['c1', 'c2']) {
      r.hold({ reservationId: id, count: 1 }, 0);
      r.confirm(id, 1);
    }
    r.hold({ reservationId: 'late', count: 1 }, 0);
    set(r.durable());
    const slack = 10 * MS;
    expect(m.checkReaper(slack)).toBeNull(); // first sight: starts the node's up-time
    clock.now = TEST_HOLD.holdNs + TEST_HOLD.graceNs + slack;
    expect(m.checkReaper(slack)).toBeNull(); // late by exactly the slack: allowed
    clock.now += 1;
    expect(m.checkReaper(slack)).toMatch(/held reservation late at a outlived its deadline/);
  });

  it('the transitions check skips the closed prefix an earlier state vouches for, and looks from there on', () => {
    const [cfg] = peerConfigs(10, ['a'], { refill: { kind: 'none' } }) as [EscrowReplicaConfig];
    const clock = { now: 0, events: 0 };
    const { node, set } = fakeNode();
    const m = new EscrowMonitor(10, [node], new TransferWire(100 * MS), clock);
    const r = EscrowReplica.create(cfg, 10);
    r.hold({ reservationId: 'c', count: 1 }, 0);
    r.confirm('c', 1);
    r.hold({ reservationId: 'h', count: 2 }, 0);
    set(r.durable());
    expect(m.checkTransitions()).toBeNull();
    r.hold({ reservationId: 'n', count: 1 }, 2);
    const next = r.durable();
    // Position 1 was open in the earlier state: a change there must still be seen. The monitor
    // reads the state in place, so the change goes where it reads: this state's open copies.
    const open = durableReservations(next.reservations).open as Reservation[];
    open[0] = { ...open[0]!, count: 5 };
    set(next);
    expect(m.checkTransitions()).toMatch(/reservation h at a changed count 2 -> 5/);
  });

  it("never-oversell verifies the nodes' kept sums at polls 1, 2, 4, ..., once more when asked (the heal), or at every poll under verifySumsEveryPoll", () => {
    const reservations = [{ id: 'h', count: 3, state: 'held' as const }];
    const snap: NodeSnapshot = { id: 'a', kind: 'escrow', tokens: 0, consumedDirect: 0, reservations, reserved: { pending: 0, held: 1, confirmed: 0 }, outbox: [], credited: [], refusalStreak: 0, wantedTokens: 0 };
    const program = { seat: { snapshot: () => snap } } as unknown as EscrowHost;
    const node = { id: 'a', up: true, state: 'up', epoch: 1, clock: { localAt: (t: number) => t }, disk: null, program } as unknown as HostedNode;
    const clock = { now: 0, events: 0 };
    const m = new EscrowMonitor(10, [node], new TransferWire(100 * MS), clock);
    const poll = () => {
      clock.events++;
      return m.checkOversell();
    };
    const drift = /node a's reservation sums drifted.*0\/1\/0 kept, 0\/3\/0 in the list/;
    expect(poll()).toMatch(drift);
    expect(poll()).toMatch(drift);
    expect(poll()).toBeNull(); // poll 3: the sums are trusted
    expect(poll()).toMatch(drift);
    for (let i = 5; i < 8; i++) expect(poll()).toBeNull(); // polls 5-7: trusted
    m.verifySumsNextPoll(); // the faults stopped: verify once, off the schedule
    expect(poll()).toMatch(drift); // poll 8 is on the schedule anyway: see the next one
    for (let i = 9; i < 12; i++) expect(poll()).toBeNull();
    m.verifySumsNextPoll();
    expect(poll()).toMatch(drift); // poll 12: off the schedule, verified because asked
    expect(poll()).toBeNull(); // and only once
    m.verifySumsEveryPoll = true;
    expect(poll()).toMatch(drift);
  });
});
