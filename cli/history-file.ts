/**
 * Reading history files from disk, for the CLI (`detsim check`), the benchmark and tests. Real file
 * I/O is allowed here and only here in this folder: this module is run by tools outside any
 * simulation, never by simulated code.
 */
// Real file reading, outside any simulation (see the header), through reports/input-file.ts.
import { constants } from 'node:buffer';
import path from 'node:path';
import { PACKAGE_ROOT } from './layout.ts';
import { InputFileError, readInputText } from '../reports/input-file.ts';
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

/**
 * Reads a file as text; a missing or unreadable file is a HistoryParseError (line 0), a folder or
 * a device (/dev/zero: read on, it grew the heap until --timeout) too. `shouldStop`, if given, is
 * asked before each megabyte is read and once after (a large file takes seconds): true stops the
 * read with a ParseStoppedError.
 */
export function readHistoryText(file: string, shouldStop?: () => boolean): string {
  const beforeRead = shouldStop === undefined ? undefined : (): void => {
    if (shouldStop()) throw new ParseStoppedError(file, 0);
  };
  try {
    return readInputText(file, 'history', MAX_HISTORY_BYTES, { tooBigReason: `it is larger than ${MAX_HISTORY_BYTES} bytes, the most one string can hold`, ...(beforeRead ? { beforeRead } : {}) });
  } catch (e) {
    if (e instanceof ParseStoppedError) throw e;
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
  const text = readHistoryText(file, shouldStop);
  return parseHistoryText(text, model, file, shouldStop);
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
