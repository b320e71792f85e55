/**
 * The commands of the nightly pipeline: `sweep` (one machine or one shard), `merge` (shards into
 * one report) and `regress` (the checked-in regression seeds). All three report through
 * reports/sweep-report.ts, from results lines only.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ParamError, parsePins, type ParamDefs } from '../sim/params.ts';
import { readRepro } from '../reports/repro.ts';
import { InputFileError, readInputText } from '../reports/input-file.ts';
import { isIncomplete, reportExitCode, SweepAggregator } from '../reports/sweep-report.ts';
import { junitFromReport, markdownSummary, terminalSummary } from '../reports/sweep-render.ts';
import { shellQuote } from '../reports/commands.ts';
import { makeChalk } from '../reports/terminal.ts';
import { parsePositiveInt, parseSeed, UserError } from './errors.ts';
import { GuidedJobSource } from './guided-source.ts';
import { checkHtmlPath, HTML_PLACEHOLDER, HtmlRuns, readResultsInto, writeSweepHtml, writeSweepHtmlFrom } from './sweep-html-report.ts';
import { ListSource, parseShard, SeedRangeSource, formatShard, type SweepJob } from './jobs.ts';
import { buildFingerprint } from './build-fingerprint.ts';
import { looksLikePath, paramCheckOf, refusedParams, resolveScenario, resolveScenarios, type LoadedScenario, type ScenarioRef } from './scenarios.ts';
import { resolveScenarioInfos } from './scenario-manifest.ts';
import type { EarlyWorker } from './early-worker.ts';
import { checkOutputs, claimOutputFile, coreCount, defaultMaxMemoryMb, newRunId, runPipeline } from './sweep.ts';

/** This command as typed, each word quoted for the shell: what a results header records, to be pasted again. */
function commandLine(): string {
  return ['detsim', ...process.argv.slice(2)].map(shellQuote).join(' ');
}

type Out = (line: string) => void;
const stdout: Out = (l) => process.stdout.write(l + '\n');
const stderr: Out = (l) => process.stderr.write(l + '\n');
const clock = (): number => performance.now(); // wallclock-ok: the sweep's own timing

function asArray(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** --seed-timeout: seconds, 0 = no limit. */
export function parseSeedTimeout(raw: unknown): number {
  const s = String(raw);
  const n = Number(s);
  if (!/^\d+(\.\d+)?$/.test(s) || !(n >= 0) || n > 604_800) throw new UserError(`--seed-timeout must be a number of seconds from 0 (no limit) to 604800, got "${s}"`);
  return n;
}

/** --max-memory: MB of heap per worker. */
export function parseMaxMemory(raw: unknown): number {
  const s = String(raw);
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < 64 || n > 1_048_576) throw new UserError(`--max-memory must be a whole number of MB from 64 to 1048576 (the heap limit of each worker), got "${s}"`);
  return n;
}

function parseRunId(raw: unknown): string {
  const s = String(raw);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(s)) throw new UserError(`--run-id must be letters, digits, '.', '_' or '-' (at most 100, it names files), got "${s}"`);
  return s;
}

/** --jobs, capped at the machine's cores with a notice (more workers than cores only slow a sweep down). */
function parseJobs(raw: unknown, c: ReturnType<typeof makeChalk>): number {
  const jobs = parsePositiveInt(raw, '--jobs');
  const cores = coreCount();
  if (jobs > cores) {
    stderr(c.yellow(`detsim: --jobs ${jobs} is more than the ${cores} core(s) here: using ${cores} worker(s)`));
    return cores;
  }
  return jobs;
}

interface CommonOut {
  out: string;
  junit?: string;
  markdown?: string;
  json: boolean;
  seedTimeoutS: number;
  maxMemoryMb: number;
  jobs: number;
}

function commonOutputs(argv: Record<string, unknown>, c: ReturnType<typeof makeChalk>): CommonOut {
  const jobs = parseJobs(argv.jobs, c);
  return {
    out: path.resolve(String(argv.out)),
    ...(argv.junit !== undefined ? { junit: String(argv.junit) } : {}),
    ...(argv.markdown !== undefined ? { markdown: String(argv.markdown) } : {}),
    json: argv.json as boolean,
    seedTimeoutS: parseSeedTimeout(argv['seed-timeout']),
    maxMemoryMb: argv['max-memory'] === undefined ? defaultMaxMemoryMb(jobs) : parseMaxMemory(argv['max-memory']),
    jobs,
  };
}

/**
 * Refuses a seed range whose last seed, from + seeds - 1, is past the largest seed (2^53 - 1, the
 * largest integer a double holds exactly). Compared without computing the sum, which rounds there.
 */
export function checkSeedRange(from: number, seeds: number): void {
  if (seeds - 1 > Number.MAX_SAFE_INTEGER - from) throw new UserError(`--from ${from} plus --seeds ${seeds} runs past the largest seed, ${Number.MAX_SAFE_INTEGER}: the last seed would be ${from} + ${seeds - 1}; at most --seeds ${Number.MAX_SAFE_INTEGER - from + 1} from there`);
}

/**
 * Pinned values a scenario refuses together with the defaults of the others (Scenario.checkParams):
 * a user error before the first seed, not a sweep of seeds that each fail to start.
 */
async function refusePinnedCombinations(scenarios: readonly ScenarioRef[], pins: Map<string, Record<string, unknown>>): Promise<void> {
  const { drawParamValues } = await import('../sim/param-draw.ts');
  for (const info of scenarios) {
    const refused = await refusedParams(info, drawParamValues(info.scenario.params as ParamDefs, 0, pins.get(info.scenario.name) ?? {}, false));
    if (refused !== null) throw new ParamError(refused);
  }
}

export async function cmdSweep(argv: Record<string, unknown>, prestarted: EarlyWorker[] = []): Promise<number> {
  const c = makeChalk(process.stderr);
  // Built-in scenarios from the build's manifest: the workers import them, this thread need not.
  const scenarios = await resolveScenarioInfos(asArray(argv.scenarios));
  const seeds = parsePositiveInt(argv.seeds, '--seeds');
  const from = parseSeed(argv.from, '--from');
  checkSeedRange(from, seeds);
  const shard = argv.shard === undefined ? null : parseShard(String(argv.shard));
  if (argv.shard !== undefined && !shard) throw new UserError(`--shard must be K/N with 1 <= K <= N (the K-th of N parts), e.g. --shard 2/4; got "${String(argv.shard)}"`);
  const rawPins = asArray(argv.param);
  const pins = new Map<string, Record<string, unknown>>();
  for (const l of scenarios) pins.set(l.scenario.name, parsePins(l.scenario.params as ParamDefs, l.scenario.name, rawPins));
  if (rawPins.length > 0) await refusePinnedCombinations(scenarios, pins);
  const o = commonOutputs(argv, c);
  const runId = argv['run-id'] !== undefined ? parseRunId(argv['run-id']) : newRunId(shard);
  const swarm = argv.swarm as boolean;
  const buggify = argv.buggify as boolean;
  const checkDeterminism = argv['check-determinism'] as boolean;
  const linkStreams = argv['single-stream'] !== true;
  const guided = argv.guided === true;
  if (guided && !swarm) throw new UserError('--guided biases the swarm draws, so it needs swarm on: drop --no-swarm (or --guided)');
  const plain = new SeedRangeSource(
    scenarios.map((l) => ({ name: l.scenario.name, file: l.file, pins: pins.get(l.scenario.name) ?? {} })),
    { seeds, from, shard, swarm, buggify, checkDeterminism, linkStreams },
  );
  // With pins, a guided choice may clash with them: the source asks each scenario's checkParams.
  const refuses = new Map<string, (p: Record<string, unknown>) => string | null | undefined>();
  if (guided && rawPins.length > 0)
    for (const l of scenarios) {
      const check = await paramCheckOf(l);
      if (check !== undefined) refuses.set(l.scenario.name, check);
    }
  const source = guided ? new GuidedJobSource(plain, new Map(scenarios.map((l) => [l.scenario.name, l.scenario.params as ParamDefs])), {}, refuses) : plain;
  const last = from + seeds - 1;
  // Every output path is checked before anything is written (a bad one: exit 2, no out folder).
  const html = argv.html === undefined ? undefined : String(argv.html);
  if (html) checkHtmlPath(html, o.out);
  checkOutputs({ ...o, title: 'detsim sweep' });
  if (html) claimOutputFile(html, '--html', HTML_PLACEHOLDER);
  stderr(
    c.bold(
      `detsim sweep: ${scenarios.map((l) => l.scenario.name).join(', ')}; seeds ${from}..${last}${shard ? `, shard ${formatShard(shard)} (${source.total()} runs)` : ''}; ${o.jobs === 1 ? '1 worker' : `up to ${o.jobs} workers`}, ${o.maxMemoryMb} MB heap each; swarm ${swarm ? (guided ? 'on (coverage-guided)' : 'on') : 'off'}, buggify ${buggify ? 'on' : 'off'}${linkStreams ? '' : ', single network stream'}${checkDeterminism ? ', checking determinism' : ''}; run id ${runId}`,
    ),
  );
  const res = await runPipeline({
    source,
    scenarios,
    header: { command: commandLine(), scenarios: scenarios.map((l) => l.scenario.name), seeds, from, shard: formatShard(shard) ?? null, planned: source.total(), swarm, buggify, mode: 'sweep', build: await buildFingerprint(scenarios.filter((l) => !l.builtIn).map((l) => l.file)) },
    runId,
    shard,
    ...o,
    title: 'detsim sweep',
    perSeed: argv['per-seed'] === true,
    prestarted,
    clock,
    stdout,
    stderr,
    progress: true,
  });
  if (html) {
    const n = await writeSweepHtmlFrom(html, [res.resultsFile], { title: `detsim sweep ${scenarios.map((l) => l.scenario.name).join(', ')}`, command: commandLine(), incomplete: isIncomplete(res.report) });
    stderr(c.dim(`HTML report of ${n} run(s) written to ${html} (open it in a browser)`));
  }
  return res.code;
}

/** Results files named on the command line: files, or folders searched for *.results.jsonl. */
function findResultsFiles(args: string[]): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && depth < 6) walk(p, depth + 1);
      else if (e.isFile() && e.name.endsWith('.results.jsonl')) found.push(p);
    }
  };
  for (const a of args) {
    if (!existsSync(a)) throw new UserError(`no results file or folder at ${a}`);
    if (statSync(a).isDirectory()) {
      const before = found.length;
      walk(a, 0);
      if (found.length === before) throw new UserError(`${a} holds no *.results.jsonl file (a sweep writes one into its --out folder)`);
    } else found.push(a);
  }
  const seen = new Set<string>();
  return found.filter((f) => {
    const k = path.resolve(f);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export async function cmdMerge(argv: Record<string, unknown>): Promise<number> {
  const files = findResultsFiles(asArray(argv.results));
  if (files.length === 0) throw new UserError('name at least one results file or folder');
  const junit = argv.junit === undefined ? undefined : String(argv.junit);
  const markdown = argv.markdown === undefined ? undefined : String(argv.markdown);
  const pending = 'detsim merge started but did not finish';
  if (junit) claimOutputFile(junit, '--junit', `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="detsim" tests="1" failures="1"><testsuite name="detsim-merge" tests="1" failures="1"><testcase classname="detsim-merge" name="merge completed"><failure type="incomplete" message="${pending}"/></testcase></testsuite></testsuites>\n`);
  if (markdown) claimOutputFile(markdown, '--markdown', `## detsim merge: ⚠️ INCOMPLETE\n\n${pending}.\n`);
  const html = argv.html === undefined ? undefined : String(argv.html);
  if (html) claimOutputFile(html, '--html', HTML_PLACEHOLDER);
  // The page lists the runs as this report counts them: one reading, one rule for a run given twice.
  const htmlRuns = html ? new HtmlRuns() : undefined;
  const agg = new SweepAggregator(htmlRuns ? { onRun: htmlRuns.onRun } : {});
  const warnings = await readResultsInto(agg, files);
  const report = agg.report();
  // Files that hold no run (a shard that got none, an emptied regression list) check nothing together.
  if (report.summary.runs === 0 && !isIncomplete(report)) throw new UserError(`${files.length === 1 ? `${files[0]} holds no run (its sweep planned none)` : `the ${files.length} results files hold no run (their sweeps planned none)`}: nothing was checked, so there is no verdict; merge the results of sweeps that ran seeds (all the shards of a sharded one)`);
  const c = makeChalk(process.stderr);
  const d = report.duplicates;
  if (d) warnings.push(`${d.lines} result line(s) repeat a run given already (the same scenario, seed and parameters: overlapping --from/--seeds ranges, or one sweep's results given twice); each run is counted once${d.differing > 0 ? `, and ${d.differing} of them differ from the first result, which fails the merge (see DIFFERS)` : ''}. Give each run's results once`);
  for (const w of warnings) stderr(c.yellow(`detsim: warning: ${w}`));
  const title = `detsim nightly sweep (${files.length} results file${files.length === 1 ? '' : 's'})`;
  if (junit) writeFileSync(junit, junitFromReport(report, (s) => agg.passes(s)));
  if (markdown) writeFileSync(markdown, markdownSummary(report, title));
  if (html && htmlRuns) await writeSweepHtml(html, htmlRuns.runs, { title, incomplete: isIncomplete(report) });
  if (argv.json) stdout(JSON.stringify({ ...report, resultsFiles: files }, null, 2));
  else {
    const co = makeChalk();
    stdout(co.bold(`detsim merge: ${files.length} results file(s), run(s) ${report.runIds.join(', ') || '(no header)'}`));
    for (const line of terminalSummary(report, co, { ...(junit ? { junit } : {}), ...(markdown ? { markdown } : {}) })) stdout(line);
  }
  return reportExitCode(report);
}

// ---------------------------------------------------------------- regression seeds

export const REGRESSIONS_FORMAT = 'detsim-regressions/1';

export interface RegressionEntry {
  scenario: string;
  seed: number;
  /** Every parameter of the run that failed (all pinned on replay). */
  params: Record<string, unknown>;
  buggify: boolean;
  /** "pass" (default): a fixed bug stays fixed. "fail": a known-broken variant must still be caught (the checker did not go blind). */
  expect?: 'pass' | 'fail';
  /** With expect "fail": the invariant that must catch it. */
  invariant?: string;
  /** What failed and why it matters (for the person who sees it fail again). */
  why: string;
  /**
   * Whether the run gave each directed link its own random stream. Absent: false, the single
   * network stream of the builds before per-link streams (so older entries replay the run they recorded).
   */
  linkStreams?: boolean;
}

interface RegressionFile {
  format: typeof REGRESSIONS_FORMAT;
  seeds: RegressionEntry[];
}

function readRegressions(file: string): RegressionFile {
  let v: unknown;
  try {
    v = JSON.parse(readInputText(file, 'the regression list'));
  } catch (e) {
    if (e instanceof InputFileError) throw new UserError(e.message);
    throw new UserError(`cannot read the regression list ${file}: ${(e as Error).message}`);
  }
  const o = v as Partial<RegressionFile> | null;
  if (!o || typeof o !== 'object' || o.format !== REGRESSIONS_FORMAT || !Array.isArray(o.seeds)) throw new UserError(`${file} is not a ${REGRESSIONS_FORMAT} file (expected {"format": "${REGRESSIONS_FORMAT}", "seeds": [...]})`);
  o.seeds.forEach((e, i) => {
    if (!e || typeof e.scenario !== 'string' || typeof e.seed !== 'number' || !Number.isSafeInteger(e.seed) || e.seed < 0 || !e.params || typeof e.params !== 'object' || typeof e.buggify !== 'boolean' || typeof e.why !== 'string')
      throw new UserError(`${file}: entry ${i + 1} needs scenario, seed (a non-negative integer), params, buggify and why`);
    // A path would be imported (its code run) and then not found by name: the list names built-ins.
    if (looksLikePath(e.scenario)) throw new UserError(`${file}: entry ${i + 1} names the scenario file ${e.scenario}, and a regression list names built-in scenarios only; keep a scenario file's failure as a test with detsim export`);
    if (e.expect !== undefined && e.expect !== 'pass' && e.expect !== 'fail') throw new UserError(`${file}: entry ${i + 1}: expect must be "pass" or "fail"`);
    if (e.linkStreams !== undefined && typeof e.linkStreams !== 'boolean') throw new UserError(`${file}: entry ${i + 1}: linkStreams must be true or false`);
  });
  return o as RegressionFile;
}

export async function cmdRegress(argv: Record<string, unknown>): Promise<number> {
  const file = String(argv.file);
  if (argv.add !== undefined) return addRegression(file, String(argv.add), argv.why === undefined ? undefined : String(argv.why));
  const c = makeChalk(process.stderr);
  const list = readRegressions(file);
  // Replaying no seed checks nothing: a PASS would hide a list emptied by mistake (or the wrong file).
  if (list.seeds.length === 0) throw new UserError(`${file} lists no regression seeds: nothing to replay. Add a failure's repro file with: npx detsim regress ${file} --add REPRO.json --why "what failed"`);
  const names = [...new Set(list.seeds.map((e) => e.scenario))];
  const scenarios: LoadedScenario[] = [];
  for (const n of names) scenarios.push(await resolveScenario(n));
  const byName = new Map(scenarios.map((l) => [l.scenario.name, l]));
  // One seed may be listed with several parameter sets (a bug variant expected caught, the fix
  // expected to pass): a result is judged by the entry whose pinned parameters and streams it ran.
  const expectations = new Map<string, { entry: RegressionEntry; pins: Record<string, unknown> }[]>();
  const jobs: Omit<SweepJob, 'id'>[] = list.seeds.map((e) => {
    const l = byName.get(e.scenario)!;
    const pins = parsePins(l.scenario.params as ParamDefs, l.scenario.name, Object.entries(e.params).map(([k, v]) => `${k}=${String(v)}`));
    const key = `${e.scenario}#${e.seed}`;
    expectations.set(key, [...(expectations.get(key) ?? []), { entry: e, pins }]);
    return { file: l.file, scenario: l.scenario.name, seed: e.seed, pins, swarm: false, buggify: e.buggify, checkDeterminism: false, linkStreams: e.linkStreams ?? false };
  });
  const o = commonOutputs(argv, c);
  const runId = argv['run-id'] !== undefined ? parseRunId(argv['run-id']) : `regress-${newRunId(null)}`;
  checkOutputs({ ...o, title: 'detsim regress' });
  stderr(c.bold(`detsim regress: ${list.seeds.length} regression seed(s) from ${file} over ${names.length} scenario(s); run id ${runId}`));
  // An entry expected to fail is judged here: caught by its invariant = a pass of the regression.
  const base = new ListSource(jobs);
  const res = await runPipeline({
    source: base,
    scenarios,
    header: { command: commandLine(), scenarios: names, seeds: 0, from: 0, shard: null, planned: jobs.length, mode: 'regress', build: await buildFingerprint(scenarios.filter((l) => !l.builtIn).map((l) => l.file)) },
    runId,
    shard: null,
    ...o,
    title: 'detsim regress',
    clock,
    stdout,
    stderr,
    progress: false,
    judge: (raw) => {
      // mustReach is a property of a sweep of many seeds, not of a handful of regression seeds.
      const r = raw.coverage ? { ...raw, coverage: { ...raw.coverage, mustReach: [] } } : raw;
      const e = expectations.get(`${r.scenario}#${r.seed}`)?.find((x) => (x.entry.linkStreams ?? false) === (r.linkStreams ?? false) && x.entry.buggify === r.buggify.enabled && Object.entries(x.pins).every(([k, v]) => r.params[k] === v))?.entry;
      if (!e || (e.expect ?? 'pass') === 'pass') return r;
      const caught = !r.ok && (e.invariant === undefined || r.violations.some((v) => v.invariant === e.invariant));
      if (caught) return { ...r, ok: true, outcome: 'pass', violations: [], metrics: { ...r.metrics, expectedFailure: `${e.invariant ?? r.outcome} caught as expected` } };
      return { ...r, ok: false, outcome: r.ok ? 'safety' : r.outcome, violations: [{ invariant: 'regression', atNs: r.simTimeNs, eventIndex: r.events, message: `expected ${e.invariant ?? 'a failure'} (${e.why}) but the run ${r.ok ? 'passed: the checker no longer catches this bug' : `failed otherwise: ${r.violations[0]?.invariant ?? r.outcome}`}` }, ...r.violations] };
    },
  });
  return res.code;
}

function addRegression(file: string, reproFile: string, why: string | undefined): number {
  const repro = readRepro(reproFile);
  // An entry keeps a seed and its parameters only. A shrunk repro's run is its script (the
  // nemesis silenced, the faults played by meaning): replayed from the seed with the shrunk
  // parameters it is another run, which may pass with the bug still there, a regression that
  // guards nothing. A scenario file is not a name `regress` can find. Both are refused here,
  // before a useless entry is written, and both keep as an exported test.
  const asTest = `keep it as a test instead: detsim export ${reproFile} --out FILE.test.ts`;
  if (repro.scripted === true)
    throw new UserError(`${reproFile} is a shrunk repro: its run is played from its recorded script, which a regression entry does not keep (seed ${repro.seed} with the shrunk parameters alone is another run, which may pass with the bug still there); add the repro it was shrunk from, or ${asTest}`);
  if (repro.scenarioFile !== undefined)
    throw new UserError(`${reproFile} is a run of the scenario file ${repro.scenarioFile}, and a regression list names built-in scenarios only (detsim regress would not find "${repro.scenario}"); ${asTest}`);
  const list: RegressionFile = existsSync(file) ? readRegressions(file) : { format: REGRESSIONS_FORMAT, seeds: [] };
  if (list.seeds.some((e) => e.scenario === repro.scenario && e.seed === repro.seed && JSON.stringify(e.params) === JSON.stringify(repro.params))) {
    stdout(`${repro.scenario} seed ${repro.seed} is already in ${file}`);
    return 0;
  }
  const v = repro.violations[0];
  list.seeds.push({ scenario: repro.scenario, seed: repro.seed, params: repro.params, buggify: repro.buggify, linkStreams: repro.linkStreams ?? false, why: why ?? `once failed: ${repro.outcome}${v ? ` (${v.invariant}: ${v.message.slice(0, 200)})` : ''}` });
  writeFileSync(file, JSON.stringify(list, null, 2) + '\n');
  stdout(`added ${repro.scenario} seed ${repro.seed} to ${file} (${list.seeds.length} regression seed(s)); \`npx detsim regress ${file}\` replays them all`);
  return 0;
}
