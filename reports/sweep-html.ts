/**
 * A sweep as one self-contained HTML page (`detsim sweep ... --html FILE`, `detsim merge ...
 * --html FILE`): one row a scenario (runs, passes and failures by outcome, seeds per second,
 * simulated time), every failure with its replay command and a link to its timeline, and plots
 * where a plot says more than a table (recovery times after the faults stop, wall time a run),
 * drawn as inline SVG. No script, no network: it opens from a CI artifact years later.
 */
import { formatNs } from '../sim/time.ts';

/** What the page needs of one finished run (a line of the sweep's results stream). */
export interface SweepRunLine {
  scenario: string;
  seed: number;
  ok: boolean;
  outcome: string;
  violations: { invariant: string; message: string; atNs: number }[];
  simTimeNs: number;
  wallMs: number;
  recoveredAfterNs?: number | null;
  events?: number;
  /** The command that replays this failure. */
  replay?: string;
  /** The `detsim run` command of this run, with its pins (any run, passed or not). */
  run?: string;
  /** Its repro file. */
  repro?: string;
  /** Its timeline page, relative to the report (or absolute). */
  timeline?: string;
  coverage?: { probes?: Record<string, number>; sometimes?: Record<string, boolean> };
  /** Why the seed's draws were refused, when it ran with the defaults (RunResult.paramsFellBack). */
  paramsFellBack?: string;
}

export interface SweepHtmlInput {
  title: string;
  runs: SweepRunLine[];
  /** True when the sweep was cut short (SIGINT, a shard missing): the page says INCOMPLETE. */
  incomplete?: boolean;
  /** The command that made the sweep, shown at the top. */
  command?: string;
  /** Failures listed at most (the rest are counted). */
  maxFailures?: number;
}

const OUTCOMES = ['pass', 'safety', 'liveness', 'crash', 'no-progress', 'nondeterministic'] as const;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

interface ScenarioRow {
  name: string;
  runs: number;
  byOutcome: Map<string, number>;
  wallMs: number;
  simNs: number;
  recoveries: number[];
  /** Passing runs without a liveness phase (no recovery time: the scenario declares no liveness property). */
  livenessUnchecked: number;
  /** Runs whose draws clashed with the pins, so they ran with the defaults (RunResult.paramsFellBack). */
  ranWithDefaults: number;
  walls: number[];
  firstFailure: SweepRunLine | null;
}

function rows(runs: SweepRunLine[]): ScenarioRow[] {
  const by = new Map<string, ScenarioRow>();
  for (const r of runs) {
    let row = by.get(r.scenario);
    if (row === undefined) {
      row = { name: r.scenario, runs: 0, byOutcome: new Map(), wallMs: 0, simNs: 0, recoveries: [], livenessUnchecked: 0, ranWithDefaults: 0, walls: [], firstFailure: null };
      by.set(r.scenario, row);
    }
    row.runs++;
    row.byOutcome.set(r.outcome, (row.byOutcome.get(r.outcome) ?? 0) + 1);
    row.wallMs += r.wallMs;
    row.simNs += r.simTimeNs;
    row.walls.push(r.wallMs);
    if (typeof r.recoveredAfterNs === 'number') row.recoveries.push(r.recoveredAfterNs);
    else if (r.ok && r.recoveredAfterNs === null) row.livenessUnchecked++;
    if (typeof r.paramsFellBack === 'string') row.ranWithDefaults++;
    if (!r.ok && (row.firstFailure === null || r.seed < row.firstFailure.seed)) row.firstFailure = r;
  }
  return [...by.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** A histogram as an inline SVG: `values` in `bins` buckets, labelled with `fmt`. */
export function histogramSvg(values: number[], opts: { bins?: number; fmt: (x: number) => string; width?: number; height?: number; colour?: string; label: string }): string {
  const width = opts.width ?? 260;
  const height = opts.height ?? 70;
  if (values.length === 0) return `<svg class="hist" width="${width}" height="${height}" role="img" aria-label="${esc(opts.label)}: no data"><text x="4" y="${height / 2}" class="nodata">no data</text></svg>`;
  const bins = opts.bins ?? 20;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi - lo || 1;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor(((v - lo) / span) * bins))]!++;
  const peak = Math.max(...counts);
  const bw = (width - 2) / bins;
  const plotH = height - 16;
  const bars = counts
    .map((c, i) => {
      const h = peak === 0 ? 0 : (c / peak) * (plotH - 2);
      const from = lo + (span * i) / bins;
      const to = lo + (span * (i + 1)) / bins;
      return `<rect x="${(1 + i * bw).toFixed(1)}" y="${(plotH - h).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${opts.colour ?? '#4e79a7'}"><title>${esc(`${opts.fmt(from)} – ${opts.fmt(to)}: ${c} run(s)`)}</title></rect>`;
    })
    .join('');
  const sorted = [...values].sort((a, b) => a - b);
  const q = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return `<svg class="hist" width="${width}" height="${height}" role="img" aria-label="${esc(opts.label)}">${bars}<text x="1" y="${height - 3}" class="axis">${esc(opts.fmt(lo))}</text><text x="${width - 1}" y="${height - 3}" class="axis" text-anchor="end">${esc(opts.fmt(hi))}</text><title>${esc(`${opts.label}: ${values.length} runs; median ${opts.fmt(q(0.5))}, p99 ${opts.fmt(q(0.99))}`)}</title></svg>`;
}

function coverageTable(runs: SweepRunLine[]): string {
  const probes = new Map<string, { seeds: number; first: SweepRunLine }>();
  const sometimes = new Map<string, { seeds: number; first: SweepRunLine | null }>();
  for (const r of runs) {
    for (const [name, n] of Object.entries(r.coverage?.probes ?? {})) {
      if (n <= 0) continue;
      const p = probes.get(name);
      if (p === undefined) probes.set(name, { seeds: 1, first: r });
      else p.seeds++;
    }
    for (const [name, held] of Object.entries(r.coverage?.sometimes ?? {})) {
      const s = sometimes.get(name) ?? { seeds: 0, first: null };
      if (held) {
        s.seeds++;
        s.first ??= r;
      }
      sometimes.set(name, s);
    }
  }
  if (probes.size === 0 && sometimes.size === 0) return '';
  const line = (kind: string, name: string, seeds: number, first: SweepRunLine | null): string =>
    `<tr class="${seeds === 0 ? 'never' : ''}"><td>${kind}</td><td class="mono">${esc(name)}</td><td class="num">${seeds}</td><td class="mono">${first ? esc(first.run ?? `${first.scenario} --seed ${first.seed}`) : 'never'}</td></tr>`;
  const all = [...[...sometimes].map(([n, s]) => ({ kind: 'sometimes', n, seeds: s.seeds, first: s.first })), ...[...probes].map(([n, p]) => ({ kind: 'probe', n, seeds: p.seeds, first: p.first as SweepRunLine | null }))];
  all.sort((a, b) => a.seeds - b.seeds || a.n.localeCompare(b.n));
  return `<h2>Coverage</h2><p class="note">Probes and sometimes-assertions by the seeds that reached them; never reached first.</p><table><thead><tr><th>kind</th><th>name</th><th>seeds</th><th>first seed</th></tr></thead><tbody>${all.map((x) => line(x.kind, x.n, x.seeds, x.first)).join('')}</tbody></table>`;
}

const CSS = `body{font:13px system-ui,sans-serif;margin:16px;color:#1d232a;background:#fafafa}
h1{font-size:18px;margin:0 0 4px}h2{font-size:15px;margin:20px 0 6px}
.note{color:#555}.incomplete{background:#fff3cd;border:1px solid #e0c36a;padding:6px 10px;margin:8px 0}
.verdict{display:inline-block;padding:2px 9px;border-radius:9px;color:#fff;background:#2a7d3a;font-size:12px;vertical-align:3px;margin-left:8px}.verdict.fail{background:#b3261e}
table{border-collapse:collapse;background:#fff;margin:6px 0}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f1f3f5}.num{text-align:right;font-variant-numeric:tabular-nums}.mono{font:12px ui-monospace,monospace}
td.bad{color:#b3261e;font-weight:600}tr.never td{color:#b3261e}
code{font:12px ui-monospace,monospace;background:#f1f3f5;padding:1px 4px;border-radius:3px;user-select:all}
.msg{max-width:46em;overflow-wrap:anywhere}
.hist .axis{font:10px ui-monospace,monospace;fill:#666}.hist .nodata{font:11px system-ui;fill:#999}
.plots{display:flex;flex-wrap:wrap;gap:14px}.plot{background:#fff;border:1px solid #ddd;padding:6px 8px}.plot b{display:block;font-size:12px;margin-bottom:2px}`;

export function sweepHtml(input: SweepHtmlInput): string {
  const table = rows(input.runs);
  const total = input.runs.length;
  const failures = input.runs.filter((r) => !r.ok).sort((a, b) => a.scenario.localeCompare(b.scenario) || a.seed - b.seed);
  const failed = failures.length;
  const maxFailures = input.maxFailures ?? 500;
  const secs = (ms: number): string => (ms / 1000).toFixed(ms >= 10_000 ? 0 : 1);
  // The usual outcomes always, then any other a run ended with (a hang, a run that checked nothing).
  const seen = [...new Set(input.runs.map((r) => r.outcome))].filter((o) => !(OUTCOMES as readonly string[]).includes(o)).sort();
  const columns: string[] = [...OUTCOMES, ...seen];
  const head = `<tr><th>scenario</th><th class="num">runs</th>${columns.map((o) => `<th class="num">${o}</th>`).join('')}<th class="num">seeds/s</th><th class="num">simulated</th><th>first failure</th></tr>`;
  const body = table
    .map((r) => {
      const cells = columns.map((o) => {
        const n = r.byOutcome.get(o) ?? 0;
        return `<td class="num${o !== 'pass' && n > 0 ? ' bad' : ''}">${n}</td>`;
      }).join('');
      const rate = r.wallMs > 0 ? (r.runs / (r.wallMs / 1000)).toFixed(1) : '–';
      const first = r.firstFailure ? `<code>${esc(r.firstFailure.replay ?? `npx detsim run ${r.name} --seed ${r.firstFailure.seed}`)}</code>` : '';
      // As `run`'s PASS line and the sweep's terminal summary say it: a pass checked safety only.
      const unchecked = r.livenessUnchecked > 0 ? `<div class="note liveness-unchecked">liveness unchecked in ${r.livenessUnchecked} passing run(s): no liveness property, so a system doing nothing passes too</div>` : '';
      const defaults = r.ranWithDefaults > 0 ? `<div class="note ran-with-defaults">${r.ranWithDefaults} run(s) ran with the defaults of the parameters not pinned: their draws with the pins make a combination the scenario refuses</div>` : '';
      return `<tr><td class="mono">${esc(r.name)}${unchecked}${defaults}</td><td class="num">${r.runs}</td>${cells}<td class="num" title="runs per second of one worker's wall time">${rate}</td><td class="num">${esc(formatNs(r.simNs))}</td><td>${first}</td></tr>`;
    })
    .join('\n');
  const failureRows = failures
    .slice(0, maxFailures)
    .map((f) => {
      const v = f.violations[0];
      const msg = v ? `${v.invariant}: ${v.message}` : f.outcome;
      const link = f.timeline ? `<a href="${esc(f.timeline)}">timeline</a>` : '';
      const repro = f.repro ? `<div class="note mono">${esc(f.repro)}</div>` : '';
      return `<tr><td class="mono">${esc(f.scenario)}</td><td class="num">${f.seed}</td><td class="bad">${esc(f.outcome)}</td><td class="msg">${esc(msg.length > 300 ? `${msg.slice(0, 300)}…` : msg)}</td><td><code>${esc(f.replay ?? `npx detsim run ${f.scenario} --seed ${f.seed}`)}</code>${repro}</td><td>${link}</td></tr>`;
    })
    .join('\n');
  const more = failed > maxFailures ? `<p class="note">…and ${failed - maxFailures} more failures (see the results file).</p>` : '';
  const plots = table
    .map(
      (r) => `<div class="plot"><b>${esc(r.name)}</b>
<div class="note">recovery after the faults stop</div>${histogramSvg(r.recoveries, { fmt: (x) => formatNs(Math.round(x)), label: `${r.name}: time to recover after the faults stop`, colour: '#2a7d3a' })}
<div class="note">wall time a run</div>${histogramSvg(r.walls, { fmt: (x) => `${Math.round(x)} ms`, label: `${r.name}: wall time a run`, colour: '#4e79a7' })}</div>`,
    )
    .join('\n');
  const totalWall = input.runs.reduce((s, r) => s + r.wallMs, 0);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(input.title)}</title><style>${CSS}</style></head><body>
<h1>${esc(input.title)}<span class="verdict${failed > 0 || input.incomplete || total === 0 ? ' fail' : ''}" id="verdict">${failed > 0 ? `${failed} failed` : input.incomplete ? 'incomplete' : total === 0 ? 'nothing checked' : 'all passed'}</span></h1>
${input.command ? `<p class="note">command: <code>${esc(input.command)}</code></p>` : ''}
${input.incomplete ? '<div class="incomplete" id="incomplete">Incomplete: this sweep was cut short: the counts below cover only the runs that finished. Rerun it (or the missing shards) for a full report.</div>' : ''}
<p class="note" id="totals">${total} runs over ${table.length} scenario(s): ${total - failed} passed, ${failed} failed; ${secs(totalWall)} s of worker time.</p>
<h2>Scenarios</h2>
<table id="scenarios"><thead>${head}</thead><tbody>
${body}
</tbody></table>
<h2>Failures</h2>
${failed === 0 ? '<p class="note" id="no-failures">No failures.</p>' : `<table id="failures"><thead><tr><th>scenario</th><th class="num">seed</th><th>outcome</th><th>what broke</th><th>replay</th><th></th></tr></thead><tbody>
${failureRows}
</tbody></table>${more}`}
${coverageTable(input.runs)}
<h2>Distributions</h2>
<p class="note">Hover a bar for its range and count.</p>
<div class="plots">${plots}</div>
</body></html>
`;
}
