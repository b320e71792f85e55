/**
 * A timeline of a run as one self-contained HTML page: one lane per node, one mark per trace
 * record (messages received, crashes, restarts, pauses, disk errors), faults and the violation
 * highlighted, details on hover. For reading what led to a failure; open it in any browser.
 */
import { formatNs } from '../sim/time.ts';
import type { TraceRecord } from '../sim/trace.ts';

export interface TimelineInput {
  title: string;
  records: TraceRecord[];
  /** The violation's instant, marked across every lane. */
  violationAtNs?: number | null;
  violationText?: string;
}

const KIND_COLOURS: Record<string, string> = {
  recv: '#9db4c0',
  drop: '#f4a261',
  crash: '#d62828',
  start: '#2a9d8f',
  pause: '#e9c46a',
  resume: '#e9c46a',
  'disk-error': '#9d0208',
  'disk-corrupt': '#9d0208',
  partition: '#6a4c93',
  heal: '#2a9d8f',
  clog: '#6a4c93',
  VIOLATION: '#d00000',
  CRASH: '#d00000',
};

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function timelineHtml(t: TimelineInput): string {
  const recs = t.records;
  const lanes = [...new Set(recs.map((r) => r.node))].sort((a, b) => (a === '-' ? -1 : b === '-' ? 1 : a.localeCompare(b, 'en', { numeric: true })));
  const t0 = recs.length > 0 ? recs[0]!.atNs : 0;
  const t1 = Math.max(t0 + 1, recs.length > 0 ? recs[recs.length - 1]!.atNs : 1, t.violationAtNs ?? 0);
  const width = 1400;
  const left = 90;
  const laneH = 26;
  const x = (ns: number): number => left + ((ns - t0) / (t1 - t0)) * (width - left - 10);
  const height = lanes.length * laneH + 60;
  const marks: string[] = [];
  for (const r of recs) {
    const lane = lanes.indexOf(r.node);
    const y = 30 + lane * laneH;
    const colour = KIND_COLOURS[r.kind] ?? '#555';
    const big = r.kind !== 'recv';
    marks.push(
      `<rect x="${x(r.atNs).toFixed(1)}" y="${y + (big ? 2 : 7)}" width="${big ? 4 : 2}" height="${big ? laneH - 6 : laneH - 16}" fill="${colour}"><title>${esc(`${formatNs(r.atNs)} #${r.eventIndex} ${r.node} ${r.kind} ${r.detail}`)}</title></rect>`,
    );
  }
  const laneLabels = lanes.map((n, i) => `<text x="6" y="${30 + i * laneH + 17}" class="lane">${esc(n === '-' ? 'world' : n)}</text><line x1="${left}" x2="${width - 10}" y1="${30 + i * laneH + laneH - 2}" y2="${30 + i * laneH + laneH - 2}" stroke="#eee"/>`);
  const ticks: string[] = [];
  for (let i = 0; i <= 10; i++) {
    const ns = t0 + ((t1 - t0) * i) / 10;
    ticks.push(`<text x="${x(ns).toFixed(1)}" y="18" class="tick">${esc(formatNs(Math.round(ns)))}</text>`);
  }
  const violation =
    t.violationAtNs !== undefined && t.violationAtNs !== null
      ? `<line x1="${x(t.violationAtNs).toFixed(1)}" x2="${x(t.violationAtNs).toFixed(1)}" y1="24" y2="${height - 20}" stroke="#d00000" stroke-width="2" stroke-dasharray="4 3"><title>${esc(t.violationText ?? 'violation')}</title></line>`
      : '';
  const legend = Object.entries(KIND_COLOURS)
    .map(([k, c]) => `<span><i style="background:${c}"></i>${esc(k)}</span>`)
    .join(' ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(t.title)}</title>
<style>
body{font:13px system-ui,sans-serif;margin:16px;color:#222}
h1{font-size:16px;margin:0 0 4px}
.v{color:#b00;margin:4px 0 10px}
.legend span{margin-right:10px;white-space:nowrap}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
svg{border:1px solid #ddd;background:#fff}
.lane{font:12px monospace;fill:#333}.tick{font:11px monospace;fill:#777;text-anchor:middle}
</style></head><body>
<h1>${esc(t.title)}</h1>
${t.violationText ? `<div class="v">${esc(t.violationText)}</div>` : ''}
<div class="legend">${legend}</div>
<p>${recs.length} trace records from ${esc(formatNs(t0))} to ${esc(formatNs(t1))}. Hover a mark for its detail.</p>
<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
${ticks.join('\n')}
${laneLabels.join('\n')}
${marks.join('\n')}
${violation}
</svg>
</body></html>
`;
}
