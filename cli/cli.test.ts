/**
 * The CLI as a user meets it: exit codes, one-line errors, JSON fields, repro files and replay.
 * These spawn `node bin/detsim.js`, exactly what `npx detsim` runs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'detsim.js');

function detsim(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe('detsim run', () => {
  it('prints the JSON fields a CI job reads, and one seed gives one trace hash', () => {
    const a = detsim('run', 'broadcast', '--seed', '7', '--json');
    const b = detsim('run', 'broadcast', '--seed', '7', '--json');
    expect(a.code).toBe(0);
    const ja = JSON.parse(a.out);
    for (const k of ['scenario', 'seed', 'ok', 'violations', 'traceHash', 'events', 'simTimeNs', 'wallMs', 'buggify', 'params']) expect(ja).toHaveProperty(k);
    expect(ja.ok).toBe(true);
    expect(ja.seed).toBe(7);
    expect(JSON.parse(b.out).traceHash).toBe(ja.traceHash);
    expect(detsim('run', 'broadcast', '--seed', '8', '--json').out).not.toContain(`"traceHash": "${ja.traceHash}"`);
  });

  it('starts with the seed and parameters, and a failure ends with the replay command and exit 1', () => {
    const r = detsim('run', 'broadcast', '--seed', '3', '--param', 'bug=phantom');
    expect(r.code).toBe(1);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toContain('seed 3');
    expect(lines[1]).toMatch(/^params: nodes=\d+/);
    expect(lines.at(-1)).toBe('replay: npx detsim run broadcast --seed 3 --param bug=phantom');
    expect(r.out).toContain('no-phantom-delivery');
  });

  it('reports each violation with invariant, time, event index and message', () => {
    const j = JSON.parse(detsim('run', 'broadcast', '--seed', '3', '--param', 'bug=drop-gossip', '--json').out);
    expect(j.ok).toBe(false);
    expect(j.outcome).toBe('liveness');
    expect(j.violations[0]).toMatchObject({ invariant: 'all-acked-delivered-everywhere' });
    expect(typeof j.violations[0].atNs).toBe('number');
    expect(typeof j.violations[0].eventIndex).toBe('number');
  });

  it('--no-buggify reports buggify off and --no-swarm uses the defaults', () => {
    const j = JSON.parse(detsim('run', 'broadcast', '--seed', '5', '--no-buggify', '--no-swarm', '--json').out);
    expect(j.buggify.enabled).toBe(false);
    expect(j.buggify.enabledSites).toEqual([]);
    expect(j.params.nodes).toBe(5);
    expect(j.params.netLossRate).toBe(0.01);
  });

  it('writes the full trace as JSON lines with --trace', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'detsim-'));
    const file = path.join(dir, 't.jsonl');
    const j = JSON.parse(detsim('run', 'broadcast', '--seed', '2', '--param', 'durationS=1', '--trace', file, '--json').out);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(10);
    const first = JSON.parse(lines[0]!);
    expect(first).toHaveProperty('t');
    expect(first).toHaveProperty('kind');
    expect(j.ok).toBe(true);
  });

  it('bad input is one line on stderr and exit 2, never a stack trace', () => {
    const cases: string[][] = [
      ['run', 'no-such-scenario', '--seed', '1'],
      ['run', 'broadcast', '--seed', '-4'],
      ['run', 'broadcast', '--seed', 'abc'],
      ['run', 'broadcast', '--seed', '1', '--param', 'nosuch=1'],
      ['run', 'broadcast', '--seed', '1', '--param', 'nodes=0'],
      ['run', 'broadcast', '--seed', '1', '--param', 'bug=maybe'],
      ['run', 'broadcast'],
      ['replay', '/no/such/file.json'],
      ['sweep', 'nothing-*', '--seeds', '3'],
      ['sweep', 'broadcast', '--seeds', '0'],
      ['frobnicate'],
    ];
    for (const c of cases) {
      const r = detsim(...c);
      expect(r.code, c.join(' ')).toBe(2);
      expect(r.err.trim().split('\n'), c.join(' ')).toHaveLength(1);
      expect(r.err, c.join(' ')).not.toMatch(/\n\s+at /);
    }
  });

  it('a malformed repro file is a one-line error with exit 2', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'detsim-'));
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{"format":"detsim-repro/1","scenario":"broadcast","seed":"x"}');
    const r = detsim('replay', bad);
    expect(r.code).toBe(2);
    expect(r.err).toContain('seed');
    writeFileSync(bad, 'not json');
    expect(detsim('replay', bad).code).toBe(2);
  });
});

describe('detsim sweep and replay', () => {
  it('finds the bug-zoo variant on every seed, writes a repro per failure and a JUnit report, and replays bit for bit', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'detsim-'));
    const junit = path.join(dir, 'junit.xml');
    const r = detsim('sweep', 'broadcast', '--seeds', '6', '--jobs', '2', '--param', 'bug=phantom', '--out', dir, '--junit', junit, '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.summary).toMatchObject({ runs: 6, failed: 6, passed: 0 });
    const repros = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(repros).toHaveLength(6);
    expect(readFileSync(junit, 'utf8')).toContain('<testsuite name="broadcast" tests="6" failures="6"');
    const repro = JSON.parse(readFileSync(path.join(dir, repros[0]!), 'utf8'));
    const replay = detsim('replay', path.join(dir, repros[0]!), '--json');
    expect(replay.code).toBe(1);
    const rj = JSON.parse(replay.out);
    expect(rj.hashMatches).toBe(true);
    expect(rj.traceHash).toBe(repro.traceHash);
    expect(rj.violations[0].invariant).toBe('no-phantom-delivery');
  });

  it('a replay whose trace hash differs says NOT REPRODUCED and exits 4 (not 1: the recorded failure was not reproduced)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'detsim-'));
    detsim('sweep', 'broadcast', '--seeds', '1', '--jobs', '1', '--param', 'bug=phantom', '--out', dir);
    const file = path.join(dir, readdirSync(dir).find((f) => f.endsWith('.json'))!);
    const repro = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...repro, traceHash: '0000000000000000' }));
    const r = detsim('replay', file);
    expect(r.code).toBe(4);
    expect(r.out).toContain('NOT REPRODUCED: the repro recorded safety (no-phantom-delivery) with trace 0000000000000000');
    // A sweep's seed can differ from its replay because of what earlier runs in its worker left: said so.
    expect(r.out).toContain('or the recorded run read state an earlier run in its sweep worker had left at module level');
    expect(r.out).not.toMatch(/^PASS/m);
    const j = JSON.parse(detsim('replay', file, '--json').out);
    expect(j).toMatchObject({ hashMatches: false, reproduced: false });
  });

  it('a recorded failure that now passes is NOT REPRODUCED (exit 4), never PASS; the same trace with another verdict too', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'detsim-'));
    detsim('sweep', 'broadcast', '--seeds', '1', '--jobs', '1', '--param', 'bug=phantom', '--out', dir);
    const file = path.join(dir, readdirSync(dir).find((f) => f.endsWith('.json'))!);
    const repro = JSON.parse(readFileSync(file, 'utf8'));
    // The "fixed" build: the same repro replayed on the correct variant passes, along another trace.
    writeFileSync(file, JSON.stringify({ ...repro, params: { ...repro.params, bug: 'none' } }));
    const r = detsim('replay', file);
    expect(r.code).toBe(4);
    expect(r.out).not.toMatch(/^PASS/m);
    expect(r.out).toMatch(/NOT REPRODUCED: the repro recorded safety \(no-phantom-delivery\) with trace [0-9a-f]{16}; this run passed with trace/);
    expect(r.out).toContain('detsim regress --add');
    // The recorded trace, but the repro names another first violation: the checks changed.
    writeFileSync(file, JSON.stringify({ ...repro, violations: [{ ...repro.violations[0], invariant: 'some-older-check' }] }));
    const v = detsim('replay', file);
    expect(v.code).toBe(4);
    expect(v.out).toContain(`NOT REPRODUCED: the trace is the recorded one (${repro.traceHash}), but the verdict differs`);
    // And the repro as written reproduces: exit 1.
    writeFileSync(file, JSON.stringify(repro));
    const ok = detsim('replay', file, '--json');
    expect(ok.code).toBe(1);
    expect(JSON.parse(ok.out)).toMatchObject({ hashMatches: true, reproduced: true });
  });

  it('a repro written before the scenario gained a parameter replays with that parameter at its default, not a swarm draw', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'detsim-'));
    const file = path.join(dir, 'phantom.json');
    // antiEntropyMs stands for a parameter added later: its default is the behaviour of the build before.
    expect(detsim('run', 'broadcast', '--seed', '3', '--param', 'bug=phantom', '--param', 'antiEntropyMs=200', '--repro', file).code).toBe(1);
    const repro = JSON.parse(readFileSync(file, 'utf8'));
    const { antiEntropyMs: _added, ...older } = repro.params;
    // Left to the swarm, the parameter is drawn and the run moves: the default must be pinned.
    const { runScenario } = await import('../sim/runner.ts');
    const { default: broadcast } = await import('../scenarios/broadcast.ts');
    const drawn = runScenario(broadcast, { seed: 3, pins: older, swarm: true, buggify: repro.buggify });
    expect(drawn.params.antiEntropyMs).not.toBe(200);
    expect(drawn.traceHash).not.toBe(repro.traceHash);
    writeFileSync(file, JSON.stringify({ ...repro, params: older }));
    expect(JSON.parse(detsim('replay', file, '--json').out)).toMatchObject({ hashMatches: true, traceHash: repro.traceHash });
    rmSync(dir, { recursive: true, force: true });
  });

  it('a repro records linkStreams; one without the field (made before per-link streams) replays on the single network stream', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'detsim-'));
    const file = path.join(dir, 'phantom.json');
    expect(detsim('run', 'broadcast', '--seed', '3', '--param', 'bug=phantom', '--repro', file).code).toBe(1);
    const repro = JSON.parse(readFileSync(file, 'utf8'));
    expect(repro.linkStreams).toBe(true);
    // The same run on the old single stream: another trace, which an old repro (no field) recorded.
    const { runScenario } = await import('../sim/runner.ts');
    const { default: broadcast } = await import('../scenarios/broadcast.ts');
    const old = runScenario(broadcast, { seed: 3, pins: repro.params, swarm: repro.swarm, buggify: repro.buggify, linkStreams: false });
    expect(old.traceHash).not.toBe(repro.traceHash);
    const { linkStreams: _dropped, ...withoutField } = repro;
    writeFileSync(file, JSON.stringify({ ...withoutField, traceHash: old.traceHash, events: old.events, outcome: old.outcome, violations: old.violations }));
    const r = detsim('replay', file, '--json');
    expect(r.err).not.toContain('ignoring field');
    expect(JSON.parse(r.out)).toMatchObject({ hashMatches: true, traceHash: old.traceHash });
    // Marked as a per-link run, the old trace is not reproduced.
    writeFileSync(file, JSON.stringify({ ...withoutField, linkStreams: true, traceHash: old.traceHash, events: old.events, outcome: old.outcome, violations: old.violations }));
    expect(JSON.parse(detsim('replay', file, '--json').out)).toMatchObject({ hashMatches: false });
    writeFileSync(file, JSON.stringify({ ...repro, linkStreams: 'yes' }));
    const bad = detsim('replay', file);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('"linkStreams" must be a boolean');
  });

  it('run --single-stream reproduces a seed of a build before per-link streams: the trace hash of a repro without the field', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'detsim-'));
    const file = path.join(dir, 'phantom.json');
    expect(detsim('run', 'broadcast', '--seed', '3', '--param', 'bug=phantom', '--repro', file).code).toBe(1);
    const repro = JSON.parse(readFileSync(file, 'utf8'));
    const { runScenario } = await import('../sim/runner.ts');
    const { default: broadcast } = await import('../scenarios/broadcast.ts');
    // What an old build recorded for this seed: its repro has no linkStreams field.
    const old = runScenario(broadcast, { seed: 3, pins: repro.params, swarm: repro.swarm, buggify: repro.buggify, linkStreams: false });
    const { linkStreams: _dropped, ...withoutField } = repro;
    const oldFile = path.join(dir, 'old.json');
    writeFileSync(oldFile, JSON.stringify({ ...withoutField, traceHash: old.traceHash, events: old.events, outcome: old.outcome, violations: old.violations }));
    expect(JSON.parse(detsim('replay', oldFile, '--json').out)).toMatchObject({ hashMatches: true, traceHash: old.traceHash });
    // The seed run by hand with --single-stream: the same trace; without it, another.
    const single = JSON.parse(detsim('run', 'broadcast', '--seed', '3', '--param', 'bug=phantom', '--single-stream', '--json').out);
    expect(single).toMatchObject({ traceHash: old.traceHash, linkStreams: false });
    expect(JSON.parse(detsim('run', 'broadcast', '--seed', '3', '--param', 'bug=phantom', '--json').out).traceHash).not.toBe(old.traceHash);
    const human = detsim('run', 'broadcast', '--seed', '3', '--param', 'bug=phantom', '--single-stream', '--repro', file);
    expect(human.out).toContain('single network stream');
    // Its repro records the choice, its run command repeats the flag, and replay follows it.
    const again = JSON.parse(readFileSync(file, 'utf8'));
    expect(again).toMatchObject({ linkStreams: false, traceHash: old.traceHash });
    expect(again.run).toContain('--single-stream');
    expect(JSON.parse(detsim('replay', file, '--json').out)).toMatchObject({ hashMatches: true });
    // On a repro file the flag has no say: the file records the streams.
    const refused = detsim('replay', file, '--single-stream');
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('a repro file records which streams');
    expect(detsim('run', '--help').out).toContain('--single-stream');
  });

  it('the replay of a liveness failure points at the cause: the last change of the pending property, the faults before it, the trace around it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'detsim-'));
    const file = path.join(dir, 'burst.json');
    const run = detsim('run', 'crdt-burst', '--seed', '50', '--param', 'bug=anti-entropy-skips-subtree', '--repro', file);
    expect(run.code).toBe(1);
    const r = detsim('replay', file);
    expect(r.code).toBe(1);
    const out = r.out;
    expect(out).toContain('why the liveness phase failed:');
    expect(out).toMatch(/converged: checked from 3\.05s, never held, \d+ change\(s\) of its answer/);
    // The window is centred on the last change (4.25 s), not the deadline (93 s). (The delta-latency
    // probe writes made at the heal come first: converged is asked from 3.05 s.)
    expect(out).toMatch(/the last \d+ fault\(s\) before that change \(at 4\.25s\):/);
    expect(out).toMatch(/trace around 4\.25s \(event #\d+\): converged pending: ap and us differ on set:k43/);
    expect(out).toMatch(/^>>4\.250000000 #\d+ +- +property +converged pending/m);
    expect(out).toMatch(/last 20 trace lines \(the end of the run; the cause is above\)/);
    expect(out.indexOf('trace around 4.25s')).toBeLessThan(out.indexOf('FAIL crdt-burst seed 50'));
    expect(out).toContain('matches the recorded one: replayed bit for bit (the recorded failure, reproduced)');
  });

  it('a passing sweep with --check-determinism exits 0 and counts every run', () => {
    const r = detsim('sweep', 'broadcast', '--seeds', '4', '--from', '100', '--jobs', '2', '--check-determinism', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.summary).toMatchObject({ runs: 4, passed: 4, failed: 0, from: 100 });
  });

  it('a sweep with --check-determinism fails a seed that reads what an earlier run in its worker left (a replay in a new process is another run)', () => {
    // One worker, so seeds 2 and 3 run after seed 1 in the same thread; each is deterministic on its
    // own (run twice in a row it agrees with itself), so only a run in a fresh thread tells.
    const dir = mkdtempSync(path.join(tmpdir(), 'detsim-'));
    const r = detsim('sweep', 'cli/fixtures/leaks-between-runs.ts', '--seeds', '3', '--jobs', '1', '--check-determinism', '--json', '--out', dir);
    expect(r.code, r.out + r.err).toBe(1);
    const j = JSON.parse(r.out) as { summary: { runs: number; passed: number }; failures: { seed: number; outcome: string; violations: { invariant: string; message: string }[] }[] };
    expect(j.summary).toMatchObject({ runs: 3, passed: 1 });
    expect(j.failures.map((f) => [f.seed, f.outcome])).toEqual([
      [2, 'nondeterministic'],
      [3, 'nondeterministic'],
    ]);
    expect(j.failures[0]!.violations[0]).toMatchObject({ invariant: 'determinism', message: expect.stringMatching(/in a fresh thread differs: .*state an earlier run left at module level/) });
  });

  it("runs a scenario from a file of the user's own, like a built-in one", () => {
    const dir = mkdtempSync(path.join(ROOT, '.tmp-scenario-'));
    const file = path.join(dir, 'mine.ts');
    writeFileSync(
      file,
      [
        "import { defineScenario } from '../sim/scenario.ts';",
        "import { param } from '../sim/params.ts';",
        "import { sleep } from '../sim/process.ts';",
        "import { ms, sec } from '../sim/time.ts';",
        'export default defineScenario({',
        "  name: 'mine', description: 'a counter that must stay below a limit',",
        "  params: { limit: param.int({ doc: 'the limit', default: 3, min: 0, max: 100 }) },",
        '  durationNs: sec(1),',
        '  setup(w, p) {',
        '    let n = 0;',
        "    w.spawn('tick', (function* () { for (;;) { yield sleep(w.sim, ms(100)); n++; } })());",
        "    w.safety('below-limit', () => (n > p.limit ? `n=${n}` : null));",
        '  },',
        '});',
      ].join('\n'),
    );
    try {
      const ok = detsim('run', file, '--seed', '1', '--param', 'limit=50', '--json');
      expect(JSON.parse(ok.out).ok).toBe(true);
      const bad = detsim('run', file, '--seed', '1', '--param', 'limit=3', '--json');
      expect(bad.code).toBe(1);
      expect(JSON.parse(bad.out).violations[0].invariant).toBe('below-limit');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('detsim check', () => {
  const data = path.resolve(ROOT, '..', 'shared', 'porcupine-data');
  it('exit 0 for a linearizable history, 1 for one that is not (with the operations that cannot be ordered), 2 for unreadable input', () => {
    const ok = detsim('check', path.join(data, 'jepsen', 'etcd_002.log'), '--model', 'etcd', '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out).linearizable).toBe(true);
    const bad = detsim('check', path.join(data, 'jepsen', 'etcd_000.log'), '--model', 'etcd', '--json');
    expect(bad.code).toBe(1);
    const j = JSON.parse(bad.out);
    expect(j.linearizable).toBe(false);
    expect(j.violation.ops.length).toBeGreaterThan(0);
    const unreadable = detsim('check', path.join(ROOT, 'package.json'), '--model', 'kv');
    expect(unreadable.code).toBe(2);
    expect(unreadable.err.trim().split('\n')).toHaveLength(1);
  });
});

describe('detsim sweep watchdog', () => {
  it('a seed stuck in an endless loop inside one event is reported as a failure with a repro; the sweep finishes', () => {
    const dir = mkdtempSync(path.join(ROOT, '.tmp-scenario-'));
    try {
      writeFileSync(
        path.join(dir, 'hang.ts'),
        [
          "import { defineScenario } from '../sim/scenario.ts';",
          'export default defineScenario({',
          "  name: 'hang', description: 'seed 2 never returns from one event', params: {}, durationNs: 1_000_000, checksNothing: 'a fixture of a hung seed',",
          "  setup(w) { w.sim.schedule(10, () => { if (w.sim.seed === '2') for (;;) { /* stuck */ } }); },",
          '});',
        ].join('\n'),
      );
      const out = path.join(dir, 'out');
      const r = detsim('sweep', path.join(dir, 'hang.ts'), '--seeds', '3', '--jobs', '2', '--seed-timeout', '15', '--out', out, '--json');
      expect(r.code).toBe(1);
      const j = JSON.parse(r.out);
      expect(j.summary).toMatchObject({ runs: 3, passed: 2, failed: 1 });
      expect(j.failures[0].seed).toBe(2);
      expect(j.failures[0].violations[0].message).toContain('wall time');
      // The repro file carries the sweep's run id, so two sweeps into one folder never clobber each other.
      expect(readdirSync(out).filter((f) => f.endsWith('.json'))).toEqual([expect.stringMatching(/^hang-seed2-.+\.json$/)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('newcomer mistakes', () => {
  it('two scenarios with one name in a sweep are an error; a compile error shows file:line:column', () => {
    const dir = mkdtempSync(path.join(ROOT, '.tmp-scenario-'));
    try {
      writeFileSync(path.join(dir, 'dup.ts'), "import broadcast from '../scenarios/broadcast.ts';\nexport default broadcast;\n");
      const dup = detsim('sweep', path.join(dir, 'dup.ts'), 'broadcast', '--seeds', '1');
      expect(dup.code).toBe(2);
      expect(dup.err).toContain('two scenarios named "broadcast"');
      writeFileSync(path.join(dir, 'bad.ts'), "export default {\n  name: 'x',,\n};\n");
      const bad = detsim('run', path.join(dir, 'bad.ts'), '--seed', '1');
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/bad\.ts:2:\d+/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a scenario that makes no check is NOTHING CHECKED in run and sweep (exit 1, never PASS, no repro to replay); checksNothing runs it on purpose', () => {
    const dir = mkdtempSync(path.join(ROOT, '.tmp-scenario-'));
    try {
      const body = (extra: string): string =>
        `import { defineScenario, sec } from '../index.ts';\nexport default defineScenario({ name: 'idle', description: 'no check', params: {}, durationNs: sec(1),${extra} setup(w) { w.addNode('n1', (ctx) => { ctx.setTimer(1_000_000, () => {}); return {}; }); } });\n`;
      const file = path.join(dir, 'idle.ts');
      writeFileSync(file, body(''));
      const r = detsim('run', file, '--seed', '1');
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/^NOTHING CHECKED idle seed 1: the scenario made no check/m);
      expect(r.out).toMatch(/nothing-checked .*checksNothing: '<why>'/);
      expect(r.out).not.toMatch(/^PASS/m);
      const out = path.join(dir, 'out');
      const s = detsim('sweep', file, '--seeds', '2', '--jobs', '1', '--out', out, '--json');
      expect(s.code).toBe(1);
      const report = JSON.parse(s.out) as { summary: { passed: number; failed: number }; scenarios: { outcomes: Record<string, number> }[] };
      expect(report.summary).toMatchObject({ passed: 0, failed: 2 });
      expect(report.scenarios[0]!.outcomes).toEqual({ unchecked: 2 });
      expect(readdirSync(out).filter((f) => f.endsWith('.json'))).toEqual([]);
      expect(detsim('sweep', file, '--seeds', '1', '--jobs', '1', '--out', out).out).toMatch(/^NOTHING CHECKED 1 runs, 0 passed, 1 failed/m);
      writeFileSync(file, body(" checksNothing: 'a demo of the opt-in',"));
      const ok = detsim('run', file, '--seed', '1');
      expect(ok.code).toBe(0);
      expect(ok.out).toMatch(/^PASS idle seed 1/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a shrunk repro's run command, pasted, is the shrunk run (its trace hash), not another run of its seed", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'detsim-'));
    detsim('sweep', 'broadcast', '--seeds', '1', '--param', 'bug=drop-gossip', '--out', dir, '--run-id', 'r1');
    const repro = path.join(dir, 'broadcast-seed1-r1.json');
    const s = detsim('shrink', repro, '--json');
    expect(s.code).toBe(0);
    const shrunk = JSON.parse(readFileSync(path.join(dir, 'broadcast-seed1-r1.shrunk.json'), 'utf8')) as { run: string; replay: string; scripted?: boolean; traceHash: string };
    // Driven by its script, which no `detsim run` flag carries: its run is its replay.
    expect(shrunk.scripted).toBe(true);
    expect(shrunk.run).toBe(shrunk.replay);
    const again = detsim(...shrunk.run.replace(/^npx detsim /, '').split(' '));
    expect(again.code).toBe(1);
    expect(again.out).toContain('all-acked-delivered-everywhere');
    expect(again.out).toContain(`trace hash ${shrunk.traceHash} matches the recorded one`);
  });
});
