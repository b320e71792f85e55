/**
 * Finding scenarios: every `scenarios/*.ts` file of detsim (tests excluded) default-exports one
 * scenario; a `.ts` or `.mts` file of the user's own, anywhere, is loaded the same way (by path,
 * by a glob such as `./my-scenarios/*.ts`, or every scenario file of a folder).
 */
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ParamError, validateParamDefs, whyRefused, type ParamDefs } from '../sim/params.ts';
import type { Scenario } from '../sim/scenario.ts';
import { excerpt, UserError } from './errors.ts';

import { CODE_EXT, CODE_ROOT, PACKAGE_ROOT } from './layout.ts';
import { prepareToImport } from './user-modules.ts';

export { PACKAGE_ROOT };
/** The built-in scenario modules: scenarios/*.ts, or dist/scenarios/*.js when running compiled. */
export const SCENARIOS_DIR = path.join(CODE_ROOT, 'scenarios');

export interface LoadedScenario {
  scenario: Scenario;
  /** Absolute path of the module (what workers import). */
  file: string;
  builtIn: boolean;
}

class ScenarioExitError extends Error {}

/** A scenario as the CLI holds it: loaded, or only its manifest entry (`checkParams: true` when it has a check). */
export interface ScenarioRef {
  scenario: { name: string; params: ParamDefs; checkParams?: unknown };
  file: string;
  builtIn: boolean;
}

/**
 * The scenario's Scenario.checkParams (why it refuses a combination of values), or undefined. A
 * scenario known only from the manifest is imported for it, and only when it declares one.
 */
export async function paramCheckOf(info: ScenarioRef): Promise<((p: Record<string, unknown>) => string | null | undefined) | undefined> {
  if (info.scenario.checkParams === undefined) return undefined;
  const l = typeof info.scenario.checkParams === 'function' ? (info as LoadedScenario) : await resolveScenario(info.builtIn ? info.scenario.name : info.file);
  const check = l.scenario.checkParams;
  return check === undefined ? undefined : (p) => check.call(l.scenario, p as never);
}

/** Why the scenario refuses to run with `values`, as a ParamError's one-line message, or null. */
export async function refusedParams(info: ScenarioRef, values: Record<string, unknown>): Promise<string | null> {
  const check = await paramCheckOf(info);
  const refused = whyRefused(check, values);
  return refused !== null ? `scenario ${info.scenario.name}: ${refused}` : null;
}

/** A scenario module by its name: `.ts`/`.mts`, not a test, bench or declaration file, not `_private`. */
export function isScenarioFile(name: string): boolean {
  const base = path.basename(name);
  return /\.m?ts$/.test(base) && !/\.(test|spec|bench)\.m?ts$/.test(base) && !/\.d\.m?ts$/.test(base) && !base.startsWith('_');
}

/** A built-in scenario module in SCENARIOS_DIR (compiled: the .js files tsc wrote for them). */
export function isBuiltInScenarioFile(name: string): boolean {
  return CODE_EXT === '.ts' ? isScenarioFile(name) : name.endsWith('.js') && isScenarioFile(name.slice(0, -3) + '.ts');
}

export async function loadScenarioFile(file: string, builtIn: boolean): Promise<LoadedScenario> {
  let mod: { default?: unknown };
  await prepareToImport(file);
  // Top-level code of a scenario file runs on import: a process.exit there must not end detsim
  // without a word (a run would end with exit 0 and no verdict).
  const realExit = process.exit;
  process.exit = ((code?: number | string | null) => {
    throw new ScenarioExitError(`its top-level code called process.exit(${code ?? ''})`);
  }) as typeof process.exit;
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    if (err instanceof ScenarioExitError) throw new UserError(`cannot load scenario file ${path.relative(process.cwd(), file) || file}: ${err.message}; a scenario module must only define the scenario`);
    // The whole message on one line: a compile error's file, line and column follow its first line.
    let msg = (err as Error).message.split('\n').map((l) => l.trim()).filter((l) => l.length > 0).slice(0, 4).join(' ');
    if (/Cannot require\(\) ES Module/.test(msg)) msg += " (a CommonJS module cannot import detsim's ES modules: write the scenario as an ES module, a .ts or .mts file)";
    throw new UserError(`cannot load scenario file ${path.relative(process.cwd(), file) || file}: ${msg}`);
  } finally {
    process.exit = realExit;
  }
  const s = mod.default as Partial<Scenario> | undefined;
  if (!s || typeof s !== 'object' || typeof s.name !== 'string' || typeof s.setup !== 'function' || typeof s.params !== 'object') {
    throw new UserError(`${path.relative(process.cwd(), file) || file} does not default-export a scenario (use \`export default defineScenario({...})\`; a helper module beside scenarios is skipped by folders and globs when its name starts with _, as in _helpers.ts)`);
  }
  try {
    validateParamDefs(s.params as ParamDefs, s.name);
  } catch (err) {
    if (err instanceof ParamError) throw err;
    // Not type-checked on import: a definition of the wrong shape (`values` not a list, say) threw a TypeError.
    throw new UserError(`${path.relative(process.cwd(), file) || file}: scenario ${s.name}'s params are not parameter definitions (${(err as Error).message}); make each one with param.int, param.float, param.bool or param.enum`);
  }
  return { scenario: s as Scenario, file, builtIn };
}

/** All built-in scenarios, sorted by name. */
export async function loadBuiltIns(): Promise<LoadedScenario[]> {
  const files = readdirSync(SCENARIOS_DIR).filter(isBuiltInScenarioFile).sort();
  const out: LoadedScenario[] = [];
  const seen = new Map<string, string>();
  for (const f of files) {
    const l = await loadScenarioFile(path.join(SCENARIOS_DIR, f), true);
    const prev = seen.get(l.scenario.name);
    if (prev) throw new UserError(`two scenarios are named ${l.scenario.name}: ${prev} and ${f}`);
    seen.set(l.scenario.name, f);
    out.push(l);
  }
  return out.sort((a, b) => a.scenario.name.localeCompare(b.scenario.name));
}

export function looksLikePath(arg: string): boolean {
  return /\.[mc]?[tj]s$/.test(arg) || arg.includes('/') || arg.includes(path.sep) || arg === '.' || arg === '..';
}

const GLOB_CHARS = /[*?[\]{}]/;

/** Scenario files a path argument names: the file; a folder's scenario files; a glob's matches. */
async function scenarioFilesFor(arg: string): Promise<string[]> {
  if (GLOB_CHARS.test(arg)) {
    // Loaded when a glob comes: every sweep worker and `detsim run` import this module.
    const { globSync } = await import('tinyglobby');
    const hits = globSync(arg, { absolute: true, onlyFiles: true, ignore: ['**/node_modules/**'] }).filter(isScenarioFile).sort();
    if (hits.length === 0) throw new UserError(`no scenario file matches "${arg}" (a scenario file is a .ts or .mts file, not *.test.ts)`);
    return hits;
  }
  const p = path.resolve(arg);
  if (!existsSync(p)) throw new UserError(`no scenario file or folder at ${arg}`);
  if (statSync(p).isDirectory()) {
    const hits = readdirSync(p).filter(isScenarioFile).sort().map((f) => path.join(p, f));
    if (hits.length === 0) throw new UserError(`the folder ${arg} holds no scenario file (.ts or .mts, not *.test.ts)`);
    return hits;
  }
  return [p];
}

/** One scenario by name or by file path. */
export async function resolveScenario(arg: string): Promise<LoadedScenario> {
  if (looksLikePath(arg)) {
    const file = path.resolve(arg);
    if (!existsSync(file)) throw new UserError(`no scenario file at ${arg}`);
    if (statSync(file).isDirectory()) throw new UserError(`${arg} is a folder; name one scenario file in it (sweep and list take folders)`);
    return loadScenarioFile(file, false);
  }
  // Built-in scenarios live in scenarios/<name>.ts: load just that one, so a run neither waits
  // for nor depends on every other scenario module.
  if (/^[a-z0-9][a-z0-9-]*$/.test(arg)) {
    const file = path.join(SCENARIOS_DIR, `${arg}${CODE_EXT}`);
    if (existsSync(file)) {
      const l = await loadScenarioFile(file, true);
      if (l.scenario.name === arg) return l;
    }
  }
  const all = await loadBuiltIns();
  const hit = all.find((l) => l.scenario.name === arg);
  if (!hit) throw new UserError(`unknown scenario "${arg}"; \`detsim list\` shows the ${all.length} there are`);
  return hit;
}

/**
 * Names, globs of names (`raft-*`), `all` (every built-in scenario), file paths, folders (their
 * scenario files) or file globs (`'./my-scenarios/*.ts'`); each must match something.
 */
export async function resolveScenarios(args: string[]): Promise<LoadedScenario[]> {
  if (args.length === 0) throw new UserError('name at least one scenario, a glob such as raft-*, all, a scenario file or a folder of them');
  let builtIns: LoadedScenario[] | null = null;
  const builtIn = async (): Promise<LoadedScenario[]> => (builtIns ??= await loadBuiltIns());
  const out: LoadedScenario[] = [];
  const add = (l: LoadedScenario): void => {
    if (out.some((o) => o.file === l.file)) return;
    const clash = out.find((o) => o.scenario.name === l.scenario.name);
    if (clash) throw new UserError(`two scenarios named "${l.scenario.name}" were given (${path.relative(process.cwd(), clash.file)} and ${path.relative(process.cwd(), l.file)}); rename one`);
    out.push(l);
  };
  for (const a of args) {
    if (a === 'all') (await builtIn()).forEach(add);
    else if (looksLikePath(a)) for (const f of await scenarioFilesFor(a)) add(await loadScenarioFile(f, false));
    else if (a.includes('*')) {
      const all = await builtIn();
      const re = new RegExp(`^${a.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
      const hits = all.filter((l) => re.test(l.scenario.name));
      if (hits.length === 0) throw new UserError(`no scenario matches "${a}"; \`detsim list\` shows them all`);
      hits.forEach(add);
    } else {
      // A plain name: its own module when the file is named after it (no need to load them all).
      const loaded = builtIns as LoadedScenario[] | null; // set by builtIn() (TypeScript cannot see the closure's write)
      add(loaded?.find((l) => l.scenario.name === a) ?? (await resolveScenario(a)));
    }
  }
  return out;
}

/**
 * Where the scenario file a repro names may be: an absolute name (older repros) as it is; a
 * relative one in the repro file's folder first, then in the working directory (hand-written
 * repros). The first that exists, in that order, is the one; when none does, the list says where
 * it was looked for.
 */
export function reproScenarioFile(scenarioFile: string, reproFile: string): { file: string | undefined; candidates: string[] } {
  const candidates = path.isAbsolute(scenarioFile) ? [scenarioFile] : [path.resolve(path.dirname(path.resolve(reproFile)), scenarioFile), path.resolve(scenarioFile)];
  return { file: candidates.find((f) => existsSync(f)), candidates };
}

/**
 * The scenario a repro file names. A repro file is data, often from somewhere else (a CI
 * artifact, a bug report): it may name a built-in scenario, or a scenario file inside the
 * working directory or the repro's own folder (a relative name is looked up in the repro's folder
 * first, then in the working directory). Any other file is refused before it is imported (its
 * top-level code would run) unless the user passes `allowAnyFile` (--allow-scenario-file).
 */
export async function resolveReproScenario(repro: { scenario: string; scenarioFile?: string }, reproFile: string, allowAnyFile: boolean): Promise<LoadedScenario> {
  const named = repro.scenarioFile ?? repro.scenario;
  if (repro.scenarioFile === undefined && !looksLikePath(named)) return resolveScenario(named);
  const reproDir = path.dirname(path.resolve(reproFile));
  const { file, candidates } = reproScenarioFile(named, reproFile);
  if (file === undefined) throw new UserError(`${reproFile} names the scenario file ${excerpt(named, 200)}, which does not exist (looked in ${candidates.map((c) => path.dirname(c)).filter((d, i, a) => a.indexOf(d) === i).join(' and ')})`);
  const real = realpathSync(file);
  const roots = [process.cwd(), reproDir, SCENARIOS_DIR, path.join(PACKAGE_ROOT, 'scenarios')].map((r) => (existsSync(r) ? realpathSync(r) : r));
  const inside = roots.some((r) => real === r || real.startsWith(r.endsWith(path.sep) ? r : r + path.sep));
  if (!inside && !allowAnyFile) {
    throw new UserError(
      `${reproFile} names the scenario file ${excerpt(real, 200)}, outside the working directory and the repro's folder; detsim does not run code a repro file points to elsewhere. If you trust it, pass --allow-scenario-file, or copy the scenario next to the repro file`,
    );
  }
  if (!/\.(ts|mts|js|mjs)$/.test(real)) throw new UserError(`${reproFile} names ${excerpt(named, 200)} as its scenario file, but a scenario file is a .ts or .js module`);
  return loadScenarioFile(file, false);
}
