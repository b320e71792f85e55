/**
 * Finding scenarios: every `scenarios/*.ts` file of detsim (tests excluded) default-exports one
 * scenario; a path to a `.ts` file of the user's own is loaded the same way.
 */
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { validateParamDefs, type ParamDefs } from '../sim/params.ts';
import type { Scenario } from '../sim/scenario.ts';
import { excerpt, UserError } from './errors.ts';

export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SCENARIOS_DIR = path.join(PACKAGE_ROOT, 'scenarios');

export interface LoadedScenario {
  scenario: Scenario;
  /** Absolute path of the module (what workers import). */
  file: string;
  builtIn: boolean;
}

class ScenarioExitError extends Error {}

function isScenarioFile(name: string): boolean {
  return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.bench.ts') && !name.startsWith('_');
}

export async function loadScenarioFile(file: string, builtIn: boolean): Promise<LoadedScenario> {
  let mod: { default?: unknown };
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
    const msg = (err as Error).message.split('\n').map((l) => l.trim()).filter((l) => l.length > 0).slice(0, 4).join(' ');
    throw new UserError(`cannot load scenario file ${path.relative(process.cwd(), file) || file}: ${msg}`);
  } finally {
    process.exit = realExit;
  }
  const s = mod.default as Partial<Scenario> | undefined;
  if (!s || typeof s !== 'object' || typeof s.name !== 'string' || typeof s.setup !== 'function' || typeof s.params !== 'object') {
    throw new UserError(`${path.relative(process.cwd(), file) || file} does not default-export a scenario (use \`export default defineScenario({...})\`)`);
  }
  validateParamDefs(s.params as ParamDefs, s.name);
  return { scenario: s as Scenario, file, builtIn };
}

/** All built-in scenarios, sorted by name. */
export async function loadBuiltIns(): Promise<LoadedScenario[]> {
  const files = readdirSync(SCENARIOS_DIR).filter(isScenarioFile).sort();
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

function looksLikePath(arg: string): boolean {
  return arg.endsWith('.ts') || arg.endsWith('.js') || arg.includes('/');
}

/** One scenario by name or by file path. */
export async function resolveScenario(arg: string): Promise<LoadedScenario> {
  if (looksLikePath(arg)) {
    const file = path.resolve(arg);
    if (!existsSync(file)) throw new UserError(`no scenario file at ${arg}`);
    return loadScenarioFile(file, false);
  }
  // Built-in scenarios live in scenarios/<name>.ts: load just that one, so a run neither waits
  // for nor depends on every other scenario module.
  if (/^[a-z0-9][a-z0-9-]*$/.test(arg)) {
    const file = path.join(SCENARIOS_DIR, `${arg}.ts`);
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

/** Names, globs (`raft-*`), `all`, or file paths; each must match something. */
export async function resolveScenarios(args: string[]): Promise<LoadedScenario[]> {
  if (args.length === 0) throw new UserError('name at least one scenario, a glob such as raft-*, or all');
  const all = await loadBuiltIns();
  const out: LoadedScenario[] = [];
  const add = (l: LoadedScenario): void => {
    if (out.some((o) => o.file === l.file)) return;
    const clash = out.find((o) => o.scenario.name === l.scenario.name);
    if (clash) throw new UserError(`two scenarios named "${l.scenario.name}" were given (${path.relative(process.cwd(), clash.file)} and ${path.relative(process.cwd(), l.file)}); rename one`);
    out.push(l);
  };
  for (const a of args) {
    if (a === 'all') all.forEach(add);
    else if (looksLikePath(a)) add(await resolveScenario(a));
    else if (a.includes('*')) {
      const re = new RegExp(`^${a.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
      const hits = all.filter((l) => re.test(l.scenario.name));
      if (hits.length === 0) throw new UserError(`no scenario matches "${a}"; \`detsim list\` shows them all`);
      hits.forEach(add);
    } else {
      const hit = all.find((l) => l.scenario.name === a);
      if (!hit) throw new UserError(`unknown scenario "${a}"; \`detsim list\` shows the ${all.length} there are`);
      add(hit);
    }
  }
  return out;
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
  const candidates = path.isAbsolute(named) ? [named] : [path.resolve(reproDir, named), path.resolve(named)];
  const file = candidates.find((f) => existsSync(f));
  if (file === undefined) throw new UserError(`${reproFile} names the scenario file ${excerpt(named, 200)}, which does not exist (looked in ${candidates.map((c) => path.dirname(c)).filter((d, i, a) => a.indexOf(d) === i).join(' and ')})`);
  const real = realpathSync(file);
  const roots = [process.cwd(), reproDir, SCENARIOS_DIR].map((r) => (existsSync(r) ? realpathSync(r) : r));
  const inside = roots.some((r) => real === r || real.startsWith(r.endsWith(path.sep) ? r : r + path.sep));
  if (!inside && !allowAnyFile) {
    throw new UserError(
      `${reproFile} names the scenario file ${excerpt(real, 200)}, outside the working directory and the repro's folder; detsim does not run code a repro file points to elsewhere. If you trust it, pass --allow-scenario-file, or copy the scenario next to the repro file`,
    );
  }
  if (!/\.(ts|mts|js|mjs)$/.test(real)) throw new UserError(`${reproFile} names ${excerpt(named, 200)} as its scenario file, but a scenario file is a .ts or .js module`);
  return loadScenarioFile(file, false);
}
