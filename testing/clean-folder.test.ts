/**
 * detsim tried as a new user would, in empty folders outside the repository:
 *
 * - a bare folder (no package.json, no node_modules): `detsim init`, then run, sweep (a file, a
 *   folder, a glob, a `.mts` file), replay, shrink and type-check with the documented recipe,
 *   every scenario importing from 'detsim';
 * - a folder where detsim is installed (node_modules links standing in for
 *   `npm install --save-dev <detsim> vitest typescript @types/node`, so no network is needed):
 *   `npx detsim`, `npx vitest run` finding the scenario's test, `npx tsc -p .`.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { schemaErrors } from '../schemas/index.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'detsim.js');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const base = mkdtempSync(path.join(tmpdir(), 'detsim-new-user-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** The environment of a user's shell: none of this test run's vitest variables. */
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'NODE_OPTIONS' && k !== 'TEST'));
env.NO_COLOR = '1';

function sh(cwd: string, cmd: string, ...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env, timeout: 300_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}
const detsim = (cwd: string, ...args: string[]) => sh(cwd, process.execPath, BIN, ...args);

/** Many child processes (CLI runs, tsc, a nested vitest): generous on a loaded machine; no timing is asserted. */
const SLOW = 600_000;

describe('a new user, in a bare folder outside the repository', () => {
  const dir = path.join(base, 'bare');

  it('init writes a scenario, its test and a tsconfig; they run, sweep, replay, shrink and type-check', () => {
    expect(path.relative(ROOT, base).startsWith('..')).toBe(true);
    const init = detsim(base, 'init', 'my-counter', '--dir', 'bare');
    expect(init.err).toBe('');
    expect(init.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['my-counter.test.ts', 'my-counter.ts', 'tsconfig.json']);
    expect(readFileSync(path.join(dir, 'my-counter.ts'), 'utf8')).toContain("from 'detsim'");
    expect(existsSync(path.join(dir, 'package.json'))).toBe(false);
    expect(detsim(base, 'init', 'my-counter', '--dir', 'bare').err).toMatch(/exists already.*never overwrites/);

    // The same scenario as an .mts file in a folder of its own.
    mkdirSync(path.join(dir, 'more'));
    writeFileSync(path.join(dir, 'more', 'counter-two.mts'), readFileSync(path.join(dir, 'my-counter.ts'), 'utf8').replace("name: 'my-counter'", "name: 'counter-two'"));

    const run = detsim(dir, 'run', './my-counter.ts', '--seed', '1', '--json');
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const rj = JSON.parse(run.out);
    expect(rj.scenario).toBe('my-counter');
    expect(schemaErrors('run.schema.json', rj)).toEqual([]);

    // A folder (the test file is not a scenario), a quoted glob, an .mts file.
    const folder = detsim(dir, 'sweep', '.', './more', '--seeds', '4', '--jobs', '1');
    expect(folder.code).toBe(0);
    expect(folder.out).toMatch(/ok +my-counter +4\/4 passed/);
    expect(folder.out).toMatch(/ok +counter-two +4\/4 passed/);
    const glob = detsim(dir, 'list', './more/*.mts', '*.ts');
    expect(glob.code).toBe(0);
    expect(glob.out).toContain('counter-two');
    expect(glob.out).toContain('my-counter');
    expect(glob.out).not.toContain('my-counter.test');

    // The bug variant: caught, with repro files that replay bit for bit and shrink.
    const sweep = detsim(dir, 'sweep', './my-counter.ts', '--seeds', '20', '--jobs', '1', '--param', 'bug=ack-before-fsync', '--param', 'crashMsMean=500', '--out', 'failures', '--json');
    expect(sweep.code).toBe(1);
    const sj = JSON.parse(sweep.out);
    expect(schemaErrors('sweep.schema.json', sj)).toEqual([]);
    expect(sj.failures.length).toBeGreaterThan(0);
    expect(sj.failures[0].violations[0].invariant).toBe('no-acked-increment-lost');
    const repro = path.resolve(dir, sj.failures[0].repro);
    const rf = JSON.parse(readFileSync(repro, 'utf8'));
    expect(schemaErrors('repro.schema.json', rf)).toEqual([]);
    // Relative to the repro's folder (both are in the working directory): the folder can move.
    expect(path.resolve(path.dirname(repro), rf.scenarioFile)).toBe(path.join(dir, 'my-counter.ts'));
    expect(path.isAbsolute(rf.scenarioFile)).toBe(false);

    const replay = detsim(dir, 'replay', path.relative(dir, repro));
    expect(replay.code).toBe(1);
    expect(replay.out).toContain('matches the recorded one: replayed bit for bit');

    const shrink = detsim(dir, 'shrink', path.relative(dir, repro), '--max-runs', '40', '--json');
    expect(shrink.err).toBe('');
    expect(shrink.code).toBe(0);
    const shrunk = JSON.parse(shrink.out);
    expect(existsSync(path.resolve(dir, shrunk.repro))).toBe(true);
    expect(detsim(dir, 'replay', path.relative(dir, path.resolve(dir, shrunk.repro))).out).toContain('no-acked-increment-lost');
    // ...and exports as a test that imports the scenario file; the type-check below covers it.
    const ex = detsim(dir, 'export', path.relative(dir, path.resolve(dir, shrunk.repro)), '--out', 'bug.test.ts');
    expect(ex.code, ex.err).toBe(0);
    expect(readFileSync(path.join(dir, 'bug.test.ts'), 'utf8')).toContain("import scenario from './my-counter.ts'");

    // The documented type-check recipe: `npx tsc -p .` with the tsconfig init wrote (detsim is
    // mapped by path: there is no node_modules here). One run with a broken file beside the rest:
    // it must fail, and on that file alone (so the scenario, its test and detsim type-check).
    writeFileSync(path.join(dir, 'broken.ts'), "import { param } from 'detsim';\nexport const p = param.int({ doc: 'x', default: 'three', min: 1, max: 9 });\n");
    const tsc = sh(dir, process.execPath, TSC, '-p', '.');
    expect(tsc.code).not.toBe(0);
    expect(tsc.out).toMatch(/^broken\.ts\(2,\d+\): error TS2322/);
    expect(tsc.out.split('\n').filter((l) => l.length > 0 && !l.startsWith(' ')).every((l) => l.startsWith('broken.ts(')), tsc.out).toBe(true);
    rmSync(path.join(dir, 'broken.ts'));
  }, SLOW);
});

describe('a new user with detsim installed in the folder', () => {
  const dir = path.join(base, 'installed');

  it('npx detsim, npx vitest run (finds the test) and npx tsc -p . all pass', () => {
    // What `npm install --save-dev <detsim checkout> vitest typescript @types/node` leaves, as links.
    mkdirSync(path.join(dir, 'node_modules', '.bin'), { recursive: true });
    mkdirSync(path.join(dir, 'node_modules', '@types'));
    symlinkSync(ROOT, path.join(dir, 'node_modules', 'detsim'));
    for (const p of ['vitest', 'typescript', '@types/node']) symlinkSync(path.join(ROOT, 'node_modules', p), path.join(dir, 'node_modules', p));
    symlinkSync('../detsim/bin/detsim.js', path.join(dir, 'node_modules', '.bin', 'detsim'));
    symlinkSync('../vitest/vitest.mjs', path.join(dir, 'node_modules', '.bin', 'vitest'));
    symlinkSync('../typescript/bin/tsc', path.join(dir, 'node_modules', '.bin', 'tsc'));
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'my-research', private: true, devDependencies: { detsim: `file:${ROOT}` } }, null, 2));

    const version = sh(dir, 'npx', '--no', '--', 'detsim', '--version');
    expect(version.out.trim()).toBe(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
    const init = sh(dir, 'npx', '--no', '--', 'detsim', 'init', 'my-counter', '--dir', '.');
    expect(init.code).toBe(0);
    expect(init.out).not.toContain("install Node's types"); // @types/node is here
    const tsconfig = JSON.parse(readFileSync(path.join(dir, 'tsconfig.json'), 'utf8'));
    expect(tsconfig.compilerOptions.paths).toBeUndefined(); // resolved through node_modules/detsim
    expect(tsconfig.compilerOptions.types).toEqual(['node']);

    const vitest = sh(dir, 'npx', '--no', '--', 'vitest', 'run');
    expect(vitest.err + vitest.out).toMatch(/Tests +3 passed \(3\)/);
    expect(vitest.code).toBe(0);

    const tsc = sh(dir, 'npx', '--no', '--', 'tsc', '-p', '.');
    expect(tsc.out + tsc.err).toBe('');
    expect(tsc.code).toBe(0);

    const run = sh(dir, 'npx', '--no', '--', 'detsim', 'run', './my-counter.ts', '--seed', '3', '--param', 'bug=ack-before-fsync', '--param', 'crashMsMean=500');
    expect([0, 1]).toContain(run.code);
    expect(run.out).toContain('my-counter seed 3');
  }, SLOW);

  it('init where detsim is not installed puts installing it first (npx would ask the npm registry for a "detsim"), and the command it gives until then runs', () => {
    const hint = path.join(base, 'bare-hint');
    const init = detsim(base, 'init', 'my-counter', '--dir', 'bare-hint');
    expect(init.code).toBe(0);
    const lines = init.out.split('\n');
    const install = lines.findIndex((l) => /^ {2}npm install --save-dev \S+ vitest typescript @types\/node /.test(l));
    expect(install, init.out).toBeGreaterThan(-1);
    expect(install).toBeLessThan(lines.findIndex((l) => l.includes('npx detsim run')));
    const until = /until then, run the scenario with this detsim: (.*) \(tsconfig/.exec(init.out)?.[1];
    expect(until, init.out).toBeDefined();
    const r = sh(hint, '/bin/sh', '-c', until!);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('PASS my-counter seed 1');
  }, SLOW);

  it('without @types/node installed, init says type-checking needs it (detsim\'s own sources use Node\'s types)', () => {
    const bare = path.join(base, 'installed-no-node-types');
    mkdirSync(path.join(bare, 'node_modules'), { recursive: true });
    symlinkSync(ROOT, path.join(bare, 'node_modules', 'detsim'));
    const init = detsim(bare, 'init', 'my-counter', '--dir', '.');
    expect(init.code).toBe(0);
    expect(init.out).toContain("to type-check, install Node's types there too (detsim's sources use them): npm install --save-dev typescript @types/node");
  });

  it('a copied scenario with a failing seed fails its vitest test with the seed and replay command', () => {
    cpSync(path.join(dir, 'my-counter.ts'), path.join(dir, 'sub', 'my-counter.ts'), { recursive: true });
    writeFileSync(
      path.join(dir, 'sub', 'buggy.test.ts'),
      "import { it } from 'vitest';\nimport { expectSeedsPass } from 'detsim/testing';\nimport s from './my-counter.ts';\n" +
        "it('the buggy variant passes (it should not)', () => { expectSeedsPass(s, { seeds: 20, pins: { bug: 'ack-before-fsync', crashMsMean: 500 }, file: './sub/my-counter.ts' }); });\n",
    );
    const r = sh(dir, 'npx', '--no', '--', 'vitest', 'run', 'sub');
    expect(r.code).toBe(1);
    expect(r.out + r.err).toMatch(/SimulationFailure: \d+ of 20 seed\(s\) failed/);
    expect(r.out + r.err).toMatch(/replay: npx detsim run \.\/sub\/my-counter\.ts --seed \d+ --param bug=ack-before-fsync --param crashMsMean=500/);
  }, SLOW);
});

describe('a new user whose package.json says "type": "commonjs" (what `npm init -y` writes since npm 11)', () => {
  const dir = path.join(base, 'commonjs');

  it('init, run and sweep load its .ts scenario as an ES module, with a .ts helper that imports detsim and a .cts CommonJS one', () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'my-research', version: '1.0.0', type: 'commonjs' }, null, 2));
    expect(detsim(dir, 'init', 'my-counter', '--dir', '.').code).toBe(0);
    const run = detsim(dir, 'run', './my-counter.ts', '--seed', '1');
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    writeFileSync(path.join(dir, 'helper.ts'), "import { ms } from 'detsim';\nexport const tickNs = ms(10);\n");
    writeFileSync(path.join(dir, 'legacy.cts'), 'module.exports = { answer: 42 };\n');
    mkdirSync(path.join(dir, 'lib'));
    writeFileSync(path.join(dir, 'lib', 'index.ts'), "import { sec } from 'detsim';\nexport const lengthNs = sec(1);\n");
    writeFileSync(path.join(dir, 'lib', 'more.ts'), "import { us } from 'detsim';\nexport const moreNs = us(1);\n");
    // Each way TypeScript lets a module be named: with .ts, with .js for the .ts, a folder's index.ts, no extension.
    writeFileSync(
      path.join(dir, 'uses-helpers.ts'),
      "import { defineScenario } from 'detsim';\nimport { tickNs } from './helper.ts';\nimport { tickNs as again } from './helper.js';\nimport { lengthNs } from './lib';\nimport { moreNs } from './lib/more';\nimport legacy from './legacy.cts';\n" +
        "export default defineScenario({ name: 'uses-helpers', description: 'imports a helper of each kind', params: {}, durationNs: lengthNs, checksNothing: 'a test of module loading', setup(w) { w.metrics.answer = legacy.answer; w.metrics.tickNs = tickNs + again + moreNs; } });\n",
    );
    const helpers = detsim(dir, 'run', './uses-helpers.ts', '--seed', '1', '--json');
    expect(helpers.err).toBe('');
    expect(JSON.parse(helpers.out).metrics).toMatchObject({ answer: 42, tickNs: 20_001_000 });
    const sweep = detsim(dir, 'sweep', './my-counter.ts', './uses-helpers.ts', '--seeds', '2', '--jobs', '1', '--out', 'o');
    expect(sweep.err).not.toMatch(/cannot load/);
    expect(sweep.code).toBe(0);
    expect(sweep.out).toMatch(/ok +uses-helpers +2\/2 passed/);
    // The folder holds a helper module: the error says how to name it so a folder sweep skips it.
    const folder = detsim(dir, 'sweep', '.', '--seeds', '1', '--jobs', '1', '--out', 'o');
    expect(folder.code).toBe(2);
    expect(folder.err).toMatch(/helper\.ts does not default-export a scenario .*skipped by folders and globs when its name starts with _/);
  }, SLOW);
});
