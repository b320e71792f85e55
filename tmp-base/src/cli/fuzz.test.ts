/**
 * Fuzz tests of the CLI (issue 11): random argument vectors, random and mutated repro files and
 * history files. The property, for every input: the exit code is 0, 1, 2 or 3; no stack trace
 * reaches the user; the command ends (no hang); no file is written except the outputs the
 * arguments name. Each case runs in a fresh temporary working directory.
 *
 * The CLI runs in-process through `main(argv, io)` (a real process costs seconds on a loaded CI
 * machine); a handful of cases also run as real processes. The fast-check seed is fixed so CI is
 * reproducible; set DETSIM_FUZZ_SEED / DETSIM_FUZZ_RUNS to explore further. On a failure
 * fast-check prints the seed, the path and the shrunk counterexample.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './main.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SEED = Number(process.env.DETSIM_FUZZ_SEED ?? 20261204);
const RUNS = (n: number): number => Number(process.env.DETSIM_FUZZ_RUNS ?? n);
/** A case that takes longer than this is a hang. */
const CASE_LIMIT_MS = 60_000;

const STACK = /\n\s+at \S.*(:\d+:\d+\)?|\(native\)|<anonymous>)/;

interface Outcome {
  code: number;
  out: string;
  err: string;
  /** Files and folders (relative paths) in the working directory after the command. */
  written: string[];
}

function listTree(dir: string, base = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const rel = base ? `${base}/${name}` : name;
    out.push(rel);
    if (statSync(path.join(dir, name)).isDirectory()) out.push(...listTree(path.join(dir, name), rel));
  }
  return out;
}

const rootBefore = new Set<string>();
const origCwd = process.cwd();

/** Runs the CLI in-process in a fresh working directory prepared by `prepare`. */
async function runIn(args: string[], prepare: (dir: string) => void = () => {}): Promise<Outcome> {
  const dir = mkdtempSync(path.join(tmpdir(), 'detsim-fuzz-'));
  try {
    prepare(dir);
    const before = new Set(listTree(dir));
    process.chdir(dir);
    const out: string[] = [];
    const err: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      main(args, { out: (l) => out.push(l), err: (l) => err.push(l) }),
      new Promise<number>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CASE_LIMIT_MS} ms: ${JSON.stringify(args)}`)), CASE_LIMIT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    process.chdir(origCwd);
    return { code, out: out.join('\n'), err: err.join('\n'), written: listTree(dir).filter((f) => !before.has(f)) };
  } finally {
    process.chdir(origCwd);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The outputs an argument vector names (relative to the working directory), and what is under them. */
function allowedOutputs(args: string[]): (f: string) => boolean {
  const named: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = /^--(trace|timeline|repro|out|junit)(?:=(.*))?$/.exec(a);
    if (m) named.push(path.normalize(m[2] ?? args[i + 1] ?? ''));
  }
  // Defaults: a sweep's detsim-out folder, a shrink's <repro>.shrunk.json.
  named.push('detsim-out');
  for (const a of args) if (a.endsWith('.json')) named.push(path.normalize(a.replace(/\.json$/, '') + '.shrunk.json'));
  return (f) => named.some((n) => n !== '' && n !== '.' && (f === n || f.startsWith(n + '/') || n.startsWith(f + '/')));
}

const seen: Record<string, number> = {};
function expectSane(o: Outcome, args: string[]): void {
  if (process.env.DETSIM_FUZZ_DEBUG) seen[`${args[0]}:${o.code}`] = (seen[`${args[0]}:${o.code}`] ?? 0) + 1;
  const what = `${JSON.stringify(args)}\nstdout: ${o.out.slice(0, 400)}\nstderr: ${o.err.slice(0, 400)}`;
  // 4: a replay that did not reproduce its repro (another trace hash or verdict): replay only.
  expect(args[0] === 'replay' ? [0, 1, 2, 3, 4] : [0, 1, 2, 3], what).toContain(o.code);
  expect(o.out + '\n' + o.err, what).not.toMatch(STACK);
  if (o.code === 2) expect(o.err.trim().split('\n').length, what).toBe(1);
  const ok = allowedOutputs(args);
  expect(o.written.filter((f) => !ok(f)), what).toEqual([]);
}

beforeAll(() => {
  for (const f of readdirSync(ROOT)) rootBefore.add(f);
});

afterAll(() => {
  if (process.env.DETSIM_FUZZ_DEBUG) console.log(JSON.stringify(seen));
  // Nothing new in the project folder either (every case ran in its own temporary folder).
  expect(readdirSync(ROOT).filter((f) => !rootBefore.has(f) && !f.startsWith('.tmp-'))).toEqual([]);
});

// ---- argument vectors -------------------------------------------------------------------------

const hostileValue = fc.oneof(
  fc.constantFrom('', '-1', '0', '1', '2', '0x10', '1e3', '+3', ' 3', '3.0', 'abc', 'NaN', 'Infinity', '9'.repeat(40), '-0', '.', '..', '/', 'no/such/dir/f', 'f.json', 'out', '\u0000', '\u001b[31m', '--', '-', '=', 'true', 'false'),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.integer({ min: -5, max: 20 }).map(String),
);
const scenarioArg = fc.constantFrom('broadcast', 'nosuch', 'raft-*', 'all', '', 'x/y.ts', '../evil.ts', 'crdt-burst', 'f.json');
const paramArg = fc.oneof(
  fc.constantFrom('nodes=3', 'nodes=0x3', 'nodes=', '=3', 'bug=phantom', 'bug=maybe', 'durationS=1', 'netLossRate=1e-2', 'constructor=1', '__proto__=1', 'x'),
  fc.tuple(fc.constantFrom('nodes', 'bug', 'durationS', 'netLossRate'), hostileValue).map(([k, v]) => `${k}=${v}`),
);
const flag = fc.oneof(
  fc.tuple(fc.constantFrom('--seed', '--timeout', '--max-memory', '--lines', '--trace', '--timeline', '--repro', '--out', '--max-runs', '--model', '--from', '--jobs', '--seed-timeout', '--junit', '--nosuch'), hostileValue).map(([f, v]) => [f, v]),
  paramArg.map((p) => ['--param', p]),
  fc.constantFrom(['--json'], ['--no-swarm'], ['--no-buggify'], ['--check-determinism'], ['--allow-scenario-file'], ['--help'], ['-h'], ['--version'], ['--seed', '1'], ['--seed', '7']),
);
// Sweeps are fuzzed with a seed count that cannot run for long (their own tests cover them in depth).
const argv = fc
  .tuple(
    fc.constantFrom('run', 'replay', 'shrink', 'check', 'list', 'sweep', 'bogus', '--help', ''),
    fc.oneof(scenarioArg, hostileValue),
    fc.array(flag, { maxLength: 6 }),
  )
  .map(([cmd, target, flags]) => {
    const args = [cmd, target, ...flags.flat()].filter((a, i) => i > 0 || a !== '');
    if (cmd === 'sweep') args.push('--seeds', '1', '--jobs', '1');
    if (cmd === 'shrink') args.push('--max-runs', '2');
    if (cmd === 'run' || cmd === 'replay') args.push('--timeout', '20');
    return args;
  });

describe('fuzz: argument vectors', () => {
  it('exit 0-3, no stack trace, no hang, no stray files', async () => {
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        expectSane(await runIn(args), args);
      }),
      { seed: SEED, numRuns: RUNS(60), endOnFailure: true },
    );
  });

  it('a few vectors as real processes (bin/detsim.js), the same property', () => {
    const samples = fc.sample(argv, { seed: SEED, numRuns: 2 });
    for (const args of samples) {
      const dir = mkdtempSync(path.join(tmpdir(), 'detsim-fuzz-'));
      try {
        const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'detsim.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: CASE_LIMIT_MS, env: { ...process.env, NO_COLOR: '1' } });
        expect(r.signal, JSON.stringify(args)).toBeNull();
        expectSane({ code: r.status ?? -1, out: r.stdout, err: r.stderr, written: listTree(dir) }, args);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});

// ---- repro files ------------------------------------------------------------------------------

const validRepro = {
  format: 'detsim-repro/1',
  scenario: 'broadcast',
  seed: 3,
  params: { nodes: 3, durationS: 1, bug: 'phantom' },
  pins: { bug: 'phantom' },
  swarm: true,
  buggify: true,
  traceHash: '0000000000000000',
  events: 10,
  outcome: 'safety',
  violations: [{ invariant: 'no-phantom-delivery', atNs: 1, eventIndex: 1, message: 'x' }],
  replay: 'npx detsim replay r.json',
  run: 'npx detsim run broadcast --seed 3',
};
const anyJson = fc.oneof(fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 60, '', 'x', '../x.ts', '/etc/passwd', [], {}), fc.jsonValue({ maxDepth: 2 }));
const mutatedRepro = fc.oneof(
  // Replace or delete fields.
  fc.array(fc.tuple(fc.constantFrom(...Object.keys(validRepro), 'scenarioFile', 'extra'), fc.option(anyJson, { nil: undefined })), { minLength: 1, maxLength: 3 }).map((edits) => {
    const r: Record<string, unknown> = structuredClone(validRepro);
    for (const [k, v] of edits) {
      if (v === undefined) delete r[k];
      else r[k] = v;
    }
    return JSON.stringify(r);
  }),
  // Mutate a parameter.
  fc.tuple(fc.constantFrom('nodes', 'durationS', 'bug', 'nosuch'), anyJson).map(([k, v]) => JSON.stringify({ ...validRepro, params: { ...validRepro.params, [k]: v } })),
  // Cut or corrupt the text.
  fc.tuple(fc.nat(), fc.string({ unit: 'binary', maxLength: 6 })).map(([at, junk]) => {
    const t = JSON.stringify(validRepro);
    const i = at % t.length;
    return t.slice(0, i) + junk + t.slice(i + junk.length);
  }),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

describe('fuzz: repro files', () => {
  it('replay and shrink of random and mutated repro files: exit 0-4, no stack trace, no stray files', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedRepro, fc.constantFrom('replay', 'shrink'), async (text, cmd) => {
        const args = cmd === 'replay' ? ['replay', 'r.json', '--timeout', '20'] : ['shrink', 'r.json', '--max-runs', '2'];
        const o = await runIn(args, (dir) => writeFileSync(path.join(dir, 'r.json'), text));
        expectSane({ ...o, written: o.written.filter((f) => f !== 'r.json') }, args);
      }),
      { seed: SEED, numRuns: RUNS(40), endOnFailure: true },
    );
  });
});

// ---- history files ----------------------------------------------------------------------------

const kvLine = fc
  .record({
    p: fc.oneof(fc.nat(5).map(String), fc.constantFrom('-1', 'x', '1.5', '99999999999999999999')),
    type: fc.constantFrom(':invoke', ':ok', ':fail', ':info', ':bogus', 'ok'),
    f: fc.constantFrom(':get', ':put', ':append', ':cas'),
    key: fc.oneof(fc.constantFrom('"a"', '"b"', '7', 'nil'), fc.string({ maxLength: 4 }).map((s) => JSON.stringify(s))),
    value: fc.oneof(fc.constantFrom('nil', '"x"', '"y"', '"x y"', '3', '[1]', '"\\q"'), fc.string({ maxLength: 4 }).map((s) => JSON.stringify(s))),
  })
  .map((r) => `{:process ${r.p}, :type ${r.type}, :f ${r.f}, :key ${r.key}, :value ${r.value}}`);
const jepsenLine = fc
  .record({
    p: fc.oneof(fc.nat(5).map(String), fc.constantFrom('-1', 'x', ':nemesis')),
    type: fc.constantFrom(':invoke', ':ok', ':fail', ':info', ':bogus'),
    f: fc.constantFrom(':read', ':write', ':cas', ':del'),
    v: fc.constantFrom('nil', '1', '2', '[1 2]', '[1', 'x', '9999999999999999999999'),
  })
  .map((r) => `INFO  jepsen.util - ${r.p}\t${r.type}\t${r.f}\t${r.v}`);
const historyText = fc.oneof(
  fc.array(fc.oneof(kvLine, jepsenLine, fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 })), { maxLength: 40 }).map((ls) => ls.join('\n')),
  fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b).toString('latin1')),
);

describe('fuzz: history files', () => {
  it('check --model kv|etcd on random and mutated histories: exit 0-3, no stack trace, short escaped errors', async () => {
    await fc.assert(
      fc.asyncProperty(historyText, fc.constantFrom('kv', 'etcd'), fc.boolean(), async (text, model, json) => {
        const args = ['check', 'h.txt', '--model', model, '--timeout', '2000', ...(json ? ['--json'] : [])];
        const o = await runIn(args, (dir) => writeFileSync(path.join(dir, 'h.txt'), text, 'latin1'));
        expectSane({ ...o, written: o.written.filter((f) => f !== 'h.txt') }, args);
        // eslint-disable-next-line no-control-regex
        expect(o.err).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
        expect(o.err.length).toBeLessThan(2500);
      }),
      { seed: SEED, numRuns: RUNS(150), endOnFailure: true },
    );
  });
});
