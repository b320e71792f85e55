/**
 * `sweep --html FILE` and `merge --html FILE`: the sweep's report as a page (reports/sweep-html.ts),
 * built from its results files, with a timeline written beside the repro file of each of the
 * first failures (cli/failure-timelines.ts) and linked from the page.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { UserError } from './errors.ts';
import path from 'node:path';
import { readResults } from '../reports/results.ts';
import { SeenRuns } from '../reports/seen-runs.ts';
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
  if (repro === '') return undefined;
  if (existsSync(repro)) return repro;
  const beside = path.join(path.dirname(resultsFile), path.basename(repro));
  return existsSync(beside) ? beside : undefined;
}

/**
 * A failure's repro file and replay command as they are here: a shard's results name its repro
 * as the shard wrote it (`detsim-out/x.json`), but downloaded shards sit in folders of their own
 * (`gh run download` puts each in `detsim-out/detsim-shard-K/`); then the file beside its
 * results file is the one, and the replay command names it, so that it works when pasted.
 */
export function relocateRepro(l: { repro?: string; replay?: string }, resultsFile: string): { repro?: string; replay?: string } {
  if (l.repro === undefined || l.repro === '' || existsSync(l.repro)) return l;
  const here = locate(l.repro, resultsFile);
  if (here === undefined) return l;
  return { ...l, repro: here, ...(l.replay !== undefined ? { replay: l.replay.split(l.repro).join(here) } : {}) };
}

/**
 * Reads the results files and writes the page. Timelines are written for the first `timelines`
 * failures (each costs one more run). Returns how many runs the page shows.
 */
export async function writeSweepHtml(file: string, resultsFiles: string[], o: { title: string; command?: string; partial?: boolean; timelines?: number }): Promise<number> {
  const runs: SweepRunLine[] = [];
  // A run given twice is shown once, and as a failure when its results differ, as merge counts it.
  const seen = new SeenRuns();
  const passRow = new Map<string, number>();
  for (const f of resultsFiles) {
    await readResults(
      f,
      () => {},
      (l) => {
        const again = seen.see(l, f);
        if (again.kind === 'same' || (again.kind === 'differs' && !again.firstOk)) return;
        const v = l.violations[0];
        const repro = l.repro !== undefined ? locate(l.repro, f) : undefined;
        const { replay } = relocateRepro(l, f);
        const row: SweepRunLine = {
          scenario: l.scenario,
          seed: l.seed,
          ok: l.ok,
          outcome: l.outcome,
          violations: v ? [{ invariant: v.invariant, message: v.message, atNs: v.atNs }] : [],
          simTimeNs: l.simTimeNs,
          wallMs: l.wallMs,
          recoveredAfterNs: l.recoveredAfterNs,
          ...(replay !== undefined ? { replay } : {}),
          ...(repro !== undefined ? { repro } : {}),
          ...(l.run !== undefined ? { run: l.run } : {}),
          ...(l.coverage ? { coverage: { ...(l.coverage.probes ? { probes: l.coverage.probes } : {}), ...(l.coverage.sometimes ? { sometimes: l.coverage.sometimes } : {}) } } : {}),
        };
        const key = JSON.stringify([l.scenario, l.seed]);
        if (again.kind === 'differs') {
          // Its first result passed: its row becomes this failure, or a determinism failure when
          // this one passed too (with another trace).
          const failed: SweepRunLine = l.ok ? { ...row, ok: false, outcome: 'nondeterministic', violations: [{ invariant: 'determinism', message: `given twice with different trace hashes (the second ${l.traceHash})`, atNs: l.simTimeNs }] } : row;
          const i = passRow.get(key);
          if (i === undefined) runs.push(failed);
          else runs[i] = failed;
          return;
        }
        if (l.ok) passRow.set(key, runs.length);
        runs.push(row);
      },
    );
  }
  await writeFailureTimelines(runs, path.dirname(path.resolve(file)), o.timelines);
  writeFileSync(file, sweepHtml({ title: o.title, runs, ...(o.command !== undefined ? { command: o.command } : {}), ...(o.partial ? { partial: true } : {}) }));
  return runs.length;
}
