/**
 * The pages detsim writes, opened in a real headless Chromium (Debian's, driven by
 * playwright-core): the run timeline and the sweep report. On CI (CI=true) a missing browser is a
 * failure, since `.ci/run` installs it; elsewhere these tests are skipped with a notice.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeRun } from '../cli/execute.ts';
import { writeFailureTimelines } from '../cli/failure-timelines.ts';
import { resolveScenario } from '../cli/scenarios.ts';
import type { TraceRecord } from '../sim/trace.ts';
import { chromiumPath, launchChromium, openPage, type OpenedPage } from './browser.ts';
import { makeRepro, writeRepro } from './repro.ts';
import { sweepHtml, type SweepRunLine } from './sweep-html.ts';
import { TimelineCollector, timelineHtml, timelineInputForRun, TIMELINE_MAX_RECORDS } from './timeline-html.ts';

const haveBrowser = chromiumPath() !== null;
if (!haveBrowser && process.env.CI !== 'true') console.warn('pages.browser.test: no Chromium here (apt-get install chromium); browser tests skipped');

interface TimelineState {
  records: number;
  drawn: number;
  arrows: number;
  view: { fromNs: number; toNs: number };
  selected: { eventIndex: number; kind: string; node: string } | null;
  violationVisible: boolean;
  matches: number;
}

async function state(o: OpenedPage): Promise<TimelineState> {
  return o.page.evaluate(() => {
    const t = (globalThis as unknown as { detsimTimeline: Record<string, () => unknown> & { records: number } }).detsimTimeline;
    return { records: t.records, drawn: t.drawn(), arrows: t.arrows(), view: t.view(), selected: t.selected(), violationVisible: t.violationVisible(), matches: t.matches() } as TimelineState;
  });
}

/**
 * What a timeline page must do on open, as a list of problems (empty: fine). Shared by the tests
 * of good pages and the test that shows a broken page is caught.
 */
async function timelineProblems(o: OpenedPage, width: number): Promise<string[]> {
  const problems = [...o.errors.map((e) => `console: ${e}`), ...o.requests.map((r) => `network request: ${r}`)];
  const hasApi = await o.page.evaluate(() => typeof (globalThis as unknown as { detsimTimeline?: unknown }).detsimTimeline === 'object');
  if (!hasApi) return [...problems, 'the page script did not start (no window.detsimTimeline)'];
  const s = await state(o);
  if (s.drawn === 0) problems.push('nothing drawn');
  const box = await o.page.locator('#diagram').boundingBox();
  if (box === null || box.width > width || box.x + box.width > width + 1) problems.push(`the diagram overflows a ${width}-px window (${JSON.stringify(box)})`);
  return problems;
}

describe.skipIf(!haveBrowser && process.env.CI !== 'true')('pages in a real browser', () => {
  let browser: Browser;
  let dir: string;
  const pages: Record<string, string> = {};

  async function runPage(name: string, scenario: string, seed: number, pins: Record<string, unknown>, swarm = true, ignoreInvariants: string[] = []): Promise<string> {
    const l = await resolveScenario(scenario);
    const c = new TimelineCollector();
    const r = executeRun(l.scenario, { seed, pins, swarm, extraSink: c.sink, ignoreInvariants });
    const file = path.join(dir, `${name}.html`);
    writeFileSync(file, timelineHtml(timelineInputForRun(`${scenario} seed ${seed}`, r, c)));
    return file;
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'detsim-pages-'));
    browser = await launchChromium();
    pages.safety = await runPage('safety', 'broadcast', 1, { bug: 'phantom' });
    pages.liveness = await runPage('liveness', 'broadcast', 1, { bug: 'drop-gossip' }, false);
    // stale-read-index catches stale reads first (per read); with it off, the history checker does.
    pages.history = await runPage('history', 'raft-election', 1, { bug: 'stale-reads' }, true, ['stale-read-index']);
    // A synthetic run of 60,000 records: more than a page keeps (windowing), messages among 8 nodes.
    const recs: TraceRecord[] = [];
    for (let i = 0; i < 60_000; i++) {
      const to = `n${(i % 8) + 1}`;
      const from = `n${((i + 3) % 8) + 1}`;
      const t = i * 1000;
      recs.push(i % 97 === 0 ? { atNs: t, eventIndex: i, node: to, kind: 'crash', detail: 'synthetic' } : { atNs: t, eventIndex: i, node: to, kind: 'recv', detail: `from ${from}: ping`, msg: { from, to, sentAtNs: Math.max(0, t - 5000), type: i % 3 ? 'ping' : 'pong', reply: false, body: `{"type":"ping","i":${i}}` } });
    }
    const c = new TimelineCollector();
    for (const r of recs) c.sink(r);
    pages.big = path.join(dir, 'big.html');
    writeFileSync(pages.big, timelineHtml({ title: 'synthetic', records: c.records(), totalRecords: c.total, outcome: 'pass' }));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens a failing run with no errors, offline, the violation in view and selected in a 1,280-px window', async () => {
    const o = await openPage(browser, pages.safety!, 1280);
    expect(await timelineProblems(o, 1280)).toEqual([]);
    const s = await state(o);
    expect(s.violationVisible).toBe(true);
    expect(s.selected?.kind).toBe('VIOLATION');
    expect(await o.page.locator('header .why').innerText()).toContain('no-phantom-delivery');
    await o.page.close();
  });

  it('fits any width: at 800 px nothing overflows and the violation stays in view', async () => {
    const o = await openPage(browser, pages.safety!, 800);
    expect(await timelineProblems(o, 800)).toEqual([]);
    expect((await state(o)).violationVisible).toBe(true);
    await o.page.close();
  });

  it('zoom, pan, filter, step and search change what is shown', async () => {
    const o = await openPage(browser, pages.liveness!, 1280);
    expect(await timelineProblems(o, 1280)).toEqual([]);
    await o.page.locator('#b-fit').click();
    const fitted = await state(o);
    expect(fitted.drawn).toBeGreaterThan(100);
    // Zoom in with the keyboard: the view halves.
    await o.page.locator('#diagram').focus();
    await o.page.keyboard.press('+');
    await o.page.waitForTimeout(50);
    const zoomed = await state(o);
    const span = (s: TimelineState): number => s.view.toNs - s.view.fromNs;
    expect(span(zoomed)).toBeLessThan(span(fitted) * 0.6);
    expect(zoomed.drawn).toBeLessThan(fitted.drawn);
    // Pan right: the window moves.
    await o.page.keyboard.press('ArrowRight');
    await o.page.waitForTimeout(50);
    expect((await state(o)).view.fromNs).toBeGreaterThan(zoomed.view.fromNs);
    // Filter out a node: fewer records drawn.
    await o.page.locator('#b-fit').click();
    await o.page.locator('#filters summary').click();
    await o.page.locator('#f-nodes input[data-name="n1"]').uncheck();
    await o.page.waitForTimeout(50);
    const filtered = await state(o);
    expect(filtered.drawn).toBeLessThan(fitted.drawn);
    // Filter out a message type: fewer arrows.
    await o.page.locator('#f-nodes input[data-name="n1"]').check();
    await o.page.locator('#f-types input').first().uncheck();
    await o.page.waitForTimeout(50);
    expect((await state(o)).arrows).toBeLessThan(fitted.arrows);
    await o.page.locator('#f-types input').first().check();
    // Step forward and back: the selection moves by one event each way.
    await o.page.locator('#diagram').focus();
    for (let i = 0; i < 3; i++) await o.page.keyboard.press('p'); // away from the last event
    await o.page.keyboard.press('n');
    const a = (await state(o)).selected!;
    await o.page.keyboard.press('n');
    const b = (await state(o)).selected!;
    expect(b).not.toEqual(a);
    expect(b.eventIndex).toBeGreaterThanOrEqual(a.eventIndex);
    await o.page.keyboard.press('p');
    expect((await state(o)).selected).toEqual(a);
    expect(await o.page.locator('#detail').innerText()).toContain('kind:');
    // Search: matches counted, Enter selects one.
    await o.page.locator('#search').fill('sync');
    expect((await state(o)).matches).toBeGreaterThan(0);
    await o.page.locator('#search').press('Enter');
    expect(await o.page.locator('#detail').innerText()).toContain('sync');
    // Jump to the (liveness) failure and to the first fault before it.
    await o.page.locator('#b-viol').click();
    expect((await state(o)).violationVisible).toBe(true);
    expect(await o.page.locator('header .why').innerText()).toContain('all-acked-delivered-everywhere');
    await o.page.close();
  });

  it('clicking a delivered message shows its body', async () => {
    const o = await openPage(browser, pages.safety!, 1280);
    await o.page.locator('#search').fill('recv');
    await o.page.locator('#search').press('Enter');
    expect(await o.page.locator('#detail').innerText()).toContain('body:');
    expect(await o.page.locator('#detail').innerText()).toContain('in flight');
    await o.page.close();
  });

  it('draws the failing history of a linearizability violation, the minimal prefix highlighted', async () => {
    const o = await openPage(browser, pages.history!, 1280);
    expect(await timelineProblems(o, 1280)).toEqual([]);
    const prefix = await o.page.locator('#history rect.prefix').count();
    const all = await o.page.locator('#history rect.op').count();
    expect(prefix).toBeGreaterThan(0);
    expect(all).toBeGreaterThan(prefix);
    expect(await o.page.locator('#history .hnote').innerText()).toContain('cannot be linearized');
    await o.page.close();
  });

  it('stays usable with more records than a page keeps, and says it windowed them', async () => {
    const o = await openPage(browser, pages.big!, 1280);
    expect(await timelineProblems(o, 1280)).toEqual([]);
    const s = await state(o);
    expect(s.records).toBe(TIMELINE_MAX_RECORDS);
    expect(await o.page.locator('#window-note').innerText()).toContain(`of 60,000 trace records`);
    await o.page.locator('#diagram').focus();
    for (let i = 0; i < 5; i++) await o.page.keyboard.press('+');
    expect((await state(o)).drawn).toBeLessThan(s.drawn);
    await o.page.close();
  });

  it('catches a broken page: the same checks fail on a page whose script breaks', async () => {
    const html = readFileSync(pages.safety!, 'utf8').replace("JSON.parse(document.getElementById('data').textContent)", "JSON.parse(document.getElementById('no-such-element').textContent)");
    const broken = path.join(dir, 'broken.html');
    writeFileSync(broken, html);
    const o = await openPage(browser, broken, 1280);
    const problems = await timelineProblems(o, 1280);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toMatch(/console|did not start/);
    await o.page.close();
    // And a page that reaches for the network is caught too.
    const online = path.join(dir, 'online.html');
    writeFileSync(online, readFileSync(pages.safety!, 'utf8').replace('</head>', '<link rel="stylesheet" href="https://example.invalid/x.css"></head>'));
    const o2 = await openPage(browser, online, 1280);
    expect((await timelineProblems(o2, 1280)).join('\n')).toContain('network request');
    await o2.page.close();
  });

  it('the sweep report: one row a scenario, failures with replay commands and working timeline links', async () => {
    const runs: SweepRunLine[] = [];
    for (const [scenario, pins] of [['broadcast', { bug: 'phantom' }], ['broadcast', {}]] as const) {
      const l = await resolveScenario(scenario);
      for (let seed = 1; seed <= 4; seed++) {
        const r = executeRun(l.scenario, { seed, pins, swarm: true });
        const line: SweepRunLine = { ...r };
        if (!r.ok) {
          const file = path.join(dir, `${scenario}-seed${seed}-${Object.keys(pins).length}.json`);
          const repro = makeRepro(r, { buggify: true, file, pins });
          writeRepro(file, repro);
          line.repro = file;
          line.replay = repro.replay;
        }
        runs.push(line);
      }
    }
    const written = await writeFailureTimelines(runs, dir);
    expect(written).toBe(runs.filter((r) => !r.ok).length);
    const file = path.join(dir, 'sweep.html');
    writeFileSync(file, sweepHtml({ title: 'detsim sweep', runs, command: 'detsim sweep broadcast --seeds 4' }));
    const o = await openPage(browser, file, 1280);
    expect(o.errors).toEqual([]);
    expect(o.requests).toEqual([]);
    expect(await o.page.locator('#verdict').innerText()).toContain('failed');
    expect(await o.page.locator('#scenarios tbody tr').count()).toBe(1);
    const failures = o.page.locator('#failures tbody tr');
    expect(await failures.count()).toBe(runs.filter((r) => !r.ok).length);
    expect(await failures.first().innerText()).toContain('npx detsim');
    expect(await o.page.locator('.hist').count()).toBeGreaterThan(0);
    // Follow the first timeline link: it opens a working timeline with the violation in view.
    const href = await o.page.locator('#failures a').first().getAttribute('href');
    expect(href).toBeTruthy();
    const o2 = await openPage(browser, path.resolve(dir, href!), 1280);
    expect(await timelineProblems(o2, 1280)).toEqual([]);
    expect((await state(o2)).violationVisible).toBe(true);
    await o.page.close();
    await o2.page.close();
  });
});
