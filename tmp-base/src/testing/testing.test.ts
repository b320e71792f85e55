import { describe, expect, it } from 'vitest';
import broadcast from '../scenarios/broadcast.ts';
import { findCatchingSeed } from '../sim/bug-zoo.ts';
import { expectBugCaught, expectSeedsPass, runSeeds, SimulationFailure } from './index.ts';

describe('detsim/testing', () => {
  it('expectSeedsPass returns every run when all pass', () => {
    const report = expectSeedsPass(broadcast, { seeds: 3, from: 5 });
    expect(report.results.map((r) => r.seed)).toEqual([5, 6, 7]);
    expect(report.failures).toEqual([]);
  });

  it('expectSeedsPass fails with the seed, the violation and a replay command that names the file and pins', () => {
    let err: unknown;
    try {
      expectSeedsPass(broadcast, { seeds: 3, pins: { bug: 'phantom' }, file: new URL('../scenarios/broadcast.ts', import.meta.url) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SimulationFailure);
    const f = err as SimulationFailure;
    expect(f.result?.ok).toBe(false);
    expect(f.message).toMatch(/broadcast seed 1 failed \(safety\) — \S+: /);
    expect(f.replay).toMatch(/^npx detsim run \S*\/scenarios\/broadcast\.ts --seed 1 --param bug=phantom$/);
    expect(f.message).toContain(f.replay!);
  });

  it('swarm off and buggify off reach the runs and the replay command', () => {
    const report = runSeeds(broadcast, { seeds: 2, swarm: false, buggify: false });
    expect(report.results.every((r) => r.swarm === false && r.buggify.enabledSites.length === 0)).toBe(true);
    // Swarm off: every seed runs with the defaults.
    expect(report.results[0]!.params).toEqual(report.results[1]!.params);
    expect(report.replay(2)).toBe('npx detsim run broadcast --seed 2 --no-swarm --no-buggify');
    const on = runSeeds(broadcast, { seeds: 2 });
    expect(on.results[0]!.params).not.toEqual(on.results[1]!.params);
  });

  it('expectBugCaught returns the catch and checks the correct variant on the same seeds', () => {
    const c = expectBugCaught(broadcast, { bug: 'phantom', within: 10 });
    expect(c.seed).toBe(1);
    expect(c.seedsRun).toBe(1);
    expect(c.invariant).not.toBeNull();
  });

  it('expectBugCaught fails when the bug goes uncaught (the correct variant as the "bug")', () => {
    expect(() => expectBugCaught(broadcast, { pins: { bug: 'none' }, within: 2 })).toThrow(/no seed of 1\.\.2 produced a failure; the bug went uncaught/);
  });

  it('expectBugCaught fails when the "correct" variant fails too', () => {
    expect(() => expectBugCaught(broadcast, { bug: 'phantom', within: 3, correct: { bug: 'phantom' } })).toThrow(/the correct variant also fails/);
  });

  it('expectBugCaught with a named invariant ignores failures of other invariants', () => {
    expect(() => expectBugCaught(broadcast, { bug: 'phantom', within: 3, invariant: 'no-such-invariant', correct: false })).toThrow(/no seed of 1\.\.3 produced a violation of no-such-invariant/);
  });

  it('findCatchingSeed can turn swarm off (every seed then runs the defaults)', () => {
    const c = findCatchingSeed(broadcast, { pins: { bug: 'phantom' }, cap: 3, swarm: false });
    expect(c.seed).toBe(1);
    expect(c.result!.swarm).toBe(false);
    const defaults = Object.fromEntries(Object.entries(broadcast.params).map(([k, d]) => [k, (d as { default: unknown }).default]));
    expect(c.result!.params).toEqual({ ...defaults, bug: 'phantom' });
  });
});
