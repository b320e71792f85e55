import { describe, expect, it } from 'vitest';
import { timelineHtml } from './timeline-html.ts';

describe('timelineHtml', () => {
  const records = [
    { atNs: 0, eventIndex: 0, node: 'n1', kind: 'start', detail: 'incarnation 1' },
    { atNs: 5_000_000, eventIndex: 3, node: 'n2', kind: 'recv', detail: 'from n1: <ping>' },
    { atNs: 9_000_000, eventIndex: 7, node: 'n1', kind: 'crash', detail: 'disk lost 2' },
    { atNs: 9_500_000, eventIndex: 8, node: '-', kind: 'VIOLATION', detail: 'x: "bad" & worse' },
  ];

  it('draws one lane per node, the world first, a mark per record, and the violation line', () => {
    const html = timelineHtml({ title: 'demo', records, violationAtNs: 9_500_000, violationText: 'x: bad' });
    expect(html.match(/class="lane"/g)).toHaveLength(3);
    expect(html.indexOf('>world<')).toBeLessThan(html.indexOf('>n1<'));
    expect(html.match(/<rect /g)).toHaveLength(4);
    expect(html).toContain('stroke-dasharray');
    expect(html).toContain('4 trace records');
  });

  it('escapes details (they come from simulated systems)', () => {
    const html = timelineHtml({ title: '<t>', records });
    expect(html).not.toContain('<ping>');
    expect(html).toContain('&lt;ping&gt;');
    expect(html).toContain('&quot;bad&quot; &amp; worse');
    expect(html).not.toContain('stroke-dasharray'); // no violation given, no line
  });
});
