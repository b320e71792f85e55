import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gcAgreesWithReference, gcStepArb } from './laws-harness.ts';
import { ORSet } from './or-set.ts';
import { type VersionVector, vvMin } from './version-vector.ts';

describe('ORSet (add-wins, delta-state)', () => {
  it('add wins over a concurrent remove (the remover had not seen the add)', () => {
    const a = new ORSet<string>('a');
    const b = new ORSet<string>('b');
    b.merge(a.add('milk'));
    const rm = b.remove('milk'); // b saw a's first add only
    const again = a.add('milk'); // concurrent re-add at a
    a.merge(rm);
    b.merge(again);
    expect(a.value()).toEqual(['milk']);
    expect(b.value()).toEqual(['milk']);
  });

  it('a remove that has seen every add removes the element everywhere', () => {
    const a = new ORSet<string>('a');
    const b = new ORSet<string>('b');
    b.merge(a.add('eggs'));
    b.merge(a.add('eggs'));
    a.merge(b.remove('eggs'));
    expect(a.has('eggs')).toBe(false);
    expect(b.value()).toEqual([]);
  });

  it('a late add delta after its remove does not resurrect the element (context instead of tombstones)', () => {
    const a = new ORSet<string>('a');
    const c = new ORSet<string>('c');
    const addW = a.add('w');
    const addX = a.add('x');
    c.merge(addX); // c sees a's second dot only: it sits in c's dot cloud
    expect(c.tagCount().cloud).toBe(1);
    const rmX = c.remove('x');
    const b = new ORSet<string>('b');
    b.merge(rmX); // the remove reaches b before the add it removes
    b.merge(addX);
    b.merge(addW);
    expect(b.value()).toEqual(['w']);
    expect(b.tagCount().cloud).toBe(0); // dots 1 and 2 of a are now contiguous
  });

  it('collect collapses the dots of an element only when all of them are stable', () => {
    const a = new ORSet<string>('a');
    const b = new ORSet<string>('b');
    const da = a.add('tea');
    const db = b.add('tea'); // concurrent adds: two dots on one element
    a.merge(db);
    b.merge(da);
    expect(a.dotsOf('tea')).toHaveLength(2);
    expect(a.collect(new Map([['a', 1]]))).toBe(0); // b's dot not stable: untouched
    expect(a.dotsOf('tea')).toHaveLength(2);
    const stable = vvMin([a.versionVector(), b.versionVector()]);
    expect(a.collect(stable)).toBe(1);
    expect(a.dotsOf('tea')).toEqual([{ replica: 'b', counter: 1 }]);
    expect(b.collect(stable)).toBe(1);
    expect(a.toData()).toEqual(b.toData()); // both kept the same representative
    a.merge(b.remove('tea'));
    expect(a.value()).toEqual([]);
  });

  it('collect with matrix-clock stability never changes the converged value (property)', () => {
    fc.assert(
      fc.property(fc.array(gcStepArb, { maxLength: 40 }), (steps) => gcAgreesWithReference((id) => new ORSet<string>(id), steps)),
      { numRuns: 300 },
    );
  });

  it('metadata: concurrent adds cost dots, collect brings it back down', () => {
    const rs = ['a', 'b', 'c'].map((id) => new ORSet<string>(id));
    for (const r of rs) r.add('sku-1');
    for (const x of rs) for (const y of rs) y.merge(x.toData());
    const before = rs[0]?.metadataBytes() ?? 0;
    const stable = vvMin(rs.map((r) => r.versionVector()));
    rs[0]?.collect(stable);
    const after = rs[0]?.metadataBytes() ?? 0;
    expect(after).toBeLessThan(before);
    expect(rs[0]?.valueBytes()).toBe(5);
  });
});
