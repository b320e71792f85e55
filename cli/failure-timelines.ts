/**
 * Timelines for a sweep's failures: each failing seed is run again from its repro file (bit for
 * bit: every parameter pinned) with a timeline collector, and its page is written beside the repro
 * file, so the sweep's HTML report can link every failure to its picture.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { readRepro } from '../reports/repro.ts';
import type { SweepRunLine } from '../reports/sweep-html.ts';
import { TimelineCollector, timelineHtml, timelineInputForRun } from '../reports/timeline-html.ts';
import { executeRun } from './execute.ts';
import { reproScenarioFile, resolveScenario } from './scenarios.ts';

/** Failures that get a timeline at most: each costs one more run. */
export const FAILURE_TIMELINES_MAX = 20;

/**
 * Writes `<repro>.timeline.html` for the first `max` failures that have a repro file and sets each
 * one's `timeline` to the page's path relative to `reportDir`. A failure whose replay does not
 * reproduce (another build wrote the repro) still gets its page, titled as such. Returns how many
 * pages were written.
 */
export async function writeFailureTimelines(runs: SweepRunLine[], reportDir: string, max = FAILURE_TIMELINES_MAX): Promise<number> {
  let written = 0;
  for (const r of runs) {
    if (r.ok || r.repro === undefined || written >= max) continue;
    const repro = readRepro(r.repro);
    const l = repro.scenarioFile ? await resolveScenario(reproScenarioFile(repro.scenarioFile, r.repro).file ?? repro.scenarioFile) : await resolveScenario(repro.scenario);
    const collector = new TimelineCollector();
    const again = executeRun(l.scenario, { seed: repro.seed, pins: repro.params, swarm: repro.swarm, buggify: repro.buggify, linkStreams: repro.linkStreams ?? false, extraSink: collector.sink });
    const same = again.traceHash === repro.traceHash;
    const title = `${repro.scenario} seed ${repro.seed}${same ? '' : ' (replayed on another build: the trace differs from the recorded one)'}`;
    const file = r.repro.replace(/\.json$/, '') + '.timeline.html';
    writeFileSync(file, timelineHtml(timelineInputForRun(title, again, collector)));
    r.timeline = path.relative(reportDir, file) || path.basename(file);
    written++;
  }
  return written;
}
