#!/usr/bin/env node
// `npm run build`, also run by `npm ci` / `npm install` (the "prepare" script): compiles detsim's
// TypeScript ahead of time into dist/ (tsconfig.build.json: tsc, emit only; `npm run typecheck`
// does the type checking), so the CLI, its workers and the bench start without compiling anything.
// Then writes dist/.build-info.json, the list of sources compiled (bin/code.js: a source changed
// since makes detsim run the sources again until the next build).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUILD_FORMAT, BUILD_INFO, contentHash, PACKAGE_ROOT, PACKED_FORMAT, PACKED_INFO, sourceSnapshot } from './code.js';

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
const folders = {};
const files = sourceSnapshot(root, folders);
// For `npm pack`'s tarball, which ships dist/ without BUILD_INFO (package.json "files"): sizes and
// contents say whether an installed package's sources are the ones compiled (bin/code.js).
const packed = Object.fromEntries(Object.entries(files).map(([f, [, size]]) => [f, [size, contentHash(path.join(root, f))]]));
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
// One bundle a built-in scenario for the thread of `detsim run` (cli/run-worker-core.ts): that
// thread then loads one module instead of about sixty, which was most of a short run's start-up.
// Only built-in scenarios get one (a user's file is imported as it is); without esbuild (it comes
// with tsx) or the manifest, `run` loads the modules one by one, as before.
{
  const made = await writeRunBundles();
  if (typeof made === 'string') say(`no run bundles written (${made}); \`detsim run\` loads the simulator's modules one by one instead`);
}
writeFileSync(path.join(dist, PACKED_INFO), `${JSON.stringify({ format: PACKED_FORMAT, files: packed }, null, 1)}\n`);
writeFileSync(path.join(dist, BUILD_INFO), `${JSON.stringify({ format: BUILD_FORMAT, files, folders }, null, 1)}\n`);
say(`compiled ${Object.keys(files).filter((f) => f.endsWith('.ts')).length} modules into dist/ in ${((Date.now() - t0) / 1000).toFixed(1)} s`); // wallclock-ok

/**
 * An esbuild plugin: every import of a package (a bare name, node: built-ins too) stays an import,
 * but for the package modules named in `bundled`, which the bundle holds.
 * @param {string[]} names
 */
function packagesExternalBut(names) {
  const bundled = new Set(names);
  return {
    name: 'packages-external-but',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => (bundled.has(args.path) || path.isAbsolute(args.path) ? undefined : { external: true }));
    },
  };
}

/** Writes dist/bundles/run-<name>.js for every scenario in the manifest; a string says why not. */
async function writeRunBundles() {
  let esbuild;
  try {
    esbuild = await import(pathToFileURL(createRequire(path.join(root, 'package.json')).resolve('esbuild')).href);
  } catch {
    return 'esbuild is not installed';
  }
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(dist, 'scenario-manifest.json'), 'utf8'));
  } catch {
    return 'no scenario manifest';
  }
  const bundles = path.join(dist, 'bundles');
  mkdirSync(bundles, { recursive: true });
  try {
    await Promise.all(
      manifest.scenarios.map((s) => {
        if (!/^[a-z0-9][a-z0-9-]{0,80}$/.test(s.name)) return null;
        // The thread holds this one scenario: a job for another (which cli/run-watched.ts never
        // sends) fails with a message rather than running the wrong scenario.
        const contents = [
          `import scenario from '../scenarios/${s.file}';`,
          `import { serveRunJob } from '../cli/run-worker-core.js';`,
          `serveRunJob(async (job) => {`,
          `  if (!job.builtIn || job.scenario !== scenario.name) throw new Error(\`this thread holds the bundled scenario \${scenario.name}, not \${job.scenario}\`);`,
          `  return scenario;`,
          `});`,
        ].join('\n');
        return esbuild.build({
          stdin: { contents, resolveDir: bundles, sourcefile: `run-${s.name}-entry.js`, loader: 'js' },
          bundle: true,
          format: 'esm',
          platform: 'node',
          target: 'node20',
          // Packages stay imports of node_modules (one copy, as everywhere else), but for the
          // simulator's random generator (sim/prng.ts), a small module of its own: imported, it had
          // the thread start node's CommonJS loader and resolve the package (about 5 ms of a short
          // run); keepNames keeps every class's and function's name as in the unbundled modules
          // (errors name them).
          plugins: [packagesExternalBut(['seedrandom/lib/alea.js'])],
          keepNames: true,
          outfile: path.join(bundles, `run-${s.name}.js`),
          logLevel: 'error',
        });
      }),
    );
  } catch (e) {
    rmSync(bundles, { recursive: true, force: true });
    return `esbuild failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
  }
  return null;
}
