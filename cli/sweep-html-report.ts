/**
 * `sweep --html FILE` and `merge --html FILE`: the sweep's report as a page (reports/sweep-html.ts),
 * built from its results files, with a timeline written beside the repro file of each of the
 * first failures (cli/failure-timelines.ts) and linked from the page.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { UserError } from './errors.ts';
import path from 'node:path';
import { readResults } from '../reports/results.ts';
import { SweepAggregator, type CountedRun } from '../reports/sweep-report.ts';
import { sweepHtml, type SweepRunLine } from '../reports/sweep-html.ts';
import { writeFailureTimelines } from './failure-timelines.ts';
import { insideOut } from './sweep.ts';

/** The page a sweep claims its --html file with, until the report is written. */
export const HTML_PLACEHOLDER = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>detsim sweep: not finished</title></head><body><h1>detsim sweep: not finished</h1><p>The sweep that was to write this report did not finish: it was stopped, or it is still running. Its results file holds every run that finished; <code>detsim merge RESULTS --html FILE</code> makes this page from it.</p></body></html>\n';

/**
 * Refuses an --html path that cannot be a file (its folder missing, or a folder), writing nothing.
 * `outDir`: the sweep's --out, which the sweep makes, so a page inside it is fine before it exists.
 */
export function checkHtmlPath(file: string, outDir?: string): void {
  const dir = path.dirname(path.resolve(file));
  if (!existsSync(dir) && (outDir === undefined || !insideOut(file, outDir))) throw new UserError(`--html ${file}: the folder ${dir} does not exist; create it or name another file`);
  if (existsSync(file) && statSync(file).isDirectory()) throw new UserError(`--html ${file} is a folder; name a file`);
}

/** Where a repro file named in a results line is now: as written, or beside the results file. */
function locate(repro: string, resultsFile: string): string | undefined {
  if (existsSync(repro)) return repro;
  const beside = path.join(path.dirname(resultsFile), path.basename(repro));
  return existsSync(beside) ? beside : undefined;
}

/**
 * A failure's repro file and replay command as they are here: a shard's results name its repro
 * as the shard wrote it (`detsim-out/x.json`), but downloaded shards sit in folders of their own
 * (`gh run download` puts each in `detsim-out/detsim-shard-K/`); then the file beside its
 * results file is the one, and the replay command names it, so that it works when pasted.
 * `found`: whether the repro file is here at all (a timeline is made from it).
 */
export function relocateRepro(l: { repro?: string; replay?: string }, resultsFile: string): { repro?: string; replay?: string; found: boolean } {
  const here = l.repro === undefined || l.repro === '' ? undefined : locate(l.repro, resultsFile);
  const kept = { ...(l.repro !== undefined ? { repro: l.repro } : {}), ...(l.replay !== undefined ? { replay: l.replay } : {}) };
  if (here === undefined) return { ...kept, found: false };
  if (here === l.repro) return { ...kept, found: true };
  return { repro: here, ...(l.replay !== undefined ? { replay: l.replay.split(l.repro!).join(here) } : {}), found: true };
}

/**
 * Reads results files into `agg`, each failure's repro file and replay command as they are here
 * (relocateRepro, once a line). Returns a warning for each file whose last line was cut off.
 */
export async function readResultsInto(agg: SweepAggregator, files: string[]): Promise<string[]> {
  const warnings: string[] = [];
  for (const f of files) {
    let header = false;
    const { torn } = await readResults(
      f,
      (h) => {
        header = true;
        agg.addHeader(h, f);
      },
      (l) => {
        const { found, ...moved } = relocateRepro(l, f);
        const line = { ...l, ...moved };
        // A repro path that is nowhere here is kept in the line (the report still names it), but
        // the page gets no timeline for it: marked so that the row need not look for it again.
        if (!found && line.repro !== undefined) missingRepros.add(line);
        agg.add(line, f);
      },
    );
    if (!header) agg.noHeader(f);
    if (torn > 0) warnings.push(`${f}: its last line was cut off mid-write (the sweep was killed) and was skipped`);
  }
  return warnings;
}

/**
 * Lines (as readResultsInto gave them to the aggregator, which hands the same object to `onRun`)
 * whose repro file is nowhere here: their rows name no repro, so no timeline is attempted.
 */
const missingRepros = new WeakSet<object>();

/**
 * The page's runs, collected from a SweepAggregator (its `onRun`): each run once, with the verdict
 * the report counts, so a run given twice is shown as merge counts it, by merge's own rule.
 */
export class HtmlRuns {
  private readonly rows: SweepRunLine[] = [];
  /** Passing runs' rows by run identity: a later, differing result of the run takes the row. */
  private readonly passRow = new Map<string, number>();

  readonly onRun = (c: CountedRun): void => {
    const l = c.line;
    const v = c.violations[0];
    const repro = l.repro !== undefined && !missingRepros.has(l) ? l.repro : undefined;
    const row: SweepRunLine = {
      scenario: l.scenario,
      seed: l.seed,
      ok: c.ok,
      outcome: c.outcome,
      violations: v ? [{ invariant: v.invariant, message: v.message, atNs: v.atNs }] : [],
      simTimeNs: l.simTimeNs,
      wallMs: l.wallMs,
      recoveredAfterNs: l.recoveredAfterNs,
      ...(l.replay !== undefined ? { replay: l.replay } : {}),
      ...(repro !== undefined ? { repro } : {}),
      ...(l.run !== undefined ? { run: l.run } : {}),
      // The page's "ran with the defaults" note counts these: a row without it would say nothing.
      ...(l.paramsFellBack !== undefined ? { paramsFellBack: l.paramsFellBack } : {}),
      ...(l.coverage ? { coverage: { ...(l.coverage.probes ? { probes: l.coverage.probes } : {}), ...(l.coverage.sometimes ? { sometimes: l.coverage.sometimes } : {}) } } : {}),
    };
    const i = c.replaces ? this.passRow.get(c.key) : undefined;
    if (i !== undefined) {
      this.rows[i] = row;
      this.passRow.delete(c.key);
      return;
    }
    if (c.ok) this.passRow.set(c.key, this.rows.length);
    this.rows.push(row);
  };

  get runs(): SweepRunLine[] {
    return this.rows;
  }
}

/**
 * Writes the page of `runs` (an HtmlRuns' runs). Timelines are written for the first `timelines`
 * failures (each costs one more run). Returns how many runs the page shows.
 */
export async function writeSweepHtml(file: string, runs: SweepRunLine[], o: { title: string; command?: string; incomplete?: boolean; timelines?: number }): Promise<number> {
  await writeFailureTimelines(runs, path.dirname(path.resolve(file)), o.timelines);
  writeFileSync(file, sweepHtml({ title: o.title, runs, ...(o.command !== undefined ? { command: o.command } : {}), ...(o.incomplete ? { incomplete: true } : {}) }));
  return runs.length;
}

/** The page of the runs in `resultsFiles`, counted by a SweepAggregator of its own (a sweep's own results file). */
export async function writeSweepHtmlFrom(file: string, resultsFiles: string[], o: { title: string; command?: string; incomplete?: boolean; timelines?: number }): Promise<number> {
  const runs = new HtmlRuns();
  await readResultsInto(new SweepAggregator({ onRun: runs.onRun }), resultsFiles);
  return writeSweepHtml(file, runs.runs, o);
}
