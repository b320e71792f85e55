/**
 * Reading history files from disk, for the CLI (`detsim check`), the benchmark and tests. Real file
 * I/O is allowed here and only here in this folder: this module is run by tools outside any
 * simulation, never by simulated code.
 */
// Deliberate real I/O, outside any simulation (see the header); the one exception in this folder.
// eslint-disable-next-line @typescript-eslint/no-restricted-imports -- file reading for the CLI and bench only
import { closeSync, readSync } from 'node:fs';
import { constants } from 'node:buffer';
import path from 'node:path';
import { PACKAGE_ROOT } from './layout.ts';
import { InputFileError, openInput, readInputText } from '../reports/input-file.ts';
import { HistoryParseError, ParseStoppedError } from '../invariants/linearizability/errors.ts';
import { etcdModel, type EtcdInput, type EtcdOutput, type RegisterValue } from '../invariants/linearizability/models/etcd.ts';
import { kvModel, type KvInput, type KvOutput, type KvState } from '../invariants/linearizability/models/kv.ts';
import { parseJepsenEtcdLog } from '../invariants/linearizability/parse-jepsen.ts';
import { parseKvEdn } from '../invariants/linearizability/parse-kv-edn.ts';
import type { History, Model } from '../invariants/linearizability/types.ts';

export type FileModelName = 'kv' | 'etcd';

/** A parsed file with the model its format goes with (a tagged union keeps the types paired). */
export type LoadedHistory =
  | { readonly model: 'kv'; readonly spec: Model<KvState, KvInput, KvOutput>; readonly history: History<KvInput, KvOutput> }
  | {
      readonly model: 'etcd';
      readonly spec: Model<RegisterValue, EtcdInput, EtcdOutput>;
      readonly history: History<EtcdInput, EtcdOutput>;
    };

/** Where Porcupine's test data sits: /work/shared beside the repository (`../shared` in CI too). */
export const PORCUPINE_DATA_DIR: string = path.resolve(PACKAGE_ROOT, '..', 'shared', 'porcupine-data') + path.sep;

/** The largest history read: what one string holds (a pipe or a file past it is refused, not read on). */
const MAX_HISTORY_BYTES = constants.MAX_STRING_LENGTH;

/** Reads a file as text; a missing or unreadable file is a HistoryParseError (line 0). */
export function readHistoryText(file: string): string {
  try {
    return readInputText(file, 'history', MAX_HISTORY_BYTES);
  } catch (e) {
    throw new HistoryParseError(file, 0, `cannot read the file (${e instanceof InputFileError ? (e.code ?? e.reason) : 'unknown error'})`);
  }
}

/** Parses `text` in the format of `model`: Jepsen etcd log for 'etcd', EDN lines for 'kv'. */
/** `shouldStop` (optional): asked every few hundred lines; true stops the parse with a ParseStoppedError. */
export function parseHistoryText(text: string, model: FileModelName, file: string, shouldStop?: () => boolean): LoadedHistory {
  return model === 'etcd'
    ? { model, spec: etcdModel, history: parseJepsenEtcdLog(text, file, shouldStop) }
    : { model, spec: kvModel, history: parseKvEdn(text, file, shouldStop) };
}

export function loadHistoryFile(file: string, model: FileModelName, shouldStop?: () => boolean): LoadedHistory {
  const text = shouldStop === undefined ? readHistoryText(file) : readHistoryTextInChunks(file, shouldStop);
  return parseHistoryText(text, model, file, shouldStop);
}

/** readHistoryText a megabyte at a time, asking `shouldStop` between reads (a large file takes seconds). */
function readHistoryTextInChunks(file: string, shouldStop: () => boolean): string {
  let fd: number;
  try {
    // A folder or a device (/dev/zero) is refused here: read on, it grew the heap until --timeout.
    fd = openInput(file, 'history').fd;
  } catch (e) {
    throw new HistoryParseError(file, 0, `cannot read the file (${e instanceof InputFileError ? (e.code ?? e.reason) : 'unknown error'})`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for (;;) {
      if (shouldStop()) throw new ParseStoppedError(file, 0);
      const buf = Buffer.allocUnsafe(1 << 20);
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        throw new HistoryParseError(file, 0, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? 'unknown error'})`);
      }
      if (n === 0) break;
      total += n;
      if (total > MAX_HISTORY_BYTES) throw new HistoryParseError(file, 0, `cannot read the file (it is larger than ${MAX_HISTORY_BYTES} bytes, the most one string can hold)`);
      chunks.push(n === buf.length ? buf : buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (shouldStop()) throw new ParseStoppedError(file, 0);
  return text;
}

export interface ExpectedRow {
  /** Relative to the data directory, e.g. "jepsen/etcd_000.log". */
  readonly path: string;
  readonly model: FileModelName;
  readonly expected: 'linearizable' | 'not' | 'none';
}

/** The rows of EXPECTED.tsv (path, model, expected verdict). */
export function readExpected(dataDir: string = PORCUPINE_DATA_DIR): ExpectedRow[] {
  const file = `${dataDir.replace(/\/?$/, '/')}EXPECTED.tsv`;
  const lines = readHistoryText(file).split(/\r?\n/);
  const rows: ExpectedRow[] = [];
  lines.forEach((line, i) => {
    if (i === 0 || line.trim() === '') return;
    const [path, model, expected] = line.split('\t');
    if (path === undefined || (model !== 'kv' && model !== 'etcd') || !['linearizable', 'not', 'none'].includes(expected ?? '')) {
      throw new HistoryParseError(file, i + 1, 'expected "path<TAB>kv|etcd<TAB>linearizable|not|none"');
    }
    rows.push({ path, model, expected: expected as ExpectedRow['expected'] });
  });
  return rows;
}
