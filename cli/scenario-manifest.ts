/**
 * The built-in scenarios' metadata (name, description, parameter table), written at build time
 * into dist/scenario-manifest.json, so `detsim list` and the main thread of `detsim run` know the
 * scenarios without importing them (each import pulls in its system: about 250 modules for all
 * of them).
 *
 * Never stale: the manifest is written by the build from the compiled modules themselves, and
 * lists each compiled scenario module with its modification time and size. It is used only when
 * this process runs the compiled build (a source changed since the build makes bin/detsim.js run
 * the TypeScript sources, where no manifest is read), and only when dist/scenarios holds exactly
 * the modules it lists, unchanged; otherwise the scenarios are imported as before. A module whose
 * time differs but whose size and content hash are the listed ones is unchanged: an installed
 * package's files all have the time npm unpacked them.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { ParamDef, ParamDefs } from '../sim/params.ts';
import { CODE_ROOT, COMPILED } from './layout.ts';
import { UserError } from './errors.ts';
import { isBuiltInScenarioFile, loadBuiltIns, looksLikePath, resolveScenario, resolveScenarios, SCENARIOS_DIR } from './scenarios.ts';

export const MANIFEST_FILE = 'scenario-manifest.json';
export const MANIFEST_FORMAT = 'detsim-scenario-manifest/1';

export interface ManifestEntry {
  name: string;
  description: string;
  /** The module's file name in SCENARIOS_DIR. */
  file: string;
  /**
   * The parameter table in its order (which is the order values are drawn in): a name alone is
   * the shared fault parameter of that name, unchanged; else [name, definition].
   */
  params: (string | [string, ParamDef])[];
  /** The module's modification time (ms) and size when the manifest was written. */
  stat: [number, number];
  /** The module's content hash (sha1, base64), for a module whose time is not the build's (an installed package's). */
  hash?: string;
  /** The scenario refuses some combinations of values (Scenario.checkParams): a sweep with pins imports it to ask. */
  checksParams?: true;
}

export interface ScenarioManifest {
  format: typeof MANIFEST_FORMAT;
  /** Sorted by name as loadBuiltIns sorts them. */
  scenarios: ManifestEntry[];
  /** faultParams(): the shared fault parameters `detsim list` shows once. */
  shared: ParamDefs;
}

/** What `list` and a run's main thread need of a scenario: no code, its description and parameters. */
export interface ScenarioInfo {
  scenario: { name: string; description: string; params: ParamDefs; checkParams?: unknown };
  /** Absolute path of the module (what workers import). */
  file: string;
  builtIn: boolean;
}

// node:crypto only where a hash is taken (an installed package's modules): loading it costs a
// short command about 7 ms of its start-up, and a build's own dist/ is checked by time and size.
const require = createRequire(import.meta.url);

function hashOf(file: string): string {
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  return createHash('sha1').update(readFileSync(file)).digest('base64');
}

function statOf(file: string): [number, number] | null {
  const st = statSync(file, { throwIfNoEntry: false });
  return st?.isFile() ? [st.mtimeMs, st.size] : null;
}

/** `x` without its properties whose value is undefined (JSON leaves them out; detsim reads them as absent). */
function withoutUndefined(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(withoutUndefined);
  if (x === null || typeof x !== 'object') return x;
  return Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined).map(([k, v]) => [k, withoutUndefined(v)]));
}

/**
 * JSON holds it exactly (no Infinity, NaN, functions; a property set to undefined counts as
 * absent): what the manifest stores is what the scenario says.
 */
function jsonFaithful(x: unknown): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(x)), withoutUndefined(x));
}

/**
 * Imports every built-in scenario (as `detsim list` did) and returns their manifest, or a reason
 * why none can be written (a scenario that fails to load, two of one name, a parameter table JSON
 * cannot hold): then `list` imports the scenarios at run time and reports that problem itself.
 */
export async function makeManifest(): Promise<ScenarioManifest | { error: string }> {
  let all;
  try {
    all = await loadBuiltIns();
  } catch (err) {
    return { error: (err as Error).message };
  }
  const { faultParams } = await import('../sim/nemesis.ts');
  const shared = faultParams() as unknown as ParamDefs;
  if (!jsonFaithful(shared)) return { error: 'faultParams() holds values JSON cannot (Infinity, undefined)' };
  const scenarios: ManifestEntry[] = [];
  for (const l of all) {
    const { name, description, params } = l.scenario;
    if (!jsonFaithful(params) || typeof description !== 'string') return { error: `scenario ${name}: its parameter table holds values JSON cannot (Infinity, undefined)` };
    const stat = statOf(l.file);
    if (stat === null) return { error: `${l.file} disappeared while the manifest was written` };
    const table = Object.entries(params as ParamDefs).map(([k, d]): string | [string, ParamDef] => (Object.hasOwn(shared, k) && isDeepStrictEqual(withoutUndefined(d), withoutUndefined(shared[k])) ? k : [k, d]));
    scenarios.push({ name, description, file: path.basename(l.file), params: table, stat, hash: hashOf(l.file), ...(l.scenario.checkParams !== undefined ? { checksParams: true as const } : {}) });
  }
  return { format: MANIFEST_FORMAT, scenarios, shared };
}

/** Writes the manifest of the compiled scenarios (bin/build.js, after tsc). */
export async function writeManifest(): Promise<{ written: number } | { error: string }> {
  const m = await makeManifest();
  if ('error' in m) return m;
  writeFileSync(path.join(CODE_ROOT, MANIFEST_FILE), JSON.stringify(m));
  return { written: m.scenarios.length };
}

let cached: ScenarioManifest | null | undefined;

/**
 * The manifest, when this process runs the compiled build and dist/scenarios holds exactly the
 * modules the manifest lists, each unchanged (a readdir and a stat a module); else null.
 */
export function readManifest(): ScenarioManifest | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (!COMPILED) return null;
  let m: ScenarioManifest;
  try {
    m = JSON.parse(readFileSync(path.join(CODE_ROOT, MANIFEST_FILE), 'utf8')) as ScenarioManifest;
    if (m.format !== MANIFEST_FORMAT || !Array.isArray(m.scenarios) || typeof m.shared !== 'object' || m.shared === null) return null;
    if (!m.scenarios.every((s) => Array.isArray(s.params) && s.params.every((p) => typeof p !== 'string' || Object.hasOwn(m.shared, p)))) return null;
    const files = readdirSync(SCENARIOS_DIR).filter(isBuiltInScenarioFile).sort();
    const listed = m.scenarios.map((s) => s.file).sort();
    if (!isDeepStrictEqual(files, listed)) return null;
    for (const s of m.scenarios) {
      const file = path.join(SCENARIOS_DIR, s.file);
      const st = statOf(file);
      if (st === null || st[1] !== s.stat[1]) return null;
      if (st[0] !== s.stat[0] && (s.hash === undefined || hashOf(file) !== s.hash)) return null;
    }
  } catch {
    return null;
  }
  cached = m;
  return m;
}

/** Forget what was read (tests that rewrite the manifest). */
export function forgetManifest(): void {
  cached = undefined;
  infos = null;
}

function infoOf(m: ScenarioManifest, e: ManifestEntry): ScenarioInfo {
  const params: ParamDefs = {};
  for (const p of e.params) {
    if (typeof p === 'string') params[p] = m.shared[p]!;
    else params[p[0]] = p[1];
  }
  return { scenario: { name: e.name, description: e.description, params, ...(e.checksParams ? { checkParams: true } : {}) }, file: path.join(SCENARIOS_DIR, e.file), builtIn: true };
}

let infos: ScenarioInfo[] | null = null;

/** Every built-in scenario from the manifest, sorted by name (as loadBuiltIns sorts them); null without a manifest. */
export function builtInInfos(): ScenarioInfo[] | null {
  const m = readManifest();
  if (m === null) return null;
  return (infos ??= m.scenarios.map((e) => infoOf(m, e)));
}

/** The shared fault parameters from the manifest (null without one). */
export function manifestShared(): ParamDefs | null {
  return readManifest()?.shared ?? null;
}

/**
 * One scenario by name or file, as `resolveScenario` finds it, but a built-in one from the
 * manifest when there is one (nothing imported: the run's worker thread imports it).
 */
export async function resolveScenarioInfo(arg: string): Promise<ScenarioInfo> {
  const all = looksLikePath(arg) ? null : builtInInfos();
  if (all === null) return resolveScenario(arg);
  const hit = all.find((l) => l.scenario.name === arg);
  if (!hit) throw new UserError(`unknown scenario "${arg}"; \`detsim list\` shows the ${all.length} there are`);
  return hit;
}

/**
 * The scenarios `detsim list` names, as `resolveScenarios` finds them; from the manifest when
 * every argument is a built-in name, a glob of names or `all`.
 */
export async function resolveScenarioInfos(args: string[]): Promise<ScenarioInfo[]> {
  const all = args.length === 0 || args.some(looksLikePath) ? null : builtInInfos();
  if (all === null) return resolveScenarios(args);
  const out: ScenarioInfo[] = [];
  const add = (l: ScenarioInfo): void => {
    if (!out.some((o) => o.file === l.file)) out.push(l);
  };
  for (const a of args) {
    if (a === 'all') all.forEach(add);
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
