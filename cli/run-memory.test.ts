/**
 * What a `detsim run` holds: a passing run's recorded script stays in its thread (only a failure's
 * --repro needs it; --json says how long it is), the run's thread grows its heap by a bounded
 * factor, and the heap limit stays the one asked for (a run past --max-memory is out of memory:
 * cli/hostile.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { boundHeapGrowth, heapGrowthInForce, RUN_HEAP_GROWING_PERCENT } from './heap-growth.ts';
import { runWatched, type WatchOptions } from './run-watched.ts';
import { resolveScenarioInfo } from './scenario-manifest.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function watched(seed: number, pins: Record<string, unknown>, wantScript: boolean): Promise<Awaited<ReturnType<typeof runWatched>>> {
  const l = await resolveScenarioInfo('broadcast');
  const o: WatchOptions = { file: l.file, builtIn: l.builtIn, scenario: 'broadcast', seed, pins, params: {}, swarm: true, buggify: true, checkDeterminism: false, logLines: 10, timeoutS: 120, maxMemoryMb: 512, wantScript };
  return runWatched(o);
}

describe("the run's thread sends the recorded script back only when it is used", () => {
  it('a failing run: its script only when asked (for --repro or --json); a passing run: never', async () => {
    const asked = await watched(3, { bug: 'phantom' }, true);
    expect(asked.report.ok).toBe(false);
    expect(asked.report.script!.length).toBeGreaterThan(0);
    const notAsked = await watched(3, { bug: 'phantom' }, false);
    expect(notAsked.report.ok).toBe(false);
    expect(notAsked.report.traceHash).toBe(asked.report.traceHash);
    expect('script' in notAsked.report).toBe(false);
    const pass = await watched(1, {}, true);
    expect(pass.report.ok).toBe(true);
    expect('script' in pass.report).toBe(false);
  }, 120_000);

  it('detsim run --json of a failure says how long its script is and which repro file holds it, without listing it; a pass says nothing of it', () => {
    const run = (...args: string[]): Record<string, unknown> => JSON.parse(spawnSync(process.execPath, [path.join(ROOT, 'bin', 'detsim.js'), 'run', 'broadcast', ...args, '--json'], { cwd: ROOT, encoding: 'utf8' }).stdout) as Record<string, unknown>;
    const pass = run('--seed', '1');
    expect(pass.ok).toBe(true);
    expect(pass).not.toHaveProperty('script');
    expect(pass).not.toHaveProperty('scriptEntries');
    const fail = run('--seed', '3', '--param', 'bug=phantom');
    expect(fail.ok).toBe(false);
    expect(fail).not.toHaveProperty('script');
    expect(fail).not.toHaveProperty('repro');
    expect(fail.scriptEntries).toBeGreaterThan(0);
    const dir = mkdtempSync(path.join(tmpdir(), 'detsim-json-'));
    try {
      const file = path.join(dir, 'fail.json');
      const withRepro = run('--seed', '3', '--param', 'bug=phantom', '--repro', file);
      expect(withRepro).not.toHaveProperty('script');
      expect(withRepro.repro).toBe(file);
      expect(withRepro.traceHash).toBe(fail.traceHash);
      const repro = JSON.parse(readFileSync(file, 'utf8')) as { script: unknown[] };
      expect(repro.script).toHaveLength(fail.scriptEntries as number);
      expect(withRepro.scriptEntries).toBe(fail.scriptEntries);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("the run's heap growth", () => {
  it('is bounded once a run thread has started, unless the user set a factor of their own', async () => {
    expect(boundHeapGrowth(['--heap-growing-percent=20'], '')).toBeNull();
    expect(boundHeapGrowth([], '--max-old-space-size=100 --heap_growing_percent=30')).toBeNull();
    await watched(1, {}, false);
    expect(heapGrowthInForce()).toBe(RUN_HEAP_GROWING_PERCENT);
    expect(RUN_HEAP_GROWING_PERCENT).toBeLessThan(100); // V8's own factor for a 4 GB limit is up to 4 (300%)
  }, 120_000);
});
