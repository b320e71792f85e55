/**
 * The kernel glue: replies and messages leave only once the step's write is durable, a crash drops
 * what was not, a restart rebuilds the node from the state record and the closed-reservation log,
 * and the in-flight transfer record counts copies.
 */
import { describe, expect, it } from 'vitest';
import { DISK_PROFILES } from '../../sim/disk/profiles.ts';
import { Simulation } from '../../sim/kernel.ts';
import { LAN } from '../../sim/network/network.ts';
import type { CallResult, NodeContext, SimNode } from '../../sim/node.ts';
import { World } from '../../sim/scenario.ts';
import { ms, sec } from '../../sim/time.ts';
import { acknowledgedSince, durableOnDisk, escrowHost, readDurable, STATE_FILE, LOG_FILE, TransferWire, type ClientRequest, type EscrowHost } from './host.ts';
import type { EscrowReplicaConfig } from './replica.ts';
import type { ClientReply, TransferMsg } from './types.ts';

const HOLD = { holdNs: sec(10), graceNs: ms(100), pendingTimeoutNs: sec(1), extendNs: sec(1), maxExtensions: 1 };

function config(id: string, peers: string[] = []): EscrowReplicaConfig {
  return {
    id, capacity: 10, parent: null, peers, refill: peers.length > 0 ? { kind: 'demand', lowWaterTokens: 0, batchTokens: 2, source: 'peers' } : { kind: 'none' },
    coordinator: null, lendFloorTokens: 0, retransmitNs: ms(50), borrowTimeoutNs: ms(50), hold: HOLD,
  };
}

/** One escrow node `a` on a slow disk (hdd: fsync 10-20 ms), 1 ms links, and a client driven by `body`. */
function world(body: (ctx: NodeContext, a: SimNode<EscrowHost>, sim: Simulation) => Generator<unknown, void, unknown>) {
  const sim = new Simulation({ seed: 3, buggify: { enabled: false } });
  const w = new World(sim, {}, { ...LAN, latency: { kind: 'constant', ns: ms(1) } });
  const a = w.addNode('a', (ctx) => escrowHost(ctx, { config: config('a'), initialTokens: 5, tickNs: ms(5) }), { disk: DISK_PROFILES.hdd });
  w.addClient('c', (ctx) => body(ctx, a, sim) as never);
  for (const n of w.nodes) n.start();
  return { sim, w, a };
}

function* call(ctx: NodeContext, req: ClientRequest): Generator<unknown, CallResult<ClientReply>, unknown> {
  return (yield ctx.call<ClientReply>('a', req, ms(200))) as CallResult<ClientReply>;
}

describe('escrowHost: persist, then send', () => {
  it('a reply leaves only after the write is durable: a crash at the moment of the reply keeps the hold', () => {
    let repliedAfterNs = -1;
    let kept: string | null = null;
    const { sim } = world(function* (ctx, a, sim) {
      yield ctx.sleep(ms(50)); // the initial state write is done
      const t0 = sim.now;
      const r = yield* call(ctx, { type: 'hold', reservationId: 'h1', count: 2 });
      repliedAfterNs = sim.now - t0;
      expect(r.ok && r.body.ok && r.body.state).toBe('held');
      a.crash('all');
      kept = durableOnDisk(a.disk, 'a')?.reservations.reservations.find((x) => x.id === 'h1')?.state ?? null;
    });
    sim.run({ untilNs: sec(1) });
    expect(kept).toBe('held');
    // Two 1 ms hops plus an hdd fsync (>= 10 ms): the reply waited for the disk.
    expect(repliedAfterNs).toBeGreaterThanOrEqual(ms(12));
  });

  it('a crash before the write is durable drops the reply and the state it described', () => {
    let result: CallResult<ClientReply> | null = null;
    let after: { tokens: number; reservations: number } | null = null;
    const { sim } = world(function* (ctx, a, sim) {
      yield ctx.sleep(ms(50));
      sim.schedule(ms(3), () => a.crash('all')); // the request has arrived, its fsync has not finished
      result = yield* call(ctx, { type: 'hold', reservationId: 'h1', count: 2 });
      a.start();
      const s = a.program!.seat.snapshot();
      after = { tokens: s.tokens, reservations: s.reservations.length };
    });
    sim.run({ untilNs: sec(1) });
    expect(result).toEqual({ ok: false, reason: 'timeout' });
    expect(after).toEqual({ tokens: 5, reservations: 0 });
  });

  it('a restart rebuilds the node from the state record and the closed-reservation log', () => {
    let before: unknown = null;
    let restored: unknown = null;
    let logRecords = 0;
    const { sim } = world(function* (ctx, a) {
      yield ctx.sleep(ms(50));
      for (let i = 1; i <= 4; i++) yield* call(ctx, { type: 'hold', reservationId: `h${i}`, count: 1 });
      yield* call(ctx, { type: 'confirm', reservationId: 'h1' });
      yield* call(ctx, { type: 'confirm', reservationId: 'h2' });
      yield* call(ctx, { type: 'cancel', reservationId: 'h3' });
      yield ctx.sleep(ms(100)); // every write durable, the log caught up
      before = a.program!.seat.snapshot();
      logRecords = a.disk.read(LOG_FILE).records.length;
      a.crash('all');
      a.start();
      restored = a.program!.seat.snapshot();
    });
    sim.run({ untilNs: sec(2) });
    expect(restored).toEqual(before);
    expect((before as { tokens: number }).tokens).toBe(5 - 4 + 1);
    expect(logRecords).toBe(3); // h1, h2 confirmed and h3 cancelled are closed: logged once each
  });
});

describe('readDurable', () => {
  const state = (open: unknown[], total: number) => ({
    state: { kind: 'escrow', id: 'a', tokens: 3, consumedDirect: 0, nextSeq: [], outbox: [], credited: [], reservations: { reservations: [], reapQueue: [] } },
    open, total,
  });
  const r = (id: string, st: string) => ({ id, count: 1, state: st, createdAtNs: 0, expiresAtNs: 1, extensions: 0 });
  const fakeDisk = (files: Record<string, { records: unknown[]; corrupt?: number[] }>) => ({
    read: <T,>(file: string) => ({ records: (files[file]?.records ?? []) as (T | null)[], corrupt: files[file]?.corrupt ?? [], error: null }),
  });

  it('merges the log and the open reservations by position; a torn log record is also in the state record', () => {
    const disk = fakeDisk({
      [STATE_FILE]: { records: [state([{ index: 1, r: r('b', 'held') }, { index: 2, r: r('c', 'confirmed') }], 3)] },
      [LOG_FILE]: { records: [{ index: 0, r: r('a', 'confirmed') }, null], corrupt: [1] },
    });
    const d = readDurable(disk, 'a')!;
    expect(d.durable.reservations.reservations.map((x) => `${x.id}:${x.state}`)).toEqual(['a:confirmed', 'b:held', 'c:confirmed']);
    expect(d.loggedPrefix).toBe(1);
    expect([...d.logged]).toEqual([]);
  });

  it('keeps the logged positions past the first unlogged one apart from the logged prefix', () => {
    const disk = fakeDisk({
      [STATE_FILE]: { records: [state([{ index: 2, r: r('c', 'held') }], 5)] },
      [LOG_FILE]: { records: [{ index: 1, r: r('b', 'expired') }, { index: 0, r: r('a', 'confirmed') }, { index: 4, r: r('e', 'cancelled') }, { index: 3, r: r('d', 'confirmed') }] },
    });
    const d = readDurable(disk, 'a')!;
    expect(d.durable.reservations.reservations.map((x) => x.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
    // Position 2 is open: the prefix stops there, and 3 and 4 are named one by one.
    expect(d.loggedPrefix).toBe(2);
    expect([...d.logged].sort()).toEqual([3, 4]);
  });

  it('refuses a state whose reservation is in neither file', () => {
    const disk = fakeDisk({ [STATE_FILE]: { records: [state([{ index: 1, r: r('b', 'held') }], 2)] } });
    expect(() => readDurable(disk, 'a')).toThrow(/reservation #0 is in neither/);
  });

  it('a node that never wrote has no durable state', () => {
    expect(readDurable(fakeDisk({}), 'a')).toBeNull();
  });
});

describe('TransferWire', () => {
  const t = (seq: number): TransferMsg => ({ type: 'transfer', from: 'a', to: 'b', seq, amount: 2 });
  it('counts copies, forgets on the last arrival, and ages out copies the network dropped', () => {
    const wire = new TransferWire(ms(100));
    wire.send(t(1), 0);
    wire.send(t(1), ms(10)); // a retransmit
    wire.send(t(2), ms(10));
    wire.arrive(t(1));
    expect(wire.inFlight(ms(20)).map((m) => m.seq)).toEqual([1, 2]);
    wire.arrive(t(1));
    expect(wire.inFlight(ms(20)).map((m) => m.seq)).toEqual([2]);
    expect(wire.inFlight(ms(200))).toEqual([]);
    expect(wire.sent).toBe(3);
  });
});

describe('acknowledgedSince: a retransmit that waited behind failed fsyncs', () => {
  const base = { kind: 'escrow', id: 'r2', tokens: 3, consumedDirect: 0, credited: [], reservations: { reservations: [], reapQueue: [] } } as const;
  const msg = (to: string, seq: number): TransferMsg => ({ type: 'transfer', from: 'r2', to, seq, amount: 4 });

  it('skips a transfer the receiver acknowledged meanwhile (issued, no longer in the outbox)', () => {
    // Found by escrow-transfer-crash seed 145: r2's retransmits queued while ENOSPC failed its
    // fsyncs, the acks arrived, and the retransmits left once a later state (empty outbox) was durable.
    const latest = { ...base, nextSeq: [{ to: 'r1', seq: 3 }, { to: 'r3', seq: 2 }], outbox: [] };
    expect(acknowledgedSince(latest as never, msg('r1', 2))).toBe(true);
    expect(acknowledgedSince(latest as never, msg('r3', 1))).toBe(true);
  });

  it('sends a transfer still in the outbox, and never skips one whose sequence number was not issued', () => {
    const latest = { ...base, nextSeq: [{ to: 'r1', seq: 3 }], outbox: [{ to: 'r1', seq: 2, amount: 4 }] };
    expect(acknowledgedSince(latest as never, msg('r1', 2))).toBe(false);
    // Not issued by the newest state: a transfer sent before its debit was written (a bug to show, not hide).
    expect(acknowledgedSince(latest as never, msg('r1', 3))).toBe(false);
    expect(acknowledgedSince(latest as never, msg('r3', 1))).toBe(false);
  });
});
