import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { sumReservedTokens } from './invariants.ts';
import { ALLOWED_TRANSITIONS, ReservationTable, durableReservations, isAllowedTransition, isReachable, reservationAt, sharedClosedCount, type ReservationState } from './reservation.ts';
import { TEST_HOLD } from './test-cluster.ts';

const P = TEST_HOLD; // hold 100ms, grace 20ms, pending timeout 50ms, extend 50ms, 2 extensions
const STATES: ReservationState[] = ['pending', 'held', 'confirmed', 'expired', 'cancelled'];

describe('reservation transitions (seed 9.3.3 user-visible states)', () => {
  it('terminal states go nowhere', () => {
    for (const t of ['confirmed', 'expired', 'cancelled'] as const) {
      for (const s of STATES) expect(isAllowedTransition(t, s)).toBe(s === t);
    }
  });

  it('reachability: pending reaches confirmed in two steps, nothing leaves confirmed', () => {
    expect(isAllowedTransition('pending', 'confirmed')).toBe(false);
    expect(isReachable('pending', 'confirmed')).toBe(true);
    expect(isReachable('confirmed', 'held')).toBe(false);
    expect(isReachable('expired', 'held')).toBe(false);
    expect(isReachable('held', 'pending')).toBe(false);
  });

  it('hold -> confirm within the grace period; confirm is idempotent', () => {
    const t = new ReservationTable(P);
    expect(t.createHeld('r1', 2, 0).ok).toBe(true);
    const late = P.holdNs + P.graceNs; // the last instant confirm is accepted
    expect(t.confirm('r1', late)).toMatchObject({ ok: true, reservation: { state: 'confirmed' } });
    expect(t.confirm('r1', late + 1)).toMatchObject({ ok: true });
    expect(t.cancel('r1')).toMatchObject({ ok: false, code: 'illegal-transition' });
  });

  it('confirm after expiresAt + grace is refused with hold-expired, then the reaper expires it', () => {
    const t = new ReservationTable(P);
    t.createHeld('r1', 3, 0);
    const after = P.holdNs + P.graceNs + 1;
    expect(t.confirm('r1', after)).toMatchObject({ ok: false, code: 'hold-expired' });
    expect(t.reap(P.holdNs + P.graceNs).tokensReleased).toBe(0); // not strictly after yet
    const r = t.reap(after);
    expect(r.tokensReleased).toBe(3);
    expect(r.expired.map((x) => x.id)).toEqual(['r1']);
    expect(t.get('r1')?.state).toBe('expired');
    expect(t.confirm('r1', after)).toMatchObject({ ok: false, code: 'illegal-transition' });
  });

  it('extension moves the deadline, is limited, and the reaper honours it', () => {
    const t = new ReservationTable(P);
    t.createHeld('r1', 1, 0);
    expect(t.extend('r1', 90_000_000)).toMatchObject({ ok: true, reservation: { expiresAtNs: 150_000_000, extensions: 1 } });
    // The original due date passes: the reaper must not expire the extended hold.
    expect(t.reap(P.holdNs + P.graceNs + 1).expired).toEqual([]);
    expect(t.extend('r1', 140_000_000)).toMatchObject({ ok: true, reservation: { expiresAtNs: 200_000_000 } });
    expect(t.extend('r1', 150_000_000)).toMatchObject({ ok: false, code: 'extension-limit' });
    expect(t.reap(200_000_000 + P.graceNs + 1).tokensReleased).toBe(1);
  });

  it('pending reservations expire at their deadline without releasing tokens; cancel releases held tokens only', () => {
    const t = new ReservationTable(P);
    t.createPending('p', 4, 0);
    t.createHeld('h', 2, 0);
    t.createPending('p2', 1, 0);
    expect(t.cancel('h')).toMatchObject({ ok: true, tokensReleased: 2 });
    expect(t.cancel('p2')).toMatchObject({ ok: true, tokensReleased: 0 });
    const r = t.reap(P.pendingTimeoutNs + 1);
    expect(r).toMatchObject({ tokensReleased: 0 });
    expect(r.expired.map((x) => x.id)).toEqual(['p']);
    expect(t.grant('p', P.pendingTimeoutNs + 2)).toMatchObject({ ok: false, code: 'illegal-transition' });
  });

  it('rejects duplicates, bad counts and unknown ids as values, not exceptions', () => {
    const t = new ReservationTable(P);
    t.createHeld('a', 1, 0);
    expect(t.createHeld('a', 1, 0)).toMatchObject({ ok: false, code: 'duplicate-reservation' });
    expect(t.createPending('b', 0, 0)).toMatchObject({ ok: false, code: 'invalid-count' });
    expect(t.confirm('zz', 0)).toMatchObject({ ok: false, code: 'unknown-reservation' });
  });

  it('survives a round trip through its durable form', () => {
    const t = new ReservationTable(P);
    t.createHeld('a', 1, 0);
    t.createPending('b', 2, 0);
    t.extend('a', 10);
    const u = new ReservationTable(P, {}, structuredClone(t.durable()));
    expect(u.durable()).toEqual(t.durable());
    expect(u.reap(P.pendingTimeoutNs + 1).expired.map((r) => r.id)).toEqual(['b']);
  });

  it('under random operations every observed change is an allowed transition, held tokens are accounted, and the kept sums equal the list summed', () => {
    const op = fc.record({ kind: fc.constantFrom('held', 'pending', 'grant', 'confirm', 'cancel', 'extend', 'reap', 'restore'), id: fc.integer({ min: 0, max: 4 }), dt: fc.integer({ min: 0, max: 60_000_000 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        let t = new ReservationTable(P);
        let now = 0;
        let taken = 0; // tokens our caller took for held reservations and has not got back
        for (const o of ops) {
          now += o.dt;
          const id = `r${o.id}`;
          const before = new Map(t.all().map((r) => [r.id, r.state]));
          switch (o.kind) {
            case 'held': if (t.createHeld(id, o.id + 1, now).ok) taken += o.id + 1; break;
            case 'pending': t.createPending(id, o.id + 1, now); break;
            case 'grant': if (t.grant(id, now).ok) taken += o.id + 1; break;
            case 'confirm': t.confirm(id, now); break;
            case 'cancel': { const r = t.cancel(id); if (r.ok) taken -= r.tokensReleased; break; }
            case 'extend': t.extend(id, now); break;
            case 'reap': taken -= t.reap(now).tokensReleased; break;
            case 'restore': t = new ReservationTable(P, {}, t.durable()); break;
          }
          expect(t.reservedTokens()).toEqual(sumReservedTokens(t.all()));
          for (const r of t.all()) {
            const was = before.get(r.id);
            if (was !== undefined) expect(isAllowedTransition(was, r.state), `${was} -> ${r.state}`).toBe(true);
          }
          expect(taken).toBe(t.heldTokens() + t.confirmedTokens());
        }
      }),
    );
  });

  it('the transition table has no self-contradiction: terminal states have no exits', () => {
    expect(ALLOWED_TRANSITIONS.confirmed.length + ALLOWED_TRANSITIONS.expired.length + ALLOWED_TRANSITIONS.cancelled.length).toBe(0);
  });
});

describe('bug zoo: reaper returns a confirmed hold', () => {
  it('releases tokens of a confirmed reservation once its old hold deadline passes', () => {
    const good = new ReservationTable(P);
    const bad = new ReservationTable(P, { reaperReturnsConfirmed: true });
    for (const t of [good, bad]) {
      t.createHeld('r', 5, 0);
      t.confirm('r', 1);
    }
    const late = P.holdNs + P.graceNs + 1;
    expect(good.reap(late).tokensReleased).toBe(0);
    expect(bad.reap(late).tokensReleased).toBe(5);
    expect(bad.get('r')?.state).toBe('confirmed'); // still sold: the seat is now sold and free
  });
});

describe('durable copies cost the open reservations, not the history', () => {
  it('a closed reservation is frozen and shared by later durable states; an open one is copied', () => {
    const t = new ReservationTable(P);
    t.createHeld('c', 1, 0);
    t.createHeld('h', 2, 0);
    t.createPending('p', 3, 0);
    t.confirm('c', 1);
    const a = t.durable();
    const b = t.durable();
    expect(b.reservations[0]).toBe(a.reservations[0]); // closed: one shared frozen object
    expect(Object.isFrozen(t.get('c'))).toBe(true);
    expect(b.reservations[1]).not.toBe(a.reservations[1]); // open: a copy per write
    t.extend('h', 10);
    t.grant('p', 10);
    // Earlier durable states keep what they said: the live objects were copied, not shared.
    expect(a.reservations.map((r) => [r.state, r.extensions])).toEqual([['confirmed', 0], ['held', 0], ['pending', 0]]);
    expect(t.durable().reservations.map((r) => [r.state, r.extensions])).toEqual([['confirmed', 0], ['held', 1], ['held', 0]]);
  });

  it('a later durable list shares the closed prefix of an earlier one of the same table, and only that', () => {
    const t = new ReservationTable(P);
    t.createHeld('c1', 1, 0);
    t.createHeld('c2', 1, 0);
    t.createHeld('h', 1, 0);
    t.createHeld('c3', 1, 0);
    t.confirm('c1', 1);
    t.cancel('c2');
    t.confirm('c3', 1);
    const a = durableReservations(t.durable());
    t.confirm('h', 2);
    t.createHeld('n', 1, 3);
    const b = durableReservations(t.durable());
    // c1 and c2 are a's closed prefix; h was open then, so a's position 2 is not vouched for.
    expect(sharedClosedCount(a, b)).toBe(2);
    for (let i = 0; i < 2; i++) expect(reservationAt(b, i)).toBe(reservationAt(a, i));
    expect(sharedClosedCount(b, durableReservations(t.durable()))).toBe(4); // h and c3 closed since
    expect(sharedClosedCount(a, durableReservations(new ReservationTable(P, {}, t.durable()).durable()))).toBe(0); // another table
  });

  it("a durable state reads in place: the table's closed prefix shared, open ones its own copies, the same list when built", () => {
    const t = new ReservationTable(P);
    t.createHeld('c', 1, 0);
    t.createHeld('h', 1, 0);
    t.confirm('c', 1);
    const d = t.durable();
    const p = durableReservations(d);
    expect([p.closedCount, p.length]).toEqual([1, 2]);
    expect(p.closed[0]).toBe(t.get('c'));
    t.confirm('h', 2);
    t.createHeld('n', 1, 3);
    // The earlier state still says h is held (its own copy), though the table's h is confirmed now.
    expect(reservationAt(p, 1).state).toBe('held');
    expect(d.reservations.map((r) => `${r.id}:${r.state}`)).toEqual(['c:confirmed', 'h:held']);
    const later = durableReservations(t.durable());
    expect(later.closedCount).toBe(2);
    expect(sharedClosedCount(p, later)).toBe(1); // h was open in d: not vouched for
    expect(sharedClosedCount(later, p)).toBe(1);
    expect(sharedClosedCount(p, durableReservations({ reservations: d.reservations, reapQueue: [] }))).toBe(0); // a list no table made
  });

  it('a stray write to a closed reservation throws instead of changing shared durable states', () => {
    const t = new ReservationTable(P);
    t.createHeld('r', 1, 0);
    t.cancel('r');
    const d = t.durable();
    expect(() => {
      (t.get('r') as { state: string }).state = 'held';
    }).toThrow(TypeError);
    expect(d.reservations[0]!.state).toBe('cancelled');
  });

  it('pending holds are served oldest first, among pending ones only, also after a restore', () => {
    const t = new ReservationTable(P);
    t.createPending('p1', 1, 0);
    t.createHeld('h', 1, 0);
    t.createPending('p2', 1, 0);
    t.createPending('p3', 1, 0);
    t.grant('p1', 1);
    t.cancel('p2');
    t.createPending('p4', 1, 2);
    expect(t.pendingOldestFirst().map((r) => r.id)).toEqual(['p3', 'p4']);
    const restored = new ReservationTable(P, {}, t.durable());
    expect(restored.pendingOldestFirst().map((r) => r.id)).toEqual(['p3', 'p4']);
    expect(Object.isFrozen(restored.get('p2'))).toBe(true);
  });
});
