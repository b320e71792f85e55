import { describe, expect, it } from 'vitest';
import broadcast from '../scenarios/broadcast.ts';
import { param } from '../sim/params.ts';
import { drawParams, runScenario } from '../sim/runner.ts';
import { candidates, ddmin, shrink } from './shrink.ts';
import crashRestart from '../scenarios/raft-crash-restart.ts';
import type { Scenario } from '../sim/scenario.ts';
import { otherBuild } from '../reports/repro.ts';

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
    // The shrunk run is driven by its script (the broadcast clients' operations are decisions too,
    // and the shrink dropped most of them): played again, it is the same run.
    expect(r.script).not.toBeNull();
    const again = runScenario(broadcast, { seed, pins: r.params, swarm: false, buggify: r.buggify, script: r.script! });
    expect(again.traceHash).toBe(r.shrunk.traceHash);
    expect(again.violations[0]?.invariant).toBe(invariant);
  });

  it('never tries a value the scenario refuses with the others (Scenario.checkParams): it would not run at all', async () => {
    const { defineScenario } = await import('../sim/scenario.ts');
    const { ms } = await import('../sim/time.ts');
    // Fails whenever it runs; `timeout` may not exceed `interval`, and halving `interval` breaks that.
    const scn = defineScenario({
      name: 'refusing',
      description: 'refuses timeout > interval',
      params: { interval: param.float({ doc: '', default: 40, min: 1, max: 100 }), timeout: param.float({ doc: '', default: 30, min: 1, max: 100 }) },
      durationNs: ms(5),
      checkParams: (p) => (p.timeout > p.interval ? `timeout ${p.timeout} is longer than interval ${p.interval}` : null),
      setup(w) {
        w.safety('always-fails', () => 'it fails');
      },
    }) as unknown as Scenario;
    const r = shrink({ scenario: scn, seed: 1, params: { interval: 40, timeout: 30 }, buggify: false, invariant: 'always-fails', maxRuns: 50 });
    expect(r.shrunk.ok).toBe(false);
    expect(r.params.timeout as number).toBeLessThanOrEqual(r.params.interval as number);
    // interval 40 -> 20 is refused (timeout 30 > 20) and skipped; the search goes on with the rest.
    expect(r.runs).toBeGreaterThan(2);
  });

  it('says so when the run does not fail the invariant (nothing to shrink)', () => {
    const params = drawParams(broadcast, 4, {}, true);
    const r = shrink({ scenario: broadcast, seed: 4, params, buggify: true, invariant: 'no-phantom-delivery', maxRuns: 10 });
    expect(r.original.ok).toBe(true);
    expect(r.steps).toEqual([]);
    expect(r.runs).toBe(1);
  });

  it('ddmin finds a 1-minimal failing subset within its budget', () => {
    const items = Array.from({ length: 40 }, (_, i) => i);
    let tests = 0;
    // Fails when both 7 and 31 are in (an interaction of two faults).
    const r = ddmin(items, (sub) => (tests++, sub.includes(7) && sub.includes(31)), () => true);
    expect(r).toEqual([7, 31]);
    expect(tests).toBeLessThan(60);
    expect(ddmin(items, () => true, () => true)).toEqual([]);
    // A spent budget stops it where it is.
    let left = 3;
    expect(ddmin(items, (sub) => sub.includes(7), () => left-- > 0).length).toBeGreaterThan(1);
  });

  it('shrinks the recorded script (faults and operations) of a Raft bug, and the shrunk script replays bit for bit', () => {
    const scn = crashRestart as unknown as Scenario;
    const seed = 12; // the first seed of raft-crash-restart to catch no-up-to-date-check
    const params = drawParams(scn, seed, { bug: 'no-up-to-date-check' }, true);
    const r = shrink({ scenario: scn, seed, params, buggify: true, invariant: 'leader-completeness', maxRuns: 100 });
    expect(r.scriptReproduced).toBe(true);
    expect(r.before.faults).toBeGreaterThan(5);
    expect(r.after.faults).toBeLessThan(r.before.faults);
    expect(r.after.operations).toBeLessThan(r.before.operations);
    expect(r.runs).toBeLessThanOrEqual(100);
    expect(r.script!.filter((e) => e.kind !== 'op').length).toBe(r.after.faults);
    const again = runScenario(scn, { seed, pins: r.params, swarm: false, buggify: r.buggify, script: r.script });
    expect(again.traceHash).toBe(r.shrunk.traceHash);
    expect(again.violations[0]?.invariant).toBe('leader-completeness');
  });

  it('keeps maxRuns a hard bound', () => {
    const scn = crashRestart as unknown as Scenario;
    const params = drawParams(scn, 12, { bug: 'no-up-to-date-check' }, true);
    const r = shrink({ scenario: scn, seed: 12, params, buggify: true, invariant: 'leader-completeness', maxRuns: 7 });
    expect(r.runs).toBe(7);
    expect(r.shrunk.violations[0]?.invariant).toBe('leader-completeness');
  });
});

describe('repro commits', () => {
  it('warns when a repro was made at another commit, or with uncommitted changes; not at the same clean commit', () => {
    expect(otherBuild({ commit: 'abc1234' }, 'abc1234')).toBeNull();
    expect(otherBuild({}, 'abc1234')).toBeNull();
    expect(otherBuild({ commit: 'abc1234' }, 'def5678')).toMatch(/made at commit abc1234, this build is def5678.*PRNG draws/);
    expect(otherBuild({ commit: 'abc1234', scripted: true }, 'def5678')).toMatch(/by meaning/);
    expect(otherBuild({ commit: 'abc1234-dirty' }, 'abc1234-dirty')).toMatch(/uncommitted changes \(at commit abc1234\), as is this build/);
    expect(otherBuild({ commit: 'abc1234' }, null)).toMatch(/not a git checkout/);
  });
});
