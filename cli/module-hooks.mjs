/**
 * Node module hooks the detsim CLI registers (after tsx's TypeScript loader) in the main thread
 * and in every sweep worker, so that a scenario file kept anywhere loads:
 *
 * - `import ... from 'detsim'` (or `'detsim/testing'`) resolves to the detsim package that is
 *   running, whether or not the file's folder has a node_modules/detsim. Always the running copy:
 *   a scenario and the runner that checks it must share one World class.
 * - A `.ts` file outside node_modules is loaded as an ES module, the way TypeScript is written
 *   (`import`, `export default defineScenario(...)`) and the way vitest loads the same file, even
 *   where the nearest package.json says "type": "commonjs" or says nothing. Node would take it
 *   for CommonJS, and a CommonJS file that imports detsim's ES modules fails with "Cannot
 *   require() ES Module ... in a cycle"; npm 11's `npm init -y` writes "type": "commonjs", so a
 *   researcher's project had no way to load a `.ts` scenario. A CommonJS TypeScript file says so
 *   by its name: `.cts`.
 * - When the CLI runs detsim's compiled JavaScript (dist/, see bin/code.js), it registers these
 *   hooks with `data: { compiledRoot }`: then `'detsim'`, `'detsim/testing'` and any detsim
 *   source module a scenario file imports by path (`../../sim/time.ts`) resolve to their compiled
 *   copies in dist/, the very modules the CLI runs, so the scenario and the runner still share
 *   one World class (and one copy of every module).
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PACKAGE_JSON_URL = pathToFileURL(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'package.json')).href;

const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** dist/ when the CLI runs compiled code (set by `initialize`), else null. */
let compiledRoot = null;

export function initialize(data) {
  compiledRoot = typeof data?.compiledRoot === 'string' ? data.compiledRoot : null;
}

/** The compiled twin in dist/ of one of detsim's own .ts modules, or null (tests, fixtures, users' files). */
function compiledTwin(url) {
  if (compiledRoot === null || !url.startsWith('file:') || !url.endsWith('.ts')) return null;
  const file = fileURLToPath(url);
  const rel = path.relative(PACKAGE_ROOT, file);
  if (rel.startsWith('..') || path.isAbsolute(rel) || rel.split(path.sep).some((p) => p === 'node_modules' || p === 'dist')) return null;
  const twin = path.join(compiledRoot, rel.slice(0, -3) + '.js');
  return existsSync(twin) ? pathToFileURL(twin).href : null;
}

/**
 * The file: URL of a user's own `.ts` module that `specifier` names by path (the scenario file,
 * or `./helper.ts` it imports), or null. Resolved here, before tsx: for a file it takes for
 * CommonJS, tsx answers with a URL of its own (a `?tsx-commonjs-...` query) that a format
 * alone cannot turn back into an ES module.
 */
function userTsUrl(specifier, parentURL) {
  if (!/^(\.\.?\/|\/|file:)/.test(specifier)) return null;
  let url;
  try {
    url = new URL(specifier, parentURL);
  } catch {
    return null;
  }
  if (url.protocol !== 'file:' || url.search !== '') return null;
  const named = fileURLToPath(url);
  const rel = path.relative(PACKAGE_ROOT, named);
  if (!(rel.startsWith('..') || path.isAbsolute(rel)) || named.split(path.sep).includes('node_modules')) return null;
  // As TypeScript resolves it: './helper.ts', or './helper.js' / './helper' naming helper.ts
  // (or helper/index.ts) when no such JavaScript file exists.
  let candidates;
  if (/\.tsx?$/.test(named)) candidates = [named];
  else if (existsSync(named) && statSync(named).isFile()) return null;
  else if (/\.jsx?$/.test(named)) candidates = [named.replace(/\.js(x?)$/, '.ts$1')];
  else if (path.extname(named) === '') candidates = [`${named}.ts`, path.join(named, 'index.ts')];
  else return null;
  const file = candidates.find((f) => existsSync(f) && statSync(f).isFile());
  return file === undefined ? null : pathToFileURL(file).href;
}

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'detsim' || specifier.startsWith('detsim/')) {
    // Package self-reference: resolved through detsim's own package.json "exports".
    const r = await nextResolve(specifier, { ...context, parentURL: PACKAGE_JSON_URL });
    const twin = compiledTwin(r.url);
    return twin === null ? r : { url: twin, format: 'module', shortCircuit: true };
  }
  const own = userTsUrl(specifier, context.parentURL);
  if (own !== null) return { url: own, format: 'module', shortCircuit: true };
  const r = await nextResolve(specifier, context);
  const twin = compiledTwin(r.url);
  if (twin !== null) return { url: twin, format: 'module', shortCircuit: true };
  if (
    r.url.startsWith('file:') &&
    /\.tsx?$/.test(r.url) &&
    (r.format === 'commonjs' || r.format === 'commonjs-typescript' || r.format == null) &&
    !r.url.includes('/node_modules/')
  )
    return { ...r, format: 'module' };
  return r;
}
