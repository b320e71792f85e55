/**
 * Hostile input and runaway code (issue 11): scenarios that exit, loop or allocate without bound,
 * and inputs that are wrong in every way a user or script can make them. Each case asserts the
 * exit code and the message. Bad input runs in-process through `main(argv, io)` (fast); runaway
 * scenarios run as real processes, as a user meets them.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './main.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'detsim.js');

function detsim(args: string[], cwd = ROOT, timeout = 120_000): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

async function inProcess(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A scenario file in a folder under the project (so it can import ../sim/...). */
function scenarioSource(name: string, setupBody: string): string {
  return [
    "import { defineScenario } from '../sim/scenario.ts';",
    'export default defineScenario({',
    `  name: '${name}', description: 'hostile fixture', params: {}, durationNs: 1_000_000_000, checksNothing: 'a hostile fixture: the harness is what is tested',`,
    `  setup(w) { ${setupBody} },`,
    '});',
  ].join('\n');
}

let dir = '';
const file = (name: string): string => path.join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(path.join(ROOT, '.tmp-hostile-'));
  writeFileSync(file('exit-setup.ts'), scenarioSource('exit-setup', 'process.exit(0);'));
  writeFileSync(file('exit-midrun.ts'), scenarioSource('exit-midrun', "w.sim.schedule(1000, () => { w.sim.log('n1', 'about-to-exit'); process.exit(0); });"));
  writeFileSync(
    file('loop.ts'),
    scenarioSource('loop', "for (let k = 1; k <= 5; k++) w.sim.schedule(k * 1000, () => w.sim.log('n1', 'tick', `k=${k}`)); w.sim.schedule(9000, () => { w.sim.log('n1', 'before-loop', 'last words'); for (;;) { /* stuck */ } });"),
  );
  writeFileSync(file('loop-silent.ts'), scenarioSource('loop-silent', 'w.sim.schedule(1000, () => { for (;;) { /* stuck, nothing traced */ } });'));
  writeFileSync(
    file('spin.ts'),
    scenarioSource('spin', "w.sim.schedule(1000, () => { for (let k = 0; ; k++) w.sim.log('n1', 'spin', `k=${k} é→😀 ${'x'.repeat(k % 300)}`); });"),
  );
  writeFileSync(file('hog.ts'), scenarioSource('hog', "w.sim.schedule(1000, () => { const keep: number[][] = []; for (;;) keep.push(new Array(100_000).fill(1)); });"));
  // The rest of an async callback runs once the synchronous run is over: its throw is a rejected promise nobody handles.
  writeFileSync(file('late-reject.ts'), scenarioSource('late-reject', "w.sim.schedule(1000, async () => { await null; throw new Error('thrown after an await'); });"));
  // The same, without a throw of its own: the rest of the callback only sets a timer, which would
  // never fire in the run that was checked; the closed kernel refuses it.
  writeFileSync(file('late-timer.ts'), scenarioSource('late-timer', "w.sim.schedule(1000, async () => { await null; w.sim.schedule(1000, () => {}); });"));
  // Real timers: the run never waits for them, so their callbacks are outside the checked run.
  // Its event then spins 30 ms of wall time, so the timer is due before the run's verdict is taken.
  writeFileSync(file('timer-10ms.ts'), scenarioSource('timer-10ms', "w.sim.schedule(1000, () => { setTimeout(() => w.violation('late', 'from a real timer'), 10); const end = Date.now() + 30; while (Date.now() < end) { /* spin */ } });"));
  writeFileSync(file('timer-cleared.ts'), scenarioSource('timer-cleared', "w.sim.schedule(1000, () => { const t = setTimeout(() => {}, 10); clearTimeout(t); const i = setInterval(() => {}, 5); clearInterval(i); setTimeout(() => w.sim.log('n1', 'due-at-once')); });"));
  writeFileSync(
    file('timer-kinds.ts'),
    `import { setTimeout as later } from 'node:timers';\n${scenarioSource('timer-kinds', "w.sim.schedule(1000, async () => { setInterval(() => {}, 5); later(() => {}, 20); await null; setTimeout(() => {}, 0); });")}`,
  );
  // Crash audit (issue 17, round 9): the timers the watch did not see, a leftover throw in a sweep
  // worker, a fault mix only the shrink tries, and a regression list naming a file.
  writeFileSync(
    file('timer-loops.ts'),
    `import { setTimeout as sleep } from 'node:timers/promises';\n${scenarioSource('timer-loops', "w.sim.schedule(1000, () => { let k = 0; const again = (): void => { k++; setImmediate(again); }; setImmediate(again); void (async () => { await sleep(10); w.violation('late', 'after a timers/promises sleep'); })(); });")}`,
  );
  writeFileSync(
    file('timer-soon.ts'),
    `import { setTimeout as sleep } from 'node:timers/promises';\n${scenarioSource('timer-soon', "w.sim.schedule(1000, () => { setImmediate(() => w.sim.log('n1', 'immediate')); void sleep(0); });")}`,
  );
  writeFileSync(file('leftover-throw.ts'), scenarioSource('leftover-throw', "w.sim.schedule(1000, () => { void Promise.reject(new Error('a rejected promise nobody awaits')); });"));
  // Fails 'planted' on every run; with level below 5 (which a shrink tries) it first calls process.exit.
  writeFileSync(
    file('exit-when-shrunk.ts'),
    [
      "import { defineScenario } from '../sim/scenario.ts';",
      "import { param } from '../sim/params.ts';",
      'export default defineScenario({',
      "  name: 'exit-when-shrunk', description: 'hostile fixture', durationNs: 20_000_000,",
      "  params: { level: param.int({ doc: 'a shrink lowers it', default: 5, min: 0, max: 10 }) },",
      "  setup(w, p) { w.sim.schedule(1_000_000, () => { if (p.level < 5) process.exit(0); }); w.sim.schedule(5_000_000, () => w.violation('planted', 'the planted bug')); },",
      '});',
    ].join('\n'),
  );
  writeFileSync(file('bad-params.ts'), scenarioSource('bad-params', '').replace('params: {}', "params: { mode: { type: 'enum', values: 3, default: 'a', doc: 'x' } } as never"));
  writeFileSync(file('prints.ts'), scenarioSource('prints', "w.sim.schedule(1000, () => { console.log('PASS 99 runs'); process.stdout.write('{\"ok\": true}\\n'); });"));
  // Prints more than a thread's stderr hands over at once, at the very end of the run.
  writeFileSync(file('loud.ts'), scenarioSource('loud', "w.sim.schedule(1000, () => { for (let i = 0; i < 400; i++) process.stdout.write(`line ${i} ${'x'.repeat(200)}\\n`); process.stdout.write('LAST LINE\\n'); });"));
  writeFileSync(file('exit-on-import.ts'), `process.exit(0);\n${scenarioSource('exit-on-import', '')}`);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('runaway scenario code in run/replay', () => {
  it('process.exit(0) in setup: a crash of the seed, exit 1, a JSON object on stdout', () => {
    const r = detsim(['run', file('exit-setup.ts'), '--seed', '1', '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.ok).toBe(false);
    expect(j.outcome).toBe('crash');
    expect(j.violations[0].message).toContain('the scenario called process.exit(0)');
    expect(j.replay).toContain('--seed 1');
  });

  it('process.exit(0) mid-run: FAIL line and replay command last, exit 1; replaying its repro fails the same way', () => {
    const repro = file('exit-midrun-seed4.json');
    const r = detsim(['run', file('exit-midrun.ts'), '--seed', '4', '--repro', repro]);
    expect(r.code).toBe(1);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toContain('seed 4');
    expect(r.out).toContain('the scenario called process.exit(0)');
    expect(r.out).toContain('about-to-exit'); // the last trace lines
    expect(lines.at(-1)).toMatch(/^replay: npx detsim replay /);
    const again = detsim(['replay', repro, '--json']);
    expect(again.code).toBe(1);
    const j = JSON.parse(again.out);
    expect(j.outcome).toBe('crash');
    expect(j.violations[0].message).toContain('the scenario called process.exit(0)');
  });

  it('an endless loop inside one event: stopped at --timeout, reported as a hang with the last trace lines; the --trace file ends at the last record before the loop', () => {
    const trace = file('loop-trace.jsonl');
    const r = detsim(['run', file('loop.ts'), '--seed', '1', '--timeout', '2', '--trace', trace]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('more than 2s of wall time');
    expect(r.out).toMatch(/before-loop\s+last words/);
    expect(r.out).toMatch(/^replay: npx detsim run .*loop\.ts --seed 1$/m);
    const records = readFileSync(trace, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; detail: string });
    expect(records.at(-1)).toMatchObject({ kind: 'before-loop', detail: 'last words' });
    expect(records.filter((x) => x.kind === 'tick')).toHaveLength(5);
  });

  it('an endless loop before anything was traced: the report says where it stopped is unknown, not "at 0ns (event #0)"', () => {
    const r = detsim(['run', file('loop-silent.ts'), '--seed', '1', '--timeout', '1']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('hang before the first traced event: ');
    expect(r.out).toContain('it traced nothing before it stopped');
    expect(r.out).not.toContain('event #0');
    expect(r.out).not.toContain('the last trace lines show where it was');
  });

  it('the same hang in replay <scenario> --seed, with --json: one JSON object, exit 1', () => {
    const r = detsim(['replay', file('loop.ts'), '--seed', '2', '--timeout', '1', '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.violations[0].invariant).toBe('hang');
    expect(j.log.at(-1)).toContain('before-loop');
  });

  it('an endless loop that traces as it spins: the hang report shows its last lines whole, consecutive, non-ASCII intact, long ones cut', () => {
    const r = detsim(['run', file('spin.ts'), '--seed', '1', '--timeout', '1', '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as { violations: { invariant: string }[]; log: string[] };
    expect(j.violations[0]!.invariant).toBe('hang');
    expect(j.log.length).toBeGreaterThanOrEqual(5);
    const ks = j.log.map((line) => {
      const m = /^0\.000001000 #\d+\s+n1\s+spin\s+k=(\d+) é→😀 (x*)(…?)$/u.exec(line);
      expect(m, line).not.toBeNull();
      const k = Number(m![1]);
      // Cut at 170 UTF-16 units (the emoji is two), or whole.
      if (m![3] === '…') expect(line.length).toBe(170);
      else expect(m![2]).toBe('x'.repeat(k % 300));
      return k;
    });
    expect(ks).toEqual(ks.map((_, i) => ks[0]! + i));
  });

  it('unbounded allocation in one event: "out of memory" for the seed at --max-memory, exit 1, no V8 stack', () => {
    const r = detsim(['run', file('hog.ts'), '--seed', '1', '--max-memory', '128']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('out of memory');
    expect(r.out).toContain('128 MB');
    expect(r.err).not.toMatch(/FATAL ERROR|JavaScript heap|^\s+at /m);
  });

  it('an async callback that throws after its await: run fails (exit 1), not a pass with the throw ignored', () => {
    const r = detsim(['run', file('late-reject.ts'), '--seed', '1', '--json']);
    expect(r.code, r.err).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.ok).toBe(false);
    expect(j.violations[0].message).toMatch(/thrown after an await/);
  });

  it('an async callback that only schedules after its await: run fails (exit 1), naming the cause', () => {
    const r = detsim(['run', file('late-timer.ts'), '--seed', '1', '--json']);
    expect(r.code, r.err).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.ok).toBe(false);
    expect(j.violations[0].message).toMatch(/scheduled an event after the run of late-timer seed 1 ended/);
  });

  it('a real timer longer than 0 ms: run and sweep fail the seed (its callback is outside the checked run), the repro replays the failure', () => {
    const repro = file('timer-10ms-seed1.json');
    const r = detsim(['run', file('timer-10ms.ts'), '--seed', '1', '--repro', repro]);
    expect(r.code, r.err).toBe(1);
    expect(r.out).toMatch(/^FAIL timer-10ms seed 1: the scenario left a real timer pending \(a run never waits for real time\)/m);
    expect(r.out).toMatch(/real-timer at 1s \(event #\d+\): the scenario set a real timer that had not run when the run ended \(setTimeout\(fn, 10 ms\)\): a run never waits for real time, so its callback would run outside the checked run, and was not run; schedule it in simulated time with w\.sim\.schedule\(delayNs, fn\)/);
    // Never called, though due before the verdict: what it does would depend on the machine's speed.
    expect(r.out).not.toContain('from a real timer');
    const again = detsim(['replay', repro, '--json']);
    expect(again.code, again.out).toBe(1);
    expect(JSON.parse(again.out)).toMatchObject({ reproduced: true, violations: [{ invariant: 'real-timer' }] });
    expect(JSON.parse(again.out).violations).toHaveLength(1);
    const sweep = detsim(['sweep', file('timer-10ms.ts'), '--seeds', '2', '--jobs', '1', '--out', file('timer-10ms-out'), '--json']);
    expect(sweep.code, sweep.err).toBe(1);
    const j = JSON.parse(sweep.out);
    expect(j.summary).toMatchObject({ runs: 2, failed: 2 });
    for (const f of j.failures) expect(f.violations[0]).toMatchObject({ invariant: 'real-timer' });
  });

  it('real timers cleared before the end, and one due at once, leave the run passing (run and sweep)', () => {
    const r = detsim(['run', file('timer-cleared.ts'), '--seed', '1', '--json']);
    expect(r.code, r.out).toBe(0);
    expect(JSON.parse(r.out).ok).toBe(true);
    const sweep = detsim(['sweep', file('timer-cleared.ts'), '--seeds', '2', '--jobs', '1', '--out', file('timer-cleared-out'), '--json']);
    expect(sweep.code, sweep.out).toBe(0);
  });

  it('every kind of pending real timer is named: an interval, node:timers, one made after the run ended', () => {
    const r = detsim(['run', file('timer-kinds.ts'), '--seed', '1', '--json']);
    expect(r.code, r.err).toBe(1);
    const v = (JSON.parse(r.out) as { violations: { invariant: string; message: string }[] }).violations.find((x) => x.invariant === 'real-timer');
    expect(v?.message).toContain('(setInterval(fn, 5 ms), setTimeout(fn, 20 ms), setTimeout(fn, 1 ms) after the run had ended)');
  });

  it('the same in a sweep: every seed fails, each for its own throw (the last seed too, not only the next one run)', () => {
    const r = detsim(['sweep', file('late-reject.ts'), '--seeds', '3', '--jobs', '1', '--out', file('late-reject-out'), '--json']);
    expect(r.code, r.err).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.summary).toMatchObject({ runs: 3, passed: 0, failed: 3 });
    for (const f of j.failures) expect(f.violations[0].message).toMatch(/thrown after an await/);
  });

  it('a setImmediate loop and a node:timers/promises sleep fail the seed in run and sweep (their callbacks ran after the verdict: the run passed)', () => {
    const r = detsim(['run', file('timer-loops.ts'), '--seed', '1', '--json']);
    expect(r.code, r.err).toBe(1);
    const v = (JSON.parse(r.out) as { violations: { invariant: string; message: string }[] }).violations;
    expect(v.map((x) => x.invariant)).toEqual(['real-timer']);
    expect(v[0]!.message).toContain('(timers/promises setTimeout(10 ms), setImmediate(fn) after the run had ended)');
    const sweep = detsim(['sweep', file('timer-loops.ts'), '--seeds', '2', '--jobs', '1', '--out', file('timer-loops-out'), '--json']);
    expect(sweep.code, sweep.err).toBe(1);
    expect(JSON.parse(sweep.out).summary).toMatchObject({ runs: 2, failed: 2 });
  });

  it('a setImmediate and a 0 ms timers/promises sleep made during the run are waited for: the run passes (run and sweep)', () => {
    const r = detsim(['run', file('timer-soon.ts'), '--seed', '1', '--json']);
    expect(r.code, r.out).toBe(0);
    const sweep = detsim(['sweep', file('timer-soon.ts'), '--seeds', '2', '--jobs', '1', '--out', file('timer-soon-out'), '--json']);
    expect(sweep.code, sweep.out).toBe(0);
  });

  it('a promise left rejected in a sweep: the seed fails, and no stack trace reaches the terminal', () => {
    const r = detsim(['sweep', file('leftover-throw.ts'), '--seeds', '2', '--jobs', '1', '--out', file('leftover-throw-out')]);
    expect(r.code, r.err).toBe(1);
    expect(r.out).toMatch(/^FAIL 2 runs, 0 passed, 2 failed/m);
    expect(r.err).not.toMatch(/^\s+at |Node\.js v|ProcessExit/m);
  });

  it('shrink: a trial that calls process.exit is not kept and the shrink goes on (it ended the shrink with exit 0, no file, no word)', () => {
    const repro = file('exit-when-shrunk.json');
    expect(detsim(['run', file('exit-when-shrunk.ts'), '--seed', '1', '--no-swarm', '--repro', repro]).code).toBe(1);
    const out = file('exit-when-shrunk.shrunk.json');
    const r = detsim(['shrink', repro, '--out', out, '--max-runs', '20']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^shrunk in \d+ runs/m);
    expect(r.err).toMatch(/^detsim: shrink run \d+ was stopped from outside or left a real timer, so its change is not kept: the scenario called process\.exit\(0\)/m);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ params: { level: 5 }, violations: [{ invariant: 'planted' }] });
  });

  it('a scenario file whose params have the wrong shape: exit 2, one line, no TypeError stack', async () => {
    const r = await inProcess(['run', file('bad-params.ts'), '--seed', '1']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/params are not parameter definitions/);
    expect(r.err.split('\n')).toHaveLength(1);
  });

  it('a regression list whose entry names a scenario file: exit 2, one line (the file was imported, then a TypeError)', async () => {
    const list = file('file-regressions.json');
    writeFileSync(list, JSON.stringify({ format: 'detsim-regressions/1', seeds: [{ scenario: file('exit-setup.ts'), seed: 1, params: {}, buggify: true, why: 'x' }] }));
    const r = await inProcess(['regress', list, '--out', file('regress-out')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/entry 1 names the scenario file .*exit-setup\.ts, and a regression list names built-in scenarios only/);
  });

  it('a scenario that prints to stdout: its prints go to stderr, and --json stdout stays one JSON object (run and sweep)', () => {
    const run = detsim(['run', file('prints.ts'), '--seed', '1', '--json']);
    expect(run.code, run.err).toBe(0);
    expect(JSON.parse(run.out).ok).toBe(true);
    expect(run.err).toContain('PASS 99 runs');
    const sweep = detsim(['sweep', file('prints.ts'), '--seeds', '2', '--jobs', '1', '--out', file('prints-out'), '--json']);
    expect(sweep.code, sweep.err).toBe(0);
    expect(JSON.parse(sweep.out).summary).toMatchObject({ runs: 2, passed: 2 });
    expect(sweep.err).toContain('{"ok": true}');
  });

  it('fixed bug: a sweep or run ending right after a scenario printed a lot kept every print (the thread was ended with prints on their way: a seed\'s last lines were lost)', () => {
    const sweep = detsim(['sweep', file('loud.ts'), '--seeds', '3', '--jobs', '1', '--out', file('loud-out'), '--json']);
    expect(sweep.code, sweep.err).toBe(0);
    expect(sweep.err.split('\n').filter((l) => l === 'LAST LINE')).toHaveLength(3);
    expect(sweep.err.split('\n').filter((l) => l.startsWith('line 399 '))).toHaveLength(3);
    const run = detsim(['run', file('loud.ts'), '--seed', '1', '--json']);
    expect(run.code, run.err).toBe(0);
    expect(run.err.split('\n').filter((l) => l === 'LAST LINE')).toHaveLength(1);
  });

  it('process.exit at the top level of a scenario file: exit 2, one line', async () => {
    const r = await inProcess(['run', file('exit-on-import.ts'), '--seed', '1']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('called process.exit');
    expect(r.err.split('\n')).toHaveLength(1);
  });
});

describe('bad input is exit 2, one line, before any work', () => {
  const cases: [string, string[], RegExp][] = [
    ['--timeout -1', ['run', 'broadcast', '--seed', '1', '--timeout=-1'], /--timeout must be a number of seconds from 0 \(no limit\) to \d+/],
    ['--timeout abc', ['run', 'broadcast', '--seed', '1', '--timeout', 'abc'], /--timeout must be a number of seconds/],
    ['--max-memory 5', ['run', 'broadcast', '--seed', '1', '--max-memory', '5'], /--max-memory must be an integer from 64 to \d+ \(MB\)/],
    ['--lines -5', ['run', 'broadcast', '--seed', '1', '--lines=-5'], /--lines must be an integer from 0 to 100000, got "-5"/],
    ['--seed twice', ['run', 'broadcast', '--seed', '1', '--seed', '2'], /--seed is given 2 times; give it once/],
    ['a huge seed', ['run', 'broadcast', '--seed', '9'.repeat(400)], /--seed must be at most 9007199254740991, got 9{60}…$/],
    ['a hex seed', ['run', 'broadcast', '--seed', '0x10'], /--seed must be a non-negative integer written in decimal digits/],
    ['nodes=0x3', ['run', 'broadcast', '--seed', '1', '--param', 'nodes=0x3'], /scenario broadcast: parameter nodes must be an integer written in decimal digits .* got "0x3"/],
    ['nodes=1e1', ['run', 'broadcast', '--seed', '1', '--param', 'nodes=1e1'], /parameter nodes must be an integer/],
    ['nodes=+3', ['run', 'broadcast', '--seed', '1', '--param', 'nodes=+3'], /parameter nodes must be an integer/],
    ['nodes= 3', ['run', 'broadcast', '--seed', '1', '--param', 'nodes= 3'], /parameter nodes must be an integer/],
    ['nodes=3.0', ['run', 'broadcast', '--seed', '1', '--param', 'nodes=3.0'], /parameter nodes must be an integer/],
    ['netLossRate=0x1', ['run', 'broadcast', '--seed', '1', '--param', 'netLossRate=0x1'], /parameter netLossRate must be a decimal number/],
    ['netLossRate=Infinity', ['run', 'broadcast', '--seed', '1', '--param', 'netLossRate=Infinity'], /parameter netLossRate must be a decimal number/],
    ['--param constructor=1', ['run', 'broadcast', '--seed', '1', '--param', 'constructor=1'], /has no parameter "constructor"/],
    ['--trace into a missing folder', ['run', 'broadcast', '--seed', '1', '--trace', 'no/such/dir/t.jsonl'], /--trace no\/such\/dir\/t.jsonl: the folder no\/such\/dir does not exist/],
    ['--timeline into a missing folder', ['run', 'broadcast', '--seed', '1', '--timeline', 'no/such/t.html'], /--timeline .*does not exist/],
    ['--repro into a missing folder', ['run', 'broadcast', '--seed', '1', '--repro', 'no/such/r.json'], /--repro .*does not exist/],
    ['--trace naming a folder', ['run', 'broadcast', '--seed', '1', '--trace', '.'], /--trace \. is a folder/],
    ['replay --trace into a missing folder', ['replay', 'broadcast', '--seed', '1', '--trace', 'no/such/t.jsonl'], /--trace .*does not exist/],
    ['check --timeout -1', ['check', 'package.json', '--model', 'kv', '--timeout=-1'], /--timeout must be an integer from 1 to \d+ \(milliseconds\)/],
    ['check --timeout abc', ['check', 'package.json', '--model', 'kv', '--timeout', 'abc'], /--timeout must be an integer from 1 to \d+ \(milliseconds\)/],
    ['check --timeout 0', ['check', 'package.json', '--model', 'kv', '--timeout', '0'], /--timeout must be an integer from 1 to \d+ \(milliseconds\)/],
    ['bug=phantom over two scenarios', ['sweep', 'broadcast', 'escrow-reaper', '--seeds', '1', '--param', 'bug=phantom'], /^detsim: scenario escrow-reaper: parameter bug must be one of/],
    // Values a scenario refuses together (Scenario.checkParams), in each command that runs seeds.
    ['run: one keep-alive connection for a million requests', ['run', 'lb-churn', '--seed', '1', '--param', 'clients=1', '--param', 'connsPerClient=1', '--param', 'requestsPerConn=1000000'], /^detsim: scenario lb-churn: the clients open new connections too slowly for every-backend-receives-traffic-after-recovery: .* raise clients or connsPerClient, or lower requestsPerConn or thinkMsMean$/],
    ['replay: a non-prime Maglev table', ['replay', 'lb-churn', '--seed', '1', '--param', 'maglevTableSize=4'], /^detsim: scenario lb-churn: maglevTableSize 4 is not prime/],
    ['sweep: a health timeout longer than the interval', ['sweep', 'lb-*', '--seeds', '2', '--param', 'healthTimeoutMs=500'], /^detsim: scenario lb-algorithms: healthTimeoutMs 500 is longer than healthIntervalMs 20: a health check must time out before the next one starts/],
    ['a latency above what the timeouts cover', ['run', 'broadcast', '--seed', '1', '--param', 'netLatencyMsMedian=300'], /^detsim: scenario broadcast: parameter netLatencyMsMedian must be in \[0.001, 62.5\], got 300$/],
  ];
  for (const [what, args, msg] of cases) {
    it(what, async () => {
      const r = await inProcess(args);
      expect(r.code, r.out + r.err).toBe(2);
      expect(r.err.split('\n')).toHaveLength(1);
      expect(r.err).toMatch(msg);
      expect(r.out).toBe('');
    });
  }

  it('a command without its first argument says what to type (a guessed --scenario-file too), not yargs\' "Not enough non-option arguments"', async () => {
    for (const [args, want] of [
      [['run', '--seed', '1'], /^detsim: run needs a scenario, a built-in name \(detsim list\) or a \.ts file, as its first argument: detsim run broadcast --seed 1/],
      [['run', '--scenario-file', './my.ts', '--seed', '1'], /^detsim: run needs a scenario/],
      [['sweep', '--seeds', '3'], /^detsim: sweep needs scenarios as its first arguments/],
      [['replay'], /^detsim: replay needs a repro file/],
      [['merge'], /^detsim: merge needs results files/],
    ] as const) {
      const r = await inProcess([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(want);
      expect(r.err).not.toContain('non-option');
    }
  });

  it('shrink of a repro whose run was stopped (a hang): exit 2 before any run, not a hung shrink', async () => {
    const repro = file('hang-repro.json');
    writeFileSync(repro, JSON.stringify({ format: 'detsim-repro/1', scenario: 'broadcast', seed: 3, params: {}, swarm: true, buggify: true, traceHash: '', violations: [{ invariant: 'hang', message: 'the run took more than 600s of wall time' }] }));
    const r = await inProcess(['shrink', repro]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/was stopped from outside \(hang/);
  });

  it('shrink --out into a missing folder', async () => {
    const repro = file('for-shrink.json');
    writeFileSync(repro, JSON.stringify({ format: 'detsim-repro/1', scenario: 'broadcast', seed: 3, params: {}, swarm: true, buggify: true, traceHash: 'x', violations: [{ invariant: 'no-phantom-delivery' }] }));
    const r = await inProcess(['shrink', repro, '--out', 'no/such/dir/s.json']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--out .*does not exist/);
  });
});

describe('a seed whose swarm draws clash with the pins', () => {
  // It runs with the defaults of the parameters not pinned (resolveCheckedParams): the header shows
  // them, and the note says why, or a user reads the defaults as the seed's draws.
  it('says it runs with the defaults, and why; a seed whose draws fit says nothing', async () => {
    const clash = await inProcess(['run', 'lb-crash', '--seed', '1', '--param', 'healthTimeoutMs=90', '--param', 'durationS=0.5']);
    expect(clash.code, clash.out + clash.err).toBe(0);
    expect(clash.out).toMatch(/^note: with the pinned values, seed 1's swarm draws make a combination lb-crash refuses \(healthTimeoutMs 90 is longer than healthIntervalMs 61\.226261: .*\), so this seed runs with the defaults of the parameters not pinned$/m);
    expect(clash.out).toMatch(/ healthIntervalMs=100 /);
    const fits = await inProcess(['run', 'lb-crash', '--seed', '2', '--param', 'healthTimeoutMs=90', '--param', 'durationS=0.5']);
    expect(fits.code, fits.out + fits.err).toBe(0);
    expect(fits.out).not.toMatch(/^note:/m);
  });

  it('a sweep records it in the seed\'s result line and names the scenario, how many runs, the first seed and why', () => {
    const out = file('fallback-sweep');
    const r = detsim(['sweep', 'lb-crash', '--seeds', '2', '--jobs', '1', '--param', 'healthTimeoutMs=90', '--param', 'durationS=0.5', '--out', out, '--run-id', 'fb']);
    expect(r.code, r.out + r.err).toBe(0);
    const lines = readFileSync(path.join(out, 'fb.results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seed?: number; paramsFellBack?: string; params?: Record<string, unknown> });
    const bySeed = new Map(lines.filter((l) => l.seed !== undefined).map((l) => [l.seed!, l]));
    expect(bySeed.get(1)!.paramsFellBack).toMatch(/^healthTimeoutMs 90 is longer than healthIntervalMs 61\.226261/);
    expect(bySeed.get(1)!.params!.healthIntervalMs).toBe(100); // the default, not the draw
    expect(bySeed.get(2)!.paramsFellBack).toBeUndefined();
    const all = r.out + '\n' + r.err;
    expect(all).toMatch(/RAN WITH DEFAULTS: lb-crash: 1 of its 2 run\(s\) ran with the defaults of the parameters not pinned, .*\(first: seed 1: healthTimeoutMs 90 is longer/);
    const json = detsim(['merge', out, '--json']);
    expect(json.code, json.err).toBe(0);
    const report = JSON.parse(json.out) as { scenarios: { scenario: string; ranWithDefaults?: { runs: number; firstSeed: number; why: string } }[] };
    expect(report.scenarios[0]!.ranWithDefaults).toMatchObject({ runs: 1, firstSeed: 1 });
  });
});

describe('detsim check on hostile histories', () => {
  it('garbage bytes: exit 2, a short escaped excerpt, no raw control bytes', async () => {
    const bytes = Buffer.alloc(4000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 97 + 13) % 256;
    bytes[0] = 0x1b; // an escape sequence first
    writeFileSync(file('garbage.edn'), bytes);
    for (const model of ['kv', 'etcd']) {
      const r = await inProcess(['check', file('garbage.edn'), '--model', model]);
      expect(r.code).toBe(2);
      expect(r.err.split('\n')).toHaveLength(1);
      // eslint-disable-next-line no-control-regex
      expect(r.err).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u009b]/);
      expect(r.err.length).toBeLessThan(600);
    }
  });

  it('--timeout 100 on a 200k-operation history: undecided (exit 3) and the reported time stays near the budget', async () => {
    // 200k operations on 50 keys by 400 processes, overlapping: large to read, hard to search.
    const lines: string[] = [];
    for (let round = 0; round < 500; round++) {
      for (let p = 0; p < 200; p++) lines.push(`{:process ${p}, :type :invoke, :f :append, :key "${p % 50}", :value "v${round}-${p} "}`);
      for (let p = 0; p < 200; p++) lines.push(`{:process ${p}, :type :ok, :f :append, :key "${p % 50}", :value "v${round}-${p} "}`);
      for (let p = 200; p < 400; p++) lines.push(`{:process ${p}, :type :invoke, :f :get, :key "${p % 50}", :value nil}`);
      for (let p = 200; p < 400; p++) lines.push(`{:process ${p}, :type :ok, :f :get, :key "${p % 50}", :value "v${round}-${p - 200} "}`);
    }
    writeFileSync(file('big.edn'), lines.join('\n'));
    const r = await inProcess(['check', file('big.edn'), '--model', 'kv', '--timeout', '100', '--json']);
    expect(r.code).toBe(3);
    const j = JSON.parse(r.out);
    expect(j.linearizable).toBe('unknown');
    expect(j.unknownReason).toBe('timeout');
    // Reading, parsing and searching share the budget; the margin is generous (a loaded CI machine).
    expect(j.timeMs).toBeGreaterThanOrEqual(100);
    expect(j.timeMs).toBeLessThan(1100);
  });
});

describe('repro files are data', () => {
  it('a scenario file outside the working directory and the repro folder is refused before it is imported; --allow-scenario-file runs it', async () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'detsim-outside-'));
    const reproDir = mkdtempSync(path.join(tmpdir(), 'detsim-repros-'));
    try {
      const marker = path.join(outside, 'imported.txt');
      const scn = path.join(outside, 'evil.ts');
      writeFileSync(scn, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\nexport default { name: 'evil', description: '', params: {}, durationNs: 1000, setup() {} };\n`);
      const repro = path.join(reproDir, 'r.json');
      writeFileSync(repro, JSON.stringify({ format: 'detsim-repro/1', scenario: 'evil', scenarioFile: scn, seed: 1, params: {}, swarm: false, buggify: false, traceHash: 'x', violations: [] }));
      const r = await inProcess(['replay', repro]);
      expect(r.code).toBe(2);
      expect(r.err).toContain('outside the working directory');
      expect(r.err).toContain('--allow-scenario-file');
      expect(existsSync(marker)).toBe(false);
      const s = await inProcess(['shrink', repro]);
      expect(s.code).toBe(2);
      expect(existsSync(marker)).toBe(false);
      // The same via "scenario" holding a path.
      writeFileSync(repro, JSON.stringify({ format: 'detsim-repro/1', scenario: scn, seed: 1, params: {}, swarm: false, buggify: false, traceHash: 'x' }));
      expect((await inProcess(['replay', repro])).code).toBe(2);
      expect(existsSync(marker)).toBe(false);
      const allowed = await inProcess(['replay', repro, '--allow-scenario-file', '--json']);
      expect(existsSync(marker)).toBe(true);
      expect(allowed.code).toBe(4); // it ran; the recorded trace hash "x" differs: not reproduced
    } finally {
      rmSync(outside, { recursive: true, force: true });
      rmSync(reproDir, { recursive: true, force: true });
    }
  });

  it("a scenario file named relative to the repro's folder is fine", async () => {
    const sub = path.join(dir, 'shared-repro');
    mkdirSync(sub, { recursive: true });
    writeFileSync(path.join(sub, 'mine.ts'), scenarioSource('mine', "w.sim.schedule(10, () => w.sim.log('n1', 'hello'));").replace(/\.\.\/sim\//g, '../../sim/'));
    const repro = path.join(sub, 'r.json');
    writeFileSync(repro, JSON.stringify({ format: 'detsim-repro/1', scenario: 'mine', scenarioFile: 'mine.ts', seed: 1, params: {}, swarm: false, buggify: false, traceHash: 'x' }));
    const r = await inProcess(['replay', repro, '--json']);
    expect(JSON.parse(r.out).ok).toBe(true);
  });

  it("a repro of the user's own scenario file records it relative to the repro's folder: moved together (a CI artifact in another checkout), it replays and exports; an old absolute one still replays", () => {
    const made = mkdtempSync(path.join(ROOT, '.tmp-repro-made-'));
    const moved = `${made}-moved`;
    try {
      writeFileSync(path.join(made, 'fails.ts'), scenarioSource('fails', "w.sim.schedule(1000, () => w.violation('always', 'fails on purpose'));"));
      mkdirSync(path.join(made, 'out'));
      const made1 = detsim(['run', 'fails.ts', '--seed', '1', '--repro', 'out/fails-seed1.json'], made);
      expect(made1.code, made1.err).toBe(1);
      const repro = JSON.parse(readFileSync(path.join(made, 'out', 'fails-seed1.json'), 'utf8')) as { scenarioFile: string; run: string };
      expect(repro.scenarioFile).toBe('../fails.ts');
      expect(repro.run).toMatch(/^npx detsim run fails\.ts --seed 1/);
      renameSync(made, moved);
      const r = detsim(['replay', 'out/fails-seed1.json', '--json'], moved);
      expect(r.code, r.err).toBe(1);
      expect(JSON.parse(r.out)).toMatchObject({ reproduced: true, violations: [{ invariant: 'always' }] });
      const exported = detsim(['export', 'out/fails-seed1.json', '--out', 'fails.test.ts'], moved);
      expect(exported.code, exported.err).toBe(0);
      expect(readFileSync(path.join(moved, 'fails.test.ts'), 'utf8')).toContain("from './fails.ts'");
      // A repro written before (an absolute path) is read as it was.
      writeFileSync(path.join(moved, 'out', 'old.json'), JSON.stringify({ ...JSON.parse(readFileSync(path.join(moved, 'out', 'fails-seed1.json'), 'utf8')), scenarioFile: path.join(moved, 'fails.ts') }));
      const old = detsim(['replay', 'out/old.json', '--json'], moved);
      expect(old.code, old.err).toBe(1);
      expect(JSON.parse(old.out).reproduced).toBe(true);
    } finally {
      rmSync(made, { recursive: true, force: true });
      rmSync(moved, { recursive: true, force: true });
    }
  });

  it('wrong types in a repro file: exit 2, one line', async () => {
    const bad: [string, Record<string, unknown>, RegExp][] = [
      ['violations null', { violations: null }, /"violations" must be a list/],
      ['a param object', { params: { nodes: { x: 1 } } }, /parameter "nodes" must be a number, string or boolean/],
      ['a hex param', { params: { nodes: '0x3' } }, /parameter nodes must be an integer/],
      ['pins a string', { pins: 'x' }, /"pins" must be an object/],
      ['scenarioFile a number', { scenarioFile: 7 }, /"scenarioFile" must be a string/],
      ['params an array', { params: [1] }, /"params" must be an object/],
    ];
    for (const [what, patch, msg] of bad) {
      const repro = file(`bad-${what.replace(/\W/g, '-')}.json`);
      writeFileSync(repro, JSON.stringify({ format: 'detsim-repro/1', scenario: 'broadcast', seed: 1, params: {}, swarm: false, buggify: false, traceHash: 'x', ...patch }));
      for (const cmd of ['replay', 'shrink']) {
        const r = await inProcess([cmd, repro]);
        expect(r.code, `${cmd} ${what}: ${r.err}`).toBe(2);
        expect(r.err).toMatch(msg);
      }
    }
  });
});

describe('a trace written to a pipe', () => {
  it('--trace /dev/stdout into a pipe whose reader falls behind: every record arrives whole, then the verdict (ESPIPE before; then records cut where a write took part of a buffer)', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [BIN, 'run', 'broadcast', '--seed', '1', '--param', 'durationS=40', '--trace', '/dev/stdout'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    // The reader stops for a while: the pipe fills, and the run's writes take part of a buffer or none.
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), 1500); // wallclock-ok: a slow reader, not a timing
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(err).toBe('');
    expect(code).toBe(0);
    const records = out.split('\n').filter((l) => l.startsWith('{"t":'));
    expect(records.length).toBeGreaterThan(1000);
    const cut = records.filter((l) => {
      try {
        JSON.parse(l);
        return false;
      } catch {
        return true;
      }
    });
    expect(cut).toEqual([]);
    // The last record comes before the verdict.
    expect(out).toMatch(/^PASS broadcast seed 1: /m);
    expect(out.lastIndexOf('{"t":')).toBeLessThan(out.indexOf('PASS broadcast seed 1'));
  });

  it('advice for an output file that could not be written names the cause', async () => {
    const { outputAdvice } = await import('./run-watched.ts');
    expect(outputAdvice('EPIPE: broken pipe, write')).toContain('stopped reading');
    expect(outputAdvice('ENOSPC: no space left on device, write')).toContain('disk space');
    expect(outputAdvice('EACCES: permission denied, open')).toContain('can write to');
    expect(outputAdvice('EIO: i/o error, write')).toBe('name another file');
  });
});

describe('interrupted runs', () => {
  it('SIGINT during a run: exit 130, one line on stderr, no verdict; the trace file holds what ran', async () => {
    const { spawn } = await import('node:child_process');
    const trace = file('interrupted.jsonl');
    const child = spawn(process.execPath, [BIN, 'run', file('loop.ts'), '--seed', '1', '--timeout', '0', '--trace', trace], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // The header (seed and params) is printed just before the run's thread starts.
    for (let i = 0; i < 600 && !out.includes('params:'); i++) await new Promise((r) => setTimeout(r, 100));
    // Give the thread time to reach the loop, then interrupt.
    for (let i = 0; i < 600; i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (existsSync(trace)) break;
    }
    await new Promise((r) => setTimeout(r, 3000));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(130);
    expect(err).toMatch(/^detsim: SIGINT: stopped; seed 1 of loop did not finish/);
    expect(out).not.toMatch(/PASS|FAIL/);
    const records = readFileSync(trace, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string });
    expect(records.at(-1)!.kind).toBe('before-loop');
  });
});

// merge prints its report on the process's stdout (not through main's io): these run as processes.
describe('damaged results files in merge (never a PASS of runs it cannot account for)', () => {
  const header = (runId: string, seeds: number): string => JSON.stringify({ format: 'detsim-results/1', kind: 'header', runId, startedAt: '2026-01-01T00:00:00.000Z', command: `detsim sweep broadcast --seeds ${seeds}`, scenarios: ['broadcast'], seeds, from: 1, shard: null, planned: seeds, swarm: true, buggify: true, mode: 'sweep' });
  const result = (runId: string, seed: number): string => JSON.stringify({ format: 'detsim-result/1', scenario: 'broadcast', seed, ok: true, outcome: 'pass', violations: [], pending: [], traceHash: 'x', events: 1, simTimeNs: 1, runId });
  const results = (name: string, lines: string[]): string => {
    const f = file(`${name}.results.jsonl`);
    writeFileSync(f, lines.map((l) => `${l}\n`).join(''));
    return f;
  };

  it('an empty results file (a sweep killed before its first line) is incomplete, exit 1', () => {
    const r = detsim(['merge', results('empty', []), '--json']);
    expect(r.code, r.err).toBe(1);
    const report = JSON.parse(r.out) as { incomplete: string[] };
    expect(report.incomplete.join('\n')).toMatch(/empty\.results\.jsonl has no header line \(the file is empty\)/);
  });

  it('result lines without a header: INCOMPLETE, exit 1 (how many runs were planned is unknown)', () => {
    const r = detsim(['merge', results('headless', [result('h', 1), result('h', 2)])]);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/INCOMPLETE: .*headless\.results\.jsonl has no header line before its 2 result\(s\)/);
    expect(r.out).toMatch(/^INCOMPLETE 2 runs, /m);
  });

  it("a line copied in from another sweep cannot make a cut-short file whole: exit 2, one line naming it", () => {
    // Sweep b planned 3 runs and wrote 2; sweep a's seed 3 appended would make 3 of 3.
    const f = results('spliced', [header('b', 3), result('b', 1), result('b', 2), result('a', 3)]);
    const r = detsim(['merge', f]);
    expect(r.code, r.out).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/spliced\.results\.jsonl holds a result of sweep "a" \(broadcast seed 3\) after the header of sweep "b"/);
  });

  it('two whole results files concatenated into one: each line counts for its own sweep, a seed both ran counts once, exit 0', () => {
    const f = results('concatenated', [header('c1', 2), result('c1', 1), result('c1', 2), header('c2', 1), result('c2', 1)]);
    const r = detsim(['merge', f, '--json']);
    expect(r.code, r.out).toBe(0);
    const report = JSON.parse(r.out) as { incomplete: string[]; summary: { runs: number; planned: number }; duplicates: { lines: number } };
    expect(report.incomplete).toEqual([]);
    expect(report.summary).toMatchObject({ runs: 2, planned: 2 });
    expect(report.duplicates.lines).toBe(1);
  });

  it('results that hold no run (a shard that got none, an emptied regression list): exit 2, one line, never a PASS', () => {
    const none = results('none', [header('n', 0)]);
    const r = detsim(['merge', none]);
    expect(r.code, r.out).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.trim().split('\n')).toEqual([`detsim: ${none} holds no run (its sweep planned none): nothing was checked, so there is no verdict; merge the results of sweeps that ran seeds (all the shards of a sharded one)`]);
  });

  it('shards given overlapping seed ranges: each run counted once, a warning says so, exit 0', () => {
    const lo = results('lo', [header('lo', 3), result('lo', 1), result('lo', 2), result('lo', 3)]);
    const hi = results('hi', [header('hi', 3).replace('"from":1', '"from":2'), result('hi', 2), result('hi', 3), result('hi', 4)]);
    const r = detsim(['merge', lo, hi]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/^DUPLICATE: broadcast seed 2 is in .*lo\.results\.jsonl and again in .*hi\.results\.jsonl \(same result\): counted once$/m);
    expect(r.out).toMatch(/^PASS 4 runs, 4 passed, 0 failed$/m);
    expect(r.err).toMatch(/^detsim: warning: 2 result line\(s\) repeat a run given already .*each run is counted once\. Give each run's results once$/m);
  });

  it('one seed that passed twice with different traces: a determinism failure in the report and in the HTML page, exit 1', () => {
    const a = results('trace-a', [header('t1', 2), result('t1', 1), result('t1', 2)]);
    const b = results('trace-b', [header('t2', 2), result('t2', 1), JSON.stringify({ ...JSON.parse(result('t2', 2)), traceHash: 'z' })]);
    const html = file('traces.html');
    const r = detsim(['merge', a, b, '--json', '--html', html]);
    expect(r.code, r.out).toBe(1);
    const report = JSON.parse(r.out) as { summary: { runs: number; failed: number }; failures: { seed: number; outcome: string; violations: { invariant: string }[] }[] };
    expect(report.summary).toMatchObject({ runs: 2, failed: 1 });
    expect(report.failures[0]).toMatchObject({ seed: 2, outcome: 'nondeterministic', violations: [{ invariant: 'determinism' }] });
    expect(readFileSync(html, 'utf8')).toMatch(/id="verdict">1 failed</);
  });

  it('one seed given twice with different verdicts: never hidden, the run is a failure, exit 1, the report says which', () => {
    const failed = JSON.stringify({ ...JSON.parse(result('b2', 2)), ok: false, outcome: 'safety', traceHash: 'y', violations: [{ invariant: 'no-phantom-delivery', atNs: 1, eventIndex: 1, message: 'phantom' }] });
    const a = results('build-a', [header('b1', 2), result('b1', 1), result('b1', 2)]);
    const b = results('build-b', [header('b2', 2), result('b2', 1), failed]);
    for (const files of [[a, b], [b, a]]) {
      const r = detsim(['merge', ...files, '--json']);
      expect(r.code, r.out).toBe(1);
      const report = JSON.parse(r.out) as { summary: { runs: number; passed: number; failed: number }; failures: { seed: number; outcome: string }[]; duplicates: { differing: number; notes: string[] } };
      expect(report.summary).toMatchObject({ runs: 2, passed: 1, failed: 1 });
      expect(report.failures).toMatchObject([{ seed: 2, outcome: 'safety' }]);
      expect(report.duplicates.differing).toBe(1);
      expect(report.duplicates.notes[0]).toMatch(/broadcast seed 2 with the same parameters is in .* with different results: first (passed|failed), then .*nondeterministic .*two builds/);
    }
  });
});

describe.runIf(existsSync('/dev/full'))('outputs that fail as they are written (a full disk: /dev/full)', () => {
  it('run --repro: the failure is still reported (exit 1) with its run command; one line says the file is missing', async () => {
    const r = await inProcess(['run', 'broadcast', '--seed', '1', '--param', 'bug=phantom', '--repro', '/dev/full']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL broadcast seed 1/);
    expect(r.out).toMatch(/replay: npx detsim run broadcast --seed 1 --param bug=phantom/);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^detsim: the repro file \/dev\/full could not be written \(ENOSPC/);
  });

  it('run --trace and --timeline: exit 2, one line, no verdict (the run did not fail: the disk did)', async () => {
    for (const flag of ['--trace', '--timeline']) {
      const r = await inProcess(['run', 'broadcast', '--seed', '1', flag, '/dev/full']);
      expect(r.code, `${flag}: ${r.out}`).toBe(2);
      expect(r.err.split('\n')).toHaveLength(1);
      expect(r.err).toMatch(/^detsim: an output file could not be written \(ENOSPC.*stopped without a verdict/);
      expect(r.out).not.toMatch(/PASS|FAIL|written to/);
    }
  });

  it('shrink --out: exit 2, one line, no stack trace', async () => {
    const repro = file('for-shrink-full.json');
    writeFileSync(repro, JSON.stringify({ format: 'detsim-repro/1', scenario: 'broadcast', seed: 1, params: { bug: 'phantom' }, swarm: true, buggify: true, traceHash: 'x', violations: [{ invariant: 'no-phantom-delivery' }] }));
    const r = await inProcess(['shrink', repro, '--out', '/dev/full']);
    expect(r.code, r.err).toBe(2);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^detsim: a file could not be read or written: ENOSPC/);
  });
});

describe('review13h: inputs that never end, reports that are not plain data', () => {
  const zero = (): string => {
    const f = file('zero.json');
    if (!existsSync(f)) symlinkSync('/dev/zero', f);
    return f;
  };

  it.runIf(existsSync('/dev/zero'))('a symlink to /dev/zero as a repro, regression list, results file or history: exit 2 at once, one line, no stack (each read on without end, its heap growing by gigabytes; merge died with a RangeError stack)', () => {
    const z = zero();
    const zr = file('zero.results.jsonl');
    if (!existsSync(zr)) symlinkSync('/dev/zero', zr);
    for (const [args, what] of [
      [['replay', z], 'repro file'],
      [['shrink', z], 'repro file'],
      [['export', z, '--out', file('zero.test.ts')], 'repro file'],
      [['regress', '--add', z], 'repro file'],
      [['regress', z], 'the regression list'],
      [['merge', zr], 'results file'],
    ] as const) {
      const r = detsim([...args], ROOT, 30_000);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(2);
      expect(r.err.trim().split('\n'), args.join(' ')).toEqual([`detsim: cannot read ${what} ${args[0] === 'merge' ? zr : z}: it is a device, not a file (a symlink to /dev/zero?)`]);
    }
    const check = detsim(['check', z, '--model', 'kv', '--timeout', '600000'], ROOT, 30_000);
    expect(check.code, check.err).toBe(2);
    expect(check.err).toMatch(/cannot read the file \(it is a device/);
  });

  it('a repro file larger than detsim ever writes is refused by its size, unread; a results line longer than any is refused where it passes 64 MB', async () => {
    const big = file('huge.json');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, 300 * 1024 * 1024); // sparse: no disk, no newline
    closeSync(fd);
    const r = await inProcess(['replay', big]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`detsim: cannot read repro file ${big}: it is larger than 256 MB, more than detsim ever writes (is it the right file?)`);
    const longLine = file('long.results.jsonl');
    renameSync(big, longLine);
    const m = await inProcess(['merge', longLine]);
    expect(m.code).toBe(2);
    expect(m.err).toBe(`detsim: cannot read results file ${longLine}: line 1 is longer than 64 MB, more than detsim ever writes (is it the right file?)`);
    rmSync(longLine);
  });

  const fixture = path.join(ROOT, 'cli', 'fixtures', 'unclonable.ts');
  const want: [number, RegExp][] = [
    [2, /settles: the check returned a promise; a liveness check returns true once the property holds/],
    [3, /planted: \(the violation's message is not a string: \[object Promise\]\)/],
    [4, /the run's report could not be sent from its thread \(DataCloneError: .*\): a value the scenario put in it .* is not plain data/],
    [5, /a thrown object: \{"plain":"object"\}/],
  ];

  it('run: a promise from a liveness check, a promise as a message, a function as a metric, a plain object thrown: each a FAIL saying so, exit 1, no stack (the command died with a TypeError stack)', () => {
    for (const [seed, msg] of want) {
      const r = detsim(['run', fixture, '--seed', String(seed)]);
      expect(r.code, `seed ${seed}: ${r.err}`).toBe(1);
      expect(r.out, `seed ${seed}`).toMatch(new RegExp(`^FAIL unclonable seed ${seed}: `, 'm'));
      expect(r.out, `seed ${seed}`).toMatch(msg);
      expect(r.err, `seed ${seed}`).not.toMatch(/\n\s+at /);
    }
    expect(detsim(['run', fixture, '--seed', '1']).code).toBe(0);
  });

  it('sweep: the same seeds fail each for its own reason, every seed has its result line (one was a false hang, one "died: undefined")', () => {
    const out = file('unclonable-sweep');
    const r = detsim(['sweep', fixture, '--seeds', '5', '--jobs', '1', '--out', out, '--run-id', 'u', '--seed-timeout', '60']);
    expect(r.code, r.err).toBe(1);
    for (const [seed, msg] of want) expect(r.out.split('\n').find((l) => l.includes(`unclonable seed ${seed}:`)), `seed ${seed}`).toMatch(msg);
    const lines = readFileSync(path.join(out, 'u.results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seed?: number; ok?: boolean });
    expect(lines.filter((l) => l.seed !== undefined).map((l) => [l.seed, l.ok])).toEqual([[1, true], [2, false], [3, false], [4, false], [5, false]]);
  });
});

describe('review13h: a sweep worker that dies right after a reply', () => {
  it('each seed keeps its own result: the odd seeds pass, each even one fails for its own throw (a passing seed was failed, blamed for the next seed\'s throw, in about half the sweeps)', () => {
    const fixture = path.join(ROOT, 'cli', 'fixtures', 'leftover-throw-even.ts');
    // The thread's error and the reply before it race: several sweeps, 8 deaths each.
    for (let k = 0; k < 2; k++) {
      const out = file(`leftover-even-${k}`);
      const r = detsim(['sweep', fixture, '--seeds', '16', '--jobs', k === 1 ? '2' : '1', '--out', out, '--run-id', 'e']);
      expect(r.code, r.err).toBe(1);
      const lines = readFileSync(path.join(out, 'e.results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seed?: number; ok?: boolean; violations?: { message: string }[] });
      const runs = lines.filter((l) => l.seed !== undefined).sort((a, b) => a.seed! - b.seed!);
      expect(runs.map((l) => [l.seed, l.ok]), `sweep ${k}`).toEqual(Array.from({ length: 16 }, (_, i) => [i + 1, (i + 1) % 2 === 1]));
      for (const l of runs.filter((x) => !x.ok)) expect(l.violations?.[0]?.message).toBe(`the worker running this seed died: the leftover of seed ${l.seed}`);
    }
  });
});

describe('review13h: an on/off option given another value', () => {
  it('--check-determinism=yes, --swarm=maybe, --json=1: exit 2, one line (yargs read them as off: the determinism check asked for was skipped and the sweep passed); =true and =false still work', async () => {
    for (const args of [
      ['sweep', 'broadcast', '--seeds', '1', '--check-determinism=yes'],
      ['run', 'broadcast', '--seed', '1', '--swarm=maybe'],
      ['merge', 'x.results.jsonl', '--json=1'],
      ['replay', 'x.json', '--allow-scenario-file=yes'],
    ]) {
      const r = await inProcess(args);
      expect(r.code, args.join(' ')).toBe(2);
      const flag = args.at(-1)!.split('=')[0]!;
      expect(r.err.split('\n')).toEqual([`detsim: ${flag} is on or off: give ${flag} or --no-${flag.slice(2)} (or =true / =false), got "${args.at(-1)!}"`]);
      expect(r.out).toBe('');
    }
    const ok = await inProcess(['run', 'broadcast', '--seed', '1', '--swarm=false', '--json=true']);
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ format: 'detsim-run/1', swarm: false });
  });
});

describe('review13h: a scenario that changes its params object in setup', () => {
  it('the repro records the values drawn, not the changed ones, and replays bit for bit (it recorded level 4 and the replay ran 5, shown as the failure reproduced: the trace hash does not see it)', () => {
    const f = file('bumps-level.ts');
    writeFileSync(
      f,
      [
        "import { defineScenario } from '../sim/scenario.ts';",
        "import { param } from '../sim/params.ts';",
        'export default defineScenario({',
        "  name: 'bumps-level', description: 'hostile fixture', durationNs: 10_000_000,",
        "  params: { level: param.int({ doc: 'setup adds 1 to it', default: 3, min: 0, max: 10 }) },",
        "  setup(w, p) { (p as { level: number }).level += 1; w.sim.schedule(1_000_000, () => { w.sim.log('n1', 'level', String(p.level)); w.violation('planted', `level ${p.level}`); }); },",
        '});',
      ].join('\n'),
    );
    const repro = file('bumps-level.repro.json');
    const r = detsim(['run', f, '--seed', '1', '--param', 'level=3', '--repro', repro]);
    expect(r.code, r.err).toBe(1);
    expect(r.out).toMatch(/planted: level 4/);
    expect((JSON.parse(readFileSync(repro, 'utf8')) as { params: { level: number } }).params.level).toBe(3);
    const again = detsim(['replay', repro]);
    expect(again.code, again.out).toBe(1);
    expect(again.out).toMatch(/planted: level 4/);
    expect(again.out).not.toMatch(/NOT REPRODUCED/);
  });
});
