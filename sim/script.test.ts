import { describe, expect, it } from 'vitest';
import failover from '../scenarios/raft-scripted-failover.ts';
import { param } from './params.ts';
import { sleep } from './process.ts';
import { runScenario } from './runner.ts';
import { defineScenario, type Scenario, type World } from './scenario.ts';
import { ms, sec } from './time.ts';

/** A value that becomes 1 at `readyMs`; scripts wait for it with a bound of `boundMs`. */
function toy(script: (w: World, state: { ready: () => boolean; after: string[] }) => void, o: { liveness?: boolean; durationS?: number } = {}): Scenario {
  return defineScenario({
    name: 'script-toy',
    description: 'a flag set at a known time',
    params: { readyMs: param.float({ doc: 'when the flag is set', default: 300, min: 0, max: 1e6 }) },
    durationNs: sec(o.durationS ?? 10),
    livenessBoundNs: sec(2),
    setup(w, p) {
      let flag = 0;
      w.spawn('setter', (function* () {
        yield sleep(w.sim, ms(p.readyMs));
        flag = 1;
      })());
      if (o.liveness !== false) w.liveness('flag-set', () => (flag === 1 ? true : 'not yet'));
      script(w as unknown as World, { ready: () => flag === 1, after: [] });
    },
  }) as unknown as Scenario;
}

describe('scripted tests', () => {
  it('until returns once the condition holds; returning from the script ends the fault phase there, and the report shows it', () => {
    let seenAt = -1;
    const scn = toy((w, s) =>
      w.script('wait', function* () {
        yield* w.until(() => s.ready(), { within: sec(1), what: 'the flag' });
        seenAt = w.now;
      }),
    );
    const r = runScenario(scn, { seed: 1, swarm: false });
    expect(r.outcome).toBe('pass');
    expect(seenAt).toBe(ms(300)); // polled every 1 ms: seen the moment it is set
    expect(r.finished).toEqual({ atNs: ms(300), by: 'script "wait" returned', declaredNs: sec(10) });
    expect(r.faultPhaseNs).toBe(ms(300));
    // The liveness phase still runs (from the real end of the fault phase), and the run ends soon after.
    expect(r.recoveredAfterNs).not.toBeNull();
    expect(r.simTimeNs).toBeLessThan(ms(400));
  });

  it('a bound too tight fails the run with a clear message, and the script does not go on', () => {
    let after = false;
    const scn = toy((w, s) =>
      w.script('wait', function* () {
        yield* w.until(() => s.ready(), { within: ms(100), what: 'the flag', state: () => `flag ${s.ready() ? 'set' : 'unset'}` });
        after = true;
      }),
    );
    const r = runScenario(scn, { seed: 1, swarm: false });
    expect(r.outcome).toBe('safety');
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]).toMatchObject({ invariant: 'script', atNs: ms(100), message: 'the flag: not within 100ms (waited from 0ns to 100ms); flag unset' });
    expect(after).toBe(false);
    expect(r.simTimeNs).toBe(ms(100));
    expect(r.finished).toBeUndefined();
    // With the flag set in time the same script passes.
    expect(runScenario(scn, { seed: 1, swarm: false, pins: { readyMs: 50 } }).outcome).toBe('pass');
  });

  it('w.check fails the run with its message; w.finish ends the fault phase at once, even with more steps to come', () => {
    const checked = toy((w) =>
      w.script('check', function* () {
        yield sleep(w.sim, ms(20));
        w.check(w.now < ms(10), () => `too late: ${w.now}ns`);
        throw new Error('not reached');
      }),
    );
    const c = runScenario(checked, { seed: 1, swarm: false });
    expect(c.outcome).toBe('safety');
    expect(c.violations[0]).toMatchObject({ invariant: 'script', message: `too late: ${ms(20)}ns` });

    let afterFinish = false;
    const finishing = toy((w, s) =>
      w.script('finish', function* () {
        yield* w.until(() => s.ready(), { within: sec(1), what: 'the flag' });
        w.finish();
        yield sleep(w.sim, ms(1));
        afterFinish = true;
      }),
    );
    const f = runScenario(finishing, { seed: 1, swarm: false });
    expect(f.outcome).toBe('pass');
    expect(f.finished).toMatchObject({ atNs: ms(300), by: 'w.finish()' });
    expect(afterFinish).toBe(false);
  });

  it('with two scripts the fault phase ends when the last returns', () => {
    const scn = toy((w) => {
      w.script('short', function* () {
        yield sleep(w.sim, ms(100));
      });
      w.script('long', function* () {
        yield sleep(w.sim, ms(700));
      });
    });
    const r = runScenario(scn, { seed: 1, swarm: false });
    expect(r.finished).toMatchObject({ atNs: ms(700), by: 'script "long" returned' });
  });

  it('a script still running when the declared duration passes fails the run: its remaining checks never ran', () => {
    const scn = toy(
      (w) =>
        w.script('slow', function* () {
          yield* w.until(() => false, { within: sec(60), what: 'something that never happens' });
        }),
      { durationS: 2 },
    );
    const r = runScenario(scn, { seed: 1, swarm: false });
    expect(r.ok).toBe(false);
    expect(r.violations[0]!.invariant).toBe('script');
    expect(r.violations[0]!.message).toBe('script "slow" was still running when the fault phase ended at 2s (the scenario\'s durationNs), waiting for something that never happens: its remaining steps never ran; raise durationNs or shorten the script');
  });

  it('raft-scripted-failover: passes with its default bound and ends early; a 1 ms failover bound fails naming the crashed leader and the roles', () => {
    const scn = failover as unknown as Scenario;
    for (const seed of [1, 2, 3]) {
      const r = runScenario(scn, { seed });
      expect({ seed, outcome: r.outcome, violations: r.violations }).toEqual({ seed, outcome: 'pass', violations: [] });
      expect(r.finished?.by).toBe('script "failover" returned');
      expect(r.finished!.atNs).toBeLessThan(sec(10));
      expect(r.faultPhaseNs).toBe(r.finished!.atNs);
      expect(r.finished!.declaredNs).toBe(sec(30));
      expect(r.simTimeNs).toBeLessThan(r.finished!.atNs + sec(20));
    }
    // A 1 ms bound is refused before the run (below two election timeouts): without the refusal,
    // the step's own failure message.
    expect(() => runScenario(scn, { seed: 1, pins: { failoverBoundMs: 1 } })).toThrow(/failoverBoundMs 1 is shorter than two election timeouts/);
    const tight = runScenario({ ...scn, checkParams: undefined }, { seed: 1, pins: { failoverBoundMs: 1 } });
    expect(tight.outcome).toBe('safety');
    expect(tight.violations[0]!.invariant).toBe('script');
    expect(tight.violations[0]!.message).toMatch(/^a new leader after n\d crashed: not within 1ms \(waited from [\d.]+ms to [\d.]+ms\); n1 \w+ t\d+, n2 /);
    expect(tight.violations[0]!.message).toMatch(/n\d down/);
  }, 60_000);
});
