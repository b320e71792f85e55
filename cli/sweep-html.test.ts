/**
 * `sweep --html` and `merge --html`: the report page is written from the results stream, links
 * each failure to a timeline that exists, and a bad --html path is refused before any seed runs.
 * (The pages themselves are opened in a real browser in reports/pages.browser.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'detsim.js');
const dir = mkdtempSync(path.join(tmpdir(), 'detsim-html-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function detsim(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe('sweep --html / merge --html', () => {
  it('writes a page with every failure, its replay command and a timeline link that exists', () => {
    const r = detsim('sweep', 'broadcast', '--seeds', '4', '--param', 'bug=phantom', '--out', 'out', '--html', 'report.html', '--jobs', '1');
    expect(r.code).toBe(1);
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toContain('4 runs over 1 scenario(s): 0 passed, 4 failed');
    const links = [...html.matchAll(/<a href="([^"]+\.timeline\.html)">/g)].map((m) => m[1]!);
    expect(links).toHaveLength(4);
    for (const l of links) expect(readFileSync(path.resolve(dir, l), 'utf8')).toContain('no-phantom-delivery');
    expect(html).toMatch(/npx detsim replay out\/broadcast-seed1-[^<]+\.json/);
    // merge makes the same page from the results file.
    const m = detsim('merge', 'out', '--html', 'merged.html');
    expect(m.code).toBe(1);
    expect(readFileSync(path.join(dir, 'merged.html'), 'utf8')).toContain('4 runs over 1 scenario(s): 0 passed, 4 failed');
  }, 120_000);

  it("the coverage table's first seed is that run's own detsim run command (pins and file path), not a bare name and seed", () => {
    const r = detsim('sweep', path.join(path.dirname(BIN), '..', 'cli', 'fixtures', 'probed.ts'), '--seeds', '3', '--out', 'out-cov', '--html', 'cov.html', '--jobs', '1');
    expect(r.code).toBe(1); // its mustReach "fixture:rare" is rarer than 3 seeds
    expect(readFileSync(path.join(dir, 'cov.html'), 'utf8')).toMatch(/<td class="mono">npx detsim run \S*cli\/fixtures\/probed\.ts --seed \d+<\/td>/);
  }, 120_000);

  it('notes the runs that fell back to the defaults, on the sweep page and on the merged one', () => {
    // Seed 1 draws a link latency whose round trip (8 medians) outlasts a 3 ms health timeout.
    const r = detsim('sweep', 'lb-crash', '--seeds', '1', '--param', 'healthTimeoutMs=3', '--out', 'out-fb', '--html', 'fb.html', '--jobs', '1');
    expect(r.code).toBe(0);
    expect(r.out).toContain('RAN WITH DEFAULTS: lb-crash: 1 of its 1 run(s)');
    expect(readFileSync(path.join(dir, 'fb.html'), 'utf8')).toContain('<div class="note ran-with-defaults">1 run(s) ran with the defaults');
    expect(detsim('merge', 'out-fb', '--html', 'fb-merged.html').code).toBe(0);
    expect(readFileSync(path.join(dir, 'fb-merged.html'), 'utf8')).toContain('<div class="note ran-with-defaults">1 run(s) ran with the defaults');
  }, 120_000);

  it('refuses an --html path in a missing folder before any seed runs', () => {
    const r = detsim('sweep', 'broadcast', '--seeds', '3', '--out', 'out2', '--html', 'nowhere/report.html');
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain('--html nowhere/report.html');
    expect(existsSync(path.join(dir, 'out2'))).toBe(false);
  }, 60_000);
});
