/**
 * The shrink table of docs/shrink.md: for every bug-zoo entry (the variants each system's bug-zoo
 * test sweeps for), the first catching seed (swarm and BUGGIFY on, as a sweep runs), then
 * `shrink` on it: fault events, operations, events and simulated time before and after, and
 * whether the run driven by the recorded script failed the same invariant.
 *
 *   npx tsx tools/shrink-table.ts [--max-runs 150] [--cap 300] [--only raft] [--json out.json]
 *
 * Prints the markdown table, then the median fault-event counts and the reduction factor.
 * Wall clock is read outside the simulation only.
 */
import { writeFileSync } from 'node:fs';
import { findCatchingSeed } from '../sim/bug-zoo.ts';
import { resolveScenario } from '../cli/scenarios.ts';
import { shrink } from '../cli/shrink.ts';
import type { ParamDefs } from '../sim/params.ts';
import type { Scenario } from '../sim/scenario.ts';

/** The bug-zoo entries: system, bug, the scenario its zoo test catches it on, extra pins. */
export const ZOO: { system: string; bug: string; scenario: string; pins?: Record<string, unknown>; from?: number }[] = [
  { system: 'raft', bug: 'commit-prev-term-by-counting', scenario: 'raft-figure8' },
  { system: 'raft', bug: 'forget-voted-for', scenario: 'raft-election' },
  { system: 'raft', bug: 'no-up-to-date-check', scenario: 'raft-crash-restart' },
  { system: 'raft', bug: 'stale-reads', scenario: 'raft-leader-isolated' },
  { system: 'raft', bug: 'ack-before-fsync', scenario: 'raft-crash-restart' },
  { system: 'crdt', bug: 'non-idempotent-counter-merge', scenario: 'crdt-hot-counter' },
  { system: 'crdt', bug: 'or-set-remove-unseen', scenario: 'crdt-orset-churn' },
  { system: 'crdt', bug: 'tombstone-gc-before-stability', scenario: 'crdt-orset-churn' },
  { system: 'crdt', bug: 'lww-wall-clock', scenario: 'crdt-clock-skew' },
  { system: 'crdt', bug: 'anti-entropy-skips-subtree', scenario: 'crdt-burst' },
  { system: 'crdt', bug: 'resync-skipped', scenario: 'crdt-long-partition-gc' },
  { system: 'crdt', bug: 'deltas-ack-past-durable', scenario: 'crdt-crash' },
  { system: 'crdt', bug: 'lww-merge-no-clock-feed', scenario: 'crdt-clock-skew' },
  { system: 'lb', bug: 'stale-backend-list', scenario: 'lb-drain', pins: { lbMode: 'l7' } },
  { system: 'lb', bug: 'non-atomic-counter', scenario: 'lb-crash' },
  { system: 'lb', bug: 'drain-accepts-new', scenario: 'lb-drain' },
  { system: 'lb', bug: 'health-threshold-off-by-one', scenario: 'lb-crash', pins: { lbMode: 'l7' } },
  { system: 'lb', bug: 'maglev-non-prime', scenario: 'lb-churn' },
  { system: 'lb', bug: 'health-failures-not-reset', scenario: 'lb-flap' },
  { system: 'escrow', bug: 'check-then-act', scenario: 'escrow-seat-example' },
  { system: 'escrow', bug: 'credit-before-debit-durable', scenario: 'escrow-transfer-crash' },
  { system: 'escrow', bug: 'reack-before-credit-durable', scenario: 'escrow-transfer-crash' },
  { system: 'escrow', bug: 'reaper-returns-confirmed', scenario: 'escrow-reaper' },
  { system: 'escrow', bug: 'rebalance-double-counts-in-flight', scenario: 'escrow-flash-sale' },
  { system: 'hw', bug: 'trust-ssd-result', scenario: 'hw-accelerated-kv' },
  { system: 'hw', bug: 'ack-before-nvdimm', scenario: 'hw-accelerated-kv' },
  { system: 'hw', bug: 'retransmit-ack-from-memory', scenario: 'hw-accelerated-kv' },
  { system: 'hw', bug: 'skip-mac-check', scenario: 'hw-accelerated-kv' },
  { system: 'hw', bug: 'ignore-poison', scenario: 'hw-cxl-escrow' },
  { system: 'platform', bug: 'unfenced-operator', scenario: 'platform-global-sale' },
  { system: 'platform', bug: 'order-before-escrow-confirm', scenario: 'platform-global-sale' },
  { system: 'platform', bug: 'checkout-retry-not-idempotent', scenario: 'platform-global-sale' },
  { system: 'platform', bug: 'cart-read-ignores-token', scenario: 'platform-global-sale' },
  { system: 'platform', bug: 'geodns-ignores-health', scenario: 'platform-global-sale' },
  { system: 'platform', bug: 'lb-stale-config-read', scenario: 'platform-global-sale' },
  { system: 'broadcast', bug: 'drop-gossip', scenario: 'broadcast' },
];

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
  let maxRuns = 150;
  let cap = 300;
  let only: string | null = null;
  let json: string | null = null;
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
  process.stdout.write(out.join('\n') + '\n');
  if (json !== null) writeFileSync(json, JSON.stringify({ maxRuns, cap, rows }, null, 2) + '\n');
}

await main();
