#!/usr/bin/env node
// `npm run build`, also run by `npm ci` / `npm install` (the "prepare" script): compiles detsim's
// TypeScript ahead of time into dist/ (tsconfig.build.json: tsc, emit only; `npm run typecheck`
// does the type checking), so the CLI, its workers and the bench start without compiling anything.
// Then writes dist/.build-info.json, the list of sources compiled (bin/code.js: a source changed
// since makes detsim run the sources again until the next build).
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUILD_FORMAT, BUILD_INFO, PACKAGE_ROOT, sourceSnapshot } from './code.js';

const root = PACKAGE_ROOT;
const dist = path.join(root, 'dist');
const say = (line) => process.stderr.write(`detsim build: ${line}\n`);

let tsc;
try {
  tsc = createRequire(path.join(root, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  // An install without devDependencies: detsim still works, from the sources through tsx.
  say('typescript is not installed (a devDependency), so nothing was compiled; detsim runs the TypeScript sources through tsx (slower start-up).');
  process.exit(0);
}

// Taken before compiling: a file edited while tsc runs is then seen as changed, never as built.
const files = sourceSnapshot(root);
rmSync(dist, { recursive: true, force: true });
const t0 = Date.now(); // wallclock-ok
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  rmSync(dist, { recursive: true, force: true });
  say(`tsc failed (exit ${r.status ?? r.signal}); dist/ was removed, so detsim runs the TypeScript sources. Fix the error above and run \`npm run build\` again.`);
  process.exit(1);
}
const missing = Object.keys(files).filter((f) => f.endsWith('.ts') && !existsSync(path.join(dist, f.replace(/\.ts$/, '.js'))));
if (missing.length > 0) {
  rmSync(dist, { recursive: true, force: true });
  say(`tsc wrote no JavaScript for ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}: tsconfig.build.json and bin/code.js disagree on what to compile. dist/ was removed.`);
  process.exit(1);
}
// The built-in scenarios' names, descriptions and parameter tables (cli/scenario-manifest.ts), so
// `detsim list` and `detsim run` need not import every system to know them. Without it (a
// scenario that fails to load, say) they import the scenarios, and report the problem, as before.
{
  const { writeManifest } = await import(pathToFileURL(path.join(dist, 'cli', 'scenario-manifest.js')).href);
  const m = await writeManifest();
  if ('error' in m) say(`no scenario manifest written (${m.error}); \`detsim list\` will import every scenario instead`);
}
writeFileSync(path.join(dist, BUILD_INFO), `${JSON.stringify({ format: BUILD_FORMAT, files }, null, 1)}\n`);
say(`compiled ${Object.keys(files).filter((f) => f.endsWith('.ts')).length} modules into dist/ in ${((Date.now() - t0) / 1000).toFixed(1)} s`); // wallclock-ok
