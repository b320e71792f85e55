import { describe, expect, it } from 'vitest';
import broadcast from '../scenarios/broadcast.ts';
import { runScenario } from '../sim/runner.ts';
import { scenarioRate } from './scenario-rate.ts';

describe('scenarioRate', () => {
  it('sums simulated time over the seeds and divides by the injected clock', () => {
    let t = 0;
    const clock = (): number => (t += 500); // each reading 500 ms later: 500 ms elapsed in all
    const r = scenarioRate(clock, broadcast, [1, 2]);
    const sim = (runScenario(broadcast, { seed: 1 }).simTimeNs + runScenario(broadcast, { seed: 2 }).simTimeNs) / 1e9;
    expect(r.seeds).toBe(2);
    expect(r.wallMs).toBe(500);
    expect(r.simSecondsPerWallSecond).toBe(Math.round((sim / 0.5) * 10) / 10);
    expect(r.wallMsPerSeed).toBe(250);
  });
});
