import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CausalContext } from '../causal-context.ts';
import { dotKey, type Dot } from '../dot.ts';
import type { ORSetData } from '../or-set.ts';
import { vvMin } from '../version-vector.ts';
import { GcMembership, contextDots, replayDelta } from './gc-window.ts';
import { CrdtStore } from './store.ts';

const W = 60_000;

describe('GcMembership: eviction by silence', () => {
  it('evicts a peer silent past the window while another peer is heard', () => {
    const g = new GcMembership('us', ['eu', 'ap'], W, 0);
    for (let t = 1000; t <= 70_000; t += 1000) g.admit('eu', 0, t);
    expect(g.tick(59_000)).toEqual([]);
    expect(g.tick(61_000)).toEqual(['ap']);
    expect(g.live()).toEqual(['eu']);
    expect(g.evictionList()).toEqual([['ap', 0]]);
  });

  it('a region cut off from everyone evicts nobody (no quorum), even when one peer was heard a moment later', () => {
    const g = new GcMembership('ap', ['us', 'eu'], W, 0);
    g.admit('us', 0, 10_000);
    g.admit('eu', 0, 10_500); // both cut at ~10 s: eu heard half a second later
    for (let t = 10_000; t <= 200_000; t += 250) expect(g.tick(t)).toEqual([]);
  });

  it('refuses an evicted epoch, lifts the eviction at a newer epoch, drops older epochs after that', () => {
    const g = new GcMembership('us', ['eu', 'ap'], W, 0);
    g.admit('eu', 0, 59_000);
    g.tick(61_000);
    expect(g.admit('ap', 0, 62_000).admission).toBe('evicted');
    const lifted = g.admit('ap', 1, 63_000);
    expect(lifted).toEqual({ admission: 'ok', changed: true });
    expect(g.live()).toEqual(['eu', 'ap']);
    expect(g.admit('ap', 0, 64_000).admission).toBe('old');
  });

  it('adopts gossiped evictions, spots its own, ignores epochs that already re-synced', () => {
    const g = new GcMembership('ap', ['us', 'eu'], W, 0);
    expect(g.adopt([['ap', 0], ['eu', 0]])).toEqual({ selfEvictedAt: 0, changed: true });
    expect(g.evicted.get('eu')).toBe(0);
    g.resynced(0);
    expect(g.epoch).toBe(1);
    expect(g.adopt([['ap', 0]]).selfEvictedAt).toBeNull(); // an eviction of the old epoch
    g.admit('us', 2, 1);
    expect(g.adopt([['us', 1]]).changed).toBe(false); // us is already at epoch 2
  });

  it('covers: a peer record counts only if that peer had evicted everything this region excludes', () => {
    const g = new GcMembership('us', ['eu', 'ap'], W, 0);
    g.admit('eu', 0, 59_000);
    g.tick(61_000);
    expect(g.covers(new Map())).toBe(false);
    expect(g.covers(new Map([['ap', 0]]))).toBe(true);
  });

  it('round-trips through its durable record', () => {
    const g = new GcMembership('us', ['eu', 'ap'], W, 0);
    g.adopt([['ap', 3], ['us', 0]]);
    g.resynced(0);
    const h = new GcMembership('us', ['eu', 'ap'], W, 0);
    h.restore(structuredClone(g.toRecord(0)), 0);
    expect(h.toRecord(0)).toEqual(g.toRecord(0));
  });

  // A region that restarts more often than the window used to reset every silence at each restart
  // (the constructor set every peer heard "now") and so never evicted a peer cut off for good.
  it('a restart resumes the silences from the durable record: restarts more often than the window still evict', () => {
    let g = new GcMembership('us', ['eu', 'ap'], W, 0);
    let disk = g.toRecord(0);
    let evicted: string[] = [];
    let evictedAt = -1;
    // Up 25 s, down 5 s, over and over; eu is heard every second while up, ap never.
    for (let boot = 0; boot < 8 && evicted.length === 0; boot++) {
      const start = boot * 30_000;
      g = new GcMembership('us', ['eu', 'ap'], W, start);
      g.restore(structuredClone(disk), start);
      for (let t = start; t < start + 25_000 && evicted.length === 0; t += 1000) {
        g.admit('eu', 0, t);
        evicted = g.tick(t);
        if (evicted.length > 0) evictedAt = t;
        if (evicted.length > 0 || g.silenceAdvanced(t)) disk = g.toRecord(t);
      }
    }
    expect(evicted).toEqual(['ap']);
    expect(g.evictionList()).toEqual([['ap', 0]]);
    // Counted over uptime only, each boot's record at most an eighth of the window (plus the last
    // second) short: 60 s of silence while up are reached on the third boot, which starts at 60 s.
    expect(evictedAt).toBeGreaterThan(60_000 + 10_000);
    expect(evictedAt).toBeLessThanOrEqual(60_000 + 10_000 + 2 * (W / 8 + 1000));
  });

  it('the time a region was down does not count: back from a long outage it does not evict the peers it was not listening to', () => {
    const g = new GcMembership('us', ['eu', 'ap'], W, 0);
    g.admit('eu', 0, 9_000);
    g.admit('ap', 0, 9_500);
    const disk = g.toRecord(10_000);
    const h = new GcMembership('us', ['eu', 'ap'], W, 500_000); // down for eight minutes
    h.restore(structuredClone(disk), 500_000);
    h.admit('eu', 0, 501_000); // eu answers first
    for (let t = 501_000; t <= 540_000; t += 1000) expect(h.tick(t)).toEqual([]);
    expect(h.silence('ap', 540_000)).toBe(40_500);
  });

  it('rewrites its record when a silence crosses an eighth of the window and when a silent peer is heard again', () => {
    const g = new GcMembership('us', ['eu', 'ap'], W, 0);
    g.toRecord(0);
    expect(g.silenceAdvanced(W / 8 - 1)).toBe(false);
    expect(g.silenceAdvanced(W / 8)).toBe(true);
    g.toRecord(W / 8);
    expect(g.silenceAdvanced(W / 8 + 1)).toBe(false);
    expect(g.admit('eu', 0, W / 8 + 2).changed).toBe(true); // the record says eu was silent
    g.toRecord(W / 8 + 2);
    expect(g.admit('eu', 0, W / 8 + 3).changed).toBe(false);
    // No window: nothing to keep.
    const n = new GcMembership('us', ['eu', 'ap'], 0, 0);
    expect(n.toRecord(1e12).silentNs).toBeUndefined();
    expect(n.silenceAdvanced(1e12)).toBe(false);
  });

  it('a record without silences (written before they were kept) restores as before: every silence from zero', () => {
    const h = new GcMembership('us', ['eu', 'ap'], W, 100_000);
    h.restore({ epoch: 0, evicted: [], peerEpoch: [] }, 100_000);
    expect(h.silence('ap', 150_000)).toBe(50_000);
  });

  it('property: nobody is evicted by silence unless a majority (itself plus a peer heard within half the window) is up', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ peer: fc.constantFrom('eu', 'ap'), dt: fc.integer({ min: 0, max: 80_000 }) }), { maxLength: 40 }), (events) => {
        const g = new GcMembership('us', ['eu', 'ap'], W, 0);
        const heard = new Map<string, number>([['eu', 0], ['ap', 0]]);
        let t = 0;
        for (const e of events) {
          t += e.dt;
          const before = new Set(g.evicted.keys());
          const out = g.tick(t);
          for (const p of out) {
            expect(before.has(p)).toBe(false);
            expect(t - heard.get(p)!).toBeGreaterThan(W);
            const other = p === 'eu' ? 'ap' : 'eu';
            expect(!g.evicted.has(other) && t - heard.get(other)! <= W / 2).toBe(true);
          }
          if (g.admit(e.peer, 0, t).admission === 'ok') heard.set(e.peer, t);
        }
      }),
      { numRuns: 200 },
    );
  });
});

/**
 * The hazard the re-sync exists for, at store level: an element added concurrently at us and eu;
 * ap saw only us's tag when it was cut off and then removed the element. us and eu, having evicted
 * ap, collapse the element's tags into us's (the greatest dot), dropping eu's, which ap never saw.
 */
function hazard(): { us: CrdtStore; eu: CrdtStore; ap: CrdtStore; apRemove: ORSetData<string>; groups: [Dot, Dot[]][]; apSeen: CausalContext } {
  const us = new CrdtStore('us');
  const eu = new CrdtStore('eu');
  const ap = new CrdtStore('ap');
  const k = 'set:cart';
  const a = us.apply({ kind: 'add', key: k, elem: 'milk' }, 0);
  const b = eu.apply({ kind: 'add', key: k, elem: 'milk' }, 0);
  for (const [s, d] of [[eu, a], [us, b], [ap, a]] as const) s.merge(k, d, 0);
  const apSeen = CausalContext.fromData(ap.setContext(k));
  const apRemove = ap.apply({ kind: 'remove', key: k, elem: 'milk' }, 0) as ORSetData<string>;
  const stable = vvMin([us.setVv(k), eu.setVv(k)]); // ap excluded
  const res = us.collectGroups(k, stable);
  expect(res).not.toBeNull();
  eu.merge(k, res!.delta, 0);
  return { us, eu, ap, apRemove, groups: res!.groups, apSeen };
}

describe('re-sync replay after GC without an evicted region', () => {
  it('the collapse keeps us:1 and records eu:1 as dropped into it', () => {
    const { us, groups } = hazard();
    expect(groups.map(([kept, dropped]) => [dotKey(kept), dropped.map(dotKey)])).toEqual([[dotKey({ replica: 'us', counter: 1 }), [dotKey({ replica: 'eu', counter: 1 })]]]);
    expect(us.tags('set:cart')).toMatchObject({ dots: 1, elements: 1 });
  });

  it('a stale merge of the evicted region\'s remove deletes eu\'s concurrent add (what the re-sync prevents)', () => {
    const { us, apRemove } = hazard();
    us.merge('set:cart', apRemove, 0);
    expect(us.read('set:cart')).toEqual({ kind: 'set', value: [] });
  });

  it('replayDelta keeps the collapsed tag standing for a tag the region never saw: add-wins holds', () => {
    const { us, apRemove, groups, apSeen } = hazard();
    const absorbed = new Map(groups.map(([kept, dropped]) => [dotKey(kept), dropped]));
    const replayed = replayDelta(apRemove, us.setDotKeys('set:cart'), absorbed, apSeen);
    expect(contextDots(replayed.context)).toEqual([]);
    // The evicted region re-synced from us's snapshot, then re-applied its remove:
    const ap2 = new CrdtStore('ap');
    for (const [k, d] of us.snapshot()) ap2.merge(k, d, 0);
    ap2.merge('set:cart', replayed, 0);
    expect(ap2.read('set:cart')).toEqual({ kind: 'set', value: ['milk'] });
  });

  it('replayDelta still removes what the region had seen entirely (no resurrection)', () => {
    const { us, apRemove, groups } = hazard();
    const absorbed = new Map(groups.map(([kept, dropped]) => [dotKey(kept), dropped]));
    // Had ap seen eu's tag too, its remove of us:1 stands for both.
    const seenAll = CausalContext.fromData(us.setContext('set:cart'));
    const replayed = replayDelta(apRemove, us.setDotKeys('set:cart'), absorbed, seenAll);
    us.merge('set:cart', replayed, 0);
    expect(us.read('set:cart')).toEqual({ kind: 'set', value: [] });
  });

  it('an add made by the evicted region during its absence survives the re-sync (a new tag)', () => {
    const { us, ap, apSeen } = hazard();
    const add = ap.apply({ kind: 'add', key: 'set:cart', elem: 'tea' }, 0) as ORSetData<string>;
    const ap2 = new CrdtStore('ap');
    for (const [k, d] of us.snapshot()) ap2.merge(k, d, 0);
    ap2.merge('set:cart', replayDelta(add, ap2.setDotKeys('set:cart'), new Map(), apSeen), 0);
    expect((ap2.read('set:cart') as { value: string[] }).value).toContain('tea');
  });

  it('store.clear forgets every key (the snapshot replaces the state)', () => {
    const { us } = hazard();
    us.clear();
    expect(us.keys()).toEqual([]);
  });
});
