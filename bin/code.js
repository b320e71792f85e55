// Which code a detsim process runs: the JavaScript compiled ahead of time into dist/ (`npm run
// build`, which `npm ci` runs through the "prepare" script), or the TypeScript sources through tsx.
//
// dist/ is used only when it is up to date: dist/.build-info.json lists every source file the build
// compiled with its modification time and size, taken before compiling. A source edited, added,
// removed or restored by git since then makes dist/ stale, and detsim runs the sources instead, so
// an edit always takes effect, built or not. The check costs a few milliseconds (a stat a file).
// DETSIM_FROM_SOURCE=1 runs the sources whatever the state of dist/.
//
// An installed package (`npm pack`'s tarball, which ships dist/) has no dist/.build-info.json:
// npm gives every file the time it was unpacked, so the build's times mean nothing there. Its
// dist/.build-info.packed.json lists each source's size and content hash instead (packedCheck).
//
// Plain JavaScript on purpose: it runs before any TypeScript loader is registered.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BUILD_INFO = '.build-info.json';
export const BUILD_FORMAT = 'detsim-build/1';
/** The build's sources by size and content hash, for an installed package (packedCheck). */
export const PACKED_INFO = '.build-info.packed.json';
export const PACKED_FORMAT = 'detsim-build-packed/1';
/**
 * How long after the package's own files (its PACKED_INFO) a source may have been unpacked and
 * still be taken as unpacked with them, unhashed; one written later is hashed. An edit that
 * keeps a file's size within this of the install goes unseen (DETSIM_FROM_SOURCE=1 runs it).
 */
const UNPACK_SLACK_MS = 5000;

/**
 * What the build compiles (tsconfig.build.json says the same to tsc): these folders' .ts files
 * except tests and test fixtures, plus the JSON files they import (schemas/) and the compiler
 * settings themselves.
 */
export const SOURCE_ROOTS = ['index.ts', 'sim', 'systems', 'scenarios', 'invariants', 'reports', 'cli', 'bench', 'testing'];
const EXTRA_INPUTS = ['tsconfig.json', 'tsconfig.build.json', 'schemas'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'fixtures']);

function isCompiledSource(name) {
  return name.endsWith('.ts') && !name.endsWith('.d.ts') && !/\.(test|spec)\.ts$/.test(name);
}

/**
 * Every input of the build under `root`, relative with '/' separators, mapped to
 * [modification time in ms, size in bytes]. Sorted by name. `folders`, if given, receives every
 * folder walked (and every top folder that is missing, as null) with its modification time.
 * @param {Record<string, number | null>} [folders]
 * @returns {Record<string, [number, number]>}
 */
export function sourceSnapshot(root = PACKAGE_ROOT, folders = undefined) {
  /** @type {[string, [number, number]][]} */
  const out = [];
  const add = (rel) => {
    const st = statSync(path.join(root, rel), { throwIfNoEntry: false });
    if (st?.isFile()) out.push([rel, [st.mtimeMs, st.size]]);
  };
  const walk = (rel, keep) => {
    let entries;
    try {
      if (folders) folders[rel] = statSync(path.join(root, rel)).mtimeMs;
      entries = readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      if (folders) folders[rel] = null;
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name)) walk(child, keep);
      } else if (keep(e.name)) add(child);
    }
  };
  for (const r of SOURCE_ROOTS) {
    if (r.endsWith('.ts')) add(r);
    else walk(r, isCompiledSource);
  }
  for (const r of EXTRA_INPUTS) {
    if (r.endsWith('.json')) add(r);
    else walk(r, (n) => n.endsWith('.json'));
  }
  return Object.fromEntries(out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

/**
 * Whether dist/ under `root` holds an up-to-date build.
 * @returns {{ compiled: true, distRoot: string } | { compiled: false, reason: 'asked' | 'absent' | 'incomplete' | 'stale', detail: string }}
 */
export function chooseCode(root = PACKAGE_ROOT, env = process.env) {
  const fromSource = env.DETSIM_FROM_SOURCE;
  if (fromSource !== undefined && fromSource !== '' && fromSource !== '0') return { compiled: false, reason: 'asked', detail: 'DETSIM_FROM_SOURCE is set' };
  const distRoot = path.join(root, 'dist');
  let info;
  try {
    info = JSON.parse(readFileSync(path.join(distRoot, BUILD_INFO), 'utf8'));
  } catch {
    if (existsSync(path.join(distRoot, PACKED_INFO))) return packedCheck(root, distRoot);
    return existsSync(distRoot)
      ? { compiled: false, reason: 'incomplete', detail: `dist/${BUILD_INFO} is missing or unreadable (an interrupted build?)` }
      : { compiled: false, reason: 'absent', detail: 'there is no dist/ folder' };
  }
  if (info?.format !== BUILD_FORMAT || typeof info.files !== 'object' || info.files === null) {
    return { compiled: false, reason: 'incomplete', detail: `dist/${BUILD_INFO} is not a ${BUILD_FORMAT} file` };
  }
  const built = info.files;
  // The quick check (a stat a file and a folder, no folder listing): when no folder the build
  // walked has changed, no input was added or removed (that changes its folder's modification
  // time), so comparing the files the build saw is enough. Otherwise the full walk below.
  if (typeof info.folders === 'object' && info.folders !== null) {
    const quick = quickCheck(root, info.folders, built);
    if (quick === true) return { compiled: true, distRoot };
    if (quick !== null) return quick;
  }
  const now = sourceSnapshot(root);
  for (const [file, [mtime, size]] of Object.entries(now)) {
    const b = built[file];
    if (!Array.isArray(b)) return { compiled: false, reason: 'stale', detail: `${file} is newer than the build` };
    if (b[0] !== mtime || b[1] !== size) return { compiled: false, reason: 'stale', detail: `${file} changed since the build` };
  }
  for (const file of Object.keys(built)) {
    if (!(file in now)) return { compiled: false, reason: 'stale', detail: `${file} was removed since the build` };
  }
  return { compiled: true, distRoot };
}

/**
 * True when every folder and every file the build saw is as it was; a `stale` answer when a file
 * the build saw has changed or gone; null when a folder changed (something may have been added:
 * the caller walks the folders).
 */
function quickCheck(root, folders, built) {
  const base = root.endsWith(path.sep) ? root : root + path.sep;
  // A top-level input file the build did not see may have been added since (no folder says so).
  for (const r of [...SOURCE_ROOTS, ...EXTRA_INPUTS]) if (/\.(ts|json)$/.test(r) && !(r in built)) return null;
  for (const rel in folders) {
    const st = statSync(base + rel, { throwIfNoEntry: false });
    const was = folders[rel];
    if (st === undefined ? was !== null : !st.isDirectory() || st.mtimeMs !== was) return null;
  }
  for (const rel in built) {
    const b = built[rel];
    const st = statSync(base + rel, { throwIfNoEntry: false });
    if (st === undefined || !st.isFile()) return { compiled: false, reason: 'stale', detail: `${rel} was removed since the build` };
    if (!Array.isArray(b) || b[0] !== st.mtimeMs || b[1] !== st.size) return { compiled: false, reason: 'stale', detail: `${rel} changed since the build` };
  }
  return true;
}

// node:crypto only when a hash is taken (the build, an installed package): loading it costs every
// command about 7 ms of its start-up, and a checkout's dist/ is checked by time and size alone.
const require = createRequire(import.meta.url);

/** The hash PACKED_INFO records of a file's content. */
export function contentHash(file) {
  const { createHash } = require('node:crypto');
  return createHash('sha1').update(readFileSync(file)).digest('base64');
}

/**
 * dist/ of an installed package: up to date when the sources are the files the build compiled,
 * no more and no fewer, each of its size, and each written since the package was unpacked (an
 * edit) of the same content.
 */
function packedCheck(root, distRoot) {
  const stale = (detail) => ({ compiled: false, reason: 'stale', detail });
  let info;
  let unpackedAt;
  try {
    const file = path.join(distRoot, PACKED_INFO);
    info = JSON.parse(readFileSync(file, 'utf8'));
    unpackedAt = statSync(file).mtimeMs;
  } catch {
    return { compiled: false, reason: 'incomplete', detail: `dist/${PACKED_INFO} is unreadable` };
  }
  if (info?.format !== PACKED_FORMAT || typeof info.files !== 'object' || info.files === null) return { compiled: false, reason: 'incomplete', detail: `dist/${PACKED_INFO} is not a ${PACKED_FORMAT} file` };
  const built = info.files;
  const now = sourceSnapshot(root);
  for (const [file, [mtime, size]] of Object.entries(now)) {
    const b = built[file];
    if (!Array.isArray(b)) return stale(`${file} is newer than the build`);
    if (b[0] !== size) return stale(`${file} changed since the build`);
    if (mtime > unpackedAt + UNPACK_SLACK_MS && contentHash(path.join(root, file)) !== b[1]) return stale(`${file} changed since the build`);
  }
  for (const file of Object.keys(built)) if (!(file in now)) return stale(`${file} was removed since the build`);
  return { compiled: true, distRoot };
}

/**
 * One dim line on stderr saying why this command runs the slower TypeScript sources, for a person
 * at a terminal only: piped output (scripts, tests, CI logs) stays exactly the command's own.
 */
export function noteSourceFallback(choice, stream = process.stderr) {
  if (choice.compiled || choice.reason === 'asked' || !stream.isTTY) return;
  const why = choice.reason === 'stale' ? `the compiled build is out of date (${choice.detail})` : choice.reason === 'absent' ? 'nothing is compiled yet' : `the compiled build is incomplete (${choice.detail})`;
  const line = `detsim: ${why}; running the TypeScript sources (about a second more to start). \`npm run build\` compiles them.`;
  const plain = 'NO_COLOR' in process.env || (typeof stream.hasColors === 'function' && !stream.hasColors());
  stream.write(plain ? `${line}\n` : `\x1b[2m${line}\x1b[22m\n`);
}
