/**
 * The `detsim` command line: a thin skin over the library (sim/runner.ts, cli/sweep.ts).
 * Exit codes: 0 every invariant held, 1 a failure was found (a violation, a crash, a hang, out of
 * memory, process.exit; for `replay FILE`: the recorded failure, reproduced), 2 bad input (one
 * line, no stack), 3 `check` undecided within its budget, 4 `replay FILE` did not reproduce the
 * recording (another trace hash or another verdict), 130/143 interrupted by SIGINT/SIGTERM. The README has the table of what each command writes.
 */
import path from 'node:path';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { ParamDefs } from '../sim/params.ts';
import type { ScriptEntry } from '../sim/decisions.ts';
import { excerpt, outputFile, parseIntInRange, parsePositiveInt, parseSeconds, parseSeed, UserError } from './errors.ts';
import type { RunReport } from './execute.ts';
import { PACKAGE_ROOT } from './layout.ts';
import { builtInInfos, manifestShared, resolveScenarioInfo, resolveScenarioInfos, type ScenarioInfo } from './scenario-manifest.ts';
import type { PrestartedRun } from './run-watched.ts';
import type { Repro } from '../reports/repro.ts';
import type { BootThread } from './early-worker.ts';

// Only what every command needs is imported above: each command imports its own modules when it
// runs (yargs, the simulator, the reports), so `detsim list` or `detsim check` loads none of the
// others (start-up is most of what a short command costs).

type Out = (line: string) => void;

/** Where the CLI writes: the process's streams, or a test's buffers (see `main`). */
export interface CliIo {
  out: Out;
  err: Out;
}

const processIo: CliIo = { out: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n') };
// Set by main() for the command it runs (one command at a time per process).
let stdout: Out = processIo.out;
let stderr: Out = processIo.err;
/** The run's thread bin/detsim.js started before anything else (main's `boot`), until a run takes it. */
let bootThread: BootThread | null = null;

function takeBootThread(): BootThread | null {
  const t = bootThread;
  bootThread = null;
  return t;
}

/** `replay FILE`: the run is not the recorded one (its trace hash or its verdict differs). */
export const REPLAY_DIFFERS_EXIT = 4;

/** `run`/`replay --timeout S`: wall-clock seconds one run may take (0: no limit). */
export const DEFAULT_TIMEOUT_S = 600;
const MAX_TIMEOUT_S = 7 * 24 * 3600;
/** `run`/`replay --max-memory MB`: the run's heap limit. */
export const DEFAULT_MAX_MEMORY_MB = 4096;
const MIN_MEMORY_MB = 64;
const MAX_MEMORY_MB = 1 << 20;
/** `check --timeout MS`: the range accepted. */
const MAX_CHECK_TIMEOUT_MS = 7 * 24 * 3600 * 1000;

function asArray(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

async function pinsFor(l: ScenarioInfo, raw: string[]): Promise<Record<string, unknown>> {
  const { parsePins } = await import('../sim/params.ts');
  return parsePins(l.scenario.params as ParamDefs, l.scenario.name, raw);
}

/** The scenario argument as the user should type it in a replay command. */
function scenarioArg(l: ScenarioInfo): string {
  return l.builtIn ? l.scenario.name : path.relative(process.cwd(), l.file) || l.file;
}

function parseLines(raw: unknown): number {
  return parseIntInRange(raw, '--lines', 0, 100_000);
}

async function cmdList(json: boolean, params: boolean, names: string[]): Promise<number> {
  // The compiled build's scenario manifest (cli/scenario-manifest.ts) spares importing every system.
  const all = names.length > 0 ? await resolveScenarioInfos(names) : (builtInInfos() ?? (await (await import('./scenarios.ts')).loadBuiltIns()));
  const { listJson, printList } = await import('./list.ts');
  if (json) stdout(listJson(all));
  else printList(all, names.length > 0, { params, shared: manifestShared() ?? ((await import('../sim/nemesis.ts')).faultParams() as unknown as ParamDefs) }, stdout);
  return 0;
}

interface RunArgs {
  seed: number;
  pins: Record<string, unknown>;
  swarm: boolean;
  buggify: boolean;
  json: boolean;
  trace?: string;
  checkDeterminism: boolean;
  repro?: string;
  /** `replay FILE`: what the repro recorded (its hash, outcome and first violation). */
  expected?: { traceHash: string; outcome: string; invariant: string | undefined; file: string };
  lines: number;
  /** The command shown to replay this run (default: the equivalent `detsim run`). */
  replayCommand?: string;
  /** Write an HTML timeline of the run's last trace records here. */
  timeline?: string;
  /** Wall-clock seconds before the run is stopped as hung (0: no limit). */
  timeoutS: number;
  /** Drive the run from this script (a shrunk repro's). */
  script?: ScriptEntry[];
  /** One random stream per directed link (default true; a repro without the field replays with false). */
  linkStreams?: boolean;
  /** Heap limit of the run, MB. */
  maxMemoryMb: number;
  /** The run's worker thread, started early (cmdRun) while this thread parses and loads. */
  prestarted?: PrestartedRun;
}

async function runOne(l: ScenarioInfo, a: RunArgs): Promise<{ code: number; report: RunReport }> {
  // The repro module (its schema, node:child_process) only for a failure's --repro file: a short
  // run's thread waits for this thread's job, so what the job waits for is kept to what it needs.
  const [{ drawParamValuesWhy }, { formatHeader, formatResult, makeChalk }, { runCommand }, { RUN_FORMAT }, { runWatched }] = await Promise.all([
    import('../sim/param-draw.ts'),
    import('../reports/terminal.ts'),
    import('../reports/commands.ts'),
    import('../reports/formats.ts'),
    import('./run-watched.ts'),
  ]);
  const c = makeChalk();
  // Values the scenario cannot run with (Scenario.checkParams) are refused before the header, as a
  // value out of its range is, and a seed whose draws clash with the pins runs with the defaults:
  // shown here as the run's thread resolves them. Only pins can make such a combination (the
  // swarm ranges never draw one), so a run without pins does not import the scenario here.
  const refuses = Object.keys(a.pins).length > 0 ? await (await import('./scenarios.ts')).paramCheckOf(l) : undefined;
  const { values: params, fellBack: fallback } = drawParamValuesWhy(l.scenario.params, a.seed, a.pins, a.swarm, refuses, l.scenario.name);
  const runCmd = runCommand(scenarioArg(l), a.seed, a.pins, a.swarm, a.buggify, a.linkStreams === false);
  if (!a.json) for (const line of formatHeader(c, l.scenario.name, a.seed, params, a.swarm, a.buggify, a.linkStreams === false)) stdout(line);
  // The header shows the values the run uses; without this line a user who pinned one value would
  // read the defaults there as this seed's swarm draws, and wonder why the seed varies nothing.
  if (!a.json && fallback !== null) stdout(c.yellow(`note: with the pinned values, seed ${a.seed}'s swarm draws make a combination ${l.scenario.name} refuses (${fallback}), so this seed runs with the defaults of the parameters not pinned`));
  // The seed runs in a watched worker thread: an endless loop, a memory blow-up or a
  // process.exit in the scenario's code is that seed's failure, never a hang or a lost verdict.
  const w = await runWatched({
    file: l.file,
    builtIn: l.builtIn,
    scenario: l.scenario.name,
    seed: a.seed,
    pins: a.pins,
    params,
    swarm: a.swarm,
    buggify: a.buggify,
    checkDeterminism: a.checkDeterminism,
    logLines: a.lines,
    timeoutS: a.timeoutS,
    maxMemoryMb: a.maxMemoryMb,
    // A failure's script goes into its repro file; the --json output says how long it is and
    // where the file is (listed there, a long run's script was a hundred megabytes of JSON).
    wantScript: a.repro !== undefined,
    countScript: a.json,
    ...(a.trace !== undefined ? { traceFile: a.trace } : {}),
    ...(a.timeline !== undefined ? { timeline: a.timeline } : {}),
    ...(a.script !== undefined ? { script: a.script } : {}),
    ...(a.linkStreams !== undefined ? { linkStreams: a.linkStreams } : {}),
    ...(a.prestarted !== undefined ? { prestarted: a.prestarted } : {}),
  });
  if (w.interrupted) {
    const code = w.interrupted === 'SIGINT' ? 130 : 143;
    stderr(`detsim: ${w.interrupted}: stopped; seed ${a.seed} of ${l.scenario.name} did not finish, so there is no verdict${a.trace ? ` (${a.trace} holds the trace up to the stop)` : ''}. Run it again: ${a.replayCommand ?? runCmd}`);
    return { code, report: w.report };
  }
  const r = w.report;
  let replay = a.replayCommand ?? runCmd;
  if (!r.ok && a.repro) {
    const { makeRepro, writeRepro } = await import('../reports/repro.ts');
    const repro = makeRepro(r, { buggify: a.buggify, file: a.repro, pins: a.pins, ...(l.builtIn ? {} : { scenarioFile: l.file }) });
    try {
      writeRepro(a.repro, repro);
      replay = repro.replay;
    } catch (e) {
      // The failure found still counts: say the file is missing, and replay by the run command.
      stderr(`detsim: the repro file ${a.repro} could not be written (${oneLine((e as Error).message)}); replay this failure with: ${a.replayCommand ?? runCmd}`);
    }
  }
  const ex = a.expected;
  // A run stopped by the harness has no trace hash to compare: its stop is compared instead.
  const hashMatches = ex === undefined || w.stopped ? undefined : ex.traceHash === r.traceHash;
  const firstInvariant = r.violations[0]?.invariant;
  const reproduced = ex === undefined ? undefined : !r.ok && (hashMatches ?? true) && r.outcome === ex.outcome && firstInvariant === ex.invariant;
  const recorded = ex === undefined ? '' : `${ex.outcome}${ex.invariant !== undefined ? ` (${ex.invariant})` : ''}`;
  const now = r.ok ? 'passed' : `failed: ${r.outcome}${firstInvariant !== undefined ? ` (${firstInvariant})` : ''}`;
  let differs: string | undefined;
  if (ex !== undefined && reproduced === false) {
    const todo = `To see the recorded failure, replay it on the build the repro was made with; if the failure was fixed on purpose, keep the seed as a regression (detsim regress --add ${ex.file}) or delete the repro.`;
    differs =
      hashMatches === false
        ? `NOT REPRODUCED: the repro recorded ${recorded} with trace ${ex.traceHash}; this run ${now} with trace ${r.traceHash}, so it is not the recorded run. The code or the scenario changed since the repro was written, or the scenario is nondeterministic (check with --check-determinism), or the recorded run read state an earlier run in its sweep worker had left at module level (a sweep of the seeds around it with --check-determinism finds that; \`replay\` runs in a new process). ${todo}`
        : `NOT REPRODUCED: the trace is the recorded one (${r.traceHash}), but the verdict differs: the repro recorded ${recorded}, this run ${now}. The checks changed since the repro was written. ${todo}`;
  }
  if (a.json) {
    // The script is the repro file's (as in a sweep's result lines): the output names the file.
    const script = r.ok ? {} : { script: undefined, ...(r.scriptEntries !== undefined ? { scriptEntries: r.scriptEntries } : {}), ...(a.repro !== undefined ? { repro: a.repro } : {}) };
    stdout(JSON.stringify({ format: RUN_FORMAT, ...r, ...script, replay: r.ok ? undefined : replay, ...(hashMatches === undefined ? {} : { expectedTraceHash: ex!.traceHash, hashMatches }), ...(reproduced === undefined ? {} : { reproduced }) }, null, 2));
  } else {
    // Never a PASS line after a mismatch: the verdict line says the replay did not reproduce.
    for (const line of formatResult(c, r, replay, differs !== undefined && r.ok ? c.yellow.bold(differs) : undefined)) stdout(line);
    if (a.trace) stdout(c.dim(`full trace written to ${a.trace}`));
    if (a.timeline) stdout(c.dim(w.stopped ? `no timeline written: the run did not finish` : `timeline written to ${a.timeline} (open it in a browser)`));
    if (reproduced === true) stdout(c.green(hashMatches === true ? `trace hash ${r.traceHash} matches the recorded one: replayed bit for bit (the recorded failure, reproduced)` : `the run stopped as recorded (${recorded})`));
    if (differs !== undefined && !r.ok) stdout(c.yellow.bold(differs));
  }
  return { code: reproduced === false ? REPLAY_DIFFERS_EXIT : r.ok ? 0 : 1, report: r };
}

/** The options of run/replay that need no scenario, validated before any work. */
function runLimits(argv: Record<string, unknown>): { timeoutS: number; maxMemoryMb: number; lines: number; trace?: string; timeline?: string; repro?: string } {
  const trace = outputFile(argv.trace, '--trace');
  const timeline = outputFile(argv.timeline, '--timeline');
  const repro = outputFile(argv.repro, '--repro');
  return {
    timeoutS: parseSeconds(argv.timeout, '--timeout', MAX_TIMEOUT_S),
    maxMemoryMb: parseIntInRange(argv['max-memory'], '--max-memory', MIN_MEMORY_MB, MAX_MEMORY_MB, 'MB'),
    lines: parseLines(argv.lines),
    ...(trace !== undefined ? { trace } : {}),
    ...(timeline !== undefined ? { timeline } : {}),
    ...(repro !== undefined ? { repro } : {}),
  };
}

async function cmdRun(argv: Record<string, unknown>): Promise<number> {
  const seed = parseSeed(argv.seed);
  const limits = runLimits(argv);
  // The run's thread boots (and loads the simulator) while this one finds the scenario and draws
  // its parameters; on a machine with a free core that start-up costs no wall time.
  // bin/detsim.js may have started it already, before this process loaded any of detsim's modules.
  const { prestartRun } = await import('./run-watched.ts');
  const prestarted = prestartRun(limits.maxMemoryMb, String(argv.scenario), takeBootThread());
  try {
    const l = await resolveScenarioInfo(String(argv.scenario));
    const a: RunArgs = {
      seed,
      pins: await pinsFor(l, asArray(argv.param)),
      swarm: argv.swarm as boolean,
      buggify: argv.buggify as boolean,
      json: argv.json as boolean,
      checkDeterminism: argv['check-determinism'] as boolean,
      linkStreams: argv['single-stream'] !== true,
      ...limits,
      prestarted,
    };
    return (await runOne(l, a)).code;
  } finally {
    // Bad input found before the run started: the thread is not needed (a no-op once it ran).
    await prestarted.discard();
  }
}

async function cmdReplay(argv: Record<string, unknown>): Promise<number> {
  const target = String(argv.target);
  if (argv.seed !== undefined) {
    // `detsim replay <scenario> --seed N`: a run that always shows the trace.
    return cmdRun({ ...argv, scenario: target });
  }
  if (!target.endsWith('.json')) throw new UserError(`replay takes a repro file (*.json) or a scenario with --seed N; got "${target}"`);
  if (argv['single-stream'] === true) throw new UserError(`--single-stream is for a seed (run, sweep, replay <scenario> --seed N): a repro file records which streams its run used and replay follows it; drop --single-stream`);
  const limits = runLimits(argv);
  const { readRepro } = await import('../reports/repro.ts');
  const repro = readRepro(target);
  // The run's thread boots while the scenario is found (as cmdRun's); a repro of a scenario file
  // names no bundle, so its thread imports the file the job names.
  const { prestartRun } = await import('./run-watched.ts');
  const prestarted = prestartRun(limits.maxMemoryMb, repro.scenarioFile === undefined ? repro.scenario : undefined, takeBootThread());
  try {
    return await replayRepro(argv, target, repro, limits, prestarted);
  } finally {
    await prestarted.discard();
  }
}

async function replayRepro(argv: Record<string, unknown>, target: string, repro: Repro, limits: ReturnType<typeof runLimits>, prestarted: PrestartedRun): Promise<number> {
  const [{ otherBuild }, { resolveReproScenario }, { makeChalk }] = await Promise.all([import('../reports/repro.ts'), import('./scenarios.ts'), import('../reports/terminal.ts')]);
  const l = await resolveReproScenario(repro, target, argv['allow-scenario-file'] === true);
  // Every recorded parameter is pinned, so the run cannot move if swarm ranges change; a
  // parameter the scenario gained after the repro was written takes its default (the run had
  // none), where the swarm would draw it and move the run.
  const defs = l.scenario.params as ParamDefs;
  const added = Object.keys(defs).filter((k) => !(k in repro.params)).sort();
  const pins = await pinsFor(l, [...Object.entries(repro.params).map(([k, v]) => `${k}=${String(v)}`), ...added.map((k) => `${k}=${String(defs[k]!.default)}`)]);
  if (!argv.json) stdout(makeChalk().dim(`replaying ${target}: recorded outcome ${repro.outcome}, trace ${repro.traceHash}${repro.scripted ? `, driven by its script (${repro.script?.length ?? 0} entries)` : ''}`));
  const buildWarning = otherBuild(repro);
  if (buildWarning !== null) stderr(`detsim: warning: ${buildWarning}`);
  const { code, report } = await runOne(l, {
    seed: repro.seed,
    pins,
    swarm: repro.swarm,
    buggify: repro.buggify,
    json: argv.json as boolean,
    checkDeterminism: false,
    expected: { traceHash: repro.traceHash, outcome: repro.outcome, invariant: repro.violations[0]?.invariant, file: target },
    replayCommand: repro.replay,
    // A repro without the field predates per-link streams: it ran on the single network stream.
    linkStreams: repro.linkStreams ?? false,
    ...(repro.scripted && repro.script ? { script: repro.script } : {}),
    ...limits,
    prestarted,
  });
  return code;
}

async function cmdShrink(argv: Record<string, unknown>): Promise<number> {
  const target = String(argv.repro);
  const maxRuns = parsePositiveInt(argv['max-runs'], '--max-runs');
  const outArg = outputFile(argv.out, '--out');
  const timeoutS = parseSeconds(argv.timeout, '--timeout', MAX_TIMEOUT_S);
  const maxMemoryMb = parseIntInRange(argv['max-memory'], '--max-memory', MIN_MEMORY_MB, MAX_MEMORY_MB, 'MB');
  const [{ makeRepro, readRepro, writeRepro }, { resolveReproScenario }, { makeChalk }, { formatNs }] = await Promise.all([
    import('../reports/repro.ts'),
    import('./scenarios.ts'),
    import('../reports/terminal.ts'),
    import('../sim/time.ts'),
  ]);
  const repro = readRepro(target);
  const l = await resolveReproScenario(repro, target, argv['allow-scenario-file'] === true);
  const params = await pinsFor(l, Object.entries(repro.params).map(([k, v]) => `${k}=${String(v)}`));
  const invariant = repro.violations[0]?.invariant;
  if (!invariant) throw new UserError(`${target} records no violation: there is nothing to shrink`);
  // Shrinking re-runs the seed in this process: a run the harness had to stop (a hang, out of
  // memory, process.exit) would hang or kill the shrink, and its failure is not an invariant to keep.
  const v0 = repro.violations[0]!;
  if (invariant === 'nothing-checked') throw new UserError(`${target} records a run whose scenario made no check (nothing-checked): there is no failure to keep while simplifying. Give the scenario a check (w.safety, w.liveness, w.script, w.declareCheck), then run the seed again`);
  if (invariant === 'real-timer') throw new UserError(`${target} records a real timer the scenario left pending (real-timer), which no simpler fault mix changes: schedule it with w.sim.schedule(delayNs, fn) instead of setTimeout, then run the seed again`);
  if ((await import('./run-watched.ts')).stoppedFromOutside(v0)) {
    throw new UserError(`${target} records a run that was stopped from outside (${invariant}: ${String(v0.message ?? '').slice(0, 80)}); shrink keeps an invariant's failure and cannot simplify that. Replay it with --trace FILE to see where it stops`);
  }
  const c = makeChalk();
  const json = argv.json as boolean;
  if (!json) stdout(`${c.bold('detsim shrink')} ${c.cyan(l.scenario.name)} seed ${c.yellow(String(repro.seed))}: keeping the failure of ${c.red(invariant)} while simplifying the fault mix`);
  // Each trial runs in a watched worker thread (cli/run-shrink.ts): a fault mix the recorded run
  // never met may reach scenario code that loops, exits or allocates without bound.
  const { shrinkInWorker } = await import('./run-shrink.ts');
  const res = await shrinkInWorker(
    { scenario: l.scenario, seed: repro.seed, params, buggify: repro.buggify, invariant, maxRuns, script: repro.scripted && repro.script ? repro.script : null, linkStreams: repro.linkStreams ?? false },
    {
      file: l.file,
      timeoutS,
      maxMemoryMb,
      onStep: (st, r) => {
        if (!json) stdout(`  ${st.param}: ${String(st.from)} -> ${String(st.to)}  ${c.dim(`(still fails at ${formatNs(r.violations[0]?.atNs ?? r.simTimeNs)}, ${r.events} events)`)}`);
      },
      onStopped: (trial, why) => stderr(`detsim: shrink run ${trial} was stopped from outside or left a real timer, so its change is not kept: ${oneLine(why)}`),
    },
  );
  if (res.original.ok || !res.original.violations.some((v) => v.invariant === invariant)) {
    const first = res.original.violations[0];
    const msg = `the repro no longer fails ${invariant} on this build (outcome ${res.original.outcome}${first !== undefined ? `: ${first.invariant}: ${oneLine(first.message).slice(0, 200)}` : ''}): nothing to shrink`;
    if (json) stdout(JSON.stringify({ ok: false, message: msg }));
    else stdout(c.yellow(msg));
    return 1;
  }
  const out = outArg ?? target.replace(/\.json$/, '') + '.shrunk.json';
  const shrunkRepro = makeRepro(res.shrunk, { buggify: res.buggify, file: out, pins: res.params, ...(l.builtIn ? {} : { scenarioFile: l.file }) });
  // Its `run` is makeRepro's: driven by its script, the replay command (no run flag carries a
  // script); else every shrunk parameter pinned, none drawn, as the shrink ran it. The user's pins
  // plus the changed ones, the rest drawn from the seed, was another run, which could pass.
  shrunkRepro.swarm = false;
  writeRepro(out, shrunkRepro);
  const summary = {
    scenario: l.scenario.name,
    seed: repro.seed,
    invariant,
    runs: res.runs,
    steps: res.steps,
    original: { ...res.before, events: res.original.events, violationAtNs: res.original.violations[0]?.atNs ?? null },
    shrunk: { ...res.after, events: res.shrunk.events, violationAtNs: res.shrunk.violations[0]?.atNs ?? null, params: res.params, buggify: res.buggify },
    scripted: res.scriptReproduced,
    repro: out,
    replay: shrunkRepro.replay,
  };
  if (json) stdout(JSON.stringify(summary, null, 2));
  else {
    const b = res.before;
    const a = res.after;
    stdout(`${c.green.bold('shrunk')} in ${res.runs} runs: ${res.steps.length} simplification(s)`);
    stdout(`  fault events ${b.faults} -> ${a.faults}, operations ${b.operations} -> ${a.operations}, events ${b.events} -> ${a.events}, simulated time ${formatNs(b.simTimeNs)} -> ${formatNs(a.simTimeNs)}`);
    if (!res.scriptReproduced) stdout(c.yellow(`  the run driven by its recorded script did not fail ${invariant}, so only the parameters were shrunk (a nemesis acting outside the recorded fault API?)`));
    stdout(`${c.bold('replay:')} ${shrunkRepro.replay}`);
    if (res.scriptReproduced) stdout(`${c.bold('as a test:')} npx detsim export ${shellArg(out)} --out ${shellArg(out.replace(/\.json$/, '') + '.test.ts')}`);
  }
  return 0;
}

function shellArg(s: string): string {
  return /^[A-Za-z0-9_./@:=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

async function cmdExport(argv: Record<string, unknown>): Promise<number> {
  const target = String(argv.repro);
  const out = outputFile(argv.out, '--out');
  if (out === undefined) throw new UserError('export needs --out FILE.ts: where to write the test');
  if (!/\.[mc]?ts$/.test(out)) throw new UserError(`--out ${out}: the test is TypeScript; name it *.ts (e.g. ${path.basename(target).replace(/\.json$/, '')}.test.ts)`);
  if (existsSync(out) && argv.force !== true) throw new UserError(`${out} exists already; export never overwrites a test (pass --force, or choose another --out)`);
  const { readRepro } = await import('../reports/repro.ts');
  const repro = readRepro(target);
  const v0 = repro.violations[0];
  // A stopped run sent no script back (and a test of it would hang or end the test's process).
  if (repro.script === undefined && (await import('./run-watched.ts')).stoppedFromOutside(v0)) throw new UserError(`${target} records a run that was stopped from outside (${v0!.invariant}: ${oneLine(String(v0!.message)).slice(0, 80)}), which holds no script to export; replay it with --trace FILE to see where it stops, fix that, then run the seed again with --repro`);
  if (repro.script === undefined) throw new UserError(`${target} records no script (a ${repro.format} file from an older detsim): run the seed again with --repro, or shrink it, then export`);
  if (!repro.scripted) stderr(`detsim: warning: ${target} is not shrunk: the test will play all ${repro.script.length} recorded decisions; \`detsim shrink ${target}\` first gives a much shorter test`);
  const { exportTest, relativeImport } = await import('./export.ts');
  const scenarioFile = repro.scenarioFile === undefined ? undefined : (await import('./scenarios.ts')).reproScenarioFile(repro.scenarioFile, target);
  if (scenarioFile !== undefined && scenarioFile.file === undefined) throw new UserError(`${target} names the scenario file ${repro.scenarioFile}, which does not exist (looked in ${scenarioFile.candidates.map((c) => path.dirname(c)).join(' and ')}); the test imports it: put the scenario there, or the repro beside it`);
  const text = exportTest(repro, { source: path.basename(target), ...(scenarioFile?.file !== undefined ? { scenarioImport: relativeImport(out, scenarioFile.file) } : {}) });
  writeFileSync(out, text);
  const faults = repro.script.filter((e) => e.kind !== 'op').length;
  stdout(`wrote ${out}: ${faults} fault(s) and ${repro.script.length - faults} client operation(s) of ${repro.scenario} seed ${repro.seed}, expecting ${repro.violations[0]?.invariant ?? 'a pass'} to ${repro.violations[0] ? 'fail' : 'hold'}`);
  const { shellQuote } = await import('../reports/commands.ts');
  stdout(`run it: npx vitest run ${shellQuote(out)}   (once the bug is fixed, set EXPECTED to { verdict: 'hold' })`);
  return 0;
}

async function cmdCheck(argv: Record<string, unknown>): Promise<number> {
  // The budget starts now: reading and parsing the file count against it as the search does.
  const clock = (): number => performance.now(); // wallclock-ok
  const timeoutMs = parseIntInRange(argv.timeout, '--timeout', 1, MAX_CHECK_TIMEOUT_MS, 'milliseconds');
  const { runCheckCommand } = await import('../invariants/linearizability/check-command.ts');
  const startMs = clock();
  return runCheckCommand(
    { file: String(argv.history), model: argv.model as 'kv' | 'etcd', json: argv.json as boolean, timeoutMs, clock, startMs },
    stdout,
    stderr,
  );
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

async function cmdInit(name: string, dir: string): Promise<number> {
  const [{ initScenario }, { makeChalk }, { shellQuote }] = await Promise.all([import('./init.ts'), import('../reports/terminal.ts'), import('../reports/commands.ts')]);
  const r = initScenario(name, dir);
  const c = makeChalk();
  const rel = path.relative(process.cwd(), r.dir) || '.';
  stdout(`wrote ${r.files.map((f) => path.join(rel, f)).join(', ')}`);
  stdout(`next, in ${rel}:`);
  // Where detsim is not installed, `npx detsim` finds no detsim to run and asks the npm registry
  // for a package of that name instead: installing comes first.
  if (!r.installed) stdout(`  npm install --save-dev ${shellQuote(PACKAGE_ROOT)} vitest typescript @types/node   ${c.dim('# first: detsim is not installed there, and npx would look for it on the npm registry')}`);
  stdout(`  npx detsim run ./${name}.ts --seed 1        ${c.dim('# one run')}`);
  stdout(`  npx detsim sweep ./${name}.ts --seeds 100   ${c.dim('# many seeds')}`);
  stdout(`  npx vitest run                               ${c.dim(`# its test (${name}.test.ts); needs vitest installed there`)}`);
  stdout(`  npx tsc -p .                                 ${c.dim('# type-check')}`);
  if (!r.installed) stdout(c.dim(`until then, run the scenario with this detsim: node ${shellQuote(path.join(PACKAGE_ROOT, 'bin', 'detsim.js'))} run ./${name}.ts --seed 1 (tsconfig.json maps 'detsim' to ${PACKAGE_ROOT} for the type-checker)`));
  // Installed detsim is type-checked from its sources, which use Node's modules and globals:
  // without @types/node, `tsc -p .` fails in node_modules/detsim ("Cannot find name 'node:fs'").
  else if (!r.nodeTypes) stdout(c.dim(`to type-check, install Node's types there too (detsim's sources use them): npm install --save-dev typescript @types/node`));
  return 0;
}

/**
 * An option whose value reaches the command as typed text (the command validates it, so a bad
 * value is a one-line error) while help shows its real type, e.g. `[integer ≥ 0]`, where yargs
 * would print `[string]`.
 */
function valued(type: string, describe: string, dflt?: string): { describe: string; requiresArg: true; default?: string; defaultDescription?: string } {
  return { describe: `${describe}  [${type}]`, requiresArg: true, ...(dflt === undefined ? {} : { default: dflt, defaultDescription: dflt }) };
}

/**
 * The whole CLI: parses `args`, runs the command, returns the exit code (see the README's table:
 * 0 pass, 1 a failure found, 2 bad input, 3 undecided, 130/143 interrupted). Output goes to `io`
 * (the process's streams by default), so tests can call it in-process. `boot` is a `detsim run`'s
 * thread bin/detsim.js started before anything else (bin/early-run.js): the run uses it if it
 * suits, and it is ended unused otherwise.
 */
export async function main(args: string[], io: CliIo = processIo, boot?: BootThread): Promise<number> {
  stdout = io.out;
  stderr = io.err;
  bootThread = boot ?? null;
  try {
    return await mainInner(args);
  } finally {
    stdout = processIo.out;
    stderr = processIo.err;
    // Bad input, or a command that needed no thread: it never ran any of detsim's code.
    await takeBootThread()?.discard();
  }
}

/** Options `run`, `replay` and `sweep` share. */
const RUN_OPTS = {
  param: valued('name=value, repeatable', 'pin a parameter (see detsim list <scenario> for names, types and ranges)'),
  swarm: { type: 'boolean', default: true, describe: 'draw unpinned parameters per seed (--no-swarm: defaults)' },
  buggify: { type: 'boolean', default: true, describe: 'BUGGIFY fault injection in protocol code (--no-buggify: off)' },
  json: { type: 'boolean', default: false, describe: 'print one JSON object' },
  'check-determinism': { type: 'boolean', default: false, describe: 'run each seed twice and require the same trace hash' },
  'single-stream': { type: 'boolean', default: false, describe: 'draw every network fault and latency from one stream, as detsim did before per-link streams: reproduces a seed found by an older build (a repro file records which it used; replay follows it)' },
} as const;

/** A positional argument or an option as yargs takes it (the subset detsim uses). */
interface ArgDef {
  type?: 'string' | 'boolean';
  describe?: string;
  default?: string | boolean;
  defaultDescription?: string;
  demandOption?: boolean;
  requiresArg?: boolean;
  array?: boolean;
  choices?: readonly string[];
}

/** A command both parsers know: yargs (help, every error) and the fast path (cli/fast-args.ts). */
export interface CommandSpec {
  positionals: { name: string; def: ArgDef }[];
  options: Record<string, ArgDef>;
}

/**
 * The options of the commands people run most, in one table each: yargs is built from it, and
 * the fast path (cli/fast-args.ts) parses the plain forms of these commands from it without
 * loading yargs. Other commands (merge, regress, replay, shrink, export, init) always go through yargs.
 */
export const COMMAND_SPECS = {
  list: {
    positionals: [{ name: 'scenarios', def: { type: 'string', array: true, describe: 'scenario names, globs (raft-*), all, .ts/.mts files, folders or file globs (default: every built-in scenario)' } }],
    options: {
      params: { type: 'boolean', default: false, describe: 'print every parameter table (shared fault parameters once, at the end)' },
      json: { type: 'boolean', default: false, describe: 'print JSON: each scenario with its full parameter table' },
    },
  },
  run: {
    positionals: [{ name: 'scenario', def: { type: 'string', demandOption: true } }],
    options: {
      seed: { ...valued('integer ≥ 0', 'the seed'), demandOption: true },
      ...RUN_OPTS,
      trace: { type: 'string', describe: 'write the full event trace to this file (JSON lines)' },
      repro: { type: 'string', describe: 'on failure, write a repro file here' },
      timeline: { type: 'string', describe: 'write an HTML timeline of the run (one lane per node) here' },
      timeout: valued('seconds, 0..604800', 'wall-clock seconds the run may take before it is stopped and reported as hung (0: no limit)', String(DEFAULT_TIMEOUT_S)),
      'max-memory': valued('integer MB, 64..1048576', 'heap limit of the run; past it the run is stopped and reported as out of memory', String(DEFAULT_MAX_MEMORY_MB)),
      lines: valued('integer ≥ 0', 'trace lines shown before a failure', '60'),
    },
  },
  sweep: {
    positionals: [{ name: 'scenarios', def: { type: 'string', array: true, demandOption: true } }],
    options: {
      seeds: { ...valued('integer ≥ 1', 'how many seeds per scenario'), demandOption: true },
      from: valued('integer ≥ 0', 'first seed', '1'),
      jobs: valued('integer ≥ 1', 'worker threads (at most the cores here)', String(Math.max(1, cpus().length))),
      shard: valued('K/N', 'run only part K of N of the (scenario, seed) work, e.g. 2/4; N shards together run the whole sweep'),
      out: { type: 'string', default: 'detsim-out', describe: 'folder for the results file and the repro files of failures' },
      'run-id': { type: 'string', describe: "names this sweep's files (default: date, time and a random suffix)" },
      'per-seed': { type: 'boolean', default: false, describe: 'with --json: add perSeed, one entry per run with its outcome, trace hash, parameters and metrics' },
      junit: { type: 'string', describe: 'write a JUnit XML report here' },
      markdown: { type: 'string', describe: 'write a Markdown summary here (for a CI job summary)' },
      html: { type: 'string', describe: 'write an HTML report here: a row a scenario, every failure with its replay command and a link to its timeline (the first 20), distributions as SVG' },
      'seed-timeout': valued('seconds ≥ 0', 'wall-clock seconds one seed may take before it is reported as hung (0: no limit)', '300'),
      'max-memory': valued('MB', 'heap limit of each worker; a seed past it fails as out of memory (default: half the memory shared by the workers, at most 4096)'),
      guided: { type: 'boolean', default: false, describe: "coverage-guided swarm: after 10 plain seeds per scenario, bias parameter draws and BUGGIFY toward configurations that reached rare probes (each seed's draws are pinned in its result and repro; see docs/coverage.md)" },
      ...RUN_OPTS,
    },
  },
  check: {
    positionals: [{ name: 'history', def: { type: 'string', demandOption: true } }],
    options: {
      model: { choices: ['kv', 'etcd'] as const, demandOption: true, describe: 'the model the history is checked against' },
      json: { type: 'boolean', default: false },
      timeout: valued(`integer ms, 1..${MAX_CHECK_TIMEOUT_MS}`, 'give up (verdict unknown, exit 3) after this many ms, reading and parsing included', '10000'),
    },
  },
} as const satisfies Record<string, CommandSpec>;

type FastCommand = keyof typeof COMMAND_SPECS;

/** Runs a command the parsers have read (argv as yargs gives it: option names as typed, defaults filled in). */
async function dispatch(command: string, a: Record<string, unknown>): Promise<number> {
  switch (command) {
    case 'list':
      return cmdList(a.json as boolean, a.params as boolean, asArray(a.scenarios));
    case 'run':
      return cmdRun(a);
    case 'sweep': {
      // The workers boot while this thread loads the sweep's modules and sets it up.
      const prestarted = (await import('./sweep-prestart.ts')).prestartSweepWorkers(a);
      try {
        return await (await import('./sweep-commands.ts')).cmdSweep(a, prestarted);
      } finally {
        // Bad input found before the pool took them: end them.
        await Promise.all(prestarted.map((w) => w.discard()));
      }
    }
    case 'merge':
      return (await import('./sweep-commands.ts')).cmdMerge(a);
    case 'regress':
      return (await import('./sweep-commands.ts')).cmdRegress(a);
    case 'replay':
      return cmdReplay(a);
    case 'shrink':
      return cmdShrink(a);
    case 'export':
      return cmdExport(a);
    case 'check':
      return cmdCheck(a);
    case 'init':
      return cmdInit(String(a.name), a.dir === undefined ? String(a.name) : String(a.dir));
    default:
      throw new UserError(`unknown command ${command}`);
  }
}

/** What the full parser made of the arguments: a command to run, help or version text, or an error. */
export type YargsOutcome = { command: string; argv: Record<string, unknown> } | { output: string } | { error: Error };

/**
 * The whole command line through yargs (help, version, every usage error). `onCommand` receives the
 * command and its argv; its result is the exit code.
 */
/** What a command's first argument is, for the error when it is missing (yargs says "Not enough non-option arguments"). */
const FIRST_ARGUMENT: Record<string, string> = {
  run: 'a scenario, a built-in name (detsim list) or a .ts file, as its first argument: detsim run broadcast --seed 1, detsim run ./my-scenario.ts --seed 1',
  sweep: 'scenarios as its first arguments (names, globs such as raft-*, all, folders or .ts files): detsim sweep all --seeds 10, detsim sweep ./my-scenario.ts --seeds 10',
  replay: 'a repro file as its first argument (or a scenario with --seed N): detsim replay detsim-out/<repro>.json',
  shrink: 'a repro file as its first argument: detsim shrink detsim-out/<repro>.json',
  export: 'a repro file as its first argument: detsim export <repro>.shrunk.json --out my-bug.test.ts',
  merge: 'results files or the folders holding them: detsim merge shard-1 shard-2',
  check: 'a history file as its first argument: detsim check history.edn --model kv',
  init: 'a name for the scenario: detsim init my-counter',
};

/** A yargs usage error as one line that says what to type. */
function usageMessage(msg: string, command: string | undefined): string {
  const m = msg.replace(/\s*\n\s*/g, ' ');
  const first = command === undefined ? undefined : FIRST_ARGUMENT[command];
  return /^Not enough non-option arguments/.test(m) && first !== undefined ? `${command} needs ${first} (see detsim ${command} --help)` : m;
}

export async function parseWithYargs(args: string[], onCommand: (command: string, argv: Record<string, unknown>) => Promise<number>): Promise<{ code: number; output: string }> {
  const [{ default: yargs }, { INPUT_FORMATS }] = await Promise.all([import('yargs'), import('./help.ts')]);
  let code = 0;
  const run = (command: string) => async (a: Record<string, unknown>) => {
    code = await onCommand(command, a);
  };
  // Builds a command's positionals and options from its table.
  const fromSpec = <Y extends { positional: (n: string, o: never) => Y; options: (o: never) => Y }>(y: Y, spec: CommandSpec): Y => {
    for (const p of spec.positionals) y = y.positional(p.name, p.def as never);
    return y.options(spec.options as never);
  };
  const parser = yargs(args)
    .scriptName('detsim')
    // Untyped option values stay text (see valued()): seeds past 2^53 are refused, never rounded.
    .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false })
    .usage('$0 <command> [options]\n\nDeterministic simulation of distributed systems: one seed reproduces a whole run.')
    .command('list [scenarios..]', 'list the scenarios, one line each; name some (or --params) for their parameter tables', (y) => fromSpec(y, COMMAND_SPECS.list).epilogue(INPUT_FORMATS.list), run('list'))
    .command('run <scenario>', 'run one seed of a scenario (a name from `detsim list`, or a path to a scenario .ts file)', (y) => fromSpec(y, COMMAND_SPECS.run).epilogue(INPUT_FORMATS.run), run('run'))
    .command('sweep <scenarios..>', 'run many seeds of one or more scenarios (names, globs like raft-*, all, or files) in parallel', (y) => fromSpec(y, COMMAND_SPECS.sweep).epilogue(INPUT_FORMATS.sweep), run('sweep'))
    .command(
      'merge <results..>',
      'combine the results files of sweeps or shards (files, or folders holding *.results.jsonl) into one report',
      (y) =>
        y
          .positional('results', { type: 'string', array: true, demandOption: true })
          .option('junit', { type: 'string', describe: 'write a JUnit XML report here' })
          .option('markdown', { type: 'string', describe: 'write a Markdown summary here (for a CI job summary)' })
          .option('html', { type: 'string', describe: 'write an HTML report here: a row a scenario, every failure with its replay command and a link to its timeline (the first 20), distributions as SVG' })
          .option('json', { type: 'boolean', default: false, describe: 'print the merged report as JSON' }),
      run('merge'),
    )
    .command(
      'regress [file]',
      'replay the checked-in regression seeds (default regressions.json): every one must pass, or be caught if it is marked expect "fail"',
      (y) =>
        y
          .positional('file', { type: 'string', default: 'regressions.json' })
          .option('add', { type: 'string', describe: 'add the run of this repro file to the list instead' })
          .option('why', { type: 'string', describe: 'with --add: what failed and why it matters' })
          .option('jobs', { type: 'string', default: String(Math.max(1, cpus().length)), describe: 'worker threads' })
          .option('out', { type: 'string', default: 'detsim-out', describe: 'folder for the results file and repro files' })
          .option('run-id', { type: 'string', describe: 'names this run\'s files' })
          .option('junit', { type: 'string', describe: 'write a JUnit XML report here' })
          .option('markdown', { type: 'string', describe: 'write a Markdown summary here' })
          .option('seed-timeout', { type: 'string', default: '300', describe: 'wall-clock seconds one seed may take' })
          .option('max-memory', { type: 'string', describe: 'heap limit of each worker in MB' })
          .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' }),
      run('regress'),
    )
    .command(
      'replay <target>',
      're-run a repro file (checking its trace hash) or <scenario> --seed N, showing the trace before the failure',
      (y) =>
        y
          .positional('target', { type: 'string', demandOption: true, describe: 'a repro .json file, or a scenario name with --seed' })
          .option('seed', valued('integer ≥ 0', 'with a scenario name: the seed'))
          .options(RUN_OPTS)
          .option('trace', { type: 'string', describe: 'write the full event trace to this file (JSON lines)' })
          .option('timeout', valued('seconds, 0..604800', 'wall-clock seconds the run may take before it is stopped and reported as hung (0: no limit)', String(DEFAULT_TIMEOUT_S)))
          .option('max-memory', valued('integer MB, 64..1048576', 'heap limit of the run; past it the run is stopped and reported as out of memory', String(DEFAULT_MAX_MEMORY_MB)))
          .option('allow-scenario-file', { type: 'boolean', default: false, describe: "let the repro name a scenario file outside the working directory and the repro's folder (its code will run)" })
          .option('lines', valued('integer ≥ 0', 'trace lines shown before a failure', '200'))
          .option('timeline', { type: 'string', describe: 'write an HTML timeline of the run (one lane per node) here' })
          .epilogue(INPUT_FORMATS.replay),
      run('replay'),
    )
    .command(
      'shrink <repro>',
      'simplify a failing run\'s fault mix (faults off, rates and durations halved) while the same invariant still fails; writes <repro>.shrunk.json',
      (y) =>
        y
          .positional('repro', { type: 'string', demandOption: true, describe: 'a repro .json file from sweep --out or run --repro' })
          .option('out', { type: 'string', describe: 'where to write the shrunk repro (default: <repro>.shrunk.json)' })
          .option('max-runs', valued('integer ≥ 1', 'simulation runs allowed in all', '300'))
          .option('timeout', valued('seconds, 0..604800', 'wall-clock seconds one of its runs may take before it is stopped (and its change not kept; 0: no limit)', String(DEFAULT_TIMEOUT_S)))
          .option('max-memory', valued('integer MB, 64..1048576', 'heap limit of its runs; a run past it is stopped (and its change not kept)', String(DEFAULT_MAX_MEMORY_MB)))
          .option('allow-scenario-file', { type: 'boolean', default: false, describe: "let the repro name a scenario file outside the working directory and the repro's folder (its code will run)" })
          .option('json', { type: 'boolean', default: false })
          .epilogue(INPUT_FORMATS.shrink),
      run('shrink'),
    )
    .command(
      'export <repro>',
      'write a shrunk repro as a readable vitest test: its faults and client operations as named steps at their times, played by meaning (no PRNG draws), and the invariant expected to fail',
      (y) =>
        y
          .positional('repro', { type: 'string', demandOption: true, describe: 'a repro .json file, best one written by detsim shrink' })
          .option('out', { type: 'string', demandOption: true, describe: 'the test file to write (e.g. raft-bug.test.ts); never overwritten' })
          .option('force', { type: 'boolean', default: false, describe: 'overwrite --out if it exists' })
          .epilogue(INPUT_FORMATS.export),
      run('export'),
    )
    .command('check <history>', 'check a recorded history for linearizability (exit 0 linearizable, 1 not, 2 unreadable, 3 undecided within --timeout)', (y) => fromSpec(y, COMMAND_SPECS.check).epilogue(INPUT_FORMATS.check), run('check'))
    .command(
      'init <name>',
      'write a commented scenario, its vitest test and a tsconfig.json into a folder, ready to run, test and type-check',
      (y) =>
        y
          .positional('name', { type: 'string', demandOption: true, describe: 'the scenario\'s name: lower-case letters, digits, dashes (e.g. my-counter)' })
          .option('dir', { type: 'string', describe: 'the folder (default: ./<name>; created if missing; nothing in it is overwritten)' })
          .epilogue(INPUT_FORMATS.init),
      run('init'),
    )
    .demandCommand(1, 'name a command: list, run, sweep, merge, regress, replay, shrink, export, check or init (see --help)')
    .strict()
    .help()
    .version(packageVersion())
    .fail((msg, err) => {
      throw err ?? new UserError(usageMessage(msg, args[0]));
    });
  skipHelpCache(parser);
  let output = '';
  // With a callback yargs neither prints nor exits: --help text comes back here (main() may run in-process).
  await parser.exitProcess(false).parseAsync(args, {}, (_err: unknown, _argv: unknown, text: string) => {
    output = text;
  });
  return { code, output };
}

async function mainInner(args: string[]): Promise<number> {
  try {
    // The plain forms of list, run, sweep and check are parsed without yargs (about 0.1 s of CPU
    // to load); anything else, --help and every usage error included, goes through yargs as before.
    refuseBadBooleans(args);
    const { fastParse } = await import('./fast-args.ts');
    const fast = fastParse(args, COMMAND_SPECS);
    if (fast !== null) return await dispatch(fast.command, fast.argv);
    const { code, output } = await parseWithYargs(args, dispatch);
    if (output !== '') stdout(output);
    return code;
  } catch (err) {
    // By name, not class: the modules that define these errors are loaded only by the commands that throw them.
    const known = err instanceof Error && /^(UserError|ParamError|ReproError)$|ParseError|HistoryError|InputError/.test(err.name);
    if (known) {
      stderr(`${(await errorChalk()).red('detsim:')} ${oneLine(err.message)}`);
      return 2;
    }
    // A full disk, a read-only file system or a path that changed under us while writing an
    // output: the system's own message names the cause; a stack trace would add nothing.
    if (err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && typeof (err as NodeJS.ErrnoException).syscall === 'string') {
      stderr(`${(await errorChalk()).red('detsim:')} a file could not be read or written: ${oneLine(err.message)}`);
      return 2;
    }
    if (err instanceof Error && err.name === 'YError') {
      stderr(`${(await errorChalk()).red('detsim:')} ${oneLine(err.message.replace(/\s*\n\s*/g, ' '))} (see detsim --help)`);
      return 2;
    }
    throw err;
  }
}

/** The on/off options of every command (those of merge, regress, replay, shrink and export are declared in parseWithYargs). */
const BOOLEAN_OPTIONS: ReadonlySet<string> = new Set([
  ...Object.values(COMMAND_SPECS).flatMap((c) => Object.entries(c.options as Record<string, ArgDef>).filter(([, d]) => d.type === 'boolean').map(([k]) => k)),
  'allow-scenario-file',
  'force',
]);

/**
 * `--check-determinism=yes` or `--swarm=maybe`: yargs takes any value but "true" as false, so the
 * check asked for was silently off (a sweep passed without the second run). Only true and false.
 */
function refuseBadBooleans(args: string[]): void {
  for (const a of args) {
    if (a === '--') return;
    const m = /^--(?:no-)?([^=]+)=(.*)$/s.exec(a);
    if (m && BOOLEAN_OPTIONS.has(m[1]!) && m[2] !== 'true' && m[2] !== 'false') throw new UserError(`--${m[1]} is on or off: give --${m[1]} or --no-${m[1]} (or =true / =false), got "${excerpt(a, 80)}"`);
  }
}

async function errorChalk(): Promise<ReturnType<typeof import('../reports/terminal.ts').makeChalk>> {
  return (await import('../reports/terminal.ts')).makeChalk(process.stderr);
}

/**
 * yargs renders the whole help text after starting every command's handler, to have it ready
 * should the command fail with a usage error. Ours never shows help on failure (`.fail` throws
 * a one-line error instead), and the rendering (string widths of every row) costs about a tenth
 * of a second of CPU on every command, list and run included. `--help` itself renders as before.
 * If a yargs upgrade moves this internal method, nothing breaks: the help is cached again.
 */
function skipHelpCache(parser: unknown): void {
  const internals = (parser as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: unknown } } }).getInternalMethods?.();
  const usage = internals?.getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = (): void => {};
}

/** An error message as one printable line: user input it quotes is escaped, and a runaway message cut. */
function oneLine(msg: string): string {
  return excerpt(msg.replace(/\s*\n\s*/g, ' '), 2000);
}

