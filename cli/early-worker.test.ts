/**
 * Workers started early (cli/early-worker.ts): a sweep's pool uses them first, replaces one that
 * died while booting without losing a job, and never uses one started with another heap limit.
 * A `detsim run`'s thread started by bin/detsim.js before anything else (bin/early-run.js) is the
 * run's thread when it suits, and is ended unused when it does not.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RunReport } from './execute.ts';
import { EarlyWorker, type BootThread } from './early-worker.ts';
import { ListSource } from './jobs.ts';
import { DEFAULT_MAX_MEMORY_MB } from './main.ts';
import { prestartRun, runWatched, type WatchOptions } from './run-watched.ts';
import { resolveScenarioInfo } from './scenario-manifest.ts';
import { startPool } from './sweep.ts';
import { SWEEP_WORKER_ENTRY, sweepWorkerOptions, workerMemoryOf } from './sweep-prestart.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Plain JavaScript run before any TypeScript loader: imported by URL, typed here.
const earlyRun = (await import(pathToFileURL(path.join(ROOT, 'bin', 'early-run.js')).href)) as { startEarlyRun: (args: string[]) => BootThread | null; EARLY_RUN_MAX_MEMORY_MB: number };
const jobs = [1, 2, 3].map((seed) => ({ file: path.join(ROOT, 'scenarios', 'broadcast.ts'), scenario: 'broadcast', seed, pins: {}, swarm: false, buggify: false, checkDeterminism: false }));

async function settled(w: EarlyWorker): Promise<void> {
  for (let i = 0; i < 400 && w.early === null; i++) await new Promise((r) => setTimeout(r, 25)); // wallclock-ok: test polling
}

describe('early workers', { timeout: 120_000 }, () => {
  it('one that failed while booting is replaced: every job still gets its result', async () => {
    const bad = new EarlyWorker('throw new Error("boot failed")', { eval: true, ...sweepWorkerOptions(256) });
    await settled(bad);
    expect(bad.early).not.toBeNull();
    const results: RunReport[] = [];
    await startPool({ source: new ListSource(jobs), jobs: 1, maxMemoryMb: 256, onResult: (r) => results.push(r), prestarted: [bad] }).finished;
    expect(results.map((r) => [r.seed, r.ok])).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ]);
  });

  it('the pool runs its jobs on the early ones, and ends one with another heap limit unused', async () => {
    const good = new EarlyWorker(SWEEP_WORKER_ENTRY, sweepWorkerOptions(300));
    const other = new EarlyWorker(SWEEP_WORKER_ENTRY, sweepWorkerOptions(512));
    expect(workerMemoryOf(good)).toBe(300);
    const exited: number[] = [];
    other.worker.on('exit', (c) => exited.push(c));
    const results: RunReport[] = [];
    await startPool({ source: new ListSource(jobs), jobs: 2, maxMemoryMb: 300, onResult: (r) => results.push(r), prestarted: [other, good] }).finished;
    expect(results.map((r) => r.seed).sort()).toEqual([1, 2, 3]);
    expect(results.every((r) => r.ok)).toBe(true);
    // `other` was discarded (terminated), never given a job; `good` was taken.
    for (let i = 0; i < 200 && exited.length === 0; i++) await new Promise((r) => setTimeout(r, 25)); // wallclock-ok: test polling
    expect(exited).toHaveLength(1);
    expect(good.take()).toBeNull();
  });

  it('one never taken does not keep the process alive, and discard ends it', async () => {
    const w = new EarlyWorker(SWEEP_WORKER_ENTRY, sweepWorkerOptions(256));
    const exit = new Promise<number>((r) => w.worker.once('exit', r));
    await w.discard();
    expect(typeof (await exit)).toBe('number');
    expect(w.take()).toBeNull();
  });
});

describe("a run's thread started before anything else (bin/early-run.js)", { timeout: 120_000 }, () => {
  const exited = (t: BootThread): Promise<number> => new Promise((r) => t.worker.once('exit', r));
  async function run(maxMemoryMb: number, boot: BootThread): Promise<{ sameThread: boolean; report: RunReport }> {
    const l = await resolveScenarioInfo('broadcast');
    const prestarted = prestartRun(maxMemoryMb, 'broadcast', boot);
    const sameThread = prestarted.worker === boot.worker;
    const o: WatchOptions = { file: l.file, builtIn: l.builtIn, scenario: 'broadcast', seed: 1, pins: {}, params: {}, swarm: true, buggify: true, checkDeterminism: false, logLines: 5, timeoutS: 120, maxMemoryMb, prestarted };
    return { sameThread, report: (await runWatched(o)).report };
  }

  it('starts only for `detsim run` and `detsim replay` with the default heap limit, which is the CLI\'s', async () => {
    expect(earlyRun.EARLY_RUN_MAX_MEMORY_MB).toBe(DEFAULT_MAX_MEMORY_MB);
    for (const args of [['list'], ['sweep', 'broadcast'], ['run', 'broadcast', '--max-memory', '512'], ['run', 'broadcast', '--max-memory=4096'], ['run', '--help'], ['run', 'broadcast', '-h'], ['run', '--version'], []]) {
      expect(earlyRun.startEarlyRun(args)).toBeNull();
    }
    for (const args of [['run', 'broadcast', '--seed', '1'], ['replay', 'detsim-out/broadcast-seed-1.json']]) {
      const t = earlyRun.startEarlyRun(args)!;
      expect(t, args.join(' ')).not.toBeNull();
      const exit = exited(t);
      await t.discard();
      expect(typeof (await exit)).toBe('number');
    }
  });

  it('is the run\'s thread when its heap limit is the run\'s: the run passes on it', async () => {
    const { sameThread, report } = await run(DEFAULT_MAX_MEMORY_MB, earlyRun.startEarlyRun(['run', 'broadcast', '--seed', '1'])!);
    expect(sameThread).toBe(true);
    expect(report.ok).toBe(true);
    expect(report.events).toBeGreaterThan(0);
  });

  it('is ended unused when the run needs another heap limit', async () => {
    const boot = earlyRun.startEarlyRun(['run', 'broadcast', '--seed', '1'])!;
    const exit = exited(boot);
    const { sameThread, report } = await run(512, boot);
    expect(sameThread).toBe(false);
    expect(report.ok).toBe(true);
    expect(typeof (await exit)).toBe('number');
  });

  it('that ended while booting is no failure of the run: the run gets a thread of its own', async () => {
    const boot = earlyRun.startEarlyRun(['run', 'broadcast', '--seed', '1'])!;
    await boot.worker.terminate();
    for (let i = 0; i < 200 && boot.early === null; i++) await new Promise((r) => setTimeout(r, 25)); // wallclock-ok: test polling
    expect(boot.early).toHaveProperty('exit');
    const { sameThread, report } = await run(DEFAULT_MAX_MEMORY_MB, boot);
    expect(sameThread).toBe(false);
    expect(report.ok).toBe(true);
    expect(report.violations).toEqual([]);
  });
});
