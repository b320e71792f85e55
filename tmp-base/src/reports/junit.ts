/**
 * JUnit XML for CI: one test suite per scenario, one test case per seed. A failure carries the
 * violations and the replay command, which is what a CI page should show.
 */
import type { RunResult } from '../sim/runner.ts';

export interface JunitCase {
  result: Pick<RunResult, 'scenario' | 'seed' | 'ok' | 'outcome' | 'violations'> & { wallMs: number };
  replay?: string;
}

export function junitXml(cases: JunitCase[], suiteName = 'detsim'): string {
  const byScenario = new Map<string, JunitCase[]>();
  for (const c of cases) {
    const list = byScenario.get(c.result.scenario) ?? [];
    list.push(c);
    byScenario.set(c.result.scenario, list);
  }
  const failures = cases.filter((c) => !c.result.ok).length;
  const totalS = cases.reduce((s, c) => s + c.result.wallMs, 0) / 1000;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="${esc(suiteName)}" tests="${cases.length}" failures="${failures}" time="${totalS.toFixed(3)}">`];
  for (const [name, list] of [...byScenario].sort((a, b) => a[0].localeCompare(b[0]))) {
    const f = list.filter((c) => !c.result.ok).length;
    const t = list.reduce((s, c) => s + c.result.wallMs, 0) / 1000;
    out.push(`  <testsuite name="${esc(name)}" tests="${list.length}" failures="${f}" time="${t.toFixed(3)}">`);
    for (const c of list.sort((a, b) => a.result.seed - b.result.seed)) {
      const r = c.result;
      const head = `  <testcase classname="${esc(name)}" name="seed ${r.seed}" time="${(r.wallMs / 1000).toFixed(3)}"`;
      if (r.ok) {
        out.push(`  ${head}/>`);
        continue;
      }
      const first = r.violations[0];
      const msg = first ? `${first.invariant}: ${first.message}` : r.outcome;
      const body = [...r.violations.map((v) => `${v.invariant} at ${v.atNs}ns (event ${v.eventIndex}): ${v.message}`), c.replay ? `replay: ${c.replay}` : ''].join('\n');
      out.push(`  ${head}>`);
      out.push(`      <failure type="${esc(r.outcome)}" message="${esc(msg)}">${esc(body)}</failure>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}
