import { describe, expect, it } from 'vitest';
import crdtBurst from '../scenarios/crdt-burst.ts';
import { faultParams } from './nemesis.ts';
import { param } from './params.ts';
import { sleep } from './process.ts';
import { runScenario } from './runner.ts';
import { defineScenario, type Scenario } from './scenario.ts';
import { ms, sec } from './time.ts';
import { Trace } from './trace.ts';
import { FAULTS_KEPT, RunStory, shortReason, WINDOW_AFTER, WINDOW_BEFORE } from './explain.ts';
import { Simulation } from './kernel.ts';

/**
 * A counter that n2 must catch up with n1 on. At 1.5 s of the liveness phase n2 crashes for good
 * (a scenario-made fault, unhealed): from then on the property's answer stops changing. The
 * explanation must point at that moment, not at the deadline 20 s later.
 */
const stuck = defineScenario({
  name: 'explain-toy',
  description: 'n2 copies n1 until a crash at 2.5 s stops it',
  params: { broken: param.bool({ doc: 'crash n2 for good during the liveness phase', default: true }), ...faultParams({ off: ['crashMsMean', 'pauseMsMean', 'partitionMsMean', 'clogMsMean', 'netLossRate', 'netDuplicateRate', 'netReorderRate'] }) },
  durationNs: sec(1),
  livenessBoundNs: sec(20),
  setup(w, p) {
    let n1 = 0;
    let n2 = 0;
    w.addNode('n1', (ctx) => {
      ctx.spawn('count', (function* () {
        for (;;) {
          yield ctx.sleep(ms(100));
          if (n1 < 30) n1++;
          ctx.send('n2', { type: 'count', value: n1, note: 'the value' });
        }
      })());
      return {};
    });
    w.addNode('n2', () => ({ onMessage: (env) => void (n2 = (env.body as { value: number }).value) }));
    w.onHeal(() => {
      if (p.broken) w.spawn('breaker', (function* () {
        yield sleep(w.sim, ms(1500));
        w.node('n2').crash(); // after the heal: nothing restarts it
      })());
    });
    w.liveness('caught-up', () => (n2 === 30 ? true : `n2 has ${n2} of 30`));
  },
}) as unknown as Scenario;

describe('the explanation of a liveness failure', () => {
  it('points at the last change of the pending property and the fault before it, not at the deadline', () => {
    const r = runScenario(stuck, { seed: 1, swarm: false });
    expect(r.outcome).toBe('liveness');
    const e = r.explanation!;
    expect(e).toBeDefined();
    // n1 counts to 30 by 3 s; n2 is crashed at 2.5 s, with 24 or so: its answer stops changing then.
    const h = e.liveness![0]!;
    expect(h.property).toBe('caught-up');
    expect(h.lastHeldAtNs).toBeNull();
    expect(e.focus.atNs).toBeGreaterThan(sec(2));
    expect(e.focus.atNs).toBeLessThanOrEqual(sec(2.5) + ms(10));
    expect(r.simTimeNs).toBe(sec(21));
    expect(h.transitions.at(-1)!.atNs).toBe(e.focus.atNs);
    expect(h.changes).toBeGreaterThan(10);
    // The focus line is the transition's trace note; the window has lines on both sides.
    expect(e.window[e.focusLine]).toMatch(/property\s+caught-up pending: n2 has \d+ of 30/);
    expect(e.focusLine).toBeGreaterThan(5);
    expect(e.window.length - e.focusLine - 1).toBe(WINDOW_AFTER);
    // Messages read by their fields (the default summary): the value n2 was sent.
    expect(e.window.some((l) => /recv\s+from n1: count value=\d+ note="the value"/.test(l))).toBe(true);
    // The crash came after the last change (2.5 s vs the last poll before it): the faults listed are those before the focus.
    expect(e.faultsBefore.at(-1)).toMatch(/heal\s+all partitions and clogs removed/);
  });

  it('the same run without the crash passes, and its story notes do not change the trace hash', () => {
    const bad = runScenario(stuck, { seed: 1, swarm: false });
    const again = runScenario(stuck, { seed: 1, swarm: false });
    expect(again.traceHash).toBe(bad.traceHash);
    const good = runScenario(stuck, { seed: 1, swarm: false, pins: { broken: false } });
    expect(good.outcome).toBe('pass');
    expect(good.explanation).toBeUndefined();
  });

  it('on a real bug-zoo liveness failure (crdt anti-entropy-skips-subtree, seed 50: its first catching seed of a sweep from 1) the focus is seconds after the faults stop, not the 90 s deadline', () => {
    const r = runScenario(crdtBurst as unknown as Scenario, { seed: 50, pins: { bug: 'anti-entropy-skips-subtree' } });
    expect(r.outcome).toBe('liveness');
    expect(r.violations[0]!.invariant).toBe('converged');
    const e = r.explanation!;
    expect(e.liveness!.map((h) => h.property)).toContain('converged');
    // Faults stop at 3 s, the deadline is 93 s: the last change of the key sets is just after the heal.
    expect(e.focus.atNs).toBeGreaterThan(sec(3));
    expect(e.focus.atNs).toBeLessThan(sec(10));
    expect(e.focus.what).toMatch(/^converged pending: (\w+ holds keys|\w+ and \w+ differ on )/);
    expect(e.faultsBefore.some((l) => / (crash|partition|heal|start) /.test(l))).toBe(true);
    // Anti-entropy messages in the window read by their session fields.
    expect(e.window.some((l) => /ae-(root|nodes|descend|leaves|repair|equal) s\d+/.test(l))).toBe(true);
  });
});

describe('Trace.slice and notes', () => {
  it('slices by sequence number across the ring wrap, formats lazily, and notes leave the hash alone', () => {
    const a = new Trace(8);
    const b = new Trace(8);
    for (let i = 0; i < 20; i++) {
      a.add(i, i, 'n1', 'k', null, (x) => `v${String(x)}`, i);
      b.add(i, i, 'n1', 'k', null, (x) => `v${String(x)}`, i);
      if (i % 3 === 0) b.note(i, i, '-', 'property', `note ${i}`);
    }
    expect(b.hash()).toBe(a.hash());
    expect(a.written).toBe(20);
    expect(a.slice(15, 18).records().map((r) => r.detail)).toEqual(['v15', 'v16', 'v17']);
    // Records pushed out of the ring (only the last 8 are kept) are missing from the front.
    const s = a.slice(5, 14);
    expect(s.first).toBe(12);
    expect(s.records().map((r) => r.detail)).toEqual(['v12', 'v13']);
    expect(a.slice(19, 30).records().map((r) => r.detail)).toEqual(['v19']);
  });
});

describe('Trace.guard', () => {
  it('calls back once, just before the guarded record leaves the ring, while it can still be read', () => {
    const t = new Trace(8);
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) t.add(i, i, 'n1', 'k', `r${i}`, null, undefined);
    t.guard(3, () => seen.push(t.slice(3, 4).records().map((r) => r.detail).join() + `@${t.written}`));
    for (let i = 5; i < 11; i++) t.add(i, i, 'n1', 'k', `r${i}`, null, undefined);
    // Records 0..2 left the ring at 8, 9 and 10 written: record 3 had not.
    expect(seen).toEqual([]);
    t.add(11, 11, 'n1', 'k', 'r11', null, undefined);
    expect(seen).toEqual(['r3@11']);
    for (let i = 12; i < 30; i++) t.add(i, i, 'n1', 'k', `r${i}`, null, undefined);
    expect(seen).toHaveLength(1);
    // A guard on a record already gone fires at once; a cleared one never.
    t.guard(2, () => seen.push('late'));
    expect(seen).toEqual(['r3@11', 'late']);
    t.guard(40, () => seen.push('cleared'));
    t.guard(40, null);
    for (let i = 30; i < 60; i++) t.add(i, i, 'n1', 'k', `r${i}`, null, undefined);
    expect(seen).toHaveLength(2);
  });
});

describe('RunStory marks', () => {
  const story = (): { sim: Simulation; s: RunStory; log: (n: number, from: number) => void } => {
    const sim = new Simulation({ seed: 1 });
    const s = new RunStory(sim);
    const log = (n: number, from: number): void => {
      for (let i = 0; i < n; i++) sim.log('n1', 'step', `s${from + i}`);
    };
    return { sim, s, log };
  };

  it('keeps the window around the last change after the ring has moved on far past it', () => {
    const { sim, s, log } = story();
    sim.log('n2', 'crash', 'for good');
    log(100, 0);
    s.observe('p', 'waiting for n2');
    log(5000, 100); // the 400-record ring is overwritten many times
    s.observe('p', 'waiting for n2'); // the same answer: no new mark
    const e = s.explainLiveness(['p'], 0)!;
    expect(e.window[e.focusLine]).toMatch(/property\s+p pending: waiting for n2/);
    expect(e.window[e.focusLine - 1]).toMatch(/step\s+s99$/);
    expect(e.window[e.focusLine + 1]).toMatch(/step\s+s100$/);
    expect(e.window).toHaveLength(WINDOW_BEFORE + WINDOW_AFTER);
    expect(e.window.at(-1)).toMatch(new RegExp(`step\\s+s${100 + WINDOW_AFTER - 1}$`));
    expect(e.faultsBefore.some((l) => /crash\s+for good/.test(l))).toBe(true);
  });

  it('a countdown (a new answer at every poll) keeps only its last mark, whole, and the faults it saw', () => {
    const { sim, s, log } = story();
    for (let k = 0; k < 300; k++) {
      log(20, k * 20);
      if (k === 150) sim.log('n3', 'partition', 'n3 | rest');
      s.observe('rest', `${300 - k} polls left`);
    }
    log(3000, 6000);
    const e = s.explainLiveness(['rest'], 0)!;
    expect(e.window[e.focusLine]).toMatch(/rest pending: 1 polls left/);
    expect(e.window[e.focusLine - 1]).toMatch(/step\s+s5999$/);
    expect(e.window).toHaveLength(WINDOW_BEFORE + WINDOW_AFTER);
    expect(s.history('rest')!.changes).toBe(300);
    expect(e.faultsBefore.some((l) => /partition\s+n3 \| rest/.test(l))).toBe(true);
  });

  it('each mark lists the last FAULTS_KEPT faults before it, however many faults came before and after', () => {
    const { sim, s } = story();
    // Marks at fault counts on both sides of the fault log's restarts (every 4 * FAULTS_KEPT).
    const marks = [0, 5, 12, 13, 47, 48, 49, 60, 95, 96, 97, 200];
    let f = 0;
    for (const at of marks) {
      for (; f < at; f++) sim.log('n1', 'buggify', `fault ${f}`);
      s.observe(`p${at}`, 'not yet');
    }
    for (; f < 500; f++) sim.log('n1', 'buggify', `fault ${f}`);
    for (const at of marks) {
      const e = s.explainLiveness([`p${at}`], 0)!;
      const want = Array.from({ length: Math.min(at, FAULTS_KEPT) }, (_, i) => `fault ${at - Math.min(at, FAULTS_KEPT) + i}`);
      expect(e.faultsBefore.map((l) => l.replace(/^.*buggify\s+/, ''))).toEqual(want);
    }
    expect(s.explainViolation('x', 0, 0).faultsBefore.map((l) => l.replace(/^.*buggify\s+/, ''))).toEqual(Array.from({ length: FAULTS_KEPT }, (_, i) => `fault ${500 - FAULTS_KEPT + i}`));
  });

  it('a mark taken before a fault does not list that fault', () => {
    const { sim, s, log } = story();
    s.observe('p', 'not yet');
    log(10, 0);
    sim.log('n1', 'crash', 'later');
    const e = s.explainLiveness(['p'], 0)!;
    expect(e.faultsBefore).toEqual([]);
    expect(e.window.slice(e.focusLine + 1).some((l) => /crash\s+later/.test(l))).toBe(true);
  });
});

describe('shortReason', () => {
  it('cuts a long reason and names what changed from the previous one; another message entirely is not diffed', () => {
    const keys = (xs: string[]): string => `eu holds keys [${xs.join(',')}], us [${xs.join(',')}]`;
    const base = Array.from({ length: 20 }, (_, i) => `ctr:k${i}`);
    const a = keys(base);
    const b = keys([...base, 'ctr:k99'].filter((k) => k !== 'ctr:k3'));
    expect(shortReason(b, a)).toMatch(/… \(vs before: \+ctr:k99\(x2\) -ctr:k3\(x2\)\)$/);
    expect(shortReason(b, null)).toBe(`${b.slice(0, 99)}…`);
    expect(shortReason('short', 'other')).toBe('short');
    expect(shortReason(a, '2 client op(s) not yet acknowledged, e.g. c-eu\'s')).toBe(`${a.slice(0, 99)}…`);
  });
});
