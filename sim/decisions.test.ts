import { describe, expect, it } from 'vitest';
import crashRestart from '../scenarios/raft-crash-restart.ts';
import { EntryTape, type ScriptEntry } from './decisions.ts';
import type { NodeContext } from './node.ts';
import { param } from './params.ts';
import { runScenario } from './runner.ts';
import { defineScenario, type Scenario } from './scenario.ts';
import { ms, sec } from './time.ts';
import type { TraceRecord } from './trace.ts';
import { at, buggifyFires, clog, crash, dropMessage, isolate } from '../testing/script.ts';
import { exportTest } from '../cli/export.ts';
import type { Repro } from '../reports/repro.ts';

const scn = crashRestart as unknown as Scenario;

function traced(kinds: string[], run: (sink: (r: TraceRecord) => void) => void): TraceRecord[] {
  const out: TraceRecord[] = [];
  run((r) => {
    if (kinds.includes(r.kind)) out.push(r);
  });
  return out;
}

/** n1 sends n2 one numbered message every 10 ms and reaches a BUGGIFY site each time; n2 logs what arrives. */
const pinger = defineScenario({
  name: 'test-pinger',
  description: 'two nodes, numbered messages',
  params: { count: param.int({ doc: 'messages', default: 6, min: 1, max: 100 }) },
  durationNs: ms(200),
  setup(w, p) {
    w.addNode('n1', (ctx: NodeContext) => {
      let i = 0;
      const tick = (): void => {
        if (i >= p.count) return;
        i++;
        ctx.send('n2', { type: 'ping', i, fired: ctx.buggify('ping-site') });
        ctx.setTimer(ms(10), tick);
      };
      ctx.setTimer(ms(10), tick);
      return { onMessage: () => {} };
    });
    w.addNode('n2', (ctx: NodeContext) => ({
      onMessage: (env) => {
        const b = env.body as { i: number; fired: boolean };
        ctx.log('got', `${b.i}${b.fired ? ' fired' : ''}`);
      },
    }));
  },
});

/**
 * n1's timers fire twice at one instant (10 ms); the second leaves two functions for its event's
 * tail (NodeContext.atEventEnd, as a Raft host leaves its Ready loop), and the tail's second steps
 * n2's clock (as raft-figure8 cuts the network from a Ready), between two reads of that clock.
 * Every read is traced, so the trace shows where, within the event, the step landed.
 */
const tailFault = defineScenario({
  name: 'test-tail-fault',
  description: 'a fault made in the tail of an event',
  params: {},
  durationNs: ms(50),
  setup(w) {
    const clock = (): string => String(w.node('n2').clock.wallAt(w.sim.now));
    w.addNode('n1', (ctx: NodeContext) => {
      ctx.setTimer(ms(10), () => ctx.log('first', clock()));
      ctx.setTimer(ms(10), () => {
        ctx.log('callback', clock());
        ctx.atEventEnd(() => ctx.log('tail-0', clock()));
        ctx.atEventEnd(() => {
          ctx.log('tail-1', clock());
          w.node('n2').stepClock(ms(1));
          ctx.log('tail-1-after', clock());
        });
        ctx.log('callback-after', clock());
      });
      ctx.setTimer(ms(10), () => ctx.log('next', clock()));
      return { onMessage: () => {} };
    });
    w.addNode('n2', () => ({ onMessage: () => {} }));
  },
});

/**
 * At 5 ms the network clogs n1 -> n2 and every link of n3 for 100 ms; n3 sends n1 a message
 * at 8 ms; at 15 ms a heal clears every partition and clog (as a nemesis's heal does); from 20 ms
 * n1 and n3 each send n2 a numbered message every 2 ms; n1 and n2 log what arrives.
 */
const clogHeal = defineScenario({
  name: 'test-clog-heal',
  description: 'clogs cut short by a heal',
  params: {},
  durationNs: ms(200),
  setup(w) {
    const sender = (ctx: NodeContext): void => {
      let i = 0;
      const tick = (): void => {
        if (i >= 5) return;
        i++;
        ctx.send('n2', { type: 'ping', i });
        ctx.setTimer(ms(2), tick);
      };
      ctx.setTimer(ms(20), tick);
    };
    w.addNode('n1', (ctx: NodeContext) => {
      sender(ctx);
      ctx.setTimer(ms(5), () => {
        w.net.clog('n1', 'n2', ms(100));
        w.net.clogNode('n3', ms(100));
      });
      ctx.setTimer(ms(15), () => w.net.heal());
      return { onMessage: (env) => ctx.log('got', `${env.from} ${(env.body as { i: number }).i}`) };
    });
    w.addNode('n2', (ctx: NodeContext) => ({ onMessage: (env) => ctx.log('got', `${env.from} ${(env.body as { i: number }).i}`) }));
    w.addNode('n3', (ctx: NodeContext) => {
      sender(ctx);
      // Sent while clogged: held until the clog's planned end, heal or not.
      ctx.setTimer(ms(8), () => ctx.send('n1', { type: 'ping', i: 0 }));
      return { onMessage: () => {} };
    });
  },
});

describe('recorded decisions', () => {
  it('a run records its faults by meaning: each crash with its node, mode and length, in time order', () => {
    const r = runScenario(scn, { seed: 3, pins: { bug: 'none' } });
    const crashes = (r.script ?? []).filter((e) => e.kind === 'crash');
    expect(crashes.length).toBeGreaterThan(2);
    for (const c of crashes) {
      expect(c).toMatchObject({ kind: 'crash', node: expect.stringMatching(/^n\d$/), mode: expect.stringMatching(/^(all|torn)$/) });
      expect(c.durNs === null || (typeof c.durNs === 'number' && c.durNs >= 0)).toBe(true);
    }
    const times = (r.script ?? []).map((e) => e.atNs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(r.scripted).toBe(false);
  });

  it('a run driven by its own script crashes the same nodes at the same instants; an empty script silences the nemesis', () => {
    const pins = { bug: 'none', voterCrashProbability: 0 };
    const recordCrashes = traced(['crash', 'start'], (sink) => runScenario(scn, { seed: 5, pins, traceSink: sink }));
    const rec = runScenario(scn, { seed: 5, pins });
    const crashes = recordCrashes.filter((x) => x.kind === 'crash');
    expect(crashes.length).toBeGreaterThan(1);
    const scripted = traced(['crash', 'start'], (sink) => runScenario(scn, { seed: 5, pins, script: rec.script, traceSink: sink }));
    const key = (x: TraceRecord): string => `${x.atNs} ${x.node} ${x.kind}`;
    // During the fault phase the scripted run makes exactly the recorded crashes and restarts.
    const inFault = (xs: TraceRecord[]): string[] => xs.filter((x) => x.atNs < rec.faultPhaseNs && x.atNs > 0).map(key);
    expect(inFault(scripted)).toEqual(inFault(recordCrashes));
    const silent = traced(['crash'], (sink) => runScenario(scn, { seed: 5, pins, script: [], traceSink: sink }));
    expect(silent).toEqual([]);
  });

  it('removing one fault from a script leaves the others where they were', () => {
    const pins = { bug: 'none', voterCrashProbability: 0 };
    const rec = runScenario(scn, { seed: 5, pins });
    const crashes = (rec.script ?? []).filter((e) => e.kind === 'crash');
    const dropped = crashes[0]!;
    const rest = (rec.script ?? []).filter((e) => e !== dropped);
    const seen = traced(['crash'], (sink) => runScenario(scn, { seed: 5, pins, script: rest, traceSink: sink }));
    const at = new Set(seen.map((x) => `${x.atNs} ${x.node}`));
    expect(at.has(`${dropped.atNs} ${(dropped as { node: string }).node}`)).toBe(false);
    // Every other crash still lands (unless its node is down at that instant, which the player skips and traces).
    const landed = crashes.slice(1).filter((c) => at.has(`${c.atNs} ${(c as { node: string }).node}`));
    expect(landed.length).toBeGreaterThanOrEqual(crashes.length - 2);
  });

  it('drops exactly the message a script names (by link and ordinal) and fires BUGGIFY at the named reach only', () => {
    const script: ScriptEntry[] = [at(ms(1), dropMessage('n1', 'n2', 3)), at(ms(1), buggifyFires('ping-site', 5, 'n1'))];
    const got = traced(['got'], (sink) => runScenario(pinger as unknown as Scenario, { seed: 1, swarm: false, buggify: true, script, traceSink: sink }));
    expect(got.map((g) => g.detail)).toEqual(['1', '2', '4', '5 fired', '6']);
    // Without the script, this seed's own draws decide (and record what they decided).
    const plain = runScenario(pinger as unknown as Scenario, { seed: 1, swarm: false, buggify: true });
    for (const e of plain.script ?? []) expect(['buggify', 'drop', 'duplicate', 'reorder']).toContain(e.kind);
  });

  it('plays a partition for its length only, and a crash restarts after its length', () => {
    const script = [at(sec(1), isolate('n1', { for: ms(500) })), at(sec(2), crash('n2', { for: ms(300) }))];
    const seen = traced(['partition', 'heal', 'crash', 'start'], (sink) => runScenario(scn, { seed: 2, pins: { bug: 'none' }, script, traceSink: sink }));
    const inFault = seen.filter((x) => x.atNs > 0 && x.atNs < sec(8));
    expect(inFault.find((x) => x.kind === 'partition')?.atNs).toBe(sec(1));
    expect(inFault.filter((x) => x.kind === 'heal').every((x) => x.atNs === sec(1) + ms(500))).toBe(true);
    expect(inFault.filter((x) => x.kind === 'heal').length).toBeGreaterThan(0);
    expect(inFault.filter((x) => x.kind === 'crash').map((x) => [x.atNs, x.node])).toEqual([[sec(2), 'n2']]);
    expect(inFault.filter((x) => x.kind === 'start').map((x) => [x.atNs, x.node])).toEqual([[sec(2) + ms(300), 'n2']]);
  });

  it('a fault made in an event\'s tail (a Ready at the end of the event that made it) replays inside that event, before the same tail function', () => {
    const kinds = ['first', 'callback', 'callback-after', 'tail-0', 'tail-1', 'tail-1-after', 'next', 'clock-step'];
    const lines = (xs: TraceRecord[]): string[] => xs.map((x) => `${x.kind} ${x.kind === 'clock-step' ? '' : x.detail}`);
    let script: readonly ScriptEntry[] = [];
    const rec = traced(kinds, (sink) => {
      script = runScenario(tailFault as unknown as Scenario, { seed: 1, swarm: false, traceSink: sink }).script ?? [];
    });
    expect(script.filter((e) => e.kind === 'clock-step')).toEqual([{ atNs: ms(10), kind: 'clock-step', node: 'n2', deltaNs: ms(1), event: 1, tail: 1 }]);
    // The step landed between the tail's two reads, after the callback's and the first tail function's.
    expect(lines(rec).map((l) => l.split(' ')[0])).toEqual(['first', 'callback', 'callback-after', 'tail-0', 'tail-1', 'clock-step', 'tail-1-after', 'next']);
    const replay = traced(kinds, (sink) => runScenario(tailFault as unknown as Scenario, { seed: 1, swarm: false, script, traceSink: sink }));
    // Before the tail's function 1, not inside it: tail-1 reads the stepped clock, as the old pump event did.
    expect(lines(replay)).toEqual(lines(rec).filter((l) => !l.startsWith('clock-step')).flatMap((l) => (l.startsWith('tail-1 ') ? ['clock-step ', l.replace(/\d+$/, (d) => String(Number(d) + ms(1)))] : [l])));
  });

  it('a clog a heal cut short is recorded with when the heal came, so its replay delivers what the run delivered, when it did', () => {
    let script: readonly ScriptEntry[] = [];
    const rec = traced(['got'], (sink) => {
      script = runScenario(clogHeal as unknown as Scenario, { seed: 1, swarm: false, buggify: false, traceSink: sink }).script ?? [];
    });
    // Each keeps its planned length (what it held leaves then) and says when the heal cleared it.
    expect(script.filter((e) => e.kind === 'clog' || e.kind === 'clog-node').map((e) => [e.kind, (e as { durNs: number }).durNs, (e as { healNs?: number }).healNs])).toEqual([
      ['clog', ms(100), ms(10)],
      ['clog-node', ms(100), ms(10)],
    ]);
    // The clogged pings (3 to 7) arrive together once the heal lets them go, long before 105 ms.
    // Sent after the heal, every ping arrives long before the clogs' planned end (105 ms); the
    // one sent while clogged arrives after it.
    expect(rec.filter((g) => g.atNs < ms(100)).length).toBe(10);
    expect(rec.filter((g) => g.atNs >= ms(105)).map((g) => `${g.node} got ${g.detail}`)).toEqual(['n1 got n3 0']);
    const replay = traced(['got'], (sink) => runScenario(clogHeal as unknown as Scenario, { seed: 1, swarm: false, buggify: false, script, traceSink: sink }));
    expect(replay.map((g) => [g.atNs, g.node, g.detail])).toEqual(rec.map((g) => [g.atNs, g.node, g.detail]));
    // An exported test writes them with the same meaning.
    const text = exportTest({ scenario: 'test-clog-heal', seed: 1, params: {}, violations: [], outcome: 'pass', script } as unknown as Repro, { source: 'x.json' });
    expect(text).toContain("clog('n1', 'n2', ms(100), { healedAfter: ms(10) })");
    expect(text).toContain("clogNode('n3', ms(100), { healedAfter: ms(10) })");
    expect(clog('n1', 'n2', ms(100), { healedAfter: ms(10) })).toEqual({ kind: 'clog', from: 'n1', to: 'n2', durNs: ms(100), healNs: ms(10) });
  });

  it('skips, with a trace line, what a script names that this world does not have', () => {
    const seen = traced(['script-skip'], (sink) => runScenario(scn, { seed: 2, pins: { bug: 'none' }, script: [at(sec(1), crash('n9'))], traceSink: sink }));
    expect(seen.map((x) => x.detail)).toEqual(['crash: no node n9']);
  });
});

describe('EntryTape (decisions kept in columns)', () => {
  it('gives back every entry as it was recorded: same keys in the same order, same values (numbers, -0, strings, constants, nested ops)', () => {
    const tape = new EntryTape();
    const want: unknown[] = [];
    const whole = { atNs: 7, kind: 'crash', node: 'n1', mode: 'all', durNs: null } as ScriptEntry;
    for (let i = 0; i < 40_000; i++) {
      const f: Record<string, unknown> =
        i % 5 === 0
          ? { kind: 'buggify', site: `s${i % 7}`, n: i, node: `n${i % 3}` }
          : i % 5 === 1
            ? { kind: 'op', client: 'c1', n: i, op: { op: 'put', key: `k${i}`, value: i % 2 === 0 ? null : [i, 'x'] } }
            : i % 5 === 2
              ? { kind: 'disk-torn', node: 'n2', n: -0, keep: i, torn: i % 2 === 0 }
              : i % 5 === 3
                ? { kind: 'device', device: 'd', fault: 'f', n: i, arg: i % 2 === 0 ? undefined : 0.5 }
                : { kind: 'drop', from: 'n1', to: 'n2', n: 2 ** 40 + i };
      tape.push(i * 1e9 + 0.5, f);
      want.push({ atNs: i * 1e9 + 0.5, ...f });
      if (i === 20_000) {
        tape.pushWhole(whole);
        want.push(whole);
      }
    }
    const got = tape.toArray();
    expect(got.length).toBe(want.length);
    expect(tape.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) {
      expect(Object.keys(got[i]!)).toEqual(Object.keys(want[i] as object));
      expect(got[i]).toEqual(want[i]);
    }
    expect(Object.is((got[2] as { n: number }).n, -0)).toBe(true);
    // The timed fault is the object itself: `end` edits it after it was recorded.
    expect(got[20_001]).toBe(whole);
  });

  it('entries with the same keys but values of other types or other constants never share a template', () => {
    const tape = new EntryTape();
    const values: unknown[] = [1, '1', '#', 'j', true, false, null, undefined, { a: 1 }, [1], 'n', 't', 2.5, 'u'];
    const want: unknown[] = [];
    for (let round = 0; round < 3; round++)
      for (const v of values)
        for (const w of values) {
          const f = { kind: 'device', device: v, fault: w, n: round };
          tape.push(round, f);
          want.push({ atNs: round, ...f });
        }
    // Keys in another order are another template too.
    tape.push(9, { n: 1, kind: 'device' });
    want.push({ atNs: 9, n: 1, kind: 'device' });
    const got = tape.toArray();
    for (let i = 0; i < want.length; i++) {
      expect(Object.keys(got[i]!)).toEqual(Object.keys(want[i] as object));
      expect(got[i]).toEqual(want[i]);
    }
  });
});
