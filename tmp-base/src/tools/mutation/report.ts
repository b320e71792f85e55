/**
 * The mutation report: per system, mutants measured, caught by the sweep, by the unit tests, by
 * either, by neither, and every sweep survivor with why. Computed from the results files only
 * (`<out>/<system>.jsonl`), so a report can be rebuilt at any time, also mid-run.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { readResults, type Header, type MutantResult } from './run.ts';

export interface SystemSummary {
  system: string;
  seeds: number;
  family: string[];
  pool: number;
  measured: number;
  notCompiling: number;
  caughtBySweep: number;
  caughtByUnit: number;
  caughtByEither: number;
  caughtByNeither: number;
  /** Sweep survivors by why. */
  survivors: Record<string, number>;
  likelyEquivalent: number;
  /** Caught by the sweep / measured mutants that are not likely equivalent (null if none). */
  sweepScore: number | null;
  unitScore: number | null;
  unitRan: boolean;
  /** Seed index at which the sweep caught each caught mutant (1 = first seed of every scenario). */
  seedsToCatch: { median: number | null; max: number | null };
}

export interface Report {
  format: 'detsim-mutation-report/1';
  systems: SystemSummary[];
  total: Omit<SystemSummary, 'system' | 'seeds' | 'family' | 'seedsToCatch' | 'pool'> & { pool: number };
  mutants: MutantResult[];
}

function pct(x: number | null): string {
  return x === null ? 'n/a' : `${(100 * x).toFixed(0)}%`;
}

export function summarize(header: Header, results: MutantResult[]): SystemSummary {
  const survivors: Record<string, number> = {};
  for (const r of results) if (!r.caughtBySweep && r.why) survivors[r.why] = (survivors[r.why] ?? 0) + 1;
  const eq = survivors['equivalent?'] ?? 0;
  const caughtBySweep = results.filter((r) => r.caughtBySweep).length;
  const unitRan = results.some((r) => r.unit.verdict !== 'skipped');
  const caughtByUnit = results.filter((r) => r.caughtByUnit).length;
  const seeds = results.filter((r) => r.caughtBySweep && r.sweep.seed !== null).map((r) => r.sweep.seed!).sort((a, b) => a - b);
  const denom = results.length - eq;
  return {
    system: header.system, seeds: header.seeds, family: header.family, pool: header.pool, measured: results.length, notCompiling: header.notCompiling.length,
    caughtBySweep, caughtByUnit, caughtByEither: results.filter((r) => r.caughtBySweep || r.caughtByUnit).length,
    caughtByNeither: results.filter((r) => !r.caughtBySweep && !r.caughtByUnit).length,
    survivors, likelyEquivalent: eq,
    sweepScore: denom > 0 ? caughtBySweep / denom : null,
    unitScore: unitRan && denom > 0 ? results.filter((r) => r.caughtByUnit && r.why !== 'equivalent?').length / denom : null,
    unitRan,
    seedsToCatch: { median: seeds.length ? seeds[Math.floor((seeds.length - 1) / 2)]! : null, max: seeds.length ? seeds[seeds.length - 1]! : null },
  };
}

/** Reads every `<system>.jsonl` in `out` (or the named systems) into a report. */
export function buildReport(out: string, systems?: string[]): Report {
  const files = existsSync(out) ? readdirSync(out).filter((f) => f.endsWith('.jsonl')).sort() : [];
  const sums: SystemSummary[] = [];
  const all: MutantResult[] = [];
  for (const f of files) {
    const name = f.replace(/\.jsonl$/, '');
    if (systems && !systems.includes(name)) continue;
    const { header, mutants } = readResults(path.join(out, f));
    if (!header) continue;
    sums.push(summarize(header, mutants));
    all.push(...mutants);
  }
  const add = (k: keyof SystemSummary) => sums.reduce((a, s) => a + (s[k] as number), 0);
  const eq = add('likelyEquivalent');
  const measured = add('measured');
  const survivors: Record<string, number> = {};
  for (const s of sums) for (const [k, v] of Object.entries(s.survivors)) survivors[k] = (survivors[k] ?? 0) + v;
  const unitRan = sums.some((s) => s.unitRan);
  return {
    format: 'detsim-mutation-report/1',
    systems: sums,
    total: {
      pool: add('pool'), measured, notCompiling: add('notCompiling'), caughtBySweep: add('caughtBySweep'), caughtByUnit: add('caughtByUnit'),
      caughtByEither: add('caughtByEither'), caughtByNeither: add('caughtByNeither'), survivors, likelyEquivalent: eq,
      sweepScore: measured - eq > 0 ? add('caughtBySweep') / (measured - eq) : null,
      unitScore: unitRan && measured - eq > 0 ? all.filter((r) => r.caughtByUnit && r.why !== 'equivalent?').length / (measured - eq) : null,
      unitRan,
    },
    mutants: all,
  };
}

const WHY_TEXT: Record<string, string> = {
  'not-reached': 'not reached: no run of the family executed the mutated code',
  'equivalent?': 'likely equivalent: it ran, and every run\'s trace hash (and the message bodies of the first 5 seeds) equal the unmutated build\'s',
  'too-rare': 'too rare: caught only by the longer confirmation sweep',
  'no-invariant': 'no invariant: behaviour changed (trace hashes differ), no check failed',
  'cut-short': 'cut short: the sweep\'s wall bound ran out first',
};

function esc(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/`/g, "'");
}

export function renderMarkdown(r: Report): string {
  const lines: string[] = [];
  lines.push('| system | seeds/scenario | mutants | not compiling | caught by sweep | caught by unit tests | caught by either | caught by neither | likely equivalent | sweep score* | seed to catch (median / max) |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of r.systems) {
    lines.push(`| ${s.system} | ${s.seeds} | ${s.measured} | ${s.notCompiling} | ${s.caughtBySweep} | ${s.unitRan ? s.caughtByUnit : 'n/a'} | ${s.caughtByEither} | ${s.caughtByNeither} | ${s.likelyEquivalent} | ${pct(s.sweepScore)} | ${s.seedsToCatch.median ?? '-'} / ${s.seedsToCatch.max ?? '-'} |`);
  }
  const t = r.total;
  lines.push(`| **all** | | ${t.measured} | ${t.notCompiling} | ${t.caughtBySweep} | ${t.unitRan ? t.caughtByUnit : 'n/a'} | ${t.caughtByEither} | ${t.caughtByNeither} | ${t.likelyEquivalent} | ${pct(t.sweepScore)} | |`);
  lines.push('');
  lines.push('\\* sweep score: caught by the sweep / (mutants - likely equivalent). Unit score (same denominator): ' +
    `${pct(t.unitScore)}. Target: 95% of non-equivalent mutants caught within 200 seeds.`);
  lines.push('');
  const surv = r.mutants.filter((m) => !m.caughtBySweep);
  lines.push(`Sweep survivors (${surv.length}): ${Object.entries(t.survivors).map(([k, v]) => `${v} ${k}`).join(', ') || 'none'}.`);
  lines.push('');
  if (surv.length > 0) {
    lines.push('| mutant | where | operator | before -> after | why | runs reached / changed / run | unit tests |');
    lines.push('|---|---|---|---|---|---|---|');
    for (const m of surv) {
      const mu = m.mutant;
      lines.push(`| ${mu.id} | ${mu.file}:${mu.line} | ${mu.operator} | \`${esc(mu.before).slice(0, 90)}\` -> \`${esc(mu.after).slice(0, 90)}\` | ${m.why ?? ''} | ${m.sweep.reachedRuns} / ${m.sweep.changedRuns} / ${m.sweep.runs} | ${m.unit.verdict}${m.unit.test ? `: ${esc(m.unit.test).slice(0, 70)}` : ''} |`);
    }
    lines.push('');
    lines.push(Object.entries(WHY_TEXT).map(([k, v]) => `- ${k}: ${v.replace(/^[^:]+: /, '')}`).join('\n'));
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

/** One line per caught mutant: which scenario, seed and invariant caught it (for the docs' appendix). */
export function renderCaught(r: Report): string {
  const lines = ['| mutant | where | operator | change | caught by (scenario, seed, invariant) | unit tests |', '|---|---|---|---|---|---|'];
  for (const m of r.mutants.filter((x) => x.caughtBySweep)) {
    const mu = m.mutant;
    lines.push(`| ${mu.id} | ${mu.file}:${mu.line} | ${mu.operator} | ${esc(mu.description).slice(0, 70)} | ${m.sweep.scenario} #${m.sweep.seed}, ${m.sweep.invariant} | ${m.unit.verdict} |`);
  }
  return `${lines.join('\n')}\n`;
}
