/**
 * The job source seam and the shard arithmetic: lazy, disjoint, covering, balanced.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countInShard, ListSource, parseShard, plannedRuns, SeedRangeSource, shardOf, type SweepJob } from './jobs.ts';

const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `s${String.fromCharCode(97 + ((i * 7) % 26))}${i}`);

function drain(src: SeedRangeSource): SweepJob[] {
  const out: SweepJob[] = [];
  for (let j = src.next(); j; j = src.next()) out.push(j);
  return out;
}

function source(scns: string[], seeds: number, from: number, shard: { k: number; n: number } | null): SeedRangeSource {
  return new SeedRangeSource(scns.map((name) => ({ name, file: `/x/${name}.ts`, pins: {} })), { seeds, from, shard, swarm: true, buggify: true, checkDeterminism: false });
}

describe('SeedRangeSource', () => {
  it('N shards are disjoint, together exactly the unsharded sweep, each within one seed of 1/N of every scenario', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 7 }), (nScn, seeds, from, n) => {
        const scns = names(nScn);
        const whole = drain(source(scns, seeds, from, null)).map((j) => `${j.scenario}#${j.seed}`);
        expect(new Set(whole).size).toBe(nScn * seeds);
        const seen = new Map<string, number>();
        const totals: number[] = [];
        for (let k = 1; k <= n; k++) {
          const src = source(scns, seeds, from, { k, n });
          const jobs = drain(src);
          expect(jobs.length).toBe(src.total());
          expect(plannedRuns(scns, seeds, { k, n })).toBe(jobs.length);
          totals.push(jobs.length);
          for (const j of jobs) {
            const key = `${j.scenario}#${j.seed}`;
            expect(seen.has(key), `${key} in shards ${seen.get(key)} and ${k}`).toBe(false);
            seen.set(key, k);
          }
          // Balanced by cost whatever the scenarios cost: every shard has seeds/N (rounded) of each scenario.
          for (const s of scns) {
            const c = jobs.filter((j) => j.scenario === s).length;
            expect(c).toBeGreaterThanOrEqual(Math.floor(seeds / n));
            expect(c).toBeLessThanOrEqual(Math.ceil(seeds / n));
          }
        }
        expect([...seen.keys()].sort()).toEqual([...whole].sort());
        // The rounding remainders are laid end to end: shard totals differ by at most one run.
        expect(Math.max(...totals) - Math.min(...totals)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 150 },
    );
  });

  it('a shard depends on the scenario names, not on the order they were given in', () => {
    const a = drain(source(['b', 'a', 'c'], 10, 1, { k: 2, n: 3 })).map((j) => `${j.scenario}#${j.seed}`).sort();
    const b = drain(source(['c', 'b', 'a'], 10, 1, { k: 2, n: 3 })).map((j) => `${j.scenario}#${j.seed}`).sort();
    expect(a).toEqual(b);
  });

  it('is lazy: 10^11 seeds per scenario start at once, seed-major (every scenario gets its first seeds first)', () => {
    const src = source(['a', 'b'], 1e11, 1, null);
    expect(src.total()).toBe(2e11);
    const first = [src.next()!, src.next()!, src.next()!, src.next()!];
    expect(first.map((j) => `${j.scenario}#${j.seed}`)).toEqual(['a#1', 'b#1', 'a#2', 'b#2']);
    expect(src.done()).toBe(false);
    const sharded = source(['a', 'b'], 1e11, 5, { k: 3, n: 1000 });
    expect(sharded.total()).toBe(countInShard(0, 1e11, { k: 3, n: 1000 }) + countInShard(1, 1e11, { k: 3, n: 1000 }));
    expect(sharded.next()!.seed).toBe(5 + 2);
    for (let j = 0; j < 50; j++) expect(shardOf(1, j, 1e11, 1000)).toBe(1 + (j % 1000));
  });

  it('ListSource hands out its jobs once, with ids', () => {
    const l = new ListSource([{ file: 'f', scenario: 'a', seed: 3, pins: {}, swarm: false, buggify: true, checkDeterminism: false }]);
    expect(l.total()).toBe(1);
    expect(l.next()).toMatchObject({ id: 0, seed: 3 });
    expect(l.next()).toBeNull();
    expect(l.done()).toBe(true);
  });

  it('parses K/N and refuses anything else', () => {
    expect(parseShard('2/3')).toEqual({ k: 2, n: 3 });
    for (const bad of ['0/3', '4/3', '1/0', 'a/b', '2', '-1/3', '1/3/4']) expect(parseShard(bad), bad).toBeNull();
  });
});
