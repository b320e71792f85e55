/**
 * The sweep report, computed from results lines only (reports/results.ts), so `detsim sweep`
 * and `detsim merge` share one code path: N shards merged give the report one sweep would have.
 *
 * Memory is bounded whatever the number of runs: counts per scenario and per probe, plus the
 * lowest-seed failures (FAILURES_KEPT per scenario) and passing seeds (PASSES_KEPT, for JUnit),
 * and, for a merge, 12 bytes a seed to know a run given twice (reports/seen-runs.ts), which
 * counts once.
 * Every ordering is by (scenario, seed), never by finishing order, so a report does not depend on
 * how many workers or shards ran the seeds.
 */
import { shellQuote, shellWords } from './commands.ts';
import { SWEEP_FORMAT } from './formats.ts';
import type { ResultLine, ResultsHeader } from './results.ts';
import { countInShard, parseShard, scenarioRanks } from '../cli/jobs.ts';
import { runIdentity, SeenRuns, type SeenAs } from './seen-runs.ts';

/** Failures kept in full per scenario (each has a repro file anyway). */
export const FAILURES_KEPT = 1000;
/** Passing seeds listed per scenario in JUnit (the counts are always exact). */
export const PASSES_KEPT = 1000;
/** Runs given twice that the report names one by one (the counts are always exact). */
export const DUPLICATES_LISTED = 20;

export interface FailureEntry {
  scenario: string;
  seed: number;
  outcome: string;
  violations: ResultLine['violations'];
  params: Record<string, unknown>;
  traceHash: string;
  wallMs: number;
  repro?: string;
  replay?: string;
  run?: string;
}

export interface FirstSeed {
  scenario: string;
  seed: number;
  /** The command that runs that seed. */
  run: string | null;
}

export interface ProbeRow {
  name: string;
  /** Seeds (runs) that hit it at least once. */
  seeds: number;
  /** Runs that declared it (or hit it). */
  runs: number;
  hits: number;
  first: FirstSeed | null;
}

export interface SometimesRow {
  name: string;
  /** Runs where the condition held at least once. */
  seeds: number;
  runs: number;
  first: FirstSeed | null;
}

export interface BuggifyRow {
  site: string;
  reachedSeeds: number;
  firedSeeds: number;
  fired: number;
  first: FirstSeed | null;
}

export interface MustReachRow {
  scenario: string;
  name: string;
  reached: boolean;
  seeds: number;
  runs: number;
}

export interface CoverageReport {
  /** Never-hit probes first, then by seeds hit (rarest first), then name. */
  probes: ProbeRow[];
  /** Never-true assertions first. */
  sometimes: SometimesRow[];
  /** Sites reached but never fired first. */
  buggify: BuggifyRow[];
  mustReach: MustReachRow[];
}

export interface ScenarioSummary {
  scenario: string;
  runs: number;
  passed: number;
  failed: number;
  outcomes: Record<string, number>;
  firstFailingSeed: number | null;
  simSeconds: number;
  /** Runs this scenario should have had (null if unknown). */
  planned: number | null;
  /**
   * Passing runs that had no liveness phase (the scenario declared no liveness property: safety
   * alone is true of a system that does nothing); absent when none.
   */
  livenessUnchecked?: number;
  /**
   * Runs whose seed draws, with the sweep's pins, made a combination the scenario refuses, so they
   * ran with the defaults of the parameters not pinned (RunResult.paramsFellBack): those seeds did
   * not test what they draw. The lowest such seed and why; absent when none.
   */
  ranWithDefaults?: { runs: number; firstSeed: number; why: string };
}

export interface SweepReport {
  format: typeof SWEEP_FORMAT;
  /**
   * Why the report covers fewer runs than planned (interrupted, shards missing, a results file cut
   * short or without its header), one sentence each; empty when it is complete. A report with any
   * is INCOMPLETE, never a pass. (detsim-sweep/1 had a `partial` flag beside it, true when this was not empty.)
   */
  incomplete: string[];
  runIds: string[];
  shards: string[];
  summary: {
    runs: number;
    passed: number;
    failed: number;
    planned: number | null;
    /** Wall seconds of the sweep (sweep only); merge reports the runs' own time in runSeconds. */
    wallSeconds?: number;
    seedsPerSec?: number;
    runSeconds: number;
    jobs?: number;
    /** The most workers running at once (at most `jobs`: one beyond the first starts only when the work left repays its warm-up). */
    workersUsed?: number;
    from?: number;
    seeds?: number;
    interrupted?: string;
    /** mustReach entries never reached: each fails the sweep. */
    unreached: number;
  };
  scenarios: ScenarioSummary[];
  failures: FailureEntry[];
  failuresNotListed: number;
  coverage: CoverageReport;
  /** Runs whose result was given more than once (each counted once); absent when none was. */
  duplicates?: DuplicatesReport;
}

export interface DuplicatesReport {
  /** Result lines of a run already counted (the run counts once). */
  lines: number;
  /** Of those, lines whose result differs from the first one's: each such run is a failure. */
  differing: number;
  /** One sentence per duplicate, those that differ first (at most DUPLICATES_LISTED). */
  notes: string[];
  notesNotListed: number;
}

/**
 * A run as the report counts it, for a view that lists runs (the HTML page): its first result, or
 * later the failure that replaces its first, passing result (`replaces`: the same `key`) when the
 * run was given again with another result. A result that counts for nothing is not passed on.
 */
export interface CountedRun {
  /** The result line, as given to `add`. */
  line: ResultLine;
  /** The run's identity: a later CountedRun with `replaces` and this key takes its place. */
  key: string;
  /** True when this result takes the place of the passing one counted before under `key`. */
  replaces: boolean;
  /** The verdict the report counts: a failure given after a pass, or a pass after a pass with another trace (`nondeterministic`). */
  ok: boolean;
  outcome: string;
  violations: ResultLine['violations'];
}

interface ScenarioAgg {
  runs: number;
  passed: number;
  failed: number;
  outcomes: Map<string, number>;
  /** Passing runs without a liveness phase. */
  livenessUnchecked: number;
  firstFailingSeed: number | null;
  simNs: number;
  wallMs: number;
  failures: FailureEntry[];
  failuresDropped: number;
  passes: { seed: number; wallMs: number }[];
  passesDropped: number;
  /** probe or sometimes name -> runs that reached it, for mustReach. */
  reached: Map<string, number>;
  mustReach: Set<string>;
  /** Runs that fell back to the defaults (RunResult.paramsFellBack), and the lowest seed of them. */
  ranWithDefaults: number;
  ranWithDefaultsFirst: { seed: number; why: string } | null;
}

interface Counter {
  seeds: number;
  runs: number;
  hits: number;
  first: FirstSeed | null;
}

function earlier(a: FirstSeed | null, scenario: string, seed: number): boolean {
  return a === null || seed < a.seed || (seed === a.seed && scenario < a.scenario);
}

/** Inserts into a list sorted by seed, keeping at most `cap` (the lowest seeds); returns true if one was dropped. */
function insertBounded<T extends { seed: number }>(list: T[], item: T, cap: number): boolean {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.seed < item.seed) lo = mid + 1;
    else hi = mid;
  }
  if (list.length >= cap && lo >= cap) return true;
  list.splice(lo, 0, item);
  if (list.length > cap) {
    list.pop();
    return true;
  }
  return false;
}

export class SweepAggregator {
  private readonly byScenario = new Map<string, ScenarioAgg>();
  private readonly order: string[] = [];
  private readonly headers: { header: ResultsHeader; source: string; lines: number }[] = [];
  private readonly probes = new Map<string, Counter>();
  private readonly sometimes = new Map<string, Counter>();
  private readonly buggify = new Map<string, { reachedSeeds: number; firedSeeds: number; fired: number; first: FirstSeed | null }>();
  private runMs = 0;
  /** Results files without a header, with the result lines read from each. */
  private readonly headerless = new Map<string, number>();
  private readonly seen: SeenRuns | null;
  private readonly dup = { lines: 0, differing: 0, byScenario: new Map<string, number>(), same: [] as string[], differs: [] as string[] };

  /**
   * `findRepeats` (default true): know each run seen, so one given twice counts once (12 bytes a
   * seed). A live sweep passes false: its pool gives each job one result, and an endless sweep
   * keeps flat memory.
   */
  private readonly onRun: ((run: CountedRun) => void) | undefined;

  /**
   * `onRun`: told of each run as it is counted (and of a failure that replaces a counted pass), for
   * a view listing the runs, so that which results count, and as what, is decided here alone.
   */
  constructor(opts: { findRepeats?: boolean; onRun?: (run: CountedRun) => void } = {}) {
    this.seen = opts.findRepeats === false ? null : new SeenRuns();
    this.onRun = opts.onRun;
  }

  /**
   * A results file that held no header (an empty file included): detsim writes the header before
   * any run, so the file is cut short or not a whole results file, and its planned runs are unknown.
   */
  noHeader(source: string): void {
    if (!this.headerless.has(source)) this.headerless.set(source, 0);
  }

  /** A results file's header; `source` names the file (lines from it are counted against it). */
  addHeader(header: ResultsHeader, source: string): void {
    const dup = this.headers.find((h) => h.header.runId === header.runId);
    if (dup && dup.source === source) throw new MergeError(`${source} holds the header of sweep ${header.runId} twice (a results file joined with itself?): merge one copy of that sweep's results`);
    if (dup) throw new MergeError(`${source} and ${dup.source} hold the same sweep (run id ${header.runId}): pass it once`);
    if (header.shard) {
      const same = this.headers.find((h) => h.header.shard === header.shard && sameSweep(h.header, header));
      if (same) throw new MergeError(`shard ${header.shard} appears twice (${same.source}, run ${same.header.runId}, and ${source}, run ${header.runId}): pass one results file per shard`);
    }
    this.headers.push({ header, source, lines: 0 });
    for (const s of header.scenarios) this.scenario(s);
  }

  private scenario(name: string): ScenarioAgg {
    let a = this.byScenario.get(name);
    if (!a) {
      a = { runs: 0, passed: 0, failed: 0, outcomes: new Map(), livenessUnchecked: 0, firstFailingSeed: null, simNs: 0, wallMs: 0, failures: [], failuresDropped: 0, passes: [], passesDropped: 0, reached: new Map(), mustReach: new Set(), ranWithDefaults: 0, ranWithDefaultsFirst: null };
      this.byScenario.set(name, a);
      this.order.push(name);
    }
    return a;
  }

  add(r: ResultLine, source?: string): void {
    const seen: SeenAs = this.seen?.see(r, source ?? '') ?? { kind: 'new' };
    if (source !== undefined) {
      const own = this.headers.filter((x) => x.source === source);
      const h = own.find((x) => x.header.runId === r.runId);
      // A line copied in from another sweep would count toward this sweep's planned runs and
      // could make a cut-short file look whole.
      if (own.length > 0 && !h) throw new MergeError(`${source} holds a result of sweep ${JSON.stringify(r.runId)} (${r.scenario} seed ${r.seed}) after the header of sweep ${own.map((x) => JSON.stringify(x.header.runId)).join(', ')}: a results file is written by one sweep; merge that sweep's own file instead of copying its lines`);
      // A run its own sweep wrote twice is one of its planned runs, not two: a missing one must show.
      if (h && !(seen.kind !== 'new' && seen.sameSweep)) h.lines++;
      else if (!h) this.headerless.set(source, (this.headerless.get(source) ?? 0) + 1);
    }
    if (seen.kind !== 'new') {
      this.duplicate(r, source ?? 'the same results', seen);
      return;
    }
    const a = this.scenario(r.scenario);
    a.runs++;
    a.outcomes.set(r.outcome, (a.outcomes.get(r.outcome) ?? 0) + 1);
    a.simNs += r.simTimeNs ?? 0;
    a.wallMs += r.wallMs ?? 0;
    this.runMs += r.wallMs ?? 0;
    if (typeof r.paramsFellBack === 'string') {
      a.ranWithDefaults++;
      if (a.ranWithDefaultsFirst === null || r.seed < a.ranWithDefaultsFirst.seed) a.ranWithDefaultsFirst = { seed: r.seed, why: r.paramsFellBack };
    }
    if (r.ok) {
      a.passed++;
      // A pass's recovery time is null only when the run had no liveness phase (sim/runner.ts).
      if (r.recoveredAfterNs === null && !caughtAsExpected(r)) a.livenessUnchecked++;
      if (insertBounded(a.passes, { seed: r.seed, wallMs: r.wallMs ?? 0 }, PASSES_KEPT)) a.passesDropped++;
    } else {
      a.failed++;
      if (a.firstFailingSeed === null || r.seed < a.firstFailingSeed) a.firstFailingSeed = r.seed;
      const f: FailureEntry = { scenario: r.scenario, seed: r.seed, outcome: r.outcome, violations: r.violations, params: r.params, traceHash: r.traceHash, wallMs: r.wallMs ?? 0 };
      if (r.repro !== undefined) f.repro = r.repro;
      if (r.replay !== undefined) f.replay = r.replay;
      if (r.run !== undefined) f.run = r.run;
      if (insertBounded(a.failures, f, FAILURES_KEPT)) a.failuresDropped++;
    }
    this.addCoverage(r, a);
    this.onRun?.({ line: r, key: runIdentity(r), replaces: false, ok: r.ok, outcome: r.outcome, violations: r.violations });
  }

  /**
   * A result of a run counted already. The same result: counted once. Another result (trace hash
   * or verdict): the same seed and parameters must give the same run, so the run is a failure
   * whichever result came first, with the failing line's own violations or, when both passed, a
   * determinism violation.
   */
  private duplicate(r: ResultLine, source: string, seen: Exclude<SeenAs, { kind: 'new' }>): void {
    this.dup.lines++;
    // Planned by two sweeps (overlapping seed ranges): one run, planned once.
    if (!seen.sameSweep) this.dup.byScenario.set(r.scenario, (this.dup.byScenario.get(r.scenario) ?? 0) + 1);
    const where = seen.firstSource === source ? `twice in ${source}` : `in ${seen.firstSource} and again in ${source}`;
    if (seen.kind === 'same') {
      if (this.dup.same.length < DUPLICATES_LISTED) this.dup.same.push(`${r.scenario} seed ${r.seed} is ${where} (same result): counted once`);
      return;
    }
    this.dup.differing++;
    const now = r.ok ? 'passed' : `failed (${r.outcome}${r.violations[0] ? `: ${r.violations[0].invariant}` : ''})`;
    const message = `${r.scenario} seed ${r.seed} with the same parameters is ${where} with different results: first ${seen.firstOk ? 'passed' : 'failed'}, then ${now} with trace ${r.traceHash}. One seed must give one run: the scenario is nondeterministic (run the seed with --check-determinism) or the files come from two builds (merge the results of one build)`;
    if (this.dup.differs.length < DUPLICATES_LISTED) this.dup.differs.push(message);
    // The first result, a failure, is counted as one already.
    if (!seen.firstOk) return;
    const a = this.scenario(r.scenario);
    a.passed--;
    // The first result is not at hand: a run of the same seed and parameters that passed without a
    // liveness phase says the first did too (clamped to the passes in the report).
    if (r.ok && r.recoveredAfterNs === null && !caughtAsExpected(r) && a.livenessUnchecked > 0) a.livenessUnchecked--;
    a.outcomes.set('pass', (a.outcomes.get('pass') ?? 1) - 1);
    if (a.outcomes.get('pass') === 0) a.outcomes.delete('pass');
    const kept = a.passes.findIndex((p) => p.seed === r.seed);
    if (kept >= 0) a.passes.splice(kept, 1);
    else a.passesDropped--;
    const outcome = r.ok ? 'nondeterministic' : r.outcome;
    a.outcomes.set(outcome, (a.outcomes.get(outcome) ?? 0) + 1);
    a.failed++;
    if (a.firstFailingSeed === null || r.seed < a.firstFailingSeed) a.firstFailingSeed = r.seed;
    const violations = r.ok ? [{ invariant: 'determinism', atNs: r.simTimeNs, eventIndex: r.events, message }, ...r.violations] : r.violations;
    const f: FailureEntry = { scenario: r.scenario, seed: r.seed, outcome, violations, params: r.params, traceHash: r.traceHash, wallMs: r.wallMs ?? 0 };
    if (r.repro !== undefined) f.repro = r.repro;
    if (r.replay !== undefined) f.replay = r.replay;
    if (r.run !== undefined) f.run = r.run;
    if (insertBounded(a.failures, f, FAILURES_KEPT)) a.failuresDropped++;
    this.onRun?.({ line: r, key: runIdentity(r), replaces: true, ok: false, outcome, violations });
  }

  private addCoverage(r: ResultLine, a: ScenarioAgg): void {
    const run = r.run ?? null;
    const cov = r.coverage;
    const probes = cov?.probes ?? {};
    const names = new Set([...(cov?.declared ?? []), ...Object.keys(probes)]);
    for (const name of names) {
      const c = counter(this.probes, name);
      c.runs++;
      const n = probes[name] ?? 0;
      if (n > 0) {
        c.seeds++;
        c.hits += n;
        a.reached.set(name, (a.reached.get(name) ?? 0) + 1);
        if (earlier(c.first, r.scenario, r.seed)) c.first = { scenario: r.scenario, seed: r.seed, run };
      }
    }
    for (const [name, held] of Object.entries(cov?.sometimes ?? {})) {
      const c = counter(this.sometimes, name);
      c.runs++;
      if (held) {
        c.seeds++;
        a.reached.set(name, (a.reached.get(name) ?? 0) + 1);
        if (earlier(c.first, r.scenario, r.seed)) c.first = { scenario: r.scenario, seed: r.seed, run };
      }
    }
    for (const m of cov?.mustReach ?? []) a.mustReach.add(m);
    if (r.buggify?.enabled) {
      for (const [site, reached] of Object.entries(r.buggify.reached ?? {})) {
        if (!(reached > 0)) continue;
        let b = this.buggify.get(site);
        if (!b) this.buggify.set(site, (b = { reachedSeeds: 0, firedSeeds: 0, fired: 0, first: null }));
        b.reachedSeeds++;
        const fired = r.buggify.fired?.[site] ?? 0;
        if (fired > 0) {
          b.firedSeeds++;
          b.fired += fired;
          if (earlier(b.first, r.scenario, r.seed)) b.first = { scenario: r.scenario, seed: r.seed, run };
        }
      }
    }
  }

  /**
   * The report. `extra` carries what only a live sweep knows (its wall time, workers, an
   * interruption); `planned` overrides the runs expected (else computed from the headers).
   */
  report(extra: { wallSeconds?: number; jobs?: number; workersUsed?: number; interrupted?: string; planned?: number | null; /** false for one shard's own report: the other shards are not missing. */ allShards?: boolean } = {}): SweepReport {
    const incomplete: string[] = [];
    const plannedByScenario = new Map<string, number>();
    let planned: number | null = extra.planned ?? null;
    if (this.headers.length > 0 && extra.planned === undefined) {
      planned = 0;
      for (const { header, source, lines } of this.headers) {
        const shard = header.shard ? parseShard(header.shard) : null;
        const ranks = scenarioRanks(header.scenarios);
        let p = 0;
        if (header.mode === undefined || header.mode === 'sweep') {
          for (const s of header.scenarios) {
            const c = countInShard(ranks.get(s)!, header.seeds, shard);
            plannedByScenario.set(s, (plannedByScenario.get(s) ?? 0) + c);
            p += c;
          }
        } else p = header.planned ?? lines;
        planned += p;
        if (lines < p && !extra.interrupted) {
          // The whole shard (or sweep) again, into a file of its own that replaces this one (the
          // merge refuses two files of one shard, so the cut one must leave the merge's inputs).
          const rerun = shard ? commandForShard(header.command, shard.k, shard.n) : rerunCommand(header.command);
          incomplete.push(`${source}${header.shard ? ` (shard ${header.shard})` : ''} has ${lines} of its ${p} runs: that sweep was stopped before the end${rerun !== null ? `. Move this file aside (a merge takes one file a shard), run \`${rerun}\` and merge again` : ''}`);
        }
      }
      // One verdict is one build's: results of two builds that share no seed show no difference
      // anywhere else (a shard that ran after a push, an image tag that moved).
      const builds = new Map<string, string[]>();
      for (const { header, source } of this.headers) if (header.build !== undefined) builds.set(header.build, [...(builds.get(header.build) ?? []), `${source}${header.shard ? ` (shard ${header.shard})` : ''}`]);
      if (builds.size > 1)
        incomplete.push(
          `these results come from ${builds.size} different builds of detsim and the scenarios (${[...builds].map(([b, files]) => `build ${b}: ${files.join(', ')}`).join('; ')}), so no verdict covers them all: run the sweep again from one checkout (every shard on the same commit) and merge those results`,
        );
      // Shards of one sweep that no file was given for.
      const groups = new Map<string, { n: number; have: Set<number>; header: ResultsHeader }>();
      for (const { header } of this.headers) {
        const shard = header.shard ? parseShard(header.shard) : null;
        if (!shard) continue;
        const key = sweepKey(header);
        const g = groups.get(key) ?? { n: shard.n, have: new Set<number>(), header };
        g.have.add(shard.k);
        groups.set(key, g);
      }
      for (const g of extra.allShards === false ? [] : groups.values()) {
        const missing: number[] = [];
        for (let k = 1; k <= g.n; k++) if (!g.have.has(k)) missing.push(k);
        if (missing.length > 0) {
          // The command in a header is its own shard's: name each missing shard's own command.
          const rerun = missing.map((k) => commandForShard(g.header.command, k, g.n));
          incomplete.push(
            rerun.every((c) => c !== null)
              ? `shard(s) ${missing.map((k) => `${k}/${g.n}`).join(', ')} of this sweep are missing: their results were not given. Run ${rerun.map((c) => `\`${c}\``).join(', ')} and merge again`
              : `shard(s) ${missing.map((k) => `${k}/${g.n}`).join(', ')} of \`${g.header.command}\` are missing: their results were not given`,
          );
          const shardPlanned = plannedRuns(g.header, missing, g.n);
          planned += shardPlanned.total;
          for (const [s, c] of shardPlanned.byScenario) plannedByScenario.set(s, (plannedByScenario.get(s) ?? 0) + c);
        }
      }
    }
    // A run planned by two sweeps (overlapping seed ranges) is one run: planned once.
    if (planned !== null && extra.planned === undefined) for (const n of this.dup.byScenario.values()) planned -= n;
    for (const [s, n] of this.dup.byScenario) if (plannedByScenario.has(s)) plannedByScenario.set(s, plannedByScenario.get(s)! - n);
    for (const [source, lines] of this.headerless) incomplete.push(`${source} has no header line${lines === 0 ? ' (the file is empty)' : ` before its ${lines} result(s)`}: a sweep writes it first, so this file was cut short or is not a whole results file, and how many runs it planned is unknown`);
    if (extra.interrupted) incomplete.unshift(`the sweep was interrupted (${extra.interrupted}) after ${this.total().runs} of ${planned ?? '?'} runs`);

    const scenarios: ScenarioSummary[] = this.order.map((name) => {
      const a = this.byScenario.get(name)!;
      return {
        scenario: name,
        runs: a.runs,
        passed: a.passed,
        failed: a.failed,
        outcomes: Object.fromEntries([...a.outcomes].sort((x, y) => x[0].localeCompare(y[0]))),
        firstFailingSeed: a.firstFailingSeed,
        simSeconds: Math.round(a.simNs / 1e6) / 1e3,
        planned: plannedByScenario.get(name) ?? null,
        ...(Math.min(a.livenessUnchecked, a.passed) > 0 ? { livenessUnchecked: Math.min(a.livenessUnchecked, a.passed) } : {}),
        ...(a.ranWithDefaultsFirst !== null ? { ranWithDefaults: { runs: a.ranWithDefaults, firstSeed: a.ranWithDefaultsFirst.seed, why: a.ranWithDefaultsFirst.why } } : {}),
      };
    });
    const failures = this.order.flatMap((n) => this.byScenario.get(n)!.failures);
    const failuresNotListed = this.order.reduce((s, n) => s + this.byScenario.get(n)!.failuresDropped, 0);
    const coverage = this.coverage();
    const t = this.total();
    const unreached = coverage.mustReach.filter((m) => !m.reached).length;
    const summary: SweepReport['summary'] = { runs: t.runs, passed: t.passed, failed: t.failed, planned, runSeconds: Math.round(this.runMs) / 1000, unreached };
    if (extra.wallSeconds !== undefined) {
      summary.wallSeconds = Math.round(extra.wallSeconds * 100) / 100;
      summary.seedsPerSec = Math.round((t.runs / Math.max(extra.wallSeconds, 1e-3)) * 10) / 10;
    }
    if (extra.jobs !== undefined) summary.jobs = extra.jobs;
    if (extra.workersUsed !== undefined) summary.workersUsed = extra.workersUsed;
    const h0 = this.headers[0]?.header;
    if (h0 && this.headers.every((h) => h.header.from === h0.from && h.header.seeds === h0.seeds)) {
      summary.from = h0.from;
      summary.seeds = h0.seeds;
    }
    if (extra.interrupted) summary.interrupted = extra.interrupted;
    return {
      format: SWEEP_FORMAT,
      incomplete,
      runIds: this.headers.map((h) => h.header.runId),
      shards: this.headers.map((h) => h.header.shard).filter((s): s is string => !!s),
      summary,
      scenarios,
      failures,
      failuresNotListed,
      coverage,
      ...(this.dup.lines > 0 ? { duplicates: this.duplicatesReport() } : {}),
    };
  }

  private duplicatesReport(): DuplicatesReport {
    const notes = [...this.dup.differs, ...this.dup.same].slice(0, DUPLICATES_LISTED);
    return { lines: this.dup.lines, differing: this.dup.differing, notes, notesNotListed: this.dup.lines - notes.length };
  }

  private total(): { runs: number; passed: number; failed: number } {
    let runs = 0;
    let passed = 0;
    let failed = 0;
    for (const a of this.byScenario.values()) {
      runs += a.runs;
      passed += a.passed;
      failed += a.failed;
    }
    return { runs, passed, failed };
  }

  private coverage(): CoverageReport {
    const probes: ProbeRow[] = [...this.probes].map(([name, c]) => ({ name, seeds: c.seeds, runs: c.runs, hits: c.hits, first: c.first }));
    probes.sort((a, b) => a.seeds - b.seeds || a.name.localeCompare(b.name));
    const sometimes: SometimesRow[] = [...this.sometimes].map(([name, c]) => ({ name, seeds: c.seeds, runs: c.runs, first: c.first }));
    sometimes.sort((a, b) => a.seeds - b.seeds || a.name.localeCompare(b.name));
    const buggify: BuggifyRow[] = [...this.buggify].map(([site, b]) => ({ site, ...b }));
    buggify.sort((a, b) => a.firedSeeds - b.firedSeeds || a.site.localeCompare(b.site));
    const mustReach: MustReachRow[] = [];
    for (const name of this.order) {
      const a = this.byScenario.get(name)!;
      for (const m of [...a.mustReach].sort()) {
        const seeds = a.reached.get(m) ?? 0;
        mustReach.push({ scenario: name, name: m, reached: seeds > 0, seeds, runs: a.runs });
      }
    }
    mustReach.sort((a, b) => Number(a.reached) - Number(b.reached));
    return { probes, sometimes, buggify, mustReach };
  }

  /** Passing seeds kept for JUnit, per scenario. */
  passes(scenario: string): { seeds: { seed: number; wallMs: number }[]; notListed: number } {
    const a = this.byScenario.get(scenario);
    return { seeds: a?.passes ?? [], notListed: a?.passesDropped ?? 0 };
  }
}

export class MergeError extends Error {
  override name = 'InputError';
}

function counter(m: Map<string, Counter>, name: string): Counter {
  let c = m.get(name);
  if (!c) m.set(name, (c = { seeds: 0, runs: 0, hits: 0, first: null }));
  return c;
}

function sweepKey(h: ResultsHeader): string {
  const n = h.shard ? parseShard(h.shard)?.n : null;
  return JSON.stringify([[...h.scenarios].sort(), h.seeds, h.from, n, h.swarm ?? null, h.buggify ?? null, h.mode ?? 'sweep']);
}

function sameSweep(a: ResultsHeader, b: ResultsHeader): boolean {
  return sweepKey(a) === sweepKey(b);
}

function plannedRuns(h: ResultsHeader, shards: number[], n: number): { total: number; byScenario: Map<string, number> } {
  const ranks = scenarioRanks(h.scenarios);
  const byScenario = new Map<string, number>();
  let total = 0;
  for (const k of shards)
    for (const s of h.scenarios) {
      const c = countInShard(ranks.get(s)!, h.seeds, { k, n });
      byScenario.set(s, (byScenario.get(s) ?? 0) + c);
      total += c;
    }
  return { total, byScenario };
}

/** True when the report covers fewer runs than planned (the reasons are in `incomplete`). */
export function isIncomplete(r: Pick<SweepReport, 'incomplete'>): boolean {
  return r.incomplete.length > 0;
}

/** The verdict: 0 every run passed and every mustReach was reached, 1 otherwise (an incomplete report is never a pass). */
export function reportExitCode(r: SweepReport): number {
  return r.summary.failed === 0 && r.summary.unreached === 0 && !isIncomplete(r) ? 0 : 1;
}

/**
 * Flags of a shard's recorded command that its rerun drops: the run id (the given shard's results
 * file holds it, and a sweep refuses a run id already used in its --out folder) and the shard's
 * own report files (the merge writes the report; a rerun into the same folder would overwrite
 * them).
 */
const NOT_RERUN = new Set(['--run-id', '--runId', '--junit', '--markdown', '--html']);

/**
 * `command` (one shard's own, as its results header records it) as a command to paste that runs
 * shard k of n instead: `--shard k/n`, a run id of its own and no report files of its own (see
 * NOT_RERUN), each word quoted for the shell (a glob like raft-* must reach detsim, not the shell),
 * `npx` before `detsim`; or null if it names no shard.
 */
export function commandForShard(command: string, k: number, n: number): string | null {
  return rerunWords(command, { k, n });
}

/**
 * `command` (a sweep's own, unsharded) as a command to paste that runs it again: no run id or
 * report files of its own (NOT_RERUN), each word quoted, `npx` before `detsim`.
 */
export function rerunCommand(command: string): string {
  return rerunWords(command, null)!;
}

function rerunWords(command: string, shardOf: { k: number; n: number } | null): string | null {
  const words = shellWords(command);
  const out: string[] = [];
  let shard = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const flag = w.startsWith('--') ? w.split('=', 1)[0]! : null;
    if (flag === '--shard' && shardOf !== null) {
      shard = true;
      const kn = `${shardOf.k}/${shardOf.n}`;
      out.push(w.includes('=') ? `--shard=${kn}` : '--shard', ...(w.includes('=') ? [] : [kn]));
      if (!w.includes('=')) i++;
    } else if (flag !== null && NOT_RERUN.has(flag)) {
      if (!w.includes('=')) i++;
    } else out.push(w);
  }
  if (shardOf !== null && !shard) return null;
  if (out[0] === 'detsim') out.unshift('npx');
  return out.map(shellQuote).join(' ');
}

/**
 * A regression entry expected to fail, caught as expected (cli/sweep-commands.ts: a pass of the
 * regression): it stopped at its violation, so it had no liveness phase to check, and its
 * scenario's liveness is not "unchecked".
 */
function caughtAsExpected(r: ResultLine): boolean {
  return r.metrics !== undefined && (r.metrics as Record<string, unknown>)['expectedFailure'] !== undefined;
}
