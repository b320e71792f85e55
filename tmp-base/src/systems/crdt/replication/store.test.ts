// The region store's contract with the replication layer: deltas rebuild the state, the GC
// collapse travels as a delta that brings a replica that has not collapsed to the same state, and
// merging a full state twice changes nothing for the correct types (and does for the buggy counter).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ms } from '../../../sim/time.ts';
import { CrdtStore, type Op } from './store.ts';

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('incr' as const), key: fc.constant('ctr:a'), by: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ kind: fc.constant('add' as const), key: fc.constant('set:a'), elem: fc.constantFrom('x', 'y', 'z') }),
  fc.record({ kind: fc.constant('remove' as const), key: fc.constant('set:a'), elem: fc.constantFrom('x', 'y', 'z') }),
  fc.record({ kind: fc.constant('set' as const), key: fc.constant('reg:a'), value: fc.string({ maxLength: 3 }) }),
  fc.record({ kind: fc.constant('insert' as const), key: fc.constant('txt:a'), index: fc.nat(5), char: fc.constantFrom('a', 'b') }),
);

describe('CrdtStore', () => {
  it('replaying the deltas of local ops (as WAL recovery does) rebuilds the same digests', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), (ops) => {
        const a = new CrdtStore('us');
        const log: [string, ReturnType<CrdtStore['apply']>][] = [];
        ops.forEach((op, i) => log.push([op.key, a.apply(op, ms(i))]));
        const b = new CrdtStore('us');
        log.forEach(([k, d], i) => b.merge(k, d, ms(i)));
        expect(b.keys()).toEqual(a.keys());
        for (const k of a.keys()) expect(b.digest(k)).toBe(a.digest(k));
      }),
    );
  });

  it('a GC collapse delta brings a replica that did not collapse to the collapsed state', () => {
    const us = new CrdtStore('us');
    const eu = new CrdtStore('eu');
    const ap = new CrdtStore('ap');
    // Concurrent adds of one element from two regions: two tags.
    const d1 = us.apply({ kind: 'add', key: 'set:c', elem: 'x' }, 1);
    const d2 = eu.apply({ kind: 'add', key: 'set:c', elem: 'x' }, 1);
    for (const s of [us, eu, ap]) {
      s.merge('set:c', d1, 2);
      s.merge('set:c', d2, 2);
    }
    expect(ap.tags('set:c').dots).toBe(2);
    const stable = us.setVv('set:c');
    const delta = us.collect('set:c', stable);
    expect(delta).not.toBeNull();
    expect(us.tags('set:c').dots).toBe(1);
    ap.merge('set:c', delta!, 3);
    expect(ap.digest('set:c')).toBe(us.digest('set:c'));
    // A later remove from us names only the kept tag: with the collapse applied, ap drops x.
    const rm = us.apply({ kind: 'remove', key: 'set:c', elem: 'x' }, 4);
    ap.merge('set:c', rm, 5);
    expect(ap.read('set:c')).toEqual({ kind: 'set', value: [] });
    // Without the collapse delta, eu keeps the dropped tag alive: why the collapse is replicated.
    eu.merge('set:c', rm, 5);
    expect(eu.read('set:c')).toEqual({ kind: 'set', value: ['x'] });
  });

  it('merging a full state twice is harmless for the correct counter and inflates the buggy one', () => {
    for (const [bug, inflated] of [['none', false], ['non-idempotent-counter-merge', true]] as const) {
      const a = new CrdtStore('us', bug);
      const b = new CrdtStore('eu', bug);
      a.apply({ kind: 'incr', key: 'ctr:k', by: 3 }, 1);
      b.merge('ctr:k', a.state('ctr:k'), 2);
      b.merge('ctr:k', a.state('ctr:k'), 3);
      expect((b.read('ctr:k') as { value: number }).value > 3).toBe(inflated);
    }
  });

  it('LWW with HLC: a write after merging a write with a clock far ahead still wins', () => {
    const ahead = new CrdtStore('us');
    const behind = new CrdtStore('eu');
    const w1 = ahead.apply({ kind: 'set', key: 'reg:p', value: 'old' }, ms(500));
    behind.merge('reg:p', w1, ms(1));
    const w2 = behind.apply({ kind: 'set', key: 'reg:p', value: 'new' }, ms(2));
    ahead.merge('reg:p', w2, ms(501));
    expect((ahead.read('reg:p') as { value: string }).value).toBe('new');
    const wallAhead = new CrdtStore('us', 'lww-wall-clock');
    const wallBehind = new CrdtStore('eu', 'lww-wall-clock');
    wallBehind.merge('reg:p', wallAhead.apply({ kind: 'set', key: 'reg:p', value: 'old' }, ms(500)), ms(1));
    wallAhead.merge('reg:p', wallBehind.apply({ kind: 'set', key: 'reg:p', value: 'new' }, ms(2)), ms(501));
    expect((wallAhead.read('reg:p') as { value: string }).value).toBe('old');
  });
});
