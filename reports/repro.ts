/**
 * Repro files: everything needed to replay a failing run bit for bit, as JSON. Written by
 * `detsim sweep --out DIR` for every failure and by `detsim run --repro FILE`; read by
 * `detsim replay FILE`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunResult } from '../sim/runner.ts';
import type { Violation } from '../sim/scenario.ts';
import { runCommand, shellQuote } from './commands.ts';
import { InputFileError, readInputText } from './input-file.ts';
import reproSchema from '../schemas/repro.schema.json' with { type: 'json' };
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ScriptEntry } from '../sim/decisions.ts';

export { runCommand };

/** The format written. detsim-repro/1 files (no script, no commit) are still read. */
export const REPRO_FORMAT = 'detsim-repro/2';
const READABLE_FORMATS = ['detsim-repro/1', REPRO_FORMAT];

export interface Repro {
  format: typeof REPRO_FORMAT | 'detsim-repro/1';
  scenario: string;
  /**
   * A scenario file that is not built in: relative to the repro file's folder ('/'-separated) when
   * both were inside the working directory, so the repro still finds it when the folder and the
   * checkout move together (a CI artifact downloaded into the checkout); else absolute, as every
   * repro before recorded it (still read as it is). Absent for built-ins. Read it through
   * `reproScenarioFile` (cli/scenarios.ts).
   */
  scenarioFile?: string;
  seed: number;
  /** Every parameter's value in the run (pinned on replay, so swarm-range changes cannot move it). */
  params: Record<string, unknown>;
  /** The parameters the user pinned (the rest were drawn from the seed or defaulted). */
  pins?: Record<string, unknown>;
  swarm: boolean;
  buggify: boolean;
  traceHash: string;
  events: number;
  outcome: RunResult['outcome'];
  violations: Violation[];
  /** The command that replays this file. */
  replay: string;
  /**
   * The equivalent `detsim run` command; for a run driven by its script (a shrunk repro), which no
   * `detsim run` flag carries, the replay command.
   */
  run: string;
  /** The run's faults and workload operations by meaning (sim/decisions.ts). */
  script?: ScriptEntry[];
  /** True when the run was driven by `script` (a shrunk repro): replay drives it the same way. */
  scripted?: boolean;
  /** The git commit of detsim (and the code under test) the repro was made at, when known. */
  commit?: string;
  /**
   * Whether the run gave each directed link its own random stream (RunOptions.linkStreams).
   * Absent in repros made before that was the default: those ran on the single network stream.
   */
  linkStreams?: boolean;
}

export class ReproError extends Error {
  override name = 'ReproError';
}

/** `opts.scenarioFile`: the scenario file's absolute path (recorded relative to `opts.file`'s folder). */
export function makeRepro(r: RunResult, opts: { scenarioFile?: string; buggify: boolean; file: string; pins: Record<string, unknown> }): Repro {
  const replay = `npx detsim replay ${shellQuote(displayPath(opts.file))}`;
  const repro: Repro = {
    format: REPRO_FORMAT,
    scenario: r.scenario,
    seed: r.seed,
    params: r.params,
    pins: opts.pins,
    swarm: r.swarm,
    buggify: opts.buggify,
    traceHash: r.traceHash,
    events: r.events,
    outcome: r.outcome,
    violations: r.violations,
    replay,
    // A run driven by its script (a shrunk repro) has no `detsim run` of its own: no flag carries
    // the script, and the seed alone draws other faults, a run that may pass. Its replay is the run.
    run: r.scripted ? replay : runCommand(opts.scenarioFile ? path.relative(process.cwd(), opts.scenarioFile) || opts.scenarioFile : r.scenario, r.seed, opts.pins, r.swarm, opts.buggify, r.linkStreams === false),
  };
  if (opts.scenarioFile) repro.scenarioFile = recordedScenarioFile(opts.scenarioFile, opts.file);
  if (r.script !== undefined) repro.script = r.script;
  if (r.scripted) repro.scripted = true;
  // A report made without a run (a stopped worker) ran with this build's default.
  repro.linkStreams = r.linkStreams ?? true;
  const commit = currentCommit();
  if (commit !== null) repro.commit = commit;
  return repro;
}

/**
 * The scenario file as a repro records it: relative to the repro's folder when both are inside the
 * working directory (a project and its --out folder, which move together: a CI artifact downloaded
 * into a checkout), else absolute (two unrelated places: a relative path would only break sooner).
 */
function recordedScenarioFile(scenarioFile: string, reproFile: string): string {
  const inCwd = (f: string): boolean => {
    const rel = path.relative(process.cwd(), f);
    return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  };
  const repro = path.resolve(reproFile);
  return inCwd(repro) && inCwd(scenarioFile) ? path.relative(path.dirname(repro), scenarioFile).split(path.sep).join('/') : scenarioFile;
}

let commitCache: string | null | undefined;

/**
 * The git commit of this detsim checkout (HEAD, with "-dirty" when files differ from it), or null
 * outside a git checkout. Read once per process, outside any simulation.
 */
export function currentCommit(): string | null {
  if (commitCache !== undefined) return commitCache;
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  try {
    const rev = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim() !== '';
    commitCache = /^[0-9a-f]{7,64}$/.test(rev) ? `${rev}${dirty ? '-dirty' : ''}` : null;
  } catch {
    commitCache = null;
  }
  return commitCache;
}

/**
 * Why replaying `repro` here may not reproduce it bit for bit (another commit, or uncommitted
 * changes), or null when it was made at this very commit or records none.
 */
export function otherBuild(repro: Pick<Repro, 'commit' | 'scripted'>, here: string | null = currentCommit()): string | null {
  if (repro.commit === undefined) return null;
  if (here === repro.commit && !here.endsWith('-dirty')) return null;
  const what = repro.scripted
    ? 'its script names faults by meaning, so the failure may still reproduce, but the trace hash will differ'
    : 'the seed names PRNG draws of that build, so the run may differ (shrink it and export it with `detsim export` for a test that survives code changes)';
  if (here === repro.commit) return `this repro was made with uncommitted changes (at commit ${here.replace(/-dirty$/, '')}), as is this build: if the sources changed in between, ${what}`;
  return `this repro was made at commit ${repro.commit}, this build is ${here ?? 'not a git checkout'}: ${what}`;
}

/** A path relative to the working directory when it lies below it, else absolute. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : path.resolve(file);
}


export function writeRepro(file: string, repro: Repro): void {
  writeFileSync(file, JSON.stringify(repro, null, 2) + '\n');
}

/** The fields a detsim-repro/1 file may have (schemas/repro.schema.json). */
export const REPRO_FIELDS: readonly string[] = Object.keys(reproSchema.properties);

/** The fields of a repro object that detsim-repro/1 does not name (a typo, or a newer detsim's). */
export function unknownReproFields(o: object): string[] {
  return Object.keys(o).filter((k) => !REPRO_FIELDS.includes(k));
}

const warnOnStderr = (message: string): void => {
  process.stderr.write(`detsim: warning: ${message}\n`);
};

/**
 * Reads and validates a repro file; any problem is a ReproError with a one-line message. Fields
 * the format does not name are reported through `warn` (default: a warning on stderr) and ignored.
 */
export function readRepro(file: string, warn: (message: string) => void = warnOnStderr): Repro {
  let text: string;
  try {
    text = readInputText(file, 'repro file');
  } catch (e) {
    throw new ReproError(e instanceof InputFileError ? e.message : `cannot read repro file ${file}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ReproError(`${file} is not JSON: ${(e as Error).message.slice(0, 200)}`);
  }
  const o = v as Partial<Repro>;
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new ReproError(`${file} is not a repro file (expected a JSON object)`);
  if (!READABLE_FORMATS.includes(o.format as string)) throw new ReproError(`${file} is not a ${REPRO_FORMAT} repro file (format is ${JSON.stringify(o.format)?.slice(0, 60)})`);
  if (typeof o.scenario !== 'string') throw new ReproError(`${file}: "scenario" must be a string`);
  if (typeof o.seed !== 'number' || !Number.isSafeInteger(o.seed) || o.seed < 0) throw new ReproError(`${file}: "seed" must be a non-negative integer`);
  if (!o.params || typeof o.params !== 'object') throw new ReproError(`${file}: "params" must be an object`);
  if (typeof o.traceHash !== 'string') throw new ReproError(`${file}: "traceHash" must be a string`);
  if (typeof o.swarm !== 'boolean' || typeof o.buggify !== 'boolean') throw new ReproError(`${file}: "swarm" and "buggify" must be booleans`);
  // The rest is read by replay and shrink: wrong types must be a clear error, not a crash later.
  if (Array.isArray(o.params)) throw new ReproError(`${file}: "params" must be an object of name: value`);
  for (const [k, v] of Object.entries(o.params)) {
    if (!['number', 'string', 'boolean'].includes(typeof v)) throw new ReproError(`${file}: parameter "${k.slice(0, 60)}" must be a number, string or boolean, got ${v === null ? 'null' : typeof v}`);
  }
  if (o.pins !== undefined && (o.pins === null || typeof o.pins !== 'object' || Array.isArray(o.pins))) throw new ReproError(`${file}: "pins" must be an object`);
  if (o.scenarioFile !== undefined && typeof o.scenarioFile !== 'string') throw new ReproError(`${file}: "scenarioFile" must be a string`);
  if (o.scenario === '' && o.scenarioFile === undefined) throw new ReproError(`${file}: "scenario" is empty`);
  if (o.violations !== undefined && (!Array.isArray(o.violations) || !o.violations.every((v) => v !== null && typeof v === 'object' && typeof (v as Partial<Violation>).invariant === 'string'))) {
    throw new ReproError(`${file}: "violations" must be a list of {invariant, message, ...} objects`);
  }
  if (o.replay !== undefined && typeof o.replay !== 'string') throw new ReproError(`${file}: "replay" must be a string`);
  if (o.outcome !== undefined && typeof o.outcome !== 'string') throw new ReproError(`${file}: "outcome" must be a string`);
  if (o.script !== undefined && (!Array.isArray(o.script) || !o.script.every((e) => e !== null && typeof e === 'object' && typeof (e as Partial<ScriptEntry>).kind === 'string' && typeof (e as Partial<ScriptEntry>).atNs === 'number'))) {
    throw new ReproError(`${file}: "script" must be a list of {atNs, kind, ...} entries`);
  }
  if (o.scripted !== undefined && typeof o.scripted !== 'boolean') throw new ReproError(`${file}: "scripted" must be a boolean`);
  if (o.scripted === true && o.script === undefined) throw new ReproError(`${file}: "scripted" is true but there is no "script" to drive the run`);
  if (o.commit !== undefined && typeof o.commit !== 'string') throw new ReproError(`${file}: "commit" must be a string`);
  if (o.linkStreams !== undefined && typeof o.linkStreams !== 'boolean') throw new ReproError(`${file}: "linkStreams" must be a boolean`);
  const unknown = unknownReproFields(o);
  if (unknown.length > 0) warn(`${file}: ignoring field(s) a ${REPRO_FORMAT} file does not have: ${unknown.map((k) => JSON.stringify(k)).join(', ')} (a typo, or written by a newer detsim?)`);
  return { ...o, violations: o.violations ?? [], outcome: o.outcome ?? 'crash', replay: o.replay ?? `npx detsim replay ${shellQuote(displayPath(file))}` } as Repro;
}
