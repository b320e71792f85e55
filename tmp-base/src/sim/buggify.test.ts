import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Buggify, DEFAULT_BUGGIFY } from './buggify.ts';
import { RngRoot } from './prng.ts';

const siteArb = fc.string({ minLength: 1, maxLength: 10 });

/** Whether `site` is enabled for the run: reach it once, then read the report. */
function enabledAfter(b: Buggify, site: string): boolean {
  b.fire(site);
  return b.report().enabledSites.includes(site);
}

describe('Buggify', () => {
  it("a site's enabled decision depends only on (seed, site), not on sites reached before", () => {
    fc.assert(
      fc.property(fc.integer(), siteArb, fc.array(fc.tuple(siteArb, fc.integer({ min: 1, max: 5 })), { maxLength: 20 }), (seed, site, before) => {
        const fresh = new Buggify(new RngRoot(seed), { enabled: true, enableProbability: 0.5, fireProbability: 0.5 });
        const expected = enabledAfter(fresh, site);
        const busy = new Buggify(new RngRoot(seed), { enabled: true, enableProbability: 0.5, fireProbability: 0.5 });
        for (const [s, times] of before) for (let i = 0; i < times; i++) busy.fire(s);
        expect(enabledAfter(busy, site)).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it("a site's sequence of fire decisions is independent of other sites' draws", () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(fc.boolean(), { maxLength: 100 }), (seed, pattern) => {
        const opts = { enabled: true, enableProbability: 1, fireProbability: 0.5 };
        const alone = new Buggify(new RngRoot(seed), opts);
        const want = pattern.filter((x) => !x).map(() => alone.fire('target'));
        const mixed = new Buggify(new RngRoot(seed), opts);
        const got: boolean[] = [];
        for (const other of pattern) {
          if (other) mixed.fire('other');
          else got.push(mixed.fire('target'));
        }
        expect(got).toEqual(want);
      }),
      { numRuns: 100 },
    );
  });

  it('with buggify off nothing ever fires and no site is recorded', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(siteArb, { maxLength: 50 }), (seed, sites) => {
        const b = new Buggify(new RngRoot(seed), { enabled: false, enableProbability: 1, fireProbability: 1 });
        for (const s of sites) {
          expect(b.fire(s)).toBe(false);
          expect(b.value(s, 'normal', 'buggy')).toBe('normal');
        }
        const r = b.report();
        expect(r.enabled).toBe(false);
        expect(r.enabledSites).toEqual([]);
      }),
      { numRuns: 50 },
    );
  });

  it('enable and fire rates are close to the configured probabilities', () => {
    const b = new Buggify(new RngRoot('rates'), { enabled: true, enableProbability: 0.25, fireProbability: 0.4 });
    const sites = Array.from({ length: 2000 }, (_, i) => `site-${i}`);
    for (const s of sites) for (let i = 0; i < 50; i++) b.fire(s);
    const r = b.report();
    const enabledShare = r.enabledSites.length / sites.length;
    expect(enabledShare).toBeGreaterThan(0.2);
    expect(enabledShare).toBeLessThan(0.3);
    let fired = 0;
    for (const s of r.enabledSites) fired += r.fired[s]!;
    const fireShare = fired / (r.enabledSites.length * 50);
    expect(fireShare).toBeGreaterThan(0.35);
    expect(fireShare).toBeLessThan(0.45);
    // Disabled sites never fire, and every reach is counted.
    for (const s of sites) {
      expect(r.reached[s]).toBe(50);
      if (!r.enabledSites.includes(s)) expect(r.fired[s]).toBeUndefined();
    }
  });

  it('value() returns the buggy value exactly when the site fires; report is sorted', () => {
    const opts = { ...DEFAULT_BUGGIFY, enableProbability: 1, fireProbability: 0.5 };
    const a = new Buggify(new RngRoot(9), opts);
    const b = new Buggify(new RngRoot(9), opts);
    let buggy = 0;
    for (let i = 0; i < 200; i++) {
      const fired = a.fire('x');
      const v = b.value('x', 1, 2);
      expect(v).toBe(fired ? 2 : 1);
      if (fired) buggy++;
    }
    expect(buggy).toBeGreaterThan(60);
    expect(buggy).toBeLessThan(140);
    a.fire('c');
    a.fire('a');
    expect(a.report().enabledSites).toEqual(['a', 'c', 'x']);
    expect(a.report().fired.x).toBe(buggy);
  });

  it('the same seed enables the same sites; other seeds enable others', () => {
    const sites = Array.from({ length: 64 }, (_, i) => `s${i}`);
    const enabled = (seed: number): string[] => {
      const b = new Buggify(new RngRoot(seed));
      for (const s of sites) b.fire(s);
      return b.report().enabledSites;
    };
    expect(enabled(1)).toEqual(enabled(1));
    expect(enabled(1)).not.toEqual(enabled(2));
  });
});
