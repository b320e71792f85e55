/**
 * Random streams split per link, per disk and per device, and the faults they decide recorded by
 * meaning: a change on one link (or one decision removed from a script) leaves every other link's
 * draws and decisions where they were, and a failure that needs a disk fault replays from its
 * script whatever the seed, shrinks to that fault, and goes away without it.
 */
import { describe, expect, it } from 'vitest';
import { shrink } from '../cli/shrink.ts';
import accelerated from '../scenarios/hw-accelerated-kv.ts';
import { findCatchingSeed } from './bug-zoo.ts';
import { at, diskError } from '../testing/script.ts';
import type { ScriptEntry } from './decisions.ts';
import type { NodeContext } from './node.ts';
import { param } from './params.ts';
import { runScenario } from './runner.ts';
import { defineScenario, type Scenario } from './scenario.ts';
import { ms } from './time.ts';
import type { TraceRecord } from './trace.ts';

const IDS = ['n1', 'n2', 'n3', 'n4'];

/**
 * Four nodes; every 5 ms each sends every other a numbered message, whatever it received; a
 * receiver acknowledges each message (so n2's traffic to n1 depends on what n1→n2 delivered).
 * Every link loses, duplicates and reorders; `lossN1N2` sets n1→n2's loss alone.
 */
const mesh = defineScenario({
  name: 'test-mesh',
  description: 'four nodes sending to each other, every link faulty',
  params: { lossN1N2: param.float({ doc: 'loss rate of n1→n2', default: 0.15, min: 0, max: 1 }) },
  durationNs: ms(300),
  setup(w, p) {
    w.net.setDefaults({ lossRate: 0.15, duplicateRate: 0.1, reorderRate: 0.1, latency: { kind: 'uniform', minNs: ms(1), maxNs: ms(4) } });
    for (const id of IDS)
      w.addNode(id, (ctx: NodeContext) => {
        let i = 0;
        const tick = (): void => {
          i++;
          for (const to of IDS) if (to !== id) ctx.send(to, { type: 'm', i });
          ctx.setTimer(ms(5), tick);
        };
        ctx.setTimer(ms(5), tick);
        return {
          onMessage: (env) => {
            if ((env.body as { type: string }).type === 'm') ctx.send(env.from, { type: 'ack', i: (env.body as { i: number }).i });
          },
        };
      });
    w.net.setLink('n1', 'n2', { lossRate: p.lossN1N2 });
  },
}) as unknown as Scenario;

/** A keyed entry's link ("n1>n2"), or null. */
const linkOf = (e: ScriptEntry): string | null => ('from' in e && 'to' in e ? `${e.from}>${e.to}` : null);

/** Deliveries (time, receiver, what) on links other than `skip`, in order. */
function deliveries(o: Parameters<typeof runScenario>[1], skip: string[]): string[] {
  const out: string[] = [];
  runScenario(mesh, {
    ...o,
    traceSink: (r: TraceRecord) => {
      if (r.kind !== 'recv') return;
      const from = /^from (n\d)/.exec(r.detail)?.[1];
      if (from !== undefined && !skip.includes(`${from}>${r.node}`)) out.push(`${r.atNs} ${r.node} ${r.detail}`);
    },
  });
  return out;
}

describe('random streams per link', () => {
  it('are the default; linkStreams: false gives the old single network stream, another run', () => {
    const byDefault = runScenario(mesh, { seed: 4, swarm: false, buggify: false });
    expect(byDefault.linkStreams).toBe(true);
    expect(byDefault.traceHash).toBe(runScenario(mesh, { seed: 4, swarm: false, buggify: false, linkStreams: true }).traceHash);
    const single = runScenario(mesh, { seed: 4, swarm: false, buggify: false, linkStreams: false });
    expect(single.linkStreams).toBe(false);
    expect(single.traceHash).not.toBe(byDefault.traceHash);
  });

  it("changing one link's loss rate leaves every other link's recorded decisions where they were", () => {
    const a = runScenario(mesh, { seed: 4, swarm: false, buggify: false, linkStreams: true });
    const b = runScenario(mesh, { seed: 4, swarm: false, buggify: false, linkStreams: true, pins: { lossN1N2: 0.6 } });
    // n1→n2 and the acks n2→n1 are what the change touches; every other link must not move.
    const touched = ['n1>n2', 'n2>n1'];
    const others = (s: readonly ScriptEntry[] | undefined): ScriptEntry[] => (s ?? []).filter((e) => !touched.includes(linkOf(e) ?? ''));
    expect(others(a.script).length).toBeGreaterThan(30);
    expect(others(b.script)).toEqual(others(a.script));
    // The changed link did change (else the test shows nothing).
    const n1n2 = (s: readonly ScriptEntry[] | undefined): number => (s ?? []).filter((e) => e.kind === 'drop' && linkOf(e) === 'n1>n2').length;
    expect(n1n2(b.script)).toBeGreaterThan(n1n2(a.script));
  });

  it('removing one drop from a script moves no delivery on any other link (latencies, duplicates, reorders)', () => {
    const rec = runScenario(mesh, { seed: 4, swarm: false, buggify: false, linkStreams: true });
    const script = rec.script ?? [];
    const drop = script.find((e) => e.kind === 'drop' && linkOf(e) === 'n1>n2');
    expect(drop).toBeDefined();
    const rest = script.filter((e) => e !== drop);
    const touched = ['n1>n2', 'n2>n1'];
    const full = deliveries({ seed: 4, swarm: false, buggify: false, linkStreams: true, script }, touched);
    const less = deliveries({ seed: 4, swarm: false, buggify: false, linkStreams: true, script: rest }, touched);
    expect(full.length).toBeGreaterThan(100);
    expect(less).toEqual(full);
    // The removed drop is delivered now: n1→n2 (and n2's acks) did change.
    const others = IDS.flatMap((x) => IDS.filter((y) => y !== x).map((y) => `${x}>${y}`)).filter((l) => !touched.includes(l));
    const onTouched = (s: readonly ScriptEntry[]): string[] => deliveries({ seed: 4, swarm: false, buggify: false, linkStreams: true, script: s }, others);
    expect(onTouched(rest)).not.toEqual(onTouched(script));
  });
});

/** n1 appends a record and fsyncs it every 10 ms; a failed fsync is a violation ("fsync-ok"). */
const writer = defineScenario({
  name: 'test-disk-writer',
  description: 'one node writing to a faulty disk',
  params: {
    writeErrorRate: param.float({ doc: 'fsync EIO rate', default: 0.02, min: 0, max: 1 }),
    readErrorRate: param.float({ doc: 'read EIO rate', default: 0.1, min: 0, max: 1 }),
  },
  durationNs: ms(500),
  setup(w, p) {
    const n1 = w.addNode('n1', (ctx: NodeContext) => {
      const disk = w.node('n1').disk;
      let i = 0;
      const tick = (): void => {
        disk.append('log', ++i);
        disk.read('log'); // a read the disk may fail: its own decisions, on the disk's own stream
        disk.fsync((err) => {
          if (err !== null) w.violation('fsync-ok', `fsync of record ${i} failed with ${err}`);
        });
        ctx.setTimer(ms(10), tick);
      };
      ctx.setTimer(ms(10), tick);
      return { onMessage: () => {} };
    });
    n1.disk.faults = { ...n1.disk.faults, writeErrorRate: p.writeErrorRate, readErrorRate: p.readErrorRate };
  },
}) as unknown as Scenario;

describe('disk faults as recorded decisions', () => {
  /** The first seed whose run fails fsync-ok. */
  function failing(): { seed: number; script: ScriptEntry[] } {
    for (let seed = 1; seed < 50; seed++) {
      const r = runScenario(writer, { seed, swarm: false, buggify: false, linkStreams: true });
      if (!r.ok) return { seed, script: [...(r.script ?? [])] };
    }
    throw new Error('no seed of 50 failed');
  }

  it("a failure that needs an fsync error replays from its script with the disk's stream replaced, shrinks to that fault, and goes away without it", () => {
    const { seed, script } = failing();
    const errors = script.filter((e) => e.kind === 'disk-error' && e.op === 'fsync');
    expect(errors.length).toBeGreaterThan(0);
    expect(script.some((e) => e.kind === 'disk-error' && e.op === 'read')).toBe(true);
    // Another seed (every stream differs) and no fault rates: the script alone makes the failure.
    const other = runScenario(writer, { seed: seed + 1000, swarm: false, buggify: false, linkStreams: true, pins: { writeErrorRate: 0, readErrorRate: 0 }, script });
    expect(other.ok).toBe(false);
    expect(other.violations[0]?.invariant).toBe('fsync-ok');
    expect(other.violations[0]?.message).toBe(runScenario(writer, { seed, swarm: false, buggify: false, linkStreams: true }).violations[0]?.message);
    // Deleting the fsync errors from the script makes it go away (the seed's own draws no longer decide).
    const without = runScenario(writer, { seed, swarm: false, buggify: false, linkStreams: true, script: script.filter((e) => !errors.includes(e)) });
    expect(without.ok).toBe(true);
    // A hand-written script naming one fsync fails exactly there.
    const one = runScenario(writer, { seed: 7, swarm: false, buggify: false, linkStreams: true, pins: { writeErrorRate: 0, readErrorRate: 0 }, script: [at(ms(1), diskError('n1', 'fsync', 5))] });
    expect(one.violations.map((v) => v.message)).toEqual(['fsync of record 5 failed with EIO']);
    // Shrink keeps it failing and keeps only what it needs: one fsync error.
    const s = shrink({ scenario: writer, seed, params: {}, buggify: false, invariant: 'fsync-ok', maxRuns: 40, script });
    expect(s.scriptReproduced).toBe(true);
    expect(s.shrunk.ok).toBe(false);
    expect(s.script?.map((e) => `${e.kind} ${'op' in e ? e.op : ''}`)).toEqual(['disk-error fsync']);
  });
});

/** n1 pings n2 every 5 ms, n2 answers; message rules drop some pings and delay every pong (when `rules`). */
const ruled = defineScenario({
  name: 'test-ruled',
  description: 'message rules over a ping-pong',
  params: { rules: param.bool({ doc: 'add the message rules', default: true }) },
  durationNs: ms(200),
  setup(w, p) {
    w.net.setDefaults({ latency: { kind: 'constant', ns: ms(1) } });
    w.addNode('n1', (ctx: NodeContext) => {
      let i = 0;
      const tick = (): void => {
        ctx.send('n2', { type: 'ping', i: ++i });
        ctx.setTimer(ms(5), tick);
      };
      ctx.setTimer(ms(5), tick);
      return { onMessage: (env) => ctx.log('pong', String((env.body as { i: number }).i)) };
    });
    w.addNode('n2', (ctx: NodeContext) => ({ onMessage: (env) => ctx.send('n1', { type: 'pong', i: (env.body as { i: number }).i }) }));
    if (p.rules) {
      w.net.addMessageFault({ types: ['ping'], dropRate: 0.3 });
      w.net.addMessageFault({ types: ['pong'], latency: { kind: 'uniform', minNs: ms(2), maxNs: ms(9) } });
    }
  },
}) as unknown as Scenario;

describe('message rules as recorded decisions', () => {
  const pongs = (o: Parameters<typeof runScenario>[1]): string[] => {
    const out: string[] = [];
    runScenario(ruled, { ...o, traceSink: (r: TraceRecord) => void (r.kind === 'pong' && out.push(`${r.atNs} ${r.detail}`)) });
    return out;
  };

  it("records a rule's drops and delays by message; a script replays them without the rules, and without its entries nothing is dropped or delayed", () => {
    const rec = runScenario(ruled, { seed: 3, swarm: false, buggify: false, linkStreams: true });
    const script = rec.script ?? [];
    const drops = script.filter((e) => e.kind === 'rule-drop');
    const delays = script.filter((e) => e.kind === 'delay');
    expect(drops.length).toBeGreaterThan(3);
    expect(delays.length).toBeGreaterThan(10);
    for (const d of delays) expect(d).toMatchObject({ from: 'n2', to: 'n1', latencyNs: expect.any(Number) });
    const seeded = pongs({ seed: 3, swarm: false, buggify: false, linkStreams: true });
    // The rules switched off and another seed: the script alone drops and delays the same messages.
    expect(pongs({ seed: 99, swarm: false, buggify: false, linkStreams: true, pins: { rules: false }, script })).toEqual(seeded);
    // Without the entries the rules still exist but decide nothing: every ping answered, 1 ms each way.
    const bare = pongs({ seed: 3, swarm: false, buggify: false, linkStreams: true, script: [] });
    const numbers = bare.map((x) => Number(x.split(' ')[1]));
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    expect(numbers.length).toBeGreaterThanOrEqual(seeded.length + drops.length);
    expect(bare.every((x) => Number(x.split(' ')[0]) % ms(5) === ms(2))).toBe(true);
  });
});

describe('device faults as recorded decisions', () => {
  it("hwkv's trust-ssd-result catch needs a SmartSSD's damaged scan: it replays from the script, shrinks to keep it, and goes away without it", () => {
    const scn = accelerated as unknown as Scenario;
    const c = findCatchingSeed(scn, { pins: { bug: 'trust-ssd-result' }, cap: 50, buggify: false });
    expect(c.invariant).toBe('no-corrupt-scan-served');
    const r = c.result!;
    const script = r.script ?? [];
    const isSsd = (e: ScriptEntry): boolean => (e.kind === 'device' && e.fault.startsWith('ssd-')) || (e.kind === 'buggify' && e.site.startsWith('hw.ssd.'));
    const ssd = script.filter((e) => e.kind === 'device' && e.fault.startsWith('ssd-'));
    expect(ssd.length).toBeGreaterThan(0);
    for (const e of ssd) expect(e).toMatchObject({ device: expect.any(String), n: expect.any(Number) });
    const run = (seed: number, s: readonly ScriptEntry[]) => runScenario(scn, { seed, pins: r.params, swarm: false, buggify: false, linkStreams: true, script: s });
    expect(run(c.seed!, script).violations[0]?.invariant).toBe('no-corrupt-scan-served');
    expect(run(c.seed!, script.filter((e) => !isSsd(e))).ok).toBe(true);
    const s = shrink({ scenario: scn, seed: c.seed!, params: r.params, buggify: false, invariant: 'no-corrupt-scan-served', maxRuns: 12, script });
    expect(s.shrunk.violations[0]?.invariant).toBe('no-corrupt-scan-served');
    expect((s.script ?? []).some(isSsd)).toBe(true);
  });
});

describe("the hardware nemesis's episodes as recorded decisions", () => {
  it('device crashes, wedges and domain failures are recorded with their lengths; a scripted run makes the same ones, an empty script none', () => {
    const scn = accelerated as unknown as Scenario;
    const pins = { bug: 'none' };
    const seen = (o: Parameters<typeof runScenario>[1]): { r: ReturnType<typeof runScenario>; lines: string[] } => {
      const lines: string[] = [];
      const r = runScenario(scn, { ...o, traceSink: (x: TraceRecord) => void (['device-crash', 'device-wedge', 'device-restart'].includes(x.kind) && lines.push(`${x.atNs} ${x.node} ${x.kind}`)) });
      return { r, lines };
    };
    const rec = seen({ seed: 2, pins, swarm: false, buggify: false, linkStreams: true });
    const downs = (rec.r.script ?? []).filter((e) => e.kind === 'device-down');
    expect(downs.length).toBeGreaterThan(1);
    for (const e of downs) expect(e).toMatchObject({ device: expect.any(String), how: expect.stringMatching(/^(crash|wedge|domain)$/) });
    const inFault = (xs: string[]): string[] => xs.filter((x) => Number(x.split(' ')[0]) > 0 && Number(x.split(' ')[0]) < rec.r.faultPhaseNs);
    const scripted = seen({ seed: 2, pins, swarm: false, buggify: false, linkStreams: true, script: rec.r.script });
    expect(inFault(scripted.lines)).toEqual(inFault(rec.lines));
    expect(inFault(seen({ seed: 2, pins, swarm: false, buggify: false, linkStreams: true, script: [] }).lines)).toEqual([]);
  });
});
