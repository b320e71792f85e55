/**
 * The mutation run: for each sampled mutant of a system, apply it in a scratch copy, run the
 * system's unit tests and a bounded seed sweep of its scenario family, and classify it:
 *
 *  - caught by the sweep (first failing scenario, seed and invariant), and/or by the unit tests
 *    (first failing test);
 *  - survivor, with why: `not-reached` (no run executed the mutated code), `equivalent?` (it ran,
 *    yet every run's trace hash equals the unmutated build's: no observable change on any seed;
 *    listed for review, left out of the score), `too-rare` (behaviour changed, caught only by the
 *    longer confirmation sweep), `no-invariant` (behaviour changed, no check failed), `cut-short`
 *    (the sweep's wall bound ran out first: measure again with a larger bound).
 *
 * Results are appended per mutant to `<out>/<system>.jsonl` (header, baseline, one line a mutant),
 * so an interrupted run resumes where it stopped and never loses a measured mutant.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyEdits, sampleMutants, type Mutant, type Sample } from './generate.ts';
import { liveGroups, ScratchCopy } from './scratch.ts';
import type { RunLine, SweepRequest } from './sweep-child.ts';
import { sourceFiles, type SystemSpec } from './systems.ts';

export const FORMAT = 'detsim-mutation/1';

export interface RunOptions {
  root: string;
  out: string;
  mutants: number;
  seeds: number;
  /** Sample seed: which mutants are drawn. */
  seed: number;
  /** Wall seconds a mutant's sweep may take before it is cut short. */
  mutantWallS: number;
  /** Wall seconds one run may take before it counts as hung (a catch: the nightly sweep reports hung seeds). */
  runTimeoutS: number;
  unit: 'always' | 'never';
  /** Seeds of a confirmation sweep for survivors whose behaviour changed (0 = none). */
  confirmSeeds: number;
  jobs: number;
  log: (line: string) => void;
  /** Folder the scratch copies are made in (default: the system's temp folder). */
  scratchRoot?: string;
}

export interface SweepOutcome {
  verdict: 'caught' | 'hang' | 'load-error' | 'survived';
  runs: number;
  /** The failing (or hung) run, if any. */
  scenario: string | null;
  seed: number | null;
  invariant: string | null;
  message: string;
  /** Runs that executed the mutated code, and runs whose trace differs from the unmutated build's. */
  reachedRuns: number;
  changedRuns: number;
  cutByWall: boolean;
  wallMs: number;
}

export interface UnitOutcome {
  verdict: 'caught' | 'timeout' | 'survived' | 'skipped';
  test: string | null;
  wallMs: number;
}

export type Why = 'not-reached' | 'equivalent?' | 'too-rare' | 'no-invariant' | 'cut-short';

export interface MutantResult {
  kind: 'mutant';
  mutant: Mutant;
  sweep: SweepOutcome;
  unit: UnitOutcome;
  confirm: SweepOutcome | null;
  caughtBySweep: boolean;
  caughtByUnit: boolean;
  /** Survivors of the sweep only: why it survived. */
  why: Why | null;
}

export interface Baseline {
  kind: 'baseline';
  /** `scenario#seed` -> trace hash of the unmutated build. */
  hashes: Record<string, string>;
  /** `scenario#seed` -> hash of every message body (the first FINGERPRINT_SEEDS seeds only). */
  bodyHashes?: Record<string, string>;
  /** `scenario#seed` pairs that fail without a mutant (never counted as catches). */
  failing: string[];
  slowestRunMs: number;
  sweepMs: number;
  unitMs: number;
  unitOk: boolean;
}

export interface Header {
  kind: 'header';
  format: string;
  system: string;
  seed: number;
  seeds: number;
  sourcesHash: string;
  family: string[];
  unitTests: string[];
  pool: number;
  notCompiling: Sample['notCompiling'];
  /** Set when these are an earlier run's survivors measured again (see again.ts). */
  again?: { from: string; rev: string; survivors: number; lost: string[] };
}

export class UsageError extends Error {}

/** Seeds of each scenario whose message bodies are fingerprinted too (see SweepRequest). */
export const FINGERPRINT_SEEDS = 5;

const NODE = process.execPath;

/** Runs a child in its own process group (so a timeout kills vitest's workers too), collecting stdout lines. */
function runChild(cmd: string, args: string[], cwd: string, timeoutMs: number, onLine?: (line: string) => void, idleMs = 0): Promise<{ code: number | null; timedOut: boolean; idle: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    if (child.pid !== undefined) liveGroups.add(child.pid);
    let stdout = '';
    let stderr = '';
    let buf = '';
    let timedOut = false;
    let idle = false;
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => { // wallclock-ok: bounds a child process
      timedOut = true;
      kill();
    }, timeoutMs);
    let idleTimer: NodeJS.Timeout | null = null;
    const armIdle = () => {
      if (idleMs <= 0) return;
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = setTimeout(() => { // wallclock-ok
        idle = true;
        kill();
      }, idleMs);
    };
    armIdle();
    child.stdout.on('data', (d: Buffer) => {
      const s = d.toString();
      stdout += s;
      buf += s;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        armIdle();
        onLine?.(line);
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.length > 20_000) stderr = stderr.slice(-20_000);
    });
    child.on('close', (code) => {
      if (child.pid !== undefined) liveGroups.delete(child.pid);
      clearTimeout(timer);
      if (idleTimer) clearTimeout(idleTimer);
      resolve({ code, timedOut, idle, stdout, stderr });
    });
  });
}

export interface SweepResultRaw {
  runs: RunLine[];
  started: { scenario: string; seed: number } | null;
  done: { runs: number; cutByWall: boolean; failed: boolean } | null;
  timedOut: boolean;
  idle: boolean;
  code: number | null;
  stderr: string;
  wallMs: number;
}

/** One sweep of `family` in the scratch copy `dir`. */
export async function sweep(dir: string, req: SweepRequest, idleMs: number, hardMs: number): Promise<SweepResultRaw> {
  const reqFile = path.join(dir, `.sweep-request-${process.pid}.json`);
  writeFileSync(reqFile, JSON.stringify(req));
  const runs: RunLine[] = [];
  let started: SweepResultRaw['started'] = null;
  let done: SweepResultRaw['done'] = null;
  const t0 = Date.now(); // wallclock-ok
  const r = await runChild(NODE, ['--import', 'tsx', path.join(dir, 'tools/mutation/sweep-child.ts'), reqFile], dir, hardMs, (line) => {
    let o: { kind?: string } & Record<string, unknown>;
    try {
      o = JSON.parse(line) as typeof o;
    } catch {
      return;
    }
    if (o.kind === 'start') started = { scenario: o.scenario as string, seed: o.seed as number };
    else if (o.kind === 'run') runs.push(o as unknown as RunLine);
    else if (o.kind === 'done') done = o as unknown as SweepResultRaw['done'];
  }, idleMs);
  rmSync(reqFile, { force: true });
  return { runs, started, done, timedOut: r.timedOut, idle: r.idle, code: r.code, stderr: r.stderr, wallMs: Date.now() - t0 }; // wallclock-ok
}

/** Judges a mutant's sweep against the unmutated baseline. */
export function judgeSweep(raw: SweepResultRaw, baseline: Pick<Baseline, 'hashes' | 'failing' | 'bodyHashes'>): SweepOutcome {
  const failing = new Set(baseline.failing);
  let reachedRuns = 0;
  let changedRuns = 0;
  for (const r of raw.runs) {
    if (r.hits > 0) reachedRuns++;
    const h = baseline.hashes[`${r.scenario}#${r.seed}`];
    const bh = baseline.bodyHashes?.[`${r.scenario}#${r.seed}`];
    if ((h !== undefined && h !== r.traceHash) || (bh !== undefined && r.bodyHash && bh !== r.bodyHash)) changedRuns++;
  }
  const base = { runs: raw.runs.length, reachedRuns, changedRuns, cutByWall: raw.done?.cutByWall ?? false, wallMs: raw.wallMs };
  const fail = raw.runs.find((r) => !r.ok && !failing.has(`${r.scenario}#${r.seed}`));
  if (fail) return { ...base, verdict: 'caught', scenario: fail.scenario, seed: fail.seed, invariant: fail.invariant, message: fail.message };
  if (raw.done) return { ...base, verdict: 'survived', scenario: null, seed: null, invariant: null, message: '' };
  if (raw.idle || raw.timedOut) {
    // A run that never finished: the nightly sweep reports it as hung, a failure of that seed.
    if (raw.started) return { ...base, verdict: 'hang', scenario: raw.started.scenario, seed: raw.started.seed, invariant: 'hung', message: 'a run did not finish within the run timeout' };
  }
  const err = raw.stderr.split('\n').map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith('at ')).slice(-3).join(' ').slice(0, 300);
  return { ...base, verdict: 'load-error', scenario: raw.started?.scenario ?? null, seed: raw.started?.seed ?? null, invariant: 'load-error', message: err || `sweep exited with code ${raw.code}` };
}

/** The system's unit tests in `dir` (vitest, stopping at the first failure). */
export async function unitTests(dir: string, paths: string[], timeoutMs: number): Promise<UnitOutcome & { ran: number }> {
  const outFile = path.join(dir, `.vitest-${process.pid}.json`);
  rmSync(outFile, { force: true });
  const t0 = Date.now(); // wallclock-ok
  const r = await runChild(NODE, [path.join(dir, 'node_modules/vitest/vitest.mjs'), 'run', ...paths, '--bail=1', '--reporter=json', `--outputFile=${outFile}`, '--maxWorkers=1', '--no-file-parallelism'], dir, timeoutMs);
  const wallMs = Date.now() - t0; // wallclock-ok
  if (r.timedOut) return { verdict: 'timeout', test: null, wallMs, ran: 0 };
  let failedTest: string | null = null;
  let ran = 0;
  if (existsSync(outFile)) {
    const j = JSON.parse(readFileSync(outFile, 'utf8')) as { numTotalTests?: number; testResults?: { name: string; message?: string; status?: string; assertionResults?: { status: string; fullName: string }[] }[] };
    ran = j.numTotalTests ?? 0;
    for (const f of j.testResults ?? []) {
      const a = (f.assertionResults ?? []).find((x) => x.status === 'failed');
      if (a) {
        failedTest = `${path.relative(dir, f.name)}: ${a.fullName}`;
        break;
      }
      if (f.status === 'failed' && !failedTest) failedTest = `${path.relative(dir, f.name)}: ${(f.message ?? 'failed to load').split('\n')[0]!.slice(0, 160)}`;
    }
    rmSync(outFile, { force: true });
  } else if (r.code !== 0) {
    failedTest = `vitest exited with code ${r.code}: ${r.stderr.split('\n').filter((l) => l.trim()).slice(-1)[0] ?? ''}`.slice(0, 200);
  }
  if (failedTest || r.code !== 0) return { verdict: 'caught', test: failedTest ?? `vitest exited with code ${r.code}`, wallMs, ran };
  return { verdict: 'survived', test: null, wallMs, ran };
}

export function readResults(file: string): { header: Header | null; baseline: Baseline | null; mutants: MutantResult[] } {
  if (!existsSync(file)) return { header: null, baseline: null, mutants: [] };
  let header: Header | null = null;
  let baseline: Baseline | null = null;
  const mutants = new Map<string, MutantResult>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let o: { kind?: string };
    try {
      o = JSON.parse(line) as { kind?: string };
    } catch {
      continue; // a line cut by an interrupted write: that mutant is measured again
    }
    if (o.kind === 'header') header = o as Header;
    else if (o.kind === 'baseline') baseline = o as Baseline;
    else if (o.kind === 'mutant') mutants.set((o as MutantResult).mutant.key, o as MutantResult);
  }
  return { header, baseline, mutants: [...mutants.values()] };
}

/** Appends one JSON line; after a line cut by an interrupted write, starts a fresh line first. */
export function appendLine(file: string, o: object): void {
  let prefix = '';
  const size = existsSync(file) ? statSync(file).size : 0;
  if (size > 0) {
    const fd = openSync(file, 'r');
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 1);
    closeSync(fd);
    if (b[0] !== 0x0a) prefix = '\n';
  }
  appendFileSync(file, `${prefix}${JSON.stringify(o)}\n`);
}

export function classify(sweepO: SweepOutcome, unitO: UnitOutcome, confirm: SweepOutcome | null, probed = true): Pick<MutantResult, 'caughtBySweep' | 'caughtByUnit' | 'why'> {
  const caughtBySweep = sweepO.verdict === 'caught' || sweepO.verdict === 'hang' || sweepO.verdict === 'load-error';
  const caughtByUnit = unitO.verdict === 'caught' || unitO.verdict === 'timeout';
  let why: Why | null = null;
  if (!caughtBySweep) {
    // Module- and class-level code runs at load: no probe, so count it as reached.
    const reached = probed ? sweepO.reachedRuns > 0 : sweepO.runs > 0;
    if (confirm && (confirm.verdict === 'caught' || confirm.verdict === 'hang')) why = 'too-rare';
    else if (sweepO.cutByWall) why = 'cut-short';
    else if (!reached) why = 'not-reached';
    else if (sweepO.changedRuns === 0) why = 'equivalent?';
    else why = 'no-invariant';
  }
  return { caughtBySweep, caughtByUnit, why };
}

/** Runs the unmutated family sweep (and unit tests) in `scratch`: what every mutant is judged against. */
export async function measureBaseline(scratch: ScratchCopy, spec: SystemSpec, o: Pick<RunOptions, 'seeds' | 'unit' | 'runTimeoutS'>): Promise<Baseline> {
  const raw = await sweep(scratch.dir, { family: spec.family, from: 1, seeds: o.seeds, stopAtFirstFailure: false, wallMs: 0, fingerprintSeeds: FINGERPRINT_SEEDS }, o.runTimeoutS * 1000, 24 * 3600_000);
  if (!raw.done) throw new Error(`${spec.name}: the unmutated sweep did not finish (${raw.idle ? 'a run hung' : `exit ${raw.code}`}): ${raw.stderr.slice(-500)}`);
  const hashes: Record<string, string> = {};
  const bodyHashes: Record<string, string> = {};
  for (const r of raw.runs) {
    hashes[`${r.scenario}#${r.seed}`] = r.traceHash;
    if (r.bodyHash) bodyHashes[`${r.scenario}#${r.seed}`] = r.bodyHash;
  }
  const failing = raw.runs.filter((r) => !r.ok).map((r) => `${r.scenario}#${r.seed}`);
  let unitMs = 0;
  let unitOk = true;
  if (o.unit === 'always') {
    const u = await unitTests(scratch.dir, spec.unitTests, 1800_000);
    unitMs = u.wallMs;
    unitOk = u.verdict === 'survived' && u.ran > 0;
  }
  return { kind: 'baseline', hashes, bodyHashes, failing, slowestRunMs: Math.max(0, ...raw.runs.map((r) => r.wallMs)), sweepMs: raw.wallMs, unitMs, unitOk };
}

/** Applies `m` in `scratch`, runs the unit tests and the family sweep, restores the copy, and classifies the mutant. */
export async function measureMutant(scratch: ScratchCopy, spec: SystemSpec, m: Mutant, b: Baseline, o: Pick<RunOptions, 'seeds' | 'unit' | 'runTimeoutS' | 'mutantWallS' | 'confirmSeeds'>): Promise<MutantResult> {
  const idleMs = Math.max(o.runTimeoutS * 1000, b.slowestRunMs * 20);
  const unitTimeout = Math.max(120_000, b.unitMs * 4);
  const original = readFileSync(path.join(scratch.dir, m.file), 'utf8');
  scratch.write(m.file, applyEdits(original, [...m.edits, ...m.probes]));
  try {
    const unitO: UnitOutcome = o.unit === 'always' && b.unitOk ? await unitTests(scratch.dir, spec.unitTests, unitTimeout) : { verdict: 'skipped', test: null, wallMs: 0 };
    const req: SweepRequest = { family: spec.family, from: 1, seeds: o.seeds, stopAtFirstFailure: true, wallMs: o.mutantWallS * 1000, skip: b.failing, fingerprintSeeds: FINGERPRINT_SEEDS };
    const sweepO = judgeSweep(await sweep(scratch.dir, req, idleMs, o.mutantWallS * 1000 + idleMs + 60_000), b);
    let confirm: SweepOutcome | null = null;
    if (sweepO.verdict === 'survived' && sweepO.changedRuns > 0 && o.confirmSeeds > o.seeds) {
      const creq: SweepRequest = { family: spec.family, from: o.seeds + 1, seeds: o.confirmSeeds - o.seeds, stopAtFirstFailure: true, wallMs: o.mutantWallS * 1000 };
      confirm = judgeSweep(await sweep(scratch.dir, creq, idleMs, o.mutantWallS * 1000 + idleMs + 60_000), { hashes: {}, failing: [] });
    }
    return { kind: 'mutant', mutant: m, sweep: sweepO, unit: unitO, confirm, ...classify(sweepO, unitO, confirm, m.probes.length > 0) };
  } finally {
    scratch.restore();
  }
}

/** Measures one system: resumes `<out>/<system>.jsonl` if it matches, else starts it. Returns every result. */
export async function measureSystem(spec: SystemSpec, o: RunOptions): Promise<{ header: Header; results: MutantResult[] }> {
  mkdirSync(o.out, { recursive: true });
  const file = path.join(o.out, `${spec.name}.jsonl`);
  const files = sourceFiles(spec);
  o.log(`${spec.name}: sampling ${o.mutants} mutants (seed ${o.seed}) from ${files.length} files ...`);
  const sample = sampleMutants(spec.name, files, o.root, o.seed, o.mutants);
  const prev = readResults(file);
  if (prev.header && (prev.header.seed !== o.seed || prev.header.seeds !== o.seeds || prev.header.sourcesHash !== sample.sourcesHash)) {
    throw new UsageError(`${file} holds results of another run (sample seed ${prev.header.seed}, ${prev.header.seeds} seeds, sources+generator ${prev.header.sourcesHash}; now seed ${o.seed}, ${o.seeds} seeds, sources+generator ${sample.sourcesHash}): pass another --out, or delete it to start again`);
  }
  const header: Header = prev.header ?? {
    kind: 'header', format: FORMAT, system: spec.name, seed: o.seed, seeds: o.seeds, sourcesHash: sample.sourcesHash,
    family: spec.family, unitTests: spec.unitTests, pool: sample.pool, notCompiling: sample.notCompiling,
  };
  if (!prev.header) {
    writeFileSync(file, '');
    appendLine(file, header);
  }
  // A larger --mutants extends the sample: record the not-compiling candidates it met too.
  if (prev.header && sample.notCompiling.length > prev.header.notCompiling.length) {
    header.notCompiling = sample.notCompiling;
    appendLine(file, header);
  }
  const done = new Map(prev.mutants.map((m) => [m.mutant.key, m]));
  const todo = sample.mutants.filter((m) => !done.has(m.key));
  o.log(`${spec.name}: pool ${sample.pool} candidates, ${sample.mutants.length} mutants sampled (${sample.notCompiling.length} did not type-check), ${done.size} already measured, ${todo.length} to go`);
  if (todo.length === 0) return { header, results: sample.mutants.map((m) => done.get(m.key)!) };

  const scratches = Array.from({ length: Math.max(1, Math.min(o.jobs, todo.length)) }, () => new ScratchCopy(o.root, o.scratchRoot));
  try {
    let baseline = prev.baseline;
    if (!baseline) {
      o.log(`${spec.name}: baseline (unmutated) sweep of ${spec.family.length} scenarios x ${o.seeds} seeds${o.unit === 'always' ? ' and unit tests' : ''} ...`);
      baseline = await measureBaseline(scratches[0]!, spec, o);
      if (!baseline.unitOk) o.log(`${spec.name}: the unit tests fail without a mutant; unit results are left out`);
      const failing = baseline.failing;
      appendLine(file, baseline);
      o.log(`${spec.name}: baseline ${Object.keys(baseline.hashes).length} runs in ${(baseline.sweepMs / 1000).toFixed(0)} s (${failing.length} failing without a mutant${failing.length ? `: ${failing.join(', ')}` : ''}), unit tests ${(baseline.unitMs / 1000).toFixed(0)} s`);
    }
    const b = baseline;
    let next = 0;
    const worker = async (scratch: ScratchCopy) => {
      for (;;) {
        const m = todo[next++];
        if (!m) return;
        const res = await measureMutant(scratch, spec, m, b, o);
        appendLine(file, res);
        done.set(m.key, res);
        const what = res.caughtBySweep ? `caught by ${res.sweep.scenario} seed ${res.sweep.seed} (${res.sweep.invariant})` : `survived sweep (${res.why}; ${res.sweep.reachedRuns}/${res.sweep.runs} runs reached, ${res.sweep.changedRuns} changed)`;
        o.log(`${spec.name} ${m.id} [${done.size}/${sample.mutants.length}] ${m.file}:${m.line} ${m.operator}: ${what}; unit ${res.unit.verdict}${res.unit.test ? ` (${res.unit.test.slice(0, 80)})` : ''}`);
      }
    };
    await Promise.all(scratches.map(worker));
  } finally {
    for (const s of scratches) s.remove();
  }
  return { header, results: sample.mutants.map((m) => done.get(m.key)!).filter((x) => x) };
}

export function defaultOut(root: string): string {
  return path.join(root, 'mutation-out');
}

export const CPUS = os.cpus().length;
