import { describe, expect, it } from 'vitest';
import broadcast from '../scenarios/broadcast.ts';
import { chooseGuided, GuidedSeeds, runGuidedSweep, type GuidedObservation } from './guided-swarm.ts';
import { param } from './params.ts';
import { runScenario, type RunResult } from './runner.ts';
import { defineScenario } from './scenario.ts';
import { ms } from './time.ts';

/** A probe reached only when the swarm draws x above 0.9 (about one seed in ten), and a rarer one. */
const needle = defineScenario({
  name: 'toy-needle',
  description: 'guided swarm test',
  params: {
    x: param.float({ doc: 'knob', default: 0.5, min: 0, max: 1, swarm: [0, 1] }),
    y: param.int({ doc: 'another knob', default: 3, min: 0, max: 10, swarm: [0, 10] }),
    mode: param.enum(['a', 'b', 'c'] as const, { doc: 'mode', default: 'a', swarm: ['a', 'b', 'c'] }),
    bug: param.enum(['none', 'x'] as const, { doc: 'pinned by the user', default: 'none' }),
  },
  durationNs: ms(1),
  setup(w, p) {
    if (p.x > 0.9) w.probe('toy:high-x');
    if (p.x > 0.9 && p.y >= 8) w.probe('toy:high-x-and-y');
  },
});

const obs = (r: RunResult): GuidedObservation => r;

describe('guided swarm policy', () => {
  const history = Array.from({ length: 30 }, (_, i) => obs(runScenario(needle, { seed: i + 1 })));

  it('draws plainly during the initial batch and is a pure function of (seed, earlier results)', () => {
    expect(chooseGuided(needle.params, 5, history)).toEqual({ pins: {}, buggify: true, why: 'initial' });
    const a = chooseGuided(needle.params, 40, history);
    const b = chooseGuided(needle.params, 40, [...history].reverse());
    expect(b).toEqual(a);
    // Results of seeds at or above seed - lag are not read.
    const later = [...history, ...Array.from({ length: 5 }, (_, i) => obs(runScenario(needle, { seed: 36 + i })))];
    expect(chooseGuided(needle.params, 40, later)).toEqual(a);
  });

  it('guided pins stay inside the swarm ranges and never override the user\'s pins', () => {
    let guided = 0;
    for (let seed = 40; seed < 100; seed++) {
      const c = chooseGuided(needle.params, seed, history, { bug: 'x' });
      if (!c.why.startsWith('guided')) {
        expect(c.pins).toEqual({});
        continue;
      }
      guided++;
      expect(Object.keys(c.pins).sort()).toEqual(['mode', 'x', 'y']);
      expect(c.pins.x as number).toBeGreaterThanOrEqual(0);
      expect(c.pins.x as number).toBeLessThanOrEqual(1);
      expect(Number.isInteger(c.pins.y)).toBe(true);
      expect(['a', 'b', 'c']).toContain(c.pins.mode);
    }
    expect(guided).toBeGreaterThan(30);
  });

  it('reaches a rare probe more often than plain swarm with the same seeds', () => {
    const N = 150;
    let plain = 0;
    for (let s = 1; s <= N; s++) if (runScenario(needle, { seed: s }).coverage.probes['toy:high-x']) plain++;
    const g = runGuidedSweep<RunResult>(needle.params, 1, N, (seed, c) => runScenario(needle, { seed, pins: c.pins, buggify: c.buggify }));
    const guided = g.results.filter((r) => r.coverage.probes['toy:high-x']).length;
    expect(plain).toBeGreaterThan(0);
    expect(guided).toBeGreaterThan(2 * plain);
  });

  it('a guided seed\'s pins replay to the same run, without the policy', () => {
    const g = runGuidedSweep<RunResult>(broadcast.params, 1, 18, (seed, c) => runScenario(broadcast, { seed, pins: c.pins, buggify: c.buggify }));
    const guided = g.results.map((r, i) => ({ r, c: g.choices[i]! })).filter((x) => x.c.why.startsWith('guided'));
    expect(guided.length).toBeGreaterThan(0);
    for (const { r, c } of guided.slice(0, 2)) {
      const again = runScenario(broadcast, { seed: r.seed, pins: c.pins, buggify: c.buggify });
      expect(again.traceHash).toBe(r.traceHash);
      expect(again.params).toEqual(r.params);
    }
    // And the whole guided sweep is reproducible.
    const g2 = runGuidedSweep<RunResult>(broadcast.params, 1, 18, (seed, c) => runScenario(broadcast, { seed, pins: c.pins, buggify: c.buggify }));
    expect(g2.choices).toEqual(g.choices);
    expect(g2.results.map((r) => r.traceHash)).toEqual(g.results.map((r) => r.traceHash));
  });

  it('GuidedSeeds waits for the results a seed depends on, whatever order they finish in', () => {
    const src = new GuidedSeeds(needle.params, 1, 20, {}, true, { lag: 2 });
    const handed: number[] = [];
    for (let j = src.next(); j !== null; j = src.next()) handed.push(j.seed);
    // Seed s reads the results of seeds below s - 2: seeds 1..3 need none, seed 4 needs seed 1.
    expect(handed).toEqual([1, 2, 3]);
    src.onResult(obs(runScenario(needle, { seed: 2 })));
    expect(src.next()).toBeNull(); // seed 4 needs seed 1
    src.onResult(obs(runScenario(needle, { seed: 1 })));
    expect(src.next()?.seed).toBe(4);
    expect(src.done()).toBe(false);
    expect(src.total()).toBe(20);
  });
});
