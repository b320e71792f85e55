/**
 * Probe hit rates for the docs: runs seeds 1..N of each scenario matching the patterns (swarm and
 * BUGGIFY on, as a sweep does) in-process and prints, per declared probe, how many seeds hit it.
 *
 *   npx tsx tools/probe-rates.ts --seeds 1000 'raft-*' [more patterns] [--json out.json]
 *
 * Seeds are split evenly over the matching scenarios (a family's sweep of N seeds), so the rates
 * are "fraction of the family's seeds". Wall clock is read outside the simulation only.
 */
import { writeFileSync } from 'node:fs';
import { runScenario } from '../sim/runner.ts';
import { resolveScenarios } from '../cli/scenarios.ts';

const args = process.argv.slice(2);
let seeds = 100;
let json: string | null = null;
const patterns: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--seeds') seeds = Number(args[++i]);
  else if (args[i] === '--json') json = args[++i]!;
  else patterns.push(args[i]!);
}
const scns = await resolveScenarios(patterns);
const perScenario = Math.max(1, Math.round(seeds / scns.length));
const seedsHit = new Map<string, number>();
const firstSeed = new Map<string, string>();
const declared = new Set<string>();
const sometimes = new Map<string, number>();
let runs = 0;
let failures = 0;
const t0 = performance.now(); // wallclock-ok
for (const l of scns) {
  for (let seed = 1; seed <= perScenario; seed++) {
    const r = runScenario(l.scenario, { seed });
    runs++;
    if (!r.ok) failures++;
    for (const d of r.coverage.declared) declared.add(d);
    for (const p of Object.keys(r.coverage.probes)) {
      seedsHit.set(p, (seedsHit.get(p) ?? 0) + 1);
      if (!firstSeed.has(p)) firstSeed.set(p, `${l.scenario.name} ${seed}`);
    }
    for (const [k, v] of Object.entries(r.coverage.sometimes)) sometimes.set(k, (sometimes.get(k) ?? 0) + (v ? 1 : 0));
  }
  process.stderr.write(`${l.scenario.name}: ${perScenario} seeds (${Math.round((performance.now() - t0) / 1000)} s)\n`); // wallclock-ok
}
const rows = [...declared].sort().map((p) => ({ probe: p, seeds: seedsHit.get(p) ?? 0, rate: (seedsHit.get(p) ?? 0) / runs, first: firstSeed.get(p) ?? null }));
rows.sort((a, b) => a.seeds - b.seeds || a.probe.localeCompare(b.probe));
console.log(`${runs} runs (${perScenario} seeds x ${scns.length} scenarios: ${scns.map((l) => l.scenario.name).join(', ')}), ${failures} failing`);
console.log('| probe | seeds hitting | rate | first seed |');
console.log('|---|---:|---:|---|');
for (const r of rows) console.log(`| \`${r.probe}\` | ${r.seeds} | ${(100 * r.rate).toFixed(1)}% | ${r.first ?? '**never**'} |`);
for (const [k, v] of sometimes) console.log(`| sometimes \`${k}\` | ${v} | ${((100 * v) / runs).toFixed(1)}% | |`);
if (json) writeFileSync(json, JSON.stringify({ runs, perScenario, scenarios: scns.map((l) => l.scenario.name), rows, sometimes: Object.fromEntries(sometimes) }, null, 2));
