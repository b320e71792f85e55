/**
 * One run as the CLI and sweep workers do it: time it (wall clock, outside the simulation),
 * optionally stream its trace to a file, optionally run it twice to check determinism.
 */
import { runScenario, type RunOptions, type RunResult } from '../sim/runner.ts';
import type { Scenario } from '../sim/scenario.ts';
import { sinkWithoutMessages, type TraceRecord, type TraceSink } from '../sim/trace.ts';
import { openOutput, writeAll } from './trace-tail.ts';

export interface RunReport extends RunResult {
  wallMs: number;
  /** Set with --check-determinism: the second run's hash. */
  secondTraceHash?: string;
  /**
   * A failure's recorded script's length, set by the run's thread when the script was asked for or
   * counted (`run --json` lists the count, the script itself goes to the `--repro` file).
   */
  scriptEntries?: number;
}

export interface ExecuteOptions extends Omit<RunOptions, 'traceSink'> {
  traceFile?: string;
  /** Receives every trace record too (e.g. for a timeline). */
  extraSink?: TraceSink;
  checkDeterminism?: boolean;
}

/** Streams trace records to a JSON-lines file, buffered so a long run stays cheap. */
export function traceFileSink(file: string): { sink: TraceSink; close: () => void } {
  const { fd, close: closeFile } = openOutput(file);
  let buf: string[] = [];
  let size = 0;
  const flush = (): void => {
    if (buf.length > 0) writeAll(fd, Buffer.from(buf.join(''), 'utf8'), null);
    buf = [];
    size = 0;
  };
  return {
    // The file holds no message bodies: records need not carry them (TraceSink.wantsMessages).
    sink: sinkWithoutMessages((r) => {
      const line = JSON.stringify({ t: r.atNs, i: r.eventIndex, node: r.node, kind: r.kind, detail: r.detail }) + '\n';
      buf.push(line);
      size += line.length;
      if (size > 1 << 16) flush();
    }),
    close: () => {
      flush();
      closeFile();
    },
  };
}

export function executeRun(scn: Scenario, opts: ExecuteOptions): RunReport {
  const trace = opts.traceFile ? traceFileSink(opts.traceFile) : null;
  const t0 = performance.now(); // wallclock-ok
  let r: RunResult;
  try {
    const sinks = [trace?.sink, opts.extraSink].filter((x): x is TraceSink => x !== undefined);
    const both = (rec: TraceRecord): void => sinks.forEach((f) => f(rec));
    const sink = sinks.length === 0 ? null : sinks.length === 1 ? sinks[0]! : sinks.some((f) => f.wantsMessages !== false) ? both : sinkWithoutMessages(both);
    // A run that made no check is never a PASS at the command line (sim/runner.ts, requireChecks).
    r = runScenario(scn, { ...opts, traceSink: sink, requireChecks: true });
  } finally {
    trace?.close();
  }
  // Not a spread: a spread reads every key, and `script` is built when first read (all of the
  // run's recorded decisions as objects), which a passing run in a sweep never needs.
  const report = r as RunReport;
  report.wallMs = Math.round(performance.now() - t0); // wallclock-ok
  if (opts.checkDeterminism) {
    const again = runScenario(scn, { ...opts, traceSink: null, requireChecks: true });
    compareRuns(report, again, 'in this process');
  }
  return report;
}

/**
 * Records the second run of a --check-determinism seed on the first one's report: its hash, and a
 * `determinism` violation (outcome `nondeterministic`) when the two differ. `where` says where the
 * second run ran ("in this process", "in a fresh thread"): a difference found only in a fresh
 * thread is state an earlier run left in a module, which a replay in a new process never sees.
 */
export function compareRuns(report: RunReport, again: Pick<RunResult, 'traceHash' | 'events'>, where: string): void {
  report.secondTraceHash = again.traceHash;
  if (again.traceHash === report.traceHash && again.events === report.events) return;
  report.ok = false;
  report.outcome = 'nondeterministic';
  const fresh = where !== 'in this process';
  report.violations = [
    ...report.violations,
    {
      invariant: 'determinism',
      atNs: report.simTimeNs,
      eventIndex: report.events,
      message: fresh
        ? `the seed run again ${where} differs: trace hash ${report.traceHash} (${report.events} events) here, after earlier runs, then ${again.traceHash} (${again.events} events) ${where}; a run read state an earlier run left at module level (a memo keyed by less than it depends on, a counter, a cache): a replay in a new process is another run. Keep per-run state in the scenario's setup or the world, and memoise only pure functions of their whole input (README, Determinism)`
        : `two runs of one seed differ: trace hash ${report.traceHash} (${report.events} events) then ${again.traceHash} (${again.events} events); simulated code reads something outside the kernel (Math.random, Date.now, timers, Promises, real I/O) or state the first run left at module level; \`npm run lint\` finds the former under sim/ systems/ scenarios/ invariants/`,
    },
  ];
}
