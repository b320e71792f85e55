import { describe, expect, it } from 'vitest';
import { runScenario } from '../../sim/runner.ts';
import { defineScenario } from '../../sim/scenario.ts';
import { sec } from '../../sim/time.ts';
import { raftParams, setupRaftCluster } from './kit.ts';

describe('the config-store kit\'s liveness properties', () => {
  it('a cluster left with no leader fails liveness by name (no leader), not as a crash of the checks', () => {
    // Two of three servers crash for good once the faults stop: no leader can be elected, and
    // every liveness property is asked at the deadline, those that need a leader included.
    const scn = defineScenario({
      name: 'kit-no-leader',
      description: 'test: the kit cluster loses its majority for good after the heal',
      params: raftParams({ nodes: 3, durationS: 1 }),
      durationNs: (p) => sec(p.durationS),
      livenessBoundNs: sec(2),
      setup(w, p) {
        const c = setupRaftCluster(w, p);
        w.onHeal(() => {
          for (const s of c.servers.slice(0, 2)) s.crash();
        });
      },
    });
    const r = runScenario(scn, { seed: 1, pins: { clients: 0 }, swarm: false });
    expect(r.outcome).toBe('liveness');
    const names = r.violations.map((v) => v.invariant);
    expect(names).toContain('leader');
    expect(names).toContain('leader-commits');
    expect(r.violations.find((v) => v.invariant === 'leader-commits')!.message).toMatch(/no leader/);
  });
});
