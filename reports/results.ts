/**
 * A sweep's results stream (INTERFACES.md §2): one JSON object per finished run, appended to a
 * JSON Lines file the moment the run finishes, so a sweep that is interrupted, killed or loses
 * its machine keeps every result it had. The first line is a header describing the sweep (what
 * `merge` needs to tell a complete set of shards from an incomplete one).
 *
 * Writes are synchronous, one `writeSync` a line: a line is in the file (the OS's page cache)
 * before the next run is counted, so even SIGKILL loses at most the runs still in flight.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { RunReport } from '../cli/execute.ts';
import { RESULT_FORMAT, RESULTS_HEADER_FORMAT } from './formats.ts';
import { inputLines } from './input-file.ts';

export interface ResultsHeader {
  format: typeof RESULTS_HEADER_FORMAT;
  kind: 'header';
  runId: string;
  /** The command line that started the sweep. */
  command: string;
  /** The sweep's scenario names, in the order it reports them. */
  scenarios: string[];
  seeds: number;
  from: number;
  /** "K/N", or null when the sweep was not sharded. */
  shard: string | null;
  startedAt: string;
  /** Runs this file will hold when the sweep finishes (for telling a complete file from a cut one). */
  planned: number | null;
  swarm?: boolean;
  buggify?: boolean;
  /** What the sweep calls itself in reports: "sweep", "regress". */
  mode?: string;
  /**
   * The build it ran (cli/build-fingerprint.ts: a hash of detsim's sources and the sweep's own
   * scenario files): `merge` refuses a verdict over results of two builds. Absent before it was kept.
   */
  build?: string;
}

/** One finished run: its report minus the log and the explanation (replay shows both), plus where it belongs and how to replay it. */
export type ResultLine = Omit<RunReport, 'log' | 'coverage' | 'explanation'> & {
  format: typeof RESULT_FORMAT;
  runId: string;
  shard?: string;
  /** Failures: the repro file. */
  repro?: string;
  /** Failures: the command that replays the repro file. */
  replay?: string;
  /** The equivalent `detsim run` command (for any seed: coverage tables point at it). */
  run?: string;
  /** The parameters pinned for this job. */
  pins?: Record<string, unknown>;
  coverage?: Coverage;
};

/** INTERFACES.md §1, read as optional until every build reports it. */
export interface Coverage {
  probes?: Record<string, number>;
  declared?: string[];
  sometimes?: Record<string, boolean>;
  mustReach?: string[];
}

export function toResultLine(r: RunReport, extra: { runId: string; shard?: string | undefined; repro?: string; replay?: string; run?: string; pins?: Record<string, unknown> }): ResultLine {
  // The script (faults by meaning) lives in the repro file, not in every result line.
  const { log: _log, explanation: _explanation, script: _script, scripted: _scripted, ...rest } = r;
  const line: ResultLine = { format: RESULT_FORMAT, ...rest, runId: extra.runId };
  if (extra.shard) line.shard = extra.shard;
  if (extra.repro !== undefined) line.repro = extra.repro;
  if (extra.replay !== undefined) line.replay = extra.replay;
  if (extra.run !== undefined) line.run = extra.run;
  if (extra.pins !== undefined) line.pins = extra.pins;
  return line;
}

/** Appends lines to a results file created for this sweep alone (fails if it exists). */
export class ResultsWriter {
  private fd: number | null;
  constructor(readonly file: string, header: ResultsHeader) {
    // 'wx': exclusive create, so two sweeps can never write one results file.
    this.fd = openSync(file, 'wx');
    this.write(header);
  }
  write(obj: object): void {
    if (this.fd === null) return;
    writeSync(this.fd, JSON.stringify(obj) + '\n');
  }
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

export class ResultsReadError extends Error {
  override name = 'InputError';
}

/**
 * Reads a results file line by line (flat memory however long it is). A last line cut off
 * mid-write (the sweep was killed) is skipped and counted in `torn`; any other bad line is an
 * error naming the file and line.
 */
export async function readResults(file: string, onHeader: (h: ResultsHeader) => void, onLine: (l: ResultLine) => void): Promise<{ lines: number; torn: number }> {
  // Not node:readline: it keeps a line whole however long (a results file that is /dev/zero, or
  // garbage without a newline, grew the heap until V8 refused the string, thrown out of reach).
  const rl = inputLines(file, 'results file');
  let n = 0;
  let lines = 0;
  let pendingBad: { n: number; msg: string } | null = null;
  let torn = 0;
  try {
    for await (const text of rl) {
      n++;
      if (pendingBad) throw new ResultsReadError(`${file} line ${pendingBad.n} is not a result line: ${pendingBad.msg}`);
      if (text.trim() === '') continue;
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch (e) {
        pendingBad = { n, msg: (e as Error).message };
        continue;
      }
      const o = v as { kind?: unknown; format?: unknown; scenario?: unknown; seed?: unknown; ok?: unknown } | null;
      if (!o || typeof o !== 'object') throw new ResultsReadError(`${file} line ${n} is not a JSON object`);
      if (o.kind === 'header') {
        if (o.format !== RESULTS_HEADER_FORMAT) throw new ResultsReadError(`${file} line ${n}: a header of format ${JSON.stringify(o.format)}, expected ${RESULTS_HEADER_FORMAT}`);
        onHeader(o as unknown as ResultsHeader);
        continue;
      }
      if (o.format !== RESULT_FORMAT) throw new ResultsReadError(`${file} line ${n}: format ${JSON.stringify(o.format)}, expected ${RESULT_FORMAT} (is this a detsim results file?)`);
      if (typeof o.scenario !== 'string' || typeof o.seed !== 'number' || typeof o.ok !== 'boolean') throw new ResultsReadError(`${file} line ${n}: a result line needs scenario, seed and ok`);
      lines++;
      onLine(o as unknown as ResultLine);
    }
  } catch (e) {
    // Ours (the reader's, or a merge's from the callbacks) already name the file and line.
    if (e instanceof ResultsReadError || (e instanceof Error && e.name === 'InputError')) throw e;
    throw new ResultsReadError(`cannot read results file ${file}: ${(e as Error).message}`);
  }
  // Only the very last line may be torn (the write in progress when the sweep was killed).
  if (pendingBad) torn++;
  return { lines, torn };
}
