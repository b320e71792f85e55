import { describe, expect, it } from 'vitest';
import { executeRun } from '../cli/execute.ts';
import { resolveScenario } from '../cli/scenarios.ts';
import { Simulation } from '../sim/kernel.ts';
import type { TraceRecord } from '../sim/trace.ts';
import { histogramSvg, sweepHtml } from './sweep-html.ts';
import { TimelineCollector, timelineHtml } from './timeline-html.ts';

/** The page's embedded data, as the page script reads it. */
function dataOf(html: string): Record<string, unknown> & { lanes: string[]; kinds: string[]; types: string[]; m: unknown[]; d: string[] } {
  const m = /<script id="data" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]!);
}

describe('timelineHtml', () => {
  const records: TraceRecord[] = [
    { atNs: 0, eventIndex: 0, node: 'n10', kind: 'start', detail: 'incarnation 1' },
    { atNs: 1_000, eventIndex: 1, node: 'n2', kind: 'start', detail: 'incarnation 1' },
    { atNs: 5_000_000, eventIndex: 3, node: 'n2', kind: 'recv', detail: 'from n1: <ping>', msg: { from: 'n1', to: 'n2', sentAtNs: 4_000_000, type: 'ping', reply: false, body: '{"x":"</script><b>"}' } },
    { atNs: 9_000_000, eventIndex: 7, node: 'n10', kind: 'crash', detail: 'disk lost 2' },
    { atNs: 9_500_000, eventIndex: 8, node: '-', kind: 'VIOLATION', detail: 'x: "bad" & worse' },
  ];

  it('lays out the world first, then nodes in natural order, including nodes known only as senders', () => {
    const d = dataOf(timelineHtml({ title: 'demo', records }));
    expect(d.lanes).toEqual(['-', 'n1', 'n2', 'n10']);
    expect(d.kinds).toEqual(['start', 'recv', 'crash', 'VIOLATION']);
    expect(d.types).toEqual(['ping']);
    // A message: [from lane, sent at, type, reply, to lane, body].
    expect(d.m[2]).toEqual([1, 4_000_000, 0, 0, 2, '{"x":"</script><b>"}']);
    expect(d.m[0]).toBe(0);
  });

  it('cannot be broken out of by details or bodies that come from simulated systems', () => {
    const html = timelineHtml({ title: '<t>', records });
    expect(html).not.toContain('<ping>');
    expect(html).not.toContain('</script><b>');
    expect(html.match(/<\/script>/g)).toHaveLength(2); // the data and the page script, nothing else
    expect(html).toContain('<title>&lt;t&gt;</title>');
    expect(dataOf(html).d[4]).toBe('x: "bad" & worse');
  });

  it('marks the violation and says why in the header; a liveness failure names its pending property', () => {
    const safety = timelineHtml({ title: 't', records, outcome: 'safety', violation: { atNs: 9_500_000, eventIndex: 8, invariant: 'no-phantom', message: 'n1 invented 7' } });
    expect(safety).toContain('no-phantom: n1 invented 7');
    expect(dataOf(safety).violation).toEqual({ atNs: 9_500_000, eventIndex: 8, invariant: 'no-phantom' });
    const live = timelineHtml({ title: 't', records, outcome: 'liveness', pending: [{ property: 'converged', reason: 'n3 lacks 4 values' }], violation: { atNs: 9_500_000, eventIndex: 8, invariant: 'converged', message: 'still pending' } });
    expect(live).toContain('still pending when the liveness bound passed');
    expect(live).toContain('n3 lacks 4 values');
    const pass = timelineHtml({ title: 't', records: records.slice(0, 3), outcome: 'pass' });
    expect(dataOf(pass).violation).toBeNull();
    expect(pass).not.toContain('class="why');
  });

  it('says when it shows only the last records of a longer run', () => {
    const c = new TimelineCollector(3);
    for (let i = 0; i < 10; i++) c.sink({ atNs: i, eventIndex: i, node: 'n1', kind: 'start', detail: String(i) });
    expect(c.total).toBe(10);
    expect(c.records().map((r) => r.detail)).toEqual(['7', '8', '9']);
    const html = timelineHtml({ title: 't', records: c.records(), totalRecords: c.total });
    expect(html).toContain('Showing the last 3 of 10 trace records');
  });
});

describe('trace records for a timeline', () => {
  it('deliveries and drops carry their message (from, sent at, type, body) for a sink, and the hash does not change', async () => {
    const l = await resolveScenario('broadcast');
    const c = new TimelineCollector();
    const pins = { netLossRate: 0.05, crashMsMean: 500 };
    const r = executeRun(l.scenario, { seed: 3, pins, swarm: false, extraSink: c.sink });
    const recs = c.records();
    const recv = recs.filter((x) => x.kind === 'recv');
    const drops = recs.filter((x) => x.kind === 'drop');
    expect(recv.length).toBeGreaterThan(100);
    expect(drops.length).toBeGreaterThan(0);
    for (const x of [...recv, ...drops]) {
      expect(x.msg).toBeDefined();
      expect(x.msg!.sentAtNs).toBeLessThanOrEqual(x.atNs);
      expect(x.detail).toContain(x.msg!.to === x.node ? x.msg!.from : x.msg!.to);
      expect(() => JSON.parse(x.msg!.body)).not.toThrow();
    }
    // A sink reads more of each record, but the run is the same run.
    const plain = executeRun(l.scenario, { seed: 3, pins, swarm: false });
    expect(plain.traceHash).toBe(r.traceHash);
  });

  it('a BUGGIFY site that fires is a trace record of the node that reached it', () => {
    const sink: TraceRecord[] = [];
    const sim = new Simulation({ seed: 1, buggify: { enabled: true, enableProbability: 1, fireProbability: 1 }, traceSink: (x) => sink.push(x) });
    expect(sim.buggify.fire('disk.slow', 'n3')).toBe(true);
    expect(sink.at(-1)).toMatchObject({ node: 'n3', kind: 'buggify', detail: 'disk.slow' });
    const off = new Simulation({ seed: 1, buggify: { enabled: true, enableProbability: 0, fireProbability: 1 }, traceSink: (x) => sink.push(x) });
    const before = sink.length;
    expect(off.buggify.fire('disk.slow', 'n3')).toBe(false);
    expect(sink.length).toBe(before);
  });
});

describe('sweepHtml', () => {
  const run = (scenario: string, seed: number, outcome: string, extra: Record<string, unknown> = {}) => ({ scenario, seed, ok: outcome === 'pass', outcome, violations: outcome === 'pass' ? [] : [{ invariant: 'inv', message: '<boom>', atNs: 5 }], simTimeNs: 1e9, wallMs: 20, recoveredAfterNs: outcome === 'pass' ? seed * 1e6 : null, ...extra });

  it('counts runs by scenario and outcome, lists every failure with its replay command, escaped', () => {
    const html = sweepHtml({ title: 'nightly', runs: [run('a', 1, 'pass'), run('a', 2, 'safety', { replay: 'npx detsim run a --seed 2' }), run('b', 1, 'pass'), run('b', 2, 'liveness')], command: 'detsim sweep a b' });
    expect(html).toContain('4 runs over 2 scenario(s): 2 passed, 2 failed');
    expect(html).toContain('npx detsim run a --seed 2');
    expect(html).toContain('npx detsim run b --seed 2'); // a default replay command when none was recorded
    expect(html).toContain('inv: &lt;boom&gt;');
    expect(html).not.toContain('<boom>');
    expect(html).toContain('2 failed</span>');
  });

  it('says a cut-short sweep is incomplete, one with no run checked nothing, and a clean one passed', () => {
    const cut = sweepHtml({ title: 't', runs: [run('a', 1, 'pass')], incomplete: true });
    expect(cut).toContain('id="verdict">incomplete<');
    expect(cut).toContain('Incomplete: this sweep was cut short');
    expect(sweepHtml({ title: 't', runs: [] })).toContain('id="verdict">nothing checked<');
    const ok = sweepHtml({ title: 't', runs: [run('a', 1, 'pass')] });
    expect(ok).toContain('all passed');
    expect(ok).toContain('No failures.');
  });

  it("marks a scenario whose passes had no liveness phase 'liveness unchecked', as the terminal does", () => {
    const html = sweepHtml({ title: 't', runs: [run('a', 1, 'pass', { recoveredAfterNs: null }), run('a', 2, 'pass', { recoveredAfterNs: null }), run('b', 1, 'pass'), run('b', 2, 'safety')] });
    expect(html).toContain('a<div class="note liveness-unchecked">liveness unchecked in 2 passing run(s)');
    expect(html.match(/liveness-unchecked/g)).toHaveLength(1); // b recovered; its failure's null is no pass
  });

  it('notes a scenario some of whose runs fell back to the defaults (draws that clash with the pins)', () => {
    const html = sweepHtml({ title: 't', runs: [run('a', 1, 'pass', { paramsFellBack: 'x is longer than y' }), run('a', 2, 'pass'), run('b', 1, 'pass')] });
    expect(html).toContain('<div class="note ran-with-defaults">1 run(s) ran with the defaults');
    expect(html.match(/ran-with-defaults/g)).toHaveLength(1);
  });

  it('lists coverage, never-reached first', () => {
    const html = sweepHtml({ title: 't', runs: [run('a', 1, 'pass', { coverage: { probes: { 'raft.snap': 1 }, sometimes: { 'leader-changed': false } } }), run('a', 2, 'pass', { coverage: { probes: { 'raft.snap': 2 }, sometimes: { 'leader-changed': false } } })] });
    expect(html.indexOf('leader-changed')).toBeLessThan(html.indexOf('raft.snap'));
    expect(html).toMatch(/raft\.snap<\/td><td class="num">2<\/td><td class="mono">a --seed 1/);
    // With the run's own command, pins and all (the Markdown's), so pasting it reaches the probe.
    const pinned = sweepHtml({ title: 't', runs: [run('a', 6, 'pass', { run: 'npx detsim run a --seed 6 --param bug=x', coverage: { probes: { 'raft.snap': 1 } } })] });
    expect(pinned).toContain('<td class="mono">npx detsim run a --seed 6 --param bug=x</td>');
  });

  it('draws a histogram whose bars add up to the values', () => {
    const svg = histogramSvg([1, 2, 2, 3, 10], { bins: 5, fmt: String, label: 'x' });
    const counts = [...svg.matchAll(/: (\d+) run\(s\)/g)].map((m) => Number(m[1]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(5);
    expect(counts[0]).toBe(3); // [1, 2.8): 1, 2, 2
    expect(counts[4]).toBe(1); // 10, the maximum, in the last bin
    expect(histogramSvg([], { fmt: String, label: 'x' })).toContain('no data');
  });
});
