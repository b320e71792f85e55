/**
 * Runs one scenario for one seed, in two phases as TigerBeetle's VOPR does:
 *
 * 1. Fault phase (the scenario's duration): workload and nemesis run; safety invariants are
 *    polled every check interval and may also be reported the moment they break.
 * 2. Liveness phase: the nemesis stops, the world heals (see World.heal), and every liveness
 *    property must hold within the bound; if one does not, the report says which and why.
 *
 * A run ends at the first safety violation, at an exception thrown by simulated code (a crash of
 * the system under test: a failure of this seed, never of the sweep), when everything is done, or
 * at the event limit (reported as "no progress", so a livelock cannot hang a sweep).
 *
 * The runner is pure simulation: no real clock, no I/O. Callers time it and write files.
 */
import type { BuggifyReport } from './buggify.ts';
import type { Coverage } from './probes.ts';
import { Simulation } from './kernel.ts';
import { resolveCheckedParamsWhy, type ParamDefs } from './params.ts';
import { drawParamValues } from './param-draw.ts';
import type { Scenario, ScriptFinish, Violation } from './scenario.ts';
import { ScriptFailure } from './process.ts';
import { World } from './scenario.ts';
import { formatNs, ms, sec, type Nanos } from './time.ts';
import { formatRecord, type TraceSink } from './trace.ts';
import { RunStory, type Explanation } from './explain.ts';
import type { Decisions, ScriptEntry } from './decisions.ts';
import { playScript } from './script-player.ts';

/** How to run one seed of a scenario. */
export interface RunOptions {
  /** The seed. */
  seed: number;
  /** Parameter values pinned by the user (already parsed). */
  pins?: Record<string, unknown>;
  /** Draw unpinned parameters per seed (default true). */
  swarm?: boolean;
  /** BUGGIFY on (default true). */
  buggify?: boolean;
  /** Receives every trace record as it is made. */
  traceSink?: TraceSink | null;
  /** Overrides the scenario's event limit. */
  maxEvents?: number;
  /** One random stream per directed link (SimulationOptions.linkStreams; default true; false: the old single `network` stream). */
  linkStreams?: boolean;
  /** How many trace lines before a failure to keep in the result. */
  logLines?: number;
  /** Invariants whose violations are ignored (logged only), and liveness properties taken as
   *  holding: what the other checkers catch alone. */
  ignoreInvariants?: readonly string[];
  /**
   * Drive the run's faults and workload from this script (sim/decisions.ts) instead of the PRNG:
   * the nemeses' own faults are suppressed, the script's are applied at their times.
   */
  script?: readonly ScriptEntry[] | null;
  /**
   * A run that made no check (Scenario.checksNothing lists what counts) ends `unchecked`, a
   * failure, instead of passing, unless the scenario sets checksNothing. The CLI sets it (every
   * `run`, `sweep`, `replay`); off by default for callers that judge the run themselves (tests of
   * the kernel, benchmarks).
   */
  requireChecks?: boolean;
}

/** How a run ended: `pass`, or the kind of failure (`unchecked`: it made no check, RunOptions.requireChecks). */
export type Outcome = 'pass' | 'safety' | 'liveness' | 'crash' | 'no-progress' | 'nondeterministic' | 'unchecked';

/** A liveness property still pending when its bound passed. */
export interface PendingProperty {
  /** The property's name. */
  property: string;
  /** Why it was not yet true (its check's last message). */
  reason: string;
}

/** One run's result: outcome, violations, trace hash, the parameters drawn, metrics. */
export interface RunResult {
  /** The scenario's name. */
  scenario: string;
  /** The seed. */
  seed: number;
  /** True when every invariant held (outcome `pass`). */
  ok: boolean;
  /** How the run ended. */
  outcome: Outcome;
  /** The invariants that did not hold, first one first. */
  violations: Violation[];
  /** Liveness properties still pending when the bound passed. */
  pending: PendingProperty[];
  /** Hash of the whole trace: same seed, same build, same hash. */
  traceHash: string;
  /** Events the kernel ran. */
  events: number;
  /** Simulated time at the end of the run. */
  simTimeNs: Nanos;
  /** Length of the fault phase: the declared one, or shorter when a script ended it (`finished`). */
  faultPhaseNs: Nanos;
  /** Set when a script ended the fault phase early (World.finish, or every script returned); `declaredNs` is the scenario's duration. */
  finished?: ScriptFinish & {
    /** The fault phase's declared length (the scenario's `durationNs`). */
    declaredNs: Nanos;
  };
  /** When the liveness properties all held (ns after the fault phase), if they did. */
  recoveredAfterNs: Nanos | null;
  /** What BUGGIFY did. */
  buggify: BuggifyReport;
  /** Probes hit, probes declared, sometimes-assertions and the scenario's mustReach (sim/probes.ts). */
  coverage: Coverage;
  /** Every parameter's value in the run (pinned, drawn or default). */
  params: Record<string, unknown>;
  /** Whether unpinned parameters were drawn from the seed. */
  swarm: boolean;
  /**
   * Set when the seed's draws, with the pins, made a combination the scenario refuses
   * (Scenario.checkParams), so the run used the defaults of the parameters not pinned instead:
   * why the draws were refused. Such a seed does not test the configuration its seed draws.
   */
  paramsFellBack?: string;
  /** The scenario's own figures (`w.metrics`). */
  metrics: Record<string, unknown>;
  /** The short log leading to the failure (empty on success). */
  log: string[];
  /**
   * On failure: the moment to look at (for a liveness failure, the last change of the pending
   * property, not its deadline), the trace around it and the faults before it (sim/explain.ts).
   */
  explanation?: Explanation;
  /**
   * The run's faults and workload operations by meaning (sim/decisions.ts): what it decided, or
   * the script it was driven from. Feed it back as `RunOptions.script` to drive a run from it.
   */
  script?: ScriptEntry[];
  /** Whether the run was driven from a script. */
  scripted?: boolean;
  /** Whether each directed link drew from its own random stream (RunOptions.linkStreams); absent in reports made without running (a stopped worker). */
  linkStreams?: boolean;
}

/**
 * The run's `metrics.messages`: what the network counted (MessageMetrics: total, bytes, byType,
 * byNode) plus, when the workload counted its operations (w.clientOp), clientOps and perClientOp
 * (messages sent, every kind, per finished client operation; two decimals).
 */
function messageFigures(w: World<unknown>): Record<string, unknown> {
  const m = w.net.messageMetrics();
  const ops = w.clientOps > 0 ? { clientOps: w.clientOps, perClientOp: Math.round((m.total / w.clientOps) * 100) / 100 } : {};
  return { total: m.total, bytes: m.bytes, ...ops, byType: m.byType, byNode: m.byNode };
}

/** A run stops (outcome `no-progress`) after this many events unless the scenario sets `maxEvents`. */
export const DEFAULT_MAX_EVENTS = 20_000_000;

/** The parameters a run will use, without running it (for printing them first). */
export function drawParams<P extends ParamDefs>(scn: Scenario<P>, seed: number, pins: Record<string, unknown>, swarm: boolean): Record<string, unknown> {
  return drawParamValues(scn.params, seed, pins, swarm, scn.checkParams?.bind(scn) as ((p: Record<string, unknown>) => string | null | undefined) | undefined, scn.name);
}

/** Runs one seed of a scenario: setup, the fault phase with safety checks, then the liveness phase. Same seed and options, same result, bit for bit. */
export function runScenario<P extends ParamDefs>(scn: Scenario<P>, opts: RunOptions): RunResult {
  const swarm = opts.swarm ?? true;
  const sim = new Simulation({ seed: opts.seed, buggify: { enabled: opts.buggify ?? true }, traceSink: opts.traceSink ?? null, script: opts.script ?? null, linkStreams: opts.linkStreams ?? true });
  // Values that cannot work together are the user's error, not a failure of the system: refused
  // before anything runs (a false FAIL would make a red sweep mean nothing). A seed's draws never
  // make such a combination: it then runs with the defaults (resolveCheckedParamsWhy), and says so.
  const { values: params, fellBack } = resolveCheckedParamsWhy(scn.params, opts.pins ?? {}, sim.rng('swarm'), swarm, scn.checkParams?.bind(scn), scn.name);
  // What the report and a repro record: the values drawn, as setup was given them. Untyped
  // scenario code may change the object (\`p.level += 1\`); recorded after that, a repro pinned the
  // changed value, the replay changed it again, and ran another run.
  const drawn = { ...(params as Record<string, unknown>) };
  const w = new World(sim, params);
  const story = new RunStory(sim);
  for (const inv of opts.ignoreInvariants ?? []) w.ignoredInvariants.add(inv);
  const maxEvents = opts.maxEvents ?? scn.maxEvents ?? DEFAULT_MAX_EVENTS;
  const interval = scn.checkIntervalNs ?? ms(10);
  const declaredFaultPhaseNs = typeof scn.durationNs === 'function' ? scn.durationNs(params) : scn.durationNs;
  // A script may end the fault phase early (World.finish): then it ends there.
  let faultPhaseNs = declaredFaultPhaseNs;
  const livenessBoundNs = (typeof scn.livenessBoundNs === 'function' ? scn.livenessBoundNs(params) : scn.livenessBoundNs) ?? sec(30);

  let outcome: Outcome = 'pass';
  let recoveredAfterNs: Nanos | null = null;
  const pending: PendingProperty[] = [];

  const crashed = (err: unknown): void => {
    // A failed scripted check outside a process (in setup, a safety check): its violation is recorded.
    if (err instanceof ScriptFailure && w.violations.length > 0) {
      outcome = 'safety';
      return;
    }
    const e = err instanceof Error ? err : new Error(String(err));
    // The frames: the first one outside the kernel first (where the user's code went wrong).
    const frames = (e.stack ?? '').split('\n').slice(1).map((l) => l.trim().replace(/^at /, '')).filter((l) => l.length > 0);
    const kernelOrLib = (f: string): boolean => f.includes('node_modules') || f.includes('node:') || (/[\\/]sim[\\/]/.test(f) && !/\.test\.ts/.test(f));
    const own = frames.find((f) => !kernelOrLib(f));
    const shown = own !== undefined ? [own, ...frames.filter((f) => f !== own).slice(0, 2)] : frames.slice(0, 3);
    const where = shown.join(' < ');
    w.violations.push({ invariant: 'crash', atNs: sim.now, eventIndex: sim.events - 1, message: `${e.name}: ${e.message}${where ? ` (at ${where})` : ''}` });
    sim.log('-', 'CRASH', `${e.name}: ${e.message}`);
    outcome = 'crash';
  };

  const checkSafety = (): boolean => {
    w.pollSometimes();
    for (const s of w.safetyChecks) {
      const msg: unknown = s.check();
      // Any string is a violation (an empty one too: returning '' by mistake must not pass).
      if (typeof msg === 'string') w.violation(s.name, msg || '(the check returned an empty message)');
      // Only null/undefined mean "holds": a `false` from `return a === b`, or a String object, from
      // a check that is not type-checked must not pass either.
      else if (msg !== null && msg !== undefined) w.violation(s.name, `the check returned ${describeReturn(msg)}; a safety check returns a message (a string) when violated, null or undefined when it holds`);
    }
    return w.violations.length === 0;
  };

  try {
    const built: unknown = scn.setup(w, params);
    // An async setup's code after its first await would run only once the whole run is over: the
    // run would check a world that was never built, and pass.
    if (isThenable(built)) throw new Error(`the setup of scenario ${scn.name} returned a promise: setup must build the world synchronously (for work that waits, use w.spawn or w.script, which run in simulated time)`);
    w.phase = 'fault';
    for (const n of w.nodes) n.start();
    if (opts.script) playScript(w as World<unknown>, opts.script);
    sim.decisions.active = true;
    // Safety polling during the fault phase.
    const poll = (): void => {
      // A script that ended the fault phase early leaves this poll queued: the liveness phase polls on its own.
      if (w.phase !== 'fault') return;
      if (!checkSafety()) return;
      if (sim.now + interval <= faultPhaseNs) sim.schedule(interval, poll);
    };
    sim.schedule(interval, poll);
    const stop = sim.run({ untilNs: faultPhaseNs, maxEvents });
    if (w.finished !== null && w.violations.length === 0) faultPhaseNs = w.finished.atNs;
    else if (w.violations.length === 0 && stop !== 'event-limit') {
      // The declared duration is a script's time limit: a script still running has checks that never ran.
      for (const s of w.scripts) {
        if (s.done || !s.process.running) continue;
        const waits = [...w.awaiting.values()];
        w.violation('script', `script "${s.name}" was still running when the fault phase ended at ${formatNs(faultPhaseNs)} (the scenario's durationNs)${waits.length > 0 ? `, waiting for ${waits.join(', ')}` : ''}: its remaining steps never ran; raise durationNs or shorten the script`);
      }
    }
    if (w.violations.length === 0 && stop !== 'event-limit') checkSafety();
    if (w.violations.length > 0) outcome = 'safety';
    else if (stop === 'event-limit') outcome = 'no-progress';
  } catch (err) {
    crashed(err);
  }

  if (outcome === 'pass' && w.livenessChecks.length > 0) {
    try {
      w.phase = 'liveness';
      sim.decisions.active = false;
      sim.log('-', 'liveness', `faults stop; properties must hold within ${livenessBoundNs}ns`);
      w.heal();
      const deadline = faultPhaseNs + livenessBoundNs;
      let done = false;
      const poll = (): void => {
        if (!checkSafety()) return;
        // In order, each only while the ones before it hold (a check may rely on that: lbFigures).
        let all = true;
        for (const l of w.livenessChecks) {
          // An ignored property counts as holding: what do the others catch alone?
          if (w.ignoredInvariants.has(l.name)) continue;
          const r = livenessAnswer(w, l.name, l.check());
          if (r === null) return;
          story.observe(l.name, r);
          if (r !== true) {
            all = false;
            break;
          }
        }
        if (all) {
          done = true;
          recoveredAfterNs = sim.now - faultPhaseNs;
          sim.stop();
          return;
        }
        if (sim.now + interval <= deadline) sim.schedule(interval, poll);
      };
      sim.schedule(0, poll);
      const stop = sim.run({ untilNs: deadline, maxEvents });
      if (w.violations.length > 0) outcome = 'safety';
      else if (!done && stop === 'event-limit') outcome = 'no-progress';
      else if (!done) {
        outcome = 'liveness';
        for (const l of w.livenessChecks) {
          if (w.ignoredInvariants.has(l.name)) continue;
          const r = livenessAnswer(w, l.name, l.check());
          if (r === null) break;
          story.observe(l.name, r);
          if (r !== true) pending.push({ property: l.name, reason: r });
        }
        for (const p of pending) {
          w.violations.push({ invariant: p.property, atNs: sim.now, eventIndex: sim.events - 1, message: `still pending ${livenessBoundNs / 1e9}s after the faults stopped: ${p.reason}` });
        }
      }
    } catch (err) {
      crashed(err);
    }
  } else if (outcome === 'pass') {
    // No liveness properties: the run is its fault phase; one last safety check.
    try {
      checkSafety();
      if (w.violations.length > 0) outcome = 'safety';
    } catch (err) {
      crashed(err);
    }
  }

  // Only not crashing is no evidence: a run that made no check is never a pass (unless the
  // scenario says it checks nothing on purpose).
  if (opts.requireChecks === true && outcome === 'pass' && w.checkCount() === 0 && !(typeof scn.checksNothing === 'string' && scn.checksNothing.trim() !== '')) {
    outcome = 'unchecked';
    w.violations.push({ invariant: 'nothing-checked', atNs: sim.now, eventIndex: sim.events - 1, message: `scenario ${scn.name} made no check: no safety check (w.safety), liveness property (w.liveness), script (w.script), w.check, w.until, or check declared with w.declareCheck for its own w.violation calls, so this run only showed that nothing crashed. Add a check; or, to run it unchecked on purpose, give the scenario checksNothing: '<why>'` });
  }

  if (outcome === 'no-progress') {
    w.violations.push({ invariant: 'no-progress', atNs: sim.now, eventIndex: sim.events - 1, message: `event limit of ${maxEvents} reached at ${sim.now}ns simulated: a livelock, or a scenario too busy for the limit (raise it with the scenario's maxEvents)` });
  }

  try {
    w.pollSometimes();
  } catch (err) {
    if (outcome === 'pass') crashed(err);
  }
  const ok = outcome === 'pass';
  let explanation: Explanation | undefined;
  if (!ok) {
    const v0 = w.violations[0];
    explanation =
      (outcome === 'liveness' ? story.explainLiveness(pending.map((p) => p.property), sim.now) : undefined) ??
      story.explainViolation(v0 ? `${v0.invariant}: ${v0.message}` : outcome, v0?.atNs ?? sim.now, v0?.eventIndex ?? sim.events - 1);
  }
  const result: RunResult = {
    scenario: scn.name,
    seed: opts.seed,
    ok,
    outcome,
    violations: w.violations,
    pending,
    traceHash: sim.trace.hash(),
    events: sim.events,
    simTimeNs: sim.now,
    faultPhaseNs,
    ...(w.finished !== null ? { finished: { ...w.finished, declaredNs: declaredFaultPhaseNs } } : {}),
    recoveredAfterNs,
    buggify: sim.buggify.report(),
    coverage: sim.probes.report(scn.mustReach ?? []),
    params: drawn,
    swarm,
    ...(fellBack !== null ? { paramsFellBack: fellBack } : {}),
    metrics: { ...w.metrics, messages: messageFigures(w) },
    log: ok ? [] : sim.trace.recent(opts.logLines ?? 60).map(formatRecord),
    ...(explanation ? { explanation } : {}),
    script: undefined, // built when first read: see lazyScript
    scripted: sim.decisions.mode === 'script',
    linkStreams: sim.linkStreams,
  };
  sim.close(`the run of ${scn.name} seed ${opts.seed} ended (${outcome})`);
  return lazyScript(result, sim.decisions);
}

/**
 * Makes `result.script` built when first read, in its place among the keys: a long run records
 * hundreds of thousands of decisions, and building them while the run's world was still alive
 * added their objects to the run's peak memory. A function of its own so the getter holds the
 * decisions alone, not the run's world.
 */
function lazyScript(result: RunResult, decisions: Decisions): RunResult {
  let value: ScriptEntry[] | undefined;
  let built = false;
  Object.defineProperty(result, 'script', {
    enumerable: true,
    configurable: true,
    get(): ScriptEntry[] | undefined {
      if (!built) {
        value = decisions.mode === 'script' ? [...decisions.scriptEntries] : finishedScript(decisions.entries);
        built = true;
      }
      return value;
    },
    set(v: ScriptEntry[] | undefined) {
      value = v;
      built = true;
    },
  });
  return result;
}

/** The recorded decisions as a script: in time order (a stable sort: decisions of one instant keep their order). */
function finishedScript(entries: readonly ScriptEntry[]): ScriptEntry[] {
  return entries.map((e) => ({ ...e })).sort((a, b) => a.atNs - b.atNs);
}

function isThenable(v: unknown): boolean {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * A liveness check's answer as the runner uses it: `true`, or why not (a string). A promise can
 * never become `true` (the check is polled, it cannot wait), so it fails the run now, as a safety
 * check's does (null: the run stops). Any other value counts as pending with a reason saying what
 * came back: raw, an object or a promise in the report made the worker's reply uncloneable and the
 * command died with a TypeError stack (review13h).
 */
function livenessAnswer(w: World, name: string, r: unknown): true | string | null {
  if (r === true || typeof r === 'string') return r;
  const what = `the check returned ${describeReturn(r)}; a liveness check returns true once the property holds, else a string saying why not yet`;
  if (!isThenable(r)) return what;
  w.violation(name, `${what} (it is polled, so it cannot wait for a promise)`);
  return null;
}

/** A check's wrong return value, named without calling into it (its toString may throw). */
function describeReturn(v: unknown): string {
  if (typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint') return `${typeof v} ${String(v)}`;
  if (typeof v !== 'object' || v === null) return `a ${typeof v}`;
  return v instanceof String ? 'a String object' : isThenable(v) ? 'a promise' : 'an object';
}
