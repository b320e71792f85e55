import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { SeededRng } from '../../sim/prng.ts';
import { ms, sec } from '../../sim/time.ts';
import {
  ActiveRequestCounter,
  AdaptiveBalancer,
  BackendStats,
  LatencyWeighted,
  LeastRequest,
  RoundRobin,
  Selector,
  type Candidate,
  type PendingWrite,
  type StatsView,
} from './algorithms.ts';
import { StatusBoard } from './status-board.ts';
import { LbConfigError } from './errors.ts';

const cands = (...ids: string[]): Candidate[] => ids.map((id) => ({ id, weight: 1 }));

/** A fixed statistics view for tests. */
function fixedStats(active: Record<string, number>, latency: Record<string, number> = {}, errors: Record<string, number> = {}): StatsView {
  return { active: (id) => active[id] ?? 0, latencyEmaNs: (id) => latency[id], errorRate: (id) => errors[id] ?? 0 };
}

describe('RoundRobin (smooth weighted)', () => {
  it('rotates evenly with equal weights', () => {
    const rr = new RoundRobin();
    const c = cands('a', 'b', 'c');
    expect(Array.from({ length: 6 }, () => rr.pick(c))).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    expect(rr.pick([])).toBeUndefined();
  });

  it("interleaves weights smoothly (nginx's example: 5, 1, 1 gives a a b a c a a)", () => {
    const rr = new RoundRobin();
    const c = [
      { id: 'a', weight: 5 },
      { id: 'b', weight: 1 },
      { id: 'c', weight: 1 },
    ];
    expect(Array.from({ length: 7 }, () => rr.pick(c)).join(' ')).toBe('a a b a c a a');
  });

  it('gives each backend exactly k x weight picks over k x total picks (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 4 }), (ws, k) => {
        const rr = new RoundRobin();
        const c = ws.map((weight, i) => ({ id: `b${i}`, weight }));
        const total = ws.reduce((a, b) => a + b, 0);
        const counts = new Map<string, number>();
        for (let i = 0; i < k * total; i++) {
          const id = rr.pick(c) as string;
          counts.set(id, (counts.get(id) ?? 0) + 1);
        }
        ws.forEach((w, i) => expect(counts.get(`b${i}`) ?? 0).toBe(k * w));
      }),
    );
  });
});

describe('LeastRequest (power of two choices)', () => {
  it('never picks the unique busiest backend, and with N choices picks the least busy (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { minLength: 2, maxLength: 10 }), fc.nat(), (loads, seed) => {
        const c = loads.map((_, i) => ({ id: `b${i}`, weight: 1 }));
        const stats = fixedStats(Object.fromEntries(loads.map((l, i) => [`b${i}`, l])));
        const p2c = new LeastRequest(new SeededRng(seed, 'p2c'));
        const busiest = `b${loads.indexOf(Math.max(...loads))}`;
        for (let i = 0; i < 20; i++) expect(p2c.pick(c, stats)).not.toBe(busiest);
        const all = new LeastRequest(new SeededRng(seed, 'all'), loads.length);
        expect(all.pick(c, stats)).toBe(`b${loads.indexOf(Math.min(...loads))}`);
      }),
    );
  });

  it('balls into bins: two choices give a much smaller maximum load than one', () => {
    const n = 100;
    const maxLoad = (choices: number, seed: number) => {
      const load: Record<string, number> = {};
      const lr = new LeastRequest(new SeededRng(seed, 'bins'), choices);
      const c = Array.from({ length: n }, (_, i) => ({ id: `b${i}`, weight: 1 }));
      const stats = fixedStats(load);
      for (let i = 0; i < 10 * n; i++) {
        const id = lr.pick(c, stats) as string;
        load[id] = (load[id] ?? 0) + 1;
      }
      return Math.max(...Object.values(load));
    };
    for (const seed of [1, 2, 3]) expect(maxLoad(2, seed)).toBeLessThan(maxLoad(1, seed));
    for (const seed of [1, 2, 3]) expect(maxLoad(2, seed)).toBeLessThanOrEqual(13); // mean 10
    expect(() => new LeastRequest(new SeededRng(0, 'x'), 0)).toThrow(LbConfigError);
  });
});

describe('LatencyWeighted', () => {
  it('weights are w / (latency x (1 + error rate)), unknown latency taking the mean', () => {
    const lw = new LatencyWeighted(new SeededRng(0, 'lw'));
    const w = lw.weights(cands('fast', 'slow', 'err', 'new'), fixedStats({}, { fast: 100, slow: 400, err: 100 }, { err: 1 }));
    expect(w[0]).toBeCloseTo(1 / 100, 12);
    expect(w[1]).toBeCloseTo(1 / 400, 12);
    expect(w[2]).toBeCloseTo(1 / 200, 12);
    expect(w[3]).toBeCloseTo(1 / 200, 12); // mean of 100, 400, 100
  });

  it('picks in proportion to the weights', () => {
    const lw = new LatencyWeighted(new SeededRng(7, 'lw'));
    const c = cands('fast', 'slow');
    const stats = fixedStats({}, { fast: ms(1), slow: ms(3) });
    let fast = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) if (lw.pick(c, stats) === 'fast') fast++;
    expect(fast / n).toBeGreaterThan(0.73);
    expect(fast / n).toBeLessThan(0.77);
  });
});

describe('BackendStats', () => {
  it('keeps latency and error EMAs and the active count', () => {
    const s = new BackendStats({ latencyAlpha: 0.5, errorAlpha: 0.5 });
    expect(s.onStart('a')).toBeNull();
    expect(s.active('a')).toBe(1);
    s.onFinish('a', 100, true);
    expect(s.latencyEmaNs('a')).toBe(100);
    s.onStart('a');
    s.onFinish('a', 300, false);
    expect(s.latencyEmaNs('a')).toBe(200);
    expect(s.errorRate('a')).toBe(0.5);
    expect(s.active('a')).toBe(0);
    expect(() => new BackendStats({ latencyAlpha: 0 })).toThrow(LbConfigError);
  });

  it('reset forgets latency and errors but keeps the in-flight count (found by lb-crash: a readmitted backend starved)', () => {
    const s = new BackendStats();
    s.onStart('a');
    s.onStart('a');
    s.onFinish('a', 200_000_000, false);
    s.reset('a');
    expect(s.latencyEmaNs('a')).toBeUndefined();
    expect(s.errorRate('a')).toBe(0);
    expect(s.active('a')).toBe(1);
  });
});

describe('AdaptiveBalancer', () => {
  it('switches to latency-weighted only after the dwell time, and back when latencies even out', () => {
    const ab = new AdaptiveBalancer(new SeededRng(1, 'ad'), { minDwellNs: sec(1) });
    const c = cands('a', 'b');
    const even = fixedStats({}, { a: ms(1), b: ms(1.1) });
    const skewed = fixedStats({}, { a: ms(1), b: ms(5) });
    ab.pick(c, even, 0);
    expect(ab.mode).toBe('round-robin');
    ab.pick(c, skewed, sec(1));
    ab.pick(c, skewed, sec(2) - 1);
    expect(ab.mode).toBe('round-robin');
    ab.pick(c, skewed, sec(2));
    expect(ab.mode).toBe('latency-weighted');
    ab.pick(c, even, sec(3));
    ab.pick(c, skewed, sec(3.5)); // a blip shorter than the dwell: no flap
    ab.pick(c, even, sec(3.6));
    expect(ab.mode).toBe('latency-weighted');
    ab.pick(c, even, sec(4.6));
    expect(ab.mode).toBe('round-robin');
    expect(ab.history().map((s) => `${s.from}>${s.to}@${s.atNs}`)).toEqual([`round-robin>latency-weighted@${sec(2)}`, `latency-weighted>round-robin@${sec(4.6)}`]);
  });

  it('uses least-request when in-flight counts are uneven and latencies are not', () => {
    const ab = new AdaptiveBalancer(new SeededRng(1, 'ad'), { minDwellNs: 0 });
    const stats = fixedStats({ a: 10, b: 0, c: 1 });
    expect(ab.desiredMode(cands('a', 'b', 'c'), stats)).toBe('least-request');
    for (let i = 0; i < 20; i++) expect(ab.pick(cands('a', 'b', 'c'), stats, i)).not.toBe('a');
  });
});

describe('race 2: the non-atomic active-request counter', () => {
  it('loses an update when two read-modify-writes interleave; the atomic counter does not', () => {
    const bug = new ActiveRequestCounter({ nonAtomic: true });
    const r1 = bug.add('b', +1) as PendingWrite;
    const r2 = bug.add('b', +1) as PendingWrite; // read before r1's write
    bug.commit(r1);
    bug.commit(r2);
    expect(bug.get('b')).toBe(1); // should be 2
    const ok = new ActiveRequestCounter();
    expect(ok.add('b', +1)).toBeNull();
    expect(ok.add('b', +1)).toBeNull();
    expect(ok.get('b')).toBe(2);
    expect(() => ok.commit(r1)).toThrow();
  });

  /**
   * A miniature concurrent run: requests start and end at seeded times, and each counter update's
   * write step lands `gap` ns after its read step. Returns the count left after all requests end.
   */
  function residue(nonAtomic: boolean, seed: number): number {
    const rng = new SeededRng(seed, 'race2');
    const counter = new ActiveRequestCounter({ nonAtomic });
    type Ev = { t: number; seq: number; run: () => void };
    const events: Ev[] = [];
    let seq = 0;
    const at = (t: number, run: () => void) => events.push({ t, seq: seq++, run });
    const update = (t: number, delta: number) =>
      at(t, () => {
        const p = counter.add('b', delta);
        if (p !== null) at(t + 5, () => counter.commit(p));
      });
    for (let i = 0; i < 30; i++) {
      const start = rng.int(0, 200);
      update(start, +1);
      update(start + rng.int(1, 50), -1);
    }
    while (events.length > 0) {
      events.sort((a, b) => a.t - b.t || a.seq - b.seq);
      (events.shift() as Ev).run();
    }
    return counter.get('b');
  }

  it('in a seeded concurrent run the atomic count returns to 0 and the buggy one drifts, reproducibly', () => {
    const drift: number[] = [];
    for (let seed = 0; seed < 10; seed++) {
      expect(residue(false, seed)).toBe(0);
      drift.push(residue(true, seed));
      expect(residue(true, seed)).toBe(drift[seed]);
    }
    expect(drift.some((d) => d !== 0)).toBe(true);
  });
});

describe('race 1: selecting from a stale backend list', () => {
  const pickFirst = (c: readonly Candidate[]) => c[0]?.id;

  it('the correct selector honours a health change between arrival and choice; the stale one does not', () => {
    for (const stale of [false, true]) {
      const board = new StatusBoard([{ id: 'a' }, { id: 'b' }]);
      const sel = new Selector({ staleSnapshot: stale });
      const ticket = sel.begin(board);
      board.update('a', { healthy: false }); // the health checker runs in between
      const r = sel.finish(ticket, board, pickFirst);
      expect(r.backend).toBe(stale ? 'a' : 'b');
      expect(board.get(r.backend as string)?.healthy).toBe(!stale);
    }
  });

  /** No pick is unhealthy or draining at dispatch, over random interleavings of arrivals, choices and flips. */
  function neverStale(stale: boolean) {
    const step = fc.oneof(
      fc.record({ t: fc.constant('begin' as const) }),
      fc.record({ t: fc.constant('finish' as const), k: fc.nat() }),
      fc.record({ t: fc.constant('flip' as const), b: fc.integer({ min: 0, max: 2 }), draining: fc.boolean() }),
    );
    return fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
      const board = new StatusBoard([{ id: 'b0' }, { id: 'b1' }, { id: 'b2' }]);
      const sel = new Selector({ staleSnapshot: stale });
      const rr = new RoundRobin();
      const pending: ReturnType<Selector['begin']>[] = [];
      for (const s of steps) {
        if (s.t === 'begin') pending.push(sel.begin(board));
        else if (s.t === 'flip') {
          const cur = board.get(`b${s.b}`);
          board.update(`b${s.b}`, s.draining ? { draining: !cur?.draining } : { healthy: !cur?.healthy });
        } else if (pending.length > 0) {
          const [ticket] = pending.splice(s.k % pending.length, 1);
          const r = sel.finish(ticket!, board, (c) => rr.pick(c));
          if (r.backend !== undefined) {
            const st = board.get(r.backend);
            expect(st?.healthy && !st.draining).toBe(true);
          }
        }
      }
    });
  }

  it('without the bug, no pick is ever unhealthy or draining at dispatch (property over interleavings)', () => {
    fc.assert(neverStale(false), { numRuns: 200 });
  });

  it('with the bug, fast-check finds an interleaving that dispatches to a backend marked down', () => {
    expect(fc.check(neverStale(true), { numRuns: 500, seed: 42 }).failed).toBe(true);
  });

  it('degraded backends are offered at reduced weight', () => {
    const board = new StatusBoard([{ id: 'a', weight: 4 }, { id: 'b', weight: 4 }]);
    board.update('b', { degraded: true });
    let seen: readonly Candidate[] = [];
    new Selector().finish(new Selector().begin(board), board, (c) => {
      seen = c;
      return undefined;
    });
    expect(seen).toEqual([
      { id: 'a', weight: 4 },
      { id: 'b', weight: 2 },
    ]);
  });
});
