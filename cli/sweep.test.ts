/**
 * The sweep as a nightly pipeline meets it: results that survive an interrupt, shards that merge
 * into the report of one sweep, flat memory on endless sweeps, outputs checked before any work,
 * and scenarios that exit or allocate without bound. These spawn `node bin/detsim.js`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'detsim.js');
const FIX = path.join(ROOT, 'cli', 'fixtures');
const tmp = mkdtempSync(path.join(tmpdir(), 'detsim-sweep-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function detsim(...args: string[]): { code: number; out: string; err: string } {
  return detsimEnv({}, ...args);
}

function detsimEnv(env: NodeJS.ProcessEnv, ...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function resultLines(dir: string): Record<string, unknown>[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.results.jsonl'));
  return files.flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>)).filter((l) => l.kind !== 'header');
}

function countLines(dir: string): number {
  if (!existsSync(dir)) return 0;
  const f = readdirSync(dir).find((x) => x.endsWith('.results.jsonl'));
  return f ? readFileSync(path.join(dir, f), 'utf8').split('\n').length - 2 : 0;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms)); // wallclock-ok: test harness

/** Starts a sweep, waits until its results file has `lines` runs, then sends `signal`. */
async function interruptAfter(args: string[], out: string, lines: number, signal: NodeJS.Signals, sample?: (pid: number) => void): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  for (let i = 0; i < 1200 && countLines(out) < lines; i++) {
    sample?.(child.pid!);
    await sleep(100);
  }
  child.kill(signal);
  const code = await exited;
  return { code, out: stdout, err: stderr };
}

describe('results that survive', () => {
  it('SIGINT on a failing sweep: exit 130, a repro file for every failure so far, valid incomplete JSON and JUnit', async () => {
    const out = path.join(tmp, 'sigint');
    const junit = path.join(tmp, 'sigint.xml');
    const md = path.join(tmp, 'sigint.md');
    const r = await interruptAfter(['sweep', 'broadcast', '--seeds', '1000000', '--param', 'bug=phantom', '--jobs', '2', '--out', out, '--junit', junit, '--markdown', md, '--json'], out, 12, 'SIGINT');
    expect(r.code).toBe(130);
    expect(r.err).toContain('SIGINT: stopping the workers');
    const j = JSON.parse(r.out);
    expect(j.incomplete[0]).toMatch(/^the sweep was interrupted \(SIGINT\) after \d+ of 1000000 runs/);
    expect(j.summary.interrupted).toBe('SIGINT');
    expect(j.summary.planned).toBe(1000000);
    const lines = resultLines(out);
    expect(j.summary.runs).toBe(lines.length);
    const failures = lines.filter((l) => l.ok === false);
    expect(failures.length).toBeGreaterThan(5);
    expect(j.summary.failed).toBe(failures.length);
    for (const f of failures) {
      const repro = JSON.parse(readFileSync(path.resolve(ROOT, String(f.repro)), 'utf8'));
      expect(repro).toMatchObject({ format: 'detsim-repro/2', scenario: 'broadcast', seed: f.seed, traceHash: f.traceHash });
      expect(f.replay).toBe(repro.replay);
    }
    expect(readdirSync(out).filter((x) => x.endsWith('.json'))).toHaveLength(failures.length);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites /);
    expect(xml.trim().endsWith('</testsuites>')).toBe(true);
    expect(xml).toContain(`<testsuite name="broadcast" tests="${lines.length}" failures="${failures.length}"`);
    expect(xml).toContain('name="sweep completed"');
    expect((xml.match(/<testcase /g) ?? []).length).toBe(lines.length + 1);
    expect(readFileSync(md, 'utf8')).toContain('INCOMPLETE');
  });

  it('SIGTERM: exit 143 and an incomplete report', async () => {
    const out = path.join(tmp, 'sigterm');
    const r = await interruptAfter(['sweep', 'broadcast', '--seeds', '1000000', '--jobs', '1', '--out', out, '--json'], out, 3, 'SIGTERM');
    expect(r.code).toBe(143);
    const j = JSON.parse(r.out);
    expect(j.incomplete[0]).toMatch(/interrupted \(SIGTERM\)/);
    expect(j.summary.runs).toBe(resultLines(out).length);
  });

  it('a 10^9-seed sweep starts at once and its memory stays flat (main heap capped at 48 MB; RSS sampled)', async () => {
    const out = path.join(tmp, 'flat');
    const rss: { lines: number; kb: number }[] = [];
    const sample = (pid: number): void => {
      try {
        const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
        if (kb) rss.push({ lines: countLines(out), kb });
      } catch {
        /* no /proc here: the heap cap below still holds */
      }
    };
    const child = ['--max-old-space-size=48', BIN, 'sweep', path.join(FIX, 'fails-some-seeds.ts'), '--param', 'every=1000', '--seeds', '1000000000', '--jobs', '1', '--out', out, '--json'];
    const p = spawn(process.execPath, child, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    p.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
    for (let i = 0; i < 1200 && countLines(out) < 8_000; i++) {
      sample(p.pid!);
      await sleep(100);
    }
    p.kill('SIGINT');
    expect(await exited).toBe(130);
    const j = JSON.parse(stdout);
    expect(j.summary.runs).toBeGreaterThanOrEqual(8_000);
    expect(j.summary.planned).toBe(1e9);
    // 1e9 jobs made up front would need tens of GB; 8,000 results kept would need far more than the cap.
    if (rss.length > 0) {
      const after2k = rss.filter((s) => s.lines >= 2000);
      const max = Math.max(...rss.map((s) => s.kb));
      expect(max).toBeLessThan(1024 * 1024);
      if (after2k.length > 1) expect(Math.max(...after2k.map((s) => s.kb)) - after2k[0]!.kb).toBeLessThan(200 * 1024);
      console.log(`flat memory: ${j.summary.runs} runs of 1e9, RSS ${Math.round(rss[0]!.kb / 1024)} -> max ${Math.round(max / 1024)} MB (${after2k.length} samples after 2,000 runs)`);
    }
  });

  it('outputs are checked before any seed runs: exit 2, one line', () => {
    const file = path.join(tmp, 'a-file');
    writeFileSync(file, 'x');
    const cases: [string[], RegExp][] = [
      [['sweep', 'broadcast', '--seeds', '2', '--out', file], /--out .*a-file is a file, not a folder/],
      [['sweep', 'broadcast', '--seeds', '2', '--out', path.join(tmp, 'o1'), '--junit', path.join(tmp, 'no', 'such', 'j.xml')], /--junit .*the folder .* does not exist/],
      [['sweep', 'broadcast', '--seeds', '2', '--out', path.join(tmp, 'o1'), '--markdown', tmp], /--markdown .* is a folder/],
      [['sweep', 'broadcast', '--seeds', '2', '--seed-timeout', '-1'], /--seed-timeout must be a number of seconds from 0 \(no limit\) to 604800, got "-1"/],
      [['sweep', 'broadcast', '--seeds', '2', '--seed-timeout', 'abc'], /--seed-timeout must be .* got "abc"/],
      [['sweep', 'broadcast', '--seeds', '2', '--max-memory', '12'], /--max-memory must be a whole number of MB from 64/],
      [['sweep', 'broadcast', '--seeds', '2', '--shard', '4/3'], /--shard must be K\/N/],
      [['sweep', 'broadcast', '--seeds', '2', '--run-id', '../x'], /--run-id must be/],
      [['merge', path.join(tmp, 'nothing-here')], /no results file or folder/],
    ];
    for (const [args, msg] of cases) {
      const r = detsim(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.err, args.join(' ')).toMatch(msg);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
    expect(existsSync(path.join(tmp, 'o1'))).toBe(false);
  });

  it('reports (--junit, --markdown, --html) inside a new --out folder are written there (ci.yml: --out detsim-out --junit detsim-out/sweep.xml on a fresh checkout)', () => {
    const out = path.join(tmp, 'fresh-out');
    const r = detsim('sweep', 'broadcast', '--seeds', '1', '--jobs', '1', '--out', out, '--run-id', 'ci', '--junit', path.join(out, 'sweep.xml'), '--markdown', path.join(out, 'sweep.md'), '--html', path.join(out, 'sweep.html'));
    expect(r.err).not.toMatch(/does not exist/);
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(out, 'sweep.xml'), 'utf8')).toMatch(/<testsuites[^>]* failures="0"/);
    expect(readFileSync(path.join(out, 'sweep.md'), 'utf8')).not.toMatch(/INCOMPLETE/);
    expect(readFileSync(path.join(out, 'sweep.html'), 'utf8')).not.toMatch(/not finished/);
    // A bad report elsewhere is still refused before --out is made.
    const bad = detsim('sweep', 'broadcast', '--seeds', '1', '--out', path.join(tmp, 'fresh-2'), '--junit', path.join(tmp, 'fresh-2', 'j.xml'), '--markdown', path.join(tmp, 'no', 'such', 'm.md'));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--markdown .*does not exist/);
    expect(existsSync(path.join(tmp, 'fresh-2'))).toBe(false);
  });

  it('two sweeps into one --out keep their own files (run ids); a reused run id is refused', () => {
    const out = path.join(tmp, 'shared-out');
    const a = detsim('sweep', 'broadcast', '--seeds', '1', '--param', 'bug=phantom', '--jobs', '1', '--out', out, '--run-id', 'first', '--json');
    const b = detsim('sweep', 'broadcast', '--seeds', '1', '--param', 'bug=phantom', '--jobs', '1', '--out', out, '--run-id', 'second', '--json');
    expect([a.code, b.code]).toEqual([1, 1]);
    expect(readdirSync(out).sort()).toEqual(['broadcast-seed1-first.json', 'broadcast-seed1-second.json', 'first.results.jsonl', 'second.results.jsonl']);
    const again = detsim('sweep', 'broadcast', '--seeds', '1', '--jobs', '1', '--out', out, '--run-id', 'first');
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/run id first was already used in .*shared-out/);
  });

  it('the seed range ends at the largest seed, 2^53 - 1, inclusive: --from 2^53-2 --seeds 2 runs both, --seeds 3 is refused', () => {
    const top = Number.MAX_SAFE_INTEGER;
    const r = detsim('sweep', 'broadcast', '--from', String(top - 1), '--seeds', '2', '--jobs', '1', '--out', path.join(tmp, 'top-seeds'), '--per-seed', '--json');
    expect(r.err).not.toMatch(/past the largest seed/);
    expect(r.code).toBe(0);
    const seeds = (JSON.parse(r.out) as { perSeed: { seed: number }[] }).perSeed.map((p) => p.seed).sort((a, b) => a - b);
    expect(seeds).toEqual([top - 1, top]);
    const over = detsim('sweep', 'broadcast', '--from', String(top - 1), '--seeds', '3', '--out', path.join(tmp, 'past-top'));
    expect(over.code).toBe(2);
    expect(over.err).toMatch(/runs past the largest seed, 9007199254740991: .* at most --seeds 2 from there/);
    expect(existsSync(path.join(tmp, 'past-top'))).toBe(false);
  });

  it('--jobs above the core count is capped with a notice', () => {
    const r = detsim('sweep', 'broadcast', '--seeds', '1', '--jobs', '1000', '--out', path.join(tmp, 'capped'), '--json');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/--jobs 1000 is more than the \d+ core\(s\) here: using \d+ worker\(s\)/);
    expect(JSON.parse(r.out).summary.jobs).toBeLessThan(1000);
  });
});

describe('shards and merge', () => {
  type Rep = { summary: { runs: number; passed: number; failed: number }; scenarios: { scenario: string; runs: number; passed: number; failed: number; outcomes: unknown; firstFailingSeed: number | null }[]; failures: { scenario: string; seed: number; outcome: string; traceHash: string }[]; incomplete: string[] };
  const essence = (r: Rep): unknown => ({
    summary: { runs: r.summary.runs, passed: r.summary.passed, failed: r.summary.failed },
    scenarios: r.scenarios.map((s) => ({ scenario: s.scenario, runs: s.runs, passed: s.passed, failed: s.failed, outcomes: s.outcomes, firstFailingSeed: s.firstFailingSeed })),
    failures: r.failures.map((f) => ({ scenario: f.scenario, seed: f.seed, outcome: f.outcome, traceHash: f.traceHash })),
    incomplete: r.incomplete,
  });

  it('--jobs 1 and --jobs 2 (both workers at once, and with the ramp-up) give the same report and the same result for every seed (a worker dies mid-batch on exits seed 5)', () => {
    const args = ['broadcast', path.join(FIX, 'fails-some-seeds.ts'), path.join(FIX, 'exits.ts'), '--seeds', '9'];
    const run = (jobs: string, env: NodeJS.ProcessEnv = {}): { rep: Rep; lines: unknown[] } => {
      const out = path.join(tmp, `jobs-${jobs}-${Object.keys(env).length}`);
      const r = detsimEnv(env, 'sweep', ...args, '--jobs', jobs, '--out', out, '--json');
      expect(r.code).toBe(1);
      const lines = resultLines(out).map((l) => [l.scenario, l.seed, l.ok, l.outcome, l.traceHash]).sort((a, b) => String(a).localeCompare(String(b)));
      return { rep: JSON.parse(r.out) as Rep, lines };
    };
    const one = run('1');
    const two = run('2', { DETSIM_SWEEP_RAMP_UP: '0' });
    const ramped = run('2');
    expect(one.lines).toHaveLength(27);
    expect(two.lines).toEqual(one.lines);
    expect(essence(two.rep)).toEqual(essence(one.rep));
    expect(ramped.lines).toEqual(one.lines);
    expect(essence(ramped.rep)).toEqual(essence(one.rep));
    expect(one.rep.summary.failed).toBeGreaterThan(4);
    // The summary says how many workers really ran: both when started at once; one on a sweep
    // this short with the ramp-up (27 quick seeds never repay a second warm-up), and the line says so.
    const summaryOf = (r: { rep: Rep }): Record<string, unknown> => r.rep.summary as unknown as Record<string, unknown>;
    expect(summaryOf(one)).toMatchObject({ jobs: 1, workersUsed: 1 });
    expect(summaryOf(two)).toMatchObject({ jobs: 2, workersUsed: 2 });
    expect(summaryOf(ramped)).toMatchObject({ jobs: 2, workersUsed: 1 });
    const text = detsim('sweep', 'broadcast', '--seeds', '3', '--jobs', '2', '--out', path.join(tmp, 'jobs-text'));
    expect(text.err + text.out).toContain('up to 2 workers');
    expect(text.out).toContain('1 of 2 workers used');
  });

  for (const [label, args] of [
    ['three scenarios with failures on some seeds', ['broadcast', path.join(FIX, 'fails-some-seeds.ts'), path.join(FIX, 'exits.ts'), '--seeds', '7']],
    ['broadcast with bug=phantom', ['broadcast', '--param', 'bug=phantom', '--seeds', '5']],
  ] as const) {
    it(`--shard 1/3, 2/3, 3/3 then merge give the report of one sweep: ${label}`, () => {
      const dir = path.join(tmp, `shards-${label.length}`);
      const one = detsim('sweep', ...args, '--jobs', '2', '--out', path.join(dir, 'one'), '--json');
      const whole = JSON.parse(one.out) as Rep;
      expect(whole.summary.failed).toBeGreaterThan(0);
      for (const k of [1, 2, 3]) {
        const s = detsim('sweep', ...args, '--jobs', '1', '--shard', `${k}/3`, '--out', path.join(dir, `shard-${k}`), '--json');
        expect(s.code).toBe(JSON.parse(s.out).summary.failed > 0 ? 1 : 0);
        expect(JSON.parse(s.out).incomplete).toEqual([]);
      }
      const junit = path.join(dir, 'merged.xml');
      const md = path.join(dir, 'merged.md');
      const m = detsim('merge', path.join(dir, 'shard-1'), path.join(dir, 'shard-2'), path.join(dir, 'shard-3'), '--json', '--junit', junit, '--markdown', md);
      expect(m.code).toBe(1);
      const merged = JSON.parse(m.out) as Rep;
      expect(essence(merged)).toEqual(essence(whole));
      expect(readFileSync(junit, 'utf8')).toContain(`failures="${whole.summary.failed}"`);
      const mdText = readFileSync(md, 'utf8');
      expect(mdText).toContain('❌ FAIL');
      expect(mdText).toContain('npx detsim replay');
      // Without one shard the merge says so and does not pass.
      const cut = detsim('merge', path.join(dir, 'shard-1'), path.join(dir, 'shard-3'));
      expect(cut.code).toBe(1);
      expect(cut.out).toMatch(/INCOMPLETE: shard\(s\) 2\/3 of .* are missing/);
      // It names the missing shard's own command to run, not the command of a shard it was given.
      const line = cut.out.split('\n').find((l) => l.includes('INCOMPLETE: shard'))!;
      expect(line).toMatch(/Run `[^`]*--shard 2\/3[^`]*` and merge again/);
      expect(line).not.toContain('--shard 1/3');
    });
  }

  it('shards downloaded into folders of their own (gh run download): the merged replay commands name the repro files where they are, and work when pasted', () => {
    const ws = path.join(tmp, 'relocate-ws');
    for (const k of [1, 2]) expect(detsim('sweep', path.join(FIX, 'fails-some-seeds.ts'), '--seeds', '6', '--shard', `${k}/2`, '--jobs', '1', '--out', path.join(ws, `shard-${k}`), '--run-id', `n-shard${k}`).code).toBe(1);
    // Each shard recorded its repro files where it wrote them; on the laptop they are elsewhere.
    const dl = path.join(tmp, 'relocate-dl');
    renameSync(ws, dl);
    const m = detsim('merge', dl, '--json', '--markdown', path.join(dl, 'nightly.md'));
    expect(m.code).toBe(1);
    const failures = JSON.parse(m.out).failures as { seed: number; repro: string; replay: string }[];
    expect(failures.map((f) => f.seed).sort()).toEqual([3, 6]);
    for (const f of failures) {
      expect(existsSync(f.repro), f.repro).toBe(true);
      expect(f.replay).toBe(`npx detsim replay ${f.repro}`);
      expect(readFileSync(path.join(dl, 'nightly.md'), 'utf8')).toContain(f.replay);
      const replay = detsim(...f.replay.replace(/^npx detsim /, '').split(' '));
      expect(replay.code).toBe(1);
      expect(replay.out).toContain('matches the recorded one');
    }
  });
});

describe('coverage across a sweep and its shards (issue 14)', () => {
  it('probes never hit come first, each row has its first seed and command, an unreached mustReach fails the sweep, and shards merge to the same table', () => {
    const dir = path.join(tmp, 'coverage');
    const scn = [path.join(FIX, 'probed.ts'), path.join(FIX, 'probed-strict.ts')];
    const whole = detsim('sweep', ...scn, '--seeds', '6', '--jobs', '1', '--out', path.join(dir, 'one'), '--json');
    expect(whole.code).toBe(1);
    const j = JSON.parse(whole.out);
    expect(j.summary).toMatchObject({ runs: 12, failed: 0, unreached: 1 });
    expect(j.coverage.probes.map((p: { name: string; seeds: number; runs: number }) => [p.name, p.seeds, p.runs])).toEqual([['fixture:never', 0, 12], ['fixture:rare', 2, 12], ['fixture:common', 12, 12]]);
    expect(j.coverage.probes[1].first).toMatchObject({ scenario: 'probed', seed: 5, run: expect.stringMatching(/^npx detsim run \S*probed\.ts --seed 5$/) });
    expect(j.coverage.sometimes).toEqual([expect.objectContaining({ name: 'fixture:even-seed', seeds: 6, runs: 12 })]);
    expect(j.coverage.mustReach.filter((m: { reached: boolean }) => !m.reached)).toEqual([expect.objectContaining({ scenario: 'probed-strict', name: 'fixture:never' })]);
    const text = detsim('sweep', ...scn, '--seeds', '6', '--jobs', '1', '--out', path.join(dir, 'text'));
    expect(text.out).toMatch(/coverage .*\n\s+probe\s+fixture:never\s+0\/12\s+never\n/);
    expect(text.out).toContain('probed-strict: "fixture:never" must be reached (mustReach) but no seed of 6 reached it');
    for (const k of [1, 2]) detsim('sweep', ...scn, '--seeds', '6', '--jobs', '1', '--shard', `${k}/2`, '--out', path.join(dir, `s${k}`));
    const md = path.join(dir, 'merged.md');
    const m = detsim('merge', path.join(dir, 's1'), path.join(dir, 's2'), '--json', '--markdown', md);
    expect(m.code).toBe(1);
    expect(JSON.parse(m.out).coverage).toEqual(j.coverage);
    expect(readFileSync(md, 'utf8')).toContain('| probe | **fixture:never** (never) | 0/12 |');
    expect(detsim('sweep', scn[0]!, '--seeds', '6', '--jobs', '1', '--out', path.join(dir, 'ok')).code).toBe(0);
  });
});

describe('runaway scenarios in a sweep (issue 11)', () => {
  it('process.exit(0) in setup, mid-run, inside try/catch, or reallyExit: that seed crashes at once, the worker is replaced, the sweep goes on', () => {
    const out = path.join(tmp, 'exits');
    const r = detsim('sweep', path.join(FIX, 'exits.ts'), '--seeds', '6', '--jobs', '2', '--out', out, '--json', '--seed-timeout', '100');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.summary).toMatchObject({ runs: 6, passed: 2, failed: 4 });
    const bySeed = new Map<number, { outcome: string; violations: { message: string }[] }>(j.failures.map((f: { seed: number }) => [f.seed, f]));
    expect([...bySeed.keys()]).toEqual([2, 3, 4, 5]);
    for (const s of [2, 3, 4]) {
      expect(bySeed.get(s)!.outcome).toBe('crash');
      expect(bySeed.get(s)!.violations[0]!.message).toContain('the scenario called process.exit(0)');
    }
    expect(bySeed.get(5)!.violations[0]!.message).toMatch(/exited with code 0 before the run finished: the scenario called process\.exit/);
    // Detected at once, not after the seed timeout.
    expect(j.summary.wallSeconds).toBeLessThan(100);
  });

  it('unbounded allocation in one event: that seed fails as out of memory under --max-memory, the sweep goes on', () => {
    const out = path.join(tmp, 'oom');
    const r = detsim('sweep', path.join(FIX, 'allocates.ts'), '--seeds', '3', '--jobs', '1', '--max-memory', '96', '--out', out, '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.summary).toMatchObject({ runs: 3, passed: 2, failed: 1 });
    expect(j.failures[0]).toMatchObject({ seed: 2, outcome: 'crash' });
    expect(j.failures[0].violations[0].message).toMatch(/^out of memory: the seed used more than the worker's 96 MB heap limit/);
  });
});

describe('single network stream (--single-stream)', () => {
  it('a sweep with --single-stream runs each seed as run --single-stream does; its repros record it and replay', () => {
    const out = path.join(tmp, 'single');
    const r = detsim('sweep', 'broadcast', '--seeds', '3', '--param', 'bug=phantom', '--single-stream', '--jobs', '1', '--out', out, '--json');
    expect(r.err).toContain('single network stream');
    const lines = resultLines(out);
    expect(lines.length).toBe(3);
    for (const l of lines) {
      const one = JSON.parse(detsim('run', 'broadcast', '--seed', String(l.seed), '--param', 'bug=phantom', '--single-stream', '--json').out);
      expect(l.traceHash, `seed ${String(l.seed)}`).toBe(one.traceHash);
    }
    const failed = lines.find((l) => l.ok === false);
    expect(failed).toBeDefined();
    const repro = JSON.parse(readFileSync(path.resolve(ROOT, String(failed!.repro)), 'utf8'));
    expect(repro.linkStreams).toBe(false);
    expect(repro.run).toContain('--single-stream');
    expect(JSON.parse(detsim('replay', String(failed!.repro), '--json').out)).toMatchObject({ hashMatches: true });
  });

  it('a regression entry without linkStreams replays on the single stream (it was recorded before per-link streams)', () => {
    const one = (extra: string[]): string => JSON.parse(detsim('run', 'broadcast', '--seed', '4', '--param', 'bug=none', '--no-swarm', ...extra, '--json').out).traceHash;
    const list = path.join(tmp, 'streams.json');
    const entry = { scenario: 'broadcast', seed: 4, params: { bug: 'none' }, buggify: true, why: 'a passing seed' };
    writeFileSync(list, JSON.stringify({ format: 'detsim-regressions/1', seeds: [entry] }));
    const old = path.join(tmp, 'regress-old');
    expect(detsim('regress', list, '--out', old, '--json').code).toBe(0);
    expect(resultLines(old)[0]!.traceHash).toBe(one(['--single-stream']));
    writeFileSync(list, JSON.stringify({ format: 'detsim-regressions/1', seeds: [{ ...entry, linkStreams: true }] }));
    const now = path.join(tmp, 'regress-now');
    expect(detsim('regress', list, '--out', now, '--json').code).toBe(0);
    expect(resultLines(now)[0]!.traceHash).toBe(one([]));
    writeFileSync(list, JSON.stringify({ format: 'detsim-regressions/1', seeds: [{ ...entry, linkStreams: 'no' }] }));
    const bad = detsim('regress', list, '--out', path.join(tmp, 'regress-bad-streams'));
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('linkStreams must be true or false');
  });
});

describe('a shard with no run', () => {
  it('says nothing was checked, never PASS, exit 0 (the merge of all the shards has the verdict); the merge of all is a PASS', () => {
    const out = path.join(tmp, 'shards-of-one');
    const two = detsim('sweep', 'broadcast', '--seeds', '1', '--shard', '2/2', '--out', out, '--run-id', 'one-s2');
    expect(two.code, two.err).toBe(0);
    expect(two.out).not.toMatch(/PASS/);
    expect(two.out).toMatch(/^NOTHING CHECKED: no run was planned here \(shard 2\/2 of a sweep with fewer runs than shards gets none; the merged report of all the shards has the verdict\)$/m);
    expect(two.out).toMatch(/^NO RUNS 0 runs, 0 passed, 0 failed/m);
    expect(detsim('sweep', 'broadcast', '--seeds', '1', '--shard', '1/2', '--out', out, '--run-id', 'one-s1').code).toBe(0);
    const merged = detsim('merge', out);
    expect(merged.code, merged.out).toBe(0);
    expect(merged.out).toMatch(/^PASS 1 runs, 1 passed, 0 failed$/m);
  });
});

describe('a missing shard, run again with the command the merge prints', () => {
  it('pasted into a shell as printed, the command runs that shard (its glob quoted, a run id of its own, no report of its own) and the merge is whole', () => {
    const work = path.join(tmp, 'rerun ws');
    const shard1 = path.join(work, 'shard 1');
    // A file the glob matches where the command is pasted: the shell would expand an unquoted raft-elec*.
    mkdirSync(work, { recursive: true });
    writeFileSync(path.join(work, 'raft-election-notes.txt'), 'notes\n');
    const junit = path.join(shard1, 'shard1.xml');
    expect(detsim('sweep', 'raft-elec*', '--seeds', '4', '--shard', '1/2', '--jobs', '1', '--out', shard1, '--run-id', 'n-s1', '--junit', junit).code).toBe(0);
    const junitBefore = readFileSync(junit, 'utf8');
    const cut = detsim('merge', shard1);
    expect(cut.code).toBe(1);
    const rerun = /Run `([^`]*)` and merge again/.exec(cut.out)?.[1];
    expect(rerun, cut.out).toBeDefined();
    expect(rerun).toMatch(/^npx detsim sweep /);
    // npx resolves detsim in a checkout or an install; here the same CLI is named outright.
    const pasted = spawnSync('/bin/sh', ['-c', rerun!.replace(/^npx detsim /, `'${process.execPath}' '${BIN}' `)], { cwd: work, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(pasted.status, pasted.stderr).toBe(0);
    expect(pasted.stderr).toContain('shard 2/2');
    expect(readFileSync(junit, 'utf8')).toBe(junitBefore);
    const whole = detsim('merge', shard1);
    expect(whole.out).not.toContain('INCOMPLETE');
    expect(whole.code, whole.out).toBe(0);
    expect(whole.out).toMatch(/^PASS 4 runs, 4 passed, 0 failed$/m);
  });
});

describe('shards of two builds', () => {
  it('each results header names its build; a shard edited to another build makes the merge INCOMPLETE, not a PASS, though no seed ran twice', async () => {
    const out = path.join(tmp, 'builds');
    expect(detsim('sweep', 'raft-election', '--seeds', '2', '--shard', '1/2', '--jobs', '1', '--out', out).code).toBe(0);
    expect(detsim('sweep', 'raft-election', '--seeds', '2', '--shard', '2/2', '--jobs', '1', '--out', out).code).toBe(0);
    const files = readdirSync(out).filter((f) => f.endsWith('.results.jsonl')).sort();
    expect(files).toHaveLength(2);
    const { buildFingerprint } = await import('./build-fingerprint.ts');
    const here = await buildFingerprint([]);
    for (const f of files) expect((JSON.parse(readFileSync(path.join(out, f), 'utf8').split('\n')[0]!) as { build?: string }).build).toBe(here);
    expect(detsim('merge', out).code).toBe(0);
    // The second shard as a machine on another commit would have written it.
    const other = path.join(out, files[1]!);
    const [head, ...rest] = readFileSync(other, 'utf8').split('\n');
    writeFileSync(other, [JSON.stringify({ ...(JSON.parse(head!) as object), build: 'feedfacecafe' }), ...rest].join('\n'));
    const mixed = detsim('merge', out);
    expect(mixed.code, mixed.out).toBe(1);
    expect(mixed.out).toMatch(/^INCOMPLETE 2 runs/m);
    expect(mixed.out).toContain(`these results come from 2 different builds of detsim and the scenarios (build ${here}: `);
    expect(mixed.out).toContain('build feedfacecafe: ');
  });
});

describe('regression seeds', () => {
  it('detsim regress replays the checked-in list; a seed that fails again fails the command', () => {
    const ok = detsim('regress', 'regressions.json', '--out', path.join(tmp, 'regress'), '--json');
    expect(ok.code, ok.err).toBe(0);
    const j = JSON.parse(ok.out);
    const list = JSON.parse(readFileSync(path.join(ROOT, 'regressions.json'), 'utf8'));
    expect(j.summary).toMatchObject({ runs: list.seeds.length, failed: 0 });
    // A regression list whose "fixed" bug is back: the phantom variant pinned, expected to pass.
    const back = path.join(tmp, 'back.json');
    writeFileSync(back, JSON.stringify({ format: 'detsim-regressions/1', seeds: [{ scenario: 'broadcast', seed: 3, params: { bug: 'phantom' }, buggify: true, why: 'phantom deliveries (fixed)' }, { scenario: 'broadcast', seed: 4, params: {}, buggify: true, why: 'a passing seed' }] }));
    const bad = detsim('regress', back, '--out', path.join(tmp, 'regress-bad'), '--json');
    expect(bad.code).toBe(1);
    const b = JSON.parse(bad.out);
    expect(b.summary).toMatchObject({ runs: 2, failed: 1 });
    expect(b.failures[0]).toMatchObject({ scenario: 'broadcast', seed: 3 });
    expect(b.failures[0].replay).toMatch(/^npx detsim replay /);
    // An entry that must be caught but no longer is: the checker went blind.
    writeFileSync(back, JSON.stringify({ format: 'detsim-regressions/1', seeds: [{ scenario: 'broadcast', seed: 4, params: { bug: 'none' }, buggify: true, expect: 'fail', invariant: 'no-phantom-delivery', why: 'checker must catch phantoms' }] }));
    const blind = detsim('regress', back, '--out', path.join(tmp, 'regress-blind'), '--json');
    expect(blind.code).toBe(1);
    expect(JSON.parse(blind.out).failures[0].violations[0].message).toMatch(/expected no-phantom-delivery .* but the run passed: the checker no longer catches this bug/);
  });

  it('one seed listed twice with other parameters: each run is judged by its own entry', () => {
    const list = path.join(tmp, 'twice.json');
    // The fix expected to pass and the bug variant expected caught, on the same seed.
    writeFileSync(list, JSON.stringify({ format: 'detsim-regressions/1', seeds: [
      { scenario: 'broadcast', seed: 3, params: { bug: 'none' }, buggify: true, why: 'the fix holds' },
      { scenario: 'broadcast', seed: 3, params: { bug: 'phantom' }, buggify: true, expect: 'fail', invariant: 'no-phantom-delivery', why: 'checker must catch phantoms' },
    ] }));
    const r = detsim('regress', list, '--out', path.join(tmp, 'regress-twice'), '--json');
    expect(r.code, r.out).toBe(0);
    expect(JSON.parse(r.out).summary).toMatchObject({ runs: 2, passed: 2, failed: 0 });
  });

  it('an empty list replays nothing: exit 2 and one line saying how to add a seed, no results file', () => {
    const list = path.join(tmp, 'empty-list.json');
    writeFileSync(list, JSON.stringify({ format: 'detsim-regressions/1', seeds: [] }));
    const out = path.join(tmp, 'regress-empty');
    const r = detsim('regress', list, '--out', out);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toEqual([`detsim: ${list} lists no regression seeds: nothing to replay. Add a failure's repro file with: npx detsim regress ${list} --add REPRO.json --why "what failed"`]);
    expect(r.out).not.toMatch(/PASS/);
    expect(existsSync(out)).toBe(false);
  });

  it('--add keeps a seed-driven repro of a built-in scenario, and refuses a shrunk repro and a scenario file, whose entries would guard nothing', () => {
    const repro = path.join(tmp, 'add-phantom.json');
    expect(detsim('run', 'broadcast', '--seed', '3', '--param', 'bug=phantom', '--repro', repro).code).toBe(1);
    const list = path.join(tmp, 'add-list.json');
    const added = detsim('regress', list, '--add', repro, '--why', 'phantom deliveries');
    expect(added.code, added.err).toBe(0);
    const again = detsim('regress', list, '--out', path.join(tmp, 'add-again'), '--json');
    expect(again.code).toBe(1); // the bug is pinned in the entry: it fails again
    // A shrunk repro is driven by its script: seed and shrunk parameters alone are another run.
    // raft-crash-restart seed 12's shrunk parameters pass without the script (measured), so such
    // an entry would pass with the bug in.
    const shrunk = path.join(tmp, 'add-phantom.shrunk.json');
    writeFileSync(shrunk, JSON.stringify({ ...JSON.parse(readFileSync(repro, 'utf8')), scripted: true }));
    const s = detsim('regress', list, '--add', shrunk, '--why', 'x');
    expect(s.code).toBe(2);
    expect(s.err).toMatch(/is a shrunk repro: .* add the repro it was shrunk from, or keep it as a test instead: detsim export /);
    // A scenario file: `regress` resolves names of built-in scenarios only.
    const fileRepro = path.join(tmp, 'add-file.json');
    expect(detsim('run', path.join(FIX, 'fails-some-seeds.ts'), '--seed', '3', '--repro', fileRepro).code).toBe(1);
    const f = detsim('regress', list, '--add', fileRepro, '--why', 'x');
    expect(f.code).toBe(2);
    expect(f.err).toMatch(/is a run of the scenario file .*fails-some-seeds\.ts, and a regression list names built-in scenarios only/);
    expect(JSON.parse(readFileSync(list, 'utf8')).seeds).toHaveLength(1);
  });
});
