/**
 * Message rules (faults aimed at kinds of messages), latency floors, and the network's message
 * counts (a run's metrics.messages).
 */
import { describe, expect, it } from 'vitest';
import { Simulation } from '../kernel.ts';
import type { Envelope, NodeContext, SimNode } from '../node.ts';
import { World } from '../scenario.ts';
import { SeededRng } from '../prng.ts';
import { ms } from '../time.ts';
import { describeLatency, drawLatency, scaleLatency, withFloor } from './latency.ts';
import { LAN } from './network.ts';

interface Sink {
  ctx: NodeContext;
  got: Envelope[];
  at: number[];
  onMessage(env: Envelope): void;
}

function world(n: number, seed = 1): { sim: Simulation; w: World; nodes: SimNode<Sink>[] } {
  const sim = new Simulation({ seed, buggify: { enabled: false } });
  const w = new World(sim, {}, { ...LAN, latency: { kind: 'constant', ns: 10 } });
  const nodes = Array.from({ length: n }, (_, i) =>
    w.addNode<Sink>(`n${i + 1}`, (ctx) => {
      const s: Sink = { ctx, got: [], at: [], onMessage: (env) => (s.got.push(env), s.at.push(ctx.now())) };
      return s;
    }),
  );
  for (const x of nodes) x.start();
  return { sim, w, nodes };
}

const types = (n: SimNode<Sink>): string[] => n.program!.got.map((e) => (e.body as { type: string }).type);

describe('latency with a floor', () => {
  it('floor + uniform never draws below the floor nor above floor + max, and scales and describes', () => {
    const m = withFloor(ms(200), { kind: 'uniform', minNs: 0, maxNs: ms(2000) });
    const r = new SeededRng('floor', 'draws');
    let lo = Infinity;
    let hi = 0;
    for (let i = 0; i < 5000; i++) {
      const x = drawLatency(m, r);
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    expect(lo).toBeGreaterThanOrEqual(ms(200));
    expect(lo).toBeLessThan(ms(210));
    expect(hi).toBeLessThanOrEqual(ms(2200));
    expect(hi).toBeGreaterThan(ms(2150));
    expect(scaleLatency(m, 2)).toEqual(withFloor(ms(400), { kind: 'uniform', minNs: 0, maxNs: ms(4000) }));
    expect(describeLatency(m)).toBe('200000000ns + uniform(0..2000000000ns)');
  });
});

describe('message rules: faults aimed at kinds of messages', () => {
  it('drops only the named type (drop only votes), and clearFaults removes a dropping rule', () => {
    const { sim, w, nodes } = world(2);
    w.net.addMessageFault({ types: ['vote'], dropRate: 1 });
    for (const t of ['vote', 'app', 'vote', 'voteResp']) nodes[0]!.program!.ctx.send('n2', { type: t });
    sim.run({ untilNs: ms(1) });
    expect(types(nodes[1]!)).toEqual(['app', 'voteResp']);
    expect(w.net.stats.droppedByRule).toBe(2);
    w.net.clearFaults();
    nodes[0]!.program!.ctx.send('n2', { type: 'vote' });
    sim.run({ untilNs: ms(2) });
    expect(types(nodes[1]!)).toEqual(['app', 'voteResp', 'vote']);
  });

  it('delays only replies (by type) with a floor; other messages keep the link latency; a latency rule survives clearFaults', () => {
    const { sim, w, nodes } = world(2, 7);
    w.net.addMessageFault({ types: ['voteResp', 'appResp'], latency: withFloor(ms(200), { kind: 'uniform', minNs: 0, maxNs: ms(2000) }) });
    w.net.clearFaults();
    // Requests n1 -> n2, replies n2 -> n1 (a link is FIFO: a slow reply would hold later messages on its own link).
    for (let i = 0; i < 20; i++) {
      nodes[0]!.program!.ctx.send('n2', { type: 'app', i });
      nodes[1]!.program!.ctx.send('n1', { type: 'appResp', i });
    }
    sim.run({ untilNs: ms(5000) });
    expect(nodes[1]!.program!.at).toEqual(Array(20).fill(10));
    const replies = nodes[0]!.program!.at;
    expect(replies.length).toBe(20);
    expect(Math.min(...replies)).toBeGreaterThanOrEqual(ms(200));
    expect(Math.max(...replies)).toBeLessThanOrEqual(ms(2200));
  });

  it('matches replies sent with ctx.reply, endpoints and a predicate; removeMessageFault ends a rule', () => {
    const { sim, w, nodes } = world(3);
    const id = w.net.addMessageFault({ from: ['n1'], to: ['n3'], match: (b) => (b as { k: number }).k % 2 === 0, dropRate: 1 });
    for (let k = 0; k < 4; k++) {
      nodes[0]!.program!.ctx.send('n2', { type: 'x', k });
      nodes[0]!.program!.ctx.send('n3', { type: 'x', k });
    }
    sim.run({ untilNs: ms(1) });
    expect(nodes[1]!.program!.got.length).toBe(4);
    expect(nodes[2]!.program!.got.map((e) => (e.body as { k: number }).k)).toEqual([1, 3]);
    w.net.removeMessageFault(id);
    w.net.addMessageFault({ replies: true, dropRate: 1 });
    w.net.send('n3', 'n1', { type: 'y' });
    w.net.send('n3', 'n1', { type: 'z' }, { replyTo: 1 }); // what ctx.reply sends
    w.net.send('n3', 'n1', { type: 'w' }, { rpcId: 2 }); // a request of ctx.call
    sim.run({ untilNs: ms(2) });
    expect(types(nodes[0]!)).toEqual(['y', 'w']);
  });

  it('no rule: no extra random draws (a run without rules keeps its trace)', () => {
    const run = (withRule: boolean): string => {
      const { sim, w, nodes } = world(2, 3);
      w.net.setDefaults({ lossRate: 0.3, latency: { kind: 'uniform', minNs: 1, maxNs: 1000 } });
      if (withRule) {
        const id = w.net.addMessageFault({ types: ['never'], dropRate: 0.5 });
        w.net.removeMessageFault(id);
      }
      for (let i = 0; i < 50; i++) nodes[0]!.program!.ctx.send('n2', { type: 'a', i });
      sim.run({ untilNs: ms(1) });
      return nodes[1]!.program!.got.map((e) => (e.body as { i: number }).i).join(',');
    };
    expect(run(true)).toBe(run(false));
  });
});

describe('message counts', () => {
  it('counts sent messages and estimated bytes by type and node, dropped ones included; received counts deliveries', () => {
    const { sim, w, nodes } = world(3);
    w.net.cut('n1', 'n3');
    nodes[0]!.program!.ctx.send('n2', { type: 'ping', n: 1 });
    nodes[0]!.program!.ctx.send('n3', { type: 'ping', n: 2 });
    nodes[1]!.program!.ctx.send('n1', { type: 'pong', s: 'hello' });
    nodes[1]!.program!.ctx.send('n1', 'bare string');
    sim.run({ untilNs: ms(1) });
    const m = w.net.messageMetrics();
    // { type: 'ping', n: 1 }: 4 + (4 + 1 + 2 + 4) + (1 + 1 + 8) = 25 bytes by estimateSize.
    expect(m.byType).toEqual({ ping: { count: 2, bytes: 50 }, pong: { count: 1, bytes: 4 + 11 + 9 }, string: { count: 1, bytes: 13 } });
    expect(m.total).toBe(4);
    expect(m.bytes).toBe(50 + 24 + 13);
    expect(m.byNode).toEqual({
      n1: { sent: 2, bytesSent: 50, received: 2, bytesReceived: 37 },
      n2: { sent: 2, bytesSent: 37, received: 1, bytesReceived: 25 },
      n3: { sent: 0, bytesSent: 0, received: 0, bytesReceived: 0 },
    });
    expect(Object.keys(m.byType)).toEqual(['ping', 'pong', 'string']);
    expect(w.net.messagesOfType('ping')).toEqual({ count: 2, bytes: 50 });
  });
});
