/**
 * `detsim list`, `--version` and help as a user meets them: one line a scenario, the shared fault
 * parameters once, real option types in help, every scenario file of a folder or glob.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { faultParams } from '../sim/nemesis.ts';
import type { ParamDefs } from '../sim/params.ts';
import { splitParams } from './list.ts';
import { loadBuiltIns } from './scenarios.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'detsim.js');
const tmp = mkdtempSync(path.join(tmpdir(), 'detsim-list-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function detsim(cwd: string, ...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', COLUMNS: '100' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe('detsim list', { timeout: 300_000 }, () => {
  it('prints one line a scenario, fitting a screen', async () => {
    const n = (await loadBuiltIns()).length;
    const r = detsim(ROOT, 'list');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines.length).toBe(n + 1); // a line a scenario and a footer
    expect(lines.length).toBeLessThanOrEqual(50);
    expect(Math.max(...lines.slice(0, -1).map((l) => l.length))).toBeLessThanOrEqual(100);
    // Ten: its netLatencyMsMedian (its 500 ms calls) and diskSlowFactorMax (the fsync backlog a
    // slow episode leaves) have their own maxima, so they are not the shared ones.
    expect(lines[0]).toMatch(/^broadcast +Gossip broadcast.*\(10 params \+ faults\)$/);
    expect(r.out).not.toContain('netLossRate');
  });

  it('--params prints every table with the shared fault parameters once', async () => {
    const all = await loadBuiltIns();
    const r = detsim(ROOT, 'list', '--params');
    expect(r.code).toBe(0);
    for (const k of Object.keys(faultParams())) {
      // Once in the shared table, plus once under each scenario that changes it (its own default or range).
      const overriding = all.filter((l) => splitParams(l.scenario.params as ParamDefs, faultParams() as unknown as ParamDefs).own.some(([name]) => name === k)).length;
      expect(r.out.split('\n').filter((l) => l.startsWith(`    ${k} `)).length, k).toBe(1 + overriding);
    }
    expect(r.out).toContain('shared fault parameters');
    expect(r.out).toMatch(/^ {4}antiEntropyMs +float/m);
  });

  it('a scenario that overrides a fault parameter shows it as its own', () => {
    // raft-election defines downMsMean itself (another default and range): it is listed under it.
    const r = detsim(ROOT, 'list', 'raft-election', 'broadcast');
    expect(r.code).toBe(0);
    const raft = r.out.slice(r.out.indexOf('raft-election'), r.out.indexOf('shared fault parameters'));
    expect(raft).toMatch(/^ {4}downMsMean +float +default 600 /m);
    const shared = r.out.slice(r.out.indexOf('shared fault parameters'));
    expect(shared).toMatch(/^ {4}downMsMean +float +default 1000 /m);
  });

  it('takes folders and quoted globs of scenario files, not tests', () => {
    const src = readFileSync(path.join(ROOT, 'scenarios', 'broadcast.ts'), 'utf8').replaceAll("'../", `'${ROOT}/`);
    writeFileSync(path.join(tmp, 'one.ts'), src.replace("name: 'broadcast'", "name: 'one'"));
    writeFileSync(path.join(tmp, 'two.mts'), src.replace("name: 'broadcast'", "name: 'two'"));
    writeFileSync(path.join(tmp, 'one.test.ts'), 'export {};\n');
    const folder = detsim(tmp, 'list', '.');
    expect(folder.code).toBe(0);
    expect(folder.out).toMatch(/^one +Gossip/m);
    expect(folder.out).toMatch(/^two +Gossip/m);
    expect(folder.out).toContain('2 scenario(s)');
    const glob = detsim(tmp, 'list', './*.mts');
    expect(glob.out).toContain('1 scenario(s)');
    expect(detsim(tmp, 'list', './*.nothing').err).toMatch(/no scenario file matches "\.\/\*\.nothing"/);
    expect(detsim(tmp, 'list', './*.nothing').code).toBe(2);
  });
});

describe('detsim --version and help', { timeout: 300_000 }, () => {
  it('--version prints the package version', () => {
    const r = detsim(ROOT, '--version');
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('help shows integer options as integers and names the input formats', () => {
    const run = detsim(ROOT, 'run', '--help').out;
    expect(run).toMatch(/--seed +the seed +\[integer ≥ 0\] +\[required\]/);
    expect(run).toMatch(/--lines[^\n]*\[integer ≥ 0\]/);
    expect(run).not.toMatch(/--seed[^\n]*\[string\]/);
    const sweep = detsim(ROOT, 'sweep', '--help').out;
    expect(sweep).toMatch(/--seeds[^\n]*\[integer ≥ 1\]/);
    expect(sweep).toContain('--per-seed');
    expect(detsim(ROOT, '--help').out).toMatch(/detsim init <name>/);
    expect(run.replace(/\s+/g, ' ')).toContain('--json: format detsim-run/1 (schemas/run.schema.json)');
    expect(sweep.replace(/\s+/g, ' ')).toContain("quoted file globs ('./my-scenarios/*.ts')");
    expect(detsim(ROOT, 'replay', '--help').out.replace(/\s+/g, ' ')).toContain('a repro file (detsim-repro/2');
  });
});
