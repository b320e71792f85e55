/**
 * Benchmark of the checker on Porcupine's test data (every file in EXPECTED.tsv), for `npm run bench`.
 * Reads files (through cli/history-file.ts): run by the bench tool, never by simulated code. Time comes
 * from the caller's clock.
 */
import { checkHistory } from './checker.ts';
import { PORCUPINE_DATA_DIR, parseHistoryText, readExpected, readHistoryText, type FileModelName } from '../../cli/history-file.ts';
import type { CheckOptions, Verdict } from './types.ts';

export interface BenchFileResult {
  /** Relative to the data directory. */
  readonly path: string;
  readonly model: FileModelName;
  readonly expected: 'linearizable' | 'not' | 'none';
  readonly verdict: Verdict;
  /** Verdict equals the expected one ('none' = an empty history, which is linearizable). */
  readonly ok: boolean;
  readonly operations: number;
  readonly steps: number;
  readonly parseMs: number;
  /** Time of `checkHistory` alone (including violation minimisation), best of `repeat` runs. */
  readonly checkMs: number;
}

export interface BenchStats {
  readonly count: number;
  readonly minMs: number;
  readonly medianMs: number;
  readonly maxMs: number;
  readonly totalMs: number;
}

export interface BenchReport {
  readonly files: readonly BenchFileResult[];
  /** "jepsen" (all etcd logs) and one group per kv file, e.g. "kv/c50-ok.txt". */
  readonly groups: Readonly<Record<string, BenchStats>>;
  /** Sum of checkMs over all files. */
  readonly totalCheckMs: number;
  readonly mismatches: number;
}

export interface BenchOptions {
  /** Default: /work/shared/porcupine-data (beside the repository). */
  readonly dataDir?: string;
  /** Runs per file; the fastest is reported. Default 1. */
  readonly repeat?: number;
  /** Passed to checkHistory (e.g. `{ minimize: false }`). */
  readonly check?: CheckOptions;
}

export function benchPorcupineData(clock: () => number, options: BenchOptions = {}): BenchReport {
  const dataDir = (options.dataDir ?? PORCUPINE_DATA_DIR).replace(/\/?$/, '/');
  const repeat = Math.max(1, options.repeat ?? 1);
  const files = readExpected(dataDir).map((row): BenchFileResult => {
    const text = readHistoryText(dataDir + row.path);
    const p0 = clock();
    const loaded = parseHistoryText(text, row.model, row.path);
    const parseMs = clock() - p0;
    let checkMs = Infinity;
    let verdict: Verdict = 'unknown';
    let steps = 0;
    for (let i = 0; i < repeat; i++) {
      const t0 = clock();
      const r =
        loaded.model === 'etcd' ? checkHistory(loaded.spec, loaded.history, options.check) : checkHistory(loaded.spec, loaded.history, options.check);
      checkMs = Math.min(checkMs, clock() - t0);
      verdict = r.result;
      steps = r.steps;
    }
    const ok = verdict === (row.expected === 'none' ? 'linearizable' : row.expected);
    return { path: row.path, model: row.model, expected: row.expected, verdict, ok, operations: loaded.history.length, steps, parseMs, checkMs };
  });
  const groups: Record<string, BenchStats> = {};
  const groupOf = (f: BenchFileResult): string => (f.path.startsWith('jepsen/') ? 'jepsen' : f.path);
  for (const name of [...new Set(files.map(groupOf))]) groups[name] = stats(files.filter((f) => groupOf(f) === name).map((f) => f.checkMs));
  return {
    files,
    groups,
    totalCheckMs: files.reduce((s, f) => s + f.checkMs, 0),
    mismatches: files.filter((f) => !f.ok).length,
  };
}

export function stats(timesMs: readonly number[]): BenchStats {
  const sorted = [...timesMs].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n === 0 ? NaN : n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return { count: n, minMs: sorted[0] ?? NaN, medianMs: median, maxMs: sorted[n - 1] ?? NaN, totalMs: sorted.reduce((s, t) => s + t, 0) };
}

/** A small table for the terminal. */
export function formatBenchReport(r: BenchReport): string[] {
  const f = (x: number): string => x.toFixed(1).padStart(8);
  const lines = [`${'group'.padEnd(16)} ${'files'.padStart(5)} ${'min ms'.padStart(8)} ${'median'.padStart(8)} ${'max ms'.padStart(8)} ${'total'.padStart(8)}`];
  for (const [name, s] of Object.entries(r.groups)) {
    lines.push(`${name.padEnd(16)} ${String(s.count).padStart(5)} ${f(s.minMs)} ${f(s.medianMs)} ${f(s.maxMs)} ${f(s.totalMs)}`);
  }
  lines.push(`total check time ${r.totalCheckMs.toFixed(1)} ms; ${r.mismatches} verdict mismatches`);
  return lines;
}
