/**
 * A run as one self-contained HTML page: a space-time diagram (a lane per node, time across, an
 * arrow per message from its send to its delivery, a cross where one was dropped; crashes,
 * restarts, pauses, partitions as shaded spans, disk faults, BUGGIFY firings and protocol
 * milestones marked; the violation, or the pending liveness property, marked and focused on
 * open), with zoom, pan, filters, stepping and search, and for a linearizability failure the
 * client history drawn as Porcupine does. No network: the page's script and data are inline.
 *
 * The anchors: Jepsen Maelstrom's timeline, ShiViz's space-time diagrams, Porcupine's history view.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PACKAGE_ROOT } from '../cli/layout.ts';
import type { HistoryView } from '../sim/history-view.ts';
import type { RunResult } from '../sim/runner.ts';
import { formatNs } from '../sim/time.ts';
import type { TraceRecord } from '../sim/trace.ts';

/** Trace records a page keeps at most: the last ones, what led to the end of the run. */
export const TIMELINE_MAX_RECORDS = 50_000;

export interface TimelineInput {
  title: string;
  records: TraceRecord[];
  /** Records the run made in all, when the page shows only the last `records` (windowing). */
  totalRecords?: number;
  outcome?: RunResult['outcome'];
  /** The first violation (or liveness failure), marked across every lane and focused on open. */
  violation?: { atNs: number; eventIndex: number; invariant: string; message: string; history?: HistoryView } | null;
  /** Liveness properties still pending when the bound passed. */
  pending?: { property: string; reason: string }[];
  /** Where the fault phase ends and the liveness phase starts. */
  faultPhaseNs?: number | null;
  /** The run's last instant. */
  endNs?: number;
  /** @deprecated use `violation`. */
  violationAtNs?: number | null;
  /** @deprecated use `violation`. */
  violationText?: string;
}

/** Collects the last TIMELINE_MAX_RECORDS records of a run, counting all of them. */
export class TimelineCollector {
  private recs: TraceRecord[] = [];
  total = 0;
  constructor(private readonly max = TIMELINE_MAX_RECORDS) {}
  readonly sink = (r: TraceRecord): void => {
    this.total++;
    this.recs.push(r);
    // Trim in halves so keeping the window costs O(1) a record on average.
    if (this.recs.length >= 2 * this.max) this.recs.splice(0, this.recs.length - this.max);
  };
  records(): TraceRecord[] {
    return this.recs.length > this.max ? this.recs.slice(-this.max) : this.recs;
  }
}

/** The page's input for a finished run. */
export function timelineInputForRun(title: string, r: Pick<RunResult, 'outcome' | 'violations' | 'pending' | 'faultPhaseNs' | 'simTimeNs'>, c: TimelineCollector): TimelineInput {
  const v = r.violations[0];
  return {
    title,
    records: c.records(),
    totalRecords: c.total,
    outcome: r.outcome,
    violation: v ? { atNs: v.atNs, eventIndex: v.eventIndex, invariant: v.invariant, message: v.message, ...(v.history ? { history: v.history } : {}) } : null,
    pending: r.pending,
    faultPhaseNs: r.faultPhaseNs,
    endNs: r.simTimeNs,
  };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JSON safe inside a <script> element: no "</script>", no "<!--". */
function scriptJson(x: unknown): string {
  return JSON.stringify(x).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

// The page's script and style stay in the sources (reports/timeline/), also when this module runs from dist/.
const ASSET_DIR = pathToFileURL(path.join(PACKAGE_ROOT, 'reports', 'timeline') + path.sep);
let assets: { js: string; css: string } | null = null;
function pageAssets(): { js: string; css: string } {
  assets ??= { js: readFileSync(new URL('page.js', ASSET_DIR), 'utf8'), css: readFileSync(new URL('page.css', ASSET_DIR), 'utf8') };
  return assets;
}

/** Lane order: the world first, then nodes in natural order (n2 before n10). */
function laneOrder(names: Iterable<string>): string[] {
  return [...new Set(names)].sort((a, b) => (a === '-' ? -1 : b === '-' ? 1 : a.localeCompare(b, 'en', { numeric: true })));
}

/** The page's data, as columns (a 50,000-record page stays a few megabytes). */
function pageData(t: TimelineInput): unknown {
  const recs = t.records;
  const laneNames: string[] = [];
  for (const r of recs) {
    laneNames.push(r.node);
    if (r.msg) laneNames.push(r.msg.from, r.msg.to);
  }
  const lanes = laneOrder(laneNames);
  const laneIx = new Map(lanes.map((n, i) => [n, i]));
  const kinds: string[] = [];
  const kindIx = new Map<string, number>();
  const types: string[] = [];
  const typeIx = new Map<string, number>();
  const intern = (s: string, arr: string[], ix: Map<string, number>): number => {
    let i = ix.get(s);
    if (i === undefined) {
      i = arr.length;
      arr.push(s);
      ix.set(s, i);
    }
    return i;
  };
  const cols = { t: [] as number[], i: [] as number[], n: [] as number[], k: [] as number[], d: [] as string[], m: [] as unknown[] };
  for (const r of recs) {
    cols.t.push(r.atNs);
    cols.i.push(r.eventIndex);
    cols.n.push(laneIx.get(r.node)!);
    cols.k.push(intern(r.kind, kinds, kindIx));
    cols.d.push(r.detail);
    const m = r.msg;
    cols.m.push(m ? [laneIx.get(m.from)!, m.sentAtNs, intern(m.type, types, typeIx), m.reply ? 1 : 0, laneIx.get(m.to)!, m.body] : 0);
  }
  let violation = t.violation ?? null;
  if (violation === null && t.violationAtNs !== undefined && t.violationAtNs !== null) {
    violation = { atNs: t.violationAtNs, eventIndex: Number.MAX_SAFE_INTEGER, invariant: t.violationText?.split(':')[0] ?? 'violation', message: t.violationText ?? '' };
  }
  return {
    title: t.title,
    lanes,
    kinds,
    types,
    ...cols,
    violation: violation === null ? null : { atNs: violation.atNs, eventIndex: violation.eventIndex, invariant: violation.invariant },
    outcome: t.outcome ?? (violation ? 'safety' : 'pass'),
    faultPhaseNs: t.faultPhaseNs ?? null,
    endNs: t.endNs ?? null,
    history: violation?.history ?? null,
  };
}

export function timelineHtml(t: TimelineInput): string {
  const { js, css } = pageAssets();
  const recs = t.records;
  const total = t.totalRecords ?? recs.length;
  const violation = t.violation ?? (t.violationAtNs !== undefined && t.violationAtNs !== null ? { invariant: '', message: t.violationText ?? 'violation', atNs: t.violationAtNs, eventIndex: 0 } : null);
  const outcome = t.outcome ?? (violation ? 'safety' : 'pass');
  const failed = outcome !== 'pass';
  const why: string[] = [];
  if (outcome === 'liveness' && (t.pending?.length ?? 0) > 0) {
    for (const p of t.pending!) why.push(`<div class="why liveness">still pending when the liveness bound passed: <b>${esc(p.property)}</b>: ${esc(p.reason)}</div>`);
  } else if (violation) {
    why.push(`<div class="why">${esc(violation.invariant ? `${violation.invariant}: ${violation.message}` : violation.message)}${violation.atNs !== undefined ? ` <span class="note">at ${esc(formatNs(violation.atNs))}</span>` : ''}</div>`);
  }
  const t0 = recs.length > 0 ? recs[0]!.atNs : 0;
  const t1 = Math.max(t0, recs.length > 0 ? recs[recs.length - 1]!.atNs : 0, t.endNs ?? 0);
  const windowNote =
    total > recs.length
      ? `Showing the last ${recs.length.toLocaleString('en')} of ${total.toLocaleString('en')} trace records (the page keeps at most ${TIMELINE_MAX_RECORDS.toLocaleString('en')}: what led to the end of the run); the full trace is \`--trace FILE\`.`
      : `${recs.length.toLocaleString('en')} trace records.`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(t.title)}</title>
<style>${css}</style></head><body>
<header>
<h1>${esc(t.title)}<span class="outcome${failed ? ' fail' : ''}">${esc(outcome)}</span></h1>
${why.join('\n')}
<div class="note" id="window-note">${esc(windowNote)} From ${esc(formatNs(t0))} to ${esc(formatNs(t1))}.</div>
</header>
<div id="toolbar">
<button id="b-fit" title="fit the whole run (f)">Fit</button>
<button id="b-out" title="zoom out (-)">−</button><button id="b-in" title="zoom in (+)">+</button>
<button id="b-left" title="pan left (←)">◀</button><button id="b-right" title="pan right (→)">▶</button>
<button id="b-prev" title="previous event (p)">prev</button><button id="b-next" title="next event (n)">next</button>
<button id="b-viol" title="jump to the violation (v)">violation</button>
<button id="b-fault" title="the first fault before the violation (g)">first fault before</button>
<input id="search" type="search" placeholder="search: node, kind, text (/)" aria-label="search"><button id="b-find" title="next match (Enter)">find</button>
<span id="status"></span>
</div>
<details id="filters"><summary>Filters: nodes, event kinds, message types</summary>
<div class="fgroup" id="f-nodes"><b>nodes</b></div>
<div class="fgroup" id="f-kinds"><b>event kinds</b></div>
<div class="fgroup" id="f-types"><b>message types</b></div>
</details>
<div id="stage"><canvas id="diagram" tabindex="0" aria-label="space-time diagram"></canvas></div>
<div id="detail"></div>
<div class="legend" id="legend"></div>
<div class="keys">Keys: <kbd>+</kbd>/<kbd>-</kbd> zoom, <kbd>←</kbd>/<kbd>→</kbd> pan, <kbd>f</kbd> fit, <kbd>n</kbd>/<kbd>p</kbd> next/previous event, <kbd>v</kbd> violation, <kbd>g</kbd> first fault before it, <kbd>/</kbd> search (<kbd>Enter</kbd> next match). Mouse: wheel zooms, drag pans, click selects.</div>
<div id="history"><h2>History of the failing key (bars from call to reply; red: the minimal non-linearizable prefix; dark red: the reply that cannot be explained; dashed: no reply)</h2></div>
<script id="data" type="application/json">${scriptJson(pageData(t))}</script>
<script>${js}</script>
</body></html>
`;
}
