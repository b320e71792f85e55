/**
 * The `detsim` command line: a thin skin over the library (sim/runner.ts, cli/sweep.ts).
 * Exit codes: 0 every invariant held, 1 a violation was found, 2 bad input (one line, no stack).
 */
import path from 'node:path';
import yargs from 'yargs';
import { parsePins, ParamError, type ParamDefs } from '../sim/params.ts';
import { drawParams } from '../sim/runner.ts';
import { formatNs } from '../sim/time.ts';
import { timelineHtml } from '../reports/timeline-html.ts';
import type { TraceRecord } from '../sim/trace.ts';
import { makeRepro, readRepro, ReproError, runCommand, writeRepro } from '../reports/repro.ts';
import { formatHeader, formatParams, formatResult, makeChalk } from '../reports/terminal.ts';
import { parsePositiveInt, parseSeed, UserError } from './errors.ts';
import { executeRun, type RunReport } from './execute.ts';
import { loadBuiltIns, resolveScenario, resolveScenarios, type LoadedScenario } from './scenarios.ts';
import { cmdMerge, cmdRegress, cmdSweep } from './sweep-commands.ts';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';

type Out = (line: string) => void;

/** Trace records a timeline shows at most (the last ones: what led to the end of the run). */
const TIMELINE_MAX = 20_000;

const stdout: Out = (l) => process.stdout.write(l + '\n');
const stderr: Out = (l) => process.stderr.write(l + '\n');

function asArray(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

function pinsFor(l: LoadedScenario, raw: string[]): Record<string, unknown> {
  return parsePins(l.scenario.params as ParamDefs, l.scenario.name, raw);
}

/** The scenario argument as the user should type it in a replay command. */
function scenarioArg(l: LoadedScenario): string {
  return l.builtIn ? l.scenario.name : path.relative(process.cwd(), l.file) || l.file;
}

function parseLines(raw: unknown): number {
  return String(raw) === '0' ? 0 : parsePositiveInt(raw, '--lines');
}

async function cmdList(json: boolean, files: string[]): Promise<number> {
  const all = files.length > 0 ? await resolveScenarios(files) : await loadBuiltIns();
  if (json) {
    stdout(JSON.stringify(all.map((l) => ({ name: l.scenario.name, description: l.scenario.description, file: path.relative(process.cwd(), l.file), params: l.scenario.params })), null, 2));
    return 0;
  }
  const c = makeChalk();
  for (const l of all) {
    stdout(`${c.cyan.bold(l.scenario.name)}  ${l.scenario.description}`);
    for (const [k, d] of Object.entries(l.scenario.params as ParamDefs)) {
      const range = d.type === 'enum' ? d.values.join('|') : d.type === 'bool' ? 'true|false' : `${d.min}..${d.max}`;
      const swarm = d.swarm !== undefined ? c.dim(` swarm ${Array.isArray(d.swarm) ? (d.type === 'enum' ? d.swarm.join('|') : d.swarm.join('..')) : `p=${String(d.swarm)}`}`) : '';
      stdout(`    ${k.padEnd(22)} ${c.dim(d.type.padEnd(5))} default ${String(d.default).padEnd(8)} ${c.dim(range)}${swarm}  ${d.doc}`);
    }
  }
  stdout(c.dim(`${all.length} scenario(s). Run one: npx detsim run <name> --seed 1`));
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
  expectHash?: string;
  lines: number;
  /** The command shown to replay this run (default: the equivalent `detsim run`). */
  replayCommand?: string;
  /** Write an HTML timeline of the run's last trace records here. */
  timeline?: string;
}

async function runOne(l: LoadedScenario, a: RunArgs): Promise<{ code: number; report: RunReport }> {
  const c = makeChalk();
  const params = drawParams(l.scenario, a.seed, a.pins, a.swarm);
  const runCmd = runCommand(scenarioArg(l), a.seed, a.pins, a.swarm, a.buggify);
  if (!a.json) for (const line of formatHeader(c, l.scenario.name, a.seed, params, a.swarm, a.buggify)) stdout(line);
  const timelineRecords: TraceRecord[] = [];
  const r = executeRun(l.scenario, {
    seed: a.seed,
    pins: a.pins,
    swarm: a.swarm,
    buggify: a.buggify,
    traceFile: a.trace,
    checkDeterminism: a.checkDeterminism,
    logLines: a.lines,
    // The timeline keeps the last TIMELINE_MAX records (bounded memory on long runs).
    ...(a.timeline ? { extraSink: (rec: TraceRecord) => { timelineRecords.push(rec); if (timelineRecords.length > 2 * TIMELINE_MAX) timelineRecords.splice(0, TIMELINE_MAX); } } : {}),
  });
  if (a.timeline) {
    const v = r.violations[0];
    writeFileSync(a.timeline, timelineHtml({ title: `${l.scenario.name} seed ${a.seed}: ${r.outcome}`, records: timelineRecords.slice(-TIMELINE_MAX), violationAtNs: v?.atNs ?? null, ...(v ? { violationText: `${v.invariant}: ${v.message}` } : {}) }));
  }
  let replay = a.replayCommand ?? runCmd;
  if (!r.ok && a.repro) {
    const repro = makeRepro(r, { buggify: a.buggify, file: a.repro, pins: a.pins, ...(l.builtIn ? {} : { scenarioFile: l.file }) });
    writeRepro(a.repro, repro);
    replay = repro.replay;
  }
  const hashMatches = a.expectHash === undefined ? undefined : a.expectHash === r.traceHash;
  if (a.json) {
    stdout(JSON.stringify({ ...r, replay: r.ok ? undefined : replay, ...(hashMatches === undefined ? {} : { expectedTraceHash: a.expectHash, hashMatches }) }, null, 2));
  } else {
    for (const line of formatResult(c, r, replay)) stdout(line);
    if (a.trace) stdout(c.dim(`full trace written to ${a.trace}`));
    if (a.timeline) stdout(c.dim(`timeline written to ${a.timeline} (open it in a browser)`));
    if (hashMatches === true) stdout(c.green(`trace hash ${r.traceHash} matches the recorded one: replayed bit for bit`));
    if (hashMatches === false) stdout(c.yellow.bold(`trace hash ${r.traceHash} differs from the recorded ${a.expectHash}: this is not the same run. Either the code changed since the repro was written, or the scenario is nondeterministic (check with --check-determinism)`));
  }
  return { code: r.ok ? 0 : 1, report: r };
}

async function cmdRun(argv: Record<string, unknown>): Promise<number> {
  const l = await resolveScenario(String(argv.scenario));
  const seed = parseSeed(argv.seed);
  const a: RunArgs = {
    seed,
    pins: pinsFor(l, asArray(argv.param)),
    swarm: argv.swarm as boolean,
    buggify: argv.buggify as boolean,
    json: argv.json as boolean,
    trace: argv.trace as string | undefined,
    checkDeterminism: argv['check-determinism'] as boolean,
    repro: argv.repro as string | undefined,
    lines: parseLines(argv.lines),
    timeline: argv.timeline as string | undefined,
  };
  return (await runOne(l, a)).code;
}

async function cmdReplay(argv: Record<string, unknown>): Promise<number> {
  const target = String(argv.target);
  if (argv.seed !== undefined) {
    // `detsim replay <scenario> --seed N`: a run that always shows the trace.
    return cmdRun({ ...argv, scenario: target });
  }
  if (!target.endsWith('.json')) throw new UserError(`replay takes a repro file (*.json) or a scenario with --seed N; got "${target}"`);
  const repro = readRepro(target);
  const l = repro.scenarioFile ? await resolveScenario(repro.scenarioFile) : await resolveScenario(repro.scenario);
  // Every recorded parameter is pinned, so the run cannot move if swarm ranges change.
  const pins = pinsFor(l, Object.entries(repro.params).map(([k, v]) => `${k}=${String(v)}`));
  if (!argv.json) stdout(makeChalk().dim(`replaying ${target}: recorded outcome ${repro.outcome}, trace ${repro.traceHash}`));
  const { code, report } = await runOne(l, {
    seed: repro.seed,
    pins,
    swarm: repro.swarm,
    buggify: repro.buggify,
    json: argv.json as boolean,
    trace: argv.trace as string | undefined,
    checkDeterminism: false,
    expectHash: repro.traceHash,
    replayCommand: repro.replay,
    timeline: argv.timeline as string | undefined,
    lines: parseLines(argv.lines),
  });
  if (report.traceHash !== repro.traceHash) return 1;
  return code;
}

async function cmdShrink(argv: Record<string, unknown>): Promise<number> {
  const target = String(argv.repro);
  const repro = readRepro(target);
  const l = repro.scenarioFile ? await resolveScenario(repro.scenarioFile) : await resolveScenario(repro.scenario);
  const params = pinsFor(l, Object.entries(repro.params).map(([k, v]) => `${k}=${String(v)}`));
  const invariant = repro.violations[0]?.invariant;
  if (!invariant) throw new UserError(`${target} records no violation: there is nothing to shrink`);
  const c = makeChalk();
  const json = argv.json as boolean;
  if (!json) stdout(`${c.bold('detsim shrink')} ${c.cyan(l.scenario.name)} seed ${c.yellow(String(repro.seed))}: keeping the failure of ${c.red(invariant)} while simplifying the fault mix`);
  const { shrink } = await import('./shrink.ts');
  const res = shrink(
    { scenario: l.scenario, seed: repro.seed, params, buggify: repro.buggify, invariant, maxRuns: parsePositiveInt(argv['max-runs'], '--max-runs') },
    (st, r) => {
      if (!json) stdout(`  ${st.param}: ${String(st.from)} -> ${String(st.to)}  ${c.dim(`(still fails at ${formatNs(r.violations[0]?.atNs ?? r.simTimeNs)}, ${r.events} events)`)}`);
    },
  );
  if (res.original.ok || !res.original.violations.some((v) => v.invariant === invariant)) {
    const msg = `the repro no longer fails ${invariant} on this build (outcome ${res.original.outcome}): nothing to shrink`;
    if (json) stdout(JSON.stringify({ ok: false, message: msg }));
    else stdout(c.yellow(msg));
    return 1;
  }
  const out = String(argv.out ?? target.replace(/\.json$/, '') + '.shrunk.json');
  const shrunkRepro = makeRepro(res.shrunk, { buggify: res.buggify, file: out, pins: res.params, ...(l.builtIn ? {} : { scenarioFile: l.file }) });
  shrunkRepro.swarm = false;
  // The user's own pins plus what the shrink changed; everything else is drawn from the seed as before.
  shrunkRepro.run = runCommand(scenarioArg(l), repro.seed, { ...(repro.pins ?? {}), ...changedPins(repro.params, res.params) }, true, res.buggify);
  writeRepro(out, shrunkRepro);
  const summary = {
    scenario: l.scenario.name,
    seed: repro.seed,
    invariant,
    runs: res.runs,
    steps: res.steps,
    original: { events: res.original.events, violationAtNs: res.original.violations[0]?.atNs ?? null },
    shrunk: { events: res.shrunk.events, violationAtNs: res.shrunk.violations[0]?.atNs ?? null, params: res.params, buggify: res.buggify },
    repro: out,
    replay: shrunkRepro.replay,
  };
  if (json) stdout(JSON.stringify(summary, null, 2));
  else {
    stdout(`${c.green.bold('shrunk')} in ${res.runs} runs: ${res.steps.length} simplification(s); ${res.original.events} -> ${res.shrunk.events} events`);
    stdout(`${c.bold('replay:')} ${shrunkRepro.replay}`);
  }
  return 0;
}

/** The parameters that differ from the originally drawn ones (what a person needs to pin). */
function changedPins(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(after)) if (before[k] !== v) out[k] = v;
  return out;
}

async function cmdCheck(argv: Record<string, unknown>): Promise<number> {
  const { runCheckCommand } = await import('../invariants/linearizability/check-command.ts');
  return runCheckCommand(
    { file: String(argv.history), model: argv.model as 'kv' | 'etcd', json: argv.json as boolean, timeoutMs: Number(argv.timeout), clock: () => performance.now() }, // wallclock-ok
    stdout,
    stderr,
  );
}

export async function main(args: string[]): Promise<number> {
  let code = 0;
  const runOpts = {
    param: { type: 'string', describe: 'pin a parameter: --param name=value (repeatable)', requiresArg: true },
    swarm: { type: 'boolean', default: true, describe: 'draw unpinned parameters per seed (--no-swarm: defaults)' },
    buggify: { type: 'boolean', default: true, describe: 'BUGGIFY fault injection in protocol code (--no-buggify: off)' },
    json: { type: 'boolean', default: false, describe: 'print one JSON object' },
    'check-determinism': { type: 'boolean', default: false, describe: 'run each seed twice and require the same trace hash' },
  } as const;
  const parser = yargs(args)
    .scriptName('detsim')
    .usage('$0 <command> [options]\n\nDeterministic simulation of distributed systems: one seed reproduces a whole run.')
    .command(
      'list [files..]',
      'list the scenarios (or the scenario files named), their descriptions and parameters',
      (y) => y.positional('files', { type: 'string', array: true, describe: 'scenario .ts files of your own' }).option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
      async (a) => {
        code = await cmdList(a.json, (a.files ?? []).map(String));
      },
    )
    .command(
      'run <scenario>',
      'run one seed of a scenario (a name from `detsim list`, or a path to a scenario .ts file)',
      (y) =>
        y
          .positional('scenario', { type: 'string', demandOption: true })
          .option('seed', { type: 'string', demandOption: true, describe: 'the seed (a non-negative integer)' })
          .options(runOpts)
          .option('trace', { type: 'string', describe: 'write the full event trace to this file (JSON lines)' })
          .option('repro', { type: 'string', describe: 'on failure, write a repro file here' })
          .option('timeline', { type: 'string', describe: 'write an HTML timeline of the run (one lane per node) here' })
          .option('lines', { type: 'string', default: '60', describe: 'trace lines shown before a failure' }),
      async (a) => {
        code = await cmdRun(a as unknown as Record<string, unknown>);
      },
    )
    .command(
      'sweep <scenarios..>',
      'run many seeds of one or more scenarios (names, globs like raft-*, all, or files) in parallel',
      (y) =>
        y
          .positional('scenarios', { type: 'string', array: true, demandOption: true })
          .option('seeds', { type: 'string', demandOption: true, describe: 'how many seeds per scenario' })
          .option('from', { type: 'string', default: '1', describe: 'first seed' })
          .option('jobs', { type: 'string', default: String(Math.max(1, cpus().length)), describe: 'worker threads (at most the cores here)' })
          .option('shard', { type: 'string', describe: 'run only part K of N of the (scenario, seed) work, e.g. 2/4; N shards together run the whole sweep' })
          .option('out', { type: 'string', default: 'detsim-out', describe: 'folder for the results file and the repro files of failures' })
          .option('run-id', { type: 'string', describe: 'names this sweep\'s files (default: date, time and a random suffix)' })
          .option('junit', { type: 'string', describe: 'write a JUnit XML report here' })
          .option('markdown', { type: 'string', describe: 'write a Markdown summary here (for a CI job summary)' })
          .option('seed-timeout', { type: 'string', default: '300', describe: 'wall-clock seconds one seed may take before it is reported as hung (0: no limit)' })
          .option('max-memory', { type: 'string', describe: 'heap limit of each worker in MB; a seed past it fails as out of memory (default: half the memory shared by the workers, at most 4096)' })
          .option('guided', { type: 'boolean', default: false, describe: 'coverage-guided swarm: after 10 plain seeds per scenario, bias parameter draws and BUGGIFY toward configurations that reached rare probes (each seed\'s draws are pinned in its result and repro; see docs/coverage.md)' })
          .options(runOpts),
      async (a) => {
        code = await cmdSweep(a as unknown as Record<string, unknown>);
      },
    )
    .command(
      'merge <results..>',
      'combine the results files of sweeps or shards (files, or folders holding *.results.jsonl) into one report',
      (y) =>
        y
          .positional('results', { type: 'string', array: true, demandOption: true })
          .option('junit', { type: 'string', describe: 'write a JUnit XML report here' })
          .option('markdown', { type: 'string', describe: 'write a Markdown summary here (for a CI job summary)' })
          .option('json', { type: 'boolean', default: false, describe: 'print the merged report as JSON' }),
      async (a) => {
        code = await cmdMerge(a as unknown as Record<string, unknown>);
      },
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
      async (a) => {
        code = await cmdRegress(a as unknown as Record<string, unknown>);
      },
    )
    .command(
      'replay <target>',
      're-run a repro file (checking its trace hash) or <scenario> --seed N, showing the trace before the failure',
      (y) =>
        y
          .positional('target', { type: 'string', demandOption: true, describe: 'a repro .json file, or a scenario name with --seed' })
          .option('seed', { type: 'string', describe: 'with a scenario name: the seed' })
          .options(runOpts)
          .option('trace', { type: 'string', describe: 'write the full event trace to this file (JSON lines)' })
          .option('lines', { type: 'string', default: '200', describe: 'trace lines shown before a failure' })
          .option('timeline', { type: 'string', describe: 'write an HTML timeline of the run (one lane per node) here' }),
      async (a) => {
        code = await cmdReplay(a as unknown as Record<string, unknown>);
      },
    )
    .command(
      'shrink <repro>',
      'simplify a failing run\'s fault mix (faults off, rates and durations halved) while the same invariant still fails; writes <repro>.shrunk.json',
      (y) =>
        y
          .positional('repro', { type: 'string', demandOption: true, describe: 'a repro .json file from sweep --out or run --repro' })
          .option('out', { type: 'string', describe: 'where to write the shrunk repro (default: <repro>.shrunk.json)' })
          .option('max-runs', { type: 'string', default: '300', describe: 'simulation runs allowed in all' })
          .option('json', { type: 'boolean', default: false }),
      async (a) => {
        code = await cmdShrink(a as unknown as Record<string, unknown>);
      },
    )
    .command(
      'check <history>',
      'check a recorded history for linearizability (exit 0 linearizable, 1 not, 2 unreadable, 3 undecided within --timeout)',
      (y) =>
        y
          .positional('history', { type: 'string', demandOption: true })
          .option('model', { choices: ['kv', 'etcd'] as const, demandOption: true, describe: 'the model the history is checked against' })
          .option('json', { type: 'boolean', default: false })
          .option('timeout', { type: 'number', default: 10_000, describe: 'give up (verdict unknown) after this many ms' }),
      async (a) => {
        code = await cmdCheck(a as unknown as Record<string, unknown>);
      },
    )
    .demandCommand(1, 'name a command: list, run, sweep, merge, regress, replay, shrink or check (see --help)')
    .strict()
    .help()
    .version(false)
    .fail((msg, err) => {
      throw err ?? new UserError(msg.replace(/\s*\n\s*/g, ' '));
    });
  try {
    await parser.parseAsync();
  } catch (err) {
    if (err instanceof UserError || err instanceof ParamError || err instanceof ReproError) {
      stderr(`${makeChalk(process.stderr).red('detsim:')} ${err.message}`);
      return 2;
    }
    if (err instanceof Error && err.name === 'YError') {
      stderr(`${makeChalk(process.stderr).red('detsim:')} ${err.message.replace(/\s*\n\s*/g, ' ')} (see detsim --help)`);
      return 2;
    }
    if (err instanceof Error && /ParseError|HistoryError|InputError/.test(err.name)) {
      stderr(`${makeChalk(process.stderr).red('detsim:')} ${err.message}`);
      return 2;
    }
    throw err;
  }
  return code;
}

export { formatParams };
