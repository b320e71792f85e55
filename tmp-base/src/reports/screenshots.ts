/**
 * `npm run screenshots`: the pictures in the README and docs, made from real runs and opened in
 * headless Chromium. Writes docs/img/timeline.png (a safety failure, violation in view),
 * docs/img/timeline-history.png (a linearizability failure's history view) and
 * docs/img/sweep-report.png (a small sweep with failures).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { executeRun } from '../cli/execute.ts';
import { writeFailureTimelines } from '../cli/failure-timelines.ts';
import { PACKAGE_ROOT, resolveScenario } from '../cli/scenarios.ts';
import { launchChromium, openPage } from './browser.ts';
import { makeRepro, writeRepro } from './repro.ts';
import { sweepHtml, type SweepRunLine } from './sweep-html.ts';
import { TimelineCollector, timelineHtml, timelineInputForRun } from './timeline-html.ts';

const out = path.join(PACKAGE_ROOT, 'docs', 'img');
mkdirSync(out, { recursive: true });
const work = mkdtempSync(path.join(tmpdir(), 'detsim-shots-'));
// Repro paths and replay commands in the pictures read as a user's would: relative to where they ran.
process.chdir(work);

async function timeline(name: string, scenario: string, seed: number, pins: Record<string, unknown>, ignoreInvariants: string[] = []): Promise<string> {
  const l = await resolveScenario(scenario);
  const c = new TimelineCollector();
  const r = executeRun(l.scenario, { seed, pins, swarm: true, extraSink: c.sink, ignoreInvariants });
  const file = path.join(work, `${name}.html`);
  writeFileSync(file, timelineHtml(timelineInputForRun(`${scenario} seed ${seed}`, r, c)));
  return file;
}

const browser = await launchChromium();
try {
  const a = await openPage(browser, await timeline('safety', 'raft-election', 1, { bug: 'stale-reads' }, ['stale-read-index']), 1280, 760);
  await a.page.screenshot({ path: path.join(out, 'timeline.png') });
  await a.page.locator('#history').screenshot({ path: path.join(out, 'timeline-history.png') });
  const runs: SweepRunLine[] = [];
  for (const [scenario, pins] of [['broadcast', { bug: 'drop-gossip' }], ['raft-election', {}]] as const) {
    const l = await resolveScenario(scenario);
    for (let seed = 1; seed <= 12; seed++) {
      const r = executeRun(l.scenario, { seed, pins, swarm: true });
      const line: SweepRunLine = { ...r };
      if (!r.ok) {
        const file = path.join(work, `${scenario}-seed${seed}.json`);
        const repro = makeRepro(r, { buggify: true, file, pins });
        writeRepro(file, repro);
        Object.assign(line, { repro: file, replay: repro.replay });
      }
      runs.push(line);
    }
  }
  await writeFailureTimelines(runs, work, 3);
  const report = path.join(work, 'sweep.html');
  writeFileSync(report, sweepHtml({ title: 'detsim sweep broadcast raft-election --seeds 12', runs, command: "detsim sweep broadcast raft-election --seeds 12 --param broadcast:bug=drop-gossip --html report.html" }));
  const b = await openPage(browser, report, 1280, 900);
  await b.page.screenshot({ path: path.join(out, 'sweep-report.png'), fullPage: true });
  console.log(`screenshots written to ${path.relative(process.cwd(), out) || out}`);
} finally {
  await browser.close();
}
