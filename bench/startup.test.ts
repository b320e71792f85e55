import { describe, expect, it } from 'vitest';
import { benchStartup, smallKvHistory } from './startup.ts';

const clock = (): number => performance.now(); // wallclock-ok

describe('benchStartup', () => {
  it('reports every start-up figure as numbers and same-run ratios (shape, not timings)', async () => {
    const r = await benchStartup(clock, { rounds: 1, sourceRounds: 1, workerRounds: 1, sweepSeeds: 2, sweepScenario: 'broadcast', longSweepSeeds: 2, longSweepScenario: 'raft-election', nightlySweepSeeds: 3, nightlySweepScenario: 'broadcast' });
    const processes = r.processes as Record<string, { wallMs: number; cpuMs: number; overNodeWall: number; overNodeCpu: number; command: string }>;
    expect(Object.keys(processes)).toEqual(['nodeBaseline', 'list', 'runBroadcast', 'checkSmallHistory']);
    for (const p of Object.values(processes)) {
      expect(p.wallMs).toBeGreaterThan(0);
      expect(p.cpuMs).toBeGreaterThan(0);
      expect(p.overNodeWall).toBeGreaterThan(0);
    }
    expect(processes.nodeBaseline!.overNodeWall).toBe(1);
    expect(processes.nodeBaseline!.overNodeCpu).toBe(1);
    expect(processes.checkSmallHistory!.command).toBe('bin/detsim.js check small.history.txt --model kv');
    expect(Object.keys(r.processesFromSource as object)).toEqual(['nodeBaseline', 'listFromSource', 'runBroadcastFromSource', 'checkSmallHistoryFromSource']);
    expect(r.goals).toMatchObject({ listWithin2xNode: expect.any(Boolean), runWithin2xNode: expect.any(Boolean), checkWithin3xNode: expect.any(Boolean) });

    const workers = r.workers as Record<string, { wallMs: number; cpuMs: number }>;
    // Under vitest this module runs from the sources: the compiled worker is measured only by a compiled bench.
    expect(r.compiled).toBe(false);
    expect(workers.emptyWorker!.wallMs).toBeGreaterThan(0);
    expect(workers.sweepWorkerFromSource!.wallMs).toBeGreaterThan(workers.emptyWorker!.wallMs);
    expect(workers.sweepWorkerCompiled).toBeUndefined();
    expect((workers.sweepWorkerFromSource as unknown as { overEmptyWorkerWall: number }).overEmptyWorkerWall).toBeGreaterThan(1);

    const s = r.sweepScaling as { seeds: number; jobs1: { wallMs: number }; jobs2: { wallMs: number }; speedup: number; machineLoaded: boolean; goalMet: boolean };
    expect(s.seeds).toBe(2);
    expect(s.jobs1.wallMs).toBeGreaterThan(0);
    expect(s.jobs2.wallMs).toBeGreaterThan(0);
    expect(s.speedup).toBeCloseTo(s.jobs1.wallMs / s.jobs2.wallMs, 1);
    expect(s.goalMet).toBe(s.speedup >= 1.6);
    // The ceiling: the same seeds split over two separate sweep processes at once.
    const pair = r.sweepScaling as { jobs1: { wallMs: number }; twoProcesses: { wallMs: number; cpuMs: number }; twoProcessesSpeedup: number; speedup: number; speedupOfCeiling: number; otherProcessesCpuShare: number; machineLoaded: boolean };
    expect(pair.twoProcesses.wallMs).toBeGreaterThan(0);
    expect(pair.twoProcesses.cpuMs).toBeGreaterThan(0);
    expect(pair.twoProcessesSpeedup).toBeCloseTo(pair.jobs1.wallMs / pair.twoProcesses.wallMs, 1);
    expect(pair.speedupOfCeiling).toBeCloseTo(pair.speedup / pair.twoProcessesSpeedup, 1);
    // Measured from the machine's CPU counters, not guessed from the load average.
    expect(pair.otherProcessesCpuShare).toBeGreaterThanOrEqual(0);
    expect(pair.machineLoaded).toBe(pair.otherProcessesCpuShare > 0.1);
    const atOnce = r.sweepScaling as { jobs1: { wallMs: number; cpuMs: number }; jobs2AtOnce: { wallMs: number; cpuMs: number }; speedupAtOnce: number; cpuRatioAtOnce: number };
    expect(atOnce.jobs2AtOnce.wallMs).toBeGreaterThan(0);
    expect(atOnce.speedupAtOnce).toBeCloseTo(atOnce.jobs1.wallMs / atOnce.jobs2AtOnce.wallMs, 1);
    expect(atOnce.cpuRatioAtOnce).toBeCloseTo(atOnce.jobs2AtOnce.cpuMs / atOnce.jobs1.cpuMs, 1);
    const serial = r.sweepScaling as { jobs1: { wallMs: number }; jobs2AtOnceSerialScavenge: { wallMs: number }; speedupAtOnceSerialScavenge: number };
    expect(serial.jobs2AtOnceSerialScavenge.wallMs).toBeGreaterThan(0);
    expect(serial.speedupAtOnceSerialScavenge).toBeCloseTo(serial.jobs1.wallMs / serial.jobs2AtOnceSerialScavenge.wallMs, 1);
    const nightly = r.sweepScalingNightly as { scenario: string; seeds: number; speedup: number; jobs2AtOnce: { wallMs: number } };
    expect(nightly.scenario).toBe('broadcast');
    expect(nightly.seeds).toBe(3);
    expect(nightly.jobs2AtOnce.wallMs).toBeGreaterThan(0);
    const long = r.sweepScalingLong as { scenario: string; seeds: number; jobs1: { cpuMs: number; cpuPerSeedPerWorkerMs: number }; jobs2: { cpuMs: number; cpuPerSeedPerWorkerMs: number }; cpuRatio: number; secondWorkerExtraCpuMs: number };
    expect(long.scenario).toBe('raft-election');
    expect(long.seeds).toBe(2);
    expect(long.jobs2.cpuPerSeedPerWorkerMs).toBeCloseTo(long.jobs2.cpuMs / 2, 0);
    expect(long.jobs1.cpuPerSeedPerWorkerMs).toBeCloseTo(long.jobs1.cpuMs / 2, 0);
    expect(long.cpuRatio).toBeCloseTo(long.jobs2.cpuMs / long.jobs1.cpuMs, 1);
    expect(long.secondWorkerExtraCpuMs).toBe(Math.round(long.jobs2.cpuMs - long.jobs1.cpuMs));
    // The whole figure set is JSON (what `npm run bench` prints).
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  }, 600_000);

  it('generates a small history that alternates invokes and completions, 30 operations', () => {
    const lines = smallKvHistory().trim().split('\n');
    expect(lines).toHaveLength(60);
    expect(lines.filter((l) => l.includes(':type :invoke'))).toHaveLength(30);
    expect(lines[1]).toContain(':type :ok');
  });
});
