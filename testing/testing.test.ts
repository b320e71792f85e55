import { describe, expect, it } from 'vitest';
import broadcast from '../scenarios/broadcast.ts';
import { findCatchingSeed } from '../sim/bug-zoo.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineScenario } from '../sim/scenario.ts';
import { param } from '../sim/params.ts';
import { expectBugCaught, expectSeedsPass, runScript, runSeeds, SimulationFailure } from './index.ts';

/**
 * Passes every seed unless a real timer's callback runs (which it would only after the verdict):
 * with `bug` on, every seed fails `planted`. `timer` picks the kind of real timer it sets.
 */
const leavesTimer = defineScenario({
  name: 'leaves-timer',
  description: 'test fixture: sets a real timer mid-run',
  params: {
    timer: param.enum(['setTimeout', 'setImmediate', 'sleep', 'none'] as const, { doc: 'the real timer it sets', default: 'setTimeout' }),
    bug: param.bool({ doc: 'fail planted on every seed', default: false }),
  },
  durationNs: 10_000_000,
  setup(w, p) {
    w.declareCheck('planted');
    w.sim.schedule(1_000_000, () => {
      const late = (): void => w.violation('late', 'from a real timer');
      if (p.timer === 'setTimeout') setTimeout(late, 10);
      if (p.timer === 'setImmediate') setImmediate(late);
      if (p.timer === 'sleep') void sleep(0).then(late);
      if (p.bug) w.violation('planted', 'the planted bug');
    });
  },
});

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

  it('a real timer the scenario sets fails the run in the test process (setTimeout, setImmediate, a timers/promises sleep): before, the test passed and the callback ran after it', async () => {
    for (const timer of ['setTimeout', 'setImmediate', 'sleep'] as const) {
      expect(() => expectSeedsPass(leavesTimer, { seeds: 1, pins: { timer } })).toThrow(/leaves-timer seed 1 failed \(crash\) — real-timer: the scenario set a real timer that had not run when the run ended/);
      const r = await runScript({ scenario: leavesTimer, seed: 1, params: { timer, bug: false }, script: [] });
      expect(r.violations.map((v) => v.invariant)).toEqual(['real-timer']);
    }
    expect(() => expectBugCaught(leavesTimer, { pins: { timer: 'setTimeout', bug: true }, within: 2, correct: false })).toThrow(/real timer in seeds 1\.\.1 \(setTimeout\(fn, 10 ms\)\)/);
    expect(expectSeedsPass(leavesTimer, { seeds: 2, pins: { timer: 'none' } }).failures).toEqual([]);
  });

  it('a scenario that made no check is NOT a pass here either (as the CLI says NOTHING CHECKED): runSeeds, expectSeedsPass, runScript', async () => {
    const idle = defineScenario({ name: 'idle', description: 'test fixture: runs, checks nothing', params: {}, durationNs: 1_000_000, setup() {} });
    expect(runSeeds(idle, { seeds: 2 }).failures.map((r) => r.outcome)).toEqual(['unchecked', 'unchecked']);
    expect(() => expectSeedsPass(idle, { seeds: 1 })).toThrow(/idle seed 1 failed \(unchecked\) — nothing-checked: scenario idle made no check/);
    expect((await runScript({ scenario: idle, seed: 1, script: [] })).outcome).toBe('unchecked');
    // On purpose, said so: a pass.
    expect(expectSeedsPass(defineScenario({ name: 'idle-on-purpose', description: 'test fixture', params: {}, durationNs: 1_000_000, checksNothing: 'a smoke test', setup() {} }), { seeds: 1 }).failures).toEqual([]);
  });

  it('findCatchingSeed can turn swarm off (every seed then runs the defaults)', () => {
    const c = findCatchingSeed(broadcast, { pins: { bug: 'phantom' }, cap: 3, swarm: false });
    expect(c.seed).toBe(1);
    expect(c.result!.swarm).toBe(false);
    const defaults = Object.fromEntries(Object.entries(broadcast.params).map(([k, d]) => [k, (d as { default: unknown }).default]));
    expect(c.result!.params).toEqual({ ...defaults, bug: 'phantom' });
  });
});
