import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { SeededRng } from '../../sim/prng.ts';
import { sec, ms } from '../../sim/time.ts';
import { detectionTimeNs, HealthChecker, routingWeight, VantageAggregator, type HealthAction, type HealthCheckConfig, type ProbeOutcome } from './health.ts';
import { LbConfigError } from './errors.ts';

/**
 * A tiny kernel: wakes the checker when it asks, answers each probe at once with `answer(t)`
 * (undefined = black hole, so the probe times out), and collects every action.
 */
function run(hc: HealthChecker, untilNs: number, answer: (t: number) => ProbeOutcome | undefined): HealthAction[] {
  const log: HealthAction[] = [];
  for (let guard = 0; guard < 100_000; guard++) {
    const t = hc.nextWakeNs();
    if (t > untilNs) return log;
    for (const a of hc.tick(t)) {
      log.push(a);
      if (a.type === 'probe') {
        const o = answer(t);
        if (o !== undefined) log.push(...hc.onProbeResult(a.probeId, o, t));
      }
    }
  }
  throw new Error('run: too many steps');
}

const transitions = (log: HealthAction[]) => log.filter((a) => a.type === 'transition');
const probes = (log: HealthAction[]) => log.filter((a) => a.type === 'probe');

describe('HealthChecker: detection time = interval x threshold + timeout (seed 003)', () => {
  it("gives the seed's three example configurations", () => {
    expect(detectionTimeNs({ intervalNs: sec(2), unhealthyThreshold: 2, timeoutNs: sec(1) })).toBe(sec(5));
    expect(detectionTimeNs({ intervalNs: sec(5), unhealthyThreshold: 3, timeoutNs: sec(2) })).toBe(sec(17));
    expect(detectionTimeNs({ intervalNs: sec(10), unhealthyThreshold: 5, timeoutNs: sec(5) })).toBe(sec(55));
  });

  const arbConfig = fc.record({
    intervalNs: fc.integer({ min: 1, max: 10 }).map((s) => sec(s)),
    timeoutFraction: fc.double({ min: 0.05, max: 1, noNaN: true }),
    unhealthyThreshold: fc.integer({ min: 1, max: 6 }),
    healthyThreshold: fc.integer({ min: 1, max: 6 }),
    aliveProbes: fc.integer({ min: 1, max: 5 }),
    offByOne: fc.boolean(),
  });

  it('a black-holed backend is marked unhealthy exactly at the formula after its last good probe (property)', () => {
    fc.assert(
      fc.property(arbConfig, (c) => {
        const cfg: HealthCheckConfig = {
          kind: 'l7-http',
          intervalNs: c.intervalNs,
          timeoutNs: Math.max(1, Math.floor(c.intervalNs * c.timeoutFraction)),
          unhealthyThreshold: c.unhealthyThreshold,
          healthyThreshold: c.healthyThreshold,
          thresholdOffByOne: c.offByOne,
        };
        const hc = new HealthChecker('b1', cfg, new SeededRng(1, 'hc'), 0);
        // Probes start at 0, I, 2I, ...; the backend dies just after answering probe number aliveProbes.
        const lastGood = (c.aliveProbes - 1) * cfg.intervalNs;
        const log = run(hc, lastGood + 10 * cfg.intervalNs, (t) => (t <= lastGood ? { type: 'http', status: 200 } : undefined));
        const down = transitions(log);
        expect(down.length).toBe(1);
        const expected = detectionTimeNs(cfg) + (c.offByOne ? cfg.intervalNs : 0);
        expect(down[0]?.atNs! - lastGood).toBe(expected);
        expect(hc.status).toBe('unhealthy');
      }),
      { numRuns: 200 },
    );
  });

  it('with jitter, detection falls in [formula, formula + threshold x max jitter] and replays per seed', () => {
    const cfg: HealthCheckConfig = {
      kind: 'l4-connect',
      intervalNs: sec(5),
      timeoutNs: sec(2),
      unhealthyThreshold: 3,
      healthyThreshold: 2,
      jitterFraction: 0.2,
    };
    const times = (seed: number) => {
      const hc = new HealthChecker('b', cfg, new SeededRng(seed, 'hc'), 0);
      const log = run(hc, sec(60), () => undefined);
      return { first: probes(log)[0]?.deadlineNs, down: transitions(log)[0]?.atNs, starts: probes(log).map((p) => p.deadlineNs) };
    };
    for (let seed = 0; seed < 20; seed++) {
      const r = times(seed);
      // Dead from the start: the first probe is at most one jitter late, then three failures.
      const firstStart = (r.first as number) - cfg.timeoutNs;
      const detect = (r.down as number) - firstStart;
      expect(detect).toBeGreaterThanOrEqual(2 * cfg.intervalNs + cfg.timeoutNs);
      expect(detect).toBeLessThanOrEqual(2 * cfg.intervalNs + cfg.timeoutNs + 2 * 0.2 * cfg.intervalNs);
      expect(times(seed)).toEqual(r);
    }
    expect(times(1).starts).not.toEqual(times(2).starts);
  });
});

describe('HealthChecker: transitions', () => {
  const base: HealthCheckConfig = { kind: 'l7-http', intervalNs: sec(1), timeoutNs: ms(500), unhealthyThreshold: 2, healthyThreshold: 3 };

  it('needs healthyThreshold consecutive successes to come back, and a failure resets the count', () => {
    const hc = new HealthChecker('b', { ...base, initiallyHealthy: false }, new SeededRng(0, 'x'), 0);
    // Successes at 0 and 1 s, a 503 at 2 s, then successes from 3 s: healthy after the third, at 5 s.
    const log = run(hc, sec(8), (t) => ({ type: 'http', status: t === sec(2) ? 503 : 200 }));
    const up = transitions(log);
    expect(up.length).toBe(1);
    expect(up[0]).toMatchObject({ from: 'unhealthy', to: 'healthy', atNs: sec(5), effect: 'routing' });
  });

  it('counts statuses outside the ok range and refused connects as failures', () => {
    const hc = new HealthChecker('b', base, new SeededRng(0, 'x'), 0);
    const log = run(hc, sec(3), (t) => (t === 0 ? { type: 'refused' } : { type: 'http', status: 302 }));
    expect(transitions(log)[0]).toMatchObject({ to: 'unhealthy', atNs: sec(1) });
    const lenient = new HealthChecker('b', { ...base, okStatusMax: 399 }, new SeededRng(0, 'x'), 0);
    expect(transitions(run(lenient, sec(3), () => ({ type: 'http', status: 302 })))).toEqual([]);
  });

  it('ignores a result that arrives after the deadline or for an unknown probe', () => {
    const hc = new HealthChecker('b', { ...base, unhealthyThreshold: 1 }, new SeededRng(0, 'x'), 0);
    const [p] = hc.tick(0);
    expect(p?.type).toBe('probe');
    const id = (p as { probeId: number }).probeId;
    expect(hc.onProbeResult(id + 1, { type: 'http', status: 200 }, 1)).toEqual([]);
    expect(hc.onProbeResult(id, { type: 'http', status: 200 }, ms(500))).toEqual([]);
    expect(hc.tick(ms(500))).toMatchObject([{ type: 'transition', to: 'unhealthy', reason: 'timeout (1 consecutive)' }]);
  });

  it('deep checks only degrade: the transition effect is degrade and the weight halves', () => {
    const hc = new HealthChecker('b', { ...base, kind: 'deep' }, new SeededRng(0, 'x'), 0);
    const log = run(hc, sec(3), () => ({ type: 'http', status: 503 }));
    expect(transitions(log)[0]).toMatchObject({ effect: 'degrade', to: 'unhealthy' });
    expect(routingWeight(10, 'healthy', hc.status === 'unhealthy')).toBe(5);
    expect(routingWeight(10, 'unhealthy', false)).toBe(0);
    expect(routingWeight(10, 'healthy', false)).toBe(10);
  });

  it('rejects bad configurations with a typed error', () => {
    const bad = [
      { ...base, timeoutNs: sec(2) },
      { ...base, intervalNs: 0 },
      { ...base, unhealthyThreshold: 0 },
      { ...base, healthyThreshold: 1.5 },
      { ...base, jitterFraction: 2 },
    ];
    for (const cfg of bad) expect(() => new HealthChecker('b', cfg, new SeededRng(0, 'x'), 0)).toThrow(LbConfigError);
  });
});

describe('VantageAggregator: several balancers must agree before a backend is removed', () => {
  it('a partition between one balancer and a backend does not remove it; a real death does', () => {
    const agg = new VantageAggregator({ vantages: ['lb1', 'lb2', 'lb3'] });
    agg.report('lb1', 'b', 'unhealthy', 0);
    agg.report('lb2', 'b', 'healthy', 0);
    agg.report('lb3', 'b', 'healthy', 0);
    expect(agg.verdict('b', 0)).toBe('healthy');
    agg.report('lb2', 'b', 'unhealthy', 1);
    expect(agg.verdict('b', 1)).toBe('unhealthy');
    expect(agg.verdict('never-reported', 1)).toBe('healthy');
  });

  it('stale reports stop counting', () => {
    const agg = new VantageAggregator({ vantages: ['a', 'b', 'c'], maxAgeNs: sec(10) });
    agg.report('a', 'x', 'unhealthy', 0);
    agg.report('b', 'x', 'unhealthy', sec(5));
    expect(agg.verdict('x', sec(10))).toBe('unhealthy');
    expect(agg.verdict('x', sec(10) + 1)).toBe('healthy');
  });

  it('verdict is unhealthy iff votes reach the quorum (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 9 }), fc.nat(), (votes, q) => {
        const vantages = votes.map((_, i) => `v${i}`);
        const quorum = 1 + (q % vantages.length);
        const agg = new VantageAggregator({ vantages, quorum });
        votes.forEach((down, i) => agg.report(`v${i}`, 'b', down ? 'unhealthy' : 'healthy', 0));
        const n = votes.filter(Boolean).length;
        expect(agg.unhealthyVotes('b', 0)).toBe(n);
        expect(agg.verdict('b', 0)).toBe(n >= quorum ? 'unhealthy' : 'healthy');
      }),
    );
    expect(() => new VantageAggregator({ vantages: ['a'], quorum: 2 })).toThrow(LbConfigError);
  });
});
