/**
 * From a failing seed to a readable regression test: `detsim run --repro`, `detsim shrink`,
 * `detsim export`, then the exported test run by vitest in a folder outside the repository where
 * detsim is installed (links standing in for `npm install`), as a user would. The test fails the
 * invariant on the buggy variant, holds on the fixed one, and keeps its verdict after an unrelated
 * change to the system (log compaction switched on: a different code path, other PRNG draws).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { schemaErrors } from '../schemas/index.ts';
import seatExample from '../scenarios/escrow-seat-example.ts';
import { findCatchingSeed } from '../sim/bug-zoo.ts';
import type { ParamDefs } from '../sim/params.ts';
import type { Scenario } from '../sim/scenario.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'detsim.js');
const base = mkdtempSync(path.join(tmpdir(), 'detsim-export-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'NODE_OPTIONS' && k !== 'TEST'));
env.NO_COLOR = '1';

function sh(cwd: string, cmd: string, ...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env, timeout: 300_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}
const detsim = (cwd: string, ...args: string[]) => sh(cwd, process.execPath, BIN, ...args);
const vitest = (cwd: string, file: string) => sh(cwd, process.execPath, path.join(cwd, 'node_modules', 'vitest', 'vitest.mjs'), 'run', file);

describe('detsim export', () => {
  it('a shrunk repro becomes a test that fails on the bug, holds once fixed, and survives an unrelated change', () => {
    const dir = path.join(base, 'user');
    mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
    symlinkSync(ROOT, path.join(dir, 'node_modules', 'detsim'));
    symlinkSync(path.join(ROOT, 'node_modules', 'vitest'), path.join(dir, 'node_modules', 'vitest'));

    // Seed 12 is the first of raft-crash-restart's seeds to catch no-up-to-date-check (the raft bug zoo).
    const run = detsim(dir, 'run', 'raft-crash-restart', '--seed', '12', '--param', 'bug=no-up-to-date-check', '--repro', 'bug.json');
    expect(run.code).toBe(1);
    const repro = JSON.parse(readFileSync(path.join(dir, 'bug.json'), 'utf8'));
    expect(schemaErrors('repro.schema.json', repro)).toEqual([]);
    expect(repro.format).toBe('detsim-repro/2');
    expect(repro.script.filter((e: { kind: string }) => e.kind === 'crash').length).toBeGreaterThan(3);

    const shrunk = detsim(dir, 'shrink', 'bug.json', '--max-runs', '100', '--json');
    expect(shrunk.code).toBe(0);
    const s = JSON.parse(shrunk.out);
    expect(s.scripted).toBe(true);
    expect(s.shrunk.faults).toBeLessThan(s.original.faults);
    expect(s.shrunk.operations).toBeLessThan(s.original.operations);
    const sr = JSON.parse(readFileSync(path.join(dir, 'bug.shrunk.json'), 'utf8'));
    expect(schemaErrors('repro.schema.json', sr)).toEqual([]);
    expect(sr.scripted).toBe(true);
    // The shrunk repro replays bit for bit, driven by its script.
    const replay = detsim(dir, 'replay', 'bug.shrunk.json');
    expect(replay.code).toBe(1);
    expect(replay.out).toContain('matches the recorded one');

    const ex = detsim(dir, 'export', 'bug.shrunk.json', '--out', 'bug.test.ts');
    expect(ex.err).toBe('');
    expect(ex.code).toBe(0);
    const text = readFileSync(path.join(dir, 'bug.test.ts'), 'utf8');
    expect(text).toMatch(/at\((sec|ms)\([\d.]+\), crash\('n\d'/);
    expect(text).toContain("invariant: 'leader-completeness'");
    expect(text).toContain("from 'detsim/testing'");

    const buggy = vitest(dir, 'bug.test.ts');
    expect(buggy.out + buggy.err).toMatch(/Tests +1 passed/);
    expect(buggy.code).toBe(0);

    // Fixed: the same script on the correct variant, every invariant expected to hold.
    writeFileSync(path.join(dir, 'fixed.test.ts'), text.replace("bug: 'no-up-to-date-check'", "bug: 'none'").replace(/const EXPECTED: Verdict = .*;/, "const EXPECTED: Verdict = { verdict: 'hold' };"));
    const fixed = vitest(dir, 'fixed.test.ts');
    expect(fixed.out + fixed.err).toMatch(/Tests +1 passed/);

    // An unrelated change to the system: log compaction every 5 entries (another code path, other
    // messages, other draws). The faults are named, not drawn, so the bug still shows.
    const changed = text.replace(/snapshotEntries: \d+/, 'snapshotEntries: 5');
    expect(changed).not.toBe(text);
    writeFileSync(path.join(dir, 'changed.test.ts'), changed);
    const after = vitest(dir, 'changed.test.ts');
    expect(after.out + after.err).toMatch(/Tests +1 passed/);

    // And the expectation can fail: the fixed variant with the failure still expected is red.
    writeFileSync(path.join(dir, 'wrong.test.ts'), text.replace("bug: 'no-up-to-date-check'", "bug: 'none'"));
    const wrong = vitest(dir, 'wrong.test.ts');
    expect(wrong.code).not.toBe(0);
    expect(wrong.out + wrong.err).toContain('expected leader-completeness to fail, but every invariant held');
  }, 600_000);

  it('a non-Raft system: the escrow buyers\' operations exported by meaning fail on check-then-act and hold on the fixed escrow', () => {
    const dir = path.join(base, 'escrow');
    mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
    symlinkSync(ROOT, path.join(dir, 'node_modules', 'detsim'));
    symlinkSync(path.join(ROOT, 'node_modules', 'vitest'), path.join(dir, 'node_modules', 'vitest'));

    // The first of escrow-seat-example's seeds to catch check-then-act (seed 1 when measured: tools/shrink-table.ts).
    const c = findCatchingSeed(seatExample as unknown as Scenario<ParamDefs>, { pins: { bug: 'check-then-act' }, cap: 20 });
    expect(c.seed).not.toBeNull();
    expect(detsim(dir, 'run', 'escrow-seat-example', '--seed', String(c.seed), '--param', 'bug=check-then-act', '--repro', 'bug.json').code).toBe(1);
    const shrunk = detsim(dir, 'shrink', 'bug.json', '--max-runs', '60', '--json');
    expect(shrunk.code).toBe(0);
    const s = JSON.parse(shrunk.out);
    expect(s.scripted).toBe(true);
    expect(s.shrunk.operations).toBeGreaterThan(0);
    expect(s.shrunk.operations).toBeLessThan(s.original.operations);
    expect(detsim(dir, 'export', 'bug.shrunk.json', '--out', 'bug.test.ts').code).toBe(0);
    const text = readFileSync(path.join(dir, 'bug.test.ts'), 'utf8');
    // The buyers' holds as named steps: "b-r1-5's 1st purchase: hold 2 seats".
    expect(text).toMatch(/at\(ms\([\d.]+\), clientOp\('b-r\d-\d+', \d+, \{ op: 'hold', seats: \d \}\)\)/);
    expect(text).toContain("invariant: 'never-oversell'");

    const buggy = vitest(dir, 'bug.test.ts');
    expect(buggy.out + buggy.err).toMatch(/Tests +1 passed/);
    writeFileSync(path.join(dir, 'fixed.test.ts'), text.replace("bug: 'check-then-act'", "bug: 'none'").replace(/const EXPECTED: Verdict = .*;/, "const EXPECTED: Verdict = { verdict: 'hold' };"));
    const fixed = vitest(dir, 'fixed.test.ts');
    expect(fixed.out + fixed.err).toMatch(/Tests +1 passed/);
    // The operations are what fails it: without them the buggy escrow sells nothing, and holds.
    writeFileSync(path.join(dir, 'idle.test.ts'), text.replace(/^ {2}at\(.*clientOp\(.*$\n/gm, '').replace(/const EXPECTED: Verdict = .*;/, "const EXPECTED: Verdict = { verdict: 'hold' };"));
    expect(readFileSync(path.join(dir, 'idle.test.ts'), 'utf8')).not.toContain('clientOp(');
    const idle = vitest(dir, 'idle.test.ts');
    expect(idle.out + idle.err).toMatch(/Tests +1 passed/);
  }, 600_000);

  it('in the checkout itself, as the README tour and docs/shrink.md run it: the test named on the command line runs, pasted as printed', () => {
    // A folder of the checkout outside vitest.config.ts's `include` (like detsim-out/ or failures/),
    // with a space in its name (`sweep --out 'my failures'`): the printed command quotes it.
    const dir = mkdtempSync(path.join(ROOT, '.tmp-scenario export-'));
    try {
      const rel = path.relative(ROOT, dir);
      expect(detsim(ROOT, 'run', 'broadcast', '--seed', '1', '--param', 'bug=drop-gossip', '--repro', path.join(rel, 'bug.json')).code).toBe(1);
      const ex = detsim(ROOT, 'export', path.join(rel, 'bug.json'), '--out', path.join(rel, 'bug.test.ts'));
      expect(ex.code, ex.err).toBe(0);
      expect(ex.out).toContain(`run it: npx vitest run '${path.join(rel, 'bug.test.ts')}'`);
      const printed = /run it: npx vitest run (.*?) {3}\(/.exec(ex.out)![1]!;
      // The printed command through a shell, with npx's vitest named outright.
      const r = sh(ROOT, '/bin/sh', '-c', `'${process.execPath}' '${path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs')}' run ${printed}`);
      expect(r.out + r.err).not.toContain('No test files found');
      expect(r.out + r.err).toMatch(/Tests +1 passed/);
      expect(r.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('bad input: one line and exit 2', () => {
    const dir = path.join(base, 'bad');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'old.json'), JSON.stringify({ format: 'detsim-repro/1', scenario: 'broadcast', seed: 1, params: {}, swarm: false, buggify: false, traceHash: 'x', events: 1, outcome: 'safety', violations: [], replay: 'x', run: 'x' }));
    writeFileSync(path.join(dir, 'exists.ts'), '');
    for (const [args, msg] of [
      [['export', 'old.json', '--out', 't.test.ts'], /records no script/],
      [['export', 'old.json', '--out', 'exists.ts'], /exists already/],
      [['export', 'old.json', '--out', 't.json'], /name it \*\.ts/],
      [['export', 'missing.json', '--out', 't.test.ts'], /cannot read repro file/],
    ] as const) {
      const r = detsim(dir, ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(msg);
    }
  });
});
