/**
 * Gossip broadcast under disk faults: an acknowledgement means the value is on this node's disk.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Disk } from '../../sim/disk/disk.ts';
import { DISK_PROFILES } from '../../sim/disk/profiles.ts';
import { Simulation } from '../../sim/kernel.ts';
import type { CallResult } from '../../sim/node.ts';
import { World } from '../../sim/scenario.ts';
import { ms, sec } from '../../sim/time.ts';
import { CHECKPOINT_FILE, CHECKPOINT_STEP, GossipState, gossipNode, keptIncarnation, keptMarks, MAX_SYNC_VALUES, recoverValues, type GossipMessage, type SavedMark } from './gossip.ts';

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

/** Three gossip nodes (anti-entropy every 50 ms, no BUGGIFY) in a fresh world. */
const cluster = (seed: number) => {
  const sim = new Simulation({ seed, buggify: { enabled: false } });
  const w = new World(sim, {});
  const ids = ['n1', 'n2', 'n3'];
  const nodes = ids.map((id) => w.addNode(id, (ctx) => gossipNode(ctx, { peers: ids.filter((x) => x !== id), antiEntropyNs: ms(50), bug: 'none', buggyNode: '' })));
  return { sim, w, nodes };
};

type TestNode = ReturnType<typeof cluster>['nodes'][number];

/** Crashes `node` and corrupts its value records at `at`: its restart loses those values (a new incarnation). */
function crashLosing(node: TestNode, at: number[]): number[] {
  node.crash();
  const lost = at.map((i) => node.disk.peek<number>('seen').records[i]!);
  for (const i of at) expect(node.disk.corrupt('seen', i)).toBe(true);
  return lost;
}

/** Counts the values gossip and sync messages carry to and from `id`, and the largest sync and summary sent. */
function tapResync(w: World<unknown>, id: string): { toIt: number; fromIt: number; syncsFromIt: number; largestSync: number; largestSummary: number } {
  const t = { toIt: 0, fromIt: 0, syncsFromIt: 0, largestSync: 0, largestSummary: 0 };
  w.net.sendTaps.push((from, to, body) => {
    const m = body as GossipMessage;
    if (m.type === 'sync' || m.type === 'gossip') {
      if (to === id) t.toIt += m.values.length;
      if (from.id === id) {
        t.fromIt += m.values.length;
        t.syncsFromIt++;
      }
    }
    if (m.type === 'sync') t.largestSync = Math.max(t.largestSync, m.values.length);
    if (m.type === 'sync_ok' && m.summary !== null) t.largestSummary = Math.max(t.largestSummary, m.summary.length);
  });
  return t;
}

describe('gossip resync after a partition or a lossy recovery', () => {
  /** A client that broadcasts `count` values (1, 2, ...) through n1 and n2 in turn. */
  const client = (w: World, count: number, sent: { n: number }) =>
    w.addClient('c', (ctx) => (function* () {
      for (let v = 1; v <= count; v++) {
        yield ctx.call(v % 2 === 0 ? 'n1' : 'n2', { type: 'broadcast', value: v } satisfies GossipMessage, ms(200));
        sent.n++;
        yield ctx.sleep(ms(1));
      }
    })());

  it('a node cut off while 4,000 values went by catches up in slices: no sync carries more than MAX_SYNC_VALUES values, no summary more numbers', () => {
    const { sim, w, nodes } = cluster(5);
    let largest = 0;
    let largestSummary = 0;
    let syncsToN3 = 0;
    w.net.sendTaps.push((_from, to, body) => {
      const m = body as GossipMessage;
      if (m.type === 'sync') {
        largest = Math.max(largest, m.values.length);
        if (to === 'n3' && m.values.length > 0) syncsToN3++;
      }
      if (m.type === 'sync_ok' && m.summary !== null) largestSummary = Math.max(largestSummary, m.summary.length);
    });
    const sent = { n: 0 };
    client(w, 4000, sent);
    for (const n of w.nodes) n.start();
    w.net.isolate('n3');
    sim.run({ untilNs: sec(20) });
    expect(sent.n).toBe(4000);
    expect(nodes[2]!.program!.state.seen.size).toBe(0);
    w.net.heal();
    sim.run({ untilNs: sec(30) });
    for (const n of nodes) expect(n.program!.state.seen.size).toBe(4000);
    expect(largest).toBe(MAX_SYNC_VALUES); // the catch-up really was cut into full slices
    expect(syncsToN3).toBeGreaterThanOrEqual(Math.ceil(4000 / MAX_SYNC_VALUES));
    expect(largestSummary).toBeLessThanOrEqual(MAX_SYNC_VALUES);
  });

  it('a recovery that lost two durable values (corrupt records: a new incarnation) gets back about those two, not the whole set', () => {
    const { sim, w, nodes } = cluster(6);
    const sent = { n: 0 };
    client(w, 3000, sent);
    for (const n of w.nodes) n.start();
    sim.run({ untilNs: sec(15) });
    expect(sent.n).toBe(3000);
    const n3 = nodes[2]!;
    expect(n3.program!.state.seen.size).toBe(3000);
    const incBefore = n3.disk.peek<number>('incarnation').records[0];
    const lost = crashLosing(n3, [100, 2500]);
    const tap = tapResync(w, 'n3');
    n3.start();
    expect(n3.program!.state.seen.size).toBe(2998);
    for (const v of lost) expect(n3.program!.state.seen.has(v)).toBe(false);
    sim.run({ untilNs: sec(20) });
    expect(n3.disk.peek<number>('incarnation').records[0]).not.toBe(incBefore); // it did lose durable values
    expect(n3.program!.state.seen.size).toBe(3000);
    // Two lost values to bring back (a full resync would carry 2,998 or more each way).
    expect(tap.toIt).toBeGreaterThanOrEqual(2);
    expect(tap.toIt).toBeLessThanOrEqual(2 * 2); // each peer may send both
    expect(tap.syncsFromIt).toBeGreaterThan(0); // n3 did sync with its peers
    // and sent at most the two it got back (new in its numbering, so passed on once caught up):
    // never its 2,998 others, which the peers' summaries listed.
    expect(tap.fromIt).toBeLessThanOrEqual(2 * 2);
  });
});

describe('gossip resync when the values have many gaps (issue 17: long-run linearity)', () => {
  it('fixed bug (T² cost): a recovery that lost two values gets back about those two even when its values have more runs than a slice holds numbers (a summary of runs was cut there, and every peer resent what lay above the cut)', () => {
    const { sim, w, nodes } = cluster(6);
    const sent = { n: 0 };
    // Every other value, as values lost on their way to any node leave gaps: 3,000 runs.
    w.addClient('c', (ctx) => (function* () {
      for (let v = 1; v <= 3000; v++) {
        yield ctx.call(v % 2 === 0 ? 'n1' : 'n2', { type: 'broadcast', value: 2 * v } satisfies GossipMessage, ms(200));
        sent.n++;
        yield ctx.sleep(ms(1));
      }
    })());
    for (const n of w.nodes) n.start();
    sim.run({ untilNs: sec(15) });
    expect(sent.n).toBe(3000);
    const n3 = nodes[2]!;
    const lost = crashLosing(n3, [100, 2500]);
    const tap = tapResync(w, 'n3');
    n3.start();
    sim.run({ untilNs: sec(20) });
    for (const n of nodes) expect(n.program!.state.seen.size).toBe(3000);
    for (const v of lost) expect(n3.program!.state.seen.has(v)).toBe(true);
    // Listed as runs, as summaries were, n3's values take more numbers than a slice (3,000 runs).
    expect(n3.program!.state.seen.ranges().length).toBeGreaterThan(MAX_SYNC_VALUES);
    expect(tap.largestSummary).toBeGreaterThan(0);
    expect(tap.largestSummary).toBeLessThanOrEqual(MAX_SYNC_VALUES); // pages: a bit a value, whatever the gaps
    expect(tap.largestSync).toBeLessThanOrEqual(MAX_SYNC_VALUES);
    // Each peer sends the two n3 lost (with summaries cut at 1,024 numbers: about 2,500 each way).
    expect(tap.toIt).toBeGreaterThanOrEqual(2);
    expect(tap.toIt).toBeLessThanOrEqual(2 * 2);
    expect(tap.fromIt).toBeLessThanOrEqual(2 * 2);
  });
});

describe('gossip acknowledges a broadcast once a majority holds it on disk', () => {
  const cluster = (ackCopies?: number) => {
    const sim = new Simulation({ seed: 5, buggify: { enabled: false } });
    const w = new World(sim, {});
    const ids = ['n1', 'n2', 'n3'];
    const nodes = ids.map((id) => w.addNode(id, (ctx) => gossipNode(ctx, { peers: ids.filter((x) => x !== id), antiEntropyNs: sec(100), bug: 'none', buggyNode: '', ...(ackCopies === undefined ? {} : { ackCopies }) })));
    return { sim, w, nodes };
  };
  const onDisk = (nodes: ReturnType<typeof cluster>['nodes'], v: number) => nodes.filter((n) => n.disk.readDurable<number>('seen').records.includes(v)).length;

  it('a node cut off from its peers does not acknowledge (its own copy could be the only one); once they hear it, it does', () => {
    const { sim, w, nodes } = cluster();
    w.net.cut('n1', 'n2');
    w.net.cut('n1', 'n3');
    const results: { ok: boolean; copies: number }[] = [];
    w.addClient('c', (ctx) => (function* () {
      for (const v of [7, 8]) {
        if (v === 8) {
          w.net.uncut('n1', 'n2');
          w.net.uncut('n1', 'n3');
        }
        const r = (yield ctx.call('n1', { type: 'broadcast', value: v } satisfies GossipMessage, ms(300))) as CallResult<GossipMessage>;
        results.push({ ok: r.ok, copies: onDisk(nodes, v) });
      }
    })());
    for (const n of w.nodes) n.start();
    sim.run({ untilNs: sec(2) });
    expect(results.length).toBe(2);
    expect(results[0]).toEqual({ ok: false, copies: 1 }); // on n1's disk, not acknowledged
    expect(results[1]!.ok).toBe(true);
    expect(results[1]!.copies).toBeGreaterThanOrEqual(2); // a majority of 3 held it when the client heard
  });

  it('ackCopies 1 acknowledges after the node\'s own fsync (the old behaviour: a cut-off node acknowledges alone)', () => {
    const { sim, w, nodes } = cluster(1);
    w.net.cut('n1', 'n2');
    w.net.cut('n1', 'n3');
    let result: { ok: boolean; copies: number } | null = null;
    w.addClient('c', (ctx) => (function* () {
      const r = (yield ctx.call('n1', { type: 'broadcast', value: 7 } satisfies GossipMessage, ms(300))) as CallResult<GossipMessage>;
      result = { ok: r.ok, copies: onDisk(nodes, 7) };
    })());
    for (const n of w.nodes) n.start();
    sim.run({ untilNs: sec(2) });
    expect(result).toEqual({ ok: true, copies: 1 });
  });
});

describe('gossip restarts cost what they lost, not the whole set (issue 17: long-run linearity)', () => {
  const client = (w: World, count: number, sent: { n: number }, via: string[] = ['n1', 'n2']) =>
    w.addClient('c', (ctx) => (function* () {
      for (let v = 1; v <= count; v++) {
        yield ctx.call(via[v % via.length]!, { type: 'broadcast', value: v } satisfies GossipMessage, ms(200));
        sent.n++;
        yield ctx.sleep(ms(1));
      }
    })());
  /** Counts values sent to `to` in syncs and gossip, and summaries sent, from now on. */
  const tap = (w: World, to: string) => {
    const seen = { values: 0, summaries: 0 };
    w.net.sendTaps.push((_from, dest, body) => {
      const m = body as GossipMessage;
      if ((m.type === 'sync' || m.type === 'gossip') && dest === to) seen.values += m.values.length;
      if (m.type === 'sync_ok' && m.summary !== null) seen.summaries++;
    });
    return seen;
  };

  /** 2,000 values broadcast for 10 s, then n3 restarts with its 500th record corrupt and recovers for 2 s. */
  const lossyRecovery = (seed: number) => {
    const { sim, w, nodes } = cluster(seed);
    client(w, 2000, { n: 0 });
    for (const n of w.nodes) n.start();
    sim.run({ untilNs: sec(10) });
    const n3 = nodes[2]!;
    n3.crash();
    expect(n3.disk.corrupt('seen', 500)).toBe(true);
    n3.start();
    sim.run({ untilNs: sec(12) });
    return { sim, w, n3 };
  };

  it('fixed bug (T² cost): a restart after a lossy recovery keeps its incarnation while no new record is corrupt, and is sent nothing again', () => {
    const { sim, w, n3 } = lossyRecovery(7);
    expect(n3.program!.state.seen.size).toBe(2000); // the lost value came back
    const inc = n3.disk.peek<number>('incarnation').records[0];
    // Restart again: the same corrupt record, nothing new lost. The old code drew a new
    // incarnation at every restart once any record was corrupt, and each peer then scanned its
    // whole set against n3's summary.
    const after = tap(w, 'n3');
    n3.crash();
    n3.start();
    sim.run({ untilNs: sec(14) });
    expect(n3.disk.peek<number>('incarnation').records[0]).toBe(inc);
    expect(n3.program!.state.seen.size).toBe(2000);
    expect(after.summaries).toBe(0);
    expect(after.values).toBe(0);
  });

  it('keptIncarnation keeps an id only for exactly the corrupt records it was chosen with', () => {
    expect(keptIncarnation([42], 0, [])).toBe(42);
    expect(keptIncarnation([42, 3, 9], 0, [3, 9])).toBe(42);
    expect(keptIncarnation([42, 3], 0, [3, 9])).toBeNull(); // a record newly corrupt
    expect(keptIncarnation([42, 3, 9], 0, [3, 8])).toBeNull();
    expect(keptIncarnation([42], 1, [])).toBeNull(); // the id's own record is corrupt
    expect(keptIncarnation([], 0, [])).toBeNull();
  });

  it('a record newly corrupt after that still draws a new incarnation, and the value comes back', () => {
    const { sim, w, n3 } = lossyRecovery(8);
    const inc = n3.disk.peek<number>('incarnation').records[0];
    n3.crash();
    const lost = n3.disk.peek<number>('seen').records[1500]!;
    expect(n3.disk.corrupt('seen', 1500)).toBe(true);
    n3.start();
    expect(n3.program!.state.seen.has(lost)).toBe(false);
    expect(n3.program!.state.seen.size).toBe(1999); // 2,001 records: the value lost first was appended again
    sim.run({ untilNs: sec(14) });
    expect(n3.disk.peek<number>('incarnation').records[0]).not.toBe(inc);
    expect(n3.program!.state.seen.has(lost)).toBe(true);
    expect(n3.program!.state.seen.size).toBe(2000);
  });

  /** Counts, from now on, the marks `from` answers syncs with (0: none, it sends a summary). */
  const answers = (w: World, from: string) => {
    const marks: number[] = [];
    w.net.sendTaps.push((src, _to, body) => {
      const m = body as GossipMessage;
      if (m.type === 'sync_ok' && src.id === from) marks.push(m.upTo);
    });
    return marks;
  };

  it('both ends of every pair restarting without loss costs no summary and resends nothing: the have-marks come back from disk', () => {
    const { sim, w, nodes } = cluster(9);
    client(w, 2000, { n: 0 });
    for (const n of w.nodes) n.start();
    sim.run({ untilNs: sec(10) });
    const after = tap(w, 'n3');
    const fromN3 = answers(w, 'n3');
    // Every node restarts: every sender's marks (in memory) are gone, and without the receivers'
    // marks on disk each pair fell back to a summary and a scan of the sender's whole numbering.
    for (const n of nodes) n.crash();
    for (const n of nodes) n.start();
    sim.run({ untilNs: sec(12) });
    for (const n of nodes) expect(n.program!.state.seen.size).toBe(2000);
    expect(fromN3.length).toBeGreaterThan(0);
    expect(fromN3.every((upTo) => upTo > 0)).toBe(true);
    expect(after.summaries).toBe(0);
    // The marks on disk are those of each node's last fsync: a few values came in since.
    expect(after.values).toBeLessThan(50);
  });

  it('a loss in the last records rewinds n3\'s marks to before it: no summary, the value comes back, the peers resend only what came after', () => {
    const { sim, w, nodes } = cluster(10);
    client(w, 2000, { n: 0 });
    for (const n of w.nodes) n.start();
    sim.run({ untilNs: sec(10) });
    const n3 = nodes[2]!;
    const inc = n3.disk.peek<number>('incarnation').records[0];
    n3.crash();
    const last = n3.disk.peek<number>('seen').records.length - 1;
    const lost = n3.disk.peek<number>('seen').records[last]!;
    expect(n3.disk.corrupt('seen', last)).toBe(true);
    const after = tap(w, 'n3');
    const fromN3 = answers(w, 'n3');
    n3.start();
    expect(n3.program!.state.seen.has(lost)).toBe(false);
    sim.run({ untilNs: sec(12) });
    expect(n3.disk.peek<number>('incarnation').records[0]).not.toBe(inc); // it lost a value: a new incarnation
    expect(n3.program!.state.seen.has(lost)).toBe(true);
    expect(n3.program!.state.seen.size).toBe(2000);
    expect(fromN3.length).toBeGreaterThan(0);
    expect(fromN3.every((upTo) => upTo > 0)).toBe(true); // it kept marks from before the lost record
    // The peers resend what came after their mark (the last few values), not 2,000 each.
    expect(after.values).toBeGreaterThanOrEqual(1);
    expect(after.values).toBeLessThan(2 * 100);
  });

  it('keptMarks keeps, per peer, only the marks over records that lost nothing more', () => {
    const saved: SavedMark[] = [
      ['n1', 7, 100, 50, 0],
      ['n1', 7, 400, 300, 0],
      ['n2', 9, 120, 60, 1],
      ['n2', 9, 500, 310, 1],
    ];
    // Corrupt record 3 was known when they were saved (corruptBelow 1, n2's marks); n1's are older.
    expect(keptMarks(saved, [])).toEqual(new Map([['n1', [saved[0], saved[1]]]]));
    expect(keptMarks(saved, [3])).toEqual(new Map([['n2', [saved[2], saved[3]]]]));
    // Record 200 newly corrupt: only the marks over the first 50 / 60 records still hold.
    expect(keptMarks(saved, [3, 200])).toEqual(new Map([['n2', [saved[2]]]]));
    expect(keptMarks(saved, [2, 3])).toEqual(new Map()); // record 2 newly corrupt: below every mark
    // A corrupt or malformed record is skipped.
    expect(keptMarks([null, ['n1', 7, 100], saved[0]], [])).toEqual(new Map([['n1', [saved[0]]]]));
  });
});

describe('gossip restarts from a value checkpoint (issue 17: a restart read its whole file)', () => {
  /** What the old recovery built: every record of the value file, in order, from an empty state. */
  const fullRebuild = (disk: Disk): GossipState => {
    const s = new GossipState();
    for (const v of disk.peek<number>('seen').records) s.restoreOne(v);
    return s;
  };
  const expectSame = (got: GossipState, want: GossipState): void => {
    expect(got.delivered.slice(0)).toEqual(want.delivered.slice(0));
    expect(got.seen.size).toBe(want.seen.size);
    expect(got.seen.ranges()).toEqual(want.seen.ranges());
    expect(got.delivered.checksum.equals(want.delivered.checksum)).toBe(true);
  };
  const op = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), values: fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 5 }) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('fsync' as const) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('corrupt' as const), at: fc.nat(), checkpoint: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('crash' as const), torn: fc.boolean() }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('restart' as const) }) },
  );

  it('property: after any appends, fsyncs, corruptions (under or past the checkpoint, or of it) and crashes, a restart rebuilds exactly the set and list of the whole file', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(op, { maxLength: 80 }), fc.constantFrom(1, 3, 8), (seed, ops, step) => {
        const sim = new Simulation({ seed });
        const disk = new Disk(sim, 'd', sim.rng('disk/d'), DISK_PROFILES.nvme);
        const restart = (): void => {
          const r = recoverValues(disk, step);
          expectSame(r.state, fullRebuild(disk));
          expect(r.count).toBe(disk.peek('seen').records.length);
          if (r.count - r.fromRecord < step) return;
          // It wrote a checkpoint of what it rebuilt: once durable, the next restart reads no record one by one.
          disk.fsync(() => {});
          sim.run();
          const again = recoverValues(disk, step);
          expect(again.fromRecord).toBe(again.count);
          expectSame(again.state, r.state);
        };
        for (const o of ops) {
          if (o.kind === 'append') for (const v of o.values) disk.append('seen', v);
          else if (o.kind === 'fsync') {
            disk.fsync(() => {});
            sim.run();
          } else if (o.kind === 'corrupt') {
            const file = o.checkpoint ? 'checkpoint' : 'seen';
            const n = disk.durableFile(file).length;
            if (n > 0) disk.corrupt(file, o.at % n);
          } else if (o.kind === 'crash') disk.crash(o.torn ? 'torn' : 'all');
          else {
            disk.crash('all');
            restart();
          }
        }
        disk.crash('all');
        restart();
      }),
      { numRuns: 300 },
    );
  });

  it('a record lost past the checkpoint costs the peers that value: n3 restarts from its checkpoint, then gets back exactly what it lost', () => {
    const { sim, w, nodes } = cluster(11);
    w.addClient('c', (ctx) => (function* () {
      for (let v = 1; v <= 3000; v++) {
        yield ctx.call(v % 2 === 0 ? 'n1' : 'n2', { type: 'broadcast', value: v } satisfies GossipMessage, ms(200));
        yield ctx.sleep(ms(1));
      }
    })());
    for (const n of w.nodes) n.start();
    const n3 = nodes[2]!;
    sim.run({ untilNs: sec(4) });
    // A restart with more than CHECKPOINT_STEP records writes a checkpoint of them.
    n3.crash();
    n3.start();
    sim.run({ untilNs: sec(14) });
    expect(n3.program!.state.seen.size).toBe(3000);
    const ck = n3.disk.peek<{ records: number }>(CHECKPOINT_FILE).records[0]!;
    const seen = n3.disk.peek<number>('seen').records;
    expect(ck.records).toBeGreaterThan(CHECKPOINT_STEP);
    expect(seen.length - ck.records).toBeGreaterThan(100);
    n3.crash();
    const at = ck.records + 50;
    const lost = seen[at]!;
    expect(n3.disk.corrupt('seen', at)).toBe(true);
    let sent = 0;
    w.net.sendTaps.push((_from, to, body) => {
      const m = body as GossipMessage;
      if ((m.type === 'sync' || m.type === 'gossip') && to === 'n3') sent += m.values.length;
    });
    n3.start();
    const s = n3.program!.state;
    expect(s.seen.has(lost)).toBe(false);
    expect(s.seen.size).toBe(2999);
    expectSame(s, fullRebuild(n3.disk));
    sim.run({ untilNs: sec(16) });
    expect(n3.program!.state.seen.has(lost)).toBe(true);
    expect(n3.program!.state.seen.size).toBe(3000);
    // Its summary lists everything else: each peer that syncs with it sends the one value.
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(sent).toBeLessThanOrEqual(4);
  });
});
