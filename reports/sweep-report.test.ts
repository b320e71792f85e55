/**
 * The sweep report from results lines: counts, failures and first failing seeds independent of
 * the order runs finished in, coverage (never hit first, mustReach), and incomplete reports.
 */
import { describe, expect, it } from 'vitest';
import { RESULT_FORMAT, RESULTS_HEADER_FORMAT } from './formats.ts';
import type { ResultLine, ResultsHeader } from './results.ts';
import { commandForShard, reportExitCode, SweepAggregator } from './sweep-report.ts';
import { shellQuote, shellWords } from './commands.ts';
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
    expect(r.incomplete).toEqual([]);
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

  it("passes without a liveness phase are counted and named 'liveness unchecked', as run's PASS line says; the verdict stays a pass", () => {
    const agg = new SweepAggregator();
    agg.addHeader(header({ scenarios: ['a', 'b'], planned: 5, seeds: 3 }), 'f');
    // a: no liveness property (a pass's recovery time is null); b: recovered after the faults.
    agg.add(line('a', 1, true), 'f');
    agg.add(line('a', 2, true), 'f');
    agg.add(line('a', 3, false), 'f'); // a failure is no pass, whatever its recovery time
    agg.add(line('b', 1, true, { recoveredAfterNs: 20e6 }), 'f');
    agg.add(line('b', 2, true, { recoveredAfterNs: 30e6 }), 'f');
    // regress: a bug variant caught as expected is a pass of the regression, with no liveness phase
    // (it stopped at its violation): not a pass whose liveness went unchecked.
    agg.add(line('b', 3, true, { metrics: { expectedFailure: 'no-phantom caught as expected' } }), 'f');
    const r = agg.report();
    expect(r.scenarios.map((s) => [s.scenario, s.livenessUnchecked])).toEqual([['a', 2], ['b', undefined]]);
    const text = terminalSummary(r, plain).join('\n');
    expect(text).toContain('LIVENESS UNCHECKED: a passed 2 of its 3 run(s) without a liveness phase');
    expect(text).not.toMatch(/LIVENESS UNCHECKED: b /);
    expect(markdownSummary(r)).toContain('> ⚠️ **LIVENESS UNCHECKED:** a passed 2 of its 3 run(s) without a liveness phase');
    const clean = new SweepAggregator();
    clean.addHeader(header({ scenarios: ['b'], planned: 1, seeds: 1 }), 'f');
    clean.add(line('b', 1, true, { recoveredAfterNs: 20e6 }), 'f');
    expect(terminalSummary(clean.report(), plain).join('\n')).not.toContain('LIVENESS UNCHECKED');
    expect(terminalSummary(clean.report(), plain).at(-1)).toMatch(/^PASS /);
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

  it('missing shards and files cut short make the report INCOMPLETE, never a pass', () => {
    const agg = new SweepAggregator();
    agg.addHeader(header({ runId: 's1', shard: '1/3', planned: 3 }), 'f1');
    agg.addHeader(header({ runId: 's3', shard: '3/3', planned: 3 }), 'f3');
    // The lines of f1 are sweep s1's, as its header says (a line of another sweep is refused).
    agg.add(line('a', 1, true, { runId: 's1' }), 'f1');
    agg.add(line('b', 3, true, { runId: 's1' }), 'f1');
    const r = agg.report();
    expect(r.incomplete).not.toEqual([]);
    expect(r.incomplete.join('\n')).toContain('shard(s) 2/3');
    expect(r.incomplete.join('\n')).toContain('f3 (shard 3/3) has 0 of its');
    expect(r.summary.planned).toBe(8);
    expect(reportExitCode(r)).toBe(1);
    const junit = junitFromReport(r, (s) => agg.passes(s));
    expect(junit).toContain('name="sweep completed"');
    expect(junit).toMatch(/<testsuites name="detsim" tests="3" failures="1"/);
    expect(markdownSummary(r)).toContain('INCOMPLETE');
    // One word for the state in every output: the verdict line says what its reasons say.
    const term = terminalSummary(r, plain).join('\n');
    expect(term).toMatch(/^INCOMPLETE 2 runs of 8 planned/m);
    expect(term).not.toMatch(/partial/i);
    expect(junit).not.toMatch(/partial/i);
    expect(JSON.stringify(r)).not.toMatch(/partial/i);
  });

  it('a file cut short names the command that runs its shard (or sweep) again, to merge in its place', () => {
    const agg = new SweepAggregator();
    agg.addHeader(header({ runId: 's1', shard: '1/2', planned: 4, command: 'detsim sweep a b --seeds 4 --shard 1/2 --run-id s1 --out nightly --junit j.xml' }), 'f1');
    agg.addHeader(header({ runId: 's2', shard: '2/2', planned: 4, command: 'detsim sweep a b --seeds 4 --shard 2/2 --run-id s2 --out nightly' }), 'f2');
    agg.add(line('a', 1, true, { runId: 's1' }), 'f1');
    for (const [sc, seed] of [['a', 2], ['b', 2], ['a', 4], ['b', 4]] as const) agg.add(line(sc, seed, true, { runId: 's2' }), 'f2');
    const cut = agg.report().incomplete.find((m) => m.startsWith('f1'));
    expect(cut).toBe('f1 (shard 1/2) has 1 of its 4 runs: that sweep was stopped before the end. Move this file aside (a merge takes one file a shard), run `npx detsim sweep a b --seeds 4 --shard 1/2 --out nightly` and merge again');
    // Unsharded: the sweep itself again, without its run id.
    const one = new SweepAggregator();
    one.addHeader(header({ runId: 'u', planned: 8, command: "detsim sweep 'raft-*' --seeds 4 --run-id u" }), 'u.jsonl');
    expect(one.report().incomplete).toEqual(["u.jsonl has 0 of its 8 runs: that sweep was stopped before the end. Move this file aside (a merge takes one file a shard), run `npx detsim sweep 'raft-*' --seeds 4` and merge again"]);
  });

  it('results of two builds give no verdict, even when every run passed and no seed ran twice', () => {
    const make = (b1: string | undefined, b2: string | undefined) => {
      const agg = new SweepAggregator();
      agg.addHeader(header({ runId: 's1', shard: '1/2', planned: 4, ...(b1 !== undefined ? { build: b1 } : {}) }), 'f1');
      agg.addHeader(header({ runId: 's2', shard: '2/2', planned: 4, ...(b2 !== undefined ? { build: b2 } : {}) }), 'f2');
      for (const [sc, seed] of [['a', 1], ['b', 1], ['a', 3], ['b', 3]] as const) agg.add(line(sc, seed, true, { runId: 's1' }), 'f1');
      for (const [sc, seed] of [['a', 2], ['b', 2], ['a', 4], ['b', 4]] as const) agg.add(line(sc, seed, true, { runId: 's2' }), 'f2');
      return agg.report();
    };
    const mixed = make('aaaa11112222', 'bbbb33334444');
    expect(mixed.summary).toMatchObject({ runs: 8, passed: 8, failed: 0 });
    expect(mixed.incomplete).toEqual(['these results come from 2 different builds of detsim and the scenarios (build aaaa11112222: f1 (shard 1/2); build bbbb33334444: f2 (shard 2/2)), so no verdict covers them all: run the sweep again from one checkout (every shard on the same commit) and merge those results']);
    expect(reportExitCode(mixed)).toBe(1);
    expect(terminalSummary(mixed, plain).join('\n')).toMatch(/^INCOMPLETE/m);
    // One build, or files written before builds were recorded: a verdict as before.
    for (const r of [make('aaaa11112222', 'aaaa11112222'), make(undefined, undefined), make('aaaa11112222', undefined)]) {
      expect(r.incomplete).toEqual([]);
      expect(reportExitCode(r)).toBe(0);
    }
  });

  it('one shard given twice is refused', () => {
    const agg = new SweepAggregator();
    agg.addHeader(header({ runId: 'x', shard: '2/3' }), 'f1');
    expect(() => agg.addHeader(header({ runId: 'y', shard: '2/3' }), 'f2')).toThrow(/shard 2\/3 appears twice/);
    expect(() => agg.addHeader(header({ runId: 'x', shard: '1/3' }), 'f3')).toThrow(/same sweep \(run id x\)/);
    expect(() => agg.addHeader(header({ runId: 'x', shard: '2/3' }), 'f1')).toThrow('f1 holds the header of sweep x twice (a results file joined with itself?): merge one copy of that sweep\'s results');
  });

  it('a run given by two sweeps (overlapping seed ranges) counts once, planned once, and is named', () => {
    const agg = new SweepAggregator();
    agg.addHeader(header({ runId: 'lo', scenarios: ['a'], seeds: 4, from: 1, planned: 4 }), 'lo.jsonl');
    agg.addHeader(header({ runId: 'hi', scenarios: ['a'], seeds: 4, from: 3, planned: 4 }), 'hi.jsonl');
    for (const seed of [1, 2, 3, 4]) agg.add(line('a', seed, true, { runId: 'lo' }), 'lo.jsonl');
    for (const seed of [3, 4, 5, 6]) agg.add(line('a', seed, true, { runId: 'hi' }), 'hi.jsonl');
    const r = agg.report();
    expect(r.summary).toMatchObject({ runs: 6, passed: 6, failed: 0, planned: 6 });
    expect(r.scenarios[0]).toMatchObject({ runs: 6, planned: 6 });
    expect(r.incomplete).toEqual([]);
    expect(r.duplicates).toEqual({ lines: 2, differing: 0, notes: ['a seed 3 is in lo.jsonl and again in hi.jsonl (same result): counted once', 'a seed 4 is in lo.jsonl and again in hi.jsonl (same result): counted once'], notesNotListed: 0 });
    expect(terminalSummary(r, plain).join('\n')).toContain('DUPLICATE: a seed 3 is in lo.jsonl and again in hi.jsonl');
    expect(agg.passes('a').seeds.map((p) => p.seed)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(reportExitCode(r)).toBe(0);
  });

  it('two results of one run that differ make it one failed run, whichever came first', () => {
    const cases: [ResultLine, ResultLine, string][] = [
      [line('a', 2, true), line('a', 2, false, { runId: 'r2' }), 'safety'],
      [line('a', 2, false), line('a', 2, true, { runId: 'r2' }), 'safety'],
      // Both passed, with other traces: nondeterminism (or two builds).
      [line('a', 2, true), line('a', 2, true, { runId: 'r2', traceHash: 'other' }), 'nondeterministic'],
    ];
    for (const [first, second, outcome] of cases) {
      const agg = new SweepAggregator();
      agg.add(line('a', 1, true), 'f1');
      agg.add(first, 'f1');
      agg.add(second, 'f2');
      const r = agg.report();
      expect(r.summary, outcome).toMatchObject({ runs: 2, passed: 1, failed: 1 });
      expect(r.scenarios[0]!.outcomes).toEqual({ pass: 1, [outcome]: 1 });
      expect(r.failures).toHaveLength(1);
      expect(r.failures[0]).toMatchObject({ seed: 2, outcome });
      expect(r.duplicates).toMatchObject({ lines: 1, differing: 1 });
      expect(r.duplicates!.notes[0]).toMatch(/^a seed 2 with the same parameters is in f1 and again in f2 with different results: first (passed|failed), then .*nondeterministic.*two builds/);
      expect(agg.passes('a').seeds.map((p) => p.seed)).toEqual([1]);
      expect(terminalSummary(r, plain).join('\n')).toMatch(/DIFFERS: a seed 2/);
      expect(terminalSummary(r, plain).at(-1)).toMatch(/^FAIL 2 runs/);
      expect(reportExitCode(r)).toBe(1);
    }
    // The determinism violation names both results when both passed.
    const agg = new SweepAggregator();
    agg.add(line('a', 2, true), 'f1');
    agg.add(line('a', 2, true, { runId: 'r2', traceHash: 'other' }), 'f2');
    expect(agg.report().failures[0]!.violations[0]).toMatchObject({ invariant: 'determinism' });
  });

  it('a seed one sweep wrote twice does not stand in for a seed it is missing', () => {
    const agg = new SweepAggregator();
    agg.addHeader(header({ scenarios: ['a'], seeds: 3, planned: 3 }), 'f');
    for (const seed of [1, 2, 2]) agg.add(line('a', seed, true), 'f');
    const r = agg.report();
    expect(r.summary).toMatchObject({ runs: 2, planned: 3 });
    expect(r.incomplete).not.toEqual([]);
    expect(r.incomplete.join('\n')).toContain('f has 2 of its 3 runs');
    expect(r.duplicates!.notes).toEqual(['a seed 2 is twice in f (same result): counted once']);
    expect(reportExitCode(r)).toBe(1);
  });

  it('one seed with other parameters is another run: both count, no duplicate', () => {
    const agg = new SweepAggregator();
    agg.add(line('a', 1, true, { params: { bug: 'none' } }), 'f1');
    agg.add(line('a', 1, false, { params: { bug: 'phantom' }, runId: 'r2' }), 'f2');
    agg.add(line('a', 1, true, { params: { bug: 'none' }, buggify: { enabled: true, enabledSites: [], fired: {}, reached: {} }, runId: 'r3' }), 'f3');
    const r = agg.report();
    expect(r.summary).toMatchObject({ runs: 3, passed: 2, failed: 1 });
    expect(r.duplicates).toBeUndefined();
  });

  it('onRun tells a run-listing view each run once, as counted: a differing result after a pass replaces that run, after a failure nothing', () => {
    const told: string[] = [];
    const agg = new SweepAggregator({ onRun: (c) => told.push(`${c.line.scenario}#${c.line.seed} ${c.outcome}${c.replaces ? ' replaces' : ''}${c.violations[0] ? ` ${c.violations[0].invariant}` : ''}`) });
    agg.add(line('a', 1, true), 'f1');
    agg.add(line('a', 2, true), 'f1');
    agg.add(line('a', 3, false), 'f1');
    agg.add(line('a', 1, true), 'f2'); // the same result: counted once
    agg.add(line('a', 2, true, { traceHash: 'other' }), 'f2'); // both passed, other traces
    agg.add(line('a', 3, true, { traceHash: 'other' }), 'f2'); // after a failure: the failure stands
    agg.add(line('a', 1, true, { params: { bug: 'x' } }), 'f2'); // other parameters: another run
    expect(told).toEqual(['a#1 pass', 'a#2 pass', 'a#3 safety inv', 'a#2 nondeterministic replaces determinism', 'a#1 pass']);
    expect(agg.report().summary).toMatchObject({ runs: 4, passed: 2, failed: 2 });
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

describe('commandForShard', () => {
  it("turns one shard's command into another's, whichever way --shard is written, and says null without one", () => {
    expect(commandForShard('npx detsim sweep all --seeds 100 --shard 1/4 --out o/1', 4, 4)).toBe('npx detsim sweep all --seeds 100 --shard 4/4 --out o/1');
    expect(commandForShard('npx detsim sweep all --shard=2/3', 3, 3)).toBe('npx detsim sweep all --shard=3/3');
    expect(commandForShard('npx detsim sweep all --seeds 100', 2, 3)).toBeNull();
  });

  it('drops the shard\'s run id and its own report files, quotes each word for the shell, and reads back a quoted header', () => {
    // A header written before commands were quoted: words split on blanks.
    expect(commandForShard('detsim sweep raft-* broadcast --seeds 20 --shard 1/2 --out s1 --run-id n-s1 --junit s1/j.xml', 2, 2)).toBe("npx detsim sweep 'raft-*' broadcast --seeds 20 --shard 2/2 --out s1");
    expect(commandForShard("detsim sweep 'raft-*' --shard=1/3 --run-id=x --markdown 'my out/s.md' --html=r.html --out 'my out' --param 'k=it'\\''s'", 3, 3)).toBe("npx detsim sweep 'raft-*' --shard=3/3 --out 'my out' --param 'k=it'\\''s'");
  });
});

describe('shellWords', () => {
  it('reads back what shellQuote wrote, word for word', () => {
    const words = ['detsim', 'sweep', 'raft-*', 'my out/x', "it's", '', 'a"b', 'c\\d', '$HOME'];
    expect(shellWords(words.map(shellQuote).join(' '))).toEqual(words);
    expect(shellWords(' a  "b \\" c"\tz\\ y ')).toEqual(['a', 'b " c', 'z y']);
  });
});
