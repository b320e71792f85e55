/**
 * Raft's protocol cost in messages (issue 17) and its timeouts on a slow network, measured on the
 * simulated network's per-type counts of a config-store cluster.
 */
import { describe, expect, it } from 'vitest';
import { measureRaftMessages } from './message-cost.ts';
import { timeToLeaderAfterHeal } from './slow-heal.ts';
import { sec } from '../../sim/time.ts';

describe('Raft message cost', () => {
  it('10 entries on 3 servers take at most 42 request messages (the commit index rides on appends and heartbeats)', () => {
    const figures: string[] = [];
    for (const burst of [false, true]) {
      for (let seed = 1; seed <= 5; seed++) {
        const m = measureRaftMessages({ seed, burst, idleS: 1 });
        figures.push(`${burst ? 'burst' : 'one by one'} seed ${seed}: ${m.agreementRequests} requests (${m.agreementAppends} appends), ${m.requestsPerEntry}/entry`);
        expect(m.agreementRequests).toBeLessThanOrEqual(42);
        // One append per follower per entry, and a heartbeat or two: an empty append per
        // follower per commit advance (the old behaviour: 40-42 here) would break this.
        expect(m.agreementAppends).toBe(20);
        expect(m.requestsPerEntry).toBeLessThanOrEqual(2.6);
      }
    }
    console.log(`raft 10 entries / 3 servers: ${figures.join('; ')}`);
  });

  it('an idle cluster costs its heartbeats only; an election costs a pre-vote and a vote round', () => {
    const m = measureRaftMessages({ seed: 1, servers: 5, idleS: 5 });
    // 4 followers x one heartbeat per 50 ms.
    expect(m.idleRequestsPerSecond).toBe(80);
    // 4 pre-votes, 4 replies, 4 votes, 4 replies when the first candidate wins.
    expect(m.electionMessages).toBeGreaterThanOrEqual(16);
    expect(m.electionMessages).toBeLessThanOrEqual(48);
    expect(m.agreementAppends).toBe(40); // one per follower per entry
    expect(m.requestsPerEntry).toBeLessThanOrEqual(5);
  });

  it('a wasteful leader (bugResendOnHeartbeat) costs visibly more per idle second', () => {
    const ok = measureRaftMessages({ seed: 2, idleS: 5 });
    const bad = measureRaftMessages({ seed: 2, idleS: 5, config: { bugResendOnHeartbeat: true }, ignoreInvariants: ['append-budget'] });
    expect(bad.idleRequestsPerSecond).toBeGreaterThanOrEqual(ok.idleRequestsPerSecond * 1.9);
  });
});

describe('Raft timeouts on a slow network (replies 200 ms + uniform 0..2,000 ms)', () => {
  const BOUND_S = 15;
  it(`a healed cluster elects a leader everyone follows within ${BOUND_S} s of the heal, on each of 200 seeds`, () => {
    const times: number[] = [];
    for (let seed = 1; seed <= 200; seed++) {
      const t = timeToLeaderAfterHeal({ seed, cutNs: sec(10), boundNs: sec(BOUND_S) });
      expect(t, `seed ${seed}: no leader within ${BOUND_S} s of the heal`).not.toBeNull();
      times.push(t! / 1e9);
    }
    times.sort((a, b) => a - b);
    const p50 = times[100]!;
    const p90 = times[180]!;
    console.log(`slow heal, 200 seeds: p50 ${p50.toFixed(2)} s, p90 ${p90.toFixed(2)} s, max ${times[199]!.toFixed(2)} s`);
    expect(p50).toBeLessThan(5);
  }, 120_000);

  it('without adaptive timeouts the same network keeps the cluster leaderless (what the test guards against)', () => {
    let none = 0;
    for (let seed = 1; seed <= 10; seed++) if (timeToLeaderAfterHeal({ seed, cutNs: sec(10), boundNs: sec(BOUND_S), config: { adaptiveTimeouts: false } }) === null) none++;
    expect(none).toBeGreaterThanOrEqual(9);
  }, 120_000);
});
