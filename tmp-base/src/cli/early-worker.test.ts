/**
 * Workers started early (cli/early-worker.ts): a sweep's pool uses them first, replaces one that
 * died while booting without losing a job, and never uses one started with another heap limit.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RunReport } from './execute.ts';
import { EarlyWorker } from './early-worker.ts';
import { ListSource } from './jobs.ts';
import { startPool } from './sweep.ts';
import { SWEEP_WORKER_ENTRY, sweepWorkerOptions, workerMemoryOf } from './sweep-prestart.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
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
