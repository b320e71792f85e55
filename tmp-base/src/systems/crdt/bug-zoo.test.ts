// Each bug-zoo variant must visibly break the law or guarantee its doc comment names; if one of
// these tests starts passing "cleanly", the variant no longer demonstrates its bug.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ms } from '../../sim/time.ts';
import { BuggyGCounterAddMerge, BuggyORSetEarlyGc, BuggyORSetRemoveUnseen, BuggyWallClockLwwRegister } from './bug-zoo.ts';
import { GCounter } from './g-counter.ts';
import { Hlc } from './hlc.ts';
import { type GcStep, gcAgreesWithReference, gcStepArb } from './laws-harness.ts';
import { LwwRegister } from './lww-register.ts';
import { ORSet } from './or-set.ts';

describe('bug zoo', () => {
  it('BuggyGCounterAddMerge: merging the same state twice inflates the count (idempotence broken)', () => {
    const a = new BuggyGCounterAddMerge('a');
    const b = new BuggyGCounterAddMerge('b');
    a.increment(5n);
    b.merge(a.toData());
    b.merge(a.toData()); // a duplicated or re-sent message
    expect(b.value()).toBe(10n);
    // The correct counter is unaffected by the duplicate.
    const c = new GCounter('c');
    const src = new GCounter('a');
    src.increment(5n);
    c.merge(src.toData());
    c.merge(src.toData());
    expect(c.value()).toBe(5n);
  });

  it('BuggyORSetRemoveUnseen: delivery order changes the value (add-wins and convergence broken)', () => {
    const a = new BuggyORSetRemoveUnseen<string>('a');
    const b = new BuggyORSetRemoveUnseen<string>('b');
    b.merge(a.add('milk'));
    const rm = b.remove('milk');
    const readd = a.add('milk'); // concurrent with the remove: must survive
    const x = new BuggyORSetRemoveUnseen<string>('x');
    x.merge(rm);
    x.merge(readd);
    const y = new BuggyORSetRemoveUnseen<string>('y');
    y.merge(readd);
    y.merge(rm);
    expect(x.value()).toEqual(['milk']);
    expect(y.value()).toEqual([]); // the unseen concurrent add was deleted
    // The correct OR-Set keeps 'milk' in both orders.
    const [ca, cb] = [new ORSet<string>('a'), new ORSet<string>('b')];
    cb.merge(ca.add('milk'));
    const crm = cb.remove('milk');
    const creadd = ca.add('milk');
    const cy = new ORSet<string>('y');
    cy.merge(creadd);
    cy.merge(crm);
    expect(cy.value()).toEqual(['milk']);
  });

  it('BuggyORSetEarlyGc: a removed element is resurrected by a late add', () => {
    const a = new ORSet<string>('a');
    const c = new ORSet<string>('c');
    a.add('w');
    const addX = a.add('x');
    c.merge(addX); // out of order: a's dot 2 sits in c's cloud
    const rmX = c.remove('x');
    const b = new BuggyORSetEarlyGc<string>('b');
    b.merge(rmX); // b learns x's dot was removed before it sees the add
    expect(b.collect(new Map())).toBeGreaterThan(0); // nothing is stable, but it collects anyway
    b.merge(addX); // the late add
    expect(b.value()).toEqual(['x']); // resurrected
    const good = new ORSet<string>('b');
    good.merge(rmX);
    expect(good.collect(new Map())).toBe(0);
    good.merge(addX);
    expect(good.value()).toEqual([]);
  });

  it('BuggyORSetEarlyGc: collapsing unstable dots lets a remove delete a concurrent add', () => {
    // r0 and r1 add e0 concurrently; r2 hears both and collects too early, keeping r1's dot;
    // r1 (which never saw r0's add) removes e0; r0's add must survive, but r2 has dropped it.
    const history: GcStep[] = [
      { kind: 'add', r: 0, to: 0, e: 0 },
      { kind: 'add', r: 1, to: 0, e: 0 },
      { kind: 'sync', r: 0, to: 2, e: 0 },
      { kind: 'sync', r: 1, to: 2, e: 0 },
      { kind: 'gc', r: 2, to: 0, e: 0 },
      { kind: 'rm', r: 1, to: 0, e: 0 },
      { kind: 'sync', r: 1, to: 2, e: 0 },
    ];
    expect(gcAgreesWithReference((id) => new BuggyORSetEarlyGc<string>(id), history)).toBe(false);
    expect(gcAgreesWithReference((id) => new ORSet<string>(id), history)).toBe(true);
    // Random histories (seeded with the one above) find a counterexample for the buggy set.
    const prop = fc.property(fc.array(gcStepArb, { maxLength: 40 }), (s) => gcAgreesWithReference((id) => new BuggyORSetEarlyGc<string>(id), s));
    expect(fc.check(prop, { numRuns: 200, seed: 42, examples: [[history]] }).failed).toBe(true);
  });

  it('BuggyWallClockLwwRegister: a causally later write from a slow-clock node is lost', () => {
    // A's clock is 2 s ahead. B sees A's write, then overwrites it: B's write must win.
    const a = new BuggyWallClockLwwRegister<string>('a');
    const b = new BuggyWallClockLwwRegister<string>('b');
    b.merge(a.setAtWallClock('old', ms(12_000)));
    const wB = b.setAtWallClock('new', ms(10_001));
    a.merge(wB);
    expect(b.value()).toBe('old'); // B's own later write lost on B itself
    expect(a.value()).toBe('old');
    // The same story on HLC timestamps keeps B's write.
    const [ha, hb] = [new Hlc(), new Hlc()];
    const ga = new LwwRegister<string>('a');
    const gb = new LwwRegister<string>('b');
    gb.merge(ga.set('old', ha.now(ms(12_000))));
    hb.update(gb.timestamp() ?? { l: 0, c: 0 }, ms(10_000));
    ga.merge(gb.set('new', hb.now(ms(10_001))));
    expect(ga.value()).toBe('new');
  });
});
