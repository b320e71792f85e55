import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ms } from '../../sim/time.ts';
import { Hlc, compareHlc } from './hlc.ts';
import { LwwMap } from './lww-map.ts';
import { LwwRegister } from './lww-register.ts';

describe('Hlc (Kulkarni et al. 2014)', () => {
  it('is monotonic, never behind physical time, and a receive is later than its send (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ node: fc.integer({ min: 0, max: 2 }), dt: fc.integer({ min: 0, max: 1000 }), from: fc.option(fc.integer({ min: 0, max: 2 })) }), { maxLength: 60 }),
        (evs) => {
          const skew = [0, -700, 400];
          const pt = [10_000, 10_000, 10_000];
          const clocks = [new Hlc(), new Hlc(), new Hlc()];
          for (const e of evs) {
            pt[e.node] = (pt[e.node] as number) + e.dt;
            const phys = (pt[e.node] as number) + (skew[e.node] as number);
            const c = clocks[e.node] as Hlc;
            const before = c.peek();
            let ts;
            if (e.from !== null && e.from !== e.node) {
              const sent = (clocks[e.from] as Hlc).now((pt[e.from] as number) + (skew[e.from] as number));
              ts = c.update(sent, phys);
              if (compareHlc(ts, sent) <= 0) return false;
            } else ts = c.now(phys);
            if (compareHlc(ts, before) <= 0 || ts.l < phys) return false;
          }
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('c counts events that share one l (physical clock stuck)', () => {
    const h = new Hlc();
    expect(h.now(100)).toEqual({ l: 100, c: 0 });
    expect(h.now(100)).toEqual({ l: 100, c: 1 });
    expect(h.update({ l: 100, c: 7 }, 50)).toEqual({ l: 100, c: 8 });
    expect(h.now(101)).toEqual({ l: 101, c: 0 });
  });

  it('tryUpdate refuses a remote clock beyond the allowed offset and leaves the clock alone', () => {
    const h = new Hlc({ maxOffsetNs: ms(500) });
    h.now(ms(1000));
    const r = h.tryUpdate({ l: ms(2000), c: 0 }, ms(1000));
    expect(r).toEqual({ ok: false, reason: 'clock-offset', offsetNs: ms(1000) });
    expect(h.peek()).toEqual({ l: ms(1000), c: 0 });
    expect(h.tryUpdate({ l: ms(1400), c: 0 }, ms(1000)).ok).toBe(true);
  });
});

describe('LwwRegister on HLC', () => {
  it('a causally later write wins even when its writer clock is behind', () => {
    // Node A's clock is 2 s ahead of B's. A writes; B reads it, then overwrites it.
    const [ha, hb] = [new Hlc(), new Hlc()];
    const a = new LwwRegister<string>('a');
    const b = new LwwRegister<string>('b');
    const wA = a.set('alice@old', ha.now(ms(12_000)));
    b.merge(wA);
    hb.update(b.timestamp() ?? { l: 0, c: 0 }, ms(10_000)); // the node feeds its clock on receive
    const wB = b.set('alice@new', hb.now(ms(10_001)));
    a.merge(wB);
    expect(a.value()).toBe('alice@new');
    expect(b.value()).toBe('alice@new');
    expect(wB.entry?.ts.l).toBe(ms(12_000)); // l carries A's time, not B's slow clock
  });

  it('greatest (timestamp, replica) wins; the replica id breaks exact ties', () => {
    const a = new LwwRegister<number>('a');
    const b = new LwwRegister<number>('b');
    a.set(1, { l: 5, c: 0 });
    b.set(2, { l: 5, c: 0 });
    a.merge(b.toData());
    b.merge(a.toData());
    expect([a.value(), b.value()]).toEqual([2, 2]);
  });

  it('asserts when the node forgot to feed its clock (a local write that would lose)', () => {
    const a = new LwwRegister<number>('a');
    a.merge({ entry: { value: 1, ts: { l: 100, c: 0 }, replica: 'z' } });
    expect(() => a.set(2, { l: 50, c: 0 })).toThrow(/feed the node's Hlc/);
  });
});

describe('LwwMap (user profile)', () => {
  it('concurrent updates to different fields both survive; one field resolves by timestamp', () => {
    const us = new LwwMap<string>('us-east');
    const eu = new LwwMap<string>('eu-west');
    const [hu, he] = [new Hlc(), new Hlc()];
    const d1 = us.set('email', 'a@x.com', hu.now(1000));
    const d2 = eu.set('phone', '+1-555', he.now(1001));
    const d3 = eu.set('email', 'b@x.com', he.now(1002));
    us.merge(d2);
    us.merge(d3);
    eu.merge(d1);
    expect(us.value()).toEqual(new Map([['email', 'b@x.com'], ['phone', '+1-555']]));
    expect(eu.toData()).toEqual(us.toData());
  });

  it('a later delete wins over an earlier set, and stays as a tombstone', () => {
    const a = new LwwMap<string>('a');
    const b = new LwwMap<string>('b');
    const set = a.set('name', 'Al', { l: 10, c: 0 });
    const del = b.delete('name', { l: 20, c: 0 });
    a.merge(del);
    b.merge(set);
    expect(a.get('name')).toBeUndefined();
    expect(b.value().size).toBe(0);
    expect(a.tombstoneCount()).toBe(1);
    expect(a.metadataBytes()).toBeGreaterThan(0);
  });
});
