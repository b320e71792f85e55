import { describe, expect, it } from 'vitest';
import { param } from './params.ts';
import { defineProbes, Probes, reached } from './probes.ts';
import { sleep } from './process.ts';
import { runScenario } from './runner.ts';
import { defineScenario } from './scenario.ts';
import { ms } from './time.ts';

const TOY = defineProbes('toy', {
  'counter-wrapped': 'the counter passed 5 (hit by every run)',
  'odd-seed': 'only runs whose random draw is odd',
  'never': 'a condition the toy never produces',
});

/** A node counts up every 10 ms and probes on the way; a scenario-level probe and sometimes too. */
function toy(opts: { probes: boolean; mustReach?: string[] }) {
  return defineScenario({
    name: 'toy-probes',
    description: 'probes test',
    params: { n: param.int({ doc: 'ticks', default: 10, min: 1, max: 100 }) },
    durationNs: ms(200),
    ...(opts.mustReach ? { mustReach: opts.mustReach } : {}),
    setup(w, p) {
      if (opts.probes) w.declareProbes(TOY);
      let count = 0;
      w.addNode('n1', (ctx) => {
        const tick = (): void => {
          count++;
          if (opts.probes && count > 5) ctx.probe('toy:counter-wrapped');
          if (count < p.n) ctx.setTimer(ms(10), tick);
        };
        ctx.setTimer(ms(10), tick);
        if (opts.probes && ctx.rng.int(0, 1) === 1) ctx.probe('toy:odd-seed');
        return {};
      });
      w.spawn('scenario', (function* () {
        yield sleep(w.sim, ms(50));
        if (opts.probes) w.probe('toy:undeclared-but-hit');
        // Event-driven form: recorded where the condition may change.
        w.sometimes('count-reached-3-at-50ms', count >= 3);
      })());
      // Polled form: true once count reaches n, false forever if n is out of reach.
      w.sometimes('count-reached-n', () => count >= p.n);
      w.sometimes('count-exceeded-n', () => count > p.n);
    },
  });
}

describe('probes', () => {
  it('counts hits, lists declared probes (hit or not) sorted, and adds undeclared hits', () => {
    const r = runScenario(toy({ probes: true }), { seed: 1, swarm: false });
    expect(r.ok).toBe(true);
    // count goes 1..10: counter-wrapped at 6..10.
    expect(r.coverage.probes['toy:counter-wrapped']).toBe(5);
    expect(r.coverage.probes['toy:undeclared-but-hit']).toBe(1);
    expect(r.coverage.probes['toy:never']).toBeUndefined();
    expect(r.coverage.declared).toEqual(['toy:counter-wrapped', 'toy:never', 'toy:odd-seed', 'toy:undeclared-but-hit']);
    expect(Object.keys(r.coverage.probes)).toEqual([...Object.keys(r.coverage.probes)].sort());
  });

  it('a probe depending on the seed is hit by some seeds and not others', () => {
    const hits = [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => runScenario(toy({ probes: true }), { seed, swarm: false }).coverage.probes['toy:odd-seed'] ?? 0);
    expect(hits.some((h) => h === 1)).toBe(true);
    expect(hits.some((h) => h === 0)).toBe(true);
  });

  it('sometimes-assertions: polled and event-driven, true once held, false when never', () => {
    const r = runScenario(toy({ probes: false }), { seed: 1, swarm: false });
    expect(r.coverage.sometimes).toEqual({ 'count-exceeded-n': false, 'count-reached-3-at-50ms': true, 'count-reached-n': true });
    // With n = 100 the count cannot reach n within 200 ms (20 ticks): false, not missing.
    const r2 = runScenario(toy({ probes: false }), { seed: 1, swarm: false, pins: { n: 100 } });
    expect(r2.coverage.sometimes['count-reached-n']).toBe(false);
    expect(r2.coverage.sometimes['count-reached-3-at-50ms']).toBe(true);
  });

  it('exposes the scenario mustReach list ([] when none)', () => {
    expect(runScenario(toy({ probes: true }), { seed: 1 }).coverage.mustReach).toEqual([]);
    const r = runScenario(toy({ probes: true, mustReach: ['toy:never', 'count-reached-n'] }), { seed: 1, swarm: false });
    expect(r.coverage.mustReach).toEqual(['toy:never', 'count-reached-n']);
    expect(reached(r.coverage, 'count-reached-n')).toBe(true);
    expect(reached(r.coverage, 'toy:never')).toBe(false);
  });

  it('probes never change the trace hash, events or outcome; same seed, same coverage', () => {
    for (const seed of [1, 2, 3]) {
      const a = runScenario(toy({ probes: true }), { seed });
      const b = runScenario(toy({ probes: true }), { seed });
      const without = runScenario(toy({ probes: false }), { seed });
      expect(b.traceHash).toBe(a.traceHash);
      expect(b.coverage).toEqual(a.coverage);
      expect(without.traceHash).toBe(a.traceHash);
      expect(without.events).toBe(a.events);
    }
  });

  it('a probe\'s first hit is a trace line (kind probe) on the node that hit it', () => {
    const lines: { node: string; kind: string; detail: string }[] = [];
    runScenario(toy({ probes: true }), { seed: 1, swarm: false, traceSink: (r) => lines.push({ node: r.node, kind: r.kind, detail: r.detail }) });
    const probeLines = lines.filter((l) => l.kind === 'probe');
    expect(probeLines.filter((l) => l.detail === 'toy:counter-wrapped')).toEqual([{ node: 'n1', kind: 'probe', detail: 'toy:counter-wrapped' }]);
    expect(probeLines.some((l) => l.detail === 'toy:undeclared-but-hit' && l.node === '-')).toBe(true);
  });

  it('defineProbes prefixes names and refuses bad names and empty docs', () => {
    expect(Object.keys(TOY)).toEqual(['toy:counter-wrapped', 'toy:odd-seed', 'toy:never']);
    expect(() => defineProbes('toy', { 'Bad Name': 'x' })).toThrow(/kebab-case/);
    expect(() => defineProbes('toy', { fine: ' ' })).toThrow(/no doc line/);
  });

  it('Probes.report is independent of hit order', () => {
    const a = new Probes();
    const b = new Probes();
    for (const n of ['x:b', 'x:a', 'x:b']) a.hit(n);
    for (const n of ['x:a', 'x:b', 'x:b']) b.hit(n);
    expect(JSON.stringify(a.report())).toBe(JSON.stringify(b.report()));
  });
});
