/**
 * `detsim check <file> --model kv|etcd`: check one history file for linearizability.
 *
 * This module reads a file (through cli/history-file.ts): it is run by the CLI, outside any simulation,
 * so real I/O is fine here. Time comes from the caller's clock; nothing here reads one itself.
 *
 * Exit codes:
 *   0  linearizable
 *   1  not linearizable (a violation is printed)
 *   2  unusable input: the file cannot be read or parsed, the history is malformed or holds no
 *      operation (nothing to check), or an option is invalid (a one-line error is printed)
 *   3  unknown: the time or step budget ran out before a verdict (raise --timeout)
 */
import { checkHistory, describeOp } from './checker.ts';
import { CheckerOptionError, HistoryParseError, InvalidHistoryError, ParseStoppedError } from './errors.ts';
import { loadHistoryFile, type FileModelName, type LoadedHistory } from '../../cli/history-file.ts';
import type { CheckResult, Violation } from './types.ts';

export const EXIT_LINEARIZABLE = 0;
export const EXIT_NOT_LINEARIZABLE = 1;
export const EXIT_UNUSABLE_INPUT = 2;
export const EXIT_UNKNOWN = 3;

export interface CheckCommandOptions {
  /** Path of the history file. */
  readonly file: string;
  /** Its format and model: 'etcd' = Jepsen etcd log (one register), 'kv' = EDN lines (key-value map). */
  readonly model: FileModelName;
  /** Print one JSON object instead of a human summary. */
  readonly json: boolean;
  /** Wall-clock budget of the search, in ms; 0 or Infinity = none (the default step budget applies). */
  readonly timeoutMs: number;
  /** Milliseconds from any origin; the CLI passes a real clock. */
  readonly clock: () => number;
  /**
   * When the budget started (a `clock()` reading; default: when this is called). The CLI passes
   * its start, so reading and parsing the file count against --timeout as the search does.
   */
  readonly startMs?: number;
}

/** `errOut` receives the one-line message of unusable input (default: `out`). */
export function runCheckCommand(opts: CheckCommandOptions, out: (line: string) => void, errOut: (line: string) => void = out): number {
  let loaded: LoadedHistory;
  let result: CheckResult;
  let timeMs: number;
  try {
    const t0 = opts.startMs ?? opts.clock();
    const limited = opts.timeoutMs > 0 && Number.isFinite(opts.timeoutMs);
    try {
      loaded = loadHistoryFile(opts.file, opts.model, limited ? () => opts.clock() - t0 >= opts.timeoutMs : undefined);
    } catch (e) {
      if (!(e instanceof ParseStoppedError)) throw e;
      // The budget ran out while reading the file: undecided, like a search that ran out.
      const r: CheckResult = { operations: 0, partitions: 0, result: 'unknown', steps: 0, unknownReason: 'timeout' };
      const ms = opts.clock() - t0;
      if (opts.json) out(JSON.stringify({ file: opts.file, model: opts.model, linearizable: 'unknown', operations: null, partitions: null, timeMs: Math.round(ms * 1000) / 1000, steps: 0, unknownReason: 'timeout', stoppedWhile: 'parsing', linesParsed: e.lines }));
      else humanReport(opts, r, ms, `stopped while parsing, after ${e.lines} lines`).forEach((line) => out(line));
      return EXIT_UNKNOWN;
    }
    if (loaded.history.length === 0) {
      // An empty history is linearizable by definition, so a pass here would say nothing: the
      // recorder wrote nothing (or every operation definitely failed), and that is what to look at.
      const message = `${opts.file} holds no operations: nothing to check (the file is empty, or every operation in it definitely failed and so did not happen); record a history with at least one invoked operation`;
      if (opts.json) out(JSON.stringify({ file: opts.file, model: opts.model, error: { code: 'E_EMPTY_HISTORY', message } }));
      else errOut(`detsim: ${message}`);
      return EXIT_UNUSABLE_INPUT;
    }
    // What is left of the budget after reading and parsing (0: the search stops at once, undecided).
    const left = opts.timeoutMs - (opts.clock() - t0);
    const timeout = limited ? { timeoutMs: Math.max(0, left), clock: opts.clock } : {};
    result = loaded.model === 'etcd' ? checkHistory(loaded.spec, loaded.history, timeout) : checkHistory(loaded.spec, loaded.history, timeout);
    timeMs = opts.clock() - t0;
  } catch (e) {
    if (e instanceof HistoryParseError || e instanceof InvalidHistoryError || e instanceof CheckerOptionError) {
      if (opts.json) out(JSON.stringify({ file: opts.file, model: opts.model, error: { code: e.code, message: e.message } }));
      else errOut(`detsim: ${e.message}`);
      return EXIT_UNUSABLE_INPUT;
    }
    throw e;
  }
  if (opts.json) out(JSON.stringify(jsonReport(opts, loaded, result, timeMs)));
  else humanReport(opts, result, timeMs).forEach((line) => out(line));
  return result.result === 'linearizable' ? EXIT_LINEARIZABLE : result.result === 'not' ? EXIT_NOT_LINEARIZABLE : EXIT_UNKNOWN;
}

function humanReport(opts: CheckCommandOptions, r: CheckResult, timeMs: number, stoppedWhile?: string): string[] {
  const why = { 'step-budget': 'step budget spent', timeout: `timed out after ${opts.timeoutMs} ms`, aborted: 'aborted', memory: 'memo limit reached' };
  const verdict =
    r.result === 'linearizable' ? 'linearizable' : r.result === 'not' ? 'NOT linearizable' : `UNKNOWN (${why[r.unknownReason ?? 'step-budget']})`;
  const stats = stoppedWhile !== undefined ? `${stoppedWhile}, ${timeMs.toFixed(1)} ms` : `${r.operations} operations, ${r.partitions} partition${r.partitions === 1 ? '' : 's'}, ${timeMs.toFixed(1)} ms, ${r.steps} steps`;
  const lines = [`${opts.file}: ${verdict} (model ${opts.model}; ${stats})`];
  if (r.violation !== undefined) lines.push(...r.violation.description.map((l) => `  ${l}`));
  if (r.result === 'unknown') lines.push('  the search gave up before a verdict; raise --timeout to let it run longer');
  return lines;
}

function jsonReport(opts: CheckCommandOptions, loaded: LoadedHistory, r: CheckResult, timeMs: number): object {
  return {
    file: opts.file,
    model: opts.model,
    linearizable: r.result === 'linearizable' ? true : r.result === 'not' ? false : 'unknown',
    operations: r.operations,
    partitions: r.partitions,
    timeMs: Math.round(timeMs * 1000) / 1000,
    steps: r.steps,
    ...(r.unknownReason !== undefined ? { unknownReason: r.unknownReason } : {}),
    ...(r.violation !== undefined ? { violation: jsonViolation(loaded, r.violation) } : {}),
  };
}

/** The violation with each operation spelled out (JSON has no Infinity: an unknown reply is null). */
function jsonViolation(loaded: LoadedHistory, v: Violation): object {
  const op = (i: number): object => {
    const o = loaded.history[i]!;
    const text = loaded.model === 'etcd' ? describeOp(loaded.spec, loaded.history[i]!) : describeOp(loaded.spec, loaded.history[i]!);
    return { index: i, clientId: o.clientId, callNs: o.callNs, returnNs: o.returnNs === Infinity ? null : o.returnNs, op: text };
  };
  return {
    partitionIndex: v.partitionIndex,
    partitionSize: v.partitionSize,
    minimal: v.minimal,
    lastOp: v.lastOp,
    ops: v.operations.map(op),
    pendingOps: v.pendingOps,
    longestPrefix: v.longestPrefix,
    blockedCandidates: v.blockedCandidates,
    description: v.description,
  };
}
