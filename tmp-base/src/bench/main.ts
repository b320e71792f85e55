/**
 * `npm run bench`: detsim's performance figures as ONE JSON object on stdout (progress goes to
 * stderr). Wall time comes from performance.now(); every comparison is a ratio measured in the
 * same run, because absolute figures depend on the machine and on what else it is running.
 *
 * What it measures:
 * - `kernel`: one event pattern (`inflight` chains, each event schedules the chain's next one a
 *   constant latency later) run as a bare EventQueue loop, as kernel timers (Simulation.schedule),
 *   and as messages between nodes on a Network (the real send/deliver path); events/s of each,
 *   and the kernel/bare ratios. The goal is the ping-pong within 2x of the bare heap.
 * - `broadcast`: simulated seconds per wall second of scenarios/broadcast.ts (swarm on).
 * - `sweepSeedsPerSecJobs2`: seeds/s of a sweep with two workers, from cli/sweep.ts `benchSweep`.
 * - `startup`: process start-up (`detsim list`/`run`/`check` vs `node -e 0`), sweep-worker
 *   start-up, and sweep scaling with `--jobs 1` vs `--jobs 2` (bench/startup.ts).
 * - `extensions`: figures from benchmark modules of the systems and invariants (contract below).
 * - `systems` (bench/systems.ts): the loaded Raft store next to the kernel's ping-pong, one
 *   scenario of each family, long-run linearity, and the peak RSS of 10-million-event runs.
 *
 * Extension contract. Any file matching
 *     systems/<name>/<file>.bench.ts     invariants/<any depth>/<file>.bench.ts     sim/hardware/<file>.bench.ts
 * that exports a function named `bench` with the signature
 *     export function bench(clock: () => number): Record<string, unknown> | Promise<Record<string, unknown>>
 * is imported and run; `clock()` returns wall milliseconds (performance.now). Its result goes under
 * `extensions["<path relative to the repository>"]`, e.g. `extensions["systems/raft/raft.bench.ts"]`.
 * A module that throws is reported as `{ error: "<message>" }` and does not stop the others.
 * Benchmarks written before this contract, with other export names, are listed in
 * NAMED_BENCHMARKS below and reported under `extensions["<path>#<export>"]`.
 * Keep each benchmark to a few seconds: the whole run should stay under about a minute.
 *
 * Flags: `--quick` (a smoke run: few events, one seed, a small sweep; figures are rough),
 * `--only-startup` (start-up and sweep scaling only), `--only-rss` (the peak RSS of the two 10-million-event runs
 * only; `--only-rss=raft` or `--only-rss=broadcast` for one), `--no-extensions`, `--no-sweep`, `--no-startup`, `--no-systems`, `--no-memory` (skips the
 * 10-million-event runs, about two minutes).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CODE_EXT, CODE_ROOT, PACKAGE_ROOT } from '../cli/layout.ts';
import broadcast from '../scenarios/broadcast.ts';
import { runScenario } from '../sim/runner.ts';
import { benchMemory, benchSystems } from './systems.ts';
import { benchStartup, DEFAULT_STARTUP, QUICK_STARTUP } from './startup.ts';
import { bareHeap, kernelPingPong, kernelTimers, round, type Clock, type LoopResult, type PingPongOptions } from './kernel.ts';

// Benchmark files are found among the sources and imported from where this process's code runs
// (dist/*.js when compiled, see cli/layout.ts).
const ROOT = PACKAGE_ROOT;
const codeFile = (file: string): string => path.join(CODE_ROOT, file.replace(/\.ts$/, CODE_EXT));

/** Wall milliseconds: the only clock the benchmarks use. */
const clock: Clock = () => performance.now(); // wallclock-ok

/** Process CPU milliseconds (user + system), to see how much other load disturbed the figures. */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const progress = (msg: string): void => {
  process.stderr.write(`[bench] ${msg}\n`);
};

// ---------------------------------------------------------------------------------------------
// Kernel: bare heap vs kernel timers vs kernel ping-pong.

interface Variant {
  name: 'bareHeap' | 'kernelTimers' | 'kernelPingPong';
  run: (o: PingPongOptions) => LoopResult;
}

const VARIANTS: Variant[] = [
  { name: 'bareHeap', run: (o) => bareHeap(clock, o) },
  { name: 'kernelTimers', run: (o) => kernelTimers(clock, o) },
  { name: 'kernelPingPong', run: (o) => kernelPingPong(clock, o) },
];

interface VariantFigures {
  /** Best of the rounds (least disturbed by other load), events per wall second. */
  eventsPerSec: number;
  eventsPerSecMedian: number;
  /** Wall ns per event at the best round. */
  nsPerEvent: number;
  /** Events per CPU second of this process, best round (less sensitive to other processes). */
  eventsPerCpuSec: number;
  roundsEventsPerSec: number[];
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function benchKernel(o: PingPongOptions, rounds: number): Record<string, unknown> {
  // Warm up every variant first so each measured round runs optimised code.
  const warm = { ...o, events: Math.min(o.events, 200_000) };
  for (const v of VARIANTS) v.run(warm);
  const perSec: Record<string, number[]> = {};
  const perCpuSec: Record<string, number[]> = {};
  const endTimes = new Set<number>();
  for (let r = 0; r < rounds; r++) {
    // Interleaved, so a burst of outside load hurts neighbouring runs alike; ratios are taken
    // within a round.
    for (const v of VARIANTS) {
      const c0 = cpuMs();
      const res = v.run(o);
      const c1 = cpuMs();
      (perSec[v.name] ??= []).push(res.eventsPerSec);
      (perCpuSec[v.name] ??= []).push(Math.round((res.events / Math.max(c1 - c0, 1e-3)) * 1000));
      endTimes.add(res.endTimeNs);
    }
    progress(`kernel round ${r + 1}/${rounds}: ${VARIANTS.map((v) => `${v.name} ${(perSec[v.name]!.at(-1)! / 1e6).toFixed(2)}M ev/s`).join(', ')}`);
  }
  if (endTimes.size !== 1) throw new Error(`the three loops did not follow one time pattern (end times ${[...endTimes].join(', ')})`);
  const fig = (name: string): VariantFigures => {
    const best = Math.max(...perSec[name]!);
    return {
      eventsPerSec: best,
      eventsPerSecMedian: Math.round(median(perSec[name]!)),
      nsPerEvent: round(1e9 / best, 1),
      eventsPerCpuSec: Math.max(...perCpuSec[name]!),
      roundsEventsPerSec: perSec[name]!,
    };
  };
  /** Median over rounds of bare ÷ kernel, both measured in that round. */
  const slowdown = (name: string, table: Record<string, number[]>): number =>
    round(median(table['bareHeap']!.map((b, i) => b / table[name]![i]!)), 2);
  const ratios = (name: string): Record<string, number> => {
    const wall = slowdown(name, perSec);
    return {
      /** Kernel events/s over bare events/s (1 = as fast as the bare heap). */
      kernelOverBare: round(1 / wall, 3),
      /** How many times slower than the bare heap, by wall time (the goal: at most 2). */
      slowdownVsBare: wall,
      /** The same by process CPU time: the figure least disturbed by other processes. */
      slowdownVsBareCpu: slowdown(name, perCpuSec),
    };
  };
  const pp = ratios('kernelPingPong');
  return {
    pattern: { ...o, rounds, endTimeNs: [...endTimes][0], note: 'constant latency, no faults; events/s: best round; ratios: median over rounds of same-round ratios' },
    bareHeap: fig('bareHeap'),
    kernelTimers: { ...fig('kernelTimers'), ...ratios('kernelTimers') },
    kernelPingPong: { ...fig('kernelPingPong'), ...pp },
    goal: 'kernel ping-pong within 2x of the bare heap loop (judged by CPU time)',
    goalMet: pp.slowdownVsBareCpu! <= 2,
  };
}

// ---------------------------------------------------------------------------------------------
// Broadcast scenario: simulated seconds per wall second.

/**
 * Runs seeds 1, 2, ... with default parameters and swarm on, until `minSeeds` have run and
 * `minWallMs` has passed (a seed takes milliseconds, so a handful is too short to time).
 */
function benchBroadcast(minSeeds: number, minWallMs: number, maxSeeds: number): Record<string, unknown> {
  let simNs = 0;
  let events = 0;
  const outcomes: Record<string, number> = {};
  let slowest = { seed: 0, wallMs: 0, simSeconds: 0, events: 0 };
  const t0 = clock();
  let seed = 0;
  while (seed < maxSeeds && (seed < minSeeds || clock() - t0 < minWallMs)) {
    seed++;
    const s0 = clock();
    const r = runScenario(broadcast, { seed, swarm: true });
    const wallMs = clock() - s0;
    simNs += r.simTimeNs;
    events += r.events;
    outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    if (wallMs > slowest.wallMs) slowest = { seed, wallMs: round(wallMs, 1), simSeconds: round(r.simTimeNs / 1e9, 3), events: r.events };
  }
  const wallSec = (clock() - t0) / 1000;
  progress(`broadcast: ${seed} seeds, ${(simNs / 1e9).toFixed(0)} s simulated in ${(wallSec * 1000).toFixed(0)} ms`);
  return {
    seeds: seed,
    simSecondsPerWallSecond: round(simNs / 1e9 / wallSec, 1),
    seedsPerSec: round(seed / wallSec, 1),
    eventsPerSec: Math.round(events / wallSec),
    eventsPerSeedMean: Math.round(events / seed),
    wallMs: round(wallSec * 1000, 1),
    outcomes,
    slowest,
    note: 'default parameters, swarm on, BUGGIFY on, one thread',
  };
}

// ---------------------------------------------------------------------------------------------
// Sweep with two workers (cli/sweep.ts, if it provides benchSweep).

async function benchSweepJobs2(seeds: number): Promise<{ value: number | null; detail: unknown }> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import('../cli/sweep.ts')) as Record<string, unknown>;
  } catch (err) {
    return { value: null, detail: { note: `cli/sweep.ts could not be imported: ${(err as Error).message}` } };
  }
  const fn = mod['benchSweep'];
  if (typeof fn !== 'function') return { value: null, detail: { note: 'cli/sweep.ts exports no benchSweep function' } };
  try {
    const r: unknown = await (fn as (clock: Clock, jobs: number, seeds: number) => unknown)(clock, 2, seeds);
    const value = typeof r === 'number' ? r : typeof r === 'object' && r !== null && typeof (r as { seedsPerSec?: unknown }).seedsPerSec === 'number' ? (r as { seedsPerSec: number }).seedsPerSec : null;
    return { value, detail: value === null ? { note: 'benchSweep returned no seedsPerSec', result: r } : r };
  } catch (err) {
    return { value: null, detail: { error: (err as Error).message } };
  }
}

// ---------------------------------------------------------------------------------------------
// Extensions.

/** Benchmarks that predate the `bench` contract: file (from the repository root) and export. */
const NAMED_BENCHMARKS: { file: string; exportName: string; args?: unknown[] }[] = [
  { file: 'systems/lb/maglev-figures.ts', exportName: 'benchMaglev' },
  { file: 'systems/crdt/crdt.bench.ts', exportName: 'benchCrdt' },
  { file: 'invariants/linearizability/bench.ts', exportName: 'benchPorcupineData' },
];

/**
 * Files matching the extension patterns, relative to `root`, sorted:
 * systems/X/F.bench.ts, invariants/** /F.bench.ts, sim/hardware/F.bench.ts.
 */
export function discoverBenchFiles(root: string): string[] {
  const out: string[] = [];
  const list = (rel: string): { name: string; dir: boolean }[] => {
    try {
      return readdirSync(path.join(root, rel), { withFileTypes: true }).map((d) => ({ name: d.name, dir: d.isDirectory() }));
    } catch {
      return [];
    }
  };
  const isBench = (name: string): boolean => name.endsWith('.bench.ts');
  for (const sys of list('systems')) {
    if (!sys.dir) continue;
    for (const f of list(`systems/${sys.name}`)) if (!f.dir && isBench(f.name)) out.push(`systems/${sys.name}/${f.name}`);
  }
  const walk = (rel: string): void => {
    for (const f of list(rel)) {
      if (f.dir) {
        if (f.name !== 'node_modules') walk(`${rel}/${f.name}`);
      } else if (isBench(f.name)) out.push(`${rel}/${f.name}`);
    }
  };
  walk('invariants');
  for (const f of list('sim/hardware')) if (!f.dir && isBench(f.name)) out.push(`sim/hardware/${f.name}`);
  return out.sort();
}

async function runExtension(file: string, exportName: string, args: unknown[] = []): Promise<unknown> {
  const s0 = clock();
  try {
    const mod = (await import(pathToFileURL(codeFile(file)).href)) as Record<string, unknown>;
    const fn = mod[exportName];
    if (typeof fn !== 'function') return undefined;
    progress(`extension ${file}#${exportName} ...`);
    const result: unknown = await (fn as (clock: Clock, ...rest: unknown[]) => unknown)(clock, ...args);
    progress(`extension ${file}#${exportName} done in ${(clock() - s0).toFixed(0)} ms`);
    return result;
  } catch (err) {
    // A missing file is not an error: the list names benchmarks that may not exist yet.
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(codeFile(file))) return undefined;
    progress(`extension ${file}#${exportName} failed: ${(err as Error).message}`);
    return { error: (err as Error).message };
  }
}

async function benchExtensions(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const file of discoverBenchFiles(ROOT)) {
    const r = await runExtension(file, 'bench');
    if (r !== undefined) out[file] = r;
  }
  for (const { file, exportName, args } of NAMED_BENCHMARKS) {
    const r = await runExtension(file, exportName, args);
    if (r !== undefined) out[`${file}#${exportName}`] = r;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

export async function main(argv: readonly string[]): Promise<void> {
  const quick = argv.includes('--quick');
  if (argv.includes('--only-startup')) {
    // Start-up and sweep scaling alone (bench/startup.ts): a minute or two, for work on start-up.
    const startup = await benchStartup(clock, quick ? QUICK_STARTUP : DEFAULT_STARTUP, progress);
    process.stdout.write(`${JSON.stringify({ node: process.version, startup }, null, 2)}\n`);
    return;
  }
  const rssFlag = argv.find((a) => a === '--only-rss' || a.startsWith('--only-rss='));
  if (rssFlag !== undefined) {
    // Peak RSS of the 10-million-event runs alone (bench/memory-child.ts in child processes).
    const which = rssFlag.includes('=') ? rssFlag.slice('--only-rss='.length) : 'all';
    if (which !== 'all' && which !== 'raft' && which !== 'broadcast') {
      process.stderr.write(`bench: --only-rss=${which}: expected raft or broadcast (or --only-rss for both)\n`);
      process.exitCode = 2;
      return;
    }
    progress(`memory: 10-million-event run(s) of ${which === 'all' ? 'raft-churn and broadcast' : which}, each in its own process ...`);
    const memory = benchMemory(false, true, which === 'all' ? ['raft', 'broadcast'] : [which]);
    process.stdout.write(`${JSON.stringify({ node: process.version, memory }, null, 2)}\n`);
    return;
  }
  const t0 = clock();
  const c0 = cpuMs();
  // Whatever a benchmark prints must not corrupt the one JSON object on stdout.
  const stdoutLog = console.log;
  console.log = console.error;
  try {
    const pattern: PingPongOptions = { events: quick ? 200_000 : 1_500_000, inflight: 1000, latencyNs: 1_000_000, nodes: 5 };
    progress(`kernel: ${pattern.events} events x 3 loops x ${quick ? 1 : 5} rounds`);
    const kernel = benchKernel(pattern, quick ? 1 : 5);
    const broadcastFig = quick ? benchBroadcast(1, 0, 1) : benchBroadcast(5, 2000, 2000);
    let sweep: { value: number | null; detail: unknown } = { value: null, detail: { note: 'skipped (--no-sweep)' } };
    if (!argv.includes('--no-sweep')) {
      progress('sweep with 2 workers ...');
      // Each worker takes about a second to start (tsx); 120 seeds keep that from dominating.
      sweep = await benchSweepJobs2(quick ? 4 : 120);
    }
    const systems = argv.includes('--no-systems') ? { note: 'skipped (--no-systems)' } : benchSystems(clock, quick, progress, !argv.includes('--no-memory'));
    const startup = argv.includes('--no-startup') ? { note: 'skipped (--no-startup)' } : await benchStartup(clock, quick ? QUICK_STARTUP : DEFAULT_STARTUP, progress);
    const extensions = argv.includes('--no-extensions') ? { note: 'skipped (--no-extensions)' } : await benchExtensions();
    const wallMs = clock() - t0;
    const report = {
      node: process.version,
      kernel,
      broadcast: broadcastFig,
      sweepSeedsPerSecJobs2: sweep.value,
      sweep: sweep.detail,
      systems,
      startup,
      extensions,
      totalWallMs: Math.round(wallMs),
      /** Process CPU time (all threads, the sweep's workers included) over wall time. */
      cpuOverWall: round((cpuMs() - c0) / wallMs, 2),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    console.log = stdoutLog;
  }
}

// Run when executed directly (`npx tsx bench/main.ts`); bin/bench.js imports it and calls main.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main(process.argv.slice(2));
