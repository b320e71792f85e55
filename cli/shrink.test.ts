import { describe, expect, it } from 'vitest';
import broadcast from '../scenarios/broadcast.ts';
import { param } from '../sim/params.ts';
import { drawParams, runScenario } from '../sim/runner.ts';
import { candidates, shrink } from './shrink.ts';

describe('shrink', () => {
  it('offers simpler values only: off first, then smaller; nothing for what is already simplest', () => {
    expect(candidates(param.float({ doc: '', default: 0.1, min: 0, max: 1 }), 0.4)).toEqual([
      { value: 0, kind: 'off' },
      { value: 0.2, kind: 'smaller' },
    ]);
    expect(candidates(param.float({ doc: '', default: 0.1, min: 0, max: 1 }), 0)).toEqual([]);
    expect(candidates(param.int({ doc: '', default: 5, min: 1, max: 9 }), 7)).toEqual([
      { value: 1, kind: 'smaller' },
      { value: 3, kind: 'smaller' },
      { value: 6, kind: 'smaller' },
    ]);
    expect(candidates(param.bool({ doc: '', default: false }), true)).toEqual([{ value: false, kind: 'off' }]);
    // A mean time between faults shrinks upward: fewer faults.
    expect(candidates(param.float({ doc: '', default: 3000, min: 0, max: 1e7, shrink: 'up' }), 800)).toEqual([
      { value: 0, kind: 'off' },
      { value: 1600, kind: 'fewer' },
    ]);
    expect(candidates(param.enum(['a', 'b'], { doc: '', default: 'a' }), 'a')).toEqual([]);
  });

  it('turns off every fault a bug does not need, and the shrunk run still fails the same invariant', () => {
    const seed = 1;
    const params = { ...drawParams(broadcast, seed, { bug: 'drop-gossip' }, true) };
    const original = runScenario(broadcast, { seed, pins: params, swarm: false });
    expect(original.ok).toBe(false);
    const invariant = original.violations[0]!.invariant;
    const r = shrink({ scenario: broadcast, seed, params, buggify: true, invariant, maxRuns: 200 });
    // drop-gossip needs no fault at all: the nemesis and the weather are switched off.
    for (const k of ['crashMsMean', 'partitionMsMean', 'netDuplicateRate', 'netLossRate', 'pauseMsMean', 'clogMsMean']) expect(r.params[k], k).toBe(0);
    expect(r.params.bug).toBe('drop-gossip'); // the bug itself is never "simplified" away
    expect(r.shrunk.events).toBeLessThan(original.events);
    const again = runScenario(broadcast, { seed, pins: r.params, swarm: false, buggify: r.buggify });
    expect(again.traceHash).toBe(r.shrunk.traceHash);
    expect(again.violations[0]?.invariant).toBe(invariant);
  });

  it('says so when the run does not fail the invariant (nothing to shrink)', () => {
    const params = drawParams(broadcast, 4, {}, true);
    const r = shrink({ scenario: broadcast, seed: 4, params, buggify: true, invariant: 'no-phantom-delivery', maxRuns: 10 });
    expect(r.original.ok).toBe(true);
    expect(r.steps).toEqual([]);
    expect(r.runs).toBe(1);
  });
});
