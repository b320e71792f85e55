/**
 * The systems figures' shape on tiny runs (no timing is asserted: figures are for `npm run bench`).
 */
import { describe, expect, it } from 'vitest';
import { benchLinearity, benchLongHorizon, BEFORE, longHorizonChild, FAMILY_NAMES, linearityCases, LOADED_RAFT_PINS, loadedRaftHere, loadedRaftRounds, memoryRun } from './systems.ts';
import { DURATIONS, memoryRunArgs } from './memory-child.ts';

describe('bench/systems', () => {
  it('linearity (quick) reports broadcast and the loaded Raft store with CPU of both runs', () => {
    const r = benchLinearity(true) as { cases: Record<string, { linearity: number; shortCpuMs: number; longCpuMs: number; factor: number; shortEvents: number; longEvents: number }>; worst: number };
    expect(Object.keys(r.cases).sort()).toEqual(['broadcast', 'raft']);
    for (const c of Object.values(r.cases)) {
      expect(c.shortCpuMs).toBeGreaterThan(0);
      expect(c.longEvents).toBeGreaterThan(c.shortEvents); // the long run really is longer
      expect(c.linearity).toBeCloseTo(c.longCpuMs / (c.factor * c.shortCpuMs), 1);
    }
    expect(r.worst).toBe(Math.max(...Object.values(r.cases).map((c) => c.linearity)));
  }, 120_000);

  it('measures linearity for every family (issue 17: at most 1.3 for every family), each with a length parameter the scenario has', () => {
    const cases = linearityCases(false);
    expect(cases.map((c) => c.name).sort()).toEqual([...FAMILY_NAMES].sort());
    for (const c of cases) expect(Object.keys(c.scn.params)).toContain(c.param);
    // The long horizon starts where the short one's long run ends, or later.
    for (const c of cases) expect(c.long, c.name).toBeGreaterThanOrEqual(c.short * 5);
  });

  it('the long horizon runs each case at L and 10L, in a fresh process of its own, and divides the CPU', () => {
    const escrow = linearityCases(false).find((c) => c.name === 'escrow')!;
    const r = benchLongHorizon([{ ...escrow, long: 1 }]);
    const got = r.escrow!;
    if ('error' in got) throw new Error(got.error);
    const f = got;
    // Not this process: what the bench ran before must not weigh on the figure.
    expect(f.pid).not.toBe(process.pid);
    expect(f).toMatchObject({ scenario: 'escrow-flash-sale', param: 'durationS', length: 1, factor: 10 });
    expect(f.longEvents).toBeGreaterThan(5 * f.events); // the long run really is ten times longer
    expect(f.cpuMs).toBeGreaterThan(0);
    expect(f.linearity).toBeCloseTo(f.longCpuMs / (10 * f.cpuMs), 1);
    // The 10L figure is the median of its three runs, not one of them picked otherwise.
    expect(f.longCpuMsRuns).toHaveLength(3);
    expect([...f.longCpuMsRuns].sort((a, b) => a - b)[1]).toBe(f.longCpuMs);
    // A child that measures nothing is an error the bench reports (and its goal not met), not a figure.
    const bad = longHorizonChild('no-such-family', 1);
    expect('error' in bad && bad.error).toMatch(/^long-horizon child for no-such-family exited 2: usage: .*family one of .*escrow/);
  }, 60_000);

  it('keeps the before figure and the loaded-store parameters the docs name', () => {
    expect(BEFORE.commit).toBe('4755ff4');
    expect(BEFORE.raftPerYardstick).toBeGreaterThan(0);
    expect(LOADED_RAFT_PINS).toEqual({ nodes: 5, clients: 8, opMsMean: 5, maxOps: 100_000 });
  });

  it('measures the loaded store in rounds next to the yardstick, each round a real run of the store', () => {
    const short = (seeds: readonly number[]): { simNs: number; events: number } => loadedRaftHere(seeds, { durationS: 1 });
    const rounds = loadedRaftRounds(short, 2, 0, [1]);
    expect(rounds).toHaveLength(2);
    for (const r of rounds) {
      expect(r.events).toBeGreaterThan(1000);
      expect(r.simSecondsPerCpuSecond).toBeGreaterThan(0);
      expect(r.yardstickMopsPerCpuSecond).toBeGreaterThan(0);
      expect(r.raftPerYardstick).toBeCloseTo(r.simSecondsPerCpuSecond / r.yardstickMopsPerCpuSecond, 0);
    }
    expect(rounds[0]!.events).toBe(rounds[1]!.events); // same seed, same run
  }, 120_000);

  it("measures memory on the user's path: a detsim run (main thread, the run's worker thread, --json) in a child process", () => {
    expect(memoryRunArgs('raft', DURATIONS.raft)).toEqual(['run', 'raft-churn', '--seed', '1', '--no-swarm', '--param', `durationS=${DURATIONS.raft}`, '--param', 'maxOps=100000', '--timeout', '0', '--json']);
    expect(memoryRunArgs('broadcast', 9)).toEqual(['run', 'broadcast', '--seed', '1', '--no-swarm', '--param', 'durationS=9', '--timeout', '0', '--json']);
    const r = memoryRun('raft', 3) as { command: string; exitCode: number; events: number; outcome: string; peakRssMb: number; cpuSeconds: number };
    expect(r.command).toBe(`detsim ${memoryRunArgs('raft', 3).join(' ')}`);
    expect(r.exitCode).toBe(0);
    expect(r.outcome).toBe('pass');
    expect(r.events).toBeGreaterThan(1000);
    expect(r.peakRssMb).toBeGreaterThan(30);
    expect(r.cpuSeconds).toBeGreaterThan(0);
  }, 120_000);
});
