/**
 * The shrink table of docs/shrink.md: for every bug-zoo entry (the variants each system's bug-zoo
 * test sweeps for), the first catching seed (swarm and BUGGIFY on, as a sweep runs), then
 * `shrink` on it: fault events, operations, events and simulated time before and after, and
 * whether the run driven by the recorded script failed the same invariant.
 *
 *   npx tsx tools/shrink-table.ts [--max-runs 150] [--cap 300] [--only raft] [--json out.json]
 *   npx tsx tools/shrink-table.ts --render out.json     # the table again from a --json file
 *
 * Prints the markdown table, then the median fault-event and operation counts before and after
 * and their reduction factors.
 * Wall clock is read outside the simulation only.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { findCatchingSeed } from '../sim/bug-zoo.ts';
import { resolveScenario } from '../cli/scenarios.ts';
import { shrink } from '../cli/shrink.ts';
import type { ParamDefs } from '../sim/params.ts';
import type { Scenario } from '../sim/scenario.ts';
import { ZOO } from './bug-zoo-entries.ts';

export { ZOO };


export interface Row {
  system: string;
  bug: string;
  scenario: string;
  seed: number | null;
  invariant: string | null;
  scripted: boolean;
  runs: number;
  before: { faults: number; operations: number; events: number; simTimeNs: number } | null;
  after: { faults: number; operations: number; events: number; simTimeNs: number } | null;
  wallS: number;
  note?: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    // The whole table takes many minutes of CPU: never start it by asking for help.
    process.stdout.write(`usage: npx tsx tools/shrink-table.ts [--max-runs 150] [--cap 300] [--only SYSTEM] [--json out.json]
       npx tsx tools/shrink-table.ts --render out.json
Shrinks the first catching seed of every bug-zoo entry (tools/bug-zoo-entries.ts) and prints the
table of docs/shrink.md with the median fault-event and operation counts before and after.
  --max-runs N  runs each shrink may take (default 150; docs/shrink.md uses 100)
  --cap N       seeds searched for the first catching seed (default 300)
  --only S      one system (raft, crdt, lb, escrow, hw, platform, broadcast)
  --json FILE   also write the rows as JSON (--render prints the table again from it)
`);
    return;
  }
  let maxRuns = 150;
  let cap = 300;
  let only: string | null = null;
  let json: string | null = null;
  const at = args.indexOf('--render');
  if (at >= 0) {
    process.stdout.write(render((JSON.parse(readFileSync(args[at + 1]!, 'utf8')) as { rows: Row[] }).rows));
    return;
  }
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--max-runs') maxRuns = Number(args[++i]);
    else if (args[i] === '--cap') cap = Number(args[++i]);
    else if (args[i] === '--only') only = args[++i]!;
    else if (args[i] === '--json') json = args[++i]!;
  }
  const rows: Row[] = [];
  for (const z of ZOO) {
    if (only !== null && z.system !== only && z.bug !== only) continue;
    const t0 = performance.now(); // wallclock-ok
    let scn: Scenario<ParamDefs>;
    try {
      scn = (await resolveScenario(z.scenario)).scenario as Scenario<ParamDefs>;
    } catch (e) {
      rows.push({ system: z.system, bug: z.bug, scenario: z.scenario, seed: null, invariant: null, scripted: false, runs: 0, before: null, after: null, wallS: 0, note: (e as Error).message });
      continue;
    }
    const pins = { ...z.pins, bug: z.bug };
    const c = findCatchingSeed(scn, { pins, cap, from: z.from ?? 1 });
    if (c.seed === null || c.result === null || c.invariant === null) {
      rows.push({ system: z.system, bug: z.bug, scenario: z.scenario, seed: null, invariant: null, scripted: false, runs: 0, before: null, after: null, wallS: (performance.now() - t0) / 1000, note: `not caught in ${cap} seeds` }); // wallclock-ok
      continue;
    }
    const r = shrink({ scenario: scn, seed: c.seed, params: c.result.params, buggify: true, invariant: c.invariant, maxRuns });
    const row: Row = {
      system: z.system,
      bug: z.bug,
      scenario: z.scenario,
      seed: c.seed,
      invariant: c.invariant,
      scripted: r.scriptReproduced,
      runs: r.runs,
      before: { faults: r.before.faults, operations: r.before.operations, events: r.before.events, simTimeNs: r.before.simTimeNs },
      after: { faults: r.after.faults, operations: r.after.operations, events: r.after.events, simTimeNs: r.after.simTimeNs },
      wallS: Math.round((performance.now() - t0) / 100) / 10, // wallclock-ok
    };
    rows.push(row);
    process.stderr.write(`${z.system} ${z.bug}: seed ${c.seed} ${c.invariant}, faults ${row.before!.faults} -> ${row.after!.faults}, ops ${row.before!.operations} -> ${row.after!.operations}, events ${row.before!.events} -> ${row.after!.events} (${r.runs} runs, ${row.wallS}s${r.scriptReproduced ? '' : ', script did not reproduce'})\n`);
  }
  process.stdout.write(render(rows));
  if (json !== null) writeFileSync(json, JSON.stringify({ maxRuns, cap, rows }, null, 2) + '\n');
}

/** The markdown table and its summary lines. */
export function render(rows: Row[]): string {
  const done = rows.filter((r) => r.before !== null && r.after !== null);
  const out: string[] = [];
  out.push('| system | bug | scenario | seed | invariant | fault events | operations | events | simulated time | runs |');
  out.push('|---|---|---|---:|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    if (r.before === null || r.after === null) {
      out.push(`| ${r.system} | ${r.bug} | ${r.scenario} | - | - | ${r.note ?? ''} | | | | |`);
      continue;
    }
    const s = (ns: number): string => `${(ns / 1e9).toFixed(2)} s`;
    out.push(`| ${r.system} | ${r.bug} | ${r.scenario} | ${r.seed} | ${r.invariant} | ${r.before.faults} → ${r.after.faults}${r.scripted ? '' : ' (params only)'} | ${r.before.operations} → ${r.after.operations} | ${r.before.events} → ${r.after.events} | ${s(r.before.simTimeNs)} → ${s(r.after.simTimeNs)} | ${r.runs} |`);
  }
  const mb = median(done.map((r) => r.before!.faults));
  const ma = median(done.map((r) => r.after!.faults));
  const sumB = done.reduce((a, r) => a + r.before!.faults, 0);
  const sumA = done.reduce((a, r) => a + r.after!.faults, 0);
  const perEntry = done.filter((r) => r.before!.faults > 0).map((r) => r.before!.faults / Math.max(1, r.after!.faults));
  out.push('');
  out.push(`Entries shrunk: ${done.length} of ${rows.length}; driven by their recorded script: ${done.filter((r) => r.scripted).length}.`);
  out.push(`Median fault events: ${mb} before, ${ma} after (median reduction ${ma === 0 ? (mb === 0 ? '1' : '∞') : (mb / ma).toFixed(1)}x); in all ${sumB} → ${sumA} (${sumA === 0 ? '∞' : (sumB / sumA).toFixed(1)}x); median per-entry factor ${median(perEntry).toFixed(1)}x over the ${perEntry.length} entries that had faults (after counted as at least 1).`);
  const withOps = done.filter((r) => r.before!.operations > 0);
  const ob = median(withOps.map((r) => r.before!.operations));
  const oa = median(withOps.map((r) => r.after!.operations));
  const opB = withOps.reduce((a, r) => a + r.before!.operations, 0);
  const opA = withOps.reduce((a, r) => a + r.after!.operations, 0);
  const opFactor = withOps.map((r) => r.before!.operations / Math.max(1, r.after!.operations));
  out.push(`Median operations (the ${withOps.length} entries whose run recorded any): ${ob} before, ${oa} after (median reduction ${oa === 0 ? '∞' : (ob / oa).toFixed(1)}x); in all ${opB} → ${opA} (${opA === 0 ? '∞' : (opB / opA).toFixed(1)}x); median per-entry factor ${median(opFactor).toFixed(1)}x (after counted as at least 1).`);
  return out.join('\n') + '\n';
}

await main();
