import { describe, it, expect } from 'vitest';
import { checkAckedConfirmations, checkConfirmedNeverLost, checkConservation, checkEscrowInvariants, checkNeverOversell, checkTransitions, committedTokens, inFlightTokens, reservedTokensDrift } from './invariants.ts';
import type { GlobalSnapshot, NodeSnapshot } from './types.ts';

function node(id: string, over: Partial<NodeSnapshot> = {}): NodeSnapshot {
  return { id, kind: 'escrow', tokens: 0, consumedDirect: 0, reservations: [], outbox: [], credited: [], refusalStreak: 0, wantedTokens: 0, ...over };
}
const snap = (nodes: NodeSnapshot[], messages: GlobalSnapshot['messages'] = [], capacity = 10): GlobalSnapshot => ({ capacity, nodes, messages });

describe('escrow invariants on hand-built snapshots', () => {
  it('conservation counts an uncredited outbox entry as in flight, and a credited one not', () => {
    const inFlight = snap([node('a', { tokens: 4, outbox: [{ to: 'b', seq: 1, amount: 3 }] }), node('b', { tokens: 3 })]);
    expect(inFlightTokens(inFlight)).toBe(3);
    expect(checkConservation(inFlight)).toBeNull();
    const credited = snap([node('a', { tokens: 4, outbox: [{ to: 'b', seq: 1, amount: 3 }] }), node('b', { tokens: 6, credited: [{ from: 'a', upTo: 1, above: [] }] })]);
    expect(inFlightTokens(credited)).toBe(0);
    expect(checkConservation(credited)).toBeNull();
    expect(checkConservation(snap([node('a', { tokens: 11 })]))).toMatch(/conservation broken/);
    expect(checkConservation(snap([node('a', { tokens: -1 })]))).toMatch(/holds -1 tokens/);
  });

  it("a node's kept sums stand in for its list, and a drift between them is reported", () => {
    const reservations = [{ id: 'c', count: 2, state: 'confirmed' as const }, { id: 'h', count: 3, state: 'held' as const }, { id: 'p', count: 4, state: 'pending' as const }];
    const right = node('a', { consumedDirect: 1, reservations, reserved: { pending: 4, held: 3, confirmed: 2 } });
    expect(committedTokens(right)).toBe(6);
    expect(reservedTokensDrift(right)).toBeNull();
    const drifted = node('a', { consumedDirect: 1, reservations, reserved: { pending: 4, held: 0, confirmed: 2 } });
    expect(committedTokens(drifted)).toBe(3); // the sums are what the checks read...
    expect(reservedTokensDrift(drifted)).toMatch(/sums drifted.*4\/0\/2 kept, 4\/3\/2 in the list/); // ...so a drift must be caught
    expect(committedTokens(node('a', { consumedDirect: 1, reservations }))).toBe(6); // no sums kept: the list is summed
  });

  it('conservation flags a transfer on the wire that no outbox backs', () => {
    const s = snap([node('a', { tokens: 10 }), node('b')], [{ type: 'transfer', from: 'a', to: 'b', seq: 1, amount: 2 }]);
    expect(checkConservation(s)).toMatch(/phantom transfer a->b#1/);
    const dup = snap([node('a', { tokens: 8 }), node('b', { tokens: 2, credited: [{ from: 'a', upTo: 0, above: [1] }] })], [{ type: 'transfer', from: 'a', to: 'b', seq: 1, amount: 2 }]);
    expect(checkConservation(dup)).toBeNull(); // a stale duplicate of a credited transfer is harmless
  });

  it('conservation does not apply to check-then-act nodes; never-oversell does', () => {
    const s = snap([node('a', { kind: 'check-then-act', reservations: [{ id: 'r', count: 7, state: 'held' }] }), node('b', { kind: 'check-then-act', consumedDirect: 4 })]);
    expect(checkConservation(s)).toBeNull();
    expect(checkNeverOversell(s)).toMatch(/oversold: 11 seats/);
    const ok = snap([node('a', { tokens: 3, reservations: [{ id: 'r', count: 7, state: 'confirmed' }, { id: 'x', count: 5, state: 'expired' }, { id: 'p', count: 9, state: 'pending' }] })]);
    expect(checkNeverOversell(ok)).toBeNull(); // expired and pending hold no seats
    expect(checkConservation(ok)).toBeNull();
  });

  it('transitions: multi-step moves are fine, leaving a terminal state or vanishing is not', () => {
    const at = (state: 'pending' | 'held' | 'confirmed' | 'expired') => snap([node('a', { reservations: [{ id: 'r', count: 1, state }] })]);
    expect(checkTransitions(at('pending'), at('confirmed'))).toBeNull();
    expect(checkTransitions(at('confirmed'), at('expired'))).toMatch(/illegal transition .* confirmed -> expired/);
    expect(checkTransitions(at('expired'), at('held'))).toMatch(/illegal/);
    expect(checkTransitions(at('held'), snap([node('a')]))).toMatch(/disappeared/);
    expect(checkConfirmedNeverLost(at('confirmed'), at('expired'))).toMatch(/confirmed reservation r at a lost/);
    expect(checkConfirmedNeverLost(at('held'), at('expired'))).toBeNull();
    const backInPool = snap([node('a', { tokens: 1, reservations: [{ id: 'r', count: 1, state: 'expired' }] })], [], 1);
    expect(checkEscrowInvariants(snap([node('a', { reservations: [{ id: 'r', count: 1, state: 'confirmed' }] })], [], 1), backInPool)).toMatch(/illegal transition/);
  });

  it('acked confirmations must be confirmed in the snapshot', () => {
    const s = snap([node('a', { reservations: [{ id: 'r', count: 1, state: 'held' }] })]);
    expect(checkAckedConfirmations([{ nodeId: 'a', reservationId: 'r' }], s)).toMatch(/told r at a is confirmed, but it is held/);
    expect(checkAckedConfirmations([], s)).toBeNull();
  });
});
