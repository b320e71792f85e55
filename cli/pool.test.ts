/**
 * The sweep's worker pool (cli/sweep.ts startPool) hands each worker more than one job at a time
 * (prefetch): a worker that dies or is stopped while holding jobs must lose no result already had,
 * report the seed it was running as that seed's failure (never a PASS), and give the jobs it held
 * but never started to another worker, so every job gets exactly one result, the one it would get
 * with one job at a time.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RunReport } from './execute.ts';
import { ListSource, type SweepJob } from './jobs.ts';
import { serialScavengeFor, startPool, type RampUp } from './sweep.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIX = path.join(ROOT, 'cli', 'fixtures');
const jobsOf = (file: string, scenario: string, seeds: number[]): Omit<SweepJob, 'id'>[] => seeds.map((seed) => ({ file, scenario, seed, pins: {}, swarm: false, buggify: false, checkDeterminism: false }));

/** A pool sweep; every worker starts at once unless `rampUp` says otherwise. `threads`: thread ids that ran a seed. */
async function sweep(jobs: Omit<SweepJob, 'id'>[], o: { workers: number; prefetch: number; seedTimeoutS?: number; rampUp?: RampUp; cores?: number }): Promise<{ results: RunReport[]; ids: number[]; started: number; serialScavenges: boolean }> {
  const results: RunReport[] = [];
  const ids: number[] = [];
  const pool = startPool({ source: new ListSource(jobs), jobs: o.workers, prefetch: o.prefetch, seedTimeoutS: o.seedTimeoutS ?? 0, maxMemoryMb: 512, rampUp: o.rampUp ?? null, ...(o.cores ? { cores: o.cores } : {}), onResult: (r, job) => (results.push(r), ids.push(job.id)) });
  await pool.finished;
  return { results, ids, started: pool.workersStarted(), serialScavenges: pool.serialScavenges() };
}
const verdicts = (rs: RunReport[]): [number, boolean, string, string][] => rs.map((r): [number, boolean, string, string] => [r.seed, r.ok, r.outcome, r.ok ? r.traceHash : (r.violations[0]?.message.slice(0, 40) ?? '')]).sort((a, b) => a[0] - b[0]);

describe('the pool with prefetch', { timeout: 180_000 }, () => {
  it('a worker thread that ends mid-batch (reallyExit on seed 5): that seed fails, the seeds it held run elsewhere, each once', async () => {
    const jobs = jobsOf(path.join(FIX, 'exits.ts'), 'exits', [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const one = await sweep(jobs, { workers: 1, prefetch: 1 });
    for (const [workers, prefetch] of [
      [1, 3],
      [2, 2],
      [2, 4],
    ] as const) {
      const r = await sweep(jobs, { workers, prefetch });
      // Exactly one result a job.
      expect([...r.ids].sort((a, b) => a - b), `${workers}x${prefetch}`).toEqual(jobs.map((_, i) => i));
      expect(verdicts(r.results), `${workers}x${prefetch}`).toEqual(verdicts(one.results));
    }
    const bySeed = new Map(one.results.map((x) => [x.seed, x]));
    expect(bySeed.get(5)!.ok).toBe(false);
    expect(bySeed.get(5)!.violations[0]!.message).toContain('exited with code 0 before the run finished');
    for (const s of [1, 6, 7, 8, 9]) expect(bySeed.get(s)!.ok).toBe(true);
  });

  it('a seed stopped by the time limit (seed 3 spins): it fails as hung, the seed held behind it runs on a new worker', async () => {
    const jobs = jobsOf(path.join(FIX, 'hangs.ts'), 'hangs', [1, 2, 3, 4, 5]);
    const r = await sweep(jobs, { workers: 1, prefetch: 3, seedTimeoutS: 3 });
    expect([...r.ids].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
    const v = verdicts(r.results);
    expect(v.map(([seed, ok]) => [seed, ok])).toEqual([
      [1, true],
      [2, true],
      [3, false],
      [4, true],
      [5, true],
    ]);
    expect(v[2]![3]).toContain('the seed ran for more than 3s');
  });
});

describe('the ramp-up: workers beyond the first start only when the work left repays their warm-up', { timeout: 180_000 }, () => {
  const never: RampUp = { minResults: 1, decideAfterMs: 1e9, minRemainingMs: 1e12 };
  // After 3 results the work left is always "enough": the second worker starts mid-sweep.
  const soon: RampUp = { minResults: 3, decideAfterMs: 1e9, minRemainingMs: 0 };

  it('a short sweep keeps one worker; a long one starts the second mid-sweep; both give the results of two workers started at once, one a job', async () => {
    const jobs = jobsOf(path.join(FIX, 'fails-some-seeds.ts'), 'fails-some-seeds', Array.from({ length: 16 }, (_, i) => i + 1));
    const atOnce = await sweep(jobs, { workers: 2, prefetch: 2 });
    expect(atOnce.started).toBe(2);
    const one = await sweep(jobs, { workers: 2, prefetch: 2, rampUp: never });
    expect(one.started).toBe(1);
    const later = await sweep(jobs, { workers: 2, prefetch: 2, rampUp: soon });
    expect(later.started).toBe(2);
    for (const r of [one, later]) {
      expect([...r.ids].sort((a, b) => a - b)).toEqual(jobs.map((_, i) => i));
      expect(verdicts(r.results)).toEqual(verdicts(atOnce.results));
    }
    // The fixture fails every third seed: the verdicts compared above are not all alike.
    expect(verdicts(atOnce.results).filter(([, ok]) => !ok).map(([seed]) => seed)).toEqual([3, 6, 9, 12, 15]);
  });

  it('slow seeds: the timer starts the second worker before minResults results are in', async () => {
    const jobs = jobsOf(path.join(FIX, 'fails-some-seeds.ts'), 'fails-some-seeds', [1, 2, 3, 4, 5, 6, 7, 8]);
    const r = await sweep(jobs, { workers: 2, prefetch: 1, rampUp: { minResults: 1000, decideAfterMs: 1, minRemainingMs: 1 } });
    expect(r.started).toBe(2);
    expect([...r.ids].sort((a, b) => a - b)).toEqual(jobs.map((_, i) => i));
  });

  it('a worker that dies (reallyExit on seed 5) before or after the ramp-up fails only that seed; every job gets one result', async () => {
    const jobs = jobsOf(path.join(FIX, 'exits.ts'), 'exits', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const base = await sweep(jobs, { workers: 1, prefetch: 1 });
    for (const rampUp of [never, soon, { minResults: 8, decideAfterMs: 1e9, minRemainingMs: 0 }]) {
      const r = await sweep(jobs, { workers: 2, prefetch: 2, rampUp });
      expect([...r.ids].sort((a, b) => a - b)).toEqual(jobs.map((_, i) => i));
      expect(verdicts(r.results)).toEqual(verdicts(base.results));
    }
    const bySeed = new Map(base.results.map((x) => [x.seed, x]));
    for (const s of [2, 3, 4, 5]) expect(bySeed.get(s)!.ok, `seed ${s}`).toBe(false);
    for (const s of [1, 6, 7, 8, 9, 10, 11, 12]) expect(bySeed.get(s)!.ok, `seed ${s}`).toBe(true);
  });
});

describe('serial scavenges (DETSIM_SWEEP_SCAVENGE=serial): only when asked, and only once the workers fill the cores', { timeout: 180_000 }, () => {
  it('the rule', () => {
    const on = { DETSIM_SWEEP_SCAVENGE: 'serial' };
    expect(serialScavengeFor(2, 2, on)).toBe(true);
    expect(serialScavengeFor(4, 4, on)).toBe(true);
    expect(serialScavengeFor(1, 2, on)).toBe(false); // one worker: the helpers have the idle core
    expect(serialScavengeFor(1, 1, on)).toBe(false);
    expect(serialScavengeFor(2, 4, on)).toBe(false); // cores to spare
    expect(serialScavengeFor(2, 2, {})).toBe(false); // not asked: V8's default
    expect(serialScavengeFor(2, 2, { DETSIM_SWEEP_SCAVENGE: 'parallel' })).toBe(false);
  });

  it('a pool switches when its second worker starts (at once, or by the ramp-up), not while one runs; the verdicts are those of the default', async () => {
    const jobs = jobsOf(path.join(FIX, 'fails-some-seeds.ts'), 'fails-some-seeds', Array.from({ length: 10 }, (_, i) => i + 1));
    const base = await sweep(jobs, { workers: 2, prefetch: 2, cores: 2 });
    expect(base.serialScavenges).toBe(false);
    const before = process.env.DETSIM_SWEEP_SCAVENGE;
    process.env.DETSIM_SWEEP_SCAVENGE = 'serial';
    try {
      const one = await sweep(jobs, { workers: 2, prefetch: 2, cores: 2, rampUp: { minResults: 1, decideAfterMs: 1e9, minRemainingMs: 1e12 } });
      expect(one.started).toBe(1);
      expect(one.serialScavenges).toBe(false);
      const later = await sweep(jobs, { workers: 2, prefetch: 2, cores: 2, rampUp: { minResults: 3, decideAfterMs: 1e9, minRemainingMs: 0 } });
      expect(later.started).toBe(2);
      expect(later.serialScavenges).toBe(true);
      const spare = await sweep(jobs, { workers: 2, prefetch: 2, cores: 8 });
      expect(spare.serialScavenges).toBe(false);
      for (const r of [one, later, spare]) expect(verdicts(r.results)).toEqual(verdicts(base.results));
    } finally {
      if (before === undefined) delete process.env.DETSIM_SWEEP_SCAVENGE;
      else process.env.DETSIM_SWEEP_SCAVENGE = before;
    }
  });
});
