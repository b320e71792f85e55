/**
 * Timelines for a sweep's failures: each failing seed is run again from its repro file (bit for
 * bit: every parameter pinned) with a timeline collector, and its page is written beside the repro
 * file, so the sweep's HTML report can link every failure to its picture.
 *
 * Each run is the scenario's code again, so it runs as `detsim run` runs it, in a watched worker
 * thread (cli/run-watched.ts): an endless loop, a memory blow-up, a process.exit, a real timer or
 * a promise rejected after the run cost that failure its page, never the sweep its report or its
 * exit code. A failure that was itself such a stop gets no page (its run would only stop again).
 */
import path from 'node:path';
import { readRepro } from '../reports/repro.ts';
import type { SweepRunLine } from '../reports/sweep-html.ts';
import { runWatched, stoppedFromOutside } from './run-watched.ts';
import { reproScenarioFile, resolveScenario } from './scenarios.ts';

/** Failures that get a timeline at most: each costs one more run. */
export const FAILURE_TIMELINES_MAX = 20;

/** Limits of each timeline's run (as `detsim run`'s --timeout and --max-memory). */
export interface TimelineLimits {
  /** Wall-clock seconds before the run is given up on (default 600; 0: none). */
  timeoutS?: number;
  /** Heap limit of the run's thread, MB (default 4096). */
  maxMemoryMb?: number;
}

/**
 * Writes `<repro>.timeline.html` for the first `max` failures that have a repro file and sets each
 * one's `timeline` to the page's path relative to `reportDir`. A failure whose replay does not
 * reproduce (another build wrote the repro) still gets its page, titled as such; one whose run
 * does not finish gets none, and `onSkip` says why. Returns how many pages were written.
 */
export async function writeFailureTimelines(runs: SweepRunLine[], reportDir: string, max = FAILURE_TIMELINES_MAX, limits: TimelineLimits = {}, onSkip: (why: string) => void = (why) => process.stderr.write(`detsim: ${why}\n`)): Promise<number> {
  let written = 0;
  for (const r of runs) {
    if (r.ok || r.repro === undefined || written >= max) continue;
    if (stoppedFromOutside(r.violations[0])) continue;
    const repro = readRepro(r.repro);
    const l = repro.scenarioFile ? await resolveScenario(reproScenarioFile(repro.scenarioFile, r.repro).file ?? repro.scenarioFile) : await resolveScenario(repro.scenario);
    const file = r.repro.replace(/\.json$/, '') + '.timeline.html';
    const w = await runWatched({
      file: l.file,
      builtIn: l.builtIn,
      scenario: l.scenario.name,
      seed: repro.seed,
      pins: repro.params,
      params: repro.params,
      swarm: repro.swarm,
      buggify: repro.buggify,
      checkDeterminism: false,
      logLines: 0,
      timeline: file,
      timelineOtherBuild: { traceHash: repro.traceHash, title: `${repro.scenario} seed ${repro.seed} (replayed on another build: the trace differs from the recorded one)` },
      timeoutS: limits.timeoutS ?? 600,
      maxMemoryMb: limits.maxMemoryMb ?? 4096,
      linkStreams: repro.linkStreams ?? false,
      ...(repro.scripted && repro.script ? { script: repro.script } : {}),
    });
    if (w.stopped !== undefined || w.interrupted !== undefined) {
      const v = w.report.violations[0];
      onSkip(`no timeline for ${repro.scenario} seed ${repro.seed}: its run again did not finish (${v !== undefined ? `${v.invariant}: ${v.message.split(';')[0]}` : w.interrupted})`);
      if (w.interrupted !== undefined) break;
      continue;
    }
    r.timeline = path.relative(reportDir, file) || path.basename(file);
    written++;
  }
  return written;
}
