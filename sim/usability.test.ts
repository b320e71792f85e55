/** Behaviour that came out of a newcomer's usability test of the scenario API. */
import { describe, expect, it } from 'vitest';
import { Simulation } from './kernel.ts';
import { param, ParamError, parsePins, validateParamDefs } from './params.ts';
import { runScenario } from './runner.ts';
import { defineScenario, World } from './scenario.ts';
import { faultParams, standardNemesis } from './nemesis.ts';
import { ms, sec } from './time.ts';

describe('parameters', () => {
  const defs = { nodes: param.int({ doc: '', default: 3, min: 1, max: 9 }), bug: param.enum(['none', 'x'], { doc: '', default: 'none' }) };
  it('suggests the closest name for a typo and rejects a parameter given twice', () => {
    expect(() => parsePins(defs, 's', ['nodez=3'])).toThrow(/did you mean "nodes"/);
    expect(() => parsePins(defs, 's', ['zzzzzz=3'])).not.toThrow(/did you mean/);
    expect(() => parsePins(defs, 's', ['nodes=3', 'nodes=4'])).toThrow(/given twice/);
  });
  it('rejects definitions whose default or swarm range lies outside [min, max]', () => {
    expect(() => validateParamDefs({ c: param.int({ doc: '', default: 20, min: 1, max: 16 }) }, 's')).toThrow(ParamError);
    expect(() => validateParamDefs({ c: param.float({ doc: '', default: 1, min: 0, max: 2, swarm: [0, 3] }) }, 's')).toThrow(/swarm range/);
    expect(() => validateParamDefs({ c: param.enum(['a'], { doc: '', default: 'a' }) }, 's')).not.toThrow();
    expect(() => validateParamDefs(faultParams(), 's')).not.toThrow();
    // Written by hand without its type tag: refused, not `undefined` in setup whatever was pinned.
    expect(() => validateParamDefs({ which: { default: 'a', values: ['a', 'b'] } } as never, 's')).toThrow(/parameter which: its definition has no type \(null\): build it with param\.int, param\.float, param\.bool or param\.enum/);
  });
});

describe('network: split and uncut', () => {
  it('split blocks only between the named groups; others reach every side; uncut restores one link', () => {
    const w = new World(new Simulation({ seed: 1 }), {});
    for (const id of ['a', 'b', 'c', 'client']) w.addNode(id, () => ({}));
    w.net.split([['a'], ['b', 'c']]);
    expect(w.net.isBlocked('a', 'b')).toBe(true);
    expect(w.net.isBlocked('c', 'a')).toBe(true);
    expect(w.net.isBlocked('b', 'c')).toBe(false);
    expect(w.net.isBlocked('client', 'a')).toBe(false);
    expect(w.net.isBlocked('b', 'client')).toBe(false);
    w.net.uncut('a', 'b');
    expect(w.net.isBlocked('a', 'b')).toBe(false);
    expect(w.net.isBlocked('a', 'c')).toBe(true);
  });
});

describe('runner and node ergonomics', () => {
  it('a safety check returning an empty string is a violation, not a pass', () => {
    const s = defineScenario({ name: 't', description: '', params: {}, durationNs: ms(50), setup: (w) => w.safety('empty', () => '') });
    const r = runScenario(s, { seed: 1 });
    expect(r.outcome).toBe('safety');
    expect(r.violations[0]!.message).toContain('empty message');
  });

  it('a crash names the first frame outside the kernel first, without a doubled "at"', () => {
    const s = defineScenario({
      name: 't', description: '', params: {}, durationNs: ms(50),
      setup: (w) => { w.addNode('n1', (ctx) => { ctx.setTimer(10, function userCallback() { throw new Error('boom'); }); return {}; }); },
    });
    const r = runScenario(s, { seed: 1 });
    expect(r.outcome).toBe('crash');
    const m = r.violations[0]!.message;
    expect(m).toContain('Error: boom (at userCallback');
    expect(m).toContain('usability.test.ts');
    expect(m).not.toContain('at at');
  });

  it('fractional timer durations round on every node, drifting or not', () => {
    const fired: number[] = [];
    const s = defineScenario({
      name: 't', description: '', params: {}, durationNs: sec(1),
      setup: (w) => {
        w.addNode('n1', (ctx) => { ctx.setTimer(1000.5, () => fired.push(w.now)); return {}; });
        w.addNode('n2', (ctx) => { ctx.setTimer(1000.5, () => fired.push(w.now)); return {}; }, { clock: { offsetNs: 0, driftPpm: 50 } });
      },
    });
    const r = runScenario(s, { seed: 1 });
    expect(r.ok).toBe(true);
    expect(fired).toHaveLength(2);
    for (const t of fired) expect(Number.isInteger(t)).toBe(true);
  });

  it('standardNemesis without faultParams says what is missing', () => {
    const s = defineScenario({ name: 't', description: '', params: {}, durationNs: ms(50), setup: (w, p) => standardNemesis(w, p as never) });
    const r = runScenario(s, { seed: 1 });
    expect(r.outcome).toBe('crash');
    expect(r.violations[0]!.message).toMatch(/needs the parameters of faultParams\(\).*netLossRate/);
  });
});

describe('buggify in the liveness phase', () => {
  it('quiesce stops every site from firing but keeps counting reaches', async () => {
    const { Buggify } = await import('./buggify.ts');
    const { RngRoot } = await import('./prng.ts');
    const b = new Buggify(new RngRoot(3), { enabled: true, enableProbability: 1, fireProbability: 1 });
    expect(b.fire('s')).toBe(true);
    b.quiesce();
    for (let i = 0; i < 100; i++) expect(b.fire('s')).toBe(false);
    expect(b.report().reached.s).toBe(101);
    expect(b.report().fired.s).toBe(1);
  });

  it('the runner quiesces buggify when the faults stop', () => {
    let firedAfterHeal = 0;
    const s = defineScenario({
      name: 't', description: '', params: {}, durationNs: ms(100), livenessBoundNs: ms(100),
      setup: (w) => {
        const tick = (): void => {
          if (w.sim.buggify.fire('always') && w.phase === 'liveness') firedAfterHeal++;
          w.sim.schedule(ms(1), tick);
        };
        w.sim.schedule(0, tick);
        w.liveness('never', () => 'waiting');
      },
    });
    runScenario(s, { seed: 1 });
    expect(firedAfterHeal).toBe(0);
  });
});

describe('bug-zoo helpers', () => {
  it('findCatchingSeed reports the first failing seed and what caught it; failingSeeds lists a variant\'s failures', async () => {
    const { findCatchingSeed, failingSeeds } = await import('./bug-zoo.ts');
    const s = defineScenario({
      name: 't', description: '', params: { bug: param.enum(['none', 'odd'], { doc: '', default: 'none' }) }, durationNs: ms(10),
      setup: (w, p) => w.safety('even-seeds-only', () => (p.bug === 'odd' && Number(w.sim.seed) % 3 === 0 ? 'seed divisible by 3' : null)),
    });
    const c = findCatchingSeed(s, { pins: { bug: 'odd' }, cap: 10 });
    expect(c).toMatchObject({ seed: 3, seedsRun: 3, invariant: 'even-seeds-only', outcome: 'safety' });
    expect(findCatchingSeed(s, { pins: { bug: 'none' }, cap: 10 }).seed).toBeNull();
    expect(failingSeeds(s, { bug: 'odd' }, 1, 10).map((f) => f.seed)).toEqual([3, 6, 9]);
    expect(failingSeeds(s, { bug: 'none' }, 1, 10)).toEqual([]);
  });
});
