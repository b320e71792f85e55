import { describe, expect, it } from 'vitest';
import type { Envelope, NodeProgram } from '../../sim/node.ts';
import { HoldArrivals, replyMismatch, spareTokens } from './reply-checks.ts';
import type { ClientReply, NodeSnapshot } from './types.ts';

function node(tokens: number, pending = 0): NodeSnapshot {
  return { id: 'r1', kind: 'escrow', tokens, consumedDirect: 0, reservations: [], reserved: { pending, held: 0, confirmed: 0 }, outbox: [], credited: [], refusalStreak: 0, wantedTokens: 0 };
}

const held = (id: string, count: number): ClientReply => ({ op: 'hold', ok: true, reservationId: id, state: 'held', count });
const pending = (id: string, count: number): ClientReply => ({ op: 'hold', ok: true, reservationId: id, state: 'pending', count });

/** A program that records what reached it, watched by `holds` with the seat state `state()`. */
function watched(holds: HoldArrivals, state: () => NodeSnapshot): { deliver: (body: unknown, rpc?: boolean) => void; got: unknown[] } {
  const got: unknown[] = [];
  const program: NodeProgram = { onMessage: (env: Envelope) => void got.push(env.body) };
  holds.watch('r1', program, state);
  return { got, deliver: (body, rpc = true) => program.onMessage!({ from: 'b', to: 'r1', body, ...(rpc ? { rpcId: 1 } : {}) } as Envelope) };
}

describe('hold-served-locally', () => {
  it('flags a hold parked pending or refused while the node had spare tokens for it, after the node saw it', () => {
    const holds = new HoldArrivals();
    holds.enable();
    let s = node(5);
    const n = watched(holds, () => s);
    n.deliver({ type: 'hold', reservationId: 'a', count: 3 });
    expect(n.got).toHaveLength(1);
    expect(holds.judgeHold('r1', 'a', 3, pending('a', 3))).toMatch(/answered pending, but r1 had 5 spare token/);
    n.deliver({ type: 'hold', reservationId: 'b', count: 3 });
    expect(holds.judgeHold('r1', 'b', 3, { op: 'hold', ok: false, reservationId: 'b', code: 'insufficient-tokens', message: 'no' })).toMatch(/refused \(insufficient-tokens/);
    s = node(5);
    n.deliver({ type: 'hold', reservationId: 'c', count: 3 });
    expect(holds.judgeHold('r1', 'c', 3, held('c', 3))).toBeNull();
  });

  it('leaves the tokens waiting holds need to them, and judges by the leanest arrival of a retried hold', () => {
    const holds = new HoldArrivals();
    holds.enable();
    let s = node(5, 3);
    expect(spareTokens(s)).toBe(2);
    const n = watched(holds, () => s);
    n.deliver({ type: 'hold', reservationId: 'a', count: 3 });
    expect(holds.judgeHold('r1', 'a', 3, pending('a', 3))).toBeNull();
    // First arrival found 1 spare (a correct node parks it), a retry found 9: either may have answered.
    s = node(1);
    n.deliver({ type: 'hold', reservationId: 'b', count: 3 });
    s = node(9);
    n.deliver({ type: 'hold', reservationId: 'b', count: 3 });
    expect(holds.judgeHold('r1', 'b', 3, pending('b', 3))).toBeNull();
    // A copy answered "duplicate": the first arrival made it.
    n.deliver({ type: 'hold', reservationId: 'c', count: 3 });
    expect(holds.judgeHold('r1', 'c', 3, { op: 'hold', ok: false, reservationId: 'c', code: 'duplicate-reservation', message: 'exists' })).toBeNull();
  });

  it('records nothing until enabled, nothing but hold requests, and nothing of a check-then-act node', () => {
    const holds = new HoldArrivals();
    const s = node(9);
    const n = watched(holds, () => s);
    n.deliver({ type: 'hold', reservationId: 'a', count: 1 });
    holds.enable();
    n.deliver({ type: 'hold', reservationId: 'b', count: 1 }, false);
    n.deliver({ type: 'confirm', reservationId: 'c' });
    expect(holds.judgeHold('r1', 'a', 1, pending('a', 1))).toBeNull();
    expect(holds.judgeHold('r1', 'b', 1, pending('b', 1))).toBeNull();
    const cta = new HoldArrivals();
    cta.enable();
    const m = watched(cta, () => ({ ...node(9), kind: 'check-then-act' }));
    m.deliver({ type: 'hold', reservationId: 'd', count: 1 });
    expect(cta.judgeHold('r1', 'd', 1, pending('d', 1))).toBeNull();
    expect(n.got).toHaveLength(3);
  });
});

describe('reply-answers-request', () => {
  it('accepts the replies a correct node gives', () => {
    expect(replyMismatch({ type: 'hold', reservationId: 'a', count: 2 }, held('a', 2))).toBeNull();
    expect(replyMismatch({ type: 'hold', reservationId: 'a', count: 2 }, pending('a', 2))).toBeNull();
    expect(replyMismatch({ type: 'hold', reservationId: 'a', count: 2 }, { op: 'hold', ok: false, reservationId: 'a', code: 'duplicate-reservation', message: 'x' })).toBeNull();
    expect(replyMismatch({ type: 'confirm', reservationId: 'a' }, { op: 'confirm', ok: true, reservationId: 'a', state: 'confirmed', count: 2 })).toBeNull();
    expect(replyMismatch({ type: 'cancel', reservationId: 'a' }, { op: 'cancel', ok: true, reservationId: 'a', state: 'cancelled', count: 2 })).toBeNull();
  });

  it('flags a reply about another reservation or operation, a wrong count or a wrong state', () => {
    expect(replyMismatch({ type: 'confirm', reservationId: 'a' }, { op: 'confirm', ok: false, reservationId: 'illegal-transition', code: 'illegal-transition', message: 'x' })).toMatch(/answered about reservation illegal-transition/);
    expect(replyMismatch({ type: 'confirm', reservationId: 'a' }, held('a', 2))).toMatch(/answered as a hold/);
    expect(replyMismatch({ type: 'hold', reservationId: 'a', count: 2 }, held('a', 3))).toMatch(/of 2 seat\(s\) was granted 3/);
    expect(replyMismatch({ type: 'confirm', reservationId: 'a' }, { op: 'confirm', ok: true, reservationId: 'a', state: 'held', count: 2 })).toMatch(/succeeded in state held/);
    expect(replyMismatch({ type: 'cancel', reservationId: 'a' }, { op: 'cancel', ok: true, reservationId: 'a', state: 'expired', count: 2 })).toMatch(/succeeded in state expired/);
  });
});
