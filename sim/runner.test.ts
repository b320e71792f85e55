import { checkWireAcks } from '../invariants/wire-acks.ts';
import { describe, it, expect } from 'vitest';
import broadcast from '../scenarios/broadcast.ts';
import { faultParams, standardNemesis } from './nemesis.ts';
import { param } from './params.ts';
import { sleep } from './process.ts';
import { drawParams, runScenario } from './runner.ts';
import { defineScenario } from './scenario.ts';
import { ms, sec } from './time.ts';

const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

describe('runScenario on broadcast', () => {
  it('the same seed gives the same trace hash, events and params; different seeds differ', () => {
    const hashes = new Set<string>();
    for (const seed of [1, 2, 3]) {
      const a = runScenario(broadcast, { seed });
      const b = runScenario(broadcast, { seed });
      expect(b.traceHash).toBe(a.traceHash);
      expect(b.events).toBe(a.events);
      expect(b.simTimeNs).toBe(a.simTimeNs);
      expect(b.params).toEqual(a.params);
      expect(b.buggify).toEqual(a.buggify);
      expect(a.traceHash).toMatch(/^[0-9a-f]{16}$/);
      hashes.add(a.traceHash);
    }
    expect(hashes.size).toBe(3);
  });

  it('the correct system passes for seeds 1..20 and recovers within the bound', () => {
    for (const seed of SEEDS) {
      const r = runScenario(broadcast, { seed });
      expect({ seed, outcome: r.outcome, violations: r.violations }).toEqual({ seed, outcome: 'pass', violations: [] });
      expect(r.ok).toBe(true);
      expect(r.recoveredAfterNs).not.toBeNull();
      expect(r.recoveredAfterNs!).toBeGreaterThanOrEqual(0);
      expect(r.recoveredAfterNs!).toBeLessThanOrEqual(sec(30));
      expect(r.log).toEqual([]);
      expect(r.metrics.ackedValues as number).toBeGreaterThan(0);
    }
  });

  it('bug=drop-gossip is caught as a liveness failure naming n1, for seeds 1..20', () => {
    for (const seed of SEEDS) {
      const r = runScenario(broadcast, { seed, pins: { bug: 'drop-gossip' } });
      expect({ seed, outcome: r.outcome }).toEqual({ seed, outcome: 'liveness' });
      expect(r.ok).toBe(false);
      expect(r.pending).toHaveLength(1);
      expect(r.pending[0]!.property).toBe('all-acked-delivered-everywhere');
      expect(r.pending[0]!.reason).toMatch(/^n1 lacks/);
      expect(r.recoveredAfterNs).toBeNull();
      expect(r.log.length).toBeGreaterThan(0);
    }
  });

  it('bug=phantom is caught as a safety violation, for seeds 1..20', () => {
    for (const seed of SEEDS) {
      const r = runScenario(broadcast, { seed, pins: { bug: 'phantom' } });
      expect({ seed, outcome: r.outcome }).toEqual({ seed, outcome: 'safety' });
      expect(r.violations[0]!.invariant).toBe('no-phantom-delivery');
      expect(r.violations[0]!.message).toMatch(/^n1 delivered -?\d+, which no client broadcast$/);
      expect(r.simTimeNs).toBeLessThan(r.faultPhaseNs); // the run stops at the violation
    }
  });

  it('ignoreInvariants: an ignored invariant neither fails nor stops the run (what the other checks catch alone)', () => {
    const r = runScenario(broadcast, { seed: 1, pins: { bug: 'phantom' }, ignoreInvariants: ['no-phantom-delivery'] });
    expect(r.violations.map((v) => v.invariant)).not.toContain('no-phantom-delivery');
    expect(r.simTimeNs).toBeGreaterThanOrEqual(r.faultPhaseNs);
  });

  it('pinning one parameter does not change the other drawn parameters', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const free = runScenario(broadcast, { seed, maxEvents: 1 });
      const pinned = runScenario(broadcast, { seed, maxEvents: 1, pins: { antiEntropyMs: 123 } });
      expect(pinned.params.antiEntropyMs).toBe(123);
      expect({ ...pinned.params, antiEntropyMs: free.params.antiEntropyMs }).toEqual(free.params);
    }
  });

  it('drawParams gives the parameters the run will use, without running it', () => {
    for (const seed of [1, 2, 3]) {
      for (const swarm of [true, false]) {
        const pins = { nodes: 4 };
        expect(drawParams(broadcast, seed, pins, swarm)).toEqual(runScenario(broadcast, { seed, pins, swarm, maxEvents: 1 }).params);
      }
    }
  });

  it('swarm draws parameters per seed; swarm off gives the defaults', () => {
    const defaults = Object.fromEntries(Object.entries(broadcast.params).map(([k, d]) => [k, d.default]));
    const drawn = new Set<string>();
    for (const seed of [1, 2, 3, 4]) {
      const off = runScenario(broadcast, { seed, swarm: false, maxEvents: 1 });
      expect(off.params).toEqual(defaults);
      expect(off.swarm).toBe(false);
      const on = runScenario(broadcast, { seed, maxEvents: 1 });
      expect(on.swarm).toBe(true);
      drawn.add(JSON.stringify(on.params));
    }
    expect(drawn.size).toBe(4);
    expect(runScenario(broadcast, { seed: 1, swarm: false, pins: { nodes: 3 }, maxEvents: 1 }).params.nodes).toBe(3);
  });

  it('buggify off is reported and no site fires', () => {
    const r = runScenario(broadcast, { seed: 3, buggify: false });
    expect(r.buggify.enabled).toBe(false);
    expect(r.buggify.enabledSites).toEqual([]);
    expect(r.outcome).toBe('pass');
  });

  it('a trace sink receives every record, and the records are the same for one seed', () => {
    const kinds = (): string[] => {
      const out: string[] = [];
      runScenario(broadcast, { seed: 4, traceSink: (rec) => out.push(`${rec.atNs} ${rec.node} ${rec.kind}`) });
      return out;
    };
    const a = kinds();
    expect(a.length).toBeGreaterThan(10);
    expect(a.some((x) => x.endsWith(' start'))).toBe(true);
    expect(kinds()).toEqual(a);
  });
});

describe('runScenario outcomes', () => {
  const base = { description: 'test', params: {}, durationNs: ms(100) };

  it('requireChecks (the CLI): a run that made no check is NOTHING CHECKED (outcome unchecked, a failure), never a pass; any check, or checksNothing on purpose, makes it one', () => {
    const idle = (setup: Parameters<typeof defineScenario>[0]['setup'], extra: { checksNothing?: string } = {}) => runScenario(defineScenario({ ...base, name: 'idle', ...extra, setup }), { seed: 1, requireChecks: true });
    const node = (w: Parameters<Parameters<typeof defineScenario>[0]['setup']>[0]): void => {
      w.addNode('n1', (ctx) => {
        ctx.setTimer(ms(5), () => {});
        return {};
      });
    };
    const none = idle(node);
    expect(none.outcome).toBe('unchecked');
    expect(none.ok).toBe(false);
    expect(none.violations).toHaveLength(1);
    expect(none.violations[0]!.invariant).toBe('nothing-checked');
    expect(none.violations[0]!.message).toMatch(/^scenario idle made no check: .*w\.safety.*w\.liveness.*w\.script.*w\.declareCheck.*checksNothing: '<why>'/);
    // Each kind of check counts (a check that holds, or a script that returns).
    const checked: [string, (w: Parameters<typeof node>[0]) => void][] = [
      ['safety', (w) => w.safety('holds', () => null)],
      ['liveness', (w) => w.liveness('holds', () => true)],
      ['script', (w) => void w.script('s', function* () {})],
      ['declareCheck', (w) => w.declareCheck('my-oracle')],
      // A checker that speaks only when it fails declares itself.
      ['checkWireAcks', (w) => void checkWireAcks(w, 'acks-durable', () => null)],
      ['check', (w) => void w.spawn('p', (function* () { w.check(true, 'fine'); })())],
      ['until', (w) => void w.spawn('p', (function* () { yield* w.until(() => true, { within: ms(1), what: 'now' }); })())],
    ];
    for (const [kind, add] of checked) {
      const r = idle((w) => {
        node(w);
        add(w);
      });
      expect({ kind, outcome: r.outcome }).toEqual({ kind, outcome: 'pass' });
    }
    expect(idle(node, { checksNothing: 'a demo' }).outcome).toBe('pass');
    // A reason must say something.
    expect(idle(node, { checksNothing: ' ' }).outcome).toBe('unchecked');
    // A crash is still a crash: the check comes only after the run passed.
    expect(idle(() => { throw new Error('boom'); }).outcome).toBe('crash');
    // Without requireChecks (a caller that judges the run itself) the run passes, with the same trace.
    const lax = runScenario(defineScenario({ ...base, name: 'idle', setup: node }), { seed: 1 });
    expect(lax.outcome).toBe('pass');
    expect(lax.traceHash).toBe(none.traceHash);
  });

  it('an async timer callback resuming after the run: its timer throws instead of vanishing (the run is closed)', async () => {
    let resumed: Promise<void> | null = null;
    const scn = defineScenario({
      ...base,
      name: 'late-timer',
      setup(w) {
        w.addNode('n1', (ctx) => {
          ctx.setTimer(ms(5), () => {
            resumed = (async () => {
              await null;
              // Reached only once runScenario has returned: a timer set here never fires in the run.
              ctx.setTimer(ms(1), () => {});
            })();
          });
          return {};
        });
      },
    });
    const r = runScenario(scn, { seed: 1 });
    expect(r.outcome).toBe('pass'); // the synchronous run saw nothing wrong...
    expect(resumed).not.toBeNull();
    // ...but the rest of the callback cannot act on a world whose run is over: it throws, which
    // rejects its promise (the CLI reports that rejection as the run's failure: cli/hostile.test.ts).
    await expect(resumed!).rejects.toThrow(/scheduled an event after the run of late-timer seed 1 ended \(pass\): most likely an async callback/);
  });

  it('an exception thrown inside a node program becomes outcome "crash" with the message', () => {
    const scn = defineScenario({
      ...base,
      name: 'throws',
      setup(w) {
        w.addNode('n1', (ctx) => {
          ctx.setTimer(ms(5), () => {
            throw new Error('kaboom in n1');
          });
          return {};
        });
      },
    });
    const r = runScenario(scn, { seed: 1 });
    expect(r.outcome).toBe('crash');
    expect(r.ok).toBe(false);
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]!.invariant).toBe('crash');
    expect(r.violations[0]!.message).toMatch(/^Error: kaboom in n1/);
    expect(r.violations[0]!.atNs).toBe(ms(5));
    expect(r.log.some((l) => l.includes('CRASH'))).toBe(true);
  });

  it('an exception thrown in setup is a crash too', () => {
    const scn = defineScenario({ ...base, name: 'bad-setup', setup() { throw new TypeError('no setup'); } });
    const r = runScenario(scn, { seed: 1 });
    expect(r.outcome).toBe('crash');
    expect(r.violations[0]!.message).toMatch(/^TypeError: no setup/);
  });

  it('an async setup is a crash, not a pass of a world its awaits never built', () => {
    const scn = defineScenario({
      ...base,
      name: 'async-setup',
      // The cast stands for a JavaScript scenario, or one whose types were silenced.
      setup: (async (w: { safety(name: string, check: () => string): void }) => {
        await Promise.resolve();
        w.safety('never-installed', () => 'always violated');
      }) as never,
    });
    const r = runScenario(scn, { seed: 1 });
    expect(r.ok).toBe(false);
    expect(r.outcome).toBe('crash');
    expect(r.violations[0]!.message).toMatch(/setup of scenario async-setup returned a promise/);
  });

  it('a safety check returning anything but a string, null or undefined is a violation, not a pass', () => {
    const wrong: [unknown, RegExp][] = [
      [false, /returned boolean false/],
      [0, /returned number 0/],
      [new String('bad'), /returned a String object/],
      // Named without calling into it: its toString throws.
      [{ toString: (): string => { throw new Error('toString'); } }, /returned an object/],
    ];
    for (const [value, msg] of wrong) {
      const scn = defineScenario({ ...base, name: 'bad-check', setup: (w) => w.safety('typed-wrong', () => value as never) });
      const r = runScenario(scn, { seed: 1 });
      expect(r.outcome, String(msg)).toBe('safety');
      expect(r.violations[0]!.invariant).toBe('typed-wrong');
      expect(r.violations[0]!.message).toMatch(msg);
    }
    for (const holds of [null, undefined]) {
      const scn = defineScenario({ ...base, name: 'good-check', setup: (w) => w.safety('holds', () => holds) });
      expect(runScenario(scn, { seed: 1 }).ok).toBe(true);
    }
  });

  it('an infinite zero-delay loop is reported as no-progress when maxEvents is small', () => {
    const scn = defineScenario({
      ...base,
      name: 'livelock',
      setup(w) {
        w.addNode('n1', (ctx) => {
          const spin = (): void => void ctx.setTimer(0, spin);
          spin();
          return {};
        });
      },
    });
    const r = runScenario(scn, { seed: 1, maxEvents: 5000 });
    expect(r.outcome).toBe('no-progress');
    expect(r.events).toBe(5000);
    expect(r.simTimeNs).toBe(0);
    expect(r.violations.at(-1)!.invariant).toBe('no-progress');
    expect(r.violations.at(-1)!.message).toMatch(/event limit of 5000/);
  });

  it('a polled safety check fails the run at the next poll after it breaks', () => {
    const scn = defineScenario({
      ...base,
      name: 'poll',
      checkIntervalNs: ms(10),
      setup(w) {
        let broken = false;
        w.spawn('breaker', (function* () {
          yield sleep(w.sim, ms(33));
          broken = true;
        })());
        w.safety('never-broken', () => (broken ? 'it broke' : null));
      },
    });
    const r = runScenario(scn, { seed: 1 });
    expect(r.outcome).toBe('safety');
    expect(r.violations).toEqual([{ invariant: 'never-broken', atNs: ms(40), eventIndex: expect.any(Number), message: 'it broke' }]);
    expect(r.simTimeNs).toBe(ms(40));
  });

  it('liveness: passes when the property holds within the bound, fails with the reason when not', () => {
    const mk = (readyAtMs: number) =>
      defineScenario({
        ...base,
        name: 'live',
        livenessBoundNs: ms(50),
        setup(w) {
          w.liveness('ready', () => (w.now >= ms(readyAtMs) ? true : `not yet at ${w.now}`));
        },
      });
    const ok = runScenario(mk(120), { seed: 1 });
    expect(ok.outcome).toBe('pass');
    expect(ok.recoveredAfterNs).toBe(ms(20));
    const bad = runScenario(mk(500), { seed: 1 });
    expect(bad.outcome).toBe('liveness');
    expect(bad.pending).toEqual([{ property: 'ready', reason: `not yet at ${ms(150)}` }]);
    expect(bad.violations[0]!.message).toMatch(/still pending 0.05s after the faults stopped/);
  });

  it('a safety violation during the liveness phase is outcome "safety", reported the moment it happens', () => {
    const scn = defineScenario({
      ...base,
      name: 'late-safety',
      livenessBoundNs: ms(100),
      setup(w) {
        w.liveness('never', () => 'not yet');
        w.spawn('breaker', (function* () {
          yield sleep(w.sim, ms(125));
          w.violation('late', 'broke after the faults stopped');
        })());
      },
    });
    const r = runScenario(scn, { seed: 1 });
    expect(r.outcome).toBe('safety');
    expect(r.violations).toEqual([{ invariant: 'late', atNs: ms(125), eventIndex: expect.any(Number), message: 'broke after the faults stopped' }]);
    expect(r.pending).toEqual([]);
    expect(r.simTimeNs).toBe(ms(125));
  });

  it('the liveness phase heals: crashed servers restart, partitions heal, nemeses stop', () => {
    const scn = defineScenario({
      ...base,
      name: 'heal',
      params: { x: param.int({ doc: 'unused', default: 1, min: 0, max: 9 }) },
      livenessBoundNs: ms(50),
      setup(w) {
        const n1 = w.addNode('n1', () => ({}));
        w.addNode('n2', () => ({}));
        let nemesisSteps = 0;
        w.nemesis('test', (function* () {
          yield sleep(w.sim, ms(10));
          n1.crash();
          w.net.cut('n1', 'n2');
          for (;;) {
            yield sleep(w.sim, ms(10));
            nemesisSteps++;
          }
        })());
        let stepsAtHeal = -1;
        w.onHeal(() => (stepsAtHeal = nemesisSteps));
        w.liveness('healed', () =>
          n1.state === 'up' && !w.net.isBlocked('n1', 'n2') && nemesisSteps === stepsAtHeal && w.now >= ms(140) ? true : 'not healed',
        );
      },
    });
    const r = runScenario(scn, { seed: 1 });
    expect(r.outcome).toBe('pass');
  });
});

describe('standard nemesis', () => {
  const nemesisScenario = defineScenario({
    name: 'nemesis-bound',
    description: 'servers doing nothing under a busy nemesis',
    params: { ...faultParams() },
    durationNs: sec(5),
    checkIntervalNs: ms(1),
    livenessBoundNs: ms(50),
    setup(w, p) {
      for (let i = 1; i <= 5; i++) w.addNode(`n${i}`, () => ({}));
      w.addClient('c1', function* (ctx) {
        for (;;) yield ctx.sleep(ms(100));
      });
      let worst = 0;
      let faulted = 0;
      w.safety('at-most-maxDown-servers-out', () => {
        const out = w.servers.filter((n) => n.state !== 'up').length;
        worst = Math.max(worst, out);
        if (out > 0) faulted++;
        if (w.node('c1').state !== 'up') return 'the client was faulted';
        return out > 2 ? `${out} servers down or paused at once` : null;
      });
      w.liveness('all-up-and-connected', () => {
        for (const a of w.nodes) {
          if (a.state !== 'up') return `${a.id} is ${a.state}`;
          for (const b of w.nodes) if (w.net.isBlocked(a.id, b.id)) return `${a.id} -x-> ${b.id}`;
        }
        return true;
      });
      w.onHeal(() => {
        w.metrics.worstOut = worst;
        w.metrics.faultedPolls = faulted;
      });
      standardNemesis(w, p);
    },
  });

  it('keeps at most a minority of servers down or paused, never faults clients, and heals for liveness', () => {
    const pins = { crashMsMean: 40, downMsMean: 200, pauseMsMean: 40, partitionMsMean: 100, partitionMsLength: 100, clogMsMean: 100 };
    let sawTwoOut = false;
    for (const seed of [1, 2, 3, 4, 5]) {
      const kinds = new Map<string, number>();
      const r = runScenario(nemesisScenario, { seed, pins, traceSink: (rec) => kinds.set(rec.kind, (kinds.get(rec.kind) ?? 0) + 1) });
      expect({ seed, outcome: r.outcome, violations: r.violations }).toEqual({ seed, outcome: 'pass', violations: [] });
      expect(r.recoveredAfterNs).toBe(0); // healed at once when the liveness phase begins
      expect(r.metrics.faultedPolls as number).toBeGreaterThan(100);
      if ((r.metrics.worstOut as number) === 2) sawTwoOut = true;
      for (const k of ['crash', 'pause', 'partition', 'clog', 'heal']) expect(kinds.get(k) ?? 0).toBeGreaterThan(0);
    }
    expect(sawTwoOut).toBe(true); // the bound is reached, so the check above could fail
  });
});
