/**
 * The broadcast scenario's checks catch its bug zoo, and the liveness check's message stays
 * exact while it keeps state between polls (it no longer rescans the acknowledged list).
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../sim/runner.ts';
import broadcast from './broadcast.ts';

describe('broadcast bug zoo', () => {
  it('drop-gossip (n1 ignores its peers): caught by all-acked-delivered-everywhere, naming what n1 lacks', () => {
    const r = runScenario(broadcast, { seed: 1, swarm: false, pins: { bug: 'drop-gossip' } });
    expect(r.outcome).toBe('liveness');
    const p = r.pending.find((x) => x.property === 'all-acked-delivered-everywhere');
    expect(p?.reason).toMatch(/^n1 lacks (\d+) of (\d+) acknowledged value\(s\), e\.g\. \d+$/);
    const [, lacks, of] = /lacks (\d+) of (\d+)/.exec(p!.reason)!.map(Number);
    expect(lacks).toBeGreaterThan(0);
    expect(lacks).toBeLessThan(of!); // n1 still gets what clients hand it directly
  });

  it('phantom (n1 invents values): caught by no-phantom-delivery', () => {
    const r = runScenario(broadcast, { seed: 1, swarm: false, pins: { bug: 'phantom' } });
    expect(r.outcome).toBe('safety');
    expect(r.violations[0]?.invariant).toBe('no-phantom-delivery');
    expect(r.violations[0]?.message).toMatch(/^n1 delivered -\d+, which no client broadcast$/);
  });

  it('the correct system passes a run 10x the default length (restarts keep their incarnation and marks)', () => {
    const r = runScenario(broadcast, { seed: 3, swarm: false, pins: { durationS: 100 } });
    expect(r.outcome).toBe('pass');
  });
});
