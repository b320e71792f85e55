/**
 * The sweep report from results lines: counts, failures and first failing seeds independent of
 * the order runs finished in, coverage (never hit first, mustReach), and partial reports.
 */
import { describe, expect, it } from 'vitest';
import { RESULT_FORMAT, RESULTS_HEADER_FORMAT } from './formats.ts';
import type { ResultLine, ResultsHeader } from './results.ts';
import { reportExitCode, SweepAggregator } from './sweep-report.ts';
import { junitFromReport, markdownSummary, terminalSummary } from './sweep-render.ts';
import { Chalk } from 'chalk';

function line(scenario: string, seed: number, ok: boolean, extra: Partial<ResultLine> = {}): ResultLine {
  return {
    format: RESULT_FORMAT,
    runId: 'r1',
    scenario,
    seed,
    ok,
    outcome: ok ? 'pass' : 'safety',
    violations: ok ? [] : [{ invariant: 'inv', atNs: 5, eventIndex: 1, message: `seed ${seed} broke it` }],
    pending: [],
    traceHash: `h${seed}`,
    events: 10,
    simTimeNs: 1e9,
    faultPhaseNs: 1e9,
    recoveredAfterNs: null,
    buggify: { enabled: false, enabledSites: [], fired: {}, reached: {} },
    params: {},
    swarm: true,
    metrics: {},
    wallMs: 3,
    run: `npx detsim run ${scenario} --seed ${seed}`,
    ...(ok ? {} : { repro: `out/${scenario}-seed${seed}.json`, replay: `npx detsim replay out/${scenario}-seed${seed}.json` }),
    ...extra,
  };
}

function header(over: Partial<ResultsHeader> = {}): ResultsHeader {
  return { format: RESULTS_HEADER_FORMAT, kind: 'header', runId: 'r1', command: 'detsim sweep a b --seeds 4', scenarios: ['a', 'b'], seeds: 4, from: 1, shard: null, startedAt: 'x', planned: 8, mode: 'sweep', ...over };
}

const plain = new Chalk({ level: 0 });

describe('SweepAggregator', () => {
  it('the report does not depend on the order runs finished in', () => {
    const lines = [line('a', 1, true), line('a', 2, false), line('b', 1, false), line('b', 3, true), line('a', 4, false), line('b', 2, true), line('a', 3, true), line('b', 4, false)];
    const reports = [lines, [...lines].reverse(), [lines[3]!, lines[0]!, lines[7]!, lines[2]!, lines[5]!, lines[1]!, lines[6]!, lines[4]!]].map((ls) => {
      const agg = new SweepAggregator();
      agg.addHeader(header(), 'f');
      for (const l of ls) agg.add(l, 'f');
      return agg.report();
    });
    expect(reports[1]).toEqual(reports[0]);
    expect(reports[2]).toEqual(reports[0]);
    const r = reports[0]!;
    expect(r.summary).toMatchObject({ runs: 8, passed: 4, failed: 4, planned: 8 });
    expect(r.partial).toBe(false);
    expect(r.scenarios.map((s) => [s.scenario, s.firstFailingSeed])).toEqual([['a', 2], ['b', 1]]);
    expect(r.failures.map((f) => `${f.scenario}#${f.seed}`)).toEqual(['a#2', 'a#4', 'b#1', 'b#4']);
    expect(reportExitCode(r)).toBe(1);
  });

  it('coverage: seeds per probe, the lowest first seed with its command, never-hit probes and never-fired buggify sites first', () => {
    const agg = new SweepAggregator();
    agg.addHeader(header({ scenarios: ['a'], planned: 3, seeds: 3 }), 'f');
    const cov = (probes: Record<string, number>, sometimes: Record<string, boolean>) => ({ coverage: { probes, declared: ['p.common', 'p.never', 'p.rare'], sometimes, mustReach: [] } });
    agg.add(line('a', 3, true, { ...cov({ 'p.common': 2, 'p.rare': 1 }, { 's.held': true, 's.never': false }), buggify: { enabled: true, enabledSites: ['b.fires'], fired: { 'b.fires': 2 }, reached: { 'b.fires': 3, 'b.quiet': 1 } } }), 'f');
    agg.add(line('a', 1, true, cov({ 'p.common': 1 }, { 's.held': false, 's.never': false })), 'f');
    agg.add(line('a', 2, true, cov({ 'p.common': 5 }, { 's.held': true, 's.never': false })), 'f');
    const r = agg.report();
    expect(r.coverage.probes.map((p) => [p.name, p.seeds, p.runs])).toEqual([['p.never', 0, 3], ['p.rare', 1, 3], ['p.common', 3, 3]]);
    expect(r.coverage.probes.find((p) => p.name === 'p.common')!.first).toEqual({ scenario: 'a', seed: 1, run: 'npx detsim run a --seed 1' });
    expect(r.coverage.probes.find((p) => p.name === 'p.common')!.hits).toBe(8);
    expect(r.coverage.sometimes.map((s) => [s.name, s.seeds, s.first?.seed ?? null])).toEqual([['s.never', 0, null], ['s.held', 2, 2]]);
    expect(r.coverage.buggify.map((b) => [b.site, b.firedSeeds, b.reachedSeeds])).toEqual([['b.quiet', 0, 1], ['b.fires', 1, 1]]);
    const text = terminalSummary(r, plain).join('\n');
    const rows = text.split('\n').filter((l) => /^\s+(probe|sometimes|buggify)\s/.test(l));
    // Never hit first, across kinds.
    expect(rows.slice(0, 3).map((l) => l.trim().split(/\s+/)[1])).toEqual(['p.never', 's.never', 'b.quiet']);
    expect(rows[0]).toContain('never');
    expect(markdownSummary(r)).toContain('| probe | **p.never** (never) | 0/3 |');
    expect(reportExitCode(r)).toBe(0);
  });

  it('a mustReach entry never reached in the whole sweep fails it, with a message naming the scenario and the probe', () => {
    const agg = new SweepAggregator();
    agg.addHeader(header({ scenarios: ['a'], planned: 2, seeds: 2 }), 'f');
    const cov = (probes: Record<string, number>) => ({ coverage: { probes, declared: ['p.hit', 'p.missed'], sometimes: { 's.ok': true }, mustReach: ['p.hit', 'p.missed', 's.ok'] } });
    agg.add(line('a', 1, true, cov({ 'p.hit': 1 })), 'f');
    agg.add(line('a', 2, true, cov({})), 'f');
    const r = agg.report();
    expect(r.summary.failed).toBe(0);
    expect(r.summary.unreached).toBe(1);
    expect(r.coverage.mustReach[0]).toMatchObject({ scenario: 'a', name: 'p.missed', reached: false, runs: 2 });
    expect(reportExitCode(r)).toBe(1);
    expect(terminalSummary(r, plain).join('\n')).toMatch(/a: "p\.missed" must be reached \(mustReach\) but no seed of 2 reached it/);
    expect(terminalSummary(r, plain).at(-1)).toMatch(/^FAIL /);
    expect(junitFromReport(r, (s) => agg.passes(s))).toContain('name="mustReach p.missed"');
  });

  it('results without coverage (a build before probes) give an empty coverage table and no failure', () => {
    const agg = new SweepAggregator();
    agg.add(line('a', 1, true));
    const r = agg.report();
    expect(r.coverage).toEqual({ probes: [], sometimes: [], buggify: [], mustReach: [] });
    expect(reportExitCode(r)).toBe(0);
  });

  it('missing shards and files cut short make the report partial, and partial is never a pass', () => {
    const agg = new SweepAggregator();
    agg.addHeader(header({ runId: 's1', shard: '1/3', planned: 3 }), 'f1');
    agg.addHeader(header({ runId: 's3', shard: '3/3', planned: 3 }), 'f3');
    // The lines of f1 are sweep s1's, as its header says (a line of another sweep is refused).
    agg.add(line('a', 1, true, { runId: 's1' }), 'f1');
    agg.add(line('b', 3, true, { runId: 's1' }), 'f1');
    const r = agg.report();
    expect(r.partial).toBe(true);
    expect(r.incomplete.join('\n')).toContain('shard(s) 2/3');
    expect(r.incomplete.join('\n')).toContain('f3 (shard 3/3) has 0 of its');
    expect(r.summary.planned).toBe(8);
    expect(reportExitCode(r)).toBe(1);
    const junit = junitFromReport(r, (s) => agg.passes(s));
    expect(junit).toContain('name="sweep completed"');
    expect(junit).toMatch(/<testsuites name="detsim" tests="3" failures="1"/);
    expect(markdownSummary(r)).toContain('INCOMPLETE');
  });

  it('one shard given twice is refused', () => {
    const agg = new SweepAggregator();
    agg.addHeader(header({ runId: 'x', shard: '2/3' }), 'f1');
    expect(() => agg.addHeader(header({ runId: 'y', shard: '2/3' }), 'f2')).toThrow(/shard 2\/3 appears twice/);
    expect(() => agg.addHeader(header({ runId: 'x', shard: '1/3' }), 'f3')).toThrow(/same sweep \(run id x\)/);
  });

  it('JUnit lists every failure with its replay command and escapes what it quotes', () => {
    const agg = new SweepAggregator();
    agg.add(line('a', 1, false, { violations: [{ invariant: 'x<y', atNs: 1, eventIndex: 1, message: 'a "quoted" & <odd> value' }] }));
    agg.add(line('a', 2, true));
    const xml = junitFromReport(agg.report(), (s) => agg.passes(s));
    expect(xml).toContain('<testsuite name="a" tests="2" failures="1"');
    expect(xml).toContain('message="x&lt;y: a &quot;quoted&quot; &amp; &lt;odd&gt; value"');
    expect(xml).toContain('replay: npx detsim replay out/a-seed1.json');
    expect(xml).toContain('<testcase classname="a" name="seed 2"');
  });
});
