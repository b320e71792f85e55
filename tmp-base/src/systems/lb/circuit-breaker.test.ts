import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { CircuitBreaker, OutlierDetector, type BreakerState, type CircuitBreakerConfig } from './circuit-breaker.ts';
import { LbConfigError } from './errors.ts';
import { sec } from '../../sim/time.ts';

const cfg: CircuitBreakerConfig = { failureThreshold: 3, openDurationNs: sec(10), halfOpenMaxRequests: 2, successThreshold: 2 };

describe('CircuitBreaker', () => {
  it('closed -> open after the threshold, refuses while open, half-open after the timer, closed after trial successes', () => {
    const cb = new CircuitBreaker(cfg);
    expect(cb.onFailure(1)).toBeNull();
    expect(cb.onFailure(2)).toBeNull();
    expect(cb.onFailure(3)).toMatchObject({ from: 'closed', to: 'open', atNs: 3 });
    expect(cb.tryAcquire(4)).toEqual({ allowed: false, state: 'open', retryAtNs: 3 + sec(10) });
    expect(cb.state(3 + sec(10) - 1)).toBe('open');
    expect(cb.tryAcquire(3 + sec(10))).toEqual({ allowed: true, state: 'half-open' });
    expect(cb.tryAcquire(3 + sec(10))).toEqual({ allowed: true, state: 'half-open' });
    expect(cb.tryAcquire(3 + sec(10)).allowed).toBe(false); // both trial slots taken
    expect(cb.onSuccess(sec(11))).toBeNull();
    expect(cb.onSuccess(sec(12))).toMatchObject({ from: 'half-open', to: 'closed' });
    expect(cb.transitions().map((t) => t.to)).toEqual(['open', 'half-open', 'closed']);
  });

  it('a success in closed state resets the failure count', () => {
    const cb = new CircuitBreaker(cfg);
    cb.onFailure(1);
    cb.onFailure(2);
    cb.onSuccess(3);
    cb.onFailure(4);
    cb.onFailure(5);
    expect(cb.state(6)).toBe('closed');
  });

  it('a trial failure in half-open reopens for a full open duration', () => {
    const cb = new CircuitBreaker({ ...cfg, failureThreshold: 1 });
    cb.onFailure(0);
    expect(cb.tryAcquire(sec(10)).allowed).toBe(true);
    expect(cb.onFailure(sec(11))).toMatchObject({ from: 'half-open', to: 'open', atNs: sec(11) });
    expect(cb.state(sec(21) - 1)).toBe('open');
    expect(cb.state(sec(21))).toBe('half-open');
  });

  it('opens when a majority of peers are open (seed 004)', () => {
    const cb = new CircuitBreaker(cfg);
    expect(cb.onPeerStates(['open', 'closed'], 0)).toBeNull();
    expect(cb.onPeerStates(['open', 'open', 'closed'], 1)).toMatchObject({ to: 'open', reason: '2/3 peers open' });
  });

  it('rejects bad configurations', () => {
    expect(() => new CircuitBreaker({ ...cfg, failureThreshold: 0 })).toThrow(LbConfigError);
    expect(() => new CircuitBreaker({ ...cfg, openDurationNs: 0 })).toThrow(LbConfigError);
  });

  it('only legal transitions happen, at the right counts, under random operation sequences (property)', () => {
    const legal = new Set(['closed>open', 'open>half-open', 'half-open>open', 'half-open>closed']);
    const op = fc.oneof(fc.constant('acquire' as const), fc.constant('ok' as const), fc.constant('fail' as const), fc.integer({ min: 1, max: sec(6) }));
    fc.assert(
      fc.property(
        fc.record({ failureThreshold: fc.integer({ min: 1, max: 4 }), halfOpenMaxRequests: fc.integer({ min: 1, max: 3 }), successThreshold: fc.integer({ min: 1, max: 3 }) }),
        fc.array(op, { maxLength: 120 }),
        (c, ops) => {
          const cb = new CircuitBreaker({ ...c, openDurationNs: sec(10) });
          let now = 0;
          let closedFailures = 0;
          let trials = 0;
          for (const o of ops) {
            const before: BreakerState = cb.state(now);
            if (before !== 'closed') closedFailures = 0;
            if (typeof o === 'number') {
              now += o;
              continue;
            }
            if (o === 'acquire') {
              const r = cb.tryAcquire(now);
              if (before === 'open') expect(r.allowed).toBe(false);
              if (before === 'closed') expect(r.allowed).toBe(true);
              if (before === 'half-open' && r.allowed) trials++;
              expect(trials).toBeLessThanOrEqual(c.halfOpenMaxRequests);
            } else {
              const t = o === 'ok' ? cb.onSuccess(now) : cb.onFailure(now);
              if (before === 'closed') closedFailures = o === 'fail' ? closedFailures + 1 : 0;
              if (t !== null) {
                expect(legal.has(`${t.from}>${t.to}`)).toBe(true);
                if (t.from === 'closed') expect(closedFailures).toBe(c.failureThreshold);
                closedFailures = 0;
                trials = 0;
              } else if (before === 'half-open' && o === 'ok') trials = Math.max(0, trials - 1);
            }
          }
          for (const t of cb.transitions()) expect(legal.has(`${t.from}>${t.to}`)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('OutlierDetector', () => {
  const oc = { consecutive5xx: 3, baseEjectionTimeNs: sec(30), maxEjectionTimeNs: sec(75), maxEjectionPercent: 50 };

  it('ejects after consecutive failures for base x times-ejected, capped, and unejects on tick', () => {
    const od = new OutlierDetector(oc, ['a', 'b', 'c', 'd']);
    od.onResult('a', false, 0);
    od.onResult('a', false, 1);
    expect(od.onResult('a', false, 2)).toEqual({ type: 'eject', backend: 'a', untilNs: 2 + sec(30), ejections: 1 });
    expect(od.isEjected('a', sec(30) + 1)).toBe(true);
    expect(od.nextWakeNs()).toBe(2 + sec(30));
    expect(od.tick(sec(31))).toEqual([{ type: 'uneject', backend: 'a', atNs: 2 + sec(30) }]);
    for (const t of [1, 2, 3]) od.onResult('a', false, sec(40) + t);
    expect(od.isEjected('a', sec(40) + 3 + sec(60) - 1)).toBe(true);
    od.tick(sec(200));
    for (const t of [1, 2, 3]) od.onResult('a', false, sec(200) + t);
    expect(od.ejected(sec(200) + 3 + sec(75) - 1)).toEqual(['a']); // 3 x 30 s capped at 75 s
    expect(od.ejected(sec(200) + 3 + sec(75))).toEqual([]);
  });

  it('a success resets the streak', () => {
    const od = new OutlierDetector(oc, ['a', 'b']);
    od.onResult('a', false, 0);
    od.onResult('a', false, 0);
    od.onResult('a', true, 0);
    expect(od.onResult('a', false, 0)).toBeNull();
    expect(od.isEjected('a', 1)).toBe(false);
  });

  it('never ejects more than maxEjectionPercent of the pool', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 100 }), (n, pct) => {
        const pool = Array.from({ length: n }, (_, i) => `b${i}`);
        const od = new OutlierDetector({ ...oc, maxEjectionPercent: pct }, pool);
        for (const b of pool) for (let i = 0; i < 3; i++) od.onResult(b, false, 5);
        expect(od.ejected(5).length).toBe(Math.floor((n * pct) / 100));
      }),
    );
  });
});
