import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Simulation } from '../kernel.ts';
import type { Envelope, NodeContext, SimNode } from '../node.ts';
import { World } from '../scenario.ts';
import { drawLatency, scaleLatency } from './latency.ts';
import { LAN, Network, type LinkConfig } from './network.ts';
import { SeededRng } from '../prng.ts';

interface Sink {
  ctx: NodeContext;
  got: Envelope[];
  onMessage(env: Envelope): void;
}

/** A world of `n` nodes n1..nn that record every envelope they receive. */
function newWorld(n: number, link: Partial<LinkConfig> = {}, seed = 1): { sim: Simulation; w: World; net: Network; nodes: SimNode<Sink>[] } {
  const sim = new Simulation({ seed, buggify: { enabled: false } });
  const w = new World(sim, {}, { ...LAN, latency: { kind: 'constant', ns: 10 }, ...link });
  const nodes = Array.from({ length: n }, (_, i) =>
    w.addNode<Sink>(`n${i + 1}`, (ctx) => {
      const got: Envelope[] = [];
      return { ctx, got, onMessage: (env) => got.push(env) };
    }),
  );
  for (const x of nodes) x.start();
  return { sim, w, net: w.net, nodes };
}

const send = (from: SimNode<Sink>, to: string, body: unknown): void => from.program!.ctx.send(to, body);
const bodies = (n: SimNode<Sink>): unknown[] => n.program!.got.map((e) => e.body);

describe('Network: partitions', () => {
  type Action =
    | { k: 'isolate'; a: number }
    | { k: 'partition'; groupOf: number[] }
    | { k: 'oneWay'; a: number; b: number }
    | { k: 'cut'; a: number; b: number }
    | { k: 'bridge'; perm: number[]; sizeA: number; sizeB: number }
    | { k: 'ring'; perm: number[]; len: number }
    | { k: 'heal' }
    | { k: 'send'; pairs: [number, number][] };

  const MAXN = 6;
  const perm = fc.shuffledSubarray([0, 1, 2, 3, 4, 5], { minLength: MAXN, maxLength: MAXN });
  const action: fc.Arbitrary<Action> = fc.oneof(
    fc.record({ k: fc.constant('isolate' as const), a: fc.nat() }),
    // group index MAXN means "in no group" (those nodes form one more group of their own)
    fc.record({ k: fc.constant('partition' as const), groupOf: fc.array(fc.integer({ min: 0, max: MAXN }), { minLength: MAXN, maxLength: MAXN }) }),
    fc.record({ k: fc.constant('oneWay' as const), a: fc.nat(), b: fc.nat() }),
    fc.record({ k: fc.constant('cut' as const), a: fc.nat(), b: fc.nat() }),
    fc.record({ k: fc.constant('bridge' as const), perm, sizeA: fc.nat(), sizeB: fc.nat() }),
    fc.record({ k: fc.constant('ring' as const), perm, len: fc.nat() }),
    fc.record({ k: fc.constant('heal' as const) }),
    fc.record({ k: fc.constant('send' as const), pairs: fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 12 }) }),
  );

  it('property: delivered messages are exactly those sent over unblocked links (reference reachability)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: MAXN }), fc.array(action, { maxLength: 25 }), (n, actions) => {
        const { sim, net, nodes } = newWorld(n);
        const ids = nodes.map((x) => x.id);
        const blocked = new Set<string>(); // reference: "a>b"
        const block = (a: number, b: number): void => void (a !== b && blocked.add(`${a}>${b}`));
        // An explicit blockOneWay/cut of a node with itself does block its loopback in the kernel
        // (isolate/partition never touch it); the reference follows.
        const blockExplicit = (a: number, b: number): void => void blocked.add(`${a}>${b}`);
        const expected: string[][] = nodes.map(() => []);
        let msg = 0;
        actions.forEach((act, step) => {
          // Each step at its own instant; messages take 10 ns, so none is in flight across a step.
          sim.at(step * 100, () => {
            switch (act.k) {
              case 'isolate': {
                const a = act.a % n;
                net.isolate(ids[a]!);
                for (let b = 0; b < n; b++) (block(a, b), block(b, a));
                break;
              }
              case 'partition': {
                const g = act.groupOf.slice(0, n);
                const groups: string[][] = [];
                for (let gi = 0; gi < MAXN; gi++) {
                  const members = ids.filter((_, i) => g[i] === gi);
                  if (members.length > 0) groups.push(members);
                }
                net.partition(groups);
                for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) if (g[a] !== g[b]) block(a, b);
                break;
              }
              case 'oneWay':
                net.blockOneWay(ids[act.a % n]!, ids[act.b % n]!);
                blockExplicit(act.a % n, act.b % n);
                break;
              case 'cut':
                net.cut(ids[act.a % n]!, ids[act.b % n]!);
                blockExplicit(act.a % n, act.b % n);
                blockExplicit(act.b % n, act.a % n);
                break;
              case 'bridge': {
                const p = act.perm.filter((i) => i < n);
                const br = p[0]!;
                const sizeA = act.sizeA % n;
                const A = p.slice(1, 1 + sizeA);
                const B = p.slice(1 + sizeA, 1 + sizeA + (act.sizeB % n));
                net.bridge(A.map((i) => ids[i]!), B.map((i) => ids[i]!), ids[br]!);
                for (const a of A) for (const b of B) (block(a, b), block(b, a));
                break;
              }
              case 'ring': {
                const order = act.perm.filter((i) => i < n).slice(0, act.len % (n + 1));
                net.ring(order.map((i) => ids[i]!));
                const m = order.length;
                for (let i = 0; i < m; i++)
                  for (let j = 0; j < m; j++) {
                    const d = Math.min((i - j + m) % m, (j - i + m) % m);
                    if (d > 1) block(order[i]!, order[j]!);
                  }
                break;
              }
              case 'heal':
                net.heal();
                blocked.clear();
                break;
              case 'send':
                for (const [x, y] of act.pairs) {
                  const a = x % n;
                  const b = y % n;
                  const id = `m${msg++}`;
                  send(nodes[a]!, ids[b]!, id);
                  if (!blocked.has(`${a}>${b}`)) expected[b]!.push(id);
                }
                break;
            }
            for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) expect(net.isBlocked(ids[a]!, ids[b]!)).toBe(blocked.has(`${a}>${b}`));
          });
        });
        sim.run();
        nodes.forEach((x, i) => expect(bodies(x)).toEqual(expected[i]));
        // After a final heal, every link delivers (loss is 0).
        net.heal();
        for (const a of nodes) for (const b of nodes) send(a, b.id, `final ${a.id}>${b.id}`);
        sim.run();
        for (const b of nodes) expect(bodies(b).filter((x) => String(x).startsWith('final')).length).toBe(n);
      }),
      { numRuns: 150 },
    );
  });

  it('property: with partitions changing while messages fly, a message arrives iff its link is open at send and at arrival', () => {
    type Ev = { t: number; k: 'cut' | 'oneWay' | 'isolate' | 'heal' | 'send'; a: number; b: number };
    const LAT = 50;
    const ev: fc.Arbitrary<Ev> = fc.record({
      t: fc.integer({ min: 0, max: 400 }),
      k: fc.constantFrom('cut' as const, 'oneWay' as const, 'isolate' as const, 'heal' as const, 'send' as const, 'send' as const, 'send' as const),
      a: fc.nat({ max: 3 }),
      b: fc.nat({ max: 3 }),
    });
    fc.assert(
      fc.property(fc.array(ev, { maxLength: 60 }), (evs) => {
        const { sim, net, nodes } = newWorld(4, { latency: { kind: 'constant', ns: LAT } });
        const ids = nodes.map((x) => x.id);
        // Everything is scheduled up front, so events at one instant run in creation order and
        // before any arrival at that instant (arrivals are scheduled later, at send time).
        evs.forEach((e, i) =>
          sim.at(e.t, () => {
            if (e.k === 'cut') net.cut(ids[e.a]!, ids[e.b]!);
            else if (e.k === 'oneWay') net.blockOneWay(ids[e.a]!, ids[e.b]!);
            else if (e.k === 'isolate') net.isolate(ids[e.a]!);
            else if (e.k === 'heal') net.heal();
            else send(nodes[e.a]!, ids[e.b]!, i);
          }),
        );
        // Reference: replay the same order, with a snapshot of blocked links after each instant.
        const order = evs.map((e, i) => ({ ...e, i })).sort((x, y) => x.t - y.t || x.i - y.i);
        const blocked = new Set<string>();
        const snapshots: { t: number; blocked: Set<string> }[] = [];
        const sentOpen = new Map<number, boolean>();
        for (const e of order) {
          if (e.k === 'cut') (blocked.add(`${e.a}>${e.b}`), blocked.add(`${e.b}>${e.a}`));
          else if (e.k === 'oneWay') blocked.add(`${e.a}>${e.b}`);
          else if (e.k === 'isolate') {
            for (let x = 0; x < 4; x++) if (x !== e.a) (blocked.add(`${e.a}>${x}`), blocked.add(`${x}>${e.a}`));
          } else if (e.k === 'heal') blocked.clear();
          else sentOpen.set(e.i, !blocked.has(`${e.a}>${e.b}`));
          snapshots.push({ t: e.t, blocked: new Set(blocked) });
        }
        const blockedAt = (t: number, key: string): boolean => {
          let snap: Set<string> = new Set();
          for (const s of snapshots) if (s.t <= t) snap = s.blocked;
          return snap.has(key);
        };
        const expected = nodes.map(() => [] as number[]);
        for (const e of order) {
          if (e.k !== 'send') continue;
          if (sentOpen.get(e.i) && !blockedAt(e.t + LAT, `${e.a}>${e.b}`)) expected[e.b]!.push(e.i);
        }
        sim.run();
        nodes.forEach((x, i) => expect(bodies(x)).toEqual(expected[i]));
      }),
      { numRuns: 200 },
    );
  });

  it('a message in flight is dropped if its link is cut when it arrives, kept if healed by then', () => {
    const dropped = newWorld(2);
    send(dropped.nodes[0]!, 'n2', 'dropped'); // arrives at 10
    dropped.sim.schedule(5, () => dropped.net.cut('n1', 'n2'));
    dropped.sim.run();
    expect(bodies(dropped.nodes[1]!)).toEqual([]);
    expect(dropped.net.stats.droppedPartition).toBe(1);

    const healed = newWorld(2);
    send(healed.nodes[0]!, 'n2', 'kept');
    healed.sim.schedule(5, () => healed.net.cut('n1', 'n2'));
    healed.sim.schedule(6, () => healed.net.heal());
    healed.sim.run();
    expect(bodies(healed.nodes[1]!)).toEqual(['kept']);
    expect(healed.net.stats.droppedPartition).toBe(0);
  });

  it('oneWay blocks only one direction', () => {
    const { sim, net, nodes } = newWorld(2);
    net.blockOneWay('n1', 'n2');
    send(nodes[0]!, 'n2', 'a');
    send(nodes[1]!, 'n1', 'b');
    sim.run();
    expect(bodies(nodes[1]!)).toEqual([]);
    expect(bodies(nodes[0]!)).toEqual(['b']);
  });
});

describe('Network: message handling', () => {
  it('send taps see every message as it leaves, even one a partition then drops', () => {
    const { sim, net, nodes } = newWorld(2);
    const seen: string[] = [];
    net.sendTaps.push((from, to, body) => seen.push(`${from.id}>${to}:${String(body)}`));
    send(nodes[0]!, 'n2', 'x');
    sim.run();
    net.cut('n1', 'n2');
    send(nodes[0]!, 'n2', 'y');
    sim.run();
    expect(seen).toEqual(['n1>n2:x', 'n1>n2:y']);
    expect(bodies(nodes[1]!)).toEqual(['x']);
  });

  it('messages are copies: mutating the sent or the received object never affects the other side', () => {
    const { sim, nodes } = newWorld(3, { duplicateRate: 1 });
    const msg = { list: [1, 2], m: new Map([['k', { v: 1 }]]) };
    send(nodes[0]!, 'n2', msg);
    send(nodes[0]!, 'n3', msg);
    msg.list.push(3);
    msg.m.get('k')!.v = 99;
    sim.run();
    const got2 = nodes[1]!.program!.got;
    expect(got2).toHaveLength(2); // duplicated
    for (const e of [...got2, ...nodes[2]!.program!.got]) expect(e.body).toEqual({ list: [1, 2], m: new Map([['k', { v: 1 }]]) });
    // The duplicate is its own copy, and so is each receiver's.
    (got2[0]!.body as typeof msg).list.push(7);
    expect((got2[1]!.body as typeof msg).list).toEqual([1, 2]);
    expect((nodes[2]!.program!.got[0]!.body as typeof msg).list).toEqual([1, 2]);
    expect(msg.list).toEqual([1, 2, 3]);
  });

  it('a message that is not plain data is rejected at send time', () => {
    const { nodes } = newWorld(2);
    expect(() => send(nodes[0]!, 'n2', { f: () => 1 })).toThrow(/plain data/);
  });

  it('property: without reordering a link is FIFO, whatever the latency draws', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(fc.integer({ min: 0, max: 2_000_000 }), { minLength: 1, maxLength: 40 }), (seed, gaps) => {
        const { sim, nodes } = newWorld(3, { latency: { kind: 'lognormal', minNs: 100_000, medianNs: 500_000, p99Ns: 5_000_000 } }, seed);
        let t = 0;
        gaps.forEach((g, i) => {
          t += g;
          sim.at(t, () => {
            send(nodes[0]!, 'n2', i);
            send(nodes[2]!, 'n2', 1000 + i);
          });
        });
        sim.run();
        const got = bodies(nodes[1]!) as number[];
        expect(got.filter((x) => x < 1000)).toEqual(gaps.map((_, i) => i));
        expect(got.filter((x) => x >= 1000)).toEqual(gaps.map((_, i) => 1000 + i));
      }),
      { numRuns: 60 },
    );
  });

  it('reorderRate=1 does reorder messages on a link', () => {
    const { sim, net, nodes } = newWorld(2, { latency: { kind: 'constant', ns: 10 }, reorderRate: 1, reorderDelayNsMax: 1000 });
    for (let i = 0; i < 50; i++) send(nodes[0]!, 'n2', i);
    sim.run();
    const got = bodies(nodes[1]!) as number[];
    expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(got).not.toEqual([...got].sort((a, b) => a - b));
    expect(net.stats.reordered).toBe(50);
  });

  it('duplicateRate=1 delivers every message exactly twice', () => {
    const { sim, net, nodes } = newWorld(2, { duplicateRate: 1 });
    for (let i = 0; i < 20; i++) send(nodes[0]!, 'n2', i);
    sim.run();
    const got = bodies(nodes[1]!) as number[];
    expect(got).toHaveLength(40);
    for (let i = 0; i < 20; i++) expect(got.filter((x) => x === i)).toHaveLength(2);
    expect(net.stats).toMatchObject({ sent: 20, duplicated: 20, delivered: 40, lost: 0 });
  });

  it('lossRate=1 delivers nothing; lossRate=0.3 loses about 30%', () => {
    const a = newWorld(2, { lossRate: 1 });
    for (let i = 0; i < 20; i++) send(a.nodes[0]!, 'n2', i);
    a.sim.run();
    expect(bodies(a.nodes[1]!)).toEqual([]);
    expect(a.net.stats).toMatchObject({ sent: 20, lost: 20, delivered: 0 });
    const b = newWorld(2, { lossRate: 0.3 });
    for (let i = 0; i < 2000; i++) send(b.nodes[0]!, 'n2', i);
    b.sim.run();
    const share = b.net.stats.lost / 2000;
    expect(share).toBeGreaterThan(0.25);
    expect(share).toBeLessThan(0.35);
    expect(b.net.stats.delivered + b.net.stats.lost).toBe(2000);
  });

  it('bandwidth: a message of S bytes occupies the link S/bandwidth, one message at a time', () => {
    const { sim, nodes } = newWorld(3, { bandwidthBytesPerSec: 1000 });
    const ctx = nodes[0]!.program!.ctx;
    ctx.send('n2', 'a', { sizeBytes: 100 }); // 0.1 s on the wire
    ctx.send('n2', 'b', { sizeBytes: 300 }); // waits for a, then 0.3 s
    ctx.send('n3', 'c', { sizeBytes: 100 }); // another link: not delayed by n1->n2
    sim.run();
    expect(nodes[1]!.program!.got.map((e) => [e.body, e.sizeBytes])).toEqual([['a', 100], ['b', 300]]);
    const times: number[] = [];
    const { sim: s2, nodes: n2 } = newWorld(3, { bandwidthBytesPerSec: 1000 });
    n2[1]!.program!.onMessage = () => times.push(s2.now);
    n2[2]!.program!.onMessage = () => times.push(-s2.now);
    n2[0]!.program!.ctx.send('n2', 'a', { sizeBytes: 100 });
    n2[0]!.program!.ctx.send('n2', 'b', { sizeBytes: 300 });
    n2[0]!.program!.ctx.send('n3', 'c', { sizeBytes: 100 });
    s2.run();
    expect(times).toEqual([100_000_010, -100_000_010, 400_000_010]);
  });

  it('bandwidth: the size is estimated from the body when not given', () => {
    const times: number[] = [];
    const { sim, nodes } = newWorld(2, { bandwidthBytesPerSec: 1e6 });
    nodes[1]!.program!.onMessage = () => times.push(sim.now);
    send(nodes[0]!, 'n2', 'x'.repeat(10));
    send(nodes[0]!, 'n2', 'x'.repeat(100_000));
    sim.run();
    expect(times[0]).toBeLessThan(100_000);
    expect(times[1]! - times[0]!).toBeGreaterThan(99_000_000); // ~0.1 s for 100 kB at 1 MB/s
  });

  it('clog holds everything sent on the link until the deadline, then releases it in order', () => {
    const { sim, net, nodes } = newWorld(2);
    const at: [unknown, number][] = [];
    nodes[1]!.program!.onMessage = (e) => at.push([e.body, sim.now]);
    nodes[0]!.program!.onMessage = (e) => at.push([e.body, sim.now]);
    net.clog('n1', 'n2', 1000);
    send(nodes[0]!, 'n2', 'a');
    sim.schedule(500, () => send(nodes[0]!, 'n2', 'b'));
    sim.schedule(500, () => send(nodes[1]!, 'n1', 'back')); // other direction: not clogged
    sim.schedule(2000, () => send(nodes[0]!, 'n2', 'after'));
    sim.run();
    expect(at).toEqual([['back', 510], ['a', 1010], ['b', 1010], ['after', 2010]]);
  });

  it('clogNode clogs both directions of every link of the node; heal ends clogs for new sends', () => {
    const { sim, net, nodes } = newWorld(3);
    const at: string[] = [];
    for (const x of nodes) x.program!.onMessage = (e) => at.push(`${e.from}>${e.to}@${sim.now}`);
    net.clogNode('n1', 100);
    send(nodes[1]!, 'n1', 0);
    send(nodes[0]!, 'n3', 0);
    send(nodes[1]!, 'n3', 0); // not involving n1
    sim.run();
    expect(at).toEqual(['n2>n3@10', 'n2>n1@110', 'n1>n3@110']);
    at.length = 0;
    net.clogNode('n1', 1000);
    net.heal();
    send(nodes[1]!, 'n1', 0);
    sim.run();
    expect(at).toEqual([`n2>n1@${sim.now}`]);
    expect(sim.now).toBe(120);
  });
});

describe('Network: configuration', () => {
  it('setLink overrides one direction; setDefaults keeps overrides; clearFaults calms every link', () => {
    const { net } = newWorld(3);
    net.setLink('n1', 'n2', { lossRate: 0.5 });
    expect(net.linkConfig('n1', 'n2').lossRate).toBe(0.5);
    expect(net.linkConfig('n2', 'n1').lossRate).toBe(0);
    net.setDefaults({ lossRate: 0.1, duplicateRate: 0.2 });
    expect(net.linkConfig('n1', 'n2')).toMatchObject({ lossRate: 0.5, duplicateRate: 0.2 });
    expect(net.linkConfig('n2', 'n3')).toMatchObject({ lossRate: 0.1, duplicateRate: 0.2 });
    net.setLinkBoth('n2', 'n3', { reorderRate: 0.3 });
    expect(net.linkConfig('n3', 'n2').reorderRate).toBe(0.3);
    net.clearFaults();
    for (const [a, b] of [['n1', 'n2'], ['n2', 'n3'], ['n3', 'n2'], ['n3', 'n1']] as const)
      expect(net.linkConfig(a, b)).toMatchObject({ lossRate: 0, duplicateRate: 0, reorderRate: 0 });
    // A link first used after clearFaults gets the calm defaults too.
    expect(net.linkConfig('n2', 'n1').lossRate).toBe(0);
  });

  it('rejects unknown and duplicate node ids', () => {
    const { net, w } = newWorld(2);
    expect(() => net.node('zz')).toThrow(/unknown node zz/);
    expect(() => w.addNode('n1', () => ({}))).toThrow(/already exists/);
    expect(net.nodeIds).toEqual(['n1', 'n2']);
  });
});

describe('latency models', () => {
  it('draws stay within their bounds; scaling multiplies every figure', () => {
    const r = new SeededRng(1, 'lat');
    for (let i = 0; i < 1000; i++) {
      const u = drawLatency({ kind: 'uniform', minNs: 5, maxNs: 9 }, r);
      expect(Number.isInteger(u) && u >= 5 && u <= 9).toBe(true);
      const l = drawLatency({ kind: 'lognormal', minNs: 100, medianNs: 500, p99Ns: 2000 }, r);
      expect(Number.isInteger(l) && l >= 100).toBe(true);
    }
    expect(drawLatency({ kind: 'constant', ns: 42 }, r)).toBe(42);
    expect(scaleLatency({ kind: 'uniform', minNs: 10, maxNs: 20 }, 3)).toEqual({ kind: 'uniform', minNs: 30, maxNs: 60 });
    expect(scaleLatency({ kind: 'lognormal', minNs: 1, medianNs: 2, p99Ns: 4 }, 2)).toEqual({ kind: 'lognormal', minNs: 2, medianNs: 4, p99Ns: 8 });
  });
});
