/**
 * Node module hooks the detsim CLI registers (after tsx's TypeScript loader) in the main thread
 * and in every sweep worker, so that a scenario file kept anywhere loads:
 *
 * - `import ... from 'detsim'` (or `'detsim/testing'`) resolves to the detsim package that is
 *   running, whether or not the file's folder has a node_modules/detsim. Always the running copy:
 *   a scenario and the runner that checks it must share one World class.
 * - A `.ts` file outside any package that says what its module type is (no package.json, or one
 *   without a "type" field) is loaded as an ES module, the way a scenario file is written. Node
 *   would take it for CommonJS, and a CommonJS file that imports detsim's ES modules fails with
 *   "Cannot require() ES Module ... in a cycle". `.mts` files are ES modules anyway; a package
 *   that says "type": "commonjs" keeps its choice.
 * - When the CLI runs detsim's compiled JavaScript (dist/, see bin/code.js), it registers these
 *   hooks with `data: { compiledRoot }`: then `'detsim'`, `'detsim/testing'` and any detsim
 *   source module a scenario file imports by path (`../../sim/time.ts`) resolve to their compiled
 *   copies in dist/, the very modules the CLI runs, so the scenario and the runner still share
 *   one World class (and one copy of every module).
 */
import { existsSync, readFileSync } from 'node:fs';
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

/** @type {Map<string, boolean>} folder -> whether the nearest package.json names a "type" */
const typeDeclared = new Map();

function nearestTypeDeclared(dir) {
  const hit = typeDeclared.get(dir);
  if (hit !== undefined) return hit;
  let declared = false;
  const pj = path.join(dir, 'package.json');
  if (existsSync(pj)) {
    try {
      declared = typeof JSON.parse(readFileSync(pj, 'utf8')).type === 'string';
    } catch {
      declared = false;
    }
  } else {
    const parent = path.dirname(dir);
    declared = parent === dir ? false : nearestTypeDeclared(parent);
  }
  typeDeclared.set(dir, declared);
  return declared;
}

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'detsim' || specifier.startsWith('detsim/')) {
    // Package self-reference: resolved through detsim's own package.json "exports".
    const r = await nextResolve(specifier, { ...context, parentURL: PACKAGE_JSON_URL });
    const twin = compiledTwin(r.url);
    return twin === null ? r : { url: twin, format: 'module', shortCircuit: true };
  }
  const r = await nextResolve(specifier, context);
  const twin = compiledTwin(r.url);
  if (twin !== null) return { url: twin, format: 'module', shortCircuit: true };
  if (
    r.url.startsWith('file:') &&
    /\.tsx?$/.test(r.url) &&
    (r.format === 'commonjs' || r.format === 'commonjs-typescript' || r.format == null) &&
    !r.url.includes('/node_modules/')
  ) {
    const file = fileURLToPath(r.url);
    if (!nearestTypeDeclared(path.dirname(file))) return { ...r, format: 'module' };
  }
  return r;
}
