/**
 * leader-stable: a healthy cluster keeps its leader, unchallenged, after the faults stop. The bug
 * it exists for breaks nothing else: a follower campaigning whenever a heartbeat is a little late
 * is refused by PreVote and the followers' lease, so terms, logs and histories stay correct, and
 * a leader exists at almost every poll. Measured when written: caught at seed 1 of raft-election;
 * with the property switched off, seeds 1-10 pass every other check.
 */
import { describe, expect, it } from 'vitest';
import { failingSeeds, findCatchingSeed } from '../../sim/bug-zoo.ts';
import { runScenario } from '../../sim/runner.ts';
import type { Scenario } from '../../sim/scenario.ts';
import election from '../../scenarios/raft-election.ts';
import lossy from '../../scenarios/raft-lossy-network.ts';
import { stableWindowNs } from './leader-stability.ts';

describe('leader-stable', () => {
  it('requires two maximum election timeouts, stretched by the drift bound', () => {
    // 2 x 30 ticks x 10 ms x 1.05.
    expect(stableWindowNs({})).toBe(630_000_000);
    expect(stableWindowNs({ electionTicksMax: 40, maxDriftRatio: 0 })).toBe(800_000_000);
  });

  it('campaign-on-heartbeat-silence: caught on raft-election by leader-stable alone; the correct system passes', () => {
    const scn = election as unknown as Scenario;
    const c = findCatchingSeed(scn, { pins: { bug: 'campaign-on-heartbeat-silence' }, cap: 10 });
    console.log(`bug-zoo campaign-on-heartbeat-silence: caught on ${scn.name} at seed ${c.seed ?? 'none'} by ${c.invariant ?? '-'}`);
    expect(c.outcome).toBe('liveness');
    expect(c.invariant).toBe('leader-stable');
    expect(c.result!.violations[0]!.message).toMatch(/campaigns since the heal/);
    const seed = c.seed!;
    // Every other check passes the same seeds (and more): nothing else sees election churn.
    const without = findCatchingSeed(scn, { pins: { bug: 'campaign-on-heartbeat-silence' }, cap: Math.max(seed, 10), ignore: ['leader-stable'] });
    expect(without.seed, `other checks: ${without.invariant ?? ''} ${without.result?.violations[0]?.message ?? ''}`).toBeNull();
    expect(failingSeeds(scn, { bug: 'none' }, 1, Math.max(seed, 10)), `correct system, ${scn.name}`).toEqual([]);
  }, 180_000);

  it('a correct cluster holds it after a lossy, duplicating, reordering fault phase', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const r = runScenario(lossy as unknown as Scenario, { seed, swarm: true, buggify: true });
      expect(r.ok, `seed ${seed}: ${r.violations[0]?.message ?? ''}`).toBe(true);
    }
  }, 120_000);
});
