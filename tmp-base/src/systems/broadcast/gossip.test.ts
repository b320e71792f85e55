/**
 * Gossip broadcast under disk faults: an acknowledgement means the value is on this node's disk.
 */
import { describe, expect, it } from 'vitest';
import { Simulation } from '../../sim/kernel.ts';
import type { CallResult } from '../../sim/node.ts';
import { World } from '../../sim/scenario.ts';
import { ms, sec } from '../../sim/time.ts';
import { gossipNode, type GossipMessage } from './gossip.ts';

describe('gossip under a failed fsync', () => {
  it('fixed bug (found by disk write errors): a retry after a failed fsync is never acknowledged with nothing on disk', () => {
    const sim = new Simulation({ seed: 1, buggify: { enabled: false } });
    const w = new World(sim, {});
    const n1 = w.addNode('n1', (ctx) => gossipNode(ctx, { peers: [], antiEntropyNs: sec(1), bug: 'none', buggyNode: '' }));
    const acks: { at: number; durable: boolean }[] = [];
    w.addClient('c', (ctx) => (function* () {
      for (let attempt = 0; attempt < 4; attempt++) {
        // The first fsync fails; later ones succeed.
        n1.disk.faults.writeErrorRate = attempt === 0 ? 1 : 0;
        const r = (yield ctx.call('n1', { type: 'broadcast', value: 7 } satisfies GossipMessage, ms(200))) as CallResult<GossipMessage>;
        if (r.ok) acks.push({ at: sim.now, durable: n1.disk.peek<number>('seen').records.includes(7) });
        yield ctx.sleep(ms(100));
      }
    })());
    for (const n of w.nodes) n.start();
    sim.run({ untilNs: sec(2) });
    expect(acks.length).toBeGreaterThan(0); // it recovers and acknowledges
    expect(acks.every((a) => a.durable)).toBe(true);
    expect(n1.incarnation).toBeGreaterThan(1); // it failed stop after the EIO
  });
});

describe('gossip anti-entropy is delta-based', () => {
  it('a round carries only what the peer lacks: values sent in syncs stay a small multiple of the values, however many rounds run', () => {
    const sim = new Simulation({ seed: 3, buggify: { enabled: false } });
    const w = new World(sim, {});
    const ids = ['n1', 'n2', 'n3'];
    const nodes = ids.map((id) => w.addNode(id, (ctx) => gossipNode(ctx, { peers: ids.filter((x) => x !== id), antiEntropyNs: ms(20), bug: 'none', buggyNode: '' })));
    let syncValues = 0;
    let syncs = 0;
    w.net.sendTaps.push((_from, _to, body) => {
      const m = body as GossipMessage;
      if (m.type === 'sync') {
        syncs++;
        syncValues += m.values.length;
      }
    });
    let sent = 0;
    w.addClient('c', (ctx) => (function* () {
      for (let v = 1; v <= 200; v++) {
        yield ctx.call(ids[v % 3]!, { type: 'broadcast', value: v } satisfies GossipMessage, ms(200));
        sent++;
        yield ctx.sleep(ms(10));
      }
    })());
    for (const n of w.nodes) n.start();
    sim.run({ untilNs: sec(10) });
    expect(sent).toBe(200);
    for (const n of nodes) expect(n.program!.state.seen.size).toBe(200);
    // ~1,500 rounds ran (3 nodes, every 20 ms, 10 s): a full-set sync would carry ~150,000 values.
    expect(syncs).toBeGreaterThan(100);
    expect(syncValues).toBeLessThan(200 * 3 * 4);
  });
});
