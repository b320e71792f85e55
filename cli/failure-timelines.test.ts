/**
 * A sweep's failure timelines run each failing seed again: the scenario's code, in a watched
 * worker thread, so code that exits, loops or leaves timers costs that failure its page and never
 * the sweep's process (a process.exit there ended the sweep with exit 0 after its failures).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SweepRunLine } from '../reports/sweep-html.ts';
import { writeFailureTimelines } from './failure-timelines.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let dir = '';

/** A repro of the fixture's seed 1 with `level` pinned (level 0 calls process.exit mid-run). */
function repro(level: number): string {
  const file = path.join(dir, `level${level}.json`);
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'detsim.js'), 'run', path.join(dir, 'exits-on-replay.ts'), '--seed', '1', '--no-swarm', '--param', `level=${level}`, '--repro', file], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(1);
  return file;
}

function failure(reproFile: string): SweepRunLine {
  // Recorded as an invariant's failure (what the sweep saw), whatever the run does now.
  return { scenario: 'exits-on-replay', seed: 1, ok: false, outcome: 'safety', violations: [{ invariant: 'planted', message: 'the planted bug', atNs: 5_000_000 }], simTimeNs: 5_000_000, wallMs: 1, recoveredAfterNs: null, repro: reproFile };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(ROOT, '.tmp-timelines-'));
  writeFileSync(
    path.join(dir, 'exits-on-replay.ts'),
    [
      "import { defineScenario } from '../sim/scenario.ts';",
      "import { param } from '../sim/params.ts';",
      'export default defineScenario({',
      "  name: 'exits-on-replay', description: 'test fixture', durationNs: 20_000_000,",
      "  params: { level: param.int({ doc: 'below 5: process.exit mid-run', default: 5, min: 0, max: 10 }) },",
      "  setup(w, p) { w.sim.schedule(1_000_000, () => { if (p.level < 5) process.exit(0); }); w.sim.schedule(5_000_000, () => w.violation('planted', 'the planted bug')); },",
      '});',
    ].join('\n'),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('failure timelines', () => {
  it('a failure whose run calls process.exit gets no page and a line saying why; the next failure still gets its page', async () => {
    const exits = failure(repro(0));
    const plain = failure(repro(5));
    const skipped: string[] = [];
    const written = await writeFailureTimelines([exits, plain], dir, 20, { timeoutS: 60 }, (why) => skipped.push(why));
    expect(written).toBe(1);
    expect(exits.timeline).toBeUndefined();
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatch(/^no timeline for exits-on-replay seed 1: its run again did not finish \(process-exit: the scenario called process\.exit\(0\)/);
    expect(plain.timeline).toBe('level5.timeline.html');
    expect(existsSync(path.join(dir, 'level5.timeline.html'))).toBe(true);
  }, 120_000);

  it('a failure the sweep saw stopped from outside (a hang) is not run again', async () => {
    const hung: SweepRunLine = { ...failure(repro(0)), outcome: 'crash', violations: [{ invariant: 'crash', message: 'the seed ran for more than 5s of wall time and was stopped', atNs: 0 }] };
    const skipped: string[] = [];
    expect(await writeFailureTimelines([hung], dir, 20, {}, (why) => skipped.push(why))).toBe(0);
    expect(skipped).toEqual([]);
  }, 120_000);
});

describe('stoppedFromOutside', () => {
  it("names the harness's stops, not a crash of the scenario's code that mentions a worker or wall time", async () => {
    const { stoppedFromOutside } = await import('./run-watched.ts');
    for (const message of ['the seed ran for more than 5s of wall time and was stopped', 'the worker running this seed died: boom', "out of memory: the seed used more than the worker's 256 MB heap limit", 'the scenario called process.exit(0): a run must end'])
      expect(stoppedFromOutside({ invariant: 'crash', message })).toBe(true);
    for (const invariant of ['hang', 'out-of-memory', 'process-exit', 'worker-error', 'real-timer']) expect(stoppedFromOutside({ invariant })).toBe(true);
    expect(stoppedFromOutside({ invariant: 'crash', message: 'Error: the worker w1 lost its lease (at ...)' })).toBe(false);
    expect(stoppedFromOutside({ invariant: 'crash', message: 'RangeError: out of memory in the queue model' })).toBe(false);
    expect(stoppedFromOutside({ invariant: 'planted', message: 'the seed ran for more than' })).toBe(false);
  });
});
