import { describe, expect, it } from 'vitest';
import broadcast from '../scenarios/broadcast.ts';
import lbCrash from '../scenarios/lb-crash.ts';
import { drawParamValues } from '../sim/param-draw.ts';
import { runScenario } from '../sim/runner.ts';
import type { ParamDefs } from '../sim/params.ts';
import type { RunReport } from './execute.ts';
import { GuidedJobSource } from './guided-source.ts';
import { SeedRangeSource, type SweepJob } from './jobs.ts';

const plain = (seeds: number, shard: { k: number; n: number } | null = null): SeedRangeSource =>
  new SeedRangeSource([{ name: 'broadcast', file: 'broadcast.ts', pins: { bug: 'none' } }], { seeds, from: 1, shard, swarm: true, buggify: true, checkDeterminism: false });
const defs = new Map([['broadcast', broadcast.params as ParamDefs]]);
const run = (j: SweepJob): RunReport => ({ ...runScenario(broadcast, { seed: j.seed, pins: j.pins, buggify: j.buggify }), wallMs: 0 });

/** Drives a source like the sweep's pool with `workers` slots; `pickDone` chooses which running job finishes next. */
function drive(src: GuidedJobSource, workers: number, pickDone: (running: SweepJob[]) => number): { jobs: SweepJob[]; waits: number } {
  const jobs: SweepJob[] = [];
  const running: SweepJob[] = [];
  let waits = 0;
  for (;;) {
    while (running.length < workers) {
      const j = src.next();
      if (j === null) break;
      jobs.push(j);
      running.push(j);
    }
    if (running.length === 0) {
      expect(src.done()).toBe(true);
      break;
    }
    if (running.length < workers && !src.done()) waits++;
    const [j] = running.splice(pickDone(running), 1);
    src.onResult(run(j!));
  }
  return { jobs, waits };
}

describe('GuidedJobSource (detsim sweep --guided)', () => {
  it('hands out the plain sweep\'s jobs, with the same choices whatever the finishing order', () => {
    const a = drive(new GuidedJobSource(plain(20), defs), 1, () => 0);
    const b = drive(new GuidedJobSource(plain(20), defs), 3, (r) => r.length - 1); // newest first
    expect(a.jobs.map((j) => j.seed)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(b.jobs.map((j) => j.seed).sort((x, y) => x - y)).toEqual(a.jobs.map((j) => j.seed));
    const bySeed = new Map(b.jobs.map((j) => [j.seed, j]));
    for (const j of a.jobs) {
      expect(bySeed.get(j.seed)!.pins).toEqual(j.pins);
      expect(bySeed.get(j.seed)!.buggify).toBe(j.buggify);
    }
    expect(b.waits).toBeGreaterThan(0); // it held jobs back until their inputs were in
    // The initial batch is the plain sweep; later seeds are pinned in full, user pins kept.
    expect(a.jobs[0]!.pins).toEqual({ bug: 'none' });
    const guided = a.jobs.filter((j) => Object.keys(j.pins).length > 1);
    expect(guided.length).toBeGreaterThan(0);
    for (const j of guided) expect(j.pins.bug).toBe('none');
  });

  it('keeps the shard\'s jobs', () => {
    const d = drive(new GuidedJobSource(plain(12, { k: 2, n: 3 }), defs), 2, () => 0);
    expect(d.jobs.map((j) => j.seed).sort((x, y) => x - y)).toEqual([2, 5, 8, 11]);
  });

  it('never hands out guided values that the scenario refuses with the user\'s pins (the seed would fail to start)', () => {
    // healthTimeoutMs=90 fits the default 100 ms interval; guided intervals below 90 ms clash.
    const lbDefs = lbCrash.params as ParamDefs;
    const check = (p: Record<string, unknown>) => lbCrash.checkParams!(p as never);
    const sweep = (refuses: Map<string, typeof check>): number => {
      const src = new GuidedJobSource(
        new SeedRangeSource([{ name: 'lb-crash', file: 'lb-crash.ts', pins: { healthTimeoutMs: 90 } }], { seeds: 80, from: 1, shard: null, swarm: true, buggify: true, checkDeterminism: false }),
        new Map([['lb-crash', lbDefs]]),
        {},
        refuses,
      );
      let refused = 0;
      for (let j = src.next(); j !== null; j = src.next()) {
        const params = drawParamValues(lbDefs, j.seed, j.pins, true);
        // A plain seed that clashes runs with the defaults: only a clash the pins force counts.
        if (Object.keys(j.pins).length > 1 && check(params)) refused++;
        src.onResult({ scenario: 'lb-crash', seed: j.seed, ok: true, params, buggify: { enabled: j.buggify, fired: {} }, coverage: { probes: {}, sometimes: {} } } as unknown as RunReport);
      }
      return refused;
    };
    expect(sweep(new Map())).toBeGreaterThan(0); // without the check, the guided choice clashes
    expect(sweep(new Map([['lb-crash', check]]))).toBe(0);
  });
});
