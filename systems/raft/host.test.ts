/**
 * RaftHost: recovery from the disk alone (torn and corrupt records, a snapshot with its log, a log
 * written for an older snapshot, the commit clamp), persist-before-send (an acknowledgement is
 * never sent for an entry a crash at that instant would lose), and the restart from disk after a
 * failed fsync.
 */
import { describe, expect, it } from 'vitest';
import type { DiskRead } from '../../sim/disk/disk.ts';
import { Simulation } from '../../sim/kernel.ts';
import { LAN } from '../../sim/network/network.ts';
import type { SimNode } from '../../sim/node.ts';
import { World } from '../../sim/scenario.ts';
import { ms, sec } from '../../sim/time.ts';
import { HS_FILE, LOG_FILE, RaftHost, SNAP_FILE, recoverDurable, type RaftApp, type RaftHostHooks } from './host.ts';
import type { Entry, HardState, Snapshot } from './types.ts';

/** A read-only disk holding the given files (null records read back corrupt). */
function fakeDisk(files: Record<string, unknown[]>) {
  return {
    read<T>(file: string): DiskRead<T> {
      const recs = (files[file] ?? []) as (T | null)[];
      return { records: recs.slice(), corrupt: recs.flatMap((r, i) => (r === null ? [i] : [])), error: null };
    },
  };
}

const e = (index: number, term: number): Entry => ({ index, term, data: `d${index}` });
const hs = (term: number, commit: number, vote: string | null = 'n1'): HardState => ({ term, vote, commit });
const snap = (index: number, term: number): Snapshot => ({ index, term, data: JSON.stringify({ app: 'state', chain: 7 }) });

describe('recoverDurable', () => {
  it('stops the log at a torn last record', () => {
    const d = recoverDurable(fakeDisk({ [HS_FILE]: [hs(2, 2)], [LOG_FILE]: [{ base: 0 }, e(1, 1), e(2, 2), null] }));
    expect(d.entries.map((x) => x.index)).toEqual([1, 2]);
    expect(d.dropped).toBe(1);
    expect(d.hardState).toEqual(hs(2, 2));
  });

  it('drops everything from a corrupt record on (later records cannot be trusted to follow)', () => {
    const d = recoverDurable(fakeDisk({ [HS_FILE]: [hs(1, 3)], [LOG_FILE]: [{ base: 0 }, e(1, 1), null, e(3, 1), e(4, 1)] }));
    expect(d.entries.map((x) => x.index)).toEqual([1]);
    expect(d.dropped).toBe(3);
    // The commit index is clamped to the log that survived.
    expect(d.hardState.commit).toBe(1);
  });

  it('recovers a snapshot and the log written after it', () => {
    const d = recoverDurable(fakeDisk({ [SNAP_FILE]: [snap(5, 2)], [HS_FILE]: [hs(3, 6)], [LOG_FILE]: [{ base: 5 }, e(6, 3), e(7, 3)] }));
    expect(d.snapshot.index).toBe(5);
    expect(d.entries.map((x) => x.index)).toEqual([6, 7]);
    expect(d.hardState.commit).toBe(6);
  });

  it('keeps a log written for an older snapshot only if it holds the new snapshot\'s last entry', () => {
    const older = [{ base: 3 }, e(4, 2), e(5, 2), e(6, 3)];
    const kept = recoverDurable(fakeDisk({ [SNAP_FILE]: [snap(5, 2)], [HS_FILE]: [hs(3, 5)], [LOG_FILE]: older }));
    expect(kept.entries.map((x) => x.index)).toEqual([6]);
    // Same index, other term: a conflicting history that InstallSnapshot replaced.
    const conflicting = recoverDurable(fakeDisk({ [SNAP_FILE]: [snap(5, 3)], [HS_FILE]: [hs(3, 5)], [LOG_FILE]: older }));
    expect(conflicting.entries).toEqual([]);
    expect(conflicting.dropped).toBe(3);
    // Too short to reach the snapshot.
    const short = recoverDurable(fakeDisk({ [SNAP_FILE]: [snap(9, 3)], [HS_FILE]: [hs(3, 9)], [LOG_FILE]: older }));
    expect(short.entries).toEqual([]);
    expect(short.hardState.commit).toBe(9);
  });

  it('clamps the commit index between the snapshot and the last entry, and lifts the term to the log\'s', () => {
    const d = recoverDurable(fakeDisk({ [SNAP_FILE]: [snap(4, 1)], [HS_FILE]: [hs(1, 2, 'n2')], [LOG_FILE]: [{ base: 4 }, e(5, 2)] }));
    expect(d.hardState.commit).toBe(4);
    // An entry of term 2 with a hard state of term 1: the vote was for term 1, so it is dropped.
    expect(d.hardState).toEqual({ term: 2, vote: null, commit: 4 });
    const empty = recoverDurable(fakeDisk({}));
    expect(empty).toMatchObject({ hardState: { term: 0, vote: null, commit: 0 }, entries: [], dropped: 0 });
  });
});

// ------------------------------------------------------------------ hosts on the simulated kernel

/** A tiny replicated app: the list of applied commands. */
function listApp(): RaftApp & { applied: string[] } {
  const app = {
    applied: [] as string[],
    apply(en: Entry) {
      app.applied.push(en.data as string);
    },
    snapshot: () => JSON.stringify(app.applied),
    restore(data: string | null) {
      app.applied = data === null ? [] : (JSON.parse(data) as string[]);
    },
  };
  return app;
}

type HostProgram = { host: RaftHost; app: ReturnType<typeof listApp>; onMessage(env: import('../../sim/node.ts').Envelope): void };

function cluster(n: number, seed: number, hooks: RaftHostHooks = {}, snapshotEntries = 0, afterMessage?: (env: import('../../sim/node.ts').Envelope) => void) {
  const sim = new Simulation({ seed, buggify: { enabled: false } });
  const w = new World(sim, {}, { ...LAN, latency: { kind: 'constant', ns: ms(1) } });
  const ids = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const nodes: SimNode<HostProgram>[] = ids.map((id) =>
    w.addNode(id, (ctx) => {
      const app = listApp();
      const host = new RaftHost(ctx, { peers: ids, snapshotEntries, hooks }, app);
      return {
        host,
        app,
        onMessage: (env) => {
          host.onMessage(env);
          afterMessage?.(env);
        },
      };
    }),
  );
  for (const x of nodes) x.start();
  const leader = () => nodes.find((x) => x.program?.host.raft.role === 'leader');
  return { sim, w, nodes, leader };
}

describe('RaftHost on the kernel', () => {
  it("shares log entries between nodes only frozen: a follower cannot alter the leader's entries, nor its own copy of the message", () => {
    const seen = new Map<number, Entry[]>();
    let tamperedMessages = 0;
    const hooks: RaftHostHooks = {
      onApply(_h, e) {
        if (!seen.has(e.index)) seen.set(e.index, []);
        seen.get(e.index)!.push(e);
        // The applying node tries to rewrite the entry it holds (shared with the other nodes).
        expect(Object.isFrozen(e)).toBe(true);
        expect(() => {
          (e as { data: unknown }).data = 'evil';
        }).toThrow(TypeError);
      },
    };
    // A follower that mangles every append it receives (its entries array, the message itself)
    // after its host has handled it: the sender's log must not change.
    const c = cluster(3, 5, hooks, 0, (env) => {
      const b = env.body as { type?: string; entries?: Entry[] };
      if (b.type !== 'app' || b.entries === undefined || b.entries.length === 0) return;
      b.entries.length = 0;
      b.entries.push({ index: 1, term: 99, data: 'evil' });
      tamperedMessages++;
    });
    for (let i = 0; i < 30; i++) c.sim.schedule(ms(400 + i * 15), () => void c.leader()?.program?.host.propose(`p${i}`));
    c.sim.run({ untilNs: sec(3) });
    const applied = c.nodes.map((x) => x.program!.app.applied.join(','));
    expect(new Set(applied).size).toBe(1);
    expect(applied[0]).toBe(Array.from({ length: 30 }, (_, i) => `p${i}`).join(','));
    // Every node applied every entry; none saw another's tampering.
    for (const es of seen.values()) for (const e of es) expect(e.data === null || String(e.data).startsWith('p')).toBe(true);
    expect(seen.size).toBeGreaterThanOrEqual(30);
    expect(tamperedMessages).toBeGreaterThan(0);
  });

  it('never sends an append acknowledgement for an entry that a crash at that instant would lose', () => {
    let checked = 0;
    let c!: ReturnType<typeof cluster>;
    const hooks: RaftHostHooks = {
      onSend(h, msgs) {
        const ack = msgs.find((m) => m.type === 'appResp' && !m.reject && m.index > 0);
        if (ack === undefined || ack.type !== 'appResp' || checked >= 20 || h.ctx.rng.next() < 0.5) return;
        // Crash right now: only what is durable survives; the ack must be covered by it.
        const node = c.nodes.find((x) => x.id === h.id)!;
        node.crash('all');
        const d = recoverDurable(node.disk);
        expect(d.snapshot.index + d.entries.length, `${h.id} acknowledged ${ack.index}`).toBeGreaterThanOrEqual(ack.index);
        checked++;
        c.sim.schedule(ms(30), () => node.start());
      },
    };
    c = cluster(3, 11, hooks);
    for (let i = 0; i < 60; i++) c.sim.schedule(ms(400 + i * 15), () => void c.leader()?.program?.host.propose(`p${i}`));
    c.sim.run({ untilNs: sec(4) });
    expect(checked).toBeGreaterThanOrEqual(5);
    const l = c.leader();
    expect(l).toBeDefined();
    // The cluster went on: every node applied the same commands.
    c.sim.run({ untilNs: sec(6) });
    const applied = c.nodes.map((x) => x.program!.app.applied.join(','));
    expect(new Set(applied).size).toBe(1);
    expect(applied[0]!.length).toBeGreaterThan(0);
  });

  it('with bugAckBeforeFsync the same check finds an acknowledgement the disk does not hold', () => {
    let lost = 0;
    let c!: ReturnType<typeof cluster>;
    const hooks: RaftHostHooks = {
      onSend(h, msgs) {
        const ack = msgs.find((m) => m.type === 'appResp' && !m.reject && m.index > 0);
        if (ack === undefined || ack.type !== 'appResp' || h.ctx.disk.unsyncedCount === 0) return;
        const node = c.nodes.find((x) => x.id === h.id)!;
        node.crash('all');
        const d = recoverDurable(node.disk);
        if (d.snapshot.index + d.entries.length < ack.index) lost++;
        c.sim.schedule(ms(30), () => node.start());
      },
    };
    const sim = new Simulation({ seed: 5, buggify: { enabled: false } });
    const w = new World(sim, {}, { ...LAN, latency: { kind: 'constant', ns: ms(1) } });
    const ids = ['n1', 'n2', 'n3'];
    const nodes = ids.map((id) =>
      w.addNode(id, (ctx) => {
        const app = listApp();
        const host = new RaftHost(ctx, { peers: ids, snapshotEntries: 0, hooks, config: { bugAckBeforeFsync: true } }, app);
        return { host, app, onMessage: (env: import('../../sim/node.ts').Envelope) => void host.onMessage(env) };
      }),
    );
    for (const x of nodes) x.start();
    c = { sim, w, nodes: nodes as unknown as SimNode<HostProgram>[], leader: () => nodes.find((x) => x.program?.host.raft.role === 'leader') as SimNode<HostProgram> | undefined };
    for (let i = 0; i < 40; i++) sim.schedule(ms(400 + i * 15), () => void c.leader()?.program?.host.propose(`p${i}`));
    sim.run({ untilNs: sec(3) });
    expect(lost).toBeGreaterThan(0);
  });

  it('restarts from disk after a failed fsync: what that fsync covered is never applied', () => {
    const c = cluster(1, 3);
    const n1 = c.nodes[0]!;
    c.sim.run({ untilNs: ms(500) });
    const h0 = n1.program!.host;
    expect(h0.raft.role).toBe('leader');
    h0.propose('before');
    c.sim.run({ untilNs: ms(600) });
    expect(n1.program!.app.applied).toEqual(['before']);
    n1.disk.faults.writeErrorRate = 1;
    n1.program!.host.propose('lost1');
    n1.program!.host.propose('lost2');
    c.sim.run({ untilNs: ms(700) });
    const h = n1.program!.host;
    expect(h.stats.selfRestarts).toBeGreaterThanOrEqual(1);
    // Rebuilt from disk: 'before' comes back once the commit is known again; the lost never do.
    expect(['before'].slice(0, n1.program!.app.applied.length)).toEqual(n1.program!.app.applied);
    n1.disk.faults.writeErrorRate = 0;
    c.sim.run({ untilNs: ms(1500) });
    expect(n1.program!.app.applied).toEqual(['before']);
    expect(n1.program!.host.raft.role).toBe('leader');
    n1.program!.host.propose('after');
    c.sim.run({ untilNs: ms(1700) });
    expect(n1.program!.app.applied).toEqual(['before', 'after']);
    // And a restart from disk agrees.
    n1.crash('all');
    n1.start();
    c.sim.run({ untilNs: ms(2500) });
    expect(n1.program!.app.applied).toEqual(['before', 'after']);
  });

  it('recovers snapshot + log after a crash and converges with the others', () => {
    const c = cluster(3, 21, {}, 5);
    for (let i = 0; i < 30; i++) c.sim.schedule(ms(400 + i * 20), () => void c.leader()?.program?.host.propose(`p${i}`));
    c.sim.schedule(ms(600), () => c.nodes[2]!.crash('torn'));
    c.sim.schedule(ms(900), () => c.nodes[2]!.start());
    c.sim.run({ untilNs: sec(3) });
    const lists = c.nodes.map((x) => x.program!.app.applied);
    expect(lists[0]!.length).toBeGreaterThan(20);
    expect(lists[1]).toEqual(lists[0]);
    expect(lists[2]).toEqual(lists[0]);
    expect(c.nodes.reduce((a, x) => a + x.program!.host.stats.snapshots, 0)).toBeGreaterThan(0);
    // Recovery from the disk alone gives back the same state.
    const n3 = c.nodes[2]!;
    n3.crash('all');
    n3.start();
    // Before any message: the snapshot's state (a prefix of what the others applied).
    const recovered = n3.program!.app.applied.slice();
    expect(n3.program!.host.snapshotIndex).toBeGreaterThan(0);
    expect(recovered.length).toBeGreaterThan(0);
    expect(lists[0]!.slice(0, recovered.length)).toEqual(recovered);
    c.sim.run({ untilNs: sec(4) });
    expect(n3.program!.app.applied).toEqual(lists[0]);
  });
});

describe('RaftHost events per operation', () => {
  it('an idle cluster costs one tick event per deadline (heartbeat, election timeout), not one per tick, and its clocks still count every tick', () => {
    const c = cluster(3, 7);
    c.sim.run({ untilNs: sec(2) });
    const l = c.leader()!;
    expect(l).toBeDefined();
    const term = l.program!.host.raft.term;
    const ticks0 = c.nodes.map((x) => x.program!.host.raft.ticks);
    const e0 = c.sim.events;
    c.sim.run({ untilNs: sec(12) });
    const perSecond = (c.sim.events - e0) / 10;
    // Ticking every 10 ms was 300 tick events a second for 3 nodes alone, besides the leader's
    // heartbeats (20 a second to each follower), their replies (80 deliveries a second) and each
    // follower's Ready for its reply (40). Now: the leader's timer every heartbeat (20), each
    // follower's about once an election timeout, and the rest as before (about 170 in all).
    expect(perSecond).toBeLessThan(200);
    expect(perSecond).toBeGreaterThan(80); // the heartbeats still flow
    expect(c.leader()?.program?.host.raft.term).toBe(term); // and no follower timed out
    // A node's tick count is caught up at its next input: within one heartbeat period of 1,000 ticks.
    c.nodes.forEach((x, i) => expect(Math.abs(x.program!.host.raft.ticks - ticks0[i]! - 1000)).toBeLessThanOrEqual(5));
  });

  it('a follower cut off from its leader still times out and a new leader is elected', () => {
    const c = cluster(3, 9);
    c.sim.run({ untilNs: sec(2) });
    const l = c.leader()!;
    const term = l.program!.host.raft.term;
    l.crash('all');
    c.sim.run({ untilNs: sec(3) });
    const l2 = c.leader();
    expect(l2).toBeDefined();
    expect(l2!.id).not.toBe(l.id);
    expect(l2!.program!.host.raft.term).toBeGreaterThan(term);
  });

  it("gives an application's onTick the ticks it asks for (tickWorkDueNs), and every tick when it does not ask", () => {
    const calls: { every: number[]; due: number[] } = { every: [], due: [] };
    for (const mode of ['every', 'due'] as const) {
      const sim = new Simulation({ seed: 3, buggify: { enabled: false } });
      const w = new World(sim, {}, LAN);
      const n = w.addNode('n1', (ctx) => {
        const app: RaftApp = {
          ...listApp(),
          onTick: () => void calls[mode].push(ctx.now()),
          ...(mode === 'due' ? { tickWorkDueNs: () => (calls.due.length === 0 ? ms(500) : Infinity) } : {}),
        };
        const host = new RaftHost(ctx, { peers: ['n1'], snapshotEntries: 0 }, app);
        return { host, onMessage: (env: import('../../sim/node.ts').Envelope) => void host.onMessage(env) };
      });
      n.start();
      sim.run({ untilNs: sec(1) });
    }
    expect(calls.every.length).toBeGreaterThanOrEqual(99);
    expect(calls.every.length).toBeLessThanOrEqual(100);
    // Once, at the first tick at or after 500 ms (ticks are 10 ms apart).
    expect(calls.due.length).toBe(1);
    expect(calls.due[0]).toBeGreaterThanOrEqual(ms(500));
    expect(calls.due[0]).toBeLessThan(ms(510));
  });
});
