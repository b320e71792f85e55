/**
 * detsim's ahead-of-time build (bin/build.js, bin/code.js, cli/layout.ts), tried on a copy of the
 * package in a temporary folder, built there, so the test depends neither on the state of this
 * checkout's dist/ nor changes it:
 *
 * - compiled and TypeScript runs give the same trace hashes (a sweep of several scenarios and seeds,
 *   a single `run` through the run worker);
 * - the compiled CLI is really the one running (a stale or missing build is not), and a source
 *   changed, added or removed since the build is seen: `list` shows the edit at once;
 * - a user's scenario outside the package, importing 'detsim' (and one importing detsim's source
 *   files by path), runs with the compiled CLI against the same module instances: `World` is one class.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const base = mkdtempSync(path.join(tmpdir(), 'detsim-compiled-'));
const PKG = path.join(base, 'detsim');
const USER = path.join(base, 'user');
const BIN = path.join(PKG, 'bin', 'detsim.js');

/** The environment of a user's shell: none of this test run's vitest variables. */
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'NODE_OPTIONS' && k !== 'TEST' && k !== 'DETSIM_FROM_SOURCE'));
env.NO_COLOR = '1';

function detsim(cwd: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...env, ...extraEnv }, timeout: 300_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}
const fromSource = { DETSIM_FROM_SOURCE: '1' };

interface Choice {
  compiled: boolean;
  reason?: string;
  detail?: string;
}
async function choice(): Promise<Choice> {
  const code = (await import(pathToFileURL(path.join(PKG, 'bin', 'code.js')).href)) as { chooseCode: (root: string, env: NodeJS.ProcessEnv) => Choice };
  return code.chooseCode(PKG, {});
}

const SLOW = 600_000;

beforeAll(() => {
  mkdirSync(PKG);
  for (const f of ['index.ts', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'bin', 'cli', 'sim', 'systems', 'scenarios', 'invariants', 'reports', 'bench', 'testing', 'schemas']) {
    cpSync(path.join(ROOT, f), path.join(PKG, f), { recursive: true, filter: (src) => path.basename(src) !== 'dist' });
  }
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(PKG, 'node_modules'), 'dir');
  const b = spawnSync(process.execPath, [path.join(PKG, 'bin', 'build.js')], { cwd: PKG, encoding: 'utf8', env, timeout: SLOW });
  expect(b.stderr).toMatch(/compiled \d+ modules into dist\//);
  expect(b.status).toBe(0);
  mkdirSync(USER);
}, SLOW);
afterAll(() => rmSync(base, { recursive: true, force: true }));

// Before 'the compiled build': its last test leaves the sources newer than the build.
describe('the scenario manifest (dist/scenario-manifest.json)', () => {
  const manifest = (): string => path.join(PKG, 'dist', 'scenario-manifest.json');
  /** The modules a command's process loads (a resolve hook records each URL). */
  const loadedModules = (args: string[], pkg = PKG): string[] => {
    const hooks = path.join(base, 'count-hooks.mjs');
    writeFileSync(hooks, "export async function load(url, ctx, next) { if (url.startsWith('file:')) process.stderr.write('LOADED ' + url + '\\n'); return next(url, ctx); }\n");
    const reg = path.join(base, 'count-register.mjs');
    writeFileSync(reg, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
    const r = spawnSync(process.execPath, ['--import', reg, path.join(pkg, 'bin', 'detsim.js'), ...args], { cwd: pkg, encoding: 'utf8', env, timeout: 300_000 });
    expect(r.status).toBe(0);
    return r.stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice(7));
  };

  it('lets `list` show every scenario without importing one, exactly as importing them shows', () => {
    expect(existsSync(manifest())).toBe(true);
    const loaded = loadedModules(['list']);
    expect(loaded.some((u) => u.includes('/dist/cli/list.js'))).toBe(true);
    expect(loaded.filter((u) => /\/dist\/(scenarios|systems)\//.test(u))).toEqual([]);
    const outputs = (): string[] => [['list'], ['list', '--params'], ['list', '--json'], ['list', 'raft-*', 'broadcast']].map((a) => detsim(PKG, a).out);
    const withManifest = outputs();
    const saved = readFileSync(manifest());
    rmSync(manifest());
    try {
      // Without it the scenarios are imported (each loads its system): the same output, byte for byte.
      expect(loadedModules(['list']).some((u) => u.includes('/dist/systems/'))).toBe(true);
      expect(outputs()).toEqual(withManifest);
    } finally {
      writeFileSync(manifest(), saved);
    }
  }, SLOW);

  it("lets `run` of a built-in scenario load its bundle (one module) in the run's thread, with the same trace as its modules", () => {
    const loaded = loadedModules(['run', 'broadcast', '--seed', '1']);
    expect(loaded.some((u) => u.endsWith('/dist/bundles/run-broadcast.js'))).toBe(true);
    // The random generator is in the bundle (bin/build.js): the thread resolves no package for it.
    expect(readFileSync(path.join(PKG, 'dist', 'bundles', 'run-broadcast.js'), 'utf8')).not.toMatch(/from ["']seedrandom/);
    // (The main thread loads the few modules that draw and print the parameters: not the simulator.)
    expect(loaded.filter((u) => /\/dist\/(systems|scenarios)\/|\/dist\/sim\/kernel\.js/.test(u))).toEqual([]);
    // The scenario named by its file is imported module by module (no bundle): same run, bit for bit.
    const unbundled = loadedModules(['run', './dist/scenarios/broadcast.js', '--seed', '1']);
    expect(unbundled.some((u) => u.includes('/dist/bundles/'))).toBe(false);
    expect(unbundled.some((u) => u.endsWith('/dist/sim/kernel.js'))).toBe(true);
    const hash = (target: string, seed: number, extra: string[] = []): string => {
      const r = detsim(PKG, ['run', target, '--seed', String(seed), '--json', ...extra]);
      return `${(JSON.parse(r.out) as { outcome: string; traceHash: string }).outcome} ${(JSON.parse(r.out) as { traceHash: string }).traceHash}`;
    };
    // One scenario of each family, and a failing run (a bug-zoo entry) through both.
    for (const [name, seed] of [['broadcast', 2], ['raft-churn', 3], ['crdt-partition', 1], ['lb-churn', 4], ['escrow-flash-sale', 1], ['hw-accelerated-kv', 2], ['platform-global-sale', 1]] as const) {
      expect(hash(name, seed), name).toBe(hash(`./dist/scenarios/${name}.js`, seed));
    }
    const phantom = ['--param', 'bug=phantom'];
    expect(hash('broadcast', 1, phantom)).toMatch(/^safety /);
    expect(hash('broadcast', 1, phantom)).toBe(hash('./dist/scenarios/broadcast.js', 1, phantom));
  }, SLOW);

  it("starts a run's thread before anything else and runs the seed on it: one thread a run, ended unused on bad input", () => {
    // Counts the threads the main thread starts (the probe is preloaded in every thread; only the main one counts).
    const probe = path.join(base, 'count-threads.mjs');
    writeFileSync(
      probe,
      "import wt from 'node:worker_threads';\nimport { syncBuiltinESMExports } from 'node:module';\nif (wt.isMainThread) {\n  let n = 0;\n  let early = false;\n  const W = wt.Worker;\n  wt.Worker = class extends W { constructor(...a) { if (n++ === 0) early = /early-run\\.js/.test(new Error().stack); super(...a); } };\n  syncBuiltinESMExports();\n  process.on('exit', () => process.stderr.write(`THREADS ${n}${early ? ' EARLY' : ''}\\n`));\n}\n",
    );
    // `early`: the first thread was bin/early-run.js's, started before detsim's modules loaded.
    const threads = (args: string[]): { code: number; threads: number; early: boolean; out: string } => {
      const r = spawnSync(process.execPath, ['--import', probe, BIN, ...args], { cwd: PKG, encoding: 'utf8', env, timeout: 300_000 });
      return { code: r.status ?? -1, threads: Number(/THREADS (\d+)/.exec(r.stderr)?.[1] ?? NaN), early: /THREADS \d+ EARLY/.test(r.stderr), out: r.stdout };
    };
    // The thread bin/early-run.js started is the run's, whichever module it loads (a bundle, or the
    // scenario's file module by module).
    for (const target of ['broadcast', './dist/scenarios/broadcast.js']) {
      const r = threads(['run', target, '--seed', '1']);
      expect([r.code, r.threads, r.early], target).toEqual([0, 1, true]);
      expect(r.out).toMatch(/^PASS broadcast seed 1: /m);
    }
    // Another heap limit: no early thread; the run starts the one it needs.
    expect(threads(['run', 'broadcast', '--seed', '1', '--max-memory', '512'])).toMatchObject({ code: 0, threads: 1 });
    // Bad input: the early thread is ended unused, and the command ends with its one-line error.
    expect(threads(['run', 'no-such-scenario', '--seed', '1'])).toMatchObject({ code: 2, threads: 1 });
    expect(threads(['run', 'broadcast', '--seed', 'x'])).toMatchObject({ code: 2, threads: 1 });
    // replay: a repro file's run, and `replay <scenario> --seed N`, on the early thread too.
    const repro = path.join(base, 'phantom-repro.json');
    expect(threads(['run', 'broadcast', '--seed', '1', '--param', 'bug=phantom', '--repro', repro])).toMatchObject({ code: 1, threads: 1 });
    const replayed = threads(['replay', repro]);
    expect([replayed.code, replayed.threads, replayed.early]).toEqual([1, 1, true]);
    expect(replayed.out).toContain('replayed bit for bit');
    expect(threads(['replay', 'broadcast', '--seed', '1'])).toMatchObject({ code: 0, threads: 1, early: true });
    expect(threads(['replay', path.join(base, 'no-such-repro.json')])).toMatchObject({ code: 2, threads: 1 });
  }, SLOW);

  it("serves an installed package (npm pack's files: no dist/.build-info.json, every file's time new): dist/ and the manifest are used, an edit after unpacking is seen", async () => {
    const inst = path.join(base, 'installed', 'detsim');
    // What package.json "files" ships, copied: new times on every file, as npm unpacks them.
    cpSync(PKG, inst, { recursive: true, filter: (src) => path.basename(src) !== 'node_modules' && path.basename(src) !== '.build-info.json' });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(inst, 'node_modules'), 'dir');
    const code = (await import(pathToFileURL(path.join(inst, 'bin', 'code.js')).href)) as { chooseCode: (root: string, env: NodeJS.ProcessEnv) => Choice };
    expect(existsSync(path.join(inst, 'dist', '.build-info.packed.json'))).toBe(true);
    expect(code.chooseCode(inst, {})).toMatchObject({ compiled: true });
    const loaded = loadedModules(['list'], inst);
    expect(loaded.some((u) => u.includes('/installed/detsim/dist/cli/list.js'))).toBe(true);
    expect(loaded.filter((u) => /\/dist\/(scenarios|systems)\//.test(u))).toEqual([]);
    // Edited after unpacking, keeping its size: seen by its content.
    const src = path.join(inst, 'scenarios', 'broadcast.ts');
    const original = readFileSync(src, 'utf8');
    const later = new Date(Date.now() + 60_000); // wallclock-ok
    writeFileSync(src, original.replace(/description: '([^']*)'/, (_m, d: string) => `description: '${d.toUpperCase()}'`));
    utimesSync(src, later, later);
    expect(code.chooseCode(inst, {})).toMatchObject({ compiled: false, reason: 'stale', detail: 'scenarios/broadcast.ts changed since the build' });
    expect(spawnSync(process.execPath, [path.join(inst, 'bin', 'detsim.js'), 'list', 'broadcast'], { cwd: inst, encoding: 'utf8', env }).stdout).toContain('GOSSIP BROADCAST');
    // Touched, the same bytes: the build's still.
    writeFileSync(src, original);
    utimesSync(src, later, later);
    expect(code.chooseCode(inst, {})).toMatchObject({ compiled: true });
  }, SLOW);

  it('is not used when dist/scenarios holds a module it does not list, or one changed', () => {
    const copy = path.join(PKG, 'dist', 'scenarios', 'zz-extra.js');
    const js = readFileSync(path.join(PKG, 'dist', 'scenarios', 'broadcast.js'), 'utf8');
    writeFileSync(copy, js.replace(/name: 'broadcast'/, "name: 'zz-extra'"));
    try {
      expect(detsim(PKG, ['list']).out).toMatch(/^zz-extra /m);
      expect(detsim(PKG, ['run', 'zz-extra', '--seed', '1']).out).toMatch(/^PASS zz-extra seed 1/m);
      // Nor is a bundle: it was built from dist/scenarios as the manifest lists them.
      expect(loadedModules(['run', 'broadcast', '--seed', '1']).some((u) => u.includes('/dist/bundles/'))).toBe(false);
    } finally {
      rmSync(copy);
    }
    expect(detsim(PKG, ['list']).out).not.toMatch(/^zz-extra /m);
  }, SLOW);
});

describe('the compiled build', () => {
  it('is up to date right after the build, and the CLI runs it (not tsx)', async () => {
    expect(await choice()).toEqual({ compiled: true, distRoot: path.join(PKG, 'dist') });
    // Observable: a compiled module changed in dist/ only (never do this by hand) is what runs.
    const file = path.join(PKG, 'dist', 'scenarios', 'broadcast.js');
    const js = readFileSync(file, 'utf8');
    writeFileSync(file, js.replace(/description: '[^']*'/, "description: 'COMPILED-MARKER'"));
    try {
      const l = detsim(PKG, ['list', 'broadcast']);
      expect(l.err).toBe('');
      expect(l.out).toContain('COMPILED-MARKER');
      expect(detsim(PKG, ['list', 'broadcast'], fromSource).out).not.toContain('COMPILED-MARKER');
    } finally {
      writeFileSync(file, js);
    }
  });

  it('gives the same trace hashes as the TypeScript sources (sweep workers and the run worker)', () => {
    const args = ['sweep', 'broadcast', 'raft-churn', 'crdt-partition', 'escrow-flash-sale', '--seeds', '4', '--jobs', '1', '--json', '--per-seed', '--out', path.join(base, 'out')];
    const hashes = (r: { code: number; out: string; err: string }): string[] => {
      const j = JSON.parse(r.out) as { perSeed: { scenario: string; seed: number; traceHash: string }[] };
      return j.perSeed.map((s) => `${s.scenario}:${s.seed}:${s.traceHash}`).sort();
    };
    const compiled = hashes(detsim(PKG, args));
    expect(compiled).toHaveLength(16);
    expect(new Set(compiled.map((h) => h.split(':')[2])).size).toBe(16);
    expect(hashes(detsim(PKG, args, fromSource))).toEqual(compiled);

    const run = (e: NodeJS.ProcessEnv): string => (JSON.parse(detsim(PKG, ['run', 'lb-algorithms', '--seed', '7', '--json'], e).out) as { traceHash: string }).traceHash;
    expect(run({})).toMatch(/^[0-9a-f]{16}$/);
    expect(run({})).toBe(run(fromSource));
  }, SLOW);

  it("runs a user's scenario outside the package: 'detsim' is the CLI's own copy of every module", async () => {
    // If 'detsim' resolved to the TypeScript sources while the CLI ran dist/, World would be two
    // classes and this check would fail the run.
    const viaPackage = `import { defineScenario, World, ms, sec } from 'detsim';
export default defineScenario({
  name: 'same-world',
  description: 'the world given to setup is an instance of the World detsim exports',
  params: {},
  durationNs: sec(1),
  setup(w) {
    if (!(w instanceof World)) throw new Error('two copies of World: the scenario and the runner do not share detsim');
    let n = 0;
    const tick = (): void => { if (++n < 20) w.sim.schedule(ms(10), tick); };
    w.sim.schedule(ms(10), tick);
    w.safety('ticks', () => (n > 20 ? 'too many ticks' : null));
  },
});
`;
    writeFileSync(path.join(USER, 'same-world.ts'), viaPackage);
    // The same through detsim's source files by path, as the repository's own test fixtures do.
    const viaPath = viaPackage
      .replace("from 'detsim';", `from ${JSON.stringify(path.join(PKG, 'index.ts'))};\nimport { World as SourceWorld } from ${JSON.stringify(path.join(PKG, 'sim', 'scenario.ts'))};`)
      .replace("name: 'same-world'", "name: 'same-world-by-path'")
      .replace('if (!(w instanceof World))', 'if (!(w instanceof World) || !(w instanceof SourceWorld))');
    writeFileSync(path.join(USER, 'same-world-by-path.ts'), viaPath);
    expect((await choice()).compiled).toBe(true);
    for (const f of ['./same-world.ts', './same-world-by-path.ts']) {
      const r = detsim(USER, ['run', f, '--seed', '3']);
      expect(r.err).toBe('');
      expect(r.out).toMatch(/^PASS same-world/m);
      expect(r.code).toBe(0);
    }
    const s = detsim(USER, ['sweep', USER, '--seeds', '3', '--jobs', '2', '--json', '--out', path.join(base, 'user-out')]);
    expect(s.code).toBe(0);
    expect((JSON.parse(s.out) as { summary: { runs: number; passed: number } }).summary).toMatchObject({ runs: 6, passed: 6 });
  }, SLOW);

  it('is not used once a source changed, was added or was removed: the edit shows at once', async () => {
    const src = path.join(PKG, 'scenarios', 'broadcast.ts');
    const original = readFileSync(src, 'utf8');
    writeFileSync(src, original.replace(/description: '[^']*'/, "description: 'EDITED-IN-SOURCE'"));
    expect(await choice()).toMatchObject({ compiled: false, reason: 'stale', detail: 'scenarios/broadcast.ts changed since the build' });
    const l = detsim(PKG, ['list', 'broadcast']);
    expect(l.out).toContain('EDITED-IN-SOURCE');
    // Not on a terminal: no note, stderr is the command's own.
    expect(l.err).toBe('');

    // Back to the very bytes, but the file was touched: still not trusted (its time differs).
    writeFileSync(src, original);
    utimesSync(src, new Date(), new Date(Date.now() + 5000)); // wallclock-ok
    expect((await choice()).compiled).toBe(false);

    // A new scenario file: listed at once.
    const added = path.join(PKG, 'scenarios', 'brand-new.ts');
    writeFileSync(added, original.replace(/name: '[^']*'/, "name: 'brand-new'"));
    expect(await choice()).toMatchObject({ compiled: false, detail: 'scenarios/brand-new.ts is newer than the build' });
    expect(detsim(PKG, ['list']).out).toMatch(/^brand-new /m);
    rmSync(added);

    // Rebuilt: compiled again, with the edit.
    writeFileSync(src, original.replace(/description: '[^']*'/, "description: 'EDITED-THEN-BUILT'"));
    const b = spawnSync(process.execPath, [path.join(PKG, 'bin', 'build.js')], { cwd: PKG, encoding: 'utf8', env, timeout: SLOW });
    expect(b.status).toBe(0);
    expect((await choice()).compiled).toBe(true);
    expect(detsim(PKG, ['list', 'broadcast']).out).toContain('EDITED-THEN-BUILT');

    // A compiled source removed since: stale too.
    const helper = path.join(PKG, 'sim', 'assert.ts');
    const keep = readFileSync(helper);
    rmSync(helper);
    expect(await choice()).toMatchObject({ compiled: false, detail: 'sim/assert.ts was removed since the build' });
    writeFileSync(helper, keep);
  }, SLOW);
});

describe('the note when the sources run instead of dist/', () => {
  const fakeStream = (isTTY: boolean): { isTTY: boolean; written: string[]; write: (s: string) => boolean; hasColors: () => boolean } => {
    const written: string[] = [];
    return { isTTY, written, write: (s: string) => (written.push(s), true), hasColors: () => false };
  };
  const note = async (): Promise<(c: Choice, s: unknown) => void> =>
    ((await import(pathToFileURL(path.join(ROOT, 'bin', 'code.js')).href)) as { noteSourceFallback: (c: Choice, s: unknown) => void }).noteSourceFallback;

  it('is one line on a terminal, saying why and what to do; nothing when piped or asked for', async () => {
    const noteSourceFallback = await note();
    const tty = fakeStream(true);
    noteSourceFallback({ compiled: false, reason: 'stale', detail: 'sim/kernel.ts changed since the build' }, tty);
    expect(tty.written).toHaveLength(1);
    expect(tty.written[0]).toMatch(/^detsim: the compiled build is out of date \(sim\/kernel\.ts changed since the build\); running the TypeScript sources .*`npm run build`.*\n$/);
    const piped = fakeStream(false);
    noteSourceFallback({ compiled: false, reason: 'absent', detail: 'there is no dist/ folder' }, piped);
    expect(piped.written).toEqual([]);
    const asked = fakeStream(true);
    noteSourceFallback({ compiled: false, reason: 'asked', detail: 'DETSIM_FROM_SOURCE is set' }, asked);
    expect(asked.written).toEqual([]);
  });
});
