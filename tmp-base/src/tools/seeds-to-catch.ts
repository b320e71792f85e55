/**
 * Seeds to catch, as a distribution: for each bug-zoo variant of a scenario (its `bug` parameter),
 * sweeps from several different starting seeds (windows `k * stride + 1`, k = 0..windows-1) until
 * the first failing seed, and reports the median and the max number of seeds run until that first
 * catch, and which invariants caught it. One window's figure is one sample of "how many seeds a
 * nightly sweep needs"; a single first-catching seed from 1 is one sample only.
 *
 *   npx tsx tools/seeds-to-catch.ts platform-global-sale [--bugs a,b] [--windows 10] [--stride 1000] [--cap 100] [--json out.json]
 *
 * A window that does not catch the bug within `--cap` seeds counts as `cap` seeds and is reported
 * as missed (the median is then a lower bound, marked `>=`). Runs in-process, one seed after another
 * (swarm and BUGGIFY on, as a sweep runs them). Wall clock is read outside the simulation only.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { findCatchingSeed } from '../sim/bug-zoo.ts';
import { resolveScenarios } from '../cli/scenarios.ts';

/** One bug's distribution of seeds to catch over the windows. */
export interface CatchRow {
  bug: string;
  /** Seeds run until the first catch, per window (the cap when missed). */
  seedsRun: number[];
  /** Windows that did not catch it within the cap. */
  missed: number;
  median: number;
  max: number;
  /** Invariant (or outcome) that caught it -> windows. */
  caughtBy: Record<string, number>;
}

/** Median of a list (the mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function usage(msg: string): never {
  process.stderr.write(`seeds-to-catch: ${msg}\nusage: npx tsx tools/seeds-to-catch.ts <scenario> [--bugs a,b] [--windows 10] [--stride 1000] [--cap 100] [--json out.json]\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
let windows = 10;
let stride = 1000;
let cap = 100;
let json: string | null = null;
let bugsArg: string[] | null = null;
const patterns: string[] = [];
const num = (v: string | undefined, name: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) usage(`${name} wants a positive whole number, got ${v ?? 'nothing'}`);
  return n;
};
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--windows') windows = num(args[++i], a);
  else if (a === '--stride') stride = num(args[++i], a);
  else if (a === '--cap') cap = num(args[++i], a);
  else if (a === '--json') json = args[++i] ?? usage('--json wants a file name');
  else if (a === '--bugs') bugsArg = (args[++i] ?? usage('--bugs wants a comma-separated list')).split(',');
  else if (a.startsWith('--')) usage(`unknown option ${a}`);
  else patterns.push(a);
}
if (patterns.length !== 1) usage('name exactly one scenario');
const loaded = (await resolveScenarios(patterns).catch((e: unknown) => usage(e instanceof Error ? e.message : String(e))))[0];
const scn = loaded!.scenario;
const bugDef = (scn.params as Record<string, { type: string; values?: readonly string[] }>).bug;
if (bugDef?.type !== 'enum' || bugDef.values === undefined) usage(`${scn.name} has no bug parameter (no bug zoo)`);
const all = bugDef.values.filter((b) => b !== 'none');
const bugs = bugsArg ?? all;
for (const b of bugs) if (!all.includes(b)) usage(`${scn.name} has no bug variant "${b}"; it has ${all.join(', ')}`);

const rows: CatchRow[] = [];
let runs = 0;
const t0 = performance.now(); // wallclock-ok
for (const bug of bugs) {
  const seedsRun: number[] = [];
  const caughtBy: Record<string, number> = {};
  let missed = 0;
  for (let k = 0; k < windows; k++) {
    const c = findCatchingSeed(scn, { pins: { bug }, from: k * stride + 1, cap });
    runs += c.seedsRun;
    seedsRun.push(c.seedsRun);
    if (c.seed === null) missed++;
    else {
      const by = c.invariant ?? c.outcome ?? 'unknown';
      caughtBy[by] = (caughtBy[by] ?? 0) + 1;
    }
  }
  const row: CatchRow = { bug, seedsRun, missed, median: median(seedsRun), max: Math.max(...seedsRun), caughtBy };
  rows.push(row);
  process.stderr.write(`${bug}: median ${row.median}, max ${row.max}${missed > 0 ? `, missed in ${missed} window(s)` : ''} [${seedsRun.join(' ')}] ${JSON.stringify(caughtBy)}\n`);
}
const wallS = (performance.now() - t0) / 1000; // wallclock-ok

const when = new Date().toISOString().slice(0, 16).replace('T', ' '); // wallclock-ok
const cpu = os.cpus();
const machine = `${cpu.length} x ${cpu[0]?.model.trim() ?? 'cpu'}, load average ${os.loadavg()[0]!.toFixed(1)} at the end`;
console.log(`${scn.name}: seeds to catch each bug variant, ${windows} windows (seeds ${Array.from({ length: Math.min(windows, 3) }, (_, k) => `${k * stride + 1}..`).join(', ')}${windows > 3 ? ' ...' : ''}), cap ${cap}; ${runs} runs in ${wallS.toFixed(0)} s, ${when} UTC, ${machine}; \`npx tsx tools/seeds-to-catch.ts ${process.argv.slice(2).join(' ')}\``);
console.log('');
console.log('| `bug=` | median seeds to catch | max | per window | caught by (windows) |');
console.log('|---|---:|---:|---|---|');
for (const r of rows) {
  const by = Object.entries(r.caughtBy).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} (${n})`).join(', ');
  const med = r.missed > windows / 2 ? `>= ${cap}` : String(r.median);
  console.log(`| \`${r.bug}\` | ${med} | ${r.missed > 0 ? `>= ${cap} (${r.missed} missed)` : r.max} | ${r.seedsRun.join(' ')} | ${by || '-'} |`);
}
if (json !== null) writeFileSync(json, JSON.stringify({ scenario: scn.name, windows, stride, cap, runs, wallS, rows }, null, 2) + '\n');
const missedAny = rows.some((r) => r.missed > 0);
process.exit(missedAny ? 1 : 0);
