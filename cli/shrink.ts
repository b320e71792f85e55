/**
 * `detsim shrink <repro.json>`: the smallest fault schedule that still fails the same invariant.
 *
 * A run records its faults and workload operations by meaning (sim/decisions.ts: crash n3 at
 * 1.204 s for 300 ms, drop the 3rd message n1>n2, client c2's 5th operation put k1=7). The shrink
 * replays the run from that script, then minimises the script with delta debugging (Zeller's
 * ddmin: drop halves, then quarters, ..., then single entries) over the faults, then over the
 * operations; then shortens what remains (a crash or a partition half as long) and moves faults
 * later; then simplifies the parameters as before (a fault kind off, a rate halved, BUGGIFY off).
 * Every step is kept only if the run still fails the same invariant, and `maxRuns` bounds the
 * whole search.
 *
 * A script entry names its fault by meaning, so dropping one leaves the others where they were:
 * the nemeses no longer choose (their faults are suppressed in a scripted run), and message
 * faults and BUGGIFY fires are keyed by link and ordinal, site and reach.
 */
import { whyRefused, type ParamDef, type ParamDefs } from '../sim/params.ts';
import { drawParamValues } from '../sim/param-draw.ts';
import { runScenario, type RunResult } from '../sim/runner.ts';
import type { Scenario } from '../sim/scenario.ts';
import { countScript, entryKey, isFault, type ScriptCounts, type ScriptEntry } from '../sim/decisions.ts';

export interface ShrinkInput<P extends ParamDefs = ParamDefs> {
  scenario: Scenario<P>;
  seed: number;
  params: Record<string, unknown>;
  buggify: boolean;
  /** The invariant the run must keep failing (the original's first violation). */
  invariant: string;
  /** Runs allowed in all (each is one simulation). */
  maxRuns: number;
  /** Start from this script (a repro's) instead of the seed's own decisions. */
  script?: readonly ScriptEntry[] | null;
  /** One random stream per directed link (RunOptions.linkStreams; default true). */
  linkStreams?: boolean;
}

/** One kept simplification: a parameter's new value, or a script pass (param is "(script: ...)"). */
export interface ShrinkStep {
  param: string;
  from: unknown;
  to: unknown;
}

/** Before and after figures of a shrink. */
export interface ShrinkFigures {
  /** Fault entries in the script (timed faults, message faults, BUGGIFY fires). */
  faults: number;
  /** Workload operations in the script. */
  operations: number;
  /** Kernel events of the run. */
  events: number;
  /** Simulated time of the run's end (ns). */
  simTimeNs: number;
  /** When the invariant failed (ns), if it was a violation with a time. */
  violationAtNs: number | null;
}

export interface ShrinkResult {
  params: Record<string, unknown>;
  buggify: boolean;
  steps: ShrinkStep[];
  runs: number;
  original: RunResult;
  shrunk: RunResult;
  /** The shrunk script (null when the recorded script did not reproduce the failure: parameters only). */
  script: ScriptEntry[] | null;
  /** Whether the run driven by the recorded script failed the same invariant. */
  scriptReproduced: boolean;
  before: ShrinkFigures;
  after: ShrinkFigures;
}

/** The figures of a run and its script. */
export function figures(r: RunResult, script: readonly ScriptEntry[]): ShrinkFigures {
  const c: ScriptCounts = countScript(script);
  return { faults: c.faults, operations: c.operations, events: r.events, simTimeNs: r.simTimeNs, violationAtNs: r.violations[0]?.atNs ?? null };
}

/** What a shrink asks to run: the seed with these parameters, BUGGIFY switch and script. */
export interface TrialRequest {
  params: Record<string, unknown>;
  buggify: boolean;
  script: readonly ScriptEntry[] | null;
}

/**
 * A step of the search that may run trials: it yields each run it needs and is given back its
 * result. The search is one generator, so the same code runs its trials in this thread (`shrink`)
 * or in a watched worker (cli/run-shrink.ts).
 */
export type Trials<T> = Generator<TrialRequest, T, RunResult>;

/**
 * Zeller's ddmin, complement form: the smallest subset of `items` (1-minimal as far as `budget`
 * allows) for which `fails` holds, given that it holds for all of `items`.
 */
export function ddmin<T>(items: readonly T[], fails: (subset: T[]) => boolean, budget: () => boolean): T[] {
  // eslint-disable-next-line require-yield -- a test that runs nothing: the search never yields
  const done = ddminTrials(items, function* (subset) { return fails(subset); }, budget).next();
  if (!done.done) throw new Error('ddmin: a synchronous test asked for a run');
  return done.value;
}

function* ddminTrials<T>(items: readonly T[], fails: (subset: T[]) => Trials<boolean>, budget: () => boolean): Trials<T[]> {
  let cur = [...items];
  let n = 2;
  while (cur.length >= 1 && budget()) {
    if (cur.length === 1) {
      // The last one: is even it needed?
      if (yield* fails([])) cur = [];
      break;
    }
    const size = Math.ceil(cur.length / n);
    let reduced = false;
    for (let i = 0; i < cur.length && budget(); i += size) {
      const complement = [...cur.slice(0, i), ...cur.slice(i + size)];
      if (yield* fails(complement)) {
        cur = complement;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (n >= cur.length) break;
      n = Math.min(cur.length, n * 2);
    }
  }
  return cur;
}

/**
 * A simpler value to try for a parameter. 'off' switches something off or back to its default
 * (always a simplification); 'smaller' lowers a number, which is kept only if the run does not
 * get bigger (halving a period makes a run busier, not simpler).
 */
export interface Candidate {
  value: unknown;
  /** 'off' and 'fewer' are always simpler; 'smaller' only if the run gets smaller. */
  kind: 'off' | 'fewer' | 'smaller';
}

/** Simpler values to try for one parameter, simplest first. */
export function candidates(def: ParamDef, value: unknown): Candidate[] {
  switch (def.type) {
    case 'bool':
      return value === true ? [{ value: false, kind: 'off' }] : [];
    case 'enum':
      return value !== def.default ? [{ value: def.default, kind: 'off' }] : [];
    case 'int': {
      const v = value as number;
      const out: Candidate[] = [];
      if (def.min < v) out.push({ value: def.min, kind: def.min === 0 ? 'off' : 'smaller' });
      const half = Math.floor(v / 2);
      if (half > def.min && half < v) out.push({ value: half, kind: 'smaller' });
      if (v - 1 > def.min && v - 1 !== half) out.push({ value: v - 1, kind: 'smaller' });
      return out;
    }
    case 'float': {
      const v = value as number;
      const out: Candidate[] = [];
      if (def.min <= 0 && v > 0) out.push({ value: 0, kind: 'off' });
      if (def.shrink === 'up') {
        // A mean time between faults: doubling it means fewer faults.
        if (v > 0 && v * 2 <= def.max) out.push({ value: Math.round(v * 2 * 1e6) / 1e6, kind: 'fewer' });
        return out;
      }
      const half = Math.round((v / 2) * 1e6) / 1e6;
      if (half >= def.min && half < v && half > 0) out.push({ value: half, kind: 'smaller' });
      return out;
    }
  }
}

/** Shrinks in this thread: every trial is a runScenario call here (cli/run-shrink.ts runs them in a watched worker). */
export function shrink<P extends ParamDefs>(input: ShrinkInput<P>, onStep?: (s: ShrinkStep, r: RunResult) => void): ShrinkResult {
  const search = shrinkTrials(input, onStep);
  for (let step = search.next(); ; ) {
    if (step.done) return step.value;
    const q = step.value;
    step = search.next(runScenario(input.scenario, { seed: input.seed, pins: q.params, swarm: false, buggify: q.buggify, script: q.script, linkStreams: input.linkStreams ?? true }));
  }
}

/** The search, yielding each trial it needs run (`shrink` runs them here; cli/run-shrink.ts in a worker). */
export function* shrinkTrials<P extends ParamDefs>(input: ShrinkInput<P>, onStep?: (s: ShrinkStep, r: RunResult) => void): Trials<ShrinkResult> {
  const defs: ParamDefs = input.scenario.params;
  let runs = 0;
  const run = function* (params: Record<string, unknown>, buggify: boolean, script: readonly ScriptEntry[] | null): Trials<RunResult> {
    runs++;
    return yield { params, buggify, script };
  };
  const fails = (r: RunResult): boolean => !r.ok && r.violations.some((v) => v.invariant === input.invariant);
  const budget = (): boolean => runs < input.maxRuns;
  // The values a trial runs with: its pins, the defaults for the rest (no swarm), as the run resolves them.
  const refuses = input.scenario.checkParams?.bind(input.scenario) as ((p: Record<string, unknown>) => string | null | undefined) | undefined;
  const refused = (p: Record<string, unknown>): boolean => whyRefused(refuses, drawParamValues(defs, input.seed, p, false)) !== null;

  const original = yield* run(input.params, input.buggify, input.script ?? null);
  const recorded = original.script ?? [];
  let params = { ...input.params };
  let buggify = input.buggify;
  let best = original;
  const steps: ShrinkStep[] = [];
  const before = figures(original, recorded);
  if (!fails(original)) return { params, buggify, steps, runs, original, shrunk: original, script: null, scriptReproduced: false, before, after: before };
  const kept = (s: ShrinkStep, r: RunResult): void => {
    steps.push(s);
    onStep?.(s, r);
  };

  // 1. Drive the run from its script. If that does not fail the same way (a scenario whose
  // nemesis acts outside the recorded fault API, say), shrink the parameters only, as before.
  let script: ScriptEntry[] | null = null;
  const scripted = budget() ? yield* run(params, buggify, recorded) : null;
  if (scripted !== null && fails(scripted)) {
    script = [...recorded];
    best = scripted;
    const tryScript = function* (s: ScriptEntry[]): Trials<boolean> {
      if (!budget()) return false;
      const r = yield* run(params, buggify, s);
      if (!fails(r)) return false;
      best = r;
      return true;
    };
    // 2. ddmin over the faults (operations kept), then over the operations (faults kept).
    const faults = script.filter(isFault);
    const ops = script.filter((e) => !isFault(e));
    const fewerFaults = yield* ddminTrials(faults, (sub) => tryScript(merge(sub, ops)), budget);
    if (fewerFaults.length < faults.length) kept({ param: '(script: faults)', from: faults.length, to: fewerFaults.length }, best);
    const fewerOps = yield* ddminTrials(ops, (sub) => tryScript(merge(fewerFaults, sub)), budget);
    if (fewerOps.length < ops.length) kept({ param: '(script: operations)', from: ops.length, to: fewerOps.length }, best);
    let cur = merge(fewerFaults, fewerOps);
    // 3. Shorter faults, then later ones: each entry's duration halved, its time moved halfway to the failure.
    const failAt = best.violations[0]?.atNs ?? best.faultPhaseNs;
    for (let i = 0; i < cur.length && budget(); i++) {
      const e = cur[i]!;
      const dur = 'durNs' in e ? e.durNs : null;
      if (typeof dur === 'number' && dur > 2_000_000) {
        const trial: ScriptEntry[] = cur.map((x, j) => (j === i ? ({ ...x, durNs: Math.round(dur / 2) } as ScriptEntry) : x));
        if (yield* tryScript(trial)) {
          cur = trial;
          kept({ param: `(script: ${describeEntry(e)} shorter)`, from: dur, to: Math.round(dur / 2) }, best);
        }
      }
    }
    for (let i = 0; i < cur.length && budget(); i++) {
      const e = cur[i]!;
      if (!isTimedEntry(e)) continue;
      const to = e.atNs + Math.floor((Math.min(failAt, best.faultPhaseNs) - e.atNs) / 2);
      if (to - e.atNs < 1_000_000) continue;
      const trial: ScriptEntry[] = cur.map((x, j) => (j === i ? ({ ...x, atNs: to } as ScriptEntry) : x)).sort((a, b) => a.atNs - b.atNs);
      if (yield* tryScript(trial)) {
        kept({ param: `(script: ${describeEntry(e)} later)`, from: e.atNs, to }, best);
        cur = trial; // it moved later in the order: it is looked at again there, and halved again
      }
    }
    script = cur;
  }

  // 4. The parameters, as before (with the script, if there is one).
  let changed = true;
  while (changed && budget()) {
    changed = false;
    if (buggify) {
      const r = yield* run(params, false, script);
      if (fails(r)) {
        buggify = false;
        best = r;
        kept({ param: '(buggify)', from: true, to: false }, r);
        changed = true;
      }
    }
    for (const [name, def] of Object.entries(defs)) {
      for (const { value: to, kind } of candidates(def, params[name])) {
        if (!budget()) break;
        const trial = { ...params, [name]: to };
        // A value the scenario refuses with the others (Scenario.checkParams) is no simpler run: it
        // would not run at all (e.g. lb's health timeout above a lowered health interval).
        if (refused(trial)) continue;
        const r = yield* run(trial, buggify, script);
        if (fails(r) && (kind !== 'smaller' || r.events < best.events)) {
          const s = { param: name, from: params[name], to };
          params = trial;
          best = r;
          kept(s, r);
          changed = true;
          break; // the simplest value that still fails; others of this param next round
        }
      }
    }
  }
  const after = figures(best, script ?? best.script ?? recorded);
  return { params, buggify, steps, runs, original, shrunk: best, script, scriptReproduced: script !== null, before, after };
}

/** Two parts of a script as one, in time order (stable). */
function merge(a: readonly ScriptEntry[], b: readonly ScriptEntry[]): ScriptEntry[] {
  return [...a, ...b].sort((x, y) => x.atNs - y.atNs);
}

function isTimedEntry(e: ScriptEntry): boolean {
  return entryKey(e) === null;
}

/** A short name of an entry for progress lines: "crash n3", "partition isolate n2". */
export function describeEntry(e: ScriptEntry): string {
  if ('node' in e && typeof e.node === 'string') return `${e.kind} ${e.node}`;
  if ('shape' in e) return `partition ${e.shape}`;
  if ('from' in e) return `${e.kind} ${e.from}>${e.to}`;
  return e.kind;
}
