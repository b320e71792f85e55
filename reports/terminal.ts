/**
 * Terminal output for people: coloured when stdout is a terminal, plain when piped or when
 * NO_COLOR is set. Every run starts with its seed and parameters and every failure ends with the
 * command that replays it.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { RunReport } from '../cli/execute.ts';
import type { BuggifyReport } from '../sim/buggify.ts';
import type { Coverage } from '../sim/probes.ts';
import { explanationLines } from '../sim/explain.ts';
import { formatNs } from '../sim/time.ts';

/** With a liveness explanation (the window around the cause), the run's tail is cut to this many lines. */
export const TAIL_WITH_WINDOW = 20;

export function makeChalk(stream: NodeJS.WriteStream = process.stdout): ChalkInstance {
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  const force = process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0';
  return new Chalk({ level: noColor ? 0 : force || stream.isTTY ? 2 : 0 });
}

export function formatParams(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

export function formatHeader(c: ChalkInstance, scenario: string, seed: number, params: Record<string, unknown>, swarm: boolean, buggify: boolean, singleStream = false): string[] {
  return [
    `${c.bold('detsim run')} ${c.cyan(scenario)} ${c.bold('seed')} ${c.yellow(String(seed))}  ${c.dim(`(swarm ${swarm ? 'on' : 'off'}, buggify ${buggify ? 'on' : 'off'}${singleStream ? ', single network stream' : ''})`)}`,
    `${c.dim('params:')} ${formatParams(params)}`,
  ];
}

export function formatBuggify(c: ChalkInstance, b: BuggifyReport): string {
  if (!b.enabled) return `${c.dim('buggify:')} off`;
  const reached = Object.keys(b.reached).length;
  if (b.enabledSites.length === 0) return `${c.dim('buggify:')} ${reached} site(s) reached, none enabled`;
  return `${c.dim('buggify:')} ${reached} site(s) reached; enabled: ${b.enabledSites.map((s) => `${s} (fired ${b.fired[s] ?? 0}x)`).join(', ')}`;
}

/**
 * One line for the probes a run hit, in the shape of the buggify line: how many of the declared
 * ones were hit, then each hit probe with its count (at most `max` named), then the
 * sometimes-assertions and any mustReach target this run missed.
 */
export function formatCoverage(c: ChalkInstance, cov: Coverage | undefined, max = 8): string[] {
  if (cov === undefined) return [];
  const hit = Object.entries(cov.probes);
  const out: string[] = [];
  if (cov.declared.length > 0 || hit.length > 0) {
    const shown = hit.slice(0, max).map(([n, k]) => `${n} (${k}x)`).join(', ');
    const more = hit.length > max ? `, +${hit.length - max} more (--json lists all)` : '';
    out.push(`${c.dim('probes:')} ${hit.length} of ${cov.declared.length} declared hit${hit.length > 0 ? `: ${shown}${more}` : ''}`);
  }
  const st = Object.entries(cov.sometimes);
  if (st.length > 0) out.push(`${c.dim('sometimes:')} ${st.map(([n, v]) => `${n} ${v ? c.green('held') : c.yellow('not yet')}`).join(', ')}`);
  const missed = cov.mustReach.filter((n) => !((cov.probes[n] ?? 0) > 0 || cov.sometimes[n] === true));
  if (missed.length > 0) out.push(`${c.dim('must reach (over a sweep):')} not reached in this run: ${missed.join(', ')}`);
  return out;
}

/** One line for a run's `metrics.messages` (the full figures are in --json): totals and the busiest types. */
function formatMessages(m: unknown): string | null {
  if (m === null || typeof m !== 'object') return null;
  const { total, bytes, perClientOp, byType } = m as { total?: number; bytes?: number; perClientOp?: number; byType?: Record<string, { count: number }> };
  if (typeof total !== 'number') return null;
  const top = Object.entries(byType ?? {})
    .sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1))
    .slice(0, 5)
    .map(([t, v]) => `${t} ${v.count}`);
  return `${total} sent, ${bytes ?? 0} bytes${perClientOp !== undefined ? `, ${perClientOp} per client operation` : ''}${top.length > 0 ? ` (${top.join(', ')})` : ''}`;
}

/** The body of a run's report after the header: outcome, figures, and on failure the log and violations. */
/**
 * An integer with commas between thousands, as toLocaleString('en-US') writes it, without loading
 * ICU's locale data (about 20 ms on the first call: most of a short `detsim run`'s printing).
 */
export function groupThousands(n: number): string {
  return Number.isInteger(n) ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',') : n.toLocaleString('en-US');
}

export function formatResult(c: ChalkInstance, r: RunReport, replay: string, verdictInstead?: string): string[] {
  const out: string[] = [formatBuggify(c, r.buggify), ...formatCoverage(c, r.coverage)];
  const early = r.finished !== undefined ? `; ${r.finished.by}: the fault phase ended at ${formatNs(r.finished.atNs)} (declared ${formatNs(r.finished.declaredNs)})` : '';
  const figures = `${groupThousands(r.events)} events, ${formatNs(r.simTimeNs)} simulated in ${r.wallMs} ms, trace ${r.traceHash}${early}`;
  // Arrays of strings are tables or reports meant for people: print them as lines.
  const isLines = (v: unknown): v is string[] => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string');
  const scalar = Object.fromEntries(Object.entries(r.metrics).filter(([k, v]) => !isLines(v) && k !== 'messages'));
  if (Object.keys(scalar).length > 0) out.push(`${c.dim('metrics:')} ${JSON.stringify(scalar)}`);
  const msgs = formatMessages(r.metrics.messages);
  if (msgs !== null) out.push(`${c.dim('messages:')} ${msgs}`);
  for (const [k, v] of Object.entries(r.metrics)) {
    if (!isLines(v)) continue;
    out.push(c.dim(`${k}:`));
    for (const line of v) out.push(`  ${line}`);
  }
  if (r.ok) {
    // Safety alone is true of a system that does nothing: a pass without a liveness phase says so.
    const rec = r.recoveredAfterNs !== null ? `; liveness held ${formatNs(r.recoveredAfterNs)} after the faults stopped` : '; liveness unchecked (the scenario declares no liveness property, so a system doing nothing passes too)';
    // A replay that did not reproduce its recording replaces the PASS line with what happened.
    out.push(verdictInstead ?? `${c.green.bold('PASS')} ${r.scenario} seed ${r.seed}: ${figures}${rec}`);
    return out;
  }
  out.push(...formatExplanation(c, r));
  const e = r.explanation;
  const tail = e !== undefined && e.liveness !== undefined && e.window.length > 0 ? r.log.slice(-TAIL_WITH_WINDOW) : r.log;
  if (tail.length > 0) {
    out.push(c.dim(`last ${tail.length} trace lines${tail.length < r.log.length ? ' (the end of the run; the cause is above)' : ''}:`));
    for (const l of tail) out.push(c.dim(`  ${l}`));
  }
  const what: Record<string, string> = {
    safety: 'safety violation',
    liveness: 'liveness property still pending',
    crash: 'the simulated system threw an exception',
    'no-progress': 'no progress (event limit reached)',
    nondeterministic: 'nondeterminism: two runs of one seed differ',
    unchecked: 'the scenario made no check, so this run proves nothing',
    pass: '',
  };
  // A run the harness had to stop (cli/run-watched.ts) says why rather than "threw an exception".
  const stopped: Record<string, string> = {
    hang: 'the run hung (stopped at the wall-clock limit)',
    'out-of-memory': 'the run ran out of memory (stopped at the memory limit)',
    'process-exit': 'the scenario called process.exit before the checks finished',
    'worker-error': "the run's thread failed",
    'real-timer': 'the scenario left a real timer pending (a run never waits for real time)',
  };
  const why = r.outcome === 'crash' ? stopped[r.violations[0]?.invariant ?? ''] : undefined;
  // A stopped run's time and event come from its last traced line (cli/run-watched.ts): when it
  // traced nothing, where it stopped is unknown, and "at 0ns (event #0)" would read as a time.
  const nothingTraced = r.traceHash === '' && r.events === 0;
  const shownFigures =
    r.traceHash === ''
      ? nothingTraced
        ? `stopped after ${r.wallMs} ms, before its first traced event: where it stopped is unknown, no trace hash`
        : `stopped at ${formatNs(r.simTimeNs)} simulated after ${r.wallMs} ms, no trace hash`
      : figures;
  // Not a failure of the system, and never a pass: a run that checked nothing says so.
  const verdict = r.outcome === 'unchecked' ? c.yellow.bold('NOTHING CHECKED') : c.red.bold('FAIL');
  out.push(`${verdict} ${r.scenario} seed ${r.seed}: ${why ?? what[r.outcome] ?? r.outcome} (${shownFigures})`);
  for (const v of r.violations) {
    const where = nothingTraced ? 'before the first traced event' : `at ${formatNs(v.atNs)} (event #${v.eventIndex})`;
    out.push(`  ${c.red(v.invariant)} ${where}: ${v.message}`);
  }
  out.push(`${c.bold('replay:')} ${replay}`);
  return out;
}

/**
 * A failure's explanation (sim/explain.ts): for a liveness failure, the story of each pending
 * property (when it was checked, last held, changed), the faults before its last change and the
 * trace around that change; for any failure, the faults before it.
 */
export function formatExplanation(c: ChalkInstance, r: RunReport): string[] {
  const e = r.explanation;
  if (e === undefined) return [];
  const out: string[] = [];
  if (e.liveness !== undefined) {
    out.push(c.bold('why the liveness phase failed:'));
    for (const l of explanationLines(e)) out.push(`  ${l}`);
  }
  if (e.faultsBefore.length > 0) {
    out.push(c.bold(`the last ${e.faultsBefore.length} fault(s) before ${e.liveness !== undefined ? 'that change' : 'the failure'} (at ${formatNs(e.focus.atNs)}):`));
    for (const l of e.faultsBefore) out.push(`  ${l}`);
  } else out.push(c.dim(`no faults before ${formatNs(e.focus.atNs)}`));
  if (e.liveness !== undefined && e.window.length > 0) {
    out.push(c.bold(`trace around ${formatNs(e.focus.atNs)} (event #${e.focus.eventIndex}): ${e.focus.what}`));
    e.window.forEach((l, i) => out.push(i === e.focusLine ? c.yellow(`>>${l}`) : c.dim(`  ${l}`)));
  }
  return out;
}
