/**
 * A sweep report (reports/sweep-report.ts) for people and CI: the terminal summary, JUnit XML and
 * a Markdown page for a CI job summary. `sweep` and `merge` print through these same functions.
 */
import type { ChalkInstance } from 'chalk';
import { formatNs } from '../sim/time.ts';
import { isIncomplete, type CoverageReport, type SweepReport } from './sweep-report.ts';

const TERMINAL_FAILURES = 20;
const TERMINAL_COVERAGE_ROWS = 30;
const MARKDOWN_FAILURES = 50;

function firstText(f: { scenario: string; seed: number; run: string | null } | null): string {
  if (!f) return '';
  return f.run ?? `${f.scenario} seed ${f.seed}`;
}

/** Coverage as rows of text: never-hit probes and never-fired buggify sites first. */
export function coverageRows(c: CoverageReport): { kind: string; name: string; seeds: string; first: string; never: boolean }[] {
  const rows: { kind: string; name: string; seeds: string; first: string; never: boolean }[] = [];
  for (const p of c.probes) rows.push({ kind: 'probe', name: p.name, seeds: `${p.seeds}/${p.runs}`, first: firstText(p.first), never: p.seeds === 0 });
  for (const s of c.sometimes) rows.push({ kind: 'sometimes', name: s.name, seeds: `${s.seeds}/${s.runs}`, first: firstText(s.first), never: s.seeds === 0 });
  for (const b of c.buggify) rows.push({ kind: 'buggify', name: b.site, seeds: `${b.firedSeeds}/${b.reachedSeeds}`, first: firstText(b.first), never: b.firedSeeds === 0 });
  // Never hit first (stable: within each group the per-kind order, rarest first, is kept).
  return [...rows.filter((r) => r.never), ...rows.filter((r) => !r.never)];
}

export function terminalSummary(r: SweepReport, c: ChalkInstance, opts: { outDir?: string; junit?: string; markdown?: string; command?: string } = {}): string[] {
  const out: string[] = [];
  for (const s of r.scenarios) {
    const mark = s.failed > 0 ? c.red('FAIL') : s.planned !== null && s.runs < s.planned ? c.yellow('part') : s.runs === 0 ? c.yellow('none') : c.green('ok  ');
    const runs = s.planned !== null && s.runs < s.planned ? `${s.passed}/${s.runs} passed (of ${s.planned} planned)` : `${s.passed}/${s.runs} passed`;
    out.push(`${mark} ${s.scenario.padEnd(28)} ${runs}  ${c.dim(Object.entries(s.outcomes).map(([k, v]) => `${k}:${v}`).join(' '))}  ${c.dim(`${formatNs(Math.round(s.simSeconds * 1e9))} simulated`)}`);
  }
  const cov = coverageRows(r.coverage);
  if (cov.length > 0) {
    out.push(c.bold('coverage') + c.dim(' (probes: seeds that hit it / seeds that declared it; sometimes: seeds where it held; buggify: seeds it fired in / seeds that reached it). Never hit first:'));
    for (const row of cov.slice(0, TERMINAL_COVERAGE_ROWS)) {
      const name = row.never ? c.yellow(row.name) : row.name;
      out.push(`  ${row.kind.padEnd(9)} ${name.padEnd(row.never ? 44 + (name.length - row.name.length) : 44)} ${row.seeds.padStart(11)}  ${row.never ? c.yellow('never') : c.dim(`first: ${row.first}`)}`);
    }
    if (cov.length > TERMINAL_COVERAGE_ROWS) out.push(c.dim(`  ... and ${cov.length - TERMINAL_COVERAGE_ROWS} more rows (all of them in --json and --markdown)`));
  }
  for (const m of r.coverage.mustReach.filter((x) => !x.reached)) {
    out.push(c.red(`  ${m.scenario}: "${m.name}" must be reached (mustReach) but no seed of ${m.runs} reached it; the scenario's workload or faults no longer produce that state`));
  }
  for (const f of r.failures.slice(0, TERMINAL_FAILURES)) {
    const v = f.violations[0];
    out.push(`  ${c.red(f.scenario)} seed ${f.seed}: ${f.outcome}${v ? ` — ${v.invariant}: ${v.message}` : ''}`);
    if (f.replay ?? f.run) out.push(`    ${c.bold('replay:')} ${f.replay ?? f.run}`);
  }
  const more = r.summary.failed - Math.min(TERMINAL_FAILURES, r.failures.length);
  if (more > 0) out.push(`  ... and ${more} more failure(s)${opts.outDir ? `; every one has a repro file in ${opts.outDir}` : ''} (all listed in --json and --markdown)`);
  for (const line of duplicateLines(r)) out.push(line.differs ? c.red(`DIFFERS: ${line.text}`) : c.yellow(`DUPLICATE: ${line.text}`));
  for (const why of r.incomplete) out.push(c.yellow(`INCOMPLETE: ${why}`));
  for (const line of uncheckedLines(r)) out.push(c.yellow(`NOTHING CHECKED: ${line}`));
  for (const line of livenessUncheckedLines(r)) out.push(c.yellow(`LIVENESS UNCHECKED: ${line}`));
  for (const line of ranWithDefaultsLines(r)) out.push(c.yellow(`RAN WITH DEFAULTS: ${line}`));
  // Zero runs is no evidence of anything: never printed as a PASS.
  const incomplete = isIncomplete(r);
  const none = r.summary.runs === 0 && r.summary.failed === 0 && r.summary.unreached === 0 && !incomplete;
  if (none) out.push(c.yellow(`NOTHING CHECKED: no run was planned here${r.shards.length > 0 ? ` (shard ${r.shards.join(', ')} of a sweep with fewer runs than shards gets none; the merged report of all the shards has the verdict)` : ''}`));
  // Every failure a run that checked nothing: not a bug found, and no pass either.
  const onlyUnchecked = r.summary.failed > 0 && r.summary.unreached === 0 && r.scenarios.reduce((n, s) => n + (s.outcomes.unchecked ?? 0), 0) === r.summary.failed;
  const verdict = onlyUnchecked ? c.yellow.bold('NOTHING CHECKED') : r.summary.failed > 0 || r.summary.unreached > 0 ? c.red.bold('FAIL') : incomplete ? c.yellow.bold('INCOMPLETE') : none ? c.yellow.bold('NO RUNS') : c.green.bold('PASS');
  const speed = r.summary.wallSeconds !== undefined ? ` in ${r.summary.wallSeconds}s (${r.summary.seedsPerSec} seeds/s${r.summary.jobs ? `, ${workersLine(r.summary.jobs, r.summary.workersUsed)}` : ''})` : '';
  const planned = incomplete && r.summary.planned !== null ? ` of ${r.summary.planned} planned` : '';
  out.push(`${verdict} ${r.summary.runs} runs${planned}, ${r.summary.passed} passed, ${r.summary.failed} failed${speed}`);
  if (opts.junit) out.push(c.dim(`JUnit report: ${opts.junit}`));
  if (opts.markdown) out.push(c.dim(`Markdown summary: ${opts.markdown}`));
  return out;
}

/** The runs given more than once, one line each (those with differing results first), then how many more. */
function duplicateLines(r: SweepReport): { text: string; differs: boolean }[] {
  const d = r.duplicates;
  if (!d) return [];
  const lines = d.notes.map((text, i) => ({ text, differs: i < d.differing }));
  if (d.notesNotListed > 0) lines.push({ text: `... and ${d.notesNotListed} more result line(s) of runs given already (${d.lines} in all, ${d.differing} with a different result)`, differs: false });
  return lines;
}

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** One line per scenario whose runs made no check (outcome `unchecked`: counted as failures). */
function uncheckedLines(r: SweepReport): string[] {
  return r.scenarios
    .filter((s) => (s.outcomes.unchecked ?? 0) > 0)
    .map((s) => `${s.scenario} made no check in ${s.outcomes.unchecked} of its ${s.runs} run(s), each counted as failed: give it a safety check (w.safety), liveness property (w.liveness), script (w.script) or w.declareCheck for its own w.violation calls; or checksNothing: '<why>' if it checks nothing on purpose`);
}

/**
 * One line per scenario with passes that had no liveness phase: as `run`'s PASS line says
 * (reports/terminal.ts), such a pass shows only that nothing unsafe happened, which a system that
 * does nothing achieves too. The verdict stays a pass.
 */
function livenessUncheckedLines(r: SweepReport): string[] {
  return r.scenarios
    .filter((s) => (s.livenessUnchecked ?? 0) > 0)
    .map((s) => `${s.scenario} passed ${s.livenessUnchecked} of its ${s.runs} run(s) without a liveness phase: it declares no liveness property (w.liveness), so a system doing nothing passes too`);
}

/**
 * Scenarios some of whose seeds ran with the defaults of their unpinned parameters: with the
 * sweep's pins, those seeds' draws make a combination the scenario refuses. The runs still count
 * (a default configuration is a real run), but those seeds did not test what they draw.
 */
function ranWithDefaultsLines(r: SweepReport): string[] {
  return r.scenarios
    .filter((s) => s.ranWithDefaults !== undefined)
    .map((s) => `${s.scenario}: ${s.ranWithDefaults!.runs} of its ${s.runs} run(s) ran with the defaults of the parameters not pinned, because their seeds' draws with your pins make a combination it refuses (first: seed ${s.ranWithDefaults!.firstSeed}: ${s.ranWithDefaults!.why}); those seeds did not test what they draw: pin fewer parameters, or values that fit the draws`);
}

/** A Markdown page for a CI job summary ($GITHUB_STEP_SUMMARY): verdict, table, failures with replay commands, coverage. */
export function markdownSummary(r: SweepReport, title = 'detsim sweep'): string {
  const L: string[] = [];
  const verdict = r.summary.failed > 0 || r.summary.unreached > 0 ? '❌ FAIL' : isIncomplete(r) ? '⚠️ INCOMPLETE' : r.summary.runs === 0 ? '⚪ NO RUNS (nothing checked)' : '✅ PASS';
  L.push(`## ${title}: ${verdict}`, '');
  L.push(`**${r.summary.runs}** runs${r.summary.planned !== null && r.summary.planned !== r.summary.runs ? ` of ${r.summary.planned} planned` : ''}, **${r.summary.passed}** passed, **${r.summary.failed}** failed` + (r.shards.length > 0 ? ` — merged from shard(s) ${r.shards.join(', ')}` : '') + '.', '');
  for (const why of r.incomplete) L.push(`> ⚠️ **INCOMPLETE:** ${mdCell(why)}`, '');
  for (const line of uncheckedLines(r)) L.push(`> ⚠️ **NOTHING CHECKED:** ${mdCell(line)}`, '');
  for (const line of livenessUncheckedLines(r)) L.push(`> ⚠️ **LIVENESS UNCHECKED:** ${mdCell(line)}`, '');
  for (const line of ranWithDefaultsLines(r)) L.push(`> ⚠️ **RAN WITH DEFAULTS:** ${mdCell(line)}`, '');
  for (const line of duplicateLines(r)) L.push(`> ${line.differs ? '❌ **DIFFERS:**' : '⚠️ **DUPLICATE:**'} ${mdCell(line.text)}`, '');
  L.push('| scenario | runs | passed | failed | outcomes | first failing seed |', '|---|---:|---:|---:|---|---:|');
  for (const s of r.scenarios) {
    L.push(`| ${mdCell(s.scenario)} | ${s.runs}${s.planned !== null && s.runs < s.planned ? ` of ${s.planned}` : ''} | ${s.passed} | ${s.failed} | ${Object.entries(s.outcomes).map(([k, v]) => `${k}: ${v}`).join(', ')} | ${s.firstFailingSeed ?? ''} |`);
  }
  L.push('');
  if (r.failures.length > 0) {
    L.push(`### Failures`, '', 'Download the run\'s artifacts (results and repro files) into the folder named in each command, then run it from a checkout of the same commit:', '');
    for (const f of r.failures.slice(0, MARKDOWN_FAILURES)) {
      const v = f.violations[0];
      L.push(`- **${mdCell(f.scenario)}** seed ${f.seed}: ${f.outcome}${v ? ` — \`${mdCell(v.invariant)}\`: ${mdCell(v.message.slice(0, 300))}` : ''}`);
      L.push('  ```sh', `  ${f.replay ?? f.run ?? ''}`, ...(f.replay && f.run ? [`  ${f.run}`] : []), '  ```');
    }
    const more = r.summary.failed - Math.min(MARKDOWN_FAILURES, r.failures.length);
    if (more > 0) L.push('', `…and ${more} more failure(s): every one has a repro file among the artifacts.`);
    L.push('');
  }
  const unreached = r.coverage.mustReach.filter((m) => !m.reached);
  if (unreached.length > 0) {
    L.push('### Never reached (mustReach)', '');
    for (const m of unreached) L.push(`- **${mdCell(m.scenario)}**: \`${mdCell(m.name)}\` in none of ${m.runs} seeds`);
    L.push('');
  }
  const cov = coverageRows(r.coverage);
  if (cov.length > 0) {
    L.push('### Coverage', '', 'Never hit first. Probes: seeds that hit it / seeds that declared it; sometimes: seeds where it held / seeds that registered it; buggify: seeds it fired in / seeds that reached it.', '');
    L.push('| kind | name | seeds | first seed |', '|---|---|---:|---|');
    for (const row of cov) L.push(`| ${row.kind} | ${row.never ? '**' : ''}${mdCell(row.name)}${row.never ? '** (never)' : ''} | ${row.seeds} | ${row.first ? `\`${mdCell(row.first)}\`` : ''} |`);
    L.push('');
  }
  return L.join('\n') + '\n';
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

/**
 * JUnit XML: one test suite per scenario, one test case per failing seed (with violations and
 * the replay command) and per passing seed (the lowest ones, when there are very many). A report
 * that is incomplete gets a failing test case saying so: a cut-short sweep is never green in CI.
 */
export function junitFromReport(r: SweepReport, passes: (scenario: string) => { seeds: { seed: number; wallMs: number }[]; notListed: number }, suiteName = 'detsim'): string {
  const failuresBy = new Map<string, SweepReport['failures']>();
  for (const f of r.failures) failuresBy.set(f.scenario, [...(failuresBy.get(f.scenario) ?? []), f]);
  const extraFail = (isIncomplete(r) ? 1 : 0) + r.summary.unreached;
  const totalS = r.summary.runSeconds;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="${esc(suiteName)}" tests="${r.summary.runs + extraFail}" failures="${r.summary.failed + extraFail}" time="${totalS.toFixed(3)}">`];
  for (const s of r.scenarios) {
    const fails = failuresBy.get(s.scenario) ?? [];
    const p = passes(s.scenario);
    const unreached = r.coverage.mustReach.filter((m) => m.scenario === s.scenario && !m.reached);
    out.push(`  <testsuite name="${esc(s.scenario)}" tests="${s.runs + unreached.length}" failures="${s.failed + unreached.length}" time="${((p.seeds.reduce((a, x) => a + x.wallMs, 0) + fails.reduce((a, f) => a + f.wallMs, 0)) / 1000).toFixed(3)}">`);
    const cases: { seed: number; xml: string[] }[] = [];
    for (const x of p.seeds) cases.push({ seed: x.seed, xml: [`    <testcase classname="${esc(s.scenario)}" name="seed ${x.seed}" time="${(x.wallMs / 1000).toFixed(3)}"/>`] });
    for (const f of fails) {
      const first = f.violations[0];
      const msg = first ? `${first.invariant}: ${first.message}` : f.outcome;
      const body = [...f.violations.map((v) => `${v.invariant} at ${v.atNs}ns (event ${v.eventIndex}): ${v.message}`), f.replay ? `replay: ${f.replay}` : '', f.run ? `run: ${f.run}` : ''].filter((x) => x).join('\n');
      cases.push({ seed: f.seed, xml: [`    <testcase classname="${esc(s.scenario)}" name="seed ${f.seed}" time="${(f.wallMs / 1000).toFixed(3)}">`, `      <failure type="${esc(f.outcome)}" message="${esc(msg)}">${esc(body)}</failure>`, '    </testcase>'] });
    }
    cases.sort((a, b) => a.seed - b.seed);
    for (const c of cases) out.push(...c.xml);
    for (const m of unreached) out.push(`    <testcase classname="${esc(s.scenario)}" name="mustReach ${esc(m.name)}" time="0"><failure type="unreached" message="${esc(`no seed of ${m.runs} reached ${m.name}`)}"/></testcase>`);
    const notListed = p.notListed + Math.max(0, s.failed - fails.length);
    if (notListed > 0) out.push(`    <system-out>${notListed} seed(s) counted but not listed (the report keeps the lowest seeds of each kind)</system-out>`);
    out.push('  </testsuite>');
  }
  if (isIncomplete(r)) {
    out.push(`  <testsuite name="detsim-sweep" tests="1" failures="1" time="0">`);
    out.push(`    <testcase classname="detsim-sweep" name="sweep completed" time="0"><failure type="incomplete" message="${esc(`incomplete report: ${r.summary.runs} of ${r.summary.planned ?? '?'} planned runs`)}">${esc(r.incomplete.join('\n'))}</failure></testcase>`);
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

/** "2 worker(s)", or "1 of 2 workers used" when the sweep was too short to repay a second one's warm-up. */
function workersLine(jobs: number, used: number | undefined): string {
  if (used === undefined || used >= jobs) return `${jobs} worker(s)`;
  return `${used} of ${jobs} workers used: the work left never repaid another's warm-up`;
}
